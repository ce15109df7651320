package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func parseNode(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// TestNodeJSON checks the YAML-to-JSON conversion against the YAML 1.2 core schema as the YAML
// library resolves it: numbers in every notation, booleans, nulls, quoted look-alikes stay
// strings, merge keys with explicit keys winning, aliases, and JSON string escaping.
func TestNodeJSON(t *testing.T) {
	src := `base: &base {a: 1, b: old}
merged:
  <<: *base
  b: new
ints: [0x1F, 0o17, -12, 1_000, 007]
floats: [1.5, 2e3, -0.25]
bools: [true, False, "true"]
nulls: [null, ~, Null]
yaml11: [yes, Off, "yes", !!str on]
strings: ["0x1F", '12', 2001-12-14, "tab\there", "quote\" back\\ nl\n", "\u2028"]
list: [*base, *base]
`
	got, err := nodeJSON(parseNode(t, src))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"base":{"a":1,"b":"old"},"merged":{"a":1,"b":"old","b":"new"},` +
		`"ints":[31,15,-12,1000,7],"floats":[1.5,2000,-0.25],"bools":[true,false,"true"],` +
		`"nulls":[null,null,null],` +
		`"yaml11":[true,false,"yes","on"],` +
		`"strings":["0x1F","12","2001-12-14","tab\there","quote\" back\\ nl\n",` +
		`"\u2028"],"list":[{"a":1,"b":"old"},{"a":1,"b":"old"}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if v["merged"].(map[string]any)["b"] != "new" {
		t.Errorf("explicit key must win over the merged one: %v", v["merged"])
	}
}

func TestNodeJSONRejects(t *testing.T) {
	for _, src := range []string{"a: .inf\n", "a: .nan\n", "? [x]\n: 1\n"} {
		if _, err := nodeJSON(parseNode(t, src)); err == nil {
			t.Errorf("%q: no error", src)
		}
	}
}

// FuzzNodeJSON compares the conversion with the YAML library's own decoding followed by
// encoding/json, wherever that route works: both must mean the same JSON value.
func FuzzNodeJSON(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, 2.5, true, null]\n",
		"x: &x {k: v}\ny: {<<: *x, k: w}\n",
		"s: \"\\u00e9\\t\\x01\"\nn: -0\nf: 1e400\n",
		"- 0b101\n- 0o7\n- +12\n- .5\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "!!binary") || !utf8Valid(src) {
			return
		}
		var doc yaml.Node
		if yaml.Unmarshal([]byte(src), &doc) != nil || len(doc.Content) == 0 {
			return
		}
		if hasYAML11Bool(&doc) {
			return // the library reads these as strings, kubectl (and nodeJSON) as booleans
		}
		var v any
		if doc.Content[0].Decode(&v) != nil {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			return
		}
		got, err := nodeJSON(&doc)
		if err != nil {
			t.Fatalf("nodeJSON failed where the library succeeds: %v\nlibrary: %s", err, want)
		}
		if !sameJSON(t, got, want) {
			t.Fatalf("nodeJSON %s\nlibrary  %s", got, want)
		}
	})
}

func hasYAML11Bool(n *yaml.Node) bool {
	if _, ok := yaml11Bools[n.Value]; ok && n.Kind == yaml.ScalarNode {
		return true
	}
	for _, c := range n.Content {
		if hasYAML11Bool(c) {
			return true
		}
	}
	return false
}

func utf8Valid(s string) bool { return checkText("", chunk{data: []byte(s), line: 1}) == nil }

// sameJSON compares two JSON texts as values, numbers compared as float64.
func sameJSON(t *testing.T, a, b []byte) bool {
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&vb); err != nil {
		return true
	}
	return reflect.DeepEqual(va, vb)
}
