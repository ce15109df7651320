package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// buildStartlag compiles the CLI into dir and returns its path.
func buildStartlag(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "startlag")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin,
		"github.com/startlag/startlag/cmd/startlag")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build startlag: %w\n%s", err, out)
	}

	return bin, nil
}

// timedScan runs `startlag scan DIR --fsgroup G --apply -j N` and returns its wall time and
// its "Repair:" summary line. Exit statuses 0, 1 and 3 are verdicts, not failures.
func timedScan(ctx context.Context, bin, dir string, fsGroup int64,
	workers int) (time.Duration, string, error) {
	args := []string{"scan", dir, "--fsgroup", strconv.FormatInt(fsGroup, 10), "--apply",
		"-j", strconv.Itoa(workers)}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)

	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && verdictStatus(exit.ExitCode())) {
		return took, "", fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err,
			stderr.String())
	}

	return took, repairLine(stdout.String()), nil
}

func verdictStatus(code int) bool { return code == 1 || code == 3 }

// repairLine returns the "Repair: ..." line of scan's text output.
func repairLine(out string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "Repair:") {
			return strings.TrimSpace(line)
		}
	}

	return "(no Repair line)"
}

// explained is the part of `startlag explain -o json` the benchmark checks.
type explained struct {
	Pods []struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Diagnosis *struct {
			Cause string  `json:"cause"`
			Delay float64 `json:"delaySeconds"`
		} `json:"diagnosis"`
		Walks []struct {
			Duration float64 `json:"durationSeconds"`
		} `json:"walks"`
	} `json:"pods"`
}

// explainWalk runs `startlag explain LOG -o json` and returns the cause and delay it gives
// for pod, and the longest walk it saw.
func explainWalk(ctx context.Context, bin, log, pod string) (cause string, delay,
	walk time.Duration, err error) {
	out, err := exec.CommandContext(ctx, bin, "explain", log, "-o", "json").Output()
	if err != nil {
		return "", 0, 0, fmt.Errorf("startlag explain %s: %w", log, err)
	}

	var e explained
	if err := json.Unmarshal(out, &e); err != nil {
		return "", 0, 0, fmt.Errorf("startlag explain %s: output: %w", log, err)
	}
	seconds := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for _, p := range e.Pods {
		if p.Name != pod || p.Diagnosis == nil {
			continue
		}
		for _, w := range p.Walks {
			walk = max(walk, seconds(w.Duration))
		}
		return p.Diagnosis.Cause, seconds(p.Diagnosis.Delay), walk, nil
	}

	return "", 0, 0, fmt.Errorf("startlag explain %s: no diagnosis for pod %s", log, pod)
}

// ensureDir creates dir (and parents) when it is not empty.
func ensureDir(dir string) error {
	if dir == "" {
		return nil
	}

	return os.MkdirAll(dir, 0o755)
}
