package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/startlag/startlag/internal/manifest"
)

// chartPaths returns every rendered chart of the corpus, skipping when it is absent.
func chartPaths(b *testing.B) []string {
	b.Helper()
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "charts", "*.yaml"))
	if _, err := os.Stat(corpusDir); err != nil || len(paths) == 0 {
		b.Skipf("corpus not found at %s", corpusDir)
	}
	return paths
}

// BenchmarkLoadCharts is the baseline: reading and decoding the 11 rendered charts.
func BenchmarkLoadCharts(b *testing.B) {
	paths := chartPaths(b)
	for b.Loop() {
		manifest.Load(context.Background(), paths, nil)
	}
}

// BenchmarkAuditCharts runs every rule over the same, already loaded, input; compare its
// ns/op with BenchmarkLoadCharts.
func BenchmarkAuditCharts(b *testing.B) {
	set := manifest.Load(context.Background(), chartPaths(b), nil)
	for b.Loop() {
		Run(set, Options{})
	}
}
