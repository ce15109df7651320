package fidelity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/timeline"
	"github.com/startlag/startlag/test/cluster"
)

// caseResult is one row of the summary table.
type caseResult struct {
	name           string
	model, kubelet Verdict
	changed        int
	entries        int
	podReady       time.Duration
	cause          timeline.CauseID
	note           string
}

// TestKubeletFidelity runs the matrix against one real kubelet: for each case it builds a fresh
// `local` volume, starts a pod with the case's fsGroup settings, and checks that the kubelet
// did what internal/ownership predicts, entry by entry.
func TestKubeletFidelity(t *testing.T) {
	started := time.Now()
	c := cluster.Start(t, cluster.Options{Kubelet: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	var results []caseResult
	for i, fc := range matrix() {
		t.Run(fc.name, func(t *testing.T) {
			r := runCase(ctx, t, c, fmt.Sprintf("fid-%02d", i), fc)
			r.name = fc.name
			results = append(results, r)
		})
	}
	t.Logf("matrix of %d cases in %v (cluster start %v):\n%s", len(results),
		time.Since(started).Round(time.Second), c.StartDuration.Round(time.Millisecond),
		table(results))
}

// runCase runs one case and reports every disagreement as a test error.
func runCase(ctx context.Context, t *testing.T, c *cluster.Cluster, id string,
	fc fidelityCase) caseResult {
	root, before := prepareVolume(t, c, id, fc)
	outside := filepath.Join(c.Dir, "volumes", id+"-outside")
	outsideBefore, err := lstatEntry(outside)
	if err != nil {
		t.Fatal(err)
	}
	pv := cluster.LocalPV{Name: id, Path: root}
	if err := c.CreateLocalPV(ctx, pv); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { releaseVolume(t, c, pv, id) })

	if fc.shared {
		before = startNeighbour(ctx, t, c, id, root)
	}
	scan := scanVolume(ctx, t, fc, root)

	offset, walksBefore := observeWalks(ctx, t, c, ownership.PluginLocal)
	begin := time.Now()
	pod := runPod(ctx, t, c, id, id, fc)
	ready := time.Since(begin)
	after, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}
	log, walksAfter := readWalksSince(ctx, t, c, offset, ownership.PluginLocal)
	dir := c.PodVolumeDir(pod.UID, ownership.PluginLocal, id)

	walked := walksAfter.since(walksBefore)
	res := compare(t, fc, before, after, log, dir, walked.count)
	res.podReady = ready
	if got, _ := lstatEntry(outside); got != outsideBefore {
		t.Errorf("symlink target outside the volume changed: %s → %s", fmtEntry(outsideBefore),
			fmtEntry(got))
	}
	checkScan(t, fc, scan, before, after, res.kubelet)
	res.cause = checkTimeline(t, pod, log, dir, res.kubelet, dominates(t, fc, walked, ready))
	return res
}

// prepareVolume creates the backing storage, the tree, and the outside symlink target, and
// snapshots the tree.
func prepareVolume(t *testing.T, c *cluster.Cluster, id string,
	fc fidelityCase) (string, Snapshot) {
	opts := cluster.VolumeOptions{Ext4: fc.ext4, SizeMiB: 32}
	if fc.bulk > 10000 {
		opts.SizeMiB, opts.Inodes = 256, fc.bulk+1000
	}
	root, err := c.NewVolumeDir(id, opts)
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(c.Dir, "volumes", id+"-outside")
	if err := os.WriteFile(outside, []byte("outside the volume"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Build(root, sampleTree(fc.root, outside, fc.bulk)); err != nil {
		t.Fatal(err)
	}
	before, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}
	return root, before
}

// releaseVolume deletes the case's pods, PV, claim (if any: inline CSI cases have none) and
// storage.
func releaseVolume(t *testing.T, c *cluster.Cluster, pv cluster.LocalPV, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, name := range []string{id, id + "-neighbour"} {
		if err := c.DeletePod(ctx, "default", name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	if err := c.DeleteLocalPV(ctx, pv); err != nil {
		t.Errorf("cleanup: %v", err)
	}
	if err := c.ReleaseVolumeDir(id); err != nil {
		t.Errorf("cleanup: %v", err)
	}
	_ = os.Remove(filepath.Join(c.Dir, "volumes", id+"-outside"))
}

// startNeighbour runs a first pod (fsGroup, Always) on the volume, then adds an offender so that
// a second walk would have work to do, and returns the new snapshot.
func startNeighbour(ctx context.Context, t *testing.T, c *cluster.Cluster, id,
	root string) Snapshot {
	g := int64(fsGroup)
	first := fidelityCase{fsGroup: &g, policy: ownership.PolicyAlways}
	runPod(ctx, t, c, id+"-neighbour", id, first)
	late := filepath.Join(root, "late-offender")
	if err := os.WriteFile(late, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// securityContext is the pod securityContext of the case: its fsGroup and policy.
func securityContext(fc fidelityCase) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{FSGroup: fc.fsGroup}
	if fc.policy != ownership.PolicyUnset {
		p := corev1.PodFSGroupChangePolicy(fc.policy)
		sc.FSGroupChangePolicy = &p
	}
	return sc
}

// runPod starts a pod called name with the case's fsGroup settings on claim, and waits until
// it is Ready.
func runPod(ctx context.Context, t *testing.T, c *cluster.Cluster, name, claim string,
	fc fidelityCase) *corev1.Pod {
	pod := c.Pod("default", name)
	pod.Spec.SecurityContext = securityContext(fc)
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: claim, ReadOnly: fc.claimRO}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data",
		MountPath: "/data", ReadOnly: fc.mountRO}}
	running, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	return running
}

// walks is the kubelet's walk metric of one plugin: walks counted and seconds spent.
type walks struct {
	count   int64
	seconds float64
}

func (w walks) since(before walks) walks {
	return walks{count: w.count - before.count, seconds: w.seconds - before.seconds}
}

func walksOf(ctx context.Context, t *testing.T, c *cluster.Cluster, plugin string) walks {
	m, err := c.KubeletMetrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return walks{count: WalkCount(m, plugin), seconds: WalkSeconds(m, plugin)}
}

// observeWalks records the kubelet log offset and the walk metric of plugin.
func observeWalks(ctx context.Context, t *testing.T, c *cluster.Cluster,
	plugin string) (int64, walks) {
	offset, err := c.KubeletLogOffset()
	if err != nil {
		t.Fatal(err)
	}
	return offset, walksOf(ctx, t, c, plugin)
}

// readWalksSince returns the kubelet log since offset and the walk metric of plugin now.
func readWalksSince(ctx context.Context, t *testing.T, c *cluster.Cluster, offset int64,
	plugin string) (string, walks) {
	log, err := c.KubeletLogSince(offset)
	if err != nil {
		t.Fatal(err)
	}
	return log, walksOf(ctx, t, c, plugin)
}

// compare checks (a) the walk/skip verdict, from the log and the metric, and (b) every entry's
// state after the pod start against the model's prediction.
func compare(t *testing.T, fc fidelityCase, before, after Snapshot, log, dir string,
	walks int64) caseResult {
	model, mismatch := ModelVerdict(before["."], fc.fsGroup, fc.policy, fc.claimRO)
	if fc.quirk != "" {
		model, mismatch = NoChange, 0
	}
	lv := KubeletVerdict(log, dir)
	res := caseResult{model: model, kubelet: lv.Verdict, entries: len(before), note: fc.quirk}
	checkLocalSetUp(t, log, dir, fc.claimRO)

	if lv.Verdict != model {
		t.Errorf("verdict: model %s (root %s: %v), kubelet %s (%s)", model,
			fmtEntry(before["."]), mismatch, lv.Verdict, strings.Join(lv.Lines, "\n"))
	}
	if want := ReasonFor(model, fc.policy, mismatch); lv.Reason != want {
		t.Errorf("kubelet message: got %q, model expects %q", lv.Reason, want)
	}
	if wantWalks := map[bool]int64{true: 1}[lv.Verdict == Walk]; walks != wantWalks {
		t.Errorf("volume_apply_access_control count moved by %d for verdict %s", walks,
			lv.Verdict)
	}

	var g int64
	if fc.fsGroup != nil {
		g = *fc.fsGroup
	}
	want := Predict(before, model == Walk, g, fc.claimRO)
	checkEntries(t, before, want, after)
	changed := Changed(before, after)
	res.changed = len(changed)
	if d := diffLists(Changed(before, want), changed); d != "" {
		t.Errorf("changed set, model vs kubelet: %s", d)
	}
	return res
}

// dominates reports whether the walk of a bulk case took most of the pod's start-up, by the
// kubelet's own metric against the measured time to Ready: only then must explain name it. On
// a fast, idle machine 100,000 files walk in half a second, less than the sandbox takes.
func dominates(t *testing.T, fc fidelityCase, w walks, ready time.Duration) bool {
	if fc.bulk < dominantWalk {
		return false
	}
	if w.seconds >= 1 && w.seconds*2 > ready.Seconds() {
		return true
	}
	t.Logf("the walk took %.2f s of a %v start: not the dominant step here, so explain need "+
		"not name it", w.seconds, ready.Round(time.Millisecond))
	return false
}

// checkEntries reports the entries whose state after the start is not the predicted one.
func checkEntries(t *testing.T, before, want, after Snapshot) {
	for i, m := range Compare(before, want, after) {
		if i == 20 {
			t.Errorf("... more entries differ")
			return
		}
		t.Errorf("entry %s", m)
	}
}

// checkLocalSetUp checks the local plugin's V(4) set-up line for the pod's volume directory:
// present, and with the read-only flag the claim asked for (the flag that makes the plugin skip
// the ownership code).
func checkLocalSetUp(t *testing.T, log, dir string, readOnly bool) {
	want := fmt.Sprintf("LocalVolume mount setup: PodDir(%s) ", dir)
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, want) {
			continue
		}
		if flag := fmt.Sprintf("ReadOnly(%t)", readOnly); !strings.HasSuffix(line, flag) {
			t.Errorf("local set-up line lacks %s: %s", flag, line)
		}
		return
	}
	t.Errorf("no local plugin set-up line for %s", dir)
}

// table renders the results as a fixed-width table.
func table(rs []caseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %-6s %-7s %7s %7s %9s %-13s %s\n", "case", "model", "kubelet",
		"entries", "changed", "pod-ready", "explain", "note")
	for _, r := range rs {
		fmt.Fprintf(&b, "%-34s %-6s %-7s %7d %7d %9s %-13s %s\n", r.name, r.model, r.kubelet,
			r.entries, r.changed, r.podReady.Round(time.Millisecond), r.cause, r.note)
	}
	return b.String()
}

// diffLists describes how two sorted lists differ (at most a few paths each way), or "".
func diffLists(want, got []string) string {
	var missing, extra []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("only in first (%d): %v; only in second (%d): %v", len(missing),
		head(missing), len(extra), head(extra))
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
