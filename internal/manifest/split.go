package manifest

import "bytes"

// chunk is a piece of a YAML stream that holds at most the documents between two document
// markers, with the 1-based line of its first byte in the stream.
type chunk struct {
	data []byte
	line int
}

// splitChunks cuts a YAML stream before every "---" document start marker and after every "..."
// document end marker. In YAML a marker is recognised only at column 0 and followed by a space,
// a tab or the end of the line; the specification forbids that sequence inside any scalar (block
// scalars included, whose content is always indented under a key), so a cut never falls inside a
// document. Cutting serves only to isolate errors and bound document size: each chunk is still
// decoded by the YAML library, which stays the authority on where documents begin and end (a
// chunk it reads as several documents is decoded as several).
//
// Chunks holding only blank lines, comments and directives are merged into the next chunk, so
// a "%YAML" directive stays with its document. The returned chunks alias data.
func splitChunks(data []byte) []chunk {
	var chunks []chunk
	start, startLine := 0, 1
	contentSeen := false
	line := 1

	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		text := data[off:next]

		switch {
		case isMarker(text, "---"):
			if contentSeen {
				chunks = append(chunks, chunk{data: data[start:off], line: startLine})
				start, startLine = off, line
			}
			contentSeen = true
		case isMarker(text, "..."):
			chunks = append(chunks, chunk{data: data[start:next], line: startLine})
			start, startLine = next, line+1
			contentSeen = false
		case !contentSeen && isContentLine(text):
			contentSeen = true
		}

		off = next
		line++
	}

	if start < len(data) {
		chunks = append(chunks, chunk{data: data[start:], line: startLine})
	}
	return chunks
}

// isMarker reports whether line (with its newline, if any) is the document marker m at column 0
// followed by a space, a tab or the end of the line.
func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	if len(line) == len(m) {
		return true
	}
	switch line[len(m)] {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// isContentLine reports whether line holds anything but blanks, a comment or a directive.
func isContentLine(line []byte) bool {
	t := bytes.TrimLeft(line, " \t\r\n\ufeff")
	if len(t) == 0 {
		return false
	}
	return t[0] != '#' && !(t[0] == '%' && len(line) > 0 && line[0] == '%')
}
