package manifest

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Block reader: a direct YAML-to-JSON path for the plain block style that helm template,
// kustomize and kubectl write. It reads a chunk line by line and writes the JSON that nodeJSON
// would write for the YAML library's tree, without building the tree. It accepts only a subset
// whose meaning is unambiguous: block mappings and sequences (sequences may sit at their key's
// indentation), one-line plain scalars, one-line single- and double-quoted scalars (double
// quotes with the escapes \\ \" \n \t \r only), literal block scalars "|" and "|-", the empty
// flow collections {} and [], and comments. Anything else (tabs, anchors, aliases, tags, flow
// collections with content, folded or keep-chomped block scalars, multi-line flow scalars,
// directives, document end markers, keys longer than 1,000 bytes, nesting deeper than
// maxBlockDepth, a scalar that nodeJSON would reject) makes it give up, and the chunk takes the
// full parse, which stays the authority on errors. Plain scalars are resolved by writeScalar,
// as nodeJSON resolves them. FuzzBlockReader checks it against the YAML library.

// maxBlockDepth bounds the nesting the block reader follows before it gives up.
const maxBlockDepth = 100

// maxBlockKey is the longest key the block reader accepts (the YAML library refuses implicit
// keys longer than 1,024 characters).
const maxBlockKey = 1000

// blockDoc is what the block reader found in a chunk.
type blockDoc struct {
	empty      bool   // the chunk holds no document content (blank lines, comments, "---")
	json       []byte // the root mapping as JSON
	apiVersion string // the scalar value of the first apiVersion key, or ""
	kind       string // the scalar value of the first kind key, or ""
	line       int    // chunk-relative 1-based line of the root mapping
	column     int    // 1-based column of the root mapping
	source     string // the helm "# Source:" template path, or ""
}

// blockLine is one line of a chunk without its line ending.
type blockLine struct {
	text   []byte
	indent int  // leading spaces
	skip   bool // blank or comment only
}

// blockReader reads one chunk. A method returns false when the chunk leaves the subset.
type blockReader struct {
	lines []blockLine
	open  bool // the last line has no line break
	next  int  // index of the first unread line
	depth int
	w     jsonWriter
	// scalar is the text of the last scalar read ("" after a collection), as the YAML
	// library's Node.Value holds it.
	scalar string
	root   struct {
		apiVersion, kind         string
		seenAPIVersion, seenKind bool
	}
}

// readBlock reads a chunk with the block reader; ok is false when the chunk leaves the subset.
func readBlock(data []byte) (doc blockDoc, ok bool) {
	if len(data) == 0 {
		return blockDoc{empty: true}, true
	}
	if !blockText(data) {
		return blockDoc{}, false
	}
	r := &blockReader{lines: splitBlockLines(data), open: data[len(data)-1] != '\n'}
	first, source, ok := r.header()
	if !ok {
		return blockDoc{}, false
	}
	if first < 0 {
		return blockDoc{empty: true}, true
	}
	l := &r.lines[first]
	if !r.mapping(l.indent, true) || r.peek() >= 0 || r.w.nodes > maxNodes ||
		r.w.b.Len() > MaxDocumentBytes {
		return blockDoc{}, false
	}
	return blockDoc{
		json:       r.w.b.Bytes(),
		apiVersion: r.root.apiVersion,
		kind:       r.root.kind,
		line:       first + 1,
		column:     l.indent + 1,
		source:     source,
	}, true
}

// blockText reports whether data has no tab, no carriage return except before a line feed,
// no control character and no character the YAML library refuses or reads as a line break.
func blockText(data []byte) bool {
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n', c >= 0x20 && c < 0x7f:
		case c == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				return false
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(data[i:])
			if r < 0xa0 || r == '\u2028' || r == '\u2029' || r == '\ufeff' || r >= 0xfffe &&
				r <= 0xffff || r == utf8.RuneError {
				return false
			}
			i += size - 1
		default:
			return false
		}
	}
	return true
}

// splitBlockLines cuts data into lines, dropping "\r\n" and "\n" endings.
func splitBlockLines(data []byte) []blockLine {
	lines := make([]blockLine, 0, bytes.Count(data, []byte("\n"))+1)
	for len(data) > 0 {
		var text []byte
		text, data = cutLine(data)
		indent := 0
		for indent < len(text) && text[indent] == ' ' {
			indent++
		}
		skip := indent == len(text) || text[indent] == '#'
		lines = append(lines, blockLine{text: text, indent: indent, skip: skip})
	}
	return lines
}

// header reads the lines before the root mapping: blank lines, comments and one "---" before
// any comment. It returns the index of the root mapping's first line (-1 when the chunk has no
// content) and the helm source comment.
func (r *blockReader) header() (first int, source string, ok bool) {
	marker, comment := false, false
	for i, l := range r.lines {
		switch {
		case l.skip:
			if l.indent < len(l.text) {
				comment = true
				if source == "" {
					source = sourceComment(l.text)
				}
			}
		case isMarker(l.text, "---"):
			if marker || comment || len(bytes.TrimRight(l.text[3:], " ")) > 0 {
				return 0, "", false
			}
			marker = true
		default:
			if _, _, isKey := r.key(l.text, l.indent); !isKey {
				return 0, "", false
			}
			r.next = i
			return i, source, true
		}
	}
	r.next = len(r.lines)
	return -1, "", true
}

// sourceComment returns the path of a "# Source: path" comment line, or "".
func sourceComment(line []byte) string {
	s, ok := strings.CutPrefix(strings.TrimSpace(string(line)), "# Source: ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(s)
}

// peek returns the index of the next line with content, or -1. A document marker counts as
// content, so that the reader gives up on it.
func (r *blockReader) peek() int {
	for i := r.next; i < len(r.lines); i++ {
		if !r.lines[i].skip {
			return i
		}
	}
	return -1
}

// isItem reports whether text, from column col, starts a block sequence entry.
func isItem(text []byte, col int) bool {
	return col < len(text) && text[col] == '-' && (col+1 == len(text) || text[col+1] == ' ')
}

// mapping reads a block mapping whose keys sit at column indent, starting at line r.next.
func (r *blockReader) mapping(indent int, root bool) bool {
	if !r.enter() {
		return false
	}
	r.w.nodes++
	r.w.b.WriteByte('{')
	var keys keySet
	for n := 0; ; n++ {
		i := r.peek()
		if i < 0 || r.lines[i].indent < indent {
			break
		}
		l := r.lines[i]
		if l.indent > indent || isMarker(l.text, "---") || isMarker(l.text, "...") {
			return false
		}
		if n > 0 {
			r.w.b.WriteByte(',')
		}
		if !r.pair(i, indent, root, &keys) {
			return false
		}
	}
	r.w.b.WriteByte('}')
	r.depth--
	return true
}

// compactMapping reads a block mapping that starts after a sequence entry's "- " on line i,
// at column col.
func (r *blockReader) compactMapping(i, col int) bool {
	if !r.enter() {
		return false
	}
	r.w.nodes++
	r.w.b.WriteByte('{')
	var keys keySet
	if !r.pair(i, col, false, &keys) {
		return false
	}
	for {
		j := r.peek()
		if j < 0 || r.lines[j].indent < col {
			break
		}
		if r.lines[j].indent > col {
			return false
		}
		r.w.b.WriteByte(',')
		if !r.pair(j, col, false, &keys) {
			return false
		}
	}
	r.w.b.WriteByte('}')
	r.depth--
	return true
}

// sequence reads a block sequence whose entries sit at column indent.
func (r *blockReader) sequence(indent int) bool {
	if !r.enter() {
		return false
	}
	r.w.nodes++
	r.w.b.WriteByte('[')
	for n := 0; ; n++ {
		i := r.peek()
		if i < 0 || r.lines[i].indent < indent || !isItem(r.lines[i].text, indent) {
			break
		}
		if r.lines[i].indent > indent {
			return false
		}
		if n > 0 {
			r.w.b.WriteByte(',')
		}
		if !r.item(i, indent) {
			return false
		}
	}
	r.w.b.WriteByte(']')
	r.depth--
	return true
}

// enter counts one more level of nesting; it reports false beyond maxBlockDepth.
func (r *blockReader) enter() bool {
	r.depth++
	return r.depth <= maxBlockDepth
}

// item reads the sequence entry on line i, whose "-" sits at column indent.
func (r *blockReader) item(i, indent int) bool {
	text := r.lines[i].text
	col := indent + 1
	for col < len(text) && text[col] == ' ' {
		col++
	}
	rest := text[col:]
	switch {
	case isItem(text, col):
		return false
	case len(rest) > 0 && rest[0] != '#':
		if _, _, isKey := r.key(text, col); isKey {
			return r.compactMapping(i, col)
		}
	}
	return r.value(i, col, indent, false)
}

// pair reads the "key: value" pair on line i whose key starts at column col, in a mapping
// whose keys sit at column indent. A key already in keys gives up, so that the full parse
// reports the duplicate.
func (r *blockReader) pair(i, col int, root bool, keys *keySet) bool {
	text := r.lines[i].text
	key, end, ok := r.key(text, col)
	if !ok || !keys.add(key) {
		return false
	}
	writeString(&r.w.b, key)
	r.w.b.WriteByte(':')
	if !r.value(i, end, col, true) {
		return false
	}
	if root {
		r.noteRoot(key)
	}
	return true
}

// noteRoot records the first apiVersion and kind of the root mapping as scalarField reads
// them: the text of a scalar, "" for a collection.
func (r *blockReader) noteRoot(key string) {
	switch {
	case key == "apiVersion" && !r.root.seenAPIVersion:
		r.root.seenAPIVersion, r.root.apiVersion = true, r.scalar
	case key == "kind" && !r.root.seenKind:
		r.root.seenKind, r.root.kind = true, r.scalar
	}
}

// key reads a mapping key at column col of text: a plain key or a one-line quoted one, then
// ":" and a space or the end of the line. It returns the key and the column after the ":".
func (r *blockReader) key(text []byte, col int) (key string, end int, ok bool) {
	rest := text[col:]
	if len(rest) == 0 {
		return "", 0, false
	}
	if rest[0] == '"' || rest[0] == '\'' {
		key, n, ok := quoted(rest)
		if !ok || n >= len(rest) || rest[n] != ':' || !spaceOrEnd(rest, n+1) {
			return "", 0, false
		}
		return key, col + n + 1, true
	}
	n := bytes.IndexByte(rest, ':')
	if n < 0 {
		return "", 0, false
	}
	for !spaceOrEnd(rest, n+1) {
		m := bytes.IndexByte(rest[n+1:], ':')
		if m < 0 {
			return "", 0, false
		}
		n += 1 + m
	}
	k := bytes.TrimRight(rest[:n], " ")
	if len(k) == 0 || n > maxBlockKey || !plainStart(rest) || bytes.Contains(k, []byte(" #")) ||
		string(k) == "<<" {
		return "", 0, false
	}
	return string(k), col + n + 1, true
}

// spaceOrEnd reports whether b ends at i or has a space there.
func spaceOrEnd(b []byte, i int) bool { return i >= len(b) || b[i] == ' ' }

// plainStart reports whether s may start a plain scalar in the subset: not with an indicator,
// except "-" before a character other than a space.
func plainStart(s []byte) bool {
	switch s[0] {
	case '-', '?', ':':
		return len(s) > 1 && s[1] != ' '
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@',
		'`', ' ':
		return false
	}
	return true
}

// value reads the value that starts at column col of line i: on the line itself, or below it
// when the line ends there. indent is the column of the key or sequence entry it belongs to;
// inMapping says whether it is a mapping value, which may be a sequence at that column.
func (r *blockReader) value(i, col, indent int, inMapping bool) bool {
	text := r.lines[i].text
	for col < len(text) && text[col] == ' ' {
		col++
	}
	rest := text[col:]
	r.next = i + 1
	r.scalar = ""
	switch {
	case len(rest) == 0 || rest[0] == '#':
		ok := r.nested(indent, inMapping)
		r.scalar = ""
		return ok
	case rest[0] == '|' || rest[0] == '>':
		return r.blockScalar(rest, indent)
	case isItem(rest, 0):
		return false
	}
	return r.inline(rest, i, indent)
}

// nested reads a value written on the lines below its key or sequence entry: a more indented
// mapping, sequence or flow collection, a sequence at the key's own column, or nothing (null).
func (r *blockReader) nested(indent int, inMapping bool) bool {
	j := r.peek()
	if j >= 0 {
		l := r.lines[j]
		switch {
		case l.indent > indent && isItem(l.text, l.indent):
			return r.sequence(l.indent)
		case l.indent > indent && (l.text[l.indent] == '{' || l.text[l.indent] == '['):
			r.next = j + 1
			return r.inline(l.text[l.indent:], j, indent)
		case l.indent > indent:
			if _, _, isKey := r.key(l.text, l.indent); !isKey {
				return false
			}
			return r.mapping(l.indent, false)
		case l.indent == indent && inMapping && isItem(l.text, l.indent):
			return r.sequence(l.indent)
		}
	}
	r.w.nodes++
	r.w.b.WriteString("null")
	return true
}

// inline writes a scalar or flow collection that starts with rest on line i and ends its line
// (a comment may follow) or, for a flow sequence or a plain scalar, a later line indented
// beyond indent. Lines from r.next on that it uses are consumed; what follows must not be
// indented beyond indent.
func (r *blockReader) inline(rest []byte, i, indent int) bool {
	r.w.nodes++
	var ok bool
	switch rest[0] {
	case '"', '\'':
		var n int
		r.scalar, n, ok = quoted(rest)
		ok = ok && commentOrEnd(rest[n:])
		writeString(&r.w.b, r.scalar)
	case '{':
		ok = len(rest) >= 2 && rest[1] == '}' && commentOrEnd(rest[2:])
		r.w.b.WriteString("{}")
	case '[':
		ok = r.flowSequence(rest, indent)
	default:
		ok = r.plain(rest, i, indent)
	}
	j := r.peek()
	return ok && (j < 0 || r.lines[j].indent <= indent)
}

// plain writes a plain scalar that starts with rest on line i and may continue on the next
// lines indented beyond indent (lines folded into one, separated by spaces).
func (r *blockReader) plain(rest []byte, i, indent int) bool {
	v, ok := plainLine(rest)
	if !ok {
		return false
	}
	var joined []byte
	for v.more && r.next < len(r.lines) {
		l := r.lines[r.next]
		if l.skip || l.indent <= indent {
			break
		}
		next, ok := plainLine(l.text[l.indent:])
		if !ok {
			return false
		}
		if joined == nil {
			joined = append(joined, v.text...)
		}
		joined = append(append(joined, ' '), next.text...)
		v.more = next.more
		r.next++
	}
	if joined != nil {
		v.text = joined
	}
	r.scalar = string(v.text)
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: r.scalar, Line: i + 1}
	return writeScalar(&r.w.b, n) == nil
}

// plainText is one line of a plain scalar; more says whether the scalar may continue on the
// next line (no comment ended it).
type plainText struct {
	text []byte
	more bool
}

// plainLine reads one line of a plain scalar: up to a comment or the end of the line, without
// trailing spaces. It refuses a line that starts with an indicator or holds ": " or a final
// ":", which would make it a key.
func plainLine(rest []byte) (plainText, bool) {
	if !plainStart(rest) {
		return plainText{}, false
	}
	more := true
	if c := bytes.Index(rest, []byte(" #")); c >= 0 {
		rest, more = rest[:c], false
	}
	rest = bytes.TrimRight(rest, " ")
	if bytes.Contains(rest, []byte(": ")) || rest[len(rest)-1] == ':' {
		return plainText{}, false
	}
	return plainText{text: rest, more: more}, true
}

// flowSequence writes a flow sequence of scalars ("[]", "[a, "b"]") that starts with rest.
// It may go on over the next lines indented beyond indent, an entry never spanning two lines.
func (r *blockReader) flowSequence(rest []byte, indent int) bool {
	r.w.b.WriteByte('[')
	rest = rest[1:]
	for n := 0; ; {
		rest = bytes.TrimLeft(rest, " ")
		if len(rest) == 0 {
			if rest = r.flowLine(indent); rest == nil {
				return false
			}
			continue
		}
		if rest[0] == ']' {
			r.w.b.WriteByte(']')
			return commentOrEnd(rest[1:])
		}
		if n > 0 {
			if rest[0] != ',' {
				return false
			}
			r.w.b.WriteByte(',')
			if rest = bytes.TrimLeft(rest[1:], " "); len(rest) == 0 {
				if rest = r.flowLine(indent); rest == nil {
					return false
				}
			}
			if rest[0] == ']' || rest[0] == ',' {
				return false
			}
		}
		var ok bool
		if rest, ok = r.flowItem(rest); !ok {
			return false
		}
		n++
	}
}

// flowLine consumes the next line of a flow sequence, which must be indented beyond indent (or
// at indent when it starts with the closing "]") and hold neither a comment nor only blanks,
// and returns its text after the indentation; nil when there is no such line.
func (r *blockReader) flowLine(indent int) []byte {
	if r.next >= len(r.lines) {
		return nil
	}
	l := r.lines[r.next]
	if l.skip || l.indent < indent || l.indent == indent && l.text[l.indent] != ']' ||
		bytes.IndexByte(l.text, '#') >= 0 {
		return nil
	}
	r.next++
	return l.text[l.indent:]
}

// flowItem writes the scalar at the start of rest, an entry of a flow sequence: a one-line
// quoted scalar, or a plain one without ":", "#" or flow indicators, ended by "," or "]" on its
// line. It returns what follows the scalar.
func (r *blockReader) flowItem(rest []byte) ([]byte, bool) {
	r.w.nodes++
	if rest[0] == '"' || rest[0] == '\'' {
		s, n, ok := quoted(rest)
		if !ok {
			return nil, false
		}
		writeString(&r.w.b, s)
		return rest[n:], true
	}
	n := bytes.IndexAny(rest, ",[]{}:#")
	if n < 0 || rest[n] != ',' && rest[n] != ']' {
		return nil, false
	}
	v := bytes.TrimRight(rest[:n], " ")
	if len(v) == 0 || !plainStart(v) {
		return nil, false
	}
	node := &yaml.Node{Kind: yaml.ScalarNode, Value: string(v)}
	return rest[n:], writeScalar(&r.w.b, node) == nil
}

// commentOrEnd reports whether rest holds only spaces, optionally followed by a comment that
// a space separates from what came before.
func commentOrEnd(rest []byte) bool {
	t := bytes.TrimLeft(rest, " ")
	return len(t) == 0 || t[0] == '#' && len(t) < len(rest)
}

// quoted reads a one-line single- or double-quoted scalar at the start of s and returns its
// value and the length of its source.
func quoted(s []byte) (value string, n int, ok bool) {
	q := s[0]
	var b []byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b = append(b, '\'')
			i++
		case c == q:
			return string(b), i + 1, true
		case c == '\\' && q == '"':
			if i+1 >= len(s) {
				return "", 0, false
			}
			i++
			e, ok := unescape(s[i])
			if !ok {
				return "", 0, false
			}
			b = append(b, e)
		default:
			b = append(b, c)
		}
	}
	return "", 0, false
}

// unescape returns the character a double-quoted escape stands for, for the escapes the
// subset accepts.
func unescape(c byte) (byte, bool) {
	switch c {
	case '\\', '"':
		return c, true
	case 'n':
		return '\n', true
	case 't':
		return '\t', true
	case 'r':
		return '\r', true
	}
	return 0, false
}

// blockScalar reads a literal ("|", "|-") or folded (">", ">-") block scalar whose header is
// alone on the rest of its line and whose content lines follow, indented beyond indent. A
// folded scalar is accepted only without blank or more indented lines, so that folding is
// joining its lines with spaces.
func (r *blockReader) blockScalar(header []byte, indent int) bool {
	h := bytes.TrimRight(header, " ")
	if len(h) > 2 || len(h) == 2 && h[1] != '-' {
		return false
	}
	folded, strip := h[0] == '>', len(h) == 2
	sep := byte('\n')
	if folded {
		sep = ' '
	}
	var b []byte
	content, blanks, last := -1, 0, 0
	for ; r.next < len(r.lines); r.next++ {
		l := r.lines[r.next]
		if l.indent == len(l.text) {
			if content < 0 || l.indent > content {
				return false // a leading blank, or spaces beyond the content's indentation
			}
			blanks++
			continue
		}
		if content < 0 {
			if l.indent <= indent {
				return false // an empty block scalar
			}
			content = l.indent
		}
		if l.indent < content {
			break
		}
		if folded && (blanks > 0 || l.indent > content) {
			return false
		}
		for ; blanks > 0; blanks-- {
			b = append(b, '\n')
		}
		if len(b) > 0 {
			b = append(b, sep)
		}
		b = append(b, l.text[content:]...)
		last = r.next
	}
	if content < 0 {
		return false
	}
	if !strip && !(r.open && last == len(r.lines)-1) {
		b = append(b, '\n')
	}
	r.scalar = string(b)
	r.w.nodes++
	writeString(&r.w.b, r.scalar)
	j := r.peek()
	return j < 0 || r.lines[j].indent <= indent
}

// keySet holds the keys of one mapping; mappings of manifests have few keys, so a list beats
// a map.
type keySet struct {
	small [8]string
	keys  []string
}

// add reports whether key was not in the set yet, and adds it.
func (k *keySet) add(key string) bool {
	if k.keys == nil {
		k.keys = k.small[:0]
	}
	if slices.Contains(k.keys, key) {
		return false
	}
	k.keys = append(k.keys, key)
	return true
}
