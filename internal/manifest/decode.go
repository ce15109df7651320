package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// noKind is the Skipped key of documents that are mappings without apiVersion or kind.
const noKind = "(no kind)"

// deserializer decodes JSON into k8s.io/api types. It is safe for concurrent use.
var deserializer runtime.Decoder = scheme.Codecs.UniversalDeserializer()

// decoder turns the chunks of one file into objects of a Set.
type decoder struct {
	file string
	set  *Set
}

func newDecoder(file string, set *Set) *decoder { return &decoder{file: file, set: set} }

// decodeChunk decodes every document of c. A malformed or oversized document is recorded as an
// error; a panic while decoding is recovered and recorded too, so one bad document never stops
// the load.
func (d *decoder) decodeChunk(c chunk) {
	defer func() {
		if r := recover(); r != nil {
			d.errorf(c.line, 0, "internal error while decoding this document: %v", r)
		}
	}()

	if len(c.data) > MaxDocumentBytes {
		d.errorf(c.line, 0, "document larger than %d MiB", MaxDocumentBytes>>20)
		return
	}
	if err := checkText(d.file, c); err != nil {
		d.set.Errors = append(d.set.Errors, err)
		return
	}

	if !d.fastPath(c) && !d.blockPath(c) {
		d.fullParse(c)
	}
}

// blockPath decodes a chunk in the plain block style through the block reader (see
// readBlock), without a YAML tree. It reports false when the full parse must handle the chunk:
// the chunk leaves the reader's subset, or its object is a List.
func (d *decoder) blockPath(c chunk) bool {
	doc, ok := readBlock(c.data)
	if !ok || strings.HasSuffix(doc.kind, "List") {
		return false
	}
	if !doc.empty {
		pos := Position{File: d.file, Line: c.line - 1 + doc.line, Column: doc.column}
		d.record(doc.apiVersion, doc.kind, pos, doc.source, func() ([]byte, error) {
			return doc.json, nil
		}, func() (*yaml.Node, int) { return chunkNode(c) })
	}
	return true
}

// fullParse decodes every document of c through a YAML tree. A chunk nested deeper than
// MaxNesting is refused first: the YAML libraries spend time and memory that grow with the
// square of the depth before their own limits. (The fast path parses nothing, and the block
// reader gives up beyond maxBlockDepth, so only this path needs the bound.)
func (d *decoder) fullParse(c chunk) {
	if depth, line := nestingBound(c.data); depth > MaxNesting {
		d.errorf(c.line+line-1, 0, "nested more than %d levels deep; not a Kubernetes manifest",
			MaxNesting)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			d.yamlError(c.line, c.data, err)
			return
		}
		d.document(&doc, c.line-1)
	}
}

// fastPath counts a plain block-style document (see sniffKind) whose kind is not audited,
// without parsing it. It reports false when the full parse must handle the chunk.
func (d *decoder) fastPath(c chunk) bool {
	apiVersion, kind, ok := sniffKind(c.data)
	if !ok || strings.HasSuffix(kind, "List") || classify(apiVersion, kind) != classOther {
		return false
	}
	d.set.Objects++
	d.set.Skipped[apiVersion+"/"+kind]++
	return true
}

// yamlErrorLine matches the line the YAML library puts into its syntax errors.
var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError records a YAML syntax error, translating its chunk-relative line to the file.
// go.yaml.in/yaml/v3 often reports the line where the enclosing construct starts (sometimes one
// line before it), so the chunk is parsed again with goccy/go-yaml, whose syntax errors carry
// the offending token's line and column; its report is used when it has one.
func (d *decoder) yamlError(chunkLine int, c []byte, err error) {
	lang := "YAML"
	if t := bytes.TrimSpace(c); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		lang = "JSON" // JSON is read as YAML; its errors speak of the YAML reading
	}
	var se *goccy.SyntaxError
	if _, gerr := parser.ParseBytes(c, 0); errors.As(gerr, &se) && se.Token != nil {
		p := se.Token.Position
		d.errorf(chunkLine+p.Line-1, p.Column, "malformed %s: %s", lang, se.Message)
		return
	}

	msg := err.Error()
	if line, col, ok := aliasLine(c, msg); ok {
		d.errorf(chunkLine+line-1, col, "malformed %s: %s", lang, strings.TrimPrefix(msg,
			"yaml: "))
		return
	}
	m := yamlErrorLine.FindStringSubmatch(msg)
	if m == nil {
		d.errorf(chunkLine, 0, "malformed %s: %s", lang, strings.TrimPrefix(msg, "yaml: "))
		return
	}
	n, _ := strconv.Atoi(m[1])
	d.errorf(chunkLine+n-1, 0, "malformed %s: %s", lang, m[2])
}

// unknownAnchor matches the YAML library's error for an alias without its anchor.
var unknownAnchor = regexp.MustCompile(`unknown anchor '([^']+)' referenced`)

// aliasLine finds the first "*name" alias of an unknown-anchor error in c (the library puts
// such errors at the document's first line), as a 1-based line and column.
func aliasLine(c []byte, msg string) (line, col int, ok bool) {
	m := unknownAnchor.FindStringSubmatch(msg)
	if m == nil {
		return 0, 0, false
	}
	alias := regexp.MustCompile(`\*` + regexp.QuoteMeta(m[1]) + `($|[\s,\]}])`)
	for i, text := range bytes.Split(c, []byte{'\n'}) {
		if loc := alias.FindIndex(text); loc != nil {
			return i + 1, loc[0] + 1, true
		}
	}
	return 0, 0, false
}

// errorf records an InputError at line:col of the file.
func (d *decoder) errorf(line, col int, format string, args ...any) {
	pos := Position{File: d.file, Line: line, Column: col}
	d.set.Errors = append(d.set.Errors, inputErrorf(pos, format, args...))
}

// document handles one YAML document; lineOffset turns its lines into file lines.
func (d *decoder) document(doc *yaml.Node, lineOffset int) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return // "---" followed by nothing, or only comments
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(root.Line+lineOffset, root.Column,
			"document is a %s, not a Kubernetes object", nodeKindName(root.Kind))
		return
	}
	d.object(root, lineOffset, helmSource(doc, root), listOf{})
}

// listOf is what the items of a typed List (PodList, DeploymentList) are: the API server
// leaves out each item's apiVersion and kind in its list responses.
type listOf struct{ apiVersion, kind string }

// object handles one Kubernetes object (or List) given as a mapping node; an object without
// apiVersion and kind takes those of its typed List.
func (d *decoder) object(n *yaml.Node, lineOffset int, source string, in listOf) {
	apiVersion, kind := scalarField(n, "apiVersion"), scalarField(n, "kind")
	pos := Position{File: d.file, Line: n.Line + lineOffset, Column: n.Column}
	if apiVersion == "" && kind == "" {
		apiVersion, kind = in.apiVersion, in.kind
	}

	if kind == "List" || strings.HasSuffix(kind, "List") && field(n, "items") != nil {
		d.list(n, pos, lineOffset, source, itemsOf(apiVersion, kind))
		return
	}
	d.record(apiVersion, kind, pos, source, func() ([]byte, error) { return nodeJSON(n) },
		func() (*yaml.Node, int) { return n, lineOffset })
}

// chunkNode parses a chunk the block reader read into a YAML tree, to place an error on its
// line; it returns nil when the chunk does not parse. The int is the chunk's line offset.
func chunkNode(c chunk) (*yaml.Node, int) {
	var doc yaml.Node
	if yaml.Unmarshal(c.data, &doc) != nil || len(doc.Content) == 0 {
		return nil, 0
	}
	return doc.Content[0], c.line - 1
}

// place returns where err lies: the node a nodeError names, or the field a type error of the
// Kubernetes decoder names (found by writing the object's JSON again with an index of its
// keys and decoding it again); else pos, the object's start.
func (d *decoder) place(pos Position, err error, gvk schema.GroupVersionKind,
	node func() (*yaml.Node, int)) Position {
	var ne *nodeError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &ne):
		if _, off := node(); ne.Line > 0 {
			return Position{File: d.file, Line: ne.Line + off, Column: ne.Column}
		}
	case errors.As(err, &te):
		n, off := node()
		if n == nil {
			return pos
		}
		w := jsonWriter{index: true}
		if w.write(n, 0) != nil {
			return pos
		}
		_, _, derr := deserializer.Decode(w.b.Bytes(), &gvk, nil)
		if errors.As(derr, &te) {
			if line, col, ok := nodeAt(w.marks, te.Offset); ok {
				return Position{File: d.file, Line: line + off, Column: col}
			}
		}
	}
	return pos
}

// itemsOf returns what the items of a List of kind are: nothing for a plain List (its items
// carry their own kinds), Pod for a v1 PodList.
func itemsOf(apiVersion, kind string) listOf {
	if kind == "List" {
		return listOf{}
	}
	return listOf{apiVersion: apiVersion, kind: strings.TrimSuffix(kind, "List")}
}

// knownGroupVersion is the apiVersion a workload or storage kind of the core API groups has
// today, to recognise such a kind written without its apiVersion.
func knownGroupVersion(kind string) string {
	switch kind {
	case "Pod", "ReplicationController", "PersistentVolume", "PersistentVolumeClaim":
		return "v1"
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return "apps/v1"
	case "Job", "CronJob":
		return "batch/v1"
	case "StorageClass", "CSIDriver":
		return "storage.k8s.io/v1"
	}
	return ""
}

// record counts one object at pos and decodes it from the JSON toJSON returns when its kind is
// audited; other objects are counted in Set.Skipped without calling toJSON.
func (d *decoder) record(apiVersion, kind string, pos Position, source string,
	toJSON func() ([]byte, error), node func() (*yaml.Node, int)) {
	d.set.Objects++
	if apiVersion == "" && kind != "" && classify(knownGroupVersion(kind), kind) != classOther {
		d.set.Errors = append(d.set.Errors, inputErrorf(pos, "%s without apiVersion: not a "+
			"valid object (the API server refuses it), not audited", kind))
		return
	}
	if apiVersion == "" || kind == "" {
		d.set.Skipped[noKind]++
		return
	}

	class := classify(apiVersion, kind)
	if class == classOther {
		d.set.Skipped[apiVersion+"/"+kind]++
		return
	}
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	data, err := toJSON()
	if err == nil {
		err = d.add(class, data, gvk, pos, source)
	}
	if err != nil {
		at := d.place(pos, err, gvk, node)
		d.set.Errors = append(d.set.Errors, inputErrorf(at, "%s %s: %w", apiVersion, kind, err))
	}
}

// list flattens a List's items.
func (d *decoder) list(n *yaml.Node, pos Position, lineOffset int, source string, in listOf) {
	items := field(n, "items")
	if items == nil || items.Kind == yaml.ScalarNode && items.Tag == "!!null" {
		return
	}
	if items.Kind != yaml.SequenceNode {
		d.set.Errors = append(d.set.Errors, inputErrorf(pos, "List items is not a sequence"))
		return
	}
	for _, item := range items.Content {
		if item.Kind != yaml.MappingNode {
			d.errorf(item.Line+lineOffset, item.Column, "List item is not an object")
			continue
		}
		d.object(item, lineOffset, source, in)
	}
}

// field returns the value node of key in mapping n, or nil.
func field(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalarField returns the scalar value of key in mapping n, or "".
func scalarField(n *yaml.Node, key string) string {
	v := field(n, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// helmSource returns the template path of a "# Source: chart/templates/x.yaml" comment that
// helm template writes before each document, or "".
func helmSource(doc, root *yaml.Node) string {
	comments := []string{doc.HeadComment, root.HeadComment}
	if len(root.Content) > 0 {
		comments = append(comments, root.Content[0].HeadComment)
	}
	for _, c := range comments {
		for _, line := range strings.Split(c, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// nodeKindName names a YAML node kind for error messages.
func nodeKindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}
