package manifest

import "bytes"

// MaxNesting is the deepest nesting of collections a document may have. Kubernetes objects,
// CRD schemas included, stay far below it; the YAML libraries' own limits (10,000 levels) come
// only after time and memory that grow with the square of the depth, so deeper documents are
// refused before they are parsed.
const MaxNesting = 1000

// nestingBound returns an upper bound of the nesting depth of a YAML or JSON document and the
// 1-based line where it is reached, in one pass without parsing. Block nesting is bounded by a
// line's indentation plus its compact "- " entries; flow nesting by the brackets open outside
// quoted scalars, comments and block scalars. The bound may exceed the true depth (a bracket in
// a plain scalar counts), never fall short of it.
func nestingBound(data []byte) (depth, line int) {
	var s nestScan
	for n, l := range bytes.Split(data, []byte("\n")) {
		if d := s.line(l); d > depth {
			depth, line = d, n+1
		}
	}
	return depth, line
}

// nestScan is the state nestingBound carries from line to line.
type nestScan struct {
	flow    int  // flow collections open
	quote   byte // the quote of a quoted scalar still open, or 0
	inBlock bool // the lines that follow are a block scalar's content
	// blockScalar is the column where the block scalar's header line starts its key or value,
	// after the indentation and any "- " entries: its content is indented further.
	blockScalar int
}

// line scans one line and returns the deepest bound reached on it.
func (s *nestScan) line(l []byte) int {
	indent := 0
	for indent < len(l) && (l[indent] == ' ' || l[indent] == '\t') {
		indent++
	}
	if s.inBlock {
		if indent > s.blockScalar || indent == len(l) {
			return 0 // block scalar content (or a blank line inside it): text, not structure
		}
		s.inBlock = false
	}

	rest := l[indent:]
	depth := indent
	for len(rest) >= 2 && (rest[0] == '-' || rest[0] == '?') && isSpace(rest[1]) {
		depth++
		rest = bytes.TrimLeft(rest[2:], " \t")
	}
	return depth + s.flowPart(rest, len(l)-len(rest))
}

// flowPart scans the text of a line after its indentation and entry markers, updating the
// open flow collections and quotes, and returns the most flow collections open at once. A
// quote opens a quoted scalar only where a scalar can start (the start of the text, after ":",
// ",", "[" or "{"), so an apostrophe inside a plain scalar hides nothing.
func (s *nestScan) flowPart(b []byte, col int) int {
	deepest := s.flow
	start := true // a scalar may start here
	for i := 0; i < len(b); i++ {
		c := b[i]
		if s.quote != 0 {
			switch {
			case c == '\\' && s.quote == '"':
				i++
			case c == '\'' && s.quote == '\'' && i+1 < len(b) && b[i+1] == '\'':
				i++
			case c == s.quote:
				s.quote = 0
			}
			continue
		}
		switch {
		case isSpace(c):
		case c == '#' && (i == 0 || isSpace(b[i-1])):
			return deepest
		case (c == '"' || c == '\'') && start:
			s.quote, start = c, false
		case c == '[' || c == '{':
			s.flow++
			deepest = max(deepest, s.flow)
			start = true
		case c == ']' || c == '}':
			s.flow = max(s.flow-1, 0)
			start = false
		case c == ',' || c == ':':
			start = true
		case (c == '|' || c == '>') && start && s.flow == 0 && isBlockHeader(b[i+1:]):
			s.inBlock, s.blockScalar = true, col
			return deepest
		default:
			start = false
		}
	}
	return deepest
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// isBlockHeader reports whether what follows a "|" or ">" is the rest of a block scalar
// header: chomping and indentation indicators, then blanks or a comment.
func isBlockHeader(b []byte) bool {
	for i, c := range b {
		switch {
		case c == '-' || c == '+' || (c >= '1' && c <= '9'):
		case isSpace(c) || c == '#' || c == '\r':
			t := bytes.TrimLeft(b[i:], " \t\r")
			return len(t) == 0 || t[0] == '#'
		default:
			return false
		}
	}
	return true
}
