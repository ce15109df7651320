package timeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/kubelog"
)

// realLog returns the 200k-file walk log of the corpus, or skips.
func realLog(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir(t, "real-kubelet-v1.37.2"),
		"kubelet-v4-fsgroup-always-200k-files.log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A gzip log cut short is a problem (part of the input was not read), not a silent success.
func TestTruncatedGzipLogIsAProblem(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(realLog(t))
	zw.Close()
	p := filepath.Join(t.TempDir(), "kubelet.log.gz")
	if err := os.WriteFile(p, z.Bytes()[:z.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := Load([]string{p}, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), p) ||
		!strings.Contains(res.Problems[0].Error(), kubelog.TruncatedNote) {
		t.Fatalf("problems = %v, want one naming %s and the truncation", res.Problems, p)
	}
	if len(res.Pods) == 0 {
		t.Error("the events before the damage were dropped")
	}
}

// A line over kubelog.MaxLineBytes is skipped with a warning naming file and line; the lines
// after it keep their numbers.
func TestOverlongLogLineIsAWarning(t *testing.T) {
	lines := strings.SplitAfter(string(realLog(t)), "\n")
	long := "I1203 18:21:17.000000 1 x.go:1] " + strings.Repeat("A", kubelog.MaxLineBytes+1)
	text := strings.Join(lines[:20], "") + long + "\n" + strings.Join(lines[20:], "")
	p := filepath.Join(t.TempDir(), "kubelet.log")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := Load([]string{p}, Options{OpenLog: openKubelog, Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s:21: line longer than", p)
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], want) {
		t.Errorf("warnings = %q, want one starting %q", res.Warnings, want)
	}
	if len(res.Problems) != 0 {
		t.Errorf("problems = %v, want none", res.Problems)
	}
}

// closingReader records whether Close was called.
type closingReader struct {
	sliceReader
	closed bool
}

func (c *closingReader) Close() { c.closed = true }

// A cancelled load stops the log reader's read-ahead.
func TestCancelledLoadClosesLogReader(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := filepath.Join(t.TempDir(), "kubelet.log")
	os.WriteFile(p, []byte("I0101 00:00:00.000000 1 x.go:1] log\n"), 0o644)
	lr := &closingReader{}
	_, err := Load([]string{p}, Options{Context: ctx,
		OpenLog: func(io.Reader, string, kubelog.Options) LogReader { return lr }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !lr.closed {
		t.Error("log reader not closed after cancel")
	}
}

// The init-container reader is the audit's: a `find | xargs chown` (no -R, no -exec) is
// recursive, and a chown -R inside an echoed string is not a command.
func TestChownInitUsesCommandReader(t *testing.T) {
	for _, c := range []struct {
		script string
		want   bool
	}{
		{"find /data -type d | xargs chown 1000:1000", true},
		{"chown -R 1000 /data", true},
		{"echo 'run chown -R 1000 /data by hand'", false},
	} {
		st := &podState{spec: &corev1.PodSpec{InitContainers: []corev1.Container{{
			Name: "fix", Command: []string{"sh", "-c", c.script}}}}}
		d := &diagnoser{p: st}
		if _, _, got := d.chownInit(); got != c.want {
			t.Errorf("%q: recursive = %v, want %v", c.script, got, c.want)
		}
	}
}

// A malformed YAML document is reported with its line counted from the start of the file, and
// the documents after it are still read.
func TestMalformedYAMLDocumentKeepsTheRest(t *testing.T) {
	pod, err := os.ReadFile(filepath.Join(corpusDir(t, "cases"), "case11.pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := "# objects\napiVersion: v1\nkind: Pod\nmetadata: {name: x\n---\n" + string(pod)
	p := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := Load([]string{p}, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatal(err)
	}
	want := p + ":4: malformed YAML: "
	if len(res.Problems) != 1 || !strings.HasPrefix(res.Problems[0].Error(), want) {
		t.Errorf("problems = %v, want one starting %q", res.Problems, want)
	}
	if len(res.Pods) != 1 || res.Pods[0].Diagnosis.Cause != CauseChownInitContainer {
		t.Errorf("pods = %+v, want the pod of the second document", res.Pods)
	}
}

// eventsTable is a `kubectl get events` table of a pod whose fsGroup walk held it for eight
// minutes: events carry no SetUp line, only the 30-s warning and the steps after SetUp.
const eventsTable = `LAST SEEN   TYPE      REASON                             OBJECT       MESSAGE
10m         Normal    Scheduled                          pod/db-0     Successfully assigned shop/db-0 to node-1
9m          Warning   VolumePermissionChangeInProgress   pod/db-0     Setting volume ownership for 1234/volumes/kubernetes.io~csi/pvc-1/mount is taking longer than expected, consider using OnRootMismatch - https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
1m          Normal    Pulled                             pod/db-0     Container image "db:1" already present on machine
1m          Normal    Created                            pod/db-0     Container created
1m          Normal    Started                            pod/db-0     Container started
`

// A walk known only from its warning event ends, at the latest, at the next step the kubelet
// takes after SetUp; the time until then is the walk's (an upper bound), not the runtime's.
func TestWalkFromEventsEndsAtNextStep(t *testing.T) {
	p := filepath.Join(t.TempDir(), "events.txt")
	if err := os.WriteFile(p, []byte(eventsTable), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{p}, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pods) != 1 {
		t.Fatalf("pods = %+v", res.Pods)
	}
	d := res.Pods[0].Diagnosis
	if d.Cause != CauseFSGroupWalk || d.Phase != PhaseVolumeSetup || !d.UpperBound ||
		d.Delay != 9*time.Minute {
		t.Errorf("diagnosis %s in %s, %v (upper bound %v); want fsgroup-walk in volume-setup, "+
			"≤9m", d.Cause, d.Phase, d.Delay, d.UpperBound)
	}
}

// The ages of an events table are anchored on a VolumePermissionChangeInProgress event that
// another input gives with its timestamp.
func TestTableAnchoredOnOwnershipWarning(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "events.txt")
	if err := os.WriteFile(table, []byte(eventsTable), 0o644); err != nil {
		t.Fatal(err)
	}
	const event = `{"apiVersion": "v1", "kind": "Event", "type": "Warning",
  "reason": "VolumePermissionChangeInProgress", "lastTimestamp": "2026-04-12T09:01:00Z",
  "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "db-0"},
  "message": "Setting volume ownership for 1234/volumes/kubernetes.io~csi/pvc-1/mount is taking longer than expected"}`
	obj := filepath.Join(dir, "event.json")
	if err := os.WriteFile(obj, []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{obj, table}, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pods) != 1 {
		t.Fatalf("pods = %+v", res.Pods)
	}
	want := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC) // the Scheduled row, 10m before 09:10
	if p := res.Pods[0]; !p.Start.Equal(want) {
		t.Errorf("start %v, want %v; notes %q", p.Start, want, p.Notes)
	}
}

// TestStreamLogKeepsEveryEvent: the reading goroutine hands signals over in batches; across
// many batch boundaries none is lost, none is counted twice, events explain has no use for are
// not counted, and the last event of each pod is the one its state keeps as the latest.
func TestStreamLogKeepsEveryEvent(t *testing.T) {
	const pods, perPod = 7, signalBatch*(signalBatches+3)/7 + 1 // ends on a part batch
	base := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)
	var evs []kubelog.Event
	for i := range perPod {
		for p := range pods {
			at := base.Add(time.Duration(i*pods+p) * time.Millisecond)
			ref := kubelog.PodRef{Namespace: "ns", Name: fmt.Sprintf("p%d", p)}
			evs = append(evs, kubelog.Event{Kind: kubelog.KindContainerStarted, Time: at,
				Pod: ref, Src: kubelog.Source{File: "k.log", Line: len(evs) + 1}},
				kubelog.Event{Kind: kubelog.KindUnknown, Time: at, Pod: ref})
		}
	}

	l := &loader{opts: Options{}, b: newBuilder()}
	n, err := l.streamLog(&sliceReader{evs: evs}, "k.log", false)
	if err != nil || n != pods*perPod {
		t.Fatalf("streamLog used %d events (err %v), want %d", n, err, pods*perPod)
	}
	states := l.b.merged()
	if len(states) != pods {
		t.Fatalf("%d pod states, want %d", len(states), pods)
	}
	for _, st := range states {
		ss := st.set(sigStarted)
		last, ok := ss.latest()
		if ss.n != perPod || !ok || last.ev.Line < len(evs)-2*pods {
			t.Errorf("%s: %d signals, latest line %d; want %d and one of the last %d lines",
				st.ref.Name, ss.n, last.ev.Line, perPod, 2*pods)
		}
	}
}

// A klog log alone carries no year: the current year is taken and said so; --year, or another
// input with dates (an event), silences it.
func TestYearFromClockIsAWarning(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "kubelet.log")
	if err := os.WriteFile(log, realLog(t), 0o644); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(dir, "event.json")
	const ev = `{"apiVersion": "v1", "kind": "Event", "reason": "Scheduled",
  "involvedObject": {"kind": "Pod", "namespace": "default", "name": "x"},
  "lastTimestamp": "2025-12-03T18:21:17Z", "message": "Successfully assigned default/x"}`
	if err := os.WriteFile(event, []byte(ev), 0o644); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC) }

	for _, tc := range []struct {
		name  string
		files []string
		year  int
		warn  bool
	}{
		{"log alone", []string{log}, 0, true},
		{"--year", []string{log}, 2026, false},
		{"an event gives the year", []string{log, event}, 0, false},
	} {
		res, err := Load(tc.files, Options{OpenLog: openKubelog, Year: tc.year, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, w := range res.Warnings {
			warned = warned || strings.Contains(w, "taking the current year 2027")
		}
		if warned != tc.warn {
			t.Errorf("%s: warned %v, want %v (%q)", tc.name, warned, tc.warn, res.Warnings)
		}
	}
}

// TestLeapDayWithoutYearNamesTheFlag: a February 29 klog stamp read in a year that has none is
// no time; the warning must say how to give the log's year.
func TestLeapDayWithoutYearNamesTheFlag(t *testing.T) {
	log := filepath.Join(t.TempDir(), "kubelet.log")
	line := `I0229 10:00:00.000000    1187 operation_generator.go:626] "MountVolume.MountDevice ` +
		`succeeded for volume \"pv\" (UniqueName: \"kubernetes.io/csi/d^v\") pod \"p\" ` +
		`(UID: \"u\") device mount path \"/var/lib/kubelet/plugins/kubernetes.io/csi/d/` +
		`1/globalmount\"" pod="ns/p"` + "\n"
	if err := os.WriteFile(log, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }
	res, err := Load([]string{log}, Options{OpenLog: openKubelog, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.Contains(w, "no usable timestamp") && strings.Contains(w, "--year")
	}) {
		t.Errorf("warnings %q do not point at --year", res.Warnings)
	}
}

// A directory stands for the regular files below it, hidden ones left out.
func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "node-a")
	hidden := filepath.Join(dir, ".cache")
	for _, d := range []string{sub, hidden} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(sub, "kubelet.log"),
		filepath.Join(hidden, "kubelet.log")} {
		if err := os.WriteFile(p, realLog(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	res, err := Load([]string{dir}, Options{OpenLog: openKubelog, Year: 2026})
	if err != nil || len(res.Problems) > 0 {
		t.Fatalf("err %v, problems %v", err, res.Problems)
	}
	if len(res.Inputs) != 1 || res.Inputs[0].File != filepath.Join(sub, "kubelet.log") {
		t.Errorf("inputs %+v, want only %s", res.Inputs, filepath.Join(sub, "kubelet.log"))
	}
	if len(res.Pods) == 0 || res.Pods[0].Diagnosis.Cause != CauseFSGroupWalk {
		t.Errorf("the directory's log was not explained: %d pods", len(res.Pods))
	}
}

// Each item of a pretty-printed List is located at its own metadata.name line, also when one
// name is a prefix of another (e1, e10) and the list is long: the search goes forward from the
// previous item, never from the top of the file again.
func TestListItemLines(t *testing.T) {
	var items []string
	for i := range 12 {
		items = append(items, fmt.Sprintf(`    {
      "apiVersion": "v1", "kind": "Event",
      "metadata": {
        "name": "e%d",
        "namespace": "ns"
      },
      "involvedObject": {"kind": "Pod", "name": "p%d", "namespace": "ns"},
      "reason": "Scheduled", "message": "Successfully assigned ns/p%d to n",
      "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z"
    }`, 11-i, i, i))
	}
	doc := "{\n  \"kind\": \"List\", \"apiVersion\": \"v1\",\n  \"items\": [\n" +
		strings.Join(items, ",\n") + "\n  ]\n}\n"
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{path}, Options{OpenLog: openKubelog})
	if err != nil || len(res.Pods) != 12 {
		t.Fatalf("%d pods, err %v", len(res.Pods), err)
	}
	lines := strings.Split(doc, "\n")
	for _, p := range res.Pods {
		ev := p.Phases[0].Evidence[0]
		want := fmt.Sprintf(`"name": "e%d",`, 11-mustAtoi(t, strings.TrimPrefix(p.Name, "p")))
		if got := strings.TrimSpace(lines[ev.Line-1]); got != want {
			t.Errorf("%s: evidence line %d is %q, want %q", p.Name, ev.Line, got, want)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// One bad item of an events List is a problem at its line; the other items are still read.
func TestBadListItemKeepsTheRest(t *testing.T) {
	item := func(name, reason, ts string) string {
		return fmt.Sprintf(`    {"apiVersion": "v1", "kind": "Event",
      "metadata": {
        "name": %q
      },
      "involvedObject": {"kind": "Pod", "name": "p", "namespace": "ns"},
      "reason": %q, "message": "Successfully assigned ns/p to n",
      "firstTimestamp": %q, "lastTimestamp": %q}`, name, reason, ts, ts)
	}
	doc := "{\"kind\": \"List\", \"items\": [\n    1,\n" + strings.Join([]string{
		item("bad-time", "Scheduled", "yesterday"),
		item("ok-1", "Scheduled", "2026-01-01T00:00:00Z"),
		item("ok-2", "Pulling", "2026-01-01T00:05:00Z")}, ",\n") + "\n]}\n"
	path := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{path}, Options{OpenLog: openKubelog})
	if err != nil || len(res.Pods) != 1 || len(res.Pods[0].Phases) < 2 {
		t.Fatalf("err %v, pods %+v: the good items were not read", err, res.Pods)
	}
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	want := []string{path + ":1: decoding object: a number where", path + ":5: decoding Event"}
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], want[0]) ||
		!strings.HasPrefix(msgs[1], want[1]) {
		t.Errorf("problems %q, want two starting %q", msgs, want)
	}
}

// A stream of NUL bytes (/dev/zero, an image) is refused at once; a log with a hole of NULs
// from a crash is still explained.
func TestBinaryInput(t *testing.T) {
	dir := t.TempDir()
	zeros := filepath.Join(dir, "zeros")
	holed := filepath.Join(dir, "kubelet.log")
	if err := os.WriteFile(zeros, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(holed, append(make([]byte, 100), realLog(t)...), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := Load([]string{zeros, holed}, Options{OpenLog: openKubelog, Year: 2026})
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Error(), "binary data") {
		t.Errorf("problems %v, want the zeros named as binary", res.Problems)
	}
	if len(res.Pods) == 0 {
		t.Error("the log with a hole was not explained")
	}
}
