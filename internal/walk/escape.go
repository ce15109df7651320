package walk

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes a path printable on one line: bytes that are not valid UTF-8 and ASCII control
// characters become \xNN, C1 controls and bidirectional formatting characters (which can make
// a name display as another) become \uNNNN, and a backslash becomes \\, so the result is
// unambiguous. Valid UTF-8 paths without any of these are returned unchanged.
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
		case IsHiddenControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
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
	wide := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f || c == '\\' {
			return true
		}
		wide = wide || c >= 0x80
	}
	if wide {
		for _, r := range p {
			if IsHiddenControl(r) {
				return true
			}
		}
	}
	return false
}

// IsHiddenControl reports whether r is a character a terminal does not show as itself: a C1
// control (U+0080–U+009F, which can start escape sequences) or a bidirectional formatting
// character (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069: marks, embeddings, overrides and
// isolates that reorder the text around them, so a name can display as another).
func IsHiddenControl(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
