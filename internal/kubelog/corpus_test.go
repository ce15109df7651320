package kubelog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// corpusDir is the shared corpus beside the repository root.
const corpusDir = "../../../shared/corpus"

func corpusPath(t *testing.T, rel string) string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s (expected ../shared/corpus beside the repo): %v",
			corpusDir, err)
	}
	return filepath.Join(corpusDir, rel)
}

func readCorpusFile(t *testing.T, rel string) []Event {
	t.Helper()
	f, err := os.Open(corpusPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, st, err := ReadAll(f, rel, opts2026)
	if err != nil {
		t.Fatal(err)
	}
	if st.Garbage != 0 || st.DecodeErrors != 0 || len(st.Warnings) != 0 {
		t.Errorf("%s: garbage=%d decode=%d warnings=%q", rel, st.Garbage, st.DecodeErrors,
			st.Warnings)
	}
	return evs
}

func ofKind(evs []Event, k Kind) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// at formats a time like the expected.md files quote them (hh:mm:ss.cc).
func at(ev Event) string {
	return ev.Time.Format("15:04:05.00")
}

// one returns the only event of kind k, failing otherwise.
func one(t *testing.T, evs []Event, k Kind) Event {
	t.Helper()
	got := ofKind(evs, k)
	if len(got) != 1 {
		t.Fatalf("%d %v events, want 1", len(got), k)
	}
	return got[0]
}

// case01.expected.md: MountDevice 09:02:21.81, warning 09:02:51.83, twelve timeouts of the
// runner-data volume, SetUp of the PV at 09:29:41.17.
func TestCorpusCase01(t *testing.T) {
	evs := readCorpusFile(t, "cases/case01.kubelet.log")

	if got := at(one(t, evs, KindMountDeviceSucceeded)); got != "09:02:21.81" {
		t.Errorf("MountDevice at %s", got)
	}
	w := one(t, evs, KindOwnershipWarning)
	if at(w) != "09:02:51.83" || w.Volume != "pvc-8c8c951d-0326-4586-8155-225eb767a3e5" {
		t.Errorf("warning %s %q", at(w), w.Volume)
	}
	waits := ofKind(evs, KindVolumeWaitTimeout)
	if len(waits) != 12 {
		t.Errorf("%d wait timeouts, want 12", len(waits))
	}
	for _, e := range waits {
		if len(e.Volumes) != 1 || e.Volumes[0] != "runner-data" || e.Pod.Name != "tfrunner-0" {
			t.Errorf("wait %s: volumes %q pod %+v", at(e), e.Volumes, e.Pod)
		}
	}
	var setup Event
	for _, e := range ofKind(evs, KindSetUpSucceeded) {
		if e.Volume == "pvc-8c8c951d-0326-4586-8155-225eb767a3e5" {
			setup = e
		}
	}
	if at(setup) != "09:29:41.17" {
		t.Errorf("SetUp at %s", at(setup))
	}
	if n := len(ofKind(evs, KindNoSandbox)); n != 13 {
		t.Errorf("%d no-sandbox lines, want 13", n)
	}
}

// case02: 1.18 warning flood — thirteen warnings, twelve of them on the secret and configMap.
func TestCorpusCase02(t *testing.T) {
	evs := readCorpusFile(t, "cases/case02.kubelet.journal.log")
	warns := ofKind(evs, KindOwnershipWarning)
	if len(warns) != 13 {
		t.Fatalf("%d warnings, want 13", len(warns))
	}
	byVol := map[string]int{}
	for _, w := range warns {
		byVol[w.Volume]++
	}
	if byVol["app-config"] != 6 || byVol["reporting-api-token-8hd2c"] != 6 ||
		byVol["pvc-ca5e4432-cb70-4793-8fa9-2ed8cba4b22b"] != 1 {
		t.Errorf("warnings per volume %v", byVol)
	}
	if got := at(one(t, evs, KindMountDeviceSucceeded)); got != "14:20:10.01" {
		t.Errorf("MountDevice at %s", got)
	}
}

// case05: JSON; warning at +31.3 s, progress 96935/193053/290041, one timeout, SetUp 16:44:19.15.
func TestCorpusCase05(t *testing.T) {
	evs := readCorpusFile(t, "cases/case05.kubelet.jsonl")
	prog := ofKind(evs, KindOwnershipProgress)
	wantCounts := []int64{96935, 193053, 290041}
	if len(prog) != len(wantCounts) {
		t.Fatalf("%d progress events, want 3", len(prog))
	}
	for i, p := range prog {
		if p.Count != wantCounts[i] || p.Pod.UID != "3af44ddd-854b-4b4a-b82a-affcaed11153" {
			t.Errorf("progress %d: count %d uid %q", i, p.Count, p.Pod.UID)
		}
	}
	add := one(t, evs, KindSyncLoopAdd)
	warn := one(t, evs, KindOwnershipWarning)
	if d := warn.Time.Sub(add.Time); d != 31300*time.Millisecond {
		t.Errorf("warning %v after ADD, want 31.3s", d)
	}
	if got := at(one(t, evs, KindSetUpSucceeded)); got != "16:44:19.15" {
		t.Errorf("SetUp at %s", got)
	}
	if n := len(ofKind(evs, KindVolumeWaitTimeout)); n != 1 {
		t.Errorf("%d timeouts, want 1", n)
	}
}

// case13: sandbox ready 21:40:06.75, CreateContainer returned 22:03:10.85, name reserved.
func TestCorpusCase13(t *testing.T) {
	evs := readCorpusFile(t, "cases/case13.node-journal.log")
	if got := at(one(t, evs, KindSandboxCreated)); got != "21:40:06.75" {
		t.Errorf("sandbox at %s", got)
	}
	created := one(t, evs, KindContainerCreated)
	if at(created) != "22:03:10.85" || created.Pod.Name != "notebook-jdoe-0" {
		t.Errorf("created %s pod %+v", at(created), created.Pod)
	}
	if n := len(ofKind(evs, KindNameReserved)); n != 2 {
		t.Errorf("%d name-reserved events, want 2", n)
	}
	if n := len(ofKind(evs, KindContainerCreating)); n != 2 {
		t.Errorf("%d CreateContainer requests, want 2", n)
	}
	if n := len(ofKind(evs, KindVolumeWaitTimeout)); n != 0 {
		t.Errorf("%d volume timeouts, want 0 (the delay is container creation)", n)
	}
}

// case18 kubelet excerpt: MountDevice 04:28:33.15, one timeout.
func TestCorpusCase18Kubelet(t *testing.T) {
	evs := readCorpusFile(t, "cases/case18.kubelet-excerpt.log")
	if got := at(one(t, evs, KindMountDeviceSucceeded)); got != "04:28:33.15" {
		t.Errorf("MountDevice at %s", got)
	}
	one(t, evs, KindVolumeWaitTimeout)
}

// The real v1.37.2 kubelet walking 4M files: recursive walk 18:22:35.235, the 30-s warning at
// 18:23:05.235 (its event echo folded into it), SetUp at 18:23:53.057.
func TestCorpusReal4M(t *testing.T) {
	evs := readCorpusFile(t, "real-kubelet-v1.37.2/kubelet-v4-fsgroup-always-4m-files.log")
	rec := one(t, evs, KindOwnershipRecursive)
	warn := one(t, evs, KindOwnershipWarning)
	if d := warn.Time.Sub(rec.Time); d < 30*time.Second || d > 31*time.Second {
		t.Errorf("warning %v after the walk began, want 30 s", d)
	}
	if warn.Pod.UID != "d7bbc475-5d53-43b5-8b77-f186a5c93ac2" || warn.Volume != "local-pv-2" {
		t.Errorf("warning pod %+v volume %q", warn.Pod, warn.Volume)
	}
	if got := one(t, evs, KindSetUpSucceeded).Time.Format("15:04:05.000"); got != "18:23:53.057" {
		t.Errorf("SetUp at %s", got)
	}
	if got := ofKind(evs, KindContainerStarted); len(got) != 1 || got[0].Detail != "c" {
		t.Errorf("started %+v", got)
	}
}

func TestCorpusRealSkip(t *testing.T) {
	evs := readCorpusFile(t, "real-kubelet-v1.37.2/kubelet-v4-fsgroup-onrootmismatch-skip.log")
	s := one(t, evs, KindOwnershipSkipped)
	if s.Volume != "local-pv-1" || s.Pod.UID != "9d8594dd-ff92-4c16-97be-154380d06597" {
		t.Errorf("skip %+v", s)
	}
	if n := len(ofKind(evs, KindOwnershipRecursive)); n != 0 {
		t.Errorf("%d recursive walks on the skip log", n)
	}
}

// Every corpus log parses without garbage and yields events.
func TestCorpusAllLogs(t *testing.T) {
	files, _ := filepath.Glob(corpusPath(t, "cases/*.log"))
	more, _ := filepath.Glob(corpusPath(t, "cases/*.jsonl"))
	real, _ := filepath.Glob(corpusPath(t, "real-kubelet-v1.37.2/*.log"))
	files = append(append(files, more...), real...)
	if len(files) < 9 {
		t.Fatalf("found only %d corpus logs", len(files))
	}
	for _, p := range files {
		rel, _ := filepath.Rel(corpusDir, p)
		if evs := readCorpusFile(t, rel); len(evs) == 0 {
			t.Errorf("%s: no events", rel)
		}
	}
}
