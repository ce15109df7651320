package timeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/startlag/startlag/internal/kubelog"
)

// BenchmarkKubelogOnly is the baseline: reading the real 4M-file kubelet log with the log reader
// alone. BenchmarkExplain4MLog adds the timeline model on the same input; the ratio of the two is
// the model's overhead.
func BenchmarkKubelogOnly(b *testing.B) {
	path := benchLog(b)
	for b.Loop() {
		f, _ := os.Open(path)
		r := kubelog.NewReader(f, path, kubelog.Options{Year: 2026})
		for {
			if _, ok := r.Next(); !ok {
				break
			}
		}
		f.Close()
	}
}

func BenchmarkExplain4MLog(b *testing.B) {
	path := benchLog(b)
	for b.Loop() {
		if _, err := Load([]string{path}, Options{OpenLog: openKubelog}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLog(b *testing.B) string {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "real-kubelet-v1.37.2",
		"kubelet-v4-fsgroup-always-4m-files.log")
	if _, err := os.Stat(path); err != nil {
		b.Skipf("corpus not available: %v", err)
	}
	b.ReportAllocs()
	return path
}
