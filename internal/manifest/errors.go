package manifest

import (
	"fmt"
	"strings"
)

// InputError is a problem with one file or one document of the input: unreadable, binary,
// malformed, too large, or an object that does not decode. Pos names the file and, where known,
// the line (and column) of the document or object. Loading continues after an InputError.
type InputError struct {
	Pos Position
	Err error
}

// Error renders the error as "file:line:column: message", leaving out a zero line or column.
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.File)
	if e.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Pos.Line)
		if e.Pos.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Pos.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// inputErrorf returns an *InputError at pos with a formatted cause (%w is honoured).
func inputErrorf(pos Position, format string, args ...any) *InputError {
	return &InputError{Pos: pos, Err: fmt.Errorf(format, args...)}
}
