package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

const nestPod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n" +
	"spec:\n  containers:\n  - name: c\n"

func pod(name string) string { return strings.Replace(nestPod, "%s", name, 1) }

// Deeply nested documents (flow sequences, flow mappings, JSON, block mappings) are refused
// before the YAML libraries see them, in bounded time, and the other documents of the file are
// still read. Before the bound, 40,000 levels cost seconds and gigabytes.
func TestNestingBombsAreRefused(t *testing.T) {
	const n = 40000
	var block strings.Builder
	for i := range 2 * MaxNesting {
		block.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	bombs := map[string]string{
		"flow sequences": "x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n",
		"flow mappings":  "x: " + strings.Repeat("{a: ", n) + strings.Repeat("}", n) + "\n",
		"json":           `{"x": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}\n",
		"block mappings": block.String(),
	}
	for name, bomb := range bombs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			set := loadString(t, pod("before")+"---\n"+bomb+"---\n"+pod("after"))
			if len(set.Errors) != 1 || !strings.Contains(set.Errors[0].Error(), "nested more than") {
				t.Fatalf("errors %v, want one nesting error", set.Errors)
			}
			var ie *InputError
			if !errors.As(set.Errors[0], &ie) || ie.Pos.Line < 9 || ie.Pos.Line > 9+2*MaxNesting {
				t.Errorf("error %v does not name a line of the bomb's document", set.Errors[0])
			}
			if got := workloadNames(set); len(got) != 2 {
				t.Errorf("workloads %v, want the pods before and after", got)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// The bound never falls short of the depth the YAML library finds, on documents of every
// shape the bound distinguishes.
func TestNestingBoundCoversTheLibrarysDepth(t *testing.T) {
	docs := []string{
		"a: [[1, [2]], {b: {c: [3]}}]\n",
		"- - - a\n  - b\n",
		"a:\n  b:\n    - c:\n        d: [e]\n",
		"a: 'it''s [not] {nested}'\nb: \"[\\\"]\"\nc: [x]\n",
		"a: don't [x]\nb: [[y]]\n",
		"s: |\n  {{{{{{\n  [[[[\nt: [[z]]\n",
		"s: >-\n  ]]]]\nt: {u: [v]}\n",
		"- k: |\n    text\n  x: [[[y]]]\n",
		"- - k: >\n      text\n    x: {a: [[b]]}\n",
		"a: # [comment\n  [b]\n",
		`{"a": {"b": ["c", {"d": []}]}}`,
		"? [a]\n: [[b]]\n",
	}
	for _, doc := range docs {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if got, want := boundOf(doc), libraryDepth(&n)-2; got < want {
			t.Errorf("%q: bound %d, the library nests %d deep", doc, got, want)
		}
	}
}

func boundOf(doc string) int {
	d, _ := nestingBound([]byte(doc))
	return d
}

// libraryDepth is the nesting depth of collections in a YAML tree, the document node counted.
// The bound leaves out the document and the root collection (a root mapping is at indent 0).
func libraryDepth(n *yaml.Node) int {
	deepest := 0
	for _, c := range n.Content {
		deepest = max(deepest, libraryDepth(c))
	}
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.AliasNode {
		return 0
	}
	return deepest + 1
}

// Text in block scalars (scripts, embedded JSON in ConfigMaps) is not structure: braces there
// do not count, however many.
func TestBlockScalarContentIsNotNesting(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  init.sh: |\n" +
		"    " + strings.Repeat("{", 3*MaxNesting) + "\n\n    echo\n  other: x\n"
	if d := boundOf(cm); d > 10 {
		t.Errorf("bound %d for a ConfigMap whose braces are all in a block scalar", d)
	}
	set := loadString(t, cm+"---\n"+pod("p"))
	wantNoErrors(t, set)
}

// Real chart renders stay far below the limit.
func TestChartRendersNestFarBelowTheLimit(t *testing.T) {
	needCorpus(t)
	deepest := 0
	for _, c := range corpusChunks(t) {
		deepest = max(deepest, boundOf(string(c.data)))
	}
	if deepest == 0 || deepest > MaxNesting/10 {
		t.Errorf("deepest bound over the chart renders %d, want between 1 and %d", deepest,
			MaxNesting/10)
	}
}

// A NUL or non-UTF-8 byte costs only its own document; the error names its file line.
func TestBadBytesLoseOnlyTheirDocument(t *testing.T) {
	for name, bad := range map[string]string{"invalid UTF-8": "x: \xff\n", "NUL": "x: \x00\n"} {
		t.Run(name, func(t *testing.T) {
			set := loadString(t, pod("before")+"---\n"+bad+"---\n"+pod("after"))
			if len(set.Errors) != 1 || !strings.Contains(set.Errors[0].Error(), StdinName+":9:") {
				t.Fatalf("errors %v, want one at line 9", set.Errors)
			}
			if got := workloadNames(set); len(got) != 2 {
				t.Errorf("workloads %v, want the pods before and after", got)
			}
		})
	}
}

func FuzzNestingBound(f *testing.F) {
	f.Add([]byte("a: [[1, [2]], {b: {c: [3]}}]\n"))
	f.Add([]byte("s: |\n  {{{{\nt: [[z]]\n"))
	f.Add([]byte("a: 'x\n  [y]'\nb: [[c]]\n"))
	f.Add([]byte("- k: |\n    text\n  x: [[[y]]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<12 {
			return
		}
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			return
		}
		if got, want := boundOf(string(data)), libraryDepth(&n)-2; got < want {
			t.Fatalf("%q: bound %d, the library nests %d deep", data, got, want)
		}
	})
}
