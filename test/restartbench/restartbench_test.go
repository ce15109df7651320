package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/startlag/startlag/test/cluster"
	"github.com/startlag/startlag/test/slowfs"
)

// TestSmoke runs the whole benchmark on tiny volumes, one restart each, so that the code keeps
// working; it skips where no cluster can run. The real figures come from the full run:
// STARTLAG_BENCH_RESTART=1 (see TestFull) or bench/restart.sh.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	if why := cluster.Unavailable(clusterOptions()); why != "" {
		t.Skip(why)
	}

	cfg := Config{
		Files: 3000, Runs: 1, SlowFiles: 300, SlowRuns: 1, Latency: time.Millisecond,
		RestartsPerMonth: 100, FSGroup: 2000, Corrupt: 0.01, Seed: 1, ScanWorkers: []int{8},
		LogDir: t.TempDir(), Logf: t.Logf,
	}
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("Run: %v\noutput so far:\n%s", err, out.String())
	}
	t.Log(out.String())

	for _, want := range []string{"== local disk", "ratio Always/OnRootMismatch",
		"hours per year", "repair, consistent volume", "explain check"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// explain must agree with the kubelet's own metric on the walk it logged.
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "explain check") && !strings.HasSuffix(line, ": OK") {
			t.Errorf("explain disagrees with the kubelet: %s", line)
		}
	}
	if slowfs.Available() == nil && !strings.Contains(out.String(), "== slowfs") {
		t.Error("output lacks the slowfs part")
	}
}

// TestFull is the full benchmark, run only with STARTLAG_BENCH_RESTART=1 (it takes about
// half an hour and a 1M-entry volume).
func TestFull(t *testing.T) {
	if os.Getenv("STARTLAG_BENCH_RESTART") != "1" {
		t.Skip("set STARTLAG_BENCH_RESTART=1 to run the full restart benchmark")
	}

	cfg, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logf = t.Logf
	var out bytes.Buffer
	if err := Run(context.Background(), cfg, &out); err != nil {
		t.Fatalf("Run: %v\noutput so far:\n%s", err, out.String())
	}
	t.Log(out.String())
}
