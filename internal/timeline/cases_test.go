package timeline

import (
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// corpusDir is the shared corpus beside the repository (../shared/corpus from the repo root).
func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available at %s: %v", dir, err)
	}
	return dir
}

func openKubelog(r io.Reader, file string, o kubelog.Options) LogReader {
	return kubelog.NewReader(r, file, o)
}

// loadCase explains the named corpus files and returns the pod with the longest start-up.
func loadCase(t *testing.T, sub string, files ...string) (*Result, Pod) {
	t.Helper()
	dir := corpusDir(t, sub)
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	res, err := Load(paths, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %v", p)
	}
	if len(res.Pods) == 0 {
		t.Fatalf("no pod in %v", files)
	}
	return res, res.Pods[0]
}

// stamp parses a time written as in the corpus inputs.
func stamp(t *testing.T, layout, s string) time.Time {
	t.Helper()
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const clockLayout = "15:04:05.999999"

// span is the duration between two clock times of the inputs.
func span(t *testing.T, from, to string) time.Duration {
	return stamp(t, clockLayout, to).Sub(stamp(t, clockLayout, from))
}

// checkDiagnosis asserts the cause, the delay within 1 s, and words of the fix.
func checkDiagnosis(t *testing.T, p Pod, cause CauseID, want time.Duration, fixWords ...string) {
	t.Helper()
	d := p.Diagnosis
	if d.Cause != cause {
		t.Errorf("%s: cause = %s (%s), want %s", p.Key(), d.Cause, d.Summary, cause)
	}
	if diff := d.Delay - want; diff > time.Second || diff < -time.Second {
		t.Errorf("%s: delay = %s, want %s ± 1s", p.Key(), d.Delay, want)
	}
	for _, w := range fixWords {
		if !strings.Contains(d.Fix, w) {
			t.Errorf("%s: fix %q does not mention %q", p.Key(), d.Fix, w)
		}
	}
	if len(d.Evidence) == 0 {
		t.Errorf("%s: diagnosis without evidence", p.Key())
	}
}

// case01: MountDevice succeeded 09:02:21.81 → SetUp succeeded 09:29:41.17 (27 min 19 s).
func TestCase01StructuredKlogWalk(t *testing.T) {
	_, p := loadCase(t, "cases", "case01.kubelet.log", "case01.events.txt", "case01.pod-spec.yaml")
	checkDiagnosis(t, p, CauseFSGroupWalk, span(t, "09:02:21.812118", "09:29:41.172118"),
		"OnRootMismatch")
	if p.Name != "tfrunner-0" || p.Namespace != "platform-ci" {
		t.Errorf("pod = %s", p.Key())
	}
	if p.Diagnosis.Confidence != ConfidenceHigh {
		t.Errorf("confidence = %s", p.Diagnosis.Confidence)
	}
}

// case02: Pulling at age 6m56s, Pulled at 26s ⇒ 6 min 30 s; the ownership warnings are the
// pre-timer flood on secret/configMap volumes and must not be blamed.
func TestCase02WarningFloodIsNotTheCause(t *testing.T) {
	_, p := loadCase(t, "cases", "case02.kubelet.journal.log", "case02.describe.txt")
	checkDiagnosis(t, p, CauseImagePull, 6*time.Minute+56*time.Second-26*time.Second, "pre-pull")
	flood := false
	for _, r := range p.Diagnosis.RuledOut {
		flood = flood || strings.Contains(r, "secret/configMap")
	}
	if !flood {
		t.Errorf("ruled-out notes do not explain the warning flood: %q", p.Diagnosis.RuledOut)
	}
}

// case02's kubelet log alone: the 1.18 kubelet warned as the EBS walk began and logged no SetUp
// ending for any volume, so the log cannot tell how long the walk took; it must not be blamed.
func TestCase02LogAloneBlamesNoWalk(t *testing.T) {
	_, p := loadCase(t, "cases", "case02.kubelet.journal.log")
	d := p.Diagnosis
	if d.Cause == CauseFSGroupWalk || d.Confidence != ConfidenceLow || !d.DelayUnknown ||
		d.Cost != nil {
		t.Errorf("diagnosis %s (%s, delay %v, unknown %t): want unknown, low, no delay",
			d.Cause, d.Confidence, d.Delay, d.DelayUnknown)
	}
	if !strings.Contains(d.Summary, "pvc-ca5e4432-cb70-4793-8fa9-2ed8cba4b22b") {
		t.Errorf("summary does not name the walked volume: %s", d.Summary)
	}
}

// case04: PodScheduled 08:00:00 → PodReadyToStartContainers 08:18:41 (upper bound).
func TestCase04InferredFromConditions(t *testing.T) {
	_, p := loadCase(t, "cases", "case04.pod.json")
	checkDiagnosis(t, p, CauseFSGroupWalk, 18*time.Minute+41*time.Second, "OnRootMismatch")
	if !p.Diagnosis.UpperBound {
		t.Error("an inferred delay must be flagged as an upper bound")
	}
}

// case05: MountDevice ts 1783528813.45 → SetUp ts 1783529059.15 (4 min 5 s); progress lines at
// 96935/193053/290041 files 60 s apart.
func TestCase05JSONLogWithRate(t *testing.T) {
	_, p := loadCase(t, "cases", "case05.kubelet.jsonl", "case05.csidriver.yaml")
	want := time.Duration((1783529059.15 - 1783528813.45) * float64(time.Second))
	checkDiagnosis(t, p, CauseFSGroupWalk, want, "OnRootMismatch")
	rate := float64(290041-96935) / 120
	if math.Abs(p.Diagnosis.FilesPerSecond-rate) > 1 {
		t.Errorf("files/s = %.1f, want %.1f", p.Diagnosis.FilesPerSecond, rate)
	}
}

// case06: Scheduled 11:05:40 → SuccessfulAttachVolume 11:09:14 (3 min 34 s).
func TestCase06MultiAttach(t *testing.T) {
	_, p := loadCase(t, "cases", "case06.events.json", "case06.deployment.yaml")
	checkDiagnosis(t, p, CauseVolumeAttachWait, 3*time.Minute+34*time.Second, "Recreate")
	if p.Name != "dashboards-7c48d6f5b-9vw2c" {
		t.Errorf("slowest pod = %s, want the new pod", p.Key())
	}
}

// case11: init container init-dirs ran 06:30:06 → 07:03:06 (33 min 0 s).
func TestCase11ChownInitContainer(t *testing.T) {
	_, p := loadCase(t, "cases", "case11.pod.json", "case11.pv.yaml")
	checkDiagnosis(t, p, CauseChownInitContainer, 33*time.Minute, "non-recursive")
}

// case13: sandbox ready 21:40:06.75 → CreateContainer returned 22:03:10.85 (≈23 min 4 s).
func TestCase13SELinuxRelabel(t *testing.T) {
	_, p := loadCase(t, "cases", "case13.node-journal.log", "case13.pod-excerpt.yaml")
	checkDiagnosis(t, p, CauseSELinuxRelabel, span(t, "21:40:06.7512", "22:03:10.8512"),
		"seLinuxOptions.level", "-o context")
}

// case15: FailedMount applyFSGroup permission denied, first 19:03:32, last 19:25:00 (x17).
func TestCase15FailingWalk(t *testing.T) {
	_, p := loadCase(t, "cases", "case15.events.json", "case15.pod-securitycontext.yaml")
	checkDiagnosis(t, p, CauseFSGroupWalkFailed, span(t, "19:03:32", "19:25:00"),
		"chgrp 3001 . && chmod 2770 .", "remove fsGroup", "fsGroupPolicy: None", "no_root_squash")
	if p.Phases[len(p.Phases)-1].Open != true {
		t.Error("the failing volume setup must be open at the end of the input")
	}
}

// case18: NodeStageVolume 04:00:00.12 → response 04:28:33.02, kubelet MountDevice 04:28:33.15.
func TestCase18DriverSideWalk(t *testing.T) {
	_, p := loadCase(t, "cases", "case18.csi-node-plugin.log", "case18.kubelet-excerpt.log")
	checkDiagnosis(t, p, CauseCSIDriverWalk, span(t, "04:00:00.12", "04:28:33.02"),
		"remove fsGroup")
}

// metricSum reads storage_operation_duration_seconds_sum for volume_apply_access_control and
// the given plugin from a kubelet metrics scrape.
func metricSum(t *testing.T, path, plugin string) float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^storage_operation_duration_seconds_sum\{[^}]*` +
		`operation_name="volume_apply_access_control"[^}]*volume_plugin="` +
		regexp.QuoteMeta(plugin) + `"\} (\S+)$`)
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no volume_apply_access_control sum for %s", path, plugin)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The 4M-file walk: the metric is cumulative since kubelet start; the 200k walk was scraped just
// before (count 1 → 2), so the 4M walk is the difference of the two sums.
func TestRealKubelet4MWalkMatchesMetric(t *testing.T) {
	dir := corpusDir(t, "real-kubelet-v1.37.2")
	const plugin = "kubernetes.io/local-volume"
	after := metricSum(t, filepath.Join(dir, "kubelet-metrics-after-always-4m.txt"), plugin)
	before := metricSum(t, filepath.Join(dir, "kubelet-metrics-after-always-200k.txt"), plugin)
	want := time.Duration((after - before) * float64(time.Second))

	_, p := loadCase(t, "real-kubelet-v1.37.2", "kubelet-v4-fsgroup-always-4m-files.log")
	checkDiagnosis(t, p, CauseFSGroupWalk, want, "OnRootMismatch")

	_, p = loadCase(t, "real-kubelet-v1.37.2", "kubelet-v4-fsgroup-always-4m-files.log",
		"kubelet-metrics-after-always-4m.txt", "kubelet-metrics-after-always-200k.txt")
	checkDiagnosis(t, p, CauseFSGroupWalk, want)
	if !strings.Contains(p.Diagnosis.Summary, "volume_apply_access_control") {
		t.Errorf("metric not used as evidence: %s", p.Diagnosis.Summary)
	}
}

// The 200k walk: the first observation of the metric (count 1) is that walk.
func TestRealKubelet200kWalkMatchesMetric(t *testing.T) {
	dir := corpusDir(t, "real-kubelet-v1.37.2")
	want := metricSum(t, filepath.Join(dir, "kubelet-metrics-after-always-200k.txt"),
		"kubernetes.io/local-volume")
	_, p := loadCase(t, "real-kubelet-v1.37.2", "kubelet-v4-fsgroup-always-200k-files.log")
	checkDiagnosis(t, p, CauseFSGroupWalk, time.Duration(want*float64(time.Second)))
}

// With OnRootMismatch the kubelet skipped the walk: no walk may be named.
func TestRealKubeletOnRootMismatchNamesNoWalk(t *testing.T) {
	_, p := loadCase(t, "real-kubelet-v1.37.2", "kubelet-v4-fsgroup-onrootmismatch-skip.log")
	if p.Diagnosis.Cause == CauseFSGroupWalk || p.Diagnosis.Cause == CauseFSGroupWalkFailed {
		t.Errorf("cause = %s, want no walk", p.Diagnosis.Cause)
	}
	for _, w := range p.Walks {
		if !freshWalk(w) {
			t.Errorf("walk on %s reported although the kubelet skipped it", w.Volume)
		}
	}
}

// A log split into two rotated files, given newest first, explains like the whole log.
func TestRotatedLogsInAnyOrder(t *testing.T) {
	dir := corpusDir(t, "cases")
	b, err := os.ReadFile(filepath.Join(dir, "case01.kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	tmp := t.TempDir()
	older, newer := filepath.Join(tmp, "kubelet.log.1"), filepath.Join(tmp, "kubelet.log")
	os.WriteFile(older, []byte(strings.Join(lines[:20], "")), 0o644)
	os.WriteFile(newer, []byte(strings.Join(lines[20:], "")), 0o644)
	res, err := Load([]string{newer, older}, Options{OpenLog: openKubelog})
	if err != nil {
		t.Fatal(err)
	}
	checkDiagnosis(t, res.Pods[0], CauseFSGroupWalk, span(t, "09:02:21.812118", "09:29:41.172118"))
}

// klog stamps take their year from the other inputs (here a pod whose status is from 2024).
func TestYearFromOtherInputs(t *testing.T) {
	dir := corpusDir(t, "cases")
	var got int
	opener := func(r io.Reader, f string, o kubelog.Options) LogReader {
		got = o.Year
		return kubelog.NewReader(r, f, o)
	}
	pod := filepath.Join(t.TempDir(), "pod.json")
	os.WriteFile(pod, []byte(`{"kind":"Pod","metadata":{"name":"x","namespace":"y"},"status":`+
		`{"conditions":[{"type":"PodScheduled","status":"True",`+
		`"lastTransitionTime":"2024-04-12T09:02:11Z"}]}}`), 0o644)
	if _, err := Load([]string{filepath.Join(dir, "case01.kubelet.log"), pod},
		Options{OpenLog: opener}); err != nil {
		t.Fatal(err)
	}
	if got != 2024 {
		t.Errorf("year = %d, want 2024", got)
	}
	if _, err := Load([]string{filepath.Join(dir, "case01.kubelet.log"), pod},
		Options{OpenLog: opener, Year: 2019}); err != nil || got != 2019 {
		t.Errorf("--year not honoured: %d %v", got, err)
	}
}

// All cases given together: every pod keeps its own diagnosis (no line is given to the wrong
// pod), slowest first.
func TestAllCasesTogether(t *testing.T) {
	res, _ := loadCase(t, "cases", "case01.kubelet.log", "case01.events.txt",
		"case02.kubelet.journal.log", "case02.describe.txt", "case04.pod.json",
		"case05.kubelet.jsonl", "case06.events.json", "case11.pod.json", "case13.node-journal.log",
		"case15.events.json", "case18.csi-node-plugin.log", "case18.kubelet-excerpt.log")
	want := map[string]CauseID{
		"platform-ci/tfrunner-0":                   CauseFSGroupWalk,
		"analytics/reporting-api-6d9c7f5b8-k2xwq":  CauseImagePull,
		"streaming/events-broker-0":                CauseFSGroupWalk,
		"media/media-indexer-7c9d5-xq7mb":          CauseFSGroupWalk,
		"observability/dashboards-7c48d6f5b-9vw2c": CauseVolumeAttachWait,
		"media/library-scanner-59d8b7c6f4-h2l9s":   CauseChownInitContainer,
		"research/notebook-jdoe-0":                 CauseSELinuxRelabel,
		"security/secrets-vault-0":                 CauseFSGroupWalkFailed,
		"ml/trainer-0":                             CauseCSIDriverWalk,
	}
	var last time.Duration = math.MaxInt64
	for _, p := range res.Pods {
		if c, ok := want[p.Key()]; ok && p.Diagnosis.Cause != c {
			t.Errorf("%s: cause %s, want %s", p.Key(), p.Diagnosis.Cause, c)
		}
		delete(want, p.Key())
		if len(p.Phases) > 0 && p.Diagnosis.Delay > last {
			t.Errorf("%s not sorted slowest first", p.Key())
		}
		if len(p.Phases) > 0 {
			last = p.Diagnosis.Delay
		}
	}
	for k := range want {
		t.Errorf("pod %s missing", k)
	}
}

// The fix names the field the user changes: the pod's spec.securityContext when the spec is the
// pod's own (case04's pod JSON), the pod template's when it came from a workload (case01's
// StatefulSet excerpt), as case01.expected.md writes it.
func TestWalkFixNamesTheEditableField(t *testing.T) {
	_, pod := loadCase(t, "cases", "case04.pod.json")
	if fix := pod.Diagnosis.Fix; !strings.Contains(fix, "set spec.securityContext.") {
		t.Errorf("case04 fix %q does not name the pod's spec.securityContext", fix)
	}
	_, wl := loadCase(t, "cases", "case01.kubelet.log", "case01.pod-spec.yaml")
	if fix := wl.Diagnosis.Fix; !strings.Contains(fix, "spec.template.spec.securityContext.") {
		t.Errorf("case01 fix %q does not name the template's field", fix)
	}
}

// Partial inputs: what a user often has is only part of a case. Each still names the step that
// took the time, bracketed by what the input shows.

// case01 without the kubelet log: the events table has Scheduled at age 28m and Pulling at 33s
// with nothing between (no FailedMount event since 1.28), and the StatefulSet excerpt sets
// fsGroup without a policy on a volumeClaimTemplate: an inferred walk of ≤ 27m27s.
func TestCase01EventsAndSpecOnly(t *testing.T) {
	_, p := loadCase(t, "cases", "case01.events.txt", "case01.pod-spec.yaml")
	checkDiagnosis(t, p, CauseFSGroupWalk, 28*time.Minute-33*time.Second, "OnRootMismatch")
	if !p.Diagnosis.UpperBound || p.Diagnosis.Phase != PhaseVolumeSetup {
		t.Errorf("diagnosis %+v, want an upper bound on volume-setup", p.Diagnosis)
	}
}

// case18 with the kubelet excerpt alone: the volume wait timed out at 04:02:03.41, 2m3s after
// it began, and MountDevice succeeded at 04:28:33.15 on a CSI globalmount: 28m33s in
// MountDevice, which the kubelet cannot explain without the driver's log.
func TestCase18KubeletExcerptOnly(t *testing.T) {
	_, p := loadCase(t, "cases", "case18.kubelet-excerpt.log")
	want := span(t, "04:02:03.412008", "04:28:33.151204") + 2*time.Minute + 3*time.Second
	if d := p.Diagnosis; d.Phase != PhaseDeviceMount || (d.Delay-want).Abs() > time.Second {
		t.Errorf("diagnosis phase %s, delay %s; want device-mount, %s", d.Phase, d.Delay, want)
	}
	if !strings.Contains(p.Diagnosis.Fix, "CSI node plugin") {
		t.Errorf("fix %q does not ask for the CSI node plugin's log", p.Diagnosis.Fix)
	}
}

// The real kubelet's events alone: VolumePermissionChangeInProgress at age 5m39s (sent 30 s
// into the walk) and the container steps at 4m51s bracket the walk at ≤ 78 s; the kubelet's
// volume_apply_access_control metric measured 77.82 s (80.12 s minus the 200k walk's 2.30 s).
func TestRealKubeletEventsOnly(t *testing.T) {
	dir := corpusDir(t, "real-kubelet-v1.37.2")
	res, err := Load([]string{filepath.Join(dir, "events.txt")},
		Options{OpenLog: openKubelog, Pod: "default/fsgroup-always-4m"})
	if err != nil || len(res.Pods) != 1 {
		t.Fatalf("%d pods, err %v", len(res.Pods), err)
	}
	checkDiagnosis(t, res.Pods[0], CauseFSGroupWalk, 78*time.Second, "OnRootMismatch")
	if metric := 80122394*time.Microsecond - 2300309*time.Microsecond; (res.Pods[0].Diagnosis.
		Delay - metric).Abs() > time.Second {
		t.Errorf("delay %s, kubelet metric %s", res.Pods[0].Diagnosis.Delay, metric)
	}
}

// One cumulative scrape that timed two walks (the 200k and the 4M walk of the real run) cannot
// corroborate either; the result says so instead of staying silent.
func TestCumulativeMetricScrapeIsNamed(t *testing.T) {
	res, _ := loadCase(t, "real-kubelet-v1.37.2", "kubelet-v4-fsgroup-always-4m-files.log",
		"kubelet-metrics-after-always-4m.txt")
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "2 walks of "+
		"kubernetes.io/local-volume took 80.122 s together") {
		t.Errorf("warnings %q do not name the two walks of the scrape", res.Warnings)
	}
}

// A pod that is Ready but shows no running container (statuses missing, or the container
// waiting in CrashLoopBackOff) is still explained: no step may assume a start time exists.
func TestReadyPodWithoutRunningContainer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir(t, "cases"), "case04.pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pod map[string]any
	if err := json.Unmarshal(raw, &pod); err != nil {
		t.Fatal(err)
	}
	status := pod["status"].(map[string]any)
	waiting := []any{map[string]any{"name": "broker", "ready": false,
		"state": map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff"}}}}
	for name, statuses := range map[string]any{"without statuses": nil, "waiting": waiting} {
		status["containerStatuses"] = statuses
		b, _ := json.Marshal(pod)
		path := filepath.Join(t.TempDir(), "pod.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Load([]string{path}, Options{})
		if err != nil || len(res.Pods) != 1 || res.Pods[0].Diagnosis.Cause != CauseFSGroupWalk {
			t.Errorf("%s: err %v, pods %+v", name, err, res.Pods)
		}
	}
}

// A log cut while the walk still runs, the case of a pod stuck right now: case01 up to any line
// after the ownership warning (line 9) and before SetUp succeeded (line 34) names the walk on
// the claim, still running, from MountDevice (09:02:21.81) to the last line; the token
// volume's early SetUp must not close the phase.
func TestCase01CutWhileWalking(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir(t, "cases"), "case01.kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	for _, cut := range []int{9, 10, 21, 33} {
		path := filepath.Join(t.TempDir(), "kubelet.log")
		if err := os.WriteFile(path, []byte(strings.Join(lines[:cut], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := Load([]string{path}, Options{OpenLog: openKubelog, Year: 2026})
		if err != nil || len(res.Pods) != 1 {
			t.Fatalf("cut at %d: %d pods, err %v", cut, len(res.Pods), err)
		}
		p := res.Pods[0]
		last := stamp(t, clockLayout, strings.Fields(lines[cut-1])[1])
		want := last.Sub(stamp(t, clockLayout, "09:02:21.812118"))
		ph := p.Phases[len(p.Phases)-1]
		if p.Diagnosis.Cause != CauseFSGroupWalk || ph.Name != PhaseVolumeSetup || !ph.Open ||
			(p.Diagnosis.Delay-want).Abs() > time.Second {
			t.Errorf("cut at %d: %s %s open=%v, delay %s; want fsgroup-walk in an open "+
				"volume-setup of %s", cut, p.Diagnosis.Cause, ph.Name, ph.Open, p.Diagnosis.Delay,
				want)
		}
	}
}

// TestCase04WithByteOrderMark: the same pod JSON saved with a UTF-8 byte order mark (Windows
// editors, PowerShell) is still read as objects.
func TestCase04WithByteOrderMark(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(corpusDir(t, "cases"), "case04.pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pod.json")
	if err := os.WriteFile(path, append([]byte("\ufeff"), raw...), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Load([]string{path}, Options{OpenLog: openKubelog})
	if err != nil || len(res.Pods) != 1 || res.Pods[0].Diagnosis.Cause != CauseFSGroupWalk {
		t.Fatalf("Load: %v, %d pods, problems %v", err, len(res.Pods), res.Problems)
	}
}
