package manifest

import (
	"bytes"
	"encoding/json"
)

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

// splitJSONValues cuts a stream of JSON values written one after another, as `jq '.items[]'`
// prints them and kubectl reads them, into one chunk per value. It reports false when data
// does not start with a JSON object or holds a single value; it stops at the first value that
// is not valid JSON, whose rest becomes the last chunk, so the YAML reading names its error.
func splitJSONValues(data []byte) ([]chunk, bool) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, false
	}
	var chunks []chunk
	dec := json.NewDecoder(bytes.NewReader(data))
	start := 0
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		end := int(dec.InputOffset())
		chunks = append(chunks, chunk{data: data[start:end], line: lineAt(data, start)})
		start = end
	}
	if len(chunks) < 2 {
		return nil, false
	}
	if rest := data[start:]; len(bytes.TrimSpace(rest)) > 0 {
		chunks = append(chunks, chunk{data: rest, line: lineAt(data, start)})
	}
	return chunks, true
}

// lineAt is the 1-based line of data[off].
func lineAt(data []byte, off int) int { return 1 + bytes.Count(data[:off], []byte{'\n'}) }

// loneCRToLF turns each carriage return that is not followed by a line feed (old Mac line
// ends) into a line feed, in place: YAML reads a lone CR as a line break, so the splitter and
// the line numbers must too. The length, and so every byte offset, stays the same.
func loneCRToLF(data []byte) []byte {
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 >= len(data) || data[i+1] != '\n' {
			data[i] = '\n'
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return data
}
