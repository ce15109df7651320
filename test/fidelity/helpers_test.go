package fidelity

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/startlag/startlag/internal/ownership"
)

// realDir holds what a real v1.37.2 kubelet produced (logs at -v=4, /metrics pages).
const realDir = "../../../shared/corpus/real-kubelet-v1.37.2"

func readReal(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realDir, name))
	if os.IsNotExist(err) {
		t.Skipf("corpus not found at %s (the shared corpus sits beside the repository)", realDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestKubeletVerdictRealLogs reads the verdicts of real kubelet logs: the OnRootMismatch skip,
// the Always walk, and a log where a local volume and a projected volume were both walked.
func TestKubeletVerdictRealLogs(t *testing.T) {
	dir := func(uid, pv string) string {
		return "/var/lib/kubelet/pods/" + uid + "/volumes/kubernetes.io~local-volume/" + pv
	}
	cases := []struct {
		file, dir string
		want      Verdict
		reason    string
	}{
		{"kubelet-v4-fsgroup-onrootmismatch-skip.log",
			dir("9d8594dd-ff92-4c16-97be-154380d06597", "local-pv-1"),
			Skip, "Skipping permission and ownership change for volume"},
		{"kubelet-v4-fsgroup-always-200k-files.log",
			dir("5e039ca9-a20f-4ecf-9ade-1a2783bdce8d", "local-pv-1"),
			Walk, "Perform recursive ownership change for directory"},
		{"kubelet-v4-full-controlplane-deployment-300k.log",
			dir("60753231-0f11-409a-93c0-13f0a9251eaa", "local-pv-wffc"),
			Walk, "Perform recursive ownership change for directory"},
		{"kubelet-v4-fsgroup-onrootmismatch-skip.log",
			dir("5e039ca9-a20f-4ecf-9ade-1a2783bdce8d", "local-pv-1"),
			NoChange, ""},
	}
	for _, tc := range cases {
		got := KubeletVerdict(readReal(t, tc.file), tc.dir)
		if got.Verdict != tc.want || got.Reason != tc.reason {
			t.Errorf("%s: got %s (%q), want %s (%q)", tc.file, got.Verdict, got.Reason, tc.want,
				tc.reason)
		}
	}
}

// TestWalkMetricsRealPages reads the walk counter and seconds of real /metrics pages: one walk
// after the 200k-file Always start; two after the OnRootMismatch skip and the 4M-file walk that
// followed (the skip is not counted).
func TestWalkMetricsRealPages(t *testing.T) {
	for _, tc := range []struct {
		file    string
		count   int64
		seconds float64
	}{
		{"kubelet-metrics-after-always-200k.txt", 1, 2.300308773},
		{"kubelet-metrics-after-always-4m.txt", 2, 80.122393727},
	} {
		m := readReal(t, tc.file)
		if n, s := WalkCount(m, ownership.PluginLocal), WalkSeconds(m, ownership.PluginLocal); n !=
			tc.count || s != tc.seconds {
			t.Errorf("%s: %d walks of local volumes in %v s, want %d in %v s", tc.file, n, s,
				tc.count, tc.seconds)
		}
	}
}

// TestBuildAndTake builds the sample tree and checks that the snapshot shows exactly the
// requested types, modes and owners, and that Compare and Changed see a change.
func TestBuildAndTake(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building trees with arbitrary owners needs root")
	}
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	nodes := sampleTree(rootStates[2], outside, 3)
	if err := Build(root, nodes); err != nil {
		t.Fatal(err)
	}
	snap, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}

	if len(snap) != len(nodes) {
		t.Errorf("snapshot has %d entries, built %d", len(snap), len(nodes))
	}
	for _, n := range nodes {
		e, ok := snap[n.Path]
		want := ownership.Entry{Type: n.Type, Mode: n.Mode, UID: n.UID, GID: n.GID}
		if n.Type == ownership.TypeSymlink {
			want.Mode = 0o777
		}
		if n.Type == ownership.TypeFile && n.Target != "" {
			want = snap[n.Target]
		}
		if !ok || e != want {
			t.Errorf("%s: got %s, want %s", n.Path, fmtEntry(e), fmtEntry(want))
		}
	}

	if err := os.Chmod(filepath.Join(root, "zero"), 0o640); err != nil {
		t.Fatal(err)
	}
	after, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}
	if ch := Changed(snap, after); len(ch) != 1 || ch[0] != "zero" {
		t.Errorf("Changed = %v, want [zero]", ch)
	}
	if ms := Compare(snap, Predict(snap, false, fsGroup, false), after); len(ms) != 1 {
		t.Errorf("Compare = %v, want one mismatch", ms)
	}
}

// FuzzKubeletVerdict feeds arbitrary log text; the reader must never panic and must only
// report a verdict backed by a line naming the directory.
func FuzzKubeletVerdict(f *testing.F) {
	dir := "/var/lib/kubelet/pods/u/volumes/kubernetes.io~local-volume/pv"
	f.Add(`I1203 18:21:34.475623 4394 volume_linux.go:77] "Skipping permission and ownership ` +
		`change for volume" path="` + dir + `"`)
	f.Add("\x00\n" + `"Perform recursive ownership change for directory" path="` + dir + `"`)
	f.Fuzz(func(t *testing.T, log string) {
		v := KubeletVerdict(log, dir)
		if (v.Verdict == NoChange) != (len(v.Lines) == 0) {
			t.Fatalf("verdict %s with %d lines", v.Verdict, len(v.Lines))
		}
	})
}

// FuzzWalkCount feeds arbitrary metrics text; the count must never be negative.
func FuzzWalkCount(f *testing.F) {
	f.Add(`storage_operation_duration_seconds_count{migrated="false",operation_name=` +
		`"volume_apply_access_control",status="success",volume_plugin="kubernetes.io/local-volume"} 2`)
	f.Add("storage_operation_duration_seconds_count{ -1")
	f.Fuzz(func(t *testing.T, metrics string) {
		_ = WalkCount(metrics, ownership.PluginLocal)
	})
}
