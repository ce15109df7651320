package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/startlag/startlag/internal/manifest"
)

// benchCopies is how many times the chart renders are copied into the benchmark corpus: 40
// copies of the 11 renders hold 5,160 objects.
const benchCopies = 40

// benchCorpus copies the chart renders of the shared corpus benchCopies times into a temporary
// directory and returns it with the number of objects it holds.
func benchCorpus(b *testing.B) (string, int) {
	b.Helper()
	src := filepath.Join(corpusDir, "charts")
	files, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
	if len(files) == 0 {
		b.Skipf("no chart renders under %s (corpus expected beside the repository)", src)
	}
	dir := b.TempDir()
	for i := range benchCopies {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			name := fmt.Sprintf("%02d-%s", i, filepath.Base(f))
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	set := manifest.Load(context.Background(), []string{dir}, nil)
	if len(set.Errors) > 0 {
		b.Fatalf("corpus does not load cleanly: %v", set.Errors[0])
	}
	return dir, set.Objects
}

// BenchmarkAudit runs `startlag audit DIR -o json` end to end (walk, read, decode, rules,
// render) over the replicated chart renders and reports manifests (objects) per second.
// bench/audit-vs-kube-score.sh compares the same corpus with kube-score.
func BenchmarkAudit(b *testing.B) {
	dir, objects := benchCorpus(b)
	s := streams{In: nil, Out: io.Discard, Err: io.Discard}
	b.ResetTimer()
	for b.Loop() {
		if code := run(context.Background(), []string{"audit", dir, "-o", "json"}, s); code != 1 {
			b.Fatalf("exit status %d, want 1 (findings)", code)
		}
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "manifests/s")
}
