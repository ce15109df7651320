// Package report renders startlag's results. Every output format is a Renderer behind one small
// interface, one file per format and result type; commands pick a renderer by name.
package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/startlag/startlag/internal/walk"
)

// Renderer writes one result value in one output format.
type Renderer[T any] interface {
	Render(w io.Writer, v T) error
}

// RendererFunc adapts a function to the Renderer interface.
type RendererFunc[T any] func(w io.Writer, v T) error

// Render calls f.
func (f RendererFunc[T]) Render(w io.Writer, v T) error { return f(w, v) }

// Formats maps output format names (as given to -o) to renderers for one result type.
type Formats[T any] map[string]Renderer[T]

// Get returns the renderer for name, or an error that lists the valid names.
func (f Formats[T]) Get(name string) (Renderer[T], error) {
	if r, ok := f[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown output format %q (valid: %s)", name, strings.Join(f.Names(), ", "))
}

// Names returns the format names, sorted.
func (f Formats[T]) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorEnabled reports whether colour may be written to w: w is a terminal, NO_COLOR is unset
// and TERM is not "dumb".
func ColorEnabled(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// Message writes msg to w, the standard error, as "startlag: " lines: every line made printable
// (file names and text from inputs cannot move the cursor or recolour the terminal), the lines
// after the first indented under it. kind, such as "warning: ", follows the prefix.
func Message(w io.Writer, kind, msg string) {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for i, line := range lines {
		if i == 0 {
			fmt.Fprintf(w, "startlag: %s%s\n", kind, printable(line))
			continue
		}
		fmt.Fprintf(w, "          %s\n", printable(line))
	}
}

// printable makes text from an input safe to print on a terminal: ASCII control characters
// but tab and bytes that are not UTF-8 become \xNN; C1 controls and bidirectional formatting
// characters (walk.IsHiddenControl: escape sequences, reordered text) become \uNNNN. Other
// text, backslashes included, is returned unchanged, so log lines stay as they were written.
func printable(s string) string {
	if !needsPrintable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case walk.IsHiddenControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r == utf8.RuneError || walk.IsHiddenControl(r) {
			return true
		}
	}
	return false
}
