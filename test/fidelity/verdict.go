package fidelity

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// Verdict is what happened to a volume's ownership at a pod start.
type Verdict string

// Verdicts.
const (
	// NoChange: the kubelet did not look at ownership (no fsGroup, or the volume plugin did not
	// call the ownership code).
	NoChange Verdict = "none"
	// Skip: OnRootMismatch and the root matched.
	Skip Verdict = "skip"
	// Walk: the recursive walk ran.
	Walk Verdict = "walk"
)

// ModelVerdict is the model's verdict for a pod with fsGroup (nil when unset) and policy on a
// volume whose root is root, mounted read-only or not; mismatch tells why the root failed.
func ModelVerdict(root ownership.Entry, fsGroup *int64, policy ownership.Policy,
	readOnly bool) (Verdict, ownership.RootMismatch) {
	if fsGroup == nil {
		return NoChange, 0
	}
	m := ownership.CheckRoot(root, *fsGroup, readOnly)
	if !policy.SkipsWhenRootMatches() {
		return Walk, m
	}
	if m == 0 {
		return Skip, 0
	}
	return Walk, m
}

// The kubelet's ownership messages (pkg/volume/volume_linux.go, structured klog, V(3)/V(4)).
const (
	msgSkip     = `"Skipping permission and ownership change for volume"`
	msgRecurse  = `"Perform recursive ownership change for directory"`
	msgGID      = `"Expected group ownership of volume did not match with Gid"`
	msgMode     = `"Performing recursive ownership change on rootDir because of mismatching mode"`
	msgStatFail = `"Performing recursive ownership change on rootDir because reading permissions`
)

// LogVerdict is the kubelet's verdict for one pod volume directory, from its log.
type LogVerdict struct {
	Verdict Verdict
	// Reason is the message that decided: msgRecurse for policy unset/Always, msgGID or
	// msgMode for a mismatching root under OnRootMismatch, msgSkip.
	Reason string
	// Lines are the log lines about the directory's ownership.
	Lines []string
}

// KubeletVerdict reads the kubelet log text for the ownership messages naming dir (the pod's
// volume directory, as in `path="<dir>"`).
func KubeletVerdict(log, dir string) LogVerdict {
	v := LogVerdict{Verdict: NoChange}
	key := `path="` + dir + `"`
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, key) {
			continue
		}
		for _, m := range []string{msgSkip, msgRecurse, msgGID, msgMode, msgStatFail} {
			if !strings.Contains(line, m) {
				continue
			}
			v.Lines = append(v.Lines, line)
			v.Reason = strings.Trim(m, `"`)
			v.Verdict = Walk
			if m == msgSkip {
				v.Verdict = Skip
			}
		}
	}
	return v
}

// ReasonFor is the kubelet message the model expects to decide a walk: the policy message, or
// for OnRootMismatch the first root test that fails in the kubelet's order (group, then mode).
func ReasonFor(v Verdict, policy ownership.Policy, m ownership.RootMismatch) string {
	switch {
	case v == NoChange:
		return ""
	case v == Skip:
		return strings.Trim(msgSkip, `"`)
	case !policy.SkipsWhenRootMatches():
		return strings.Trim(msgRecurse, `"`)
	case m&ownership.RootGIDDiffer != 0:
		return strings.Trim(msgGID, `"`)
	case m&ownership.RootNotDir != 0:
		return "" // the kubelet walks without a message
	}
	return strings.Trim(msgMode, `"`)
}

// WalkCount sums storage_operation_duration_seconds_count for the ownership walk
// (operation_name="volume_apply_access_control") of one volume plugin in a kubelet /metrics
// page. The kubelet observes it only when a walk ran.
func WalkCount(metrics, plugin string) int64 {
	return int64(walkMetric(metrics, plugin, "_count"))
}

// WalkSeconds sums the same histogram's _sum: the seconds the kubelet spent walking.
func WalkSeconds(metrics, plugin string) float64 {
	return walkMetric(metrics, plugin, "_sum")
}

func walkMetric(metrics, plugin, suffix string) float64 {
	var n float64
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(line, "storage_operation_duration_seconds"+suffix+"{") ||
			!strings.Contains(line, `operation_name="volume_apply_access_control"`) ||
			!strings.Contains(line, `volume_plugin="`+plugin+`"`) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil && v >= 0 {
			n += v
		}
	}
	return n
}
