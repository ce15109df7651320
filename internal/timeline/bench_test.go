package timeline

import (
	"bytes"
	"fmt"
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

// BenchmarkEventsManyPods explains a kubectl get events -o json list of 5 events for each of
// 20,000 pods without UIDs (the shape of a busy cluster's event dump). Its cost must grow with
// the number of events, not with events × pods.
func BenchmarkEventsManyPods(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
	reasons := []string{"Scheduled", "Pulling", "Pulled", "Created", "Started"}
	for p := range 20000 {
		for i, r := range reasons {
			if p+i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"apiVersion":"v1","kind":"Event","metadata":{"name":"e%d-%d",`+
				`"namespace":"ns"},"involvedObject":{"kind":"Pod","name":"p%d","namespace":"ns"},`+
				`"reason":%q,"message":"m","firstTimestamp":"2026-01-01T00:00:0%dZ",`+
				`"lastTimestamp":"2026-01-01T00:00:0%dZ","count":1}`, p, i, p, r, i, i)
		}
	}
	buf.WriteString("]}\n")
	path := filepath.Join(b.TempDir(), "events.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load([]string{path}, Options{OpenLog: openKubelog}); err != nil {
			b.Fatal(err)
		}
	}
}
