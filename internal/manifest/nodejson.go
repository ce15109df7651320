package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// errTooLarge is returned when an object's JSON form exceeds MaxDocumentBytes or maxNodes
// nodes, which is how alias bombs ("billion laughs") end.
var errTooLarge = fmt.Errorf("object larger than %d MiB or %d nodes once aliases are expanded",
	MaxDocumentBytes>>20, maxNodes)

// maxNodes bounds the nodes written for one object; real manifests have a few thousand.
const maxNodes = 1 << 20

// jsonWriter accumulates one object's JSON and counts the nodes written. With index set it
// also records where each mapping key's value starts in the JSON and on which line of the
// YAML it was written, so that an error the Kubernetes decoder reports at a JSON offset can
// be placed on its YAML line.
type jsonWriter struct {
	b     bytes.Buffer
	nodes int
	index bool
	marks []jsonMark
}

// jsonMark ties an offset of the JSON output to the YAML node written there.
type jsonMark struct {
	offset       int
	line, column int
}

// nodeError is a problem at a node of a YAML tree; Line is relative to the tree's text.
type nodeError struct {
	Line, Column int
	Err          error
}

func (e *nodeError) Error() string { return e.Err.Error() }
func (e *nodeError) Unwrap() error { return e.Err }

func atNode(n *yaml.Node, format string, args ...any) error {
	return &nodeError{Line: n.Line, Column: n.Column, Err: fmt.Errorf(format, args...)}
}

// nodeAt returns the line and column of the YAML node whose JSON form contains offset: the
// last mapping value that starts at or before it.
func nodeAt(marks []jsonMark, offset int64) (line, column int, ok bool) {
	i := sort.Search(len(marks), func(i int) bool { return int64(marks[i].offset) > offset })
	if i == 0 {
		return 0, 0, false
	}
	return marks[i-1].line, marks[i-1].column, true
}

// nodeJSON converts a YAML node to JSON as the Kubernetes decoders read it: scalars by their
// resolved tag (null, bool, int, float; everything else a string; YAML 1.1 booleans such as
// "yes" and "off" as booleans, as kubectl reads them), mapping keys as strings,
// merge keys ("<<") expanded with explicit keys winning, aliases expanded. The output is capped
// at MaxDocumentBytes.
//
// TODO: apart from the booleans, YAML 1.1 forms that kubectl reads differently from YAML 1.2
// (012345678, not a valid octal: an integer in 1.1, a float here) are read the YAML 1.2 way;
// matching every 1.1 rule would need kubectl's parser on this path too.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	var w jsonWriter
	if err := w.write(n, 0); err != nil {
		return nil, err
	}
	return w.b.Bytes(), nil
}

// maxAliasDepth bounds alias chains (and alias cycles, which the YAML library rejects anyway).
const maxAliasDepth = 100

func (w *jsonWriter) write(n *yaml.Node, aliasDepth int) error {
	b := &w.b
	w.nodes++
	if w.b.Len() > MaxDocumentBytes || w.nodes > maxNodes {
		return errTooLarge
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return w.write(n.Content[0], aliasDepth)
	case yaml.AliasNode:
		if aliasDepth >= maxAliasDepth || n.Alias == nil {
			return errors.New("alias nested too deeply")
		}
		return w.write(n.Alias, aliasDepth+1)
	case yaml.SequenceNode:
		return w.writeSequence(n, aliasDepth)
	case yaml.MappingNode:
		return w.writeMapping(n, aliasDepth)
	case yaml.ScalarNode:
		return writeScalar(b, n)
	}
	return atNode(n, "unexpected YAML node")
}

func (w *jsonWriter) writeSequence(n *yaml.Node, aliasDepth int) error {
	b := &w.b
	b.WriteByte('[')
	for i, item := range n.Content {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := w.write(item, aliasDepth); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

// writeMapping writes a mapping. Merged pairs come first so that explicit keys, written later,
// win when a JSON decoder reads duplicate keys (the last one counts).
func (w *jsonWriter) writeMapping(n *yaml.Node, aliasDepth int) error {
	b := &w.b
	b.WriteByte('{')
	first := true
	if err := w.writeMerged(n, aliasDepth, &first); err != nil {
		return err
	}
	var keys keySet
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			continue
		}
		if k.Kind == yaml.ScalarNode && !keys.add(k.Value) {
			return atNode(k, "mapping key %q already defined (kubectl and helm refuse "+
				"duplicate keys)", k.Value)
		}
		if err := w.writePair(k, v, aliasDepth, &first); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

// writeMerged writes the pairs of the mappings named by the merge keys of n.
func (w *jsonWriter) writeMerged(n *yaml.Node, aliasDepth int, first *bool) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			continue
		}
		sources := []*yaml.Node{n.Content[i+1]}
		if s := deAlias(sources[0]); s.Kind == yaml.SequenceNode {
			sources = s.Content
		}
		for _, src := range sources {
			m := deAlias(src)
			if m.Kind != yaml.MappingNode {
				return atNode(src, "merge key value is not a mapping")
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				err := w.writePair(m.Content[j], m.Content[j+1], aliasDepth+1, first)
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (w *jsonWriter) writePair(k, v *yaml.Node, aliasDepth int, first *bool) error {
	b := &w.b
	key := deAlias(k)
	if key.Kind != yaml.ScalarNode {
		return atNode(k, "a mapping key is not a scalar")
	}
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	writeString(b, key.Value)
	b.WriteByte(':')
	if w.index {
		w.marks = append(w.marks, jsonMark{offset: b.Len(), line: k.Line, column: k.Column})
	}
	return w.write(v, aliasDepth)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && k.Value == "<<"
}

// deAlias follows aliases (a bounded number of times).
func deAlias(n *yaml.Node) *yaml.Node {
	for i := 0; i < maxAliasDepth && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// yaml11Bools are the plain scalars YAML 1.1 (and so kubectl, through sigs.k8s.io/yaml) reads
// as booleans but YAML 1.2 reads as strings. They are converted as kubectl converts them, so
// that an object means the same whichever path decoded it.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// writeScalar writes a scalar according to its resolved tag.
func writeScalar(b *bytes.Buffer, n *yaml.Node) error {
	tag := n.ShortTag()
	if v, ok := yaml11Bools[n.Value]; ok && tag == "!!str" && n.Style == 0 {
		b.WriteString(strconv.FormatBool(v))
		return nil
	}
	switch tag {
	case "!!null":
		b.WriteString("null")
	case "!!bool", "!!int", "!!float":
		return writeResolved(b, n)
	default:
		writeString(b, n.Value)
	}
	return nil
}

// writeResolved writes a bool or number, letting the YAML library read forms such as 0x1F,
// 0o17 or 1_000.
func writeResolved(b *bytes.Buffer, n *yaml.Node) error {
	if isDecimal(n.Value) {
		b.WriteString(n.Value)
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return atNode(n, "%w", err)
	}
	switch x := v.(type) {
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		if x != x || x > 1.7976931348623157e308 || x < -1.7976931348623157e308 {
			return atNode(n, "%s has no JSON form", n.Value)
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		writeString(b, n.Value)
	}
	return nil
}

// isDecimal reports whether s is an optionally signed decimal integer without leading zeros,
// which is valid JSON as written.
func isDecimal(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// writeString writes s as a JSON string. s is valid UTF-8 (Load checks its input).
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != '\u2028' && r != '\u2029' && r != utf8.RuneError {
				i += size
				continue
			}
			b.WriteString(s[start:i])
			fmt.Fprintf(b, `\u%04x`, r)
			i += size
			start = i
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		i++
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
