package manifest

import "bytes"

// Fast path for objects that are not audited. Most objects of a rendered chart (ConfigMaps,
// Secrets, Services, RBAC) are only counted, so their kind is read from their top-level lines
// instead of parsing the whole document. The fast path applies only to plain block-style
// documents: every line at column 0 must be a plain "key:" or "key: value" line of the
// top-level mapping, with exactly one apiVersion and one kind whose values are plain words on
// their line; the mapping must start at column 0.
// Anything else (flow or JSON documents, quoted keys, sequences, directives, content on a
// "---" line) takes the full parse. The price: syntax errors inside a skipped object are not
// reported; it is counted and skipped all the same.

// topKey splits a plain top-level "key:" or "key: value" line (key: a letter or "_", then
// letters, digits, "_", "." or "-") into key and value.
func topKey(line []byte) (key, value []byte, ok bool) {
	i := 0
	for i < len(line) && isKeyByte(line[i], i == 0) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return nil, nil, false
	}
	rest := line[i+1:]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return nil, nil, false
	}
	return line[:i], rest, true
}

func isKeyByte(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		return true
	case first:
		return false
	}
	return c >= '0' && c <= '9' || c == '.' || c == '-'
}

// isPlainWord reports whether s is a value accepted for apiVersion and kind on the fast path:
// a letter or digit, then letters, digits, "_", ".", "/" or "-".
func isPlainWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '/' && c != '-') {
			return false
		}
	}
	return s != ""
}

// sniffKind returns the apiVersion and kind of a plain block-style document, and whether the
// fast path applies to it.
func sniffKind(doc []byte) (apiVersion, kind string, ok bool) {
	nAPI, nKind := 0, 0
	seenKey, afterID := false, false
	for len(doc) > 0 {
		var line []byte
		line, doc = cutLine(doc)
		switch {
		case isBlankOrComment(line):
			continue
		case line[0] == ' ':
			// An indented line: nested content, unless it comes before the first key (the root
			// mapping is indented) or continues an apiVersion or kind value.
			if !seenKey || afterID {
				return "", "", false
			}
			continue
		case isMarker(line, "---"):
			if len(bytes.TrimSpace(line[3:])) > 0 {
				return "", "", false
			}
			continue
		}

		key, value, isKey := topKey(line)
		if !isKey {
			return "", "", false
		}
		seenKey, afterID = true, false
		switch string(key) {
		case "apiVersion":
			apiVersion, nAPI, afterID = sniffValue(value), nAPI+1, true
		case "kind":
			kind, nKind, afterID = sniffValue(value), nKind+1, true
		}
	}
	ok = nAPI == 1 && nKind == 1 && isPlainWord(apiVersion) && isPlainWord(kind)
	return apiVersion, kind, ok
}

// isBlankOrComment reports whether line holds only blanks or a comment.
func isBlankOrComment(line []byte) bool {
	for _, c := range line {
		switch c {
		case ' ', '\t', '\r':
			continue
		case '#':
			return true
		}
		return false
	}
	return true
}

// cutLine returns the first line of b without its line ending, and the rest.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte("\r")), nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}

// sniffValue trims a trailing comment and blanks from a plain value.
func sniffValue(v []byte) string {
	if i := bytes.Index(v, []byte(" #")); i >= 0 {
		v = v[:i]
	}
	return string(bytes.TrimSpace(v))
}
