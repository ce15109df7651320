package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func corpusFile(t *testing.T, name string) *os.File {
	t.Helper()

	dir := filepath.Join("..", "..", "..", "shared", "corpus", "real-kubelet-v1.37.2")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found beside the repository (%s): %v", dir, err)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })

	return f
}

// The real kubelet's metrics after two Always walks of a local volume (200k then 4M files)
// and one of an emptyDir: only the local-volume series count.
func TestParseWalkTotalsRealKubelet(t *testing.T) {
	got, err := parseWalkTotals(corpusFile(t, "kubelet-metrics-after-always-4m.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 2 || math.Abs(got.Sum-80.122393727) > 1e-9 {
		t.Errorf("walk totals = %+v, want count 2 sum 80.122393727", got)
	}

	before, err := parseWalkTotals(corpusFile(t, "kubelet-metrics-after-always-200k.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d, n := got.Since(before)
	if n != 1 || d.Round(time.Millisecond) != 77822*time.Millisecond {
		t.Errorf("4M walk = %v in %d walks, want 77.822s in 1", d, n)
	}
}

func TestHoursPerYear(t *testing.T) {
	// 30 minutes lost on each of 100 restarts a month: 50 h a month, 600 h a year.
	if got := HoursPerYear(30*time.Minute, 100); got != 600 {
		t.Errorf("HoursPerYear(30m, 100) = %v, want 600", got)
	}
	if got := HoursPerYear(36*time.Second, 10); got != 1.2 {
		t.Errorf("HoursPerYear(36s, 10) = %v, want 1.2", got)
	}
}

func TestComparisonRatioAndDelay(t *testing.T) {
	c := Comparison{
		Always: Series{Samples: []Sample{{Restart: 30 * time.Second},
			{Restart: 20 * time.Second}, {Restart: 25 * time.Second}}},
		OnRoot: Series{Samples: []Sample{{Restart: 2 * time.Second},
			{Restart: 3 * time.Second}, {Restart: 2500 * time.Millisecond}}},
	}
	if got := c.Ratio(); got != 10 {
		t.Errorf("Ratio = %v, want 10 (25 s / 2.5 s)", got)
	}
	if got := c.Delay(); got != 22500*time.Millisecond {
		t.Errorf("Delay = %v, want 22.5s", got)
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `/plain`: "/plain", `/x\134y`: `/x\y`, `/end\04`: `/end\04`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseWalkTotals: any text either parses or returns an error; never a panic, and a
// walk count never goes negative.
func FuzzParseWalkTotals(f *testing.F) {
	f.Add("storage_operation_duration_seconds_sum{operation_name=\"volume_apply_access_control\"," +
		"volume_plugin=\"kubernetes.io/local-volume\"} 1.5\n")
	f.Add("storage_operation_duration_seconds_count{operation_name=\"volume_apply_access_control\"" +
		",volume_plugin=\"kubernetes.io/local-volume\"} 2 1700000000\n# HELP x\n")
	f.Add("storage_operation_duration_seconds_sum}{ 1")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseWalkTotals(strings.NewReader(text))
		if err == nil && got.Count < 0 && !strings.Contains(text, "-") {
			t.Errorf("negative count %d from %q", got.Count, text)
		}
		_ = unescapeOctal(text)
	})
}
