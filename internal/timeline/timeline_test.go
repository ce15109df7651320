package timeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// sliceReader replays hand-made events as a LogReader.
type sliceReader struct {
	evs []kubelog.Event
	i   int
}

func (s *sliceReader) Next() (kubelog.Event, bool) {
	if s.i >= len(s.evs) {
		return kubelog.Event{}, false
	}
	s.i++
	return s.evs[s.i-1], true
}

func (s *sliceReader) Err() error { return nil }

// loadEvents explains hand-made log events given as the content of one log file.
func loadEvents(t *testing.T, evs []kubelog.Event, extra ...string) *Result {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "kubelet.log")
	if err := os.WriteFile(logPath, []byte("I0101 00:00:00.000000 1 x.go:1] log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{logPath}
	for i, content := range extra {
		p := filepath.Join(dir, fmt.Sprintf("extra%d", i))
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	res, err := Load(paths, Options{OpenLog: func(_ io.Reader, _ string, _ kubelog.Options) LogReader {
		return &sliceReader{evs: evs}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const uidA = "11111111-2222-3333-4444-555555555555"

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func ev(kind kubelog.Kind, at time.Duration, ref kubelog.PodRef, vol, path string) kubelog.Event {
	return kubelog.Event{Kind: kind, Time: t0.Add(at), Pod: ref, Volume: vol, Path: path,
		Src:  kubelog.Source{File: "kubelet.log", Line: int(at / time.Second)},
		Text: fmt.Sprintf(`I0501 x.go:1] "%v"`, kind)}
}

// Lines that name the pod only by name, only by UID, or by a volume path are one pod.
func TestIdentityMergesNameUIDAndPath(t *testing.T) {
	name := kubelog.PodRef{Namespace: "ns", Name: "db-0"}
	full := kubelog.PodRef{Namespace: "ns", Name: "db-0", UID: uidA}
	path := "/var/lib/kubelet/pods/" + uidA + "/volumes/kubernetes.io~csi/pv-1/mount"
	res := loadEvents(t, []kubelog.Event{
		ev(kubelog.KindSyncLoopAdd, 0, name, "", ""),
		ev(kubelog.KindMountDeviceSucceeded, 2*time.Second, full, "pv-1", ""),
		ev(kubelog.KindOwnershipWarning, 32*time.Second, kubelog.PodRef{}, "", path),
		ev(kubelog.KindSetUpSucceeded, 10*time.Minute, full, "pv-1", ""),
		ev(kubelog.KindNoSandbox, 10*time.Minute+time.Second, name, "", ""),
	})
	if len(res.Pods) != 1 {
		t.Fatalf("%d pods, want 1: %+v", len(res.Pods), res.Pods)
	}
	p := res.Pods[0]
	if p.UID != uidA || p.Diagnosis.Cause != CauseFSGroupWalk {
		t.Errorf("pod %s uid %s cause %s", p.Key(), p.UID, p.Diagnosis.Cause)
	}
	if got, want := p.Diagnosis.Delay, 10*time.Minute-2*time.Second; got != want {
		t.Errorf("delay %s, want %s", got, want)
	}
}

// A re-created pod (new UID, same name) is a separate instance.
func TestRecreatedPodIsSeparate(t *testing.T) {
	a := kubelog.PodRef{Namespace: "ns", Name: "db-0", UID: uidA}
	b := kubelog.PodRef{Namespace: "ns", Name: "db-0", UID: "99999999-2222-3333-4444-555555555555"}
	res := loadEvents(t, []kubelog.Event{
		ev(kubelog.KindMountDeviceSucceeded, 0, a, "pv", ""),
		ev(kubelog.KindSetUpSucceeded, time.Second, a, "pv", ""),
		ev(kubelog.KindMountDeviceSucceeded, time.Hour, b, "pv", ""),
		ev(kubelog.KindSetUpSucceeded, time.Hour+5*time.Minute, b, "pv", ""),
	})
	if len(res.Pods) != 2 {
		t.Fatalf("%d pods, want 2", len(res.Pods))
	}
	if res.Pods[0].UID != b.UID {
		t.Errorf("slowest first: got %s", res.Pods[0].UID)
	}
}

// Evidence stays bounded however many lines repeat.
func TestEvidenceIsBounded(t *testing.T) {
	ref := kubelog.PodRef{Namespace: "ns", Name: "db-0", UID: uidA}
	evs := []kubelog.Event{ev(kubelog.KindMountDeviceSucceeded, 0, ref, "pv", "")}
	for i := 1; i <= 5000; i++ {
		evs = append(evs, ev(kubelog.KindVolumeWaitTimeout, time.Duration(i)*time.Second, ref, "", ""))
	}
	res := loadEvents(t, evs)
	for _, ph := range res.Pods[0].Phases {
		if len(ph.Evidence) > 2*(keepFirst+keepLast)+2 {
			t.Errorf("phase %s keeps %d evidence lines", ph.Name, len(ph.Evidence))
		}
	}
	if res.Pods[0].Phases[len(res.Pods[0].Phases)-1].Open != true {
		t.Error("a volume still waiting at the end of the input must be open")
	}
}

// "context canceled" is the pod being updated or deleted, not a timeout.
func TestContextCanceledIsRuledOut(t *testing.T) {
	ref := kubelog.PodRef{Namespace: "ns", Name: "web", UID: uidA}
	res := loadEvents(t, []kubelog.Event{
		ev(kubelog.KindMountDeviceSucceeded, 0, ref, "pv", ""),
		ev(kubelog.KindVolumeWaitCanceled, 30*time.Second, ref, "", ""),
		ev(kubelog.KindSetUpSucceeded, 40*time.Second, ref, "pv", ""),
	})
	found := false
	for _, r := range res.Pods[0].Diagnosis.RuledOut {
		found = found || strings.Contains(r, "context canceled")
	}
	if !found {
		t.Errorf("ruled out = %q", res.Pods[0].Diagnosis.RuledOut)
	}
}

// events.k8s.io/v1 events use eventTime and series; core events fall back to creationTimestamp.
func TestEventTimeFallbacks(t *testing.T) {
	newAPI := `{"apiVersion":"events.k8s.io/v1","kind":"EventList","items":[
{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1","namespace":"ns"},
 "regarding":{"kind":"Pod","name":"p","namespace":"ns","uid":"` + uidA + `"},
 "reason":"Scheduled","note":"Successfully assigned ns/p to n1","type":"Normal",
 "eventTime":"2026-05-01T10:00:00.000000Z","reportingController":"default-scheduler",
 "reportingInstance":"s","action":"Binding"},
{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e2","namespace":"ns"},
 "regarding":{"kind":"Pod","name":"p","namespace":"ns","uid":"` + uidA + `"},
 "reason":"Pulling","note":"Pulling image \"big:1\"","type":"Normal",
 "eventTime":"2026-05-01T10:00:05.000000Z","reportingController":"kubelet","reportingInstance":"n1",
 "action":"Pulling"}]}`
	core := `apiVersion: v1
kind: Event
metadata: {name: e3, namespace: ns, creationTimestamp: "2026-05-01T10:09:05Z"}
involvedObject: {kind: Pod, name: p, namespace: ns, uid: ` + uidA + `}
reason: Pulled
message: Successfully pulled image "big:1" in 9m0s
type: Normal
`
	res := loadEvents(t, nil, newAPI, core)
	p := res.Pods[0]
	if p.Node != "n1" || p.Diagnosis.Cause != CauseImagePull || p.Diagnosis.Delay != 9*time.Minute {
		t.Errorf("node %q cause %s delay %s", p.Node, p.Diagnosis.Cause, p.Diagnosis.Delay)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"45s": 45 * time.Second, "6m56s": 6*time.Minute + 56*time.Second, "28m": 28 * time.Minute,
		"3h4m": 3*time.Hour + 4*time.Minute, "2d3h": 51 * time.Hour,
	} {
		got, _, ok := parseAge(in)
		if !ok || got != want {
			t.Errorf("parseAge(%q) = %s %v, want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "<unknown>", "5", "m5", "5x"} {
		if _, _, ok := parseAge(bad); ok {
			t.Errorf("parseAge(%q) accepted", bad)
		}
	}
	age, first, _, ok := parseAgeCell("3m (x17 over 25m)")
	if !ok || age != 3*time.Minute || first != 25*time.Minute {
		t.Errorf("aggregated age = %s first %s", age, first)
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]InputKind{
		"# HELP x y\n# TYPE x counter\nx 1\n":                           InputMetrics,
		`{"ts":1.5,"caller":"a.go:1","msg":"m","v":0}`:                  InputLog,
		`{"apiVersion":"v1","kind":"List","items":[]}`:                  InputObjects,
		"LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n":                InputEventsTable,
		"Name:  p\nNamespace:  ns\n":                                    InputDescribe,
		"# comment\nspec:\n  securityContext: {}\n":                     InputObjects,
		"Sep 01 21:40:04 host kubelet[1]: I0901 21:40:04.1 1 a.go:1] x": InputLog,
		"\n\n": InputEmpty,
	} {
		if got := detect([]byte(in)); got != want {
			t.Errorf("detect(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCostFormula(t *testing.T) {
	c := costOf(27*time.Minute, 20)
	if want := 27 * 60 * 20 * 12 / 3600.0; c.HoursPerYear != want {
		t.Errorf("hours = %v, want %v", c.HoursPerYear, want)
	}
	if costOf(time.Minute, 0) != nil {
		t.Error("no cost without restarts")
	}
}

// A walk still running at the end of the input: files/s from the progress reports and, with the
// volume's file count, the time left.
func TestRunningWalkRateAndETA(t *testing.T) {
	ref := kubelog.PodRef{Namespace: "ns", Name: "db-0", UID: uidA}
	path := uidA + "/volumes/kubernetes.io~csi/pv/mount"
	progress := func(at time.Duration, n int64) kubelog.Event {
		e := ev(kubelog.KindOwnershipProgress, at, kubelog.PodRef{}, "", path)
		e.Count = n
		return e
	}
	evs := []kubelog.Event{
		ev(kubelog.KindMountDeviceSucceeded, 0, ref, "pv", ""),
		progress(90*time.Second, 60000),
		progress(150*time.Second, 120000),
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "kubelet.log")
	os.WriteFile(logPath, []byte("x\n"), 0o644)
	res, err := Load([]string{logPath}, Options{TotalFiles: 150000,
		OpenLog: func(io.Reader, string, kubelog.Options) LogReader { return &sliceReader{evs: evs} }})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Pods[0].Diagnosis
	if d.Cause != CauseFSGroupWalk || d.FilesPerSecond != 1000 {
		t.Fatalf("cause %s rate %v", d.Cause, d.FilesPerSecond)
	}
	if !strings.Contains(d.Summary, "about 30s left") {
		t.Errorf("no ETA in %q", d.Summary)
	}
}

// Every cause id is a public contract with a documentation page.
func TestEveryCauseHasADocPage(t *testing.T) {
	for _, c := range AllCauses() {
		if c.Title() == "" || causes[c].Fix == "" {
			t.Errorf("%s: no title or fix", c)
		}
		if _, err := os.Stat(filepath.Join("..", "..", c.DocPath())); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

// Old kubectl get events columns (NAME, KIND, FIRST SEEN, COUNT) are read too.
func TestOldEventsTableColumns(t *testing.T) {
	table := "LAST SEEN   FIRST SEEN   COUNT   NAME    KIND   SUBOBJECT   TYPE      REASON      SOURCE    MESSAGE\n" +
		"1m          21m          11      web-0   Pod                Warning   FailedMount   kubelet, n1   MountVolume.SetUp failed for volume \"pvc-1\" : applyFSGroup failed for vol x: permission denied\n"
	res := loadEvents(t, nil, table)
	if len(res.Pods) != 1 || res.Pods[0].Diagnosis.Cause != CauseFSGroupWalkFailed {
		t.Fatalf("pods %+v", res.Pods)
	}
	if d := res.Pods[0].Diagnosis.Delay; d != 20*time.Minute {
		t.Errorf("delay %s, want 20m (first seen 21m, last 1m)", d)
	}
}

func TestCancelledContextStopsReading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "kubelet.log")
	os.WriteFile(logPath, []byte("x\n"), 0o644)
	_, err := Load([]string{logPath}, Options{Context: ctx,
		OpenLog: func(io.Reader, string, kubelog.Options) LogReader { return &sliceReader{} }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
