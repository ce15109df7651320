package manifest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// FuzzLoad feeds arbitrary bytes to Load as standard input. Load must never panic (a recovered
// panic shows as an "internal error" and fails the test), every error must name the input, and
// every workload's line must lie inside the input. Where the YAML library reads the whole
// stream without error, cutting it into chunks must not change where documents start.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
		"---\n---\n# c\n...\n--- |\n  x\n",
		"a: |\n  ---\n---\nkind: List\napiVersion: v1\nitems: [{kind: Pod, apiVersion: v1}]\n",
		"apiVersion: apps/v1\nkind: StatefulSet\nspec: {volumeClaimTemplates: [{}]}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec: {workloadRef: {name: x}}\n",
		"a: &a [1,2]\nb: [*a, *a]\n",
		`{"apiVersion":"v1","kind":"Pod","spec":{"containers":[]}}`,
		"%YAML 1.2\n---\nkind: Pod\n",
		"key: [unclosed\n---\nkind: x\n",
		"apiVersion: v1 # c\nkind: ConfigMap\ndata:\n  a: |\n    kind: Pod\n",
		"apiVersion: v1\nkind: Secret\nb: \"x\nkind: Pod\"\n",
		"  apiVersion: v1\n  kind: Pod\n  x: \"a\nkind: ConfigMap\napiVersion: v1\n  \"\n",
		"# Source: c/t.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n" +
			"  annotations: {a: yes}\nspec:\n  replicas: 0x2\n  template:\n    spec:\n" +
			"      securityContext: {fsGroup: 0644}\n      containers: [{name: c}]\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		set := Load(context.Background(), []string{StdinName}, bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, err := range set.Errors {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Pos.File != StdinName {
				t.Fatalf("error without the input's name: %v", err)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("recovered panic: %v", err)
			}
		}
		for _, w := range set.Workloads {
			if w.Pos.Line < 1 || w.Pos.Line > lines {
				t.Fatalf("workload %s at line %d of %d", w.Name, w.Pos.Line, lines)
			}
		}
		if checkText(StdinName, chunk{data: data, line: 1}) == nil {
			data = loneCRToLF(bytes.Clone(bytes.TrimPrefix(data, []byte("\ufeff"))))
			compareSplit(t, data)
			for _, c := range splitChunks(data) {
				compareSniff(t, c.data)
				comparePaths(t, c)
			}
		}
	})
}

// compareSplit checks that decoding chunk by chunk finds the documents the YAML library finds in
// the whole stream, at the same lines, whenever the library reads the whole stream cleanly.
func compareSplit(t *testing.T, data []byte) {
	whole, err := documentLines(data, 0)
	if err != nil {
		return
	}
	var pieces []int
	for _, c := range splitChunks(data) {
		lines, err := documentLines(c.data, c.line-1)
		if err != nil {
			t.Fatalf("chunk at line %d fails (%v) though the whole stream decodes", c.line, err)
		}
		pieces = append(pieces, lines...)
	}
	if len(whole) != len(pieces) {
		t.Fatalf("whole stream has documents at lines %v, chunks at %v", whole, pieces)
	}
	for i := range whole {
		if whole[i] != pieces[i] {
			t.Fatalf("whole stream has documents at lines %v, chunks at %v", whole, pieces)
		}
	}
}

// compareSniff checks that the fast path reads the apiVersion and kind the YAML library reads,
// wherever the library decodes the chunk as one mapping.
func compareSniff(t *testing.T, chunk []byte) {
	apiVersion, kind, ok := sniffKind(chunk)
	if !ok {
		return
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(chunk))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			return
		}
		docs = append(docs, &doc)
	}
	if len(docs) != 1 || len(docs[0].Content) == 0 || docs[0].Content[0].Kind != yaml.MappingNode {
		t.Fatalf("fast path read %s/%s from %q, which is not one mapping", apiVersion, kind, chunk)
	}
	root := docs[0].Content[0]
	if a, k := scalarField(root, "apiVersion"), scalarField(root, "kind"); a != apiVersion ||
		k != kind {
		t.Fatalf("fast path read %s/%s, the library %s/%s, from %q", apiVersion, kind, a, k, chunk)
	}
}

// comparePaths checks that the fast path and the full parse find the same objects, wherever
// both decode the chunk without error.
func comparePaths(t *testing.T, c chunk) {
	fast := &Set{Skipped: map[string]int{}}
	if !newDecoder(StdinName, fast).fastPath(c) {
		return
	}
	full := &Set{Skipped: map[string]int{}}
	newDecoder(StdinName, full).fullParse(c)
	if len(full.Errors) > 0 {
		return
	}
	if !reflect.DeepEqual(fast, full) {
		t.Fatalf("fast path and full parse differ on %q:\nfast %+v\nfull %+v", c.data, fast, full)
	}
}

// documentLines decodes a stream and returns the line of each non-empty document's root node.
func documentLines(data []byte, offset int) (lines []int, err error) {
	docs, err := yamlDocuments(data)
	if err != nil {
		return nil, err
	}
	for _, doc := range docs {
		if len(doc.Content) > 0 && !(doc.Content[0].Tag == "!!null" &&
			doc.Content[0].Value == "") {
			lines = append(lines, doc.Content[0].Line+offset)
		}
	}
	return lines, nil
}
