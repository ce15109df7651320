package fidelity

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/startlag/startlag/internal/kubelog"
	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/timeline"
	"github.com/startlag/startlag/internal/volscan"
)

// scanResult is what `startlag scan`'s check found before the pod started.
type scanResult struct {
	res       *volscan.Result
	offenders []string // sorted paths relative to the root, "." for the root
}

// scanVolume runs volscan's check on the volume before the pod starts (nil without fsGroup).
func scanVolume(ctx context.Context, t *testing.T, fc fidelityCase, root string) *scanResult {
	if fc.fsGroup == nil {
		return nil
	}
	var offenders []string
	res, err := volscan.Check(ctx, root, volscan.Options{
		FSGroup: *fc.fsGroup, ReadOnly: fc.claimRO,
		OnOffender: func(o volscan.Offender) {
			offenders = append(offenders, strings.TrimPrefix(o.Path, "./"))
		},
	})
	if err != nil {
		t.Fatalf("volscan check: %v", err)
	}
	slices.Sort(offenders)
	return &scanResult{res: res, offenders: offenders}
}

// checkScan compares (c) scan's verdict and offender list with the kubelet: when the kubelet
// walked, the offenders are exactly the entries it changed; when it skipped under
// OnRootMismatch, scan's verdict is safe or unsafe and the offenders are still there, unchanged.
func checkScan(t *testing.T, fc fidelityCase, sr *scanResult, before, after Snapshot,
	kubelet Verdict) {
	if sr == nil {
		return
	}
	root := ownership.CheckRoot(before["."], *fc.fsGroup, fc.claimRO)
	if sr.res.Root.Mismatch != root {
		t.Errorf("scan root test: %v, model %v", sr.res.Root.Mismatch, root)
	}
	if int(sr.res.Entries) != len(before) {
		t.Errorf("scan counted %d entries, the tree has %d", sr.res.Entries, len(before))
	}

	changed := Changed(before, after)
	switch kubelet {
	case Walk:
		if d := diffLists(sr.offenders, changed); d != "" {
			t.Errorf("scan offenders vs kubelet changes: %s", d)
		}
	case Skip:
		if sr.res.Verdict == volscan.VerdictWalksAnyway {
			t.Errorf("scan says %s, kubelet skipped", sr.res.Verdict)
		}
		if (sr.res.Verdict == volscan.VerdictSafe) != (len(sr.offenders) == 0) {
			t.Errorf("scan verdict %s with %d offenders", sr.res.Verdict, len(sr.offenders))
		}
		if len(changed) != 0 {
			t.Errorf("kubelet skipped but changed %v", changed)
		}
	}
	if kubelet == Walk && fc.policy == ownership.PolicyOnRootMismatch &&
		sr.res.Verdict != volscan.VerdictWalksAnyway {
		t.Errorf("kubelet walked under OnRootMismatch, scan says %s", sr.res.Verdict)
	}
}

// checkTimeline runs (d) the explain diagnosis on the kubelet log of the pod start: a walk must
// be found for the volume when the kubelet walked, none when it did not, and a walk that
// dominates the start-up must be diagnosed as fsgroup-walk. It returns the cause.
func checkTimeline(t *testing.T, pod *corev1.Pod, log, dir string, kubelet Verdict,
	dominant bool) timeline.CauseID {
	tmp := t.TempDir()
	logPath := filepath.Join(tmp, "kubelet.log")
	podPath := filepath.Join(tmp, "pod.yaml")
	podYAML, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(podPath, podYAML, 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := timeline.Load([]string{logPath, podPath}, timeline.Options{
		Year: time.Now().UTC().Year(), Pod: pod.Namespace + "/" + pod.Name,
		OpenLog: func(r io.Reader, file string, o kubelog.Options) timeline.LogReader {
			return kubelog.NewReader(r, file, o)
		},
	})
	if err != nil {
		t.Errorf("timeline: %v", err)
		return ""
	}
	p, ok := findPod(res, string(pod.UID))
	if !ok {
		t.Errorf("timeline: pod %s (uid %s) not found", pod.Name, pod.UID)
		return ""
	}

	walked := slices.ContainsFunc(p.Walks, func(w timeline.Walk) bool { return w.Path == dir })
	if walked != (kubelet == Walk) {
		t.Errorf("timeline: walk of %s found=%v, kubelet verdict %s (walks %+v)", dir, walked,
			kubelet, p.Walks)
	}
	cause := p.Diagnosis.Cause
	if kubelet != Walk && cause == timeline.CauseFSGroupWalk {
		t.Errorf("timeline diagnoses %s but the kubelet did not walk", cause)
	}
	if dominant && cause != timeline.CauseFSGroupWalk {
		t.Errorf("timeline diagnoses %s for a start-up dominated by the walk (%s)", cause,
			p.Diagnosis.Summary)
	}
	return cause
}

func findPod(res *timeline.Result, uid string) (timeline.Pod, bool) {
	for _, p := range res.Pods {
		if p.UID == uid {
			return p, true
		}
	}
	return timeline.Pod{}, false
}
