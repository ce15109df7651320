package volscan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/startlag/startlag/internal/volscan/treegen"
)

// benchEntries is the size of the benchmark tree (a Terraform-automation-shaped volume).
const benchEntries = 50000

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// benchTree generates the shared benchmark tree once, consistent with the process's group.
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "startlag-bench-")
		if benchErr == nil {
			benchErr = treegen.Generate(filepath.Join(benchDir, "vol"), benchEntries, 1)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	dir := filepath.Join(benchDir, "vol")
	gid, err := RootGID(dir)
	if err != nil {
		b.Fatal(err)
	}
	return dir, gid
}

// TestMain removes the benchmark tree.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(benchEntries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkCheck is our stat-only check (8 workers) on a consistent tree.
func BenchmarkCheck(b *testing.B) {
	dir, gid := benchTree(b)
	for b.Loop() {
		if _, err := Check(context.Background(), dir, Options{FSGroup: gid}); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkCheckSerial is the check with one worker.
func BenchmarkCheckSerial(b *testing.B) {
	dir, gid := benchTree(b)
	for b.Loop() {
		opt := Options{FSGroup: gid}
		opt.Walk.Workers = 1
		if _, err := Check(context.Background(), dir, opt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkRepairConsistent is a repair of a tree that needs nothing.
func BenchmarkRepairConsistent(b *testing.B) {
	dir, gid := benchTree(b)
	for b.Loop() {
		if _, err := Repair(context.Background(), dir, RepairOptions{
			Options: Options{FSGroup: gid}}); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkKubeletAlways is the baseline: the kubelet's serial walk on the same tree.
func BenchmarkKubeletAlways(b *testing.B) {
	dir, gid := benchTree(b)
	for b.Loop() {
		if _, err := KubeletAlways(dir, gid, false); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkFindG is the other baseline: GNU find -printf '%G %m\n' (same stat work).
func BenchmarkFindG(b *testing.B) {
	dir, _ := benchTree(b)
	if _, err := exec.LookPath("find"); err != nil {
		b.Skip("find not installed")
	}
	for b.Loop() {
		cmd := exec.Command("find", dir, "-printf", "%G %m\n")
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}
