package walk

import (
	"strings"
	"unicode/utf8"
)

// Escape makes a path printable on one line: bytes that are not valid UTF-8 and ASCII control
// characters become \xNN, and a backslash becomes \\, so the result is unambiguous. Valid
// UTF-8 paths without control characters or backslashes are returned unchanged.
func Escape(p string) string {
	if !needsEscape(p) {
		return p
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
			c := p[i]
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(p string) bool {
	if !utf8.ValidString(p) {
		return true
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return true
		}
	}
	return false
}
