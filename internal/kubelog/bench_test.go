package kubelog

import (
	"bytes"
	"sync"
	"testing"

	"github.com/startlag/startlag/internal/kubelog/internal/loggen"
)

var (
	benchOnce sync.Once
	benchLog  []byte
	benchGen  loggen.Stats
)

// benchData is 64 MiB of synthetic -v=4 kubelet log, generated once per test binary.
func benchData(b *testing.B) []byte {
	benchOnce.Do(func() {
		var buf bytes.Buffer
		st, err := loggen.Write(&buf, loggen.Config{Size: 64 << 20, Pods: 400, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		benchLog, benchGen = buf.Bytes(), st
	})
	return benchLog
}

// BenchmarkReader streams the synthetic log through a Reader; compare its MB/s with
// `grep -F 'Setting volume ownership'` on the same bytes (bench/kubelog-vs-grep.sh).
func BenchmarkReader(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), "bench.log", opts2026)
		n := 0
		for {
			if _, ok := r.Next(); !ok {
				break
			}
			n++
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
}

// BenchmarkBytesIndex is the in-process baseline: bytes.Index for the grep pattern over the
// same bytes (what grep -F does, without the I/O).
func BenchmarkBytesIndex(b *testing.B) {
	data := benchData(b)
	pat := []byte("Setting volume ownership")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n := 0
		for rest := data; ; {
			i := bytes.Index(rest, pat)
			if i < 0 {
				break
			}
			n++
			rest = rest[i+len(pat):]
		}
		if int64(n) != benchGen.Ownership {
			b.Fatalf("%d matches, generator wrote %d", n, benchGen.Ownership)
		}
	}
}

// TestGeneratedLogCounts checks the reader against the generator's own counts.
func TestGeneratedLogCounts(t *testing.T) {
	var buf bytes.Buffer
	st, err := loggen.Write(&buf, loggen.Config{Size: 8 << 20, Pods: 50, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	evs, rst, err := ReadAll(&buf, "gen.log", opts2026)
	if err != nil {
		t.Fatal(err)
	}
	if rst.Recognised != st.Interesting || rst.Lines != st.Lines || rst.Garbage != 0 {
		t.Errorf("reader %+v, generator %+v", rst, st)
	}
	own := len(ofKind(evs, KindOwnershipWarning)) + len(ofKind(evs, KindOwnershipProgress))
	if int64(own)+rst.Duplicates < st.Ownership {
		t.Errorf("%d ownership events (+%d dup), generator wrote %d", own, rst.Duplicates,
			st.Ownership)
	}
}
