package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the real main in a child process (STARTLAG_TEST_MAIN=1), so that
// signals and exit codes are those of the binary.
func TestMain(m *testing.M) {
	if os.Getenv("STARTLAG_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startlagProcess starts the test binary as startlag with args.
func startlagProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "STARTLAG_TEST_MAIN=1")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errOut
}

// A read blocked on a fifo never reaches a check of the context; SIGTERM still ends startlag
// with exit code 130, soon after the grace period, for every command that reads inputs.
func TestInterruptWhileBlockedOnInput(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "kubelet.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	for _, args := range [][]string{{"explain", fifo}, {"audit", fifo},
		{"scan", "--from-listing", fifo}} {
		t.Run(args[0], func(t *testing.T) {
			cmd, errOut := startlagProcess(t, args...)
			time.Sleep(300 * time.Millisecond) // let it block in open(2)
			start := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(interruptGrace + 10*time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running %v after SIGTERM", time.Since(start))
			}
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
				t.Errorf("exit %d, want %d; stderr %q", code, exitInterrupted, errOut)
			}
			if !strings.Contains(errOut.String(), "interrupted") {
				t.Errorf("stderr %q does not say interrupted", errOut)
			}
		})
	}
}

// A second signal ends startlag at once, without waiting for the grace period.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	cancelled := false
	exited := make(chan int, 1)
	var errOut bytes.Buffer
	go watchSignals(sigs, func() { cancelled = true }, &errOut, func(c int) { exited <- c })
	sigs <- syscall.SIGINT
	sigs <- syscall.SIGINT
	select {
	case code := <-exited:
		if code != exitInterrupted || !cancelled {
			t.Errorf("exit %d, cancelled %v", code, cancelled)
		}
	case <-time.After(interruptGrace / 2):
		t.Fatal("no exit after the second signal")
	}
}

func TestErrorTextOfInterruption(t *testing.T) {
	for err, want := range map[error]string{
		context.Canceled: "interrupted",
		fmt.Errorf("repairing /v: %w", context.Canceled): "interrupted: repairing /v",
		errors.New("other"): "other",
	} {
		if got := errorText(err); got != want {
			t.Errorf("errorText(%v) = %q, want %q", err, got, want)
		}
	}
}

// A fifo named like a manifest inside an audited directory is left out (a read of it would
// block for ever); the manifests beside it are audited.
func TestAuditSkipsFifoInDirectory(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n"
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
		t.Skip("no fifo:", err)
	}
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := startlag(t, "", "audit", dir)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		if r.code != exitOK || !strings.Contains(r.errOut, "audited 1 workload") {
			t.Errorf("exit %d, stderr %q", r.code, r.errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("audit blocked on the fifo")
	}
}

// An input without any Kubernetes object (what a failed `helm template |` leaves) is an input
// error, not a clean audit.
func TestAuditEmptyInputIsAnError(t *testing.T) {
	for _, in := range []string{"", "\n---\n---\n", "# only a comment\n",
		"replicaCount: 1\nimage: {tag: x}\n"} {
		code, out, errOut := startlag(t, in, "audit", "-o", "json", "-")
		if code != exitError || !strings.Contains(errOut, "no Kubernetes objects") ||
			!strings.Contains(out, `"message": "no Kubernetes objects`) {
			t.Errorf("input %q: exit %d, stdout %q, stderr %q", in, code, out, errOut)
		}
	}
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
	if code, _, errOut := startlag(t, cm, "audit", "-"); code != exitOK {
		t.Errorf("a ConfigMap alone: exit %d, stderr %q", code, errOut)
	}
}

// Numeric flags are checked when parsed: NaN, infinities, negative counts and gids outside
// what Kubernetes accepts are usage errors (4294967295 is chown's "leave the group").
func TestNumericFlagsAreChecked(t *testing.T) {
	dir := t.TempDir()
	bad := [][]string{
		{"scan", dir, "--fsgroup", "4294967295"},
		{"scan", dir, "--fsgroup", "2147483648"},
		{"scan", dir, "--estimate", "--restarts-per-month", "NaN"},
		{"scan", dir, "--estimate", "--restarts-per-month", "0"},
		{"scan", dir, "--estimate", "--restarts-per-month", "-1"},
		{"scan", dir, "--fsgroup", "1000", "--apply", "--max-ops-per-second", "-5"},
		{"scan", dir, "--fsgroup", "1000", "--apply", "--max-ops-per-second", "+Inf"},
		{"explain", "-", "--restarts-per-month", "NaN"},
		{"explain", "-", "--restarts-per-month", "1e400"},
		{"explain", "-", "--restarts-per-month", "1e308"},
		{"scan", dir, "--estimate", "--restarts-per-month", "1e308"},
		{"scan", dir, "--workers", "99999999999"},
		{"scan", dir, "--workers", "0"},
		{"explain", "-", "--volume-files", "-1"},
	}
	for _, args := range bad {
		code, out, errOut := startlag(t, "", args...)
		if code != exitError || out != "" || !strings.Contains(errOut, "--") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := startlag(t, "", "scan", dir, "--fsgroup", "2147483647"); code == exitError {
		t.Errorf("--fsgroup 2147483647 refused: %s", errOut)
	}
}

// An input's file name reaches stderr escaped: an ESC in it cannot recolour the terminal.
func TestStderrEscapesFileNames(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "bad\x1b[31mRED.yaml")
	if err := os.WriteFile(name, []byte("kind: Pod\nmetadata: {name: [}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"audit", name}, {"explain", name}} {
		_, _, errOut := startlag(t, "", args...)
		if strings.Contains(errOut, "\x1b") || !strings.Contains(errOut, `bad\x1b[31mRED`) {
			t.Errorf("%v: stderr %q", args[0], errOut)
		}
	}
}

// TestHelpFitsTheWidth: every --help page, flags included, stays within helpWidth columns.
func TestHelpFitsTheWidth(t *testing.T) {
	for _, verb := range []string{"", "audit", "explain", "scan"} {
		args := []string{"--help"}
		if verb != "" {
			args = []string{verb, "--help"}
		}
		_, out, _ := startlag(t, "", args...)
		for _, line := range strings.Split(out, "\n") {
			if n := len([]rune(line)); n > helpWidth {
				t.Errorf("startlag %s --help: a line of %d columns: %q", verb, n, line)
			}
		}
	}
}
