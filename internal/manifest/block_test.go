package manifest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// blockSeeds exercise the edges of the block reader's subset; each is checked against the YAML
// library by compareBlock.
var blockSeeds = []string{
	"---\n# Source: c/t.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n",
	"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    args: [\"a\"]\n" +
		"    command:\n    - sh\n    - -c\n    - |\n      chown -R 1000 /data\n\n      ls\n",
	"a:\n- x\n- y: 1\n  z:\n  - 2\nb: {}\nc: []\nd:\ne: 'it''s'\nf: \"q\\\"\\n\\/\"\ng: \"q\\\"\\n\\t\"\n",
	"a: yes\nb: 0x1F\nc: 1_000\nd: 2001-12-14\ne: ~\nf: .inf\ng: -1\nh: +1\ni: 012\n",
	"a: |-\n  x\n   y\n\n  z\n\n\nb: 1\n",
	"a: |\n  x\n  \n  y\n",
	"a: |\n\n  x\n",
	"a: |\n    x\n  y: 1\n",
	"  a: 1\n  b:\n    c: 2\n",
	"a: b # c\nd: e#f\ng: h:i\nj: http://x\n\"k\": 1\n'l': 2\n",
	"a: b\n  c\n",
	"a: b: c\n",
	"a:\n  - b\n   c\n",
	"- a\n- b\n",
	"a: 1\n---\nb: 2\n",
	"# c\n---\na: 1\n",
	"---\n# Source: x\n\n# Source: y\na: 1\n",
	"kind: Pod\nkind: Deployment\napiVersion:\n  x: 1\napiVersion: v1\n",
	"a:\n  # c\n  b: 1\n  # d\nc: 2\n",
	"a: b\n  # c\nd: e\n",
	"a: -\n",
	"a: - b\n",
	"- a: 1\n  - b\n",
	"a: \"\\u00e9\"\n",
	"a: é ü\n",
	"a: \"x\" y\n",
	"a: \"x\"#y\n",
	"a: 'x\n  y'\n",
	"a: >\n  x\n",
	"a: |+\n  x\n",
	"a: |2\n  x\n",
	"<<: {a: 1}\n",
	"a:\r\n  b: 1\r\n",
	"a:\n- b:\n  - c\n  d: 1\n",
	"? a\n: b\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"a:    \n  b: 1\n",
	"apiVersion: v1\nkind: List\nitems: []\n",
	"...\n",
	"a: 1\n...\n",
	"%YAML 1.2\n---\na: 1\n",
	"--- a: 1\n",
	"---   \na: 1\n",
	"a: [1]\n",
	"a: 1 #\n",
	"a:\n    - x\n  - y\n",
	"a:\n  b: 1\n c: 2\n",
	"a:\n  b: [\n    \"x\",\n    y,\n  ]\n  c: [ 1, 2 ]\n  d: [\n   e]\nf: [\n]\n",
	"a:\n  b: [\n  ]\n",
	"a:\n  b: [x,\n # c\n  y]\n",
	"- a: [\n  x]\n",
	"a: - b\n",
	"a: x\n  y\n  - z\n  w:v\n",
	"- x\n  y # c\n",
	"- x # c\n  y\n",
	"a: >-\n  x \n  y\n",
	"a: >\n  x\n\n  y\n",
	"a: >\n  x\n   y\n",
	"- a :  1\n  b   : 2\n",
	"a: :x\nb: ?y\nc: -z\n",
	"a:\n  {}\nb:\n  []\nc:\n  [1]\n",
}

// FuzzBlockReader checks that wherever the block reader accepts a chunk, the YAML library reads
// it without error as the same single mapping: the same JSON (nodeJSON), apiVersion, kind,
// position and helm source, or as no document at all.
func FuzzBlockReader(f *testing.F) {
	for _, s := range blockSeeds {
		f.Add([]byte(s))
	}
	for _, c := range corpusChunks(f) {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 || checkText(StdinName, chunk{data: data, line: 1}) != nil {
			return
		}
		for _, c := range splitChunks(data) {
			compareBlock(t, c.data)
		}
	})
}

// TestBlockReaderCorpus checks the block reader on every chunk of the chart renders and
// reports how many chunks it reads.
func TestBlockReaderCorpus(t *testing.T) {
	chunks := corpusChunks(t)
	if len(chunks) == 0 {
		t.Skip("corpus not found")
	}
	read := 0
	for _, c := range chunks {
		if compareBlock(t, c.data) {
			read++
		}
	}
	t.Logf("block reader read %d of %d chunks", read, len(chunks))
}

func TestBlockReaderSeeds(t *testing.T) {
	for _, s := range blockSeeds {
		compareBlock(t, []byte(s))
	}
}

// corpusChunks returns the chunks of the chart renders beside the repository, if present.
func corpusChunks(tb testing.TB) []chunk {
	files, _ := filepath.Glob("../../../shared/corpus/charts/*.yaml")
	var chunks []chunk
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		chunks = append(chunks, splitChunks(data)...)
	}
	return chunks
}

// compareBlock compares the block reader with the YAML library on one chunk and reports
// whether the block reader accepted it.
func compareBlock(t *testing.T, data []byte) bool {
	t.Helper()
	doc, ok := readBlock(data)
	if !ok {
		return false
	}
	docs, err := yamlDocuments(data)
	if err != nil {
		t.Fatalf("block reader accepted %q, which the YAML library rejects: %v", data, err)
	}
	var roots []*yaml.Node
	for _, d := range docs {
		if len(d.Content) > 0 && !(d.Content[0].Kind == yaml.ScalarNode &&
			d.Content[0].Tag == "!!null") {
			roots = append(roots, d.Content[0])
		}
	}
	if doc.empty {
		if len(roots) > 0 {
			t.Fatalf("block reader found no content in %q", data)
		}
		return true
	}
	if len(roots) != 1 || roots[0].Kind != yaml.MappingNode {
		t.Fatalf("block reader read one mapping from %q, the library %d documents", data,
			len(roots))
	}
	root := roots[0]
	want, err := nodeJSON(root)
	if err != nil {
		t.Fatalf("block reader accepted %q, which nodeJSON rejects: %v", data, err)
	}
	if !bytes.Equal(doc.json, want) {
		t.Fatalf("JSON of %q:\nblock   %s\nlibrary %s", data, doc.json, want)
	}
	if a, k := scalarField(root, "apiVersion"), scalarField(root, "kind"); a != doc.apiVersion ||
		k != doc.kind {
		t.Fatalf("block reader read %q/%q, the library %q/%q, from %q", doc.apiVersion, doc.kind,
			a, k, data)
	}
	if root.Line != doc.line || root.Column != doc.column {
		t.Fatalf("block reader put the root of %q at %d:%d, the library at %d:%d", data,
			doc.line, doc.column, root.Line, root.Column)
	}
	if s := helmSource(docs[0], root); s != doc.source {
		t.Fatalf("block reader read source %q, the library %q, from %q", doc.source, s, data)
	}
	return true
}

// yamlDocuments decodes every document of data with the YAML library.
func yamlDocuments(data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic in the YAML library")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}
