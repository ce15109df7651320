package kubelog

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Two lines from case01, enough to tell whether events survive the transport.
const sampleLog = `I0412 09:02:11.452118    2817 kubelet.go:2425] "SyncLoop ADD" source="api" ` +
	`pods=["platform-ci/tfrunner-0"]` + "\n" +
	`I0412 09:04:14.426118    2817 util.go:30] "No sandbox for pod can be found. Need to start ` +
	`a new one" pod="platform-ci/tfrunner-0"` + "\n"

func read(t *testing.T, data []byte) ([]Event, Stats) {
	t.Helper()
	evs, st, err := ReadAll(bytes.NewReader(data), "test.log", opts2026)
	if err != nil {
		t.Fatal(err)
	}
	return evs, st
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReaderGzipSniffed(t *testing.T) {
	evs, st := read(t, gz(t, []byte(sampleLog)))
	if len(evs) != 2 || st.Truncated || st.Lines != 2 {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if evs[1].Src.Line != 2 || evs[1].Src.File != "test.log" {
		t.Errorf("source %+v", evs[1].Src)
	}
}

func TestReaderTruncatedGzip(t *testing.T) {
	f, err := os.ReadFile(corpusPath(t, "cases/case01.kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	full := gz(t, f)
	evs, st := read(t, full[:len(full)*2/3])
	if !st.Truncated || len(st.Warnings) == 0 {
		t.Fatalf("truncation not reported: %+v", st)
	}
	if len(evs) < 5 || len(evs) >= 35 {
		t.Errorf("%d events kept from two thirds of the stream", len(evs))
	}
	if !strings.HasPrefix(st.Warnings[0], "test.log:") {
		t.Errorf("warning %q lacks file:line", st.Warnings[0])
	}
}

func TestReaderLongLineSkipped(t *testing.T) {
	long := "I0412 09:03:00.000000    2817 x.go:1] \"No sandbox for pod can be found\" pod=\"a/" +
		strings.Repeat("x", MaxLineBytes+10) + "\"\n"
	evs, st := read(t, []byte(sampleLog[:strings.Index(sampleLog, "\n")+1]+long+
		sampleLog[strings.Index(sampleLog, "\n")+1:]))
	if len(evs) != 2 || st.SkippedLong != 1 || st.Lines != 3 {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if evs[1].Src.Line != 3 {
		t.Errorf("line after the long one numbered %d", evs[1].Src.Line)
	}
}

func TestReaderInvalidUTF8AndGarbage(t *testing.T) {
	bad := "I0412 09:03:00.000000    2817 util.go:30] \"No sandbox for pod can be found. Need " +
		"to start a new one\" pod=\"a/b\xff\xfe\"\r\n"
	data := "\x00\x01garbage line\n\n" + bad + "goroutine 1 [running]:\n\tmain.go:12 +0x1\n"
	evs, st := read(t, []byte(data))
	if len(evs) != 1 || st.InvalidUTF8 != 1 || st.Garbage != 3 || st.Continuation != 1 {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	if !strings.Contains(evs[0].Text, "\uFFFD") || strings.HasSuffix(evs[0].Text, "\r") {
		t.Errorf("text %q", evs[0].Text)
	}
}

func TestReaderCRLF(t *testing.T) {
	evs, _ := read(t, []byte(strings.ReplaceAll(sampleLog, "\n", "\r\n")))
	if len(evs) != 2 || evs[1].Pod.Name != "tfrunner-0" {
		t.Fatalf("%+v", evs)
	}
}

func TestReaderNoTrailingNewline(t *testing.T) {
	evs, _ := read(t, []byte(strings.TrimSuffix(sampleLog, "\n")))
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
}

// Kubelets ≤1.27 print the wait error twice per cycle (kubelet.go and pod_workers.go); the
// reader keeps one.
func TestReaderDedupWaitPair(t *testing.T) {
	data := `E0412 07:17:05.004511    4411 kubelet.go:1760] "Unable to attach or mount volumes ` +
		`for pod; skipping pod" err="unmounted volumes=[data], unattached volumes=[]: timed out ` +
		`waiting for the condition" pod="shop/web-0"` + "\n" +
		`E0412 07:17:05.004600    4411 pod_workers.go:951] "Error syncing pod, skipping" ` +
		`err="unmounted volumes=[data], unattached volumes=[]: timed out waiting for the ` +
		`condition" pod="shop/web-0" podUID="1b2c3d4e-0000-4000-8000-000000000001"` + "\n" +
		`E0412 07:19:11.004600    4411 pod_workers.go:951] "Error syncing pod, skipping" ` +
		`err="unmounted volumes=[data], unattached volumes=[]: timed out waiting for the ` +
		`condition" pod="shop/web-0" podUID="1b2c3d4e-0000-4000-8000-000000000001"` + "\n"
	evs, st := read(t, []byte(data))
	if len(evs) != 2 || st.Duplicates != 1 {
		t.Fatalf("%d events, %d duplicates", len(evs), st.Duplicates)
	}
}

func TestReaderSeveralPodsPerLine(t *testing.T) {
	data := `I0412 07:15:00.000000    4411 kubelet.go:2425] "SyncLoop ADD" source="file" ` +
		`pods=["kube-system/etcd-n1","kube-system/kube-apiserver-n1"]` + "\n"
	evs, _ := read(t, []byte(data))
	if len(evs) != 2 || evs[1].Pod.Name != "kube-apiserver-n1" || evs[1].Src.Line != 1 {
		t.Fatalf("%+v", evs)
	}
}

func TestReaderYearRollover(t *testing.T) {
	data := `I1231 23:59:59.000000    1 util.go:30] "No sandbox for pod can be found" pod="a/b"` +
		"\n" + `I0101 00:00:01.000000    1 util.go:30] "No sandbox for pod can be found" pod="a/b"` +
		"\n"
	evs, _ := read(t, []byte(data))
	if len(evs) != 2 || evs[0].Time.Year() != 2026 || evs[1].Time.Year() != 2027 {
		t.Fatalf("%v / %v", evs[0].Time, evs[1].Time)
	}
}

func TestReaderEmpty(t *testing.T) {
	evs, st := read(t, nil)
	if len(evs) != 0 || st.Lines != 0 {
		t.Fatalf("%+v %+v", evs, st)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		f.n++
		return copy(p, sampleLog), nil
	}
	return 0, os.ErrPermission
}

func TestReaderReadError(t *testing.T) {
	evs, _, err := ReadAll(&failingReader{}, "broken.log", opts2026)
	if err == nil || !strings.Contains(err.Error(), "broken.log") {
		t.Fatalf("err = %v", err)
	}
	if len(evs) != 2 {
		t.Errorf("%d events before the error", len(evs))
	}
}

// onlyReader hides the concrete type so that the reader uses its read-ahead goroutine.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReaderReadAheadMatchesSync(t *testing.T) {
	f, err := os.ReadFile(corpusPath(t, "cases/case01.kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat(f, 400) // several read-ahead blocks, lines across block borders
	a, sa, err := ReadAll(onlyReader{bytes.NewReader(big)}, "x", opts2026)
	if err != nil {
		t.Fatal(err)
	}
	b, sb := read(t, big)
	if len(a) != len(b) || sa.Lines != sb.Lines || sa.Lines != 36*400 {
		t.Fatalf("read-ahead %d events / %d lines, in-memory %d / %d", len(a), sa.Lines, len(b),
			sb.Lines)
	}
	for i := range a {
		if a[i].Text != b[i].Text || a[i].Src.Line != b[i].Src.Line {
			t.Fatalf("event %d differs: %+v vs %+v", i, a[i].Src, b[i].Src)
		}
	}
}

func TestReaderCloseEarly(t *testing.T) {
	big := bytes.Repeat([]byte(sampleLog), 100000)
	r := NewReader(onlyReader{bytes.NewReader(big)}, "x", opts2026)
	if _, ok := r.Next(); !ok {
		t.Fatal("no event")
	}
	r.Close()
	if _, ok := r.Next(); ok {
		t.Fatal("event after Close")
	}
}

// TestReaderOffsets checks that every event's Src.Offset points at the first byte of its line,
// across read-ahead block boundaries, after a skipped over-long line, with CRLF line ends, for
// a final line without a newline, and in the decompressed bytes of a gzip stream.
func TestReaderOffsets(t *testing.T) {
	real, err := os.ReadFile(corpusPath(t,
		"real-kubelet-v1.37.2/kubelet-v4-fsgroup-always-4m-files.log"))
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	data = append(data, real...)
	data = append(data, bytes.Repeat([]byte("x"), MaxLineBytes+10)...)
	data = append(data, '\n')
	data = append(data, strings.ReplaceAll(sampleLog, "\n", "\r\n")...)
	data = append(data, real...)
	data = append(data, strings.TrimSuffix(sampleLog, "\n")...)

	path := filepath.Join(t.TempDir(), "kubelet.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	inputs := map[string]io.Reader{"file": f, "memory": bytes.NewReader(data),
		"gzip": bytes.NewReader(gz(t, data))}
	for name, in := range inputs {
		evs, st, err := ReadAll(in, "kubelet.log", opts2026)
		if err != nil || st.SkippedLong != 1 {
			t.Fatalf("%s: err %v, %d long lines skipped", name, err, st.SkippedLong)
		}
		if len(evs) < 40 || evs[len(evs)-1].Src.Line != strings.Count(string(data), "\n")+1 {
			t.Fatalf("%s: %d events, the last on line %d", name, len(evs), evs[len(evs)-1].Src.Line)
		}
		for _, ev := range evs {
			off := ev.Src.Offset
			if off > 0 && data[off-1] != '\n' || !bytes.HasPrefix(data[off:], []byte(ev.Text)) {
				t.Fatalf("%s: line %d: offset %d does not start %q", name, ev.Src.Line, off,
					ev.Text)
			}
		}
	}
}

// Stamps that no kubelet wrote are no time at all: a month 13, February 30, epoch seconds of
// 1969 or of the year 3e12, a null "ts".
func TestImpossibleStampsHaveNoTime(t *testing.T) {
	msg := `] "SyncLoop ADD" source="api" pods=["ns/p"]`
	for _, line := range []string{
		`I1399 99:99:99.000000    1 kubelet.go:2425` + msg,
		`I0230 10:00:00.000000    1 kubelet.go:2425` + msg,
		`{"ts":-5,"caller":"kubelet/kubelet.go:2425","msg":"SyncLoop ADD","source":"api",` +
			`"pods":["ns/p"]}`,
		`{"ts":99999999999999999,"caller":"kubelet/kubelet.go:2425","msg":"SyncLoop ADD",` +
			`"source":"api","pods":["ns/p"]}`,
		`{"ts":null,"caller":"kubelet/kubelet.go:2425","msg":"SyncLoop ADD","source":"api",` +
			`"pods":["ns/p"]}`,
	} {
		evs, _ := read(t, []byte(line+"\n"))
		for _, ev := range evs {
			if !ev.Time.IsZero() {
				t.Errorf("%q: time %v, want none", line, ev.Time)
			}
		}
	}
	evs, _ := read(t, []byte(`I0228 10:00:00.000000    1 kubelet.go:2425`+msg+"\n"))
	if len(evs) != 1 || evs[0].Time.Month() != time.February || evs[0].Time.Day() != 28 {
		t.Errorf("a real date was lost: %+v", evs)
	}
}
