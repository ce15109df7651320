package manifest

import (
	"bytes"
	"errors"
	"fmt"
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

// jsonWriter accumulates one object's JSON and counts the nodes written.
type jsonWriter struct {
	b     bytes.Buffer
	nodes int
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
	return fmt.Errorf("line %d: unexpected YAML node", n.Line)
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
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			continue
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
				return fmt.Errorf("line %d: merge key value is not a mapping", src.Line)
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
		return fmt.Errorf("line %d: a mapping key is not a scalar", k.Line)
	}
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	writeString(b, key.Value)
	b.WriteByte(':')
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
		return fmt.Errorf("line %d: %w", n.Line, err)
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
			return fmt.Errorf("line %d: %s has no JSON form", n.Line, n.Value)
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
