package main

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes. They are a public contract, documented in README.md and in --help.
const (
	exitOK = 0
	// exitFindings: audit found something at or above --fail-on; scan's verdict is unsafe.
	exitFindings = 1
	// exitError: bad usage, unreadable or malformed input, or a runtime failure.
	exitError = 2
	// exitWalksAnyway: scan's verdict is walks-anyway (the volume root fails the
	// OnRootMismatch test, so the kubelet walks the whole volume even with that policy).
	exitWalksAnyway = 3
	// exitInterrupted: the run was cancelled by SIGINT or SIGTERM.
	exitInterrupted = 130
)

// exitError carries an exit code through cobra's RunE. A nil err means "exit with code, having
// already reported everything".
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

// withCode returns an error that makes startlag exit with code. err may be nil when the command
// has already printed what it had to say.
func withCode(code int, err error) error { return &codeError{code: code, err: err} }

// usageError marks err as a usage error (exit 2, with a hint to run --help).
func usageError(err error) error { return withCode(exitError, fmt.Errorf("%w (see --help)", err)) }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	var ce *codeError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ce):
		return ce.code
	}
	return exitError
}
