package timeline

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/audit"
	"github.com/startlag/startlag/internal/ownership"
)

// diagnoser names the cause of one pod's slow start-up.
type diagnoser struct {
	p       *podState
	pod     *Pod
	metrics []walkMetric
	opts    Options
}

// diagnose picks the longest phase and explains it.
func (d *diagnoser) diagnose() Diagnosis {
	slow := d.slowest()
	if slow == nil {
		return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
			Summary: "the input shows no start-up phase of this pod", Fix: causes[CauseUnknown].Fix}
	}
	dg := d.byPhase(slow)
	if d.pod.Total() < SlowStep && dg.Cause == CauseUnknown {
		dg.Summary = fmt.Sprintf("the start-up shown took only %s; no phase stands out",
			fmtDur(d.pod.Total()))
		dg.Fix = "nothing to fix in the start-up the input shows"
	}
	dg.Phase = slow.Name
	if dg.Delay == 0 && !dg.DelayUnknown {
		dg.Delay = slow.Duration()
		dg.UpperBound = dg.UpperBound || slow.Inferred
	}
	if dg.Fix == "" {
		dg.Fix = causes[dg.Cause].Fix
	}
	if len(dg.Evidence) == 0 {
		dg.Evidence = slow.Evidence
	}
	sortEvidence(dg.Evidence)
	dg.Evidence = capEvidence(dg.Evidence, 8)
	dg.RuledOut = append(dg.RuledOut, d.redHerrings(dg.Cause)...)
	if !dg.DelayUnknown {
		dg.Cost = costOf(dg.Delay, d.opts.RestartsPerMonth)
	}
	return dg
}

// slowest returns the longest phase other than the scheduling instant.
func (d *diagnoser) slowest() *Phase {
	var best *Phase
	for i := range d.pod.Phases {
		ph := &d.pod.Phases[i]
		if ph.Name == PhaseScheduled {
			continue
		}
		if best == nil || ph.Duration() > best.Duration() {
			best = ph
		}
	}
	return best
}

// byPhase maps the slow phase to a cause using the evidence around it.
func (d *diagnoser) byPhase(ph *Phase) Diagnosis {
	switch ph.Name {
	case PhaseAttach:
		return d.attach(ph)
	case PhaseDeviceMount:
		return d.deviceMount(ph)
	case PhaseVolumeSetup:
		return d.volumeSetup(ph)
	case PhaseImagePull:
		return Diagnosis{Cause: CauseImagePull, Confidence: ConfidenceHigh,
			Summary: fmt.Sprintf("pulling %s took %s", orWord(ph.Detail, "the image"),
				fmtDur(ph.Duration()))}
	case PhaseInitContainers:
		return d.initContainers(ph)
	case PhaseContainerCreate:
		return d.containerCreate(ph)
	case PhaseSandbox:
		return d.sandbox(ph)
	case PhaseContainerStart, PhaseReady:
		return Diagnosis{Cause: CauseAppStart, Confidence: ConfidenceMedium,
			Summary: "volumes, sandbox and image were ready quickly; the time went to the " +
				"application after its container started"}
	}
	return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: fmt.Sprintf("the %s phase took longest; the input does not say why", ph.Name.Label())}
}

func (d *diagnoser) attach(ph *Phase) Diagnosis {
	dg := Diagnosis{Cause: CauseVolumeAttachWait, Confidence: ConfidenceMedium,
		Summary: "the pod waited for its volume to be attached to the node"}
	if d.p.set(sigMultiAttach) != nil {
		dg.Confidence = ConfidenceHigh
		dg.Summary = "Multi-Attach: the ReadWriteOnce volume was still attached to another node; " +
			"the pod waited until it was detached there and attached here"
	}
	if d.p.spec != nil && strings.Contains(d.p.specFrom, "Deployment") {
		dg.Fix = "set spec.strategy.type: Recreate on the Deployment (RollingUpdate starts the new " +
			"pod while the old one still holds the ReadWriteOnce volume), or use a StatefulSet"
	}
	return dg
}

func (d *diagnoser) deviceMount(ph *Phase) Diagnosis {
	for _, w := range d.pod.Walks {
		if w.DriverSide {
			return Diagnosis{Cause: CauseCSIDriverWalk, Confidence: ConfidenceHigh,
				Summary: "the CSI driver changed ownership of the whole volume on its staging path " +
					"(globalmount) inside NodeStageVolume; the pod's fsGroupChangePolicy does not " +
					"apply there", Evidence: append(w.Evidence, ph.Evidence...)}
		}
	}
	dg := Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: "MountDevice (NodeStageVolume) was slow; the input does not say why"}
	if d.stagedByCSI(ph.Volume) {
		dg.Summary = "MountDevice of a CSI volume was slow: the time went in the driver's " +
			"NodeStageVolume. If the pod sets fsGroup and the driver applies it itself " +
			"(VOLUME_MOUNT_GROUP), the driver walks the whole volume there (csi-driver-walk)"
		dg.Fix = "add the CSI node plugin's log of that node (kubectl logs on the driver's " +
			"node pod, its driver container) and the pod's spec to the inputs"
	}
	return dg
}

// stagedByCSI reports whether the named volume's MountDevice staged it on a CSI globalmount.
func (d *diagnoser) stagedByCSI(volume string) bool {
	v, ok := d.p.vols[volume]
	return ok && isStagingPath(v.devicePath)
}

// volumeSetup explains a slow SetUp: failing walk, walk, skipped walk or an inferred walk.
func (d *diagnoser) volumeSetup(ph *Phase) Diagnosis {
	if dg, ok := d.failedWalk(ph); ok {
		return dg
	}
	if w, ok := d.walkOn(ph.Volume); ok && !freshWalk(w) {
		return d.walk(ph, w)
	}
	if d.skipped(ph.Volume) {
		return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
			Summary: "volume SetUp was slow although the ownership walk was skipped " +
				"(OnRootMismatch); look at the storage driver"}
	}
	if dg, ok := d.inferredWalk(ph); ok {
		return dg
	}
	return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: "volume setup took longest but no line names an ownership walk and the pod's " +
			"securityContext is not in the input"}
}

// walkOn returns the walk on the named volume (any walk when the name is empty).
func (d *diagnoser) walkOn(vol string) (Walk, bool) {
	for _, w := range d.pod.Walks {
		if !w.DriverSide && (vol == "" || w.Volume == vol) {
			return w, true
		}
	}
	return Walk{}, false
}

func (d *diagnoser) skipped(vol string) bool {
	v, ok := d.p.vols[vol]
	return ok && v.set(sigOwnSkipped) != nil
}

// walk explains a finished or running kubelet walk.
func (d *diagnoser) walk(ph *Phase, w Walk) Diagnosis {
	if ph.Open && d.p.legacy && !d.setUpLogged() {
		return d.walkEndUnknown(w)
	}
	dg := Diagnosis{Cause: CauseFSGroupWalk, Confidence: ConfidenceHigh, Files: w.Files,
		FilesPerSecond: w.FilesPerSecond}
	if p := d.phase(PhaseDeviceMount); p != nil && w.Start.Equal(p.End) {
		dg.Evidence = lastEvidence(p.Evidence)
	}
	dg.Evidence = append(dg.Evidence, w.Evidence...)
	if ev := d.p.set(sigWaitTimeout).evidence(); len(ev) > 0 {
		dg.Evidence = append(dg.Evidence, ev[0])
	}
	dg.Delay = ph.Duration()
	if w.Duration() > 0 && !w.End.After(ph.End) {
		dg.Delay = w.Duration()
	}
	dg.UpperBound = ph.Inferred
	if d.p.legacy && w.Start.IsZero() {
		dg.Confidence = ConfidenceMedium
	}
	dg.Summary = fmt.Sprintf("the kubelet changed group ownership of every file of volume %s "+
		"(fsGroup set, fsGroupChangePolicy %s) before the pod could get a sandbox",
		orWord(w.Volume, "?"), d.policyWord())
	if ph.Open {
		dg.Summary += "; the walk was still running at the end of the input"
	}
	dg.Summary += d.rateSentence(w, ph)
	if m, ok := d.metricFor(w, dg.Delay); ok {
		dg.Evidence = append(dg.Evidence, m.ev)
		dg.Summary += fmt.Sprintf("; the kubelet's volume_apply_access_control metric records %s",
			fmtDur(m.dur))
	}
	dg.Fix = d.walkFix()
	return dg
}

// walkEndUnknown covers a ≤1.19 kubelet's walk with no end in the input: such a kubelet warns
// when a walk starts, and a log that shows no SetUp ending for any volume (a low log level, a
// filtered export) cannot say whether the walk took a second or an hour. Blaming it would
// often be wrong: most walks of that era were short and the warning printed for every SetUp.
func (d *diagnoser) walkEndUnknown(w Walk) Diagnosis {
	return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow, Evidence: w.Evidence,
		DelayUnknown: true,
		Summary: fmt.Sprintf("a kubelet of 1.19 or older started the ownership walk of volume "+
			"%s at %s (it warns when a walk starts, not after 30 s), and the input shows no "+
			"SetUp ending for any volume, so how long the walk took is unknown",
			orWord(w.Volume, "?"), w.Start.UTC().Format("15:04:05")),
		Fix: "add the pod's events or `kubectl describe pod` output (image pulls and container " +
			"starts date the end of SetUp), or a kubelet log at -v=2 or more"}
}

// setUpLogged reports whether the input shows a SetUp ending for any volume of the pod.
func (d *diagnoser) setUpLogged() bool {
	if d.p.set(sigSetUp) != nil {
		return true
	}
	for _, v := range d.p.vols {
		if v.set(sigSetUp) != nil {
			return true
		}
	}
	return false
}

// rateSentence describes the walk's speed and, when the total is known, the time left.
func (d *diagnoser) rateSentence(w Walk, ph *Phase) string {
	if w.FilesPerSecond <= 0 {
		if w.Files > 0 {
			return fmt.Sprintf("; at least %d files processed", w.Files)
		}
		return ""
	}
	s := fmt.Sprintf("; %d files processed by the last progress report, at %.0f files/s",
		w.Files, w.FilesPerSecond)
	total := d.opts.TotalFiles
	if ph.Open && total > w.Files {
		left := time.Duration(float64(total-w.Files) / w.FilesPerSecond * float64(time.Second))
		s += fmt.Sprintf(", about %s left for %d files", fmtDur(left), total)
	}
	return s
}

// policyWord describes the pod's fsGroupChangePolicy as far as the input shows it.
func (d *diagnoser) policyWord() string {
	sc := d.securityContext()
	switch {
	case sc == nil:
		return "unset or Always"
	case sc.FSGroupChangePolicy == nil:
		return "unset (= Always)"
	}
	return string(*sc.FSGroupChangePolicy)
}

func (d *diagnoser) securityContext() *corev1.PodSecurityContext {
	if d.p.spec == nil {
		return nil
	}
	return d.p.spec.SecurityContext
}

// walkFix is the fix for a kubelet walk, naming the explicit Always when the spec has it, and
// the field in the workload's template when the spec came from a workload in the inputs.
func (d *diagnoser) walkFix() string {
	fix := strings.Replace(causes[CauseFSGroupWalk].Fix, "spec.securityContext.",
		d.securityContextPath()+".", 1)
	if sc := d.securityContext(); sc != nil && sc.FSGroupChangePolicy != nil &&
		*sc.FSGroupChangePolicy == corev1.FSGroupChangeAlways {
		fix = strings.Replace(fix, "fsGroupChangePolicy: OnRootMismatch (GA since 1.23)",
			"fsGroupChangePolicy: OnRootMismatch instead of the explicit Always (GA since "+
				"1.23; in charts often podSecurityContext.fsGroupChangePolicy)", 1)
	}
	return fix
}

// securityContextPath is where the pod's securityContext is changed: the pod's spec, or the
// pod template of the workload the spec was taken from ("StatefulSet spec.template.spec…").
func (d *diagnoser) securityContextPath() string {
	kind, _, _ := strings.Cut(d.p.specFrom, " ")
	switch kind {
	case "", "Pod", "pod":
		return "spec.securityContext"
	case "CronJob":
		return "the CronJob's spec.jobTemplate.spec.template.spec.securityContext"
	}
	return "the " + kind + "'s spec.template.spec.securityContext"
}

// failedWalk recognises a walk that fails (permission denied, root_squash).
func (d *diagnoser) failedWalk(ph *Phase) (Diagnosis, bool) {
	fails := d.ownershipFailures()
	if len(fails) == 0 {
		return Diagnosis{}, false
	}
	first, last := fails[0], fails[len(fails)-1]
	dg := Diagnosis{Cause: CauseFSGroupWalkFailed, Confidence: ConfidenceHigh,
		Evidence: evidenceList(fails), Fix: causes[CauseFSGroupWalkFailed].Fix}
	if sc := d.securityContext(); sc != nil && sc.FSGroup != nil {
		dg.Fix = strings.Replace(dg.Fix, "<fsGroup>", fmt.Sprint(*sc.FSGroup), 1)
	}
	dg.Delay = last.at.Sub(first.at)
	if dg.Delay <= 0 {
		dg.Delay = ph.Duration()
	}
	dg.Summary = "the kubelet's fsGroup walk fails with permission denied (typical of NFS " +
		"root_squash: the kubelet acts as nobody), so SetUp fails and the pod cannot start"
	if ph.Open {
		dg.Summary += fmt.Sprintf("; still failing at the end of the input (%d failures)",
			failureCount(d.p))
	}
	return dg, true
}

// ownershipFailures returns the kept failure signals that concern ownership, in time order.
func (d *diagnoser) ownershipFailures() []signal {
	var out []signal
	for _, k := range []sigKind{sigOwnFailed, sigSetUpFailed} {
		ss := d.p.set(k)
		if ss == nil {
			continue
		}
		for _, s := range keptSignals(ss) {
			if k == sigOwnFailed || isOwnershipError(s.err+" "+s.detail+" "+s.ev.Text) {
				out = append(out, s)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// failureCount counts failures: an aggregated event (two signals, first and last occurrence)
// counts its repeat count once.
func failureCount(p *podState) int {
	n := 0
	for _, k := range []sigKind{sigOwnFailed, sigSetUpFailed} {
		ss := p.set(k)
		if ss == nil {
			continue
		}
		kept := keptSignals(ss)
		byLine := map[Evidence]int{}
		for _, s := range kept {
			key := Evidence{File: s.ev.File, Line: s.ev.Line, Text: s.ev.Text}
			byLine[key] = max(byLine[key], max(s.repeat, 1))
		}
		for _, c := range byLine {
			n += c
		}
		n += max(ss.n-len(kept), 0)
	}
	return n
}

// isOwnershipError reports whether an error text is the ownership walk failing.
func isOwnershipError(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "applyfsgroup failed") || strings.Contains(s, "lchown failed") ||
		strings.Contains(s, "chown failed") || strings.Contains(s, "chmod failed") ||
		strings.Contains(s, "setvolumeownership")
}

// inferredWalk blames the walk from timing and the pod spec alone.
func (d *diagnoser) inferredWalk(ph *Phase) (Diagnosis, bool) {
	sc := d.securityContext()
	if sc == nil || sc.FSGroup == nil || !d.hasPersistentVolume() {
		return Diagnosis{}, false
	}
	if sc.FSGroupChangePolicy != nil && *sc.FSGroupChangePolicy == corev1.FSGroupChangeOnRootMismatch {
		return Diagnosis{}, false
	}
	dg := Diagnosis{Cause: CauseFSGroupWalk, Confidence: ConfidenceMedium, UpperBound: true,
		Evidence: ph.Evidence, Fix: d.walkFix()}
	if sc.FSGroupChangePolicy != nil {
		dg.Confidence = ConfidenceHigh
	}
	dg.Summary = fmt.Sprintf("inferred from timing: the pod sets fsGroup %d with "+
		"fsGroupChangePolicy %s and mounts a persistent volume; %s took %s, which brackets "+
		"attach, mount, the ownership walk and the sandbox (upper bound)", *sc.FSGroup,
		d.policyWord(), ph.Name.Label(), fmtDur(ph.Duration()))
	return dg, true
}

// hasPersistentVolume reports whether the pod mounts a volume that outlives it.
func (d *diagnoser) hasPersistentVolume() bool {
	for _, v := range d.p.spec.Volumes {
		if v.PersistentVolumeClaim != nil || v.CSI != nil || v.NFS != nil || v.HostPath != nil ||
			v.Ephemeral != nil {
			return true
		}
	}
	return false
}

func (d *diagnoser) initContainers(ph *Phase) Diagnosis {
	if name, cmd, ok := d.chownInit(); ok {
		return Diagnosis{Cause: CauseChownInitContainer, Confidence: ConfidenceHigh,
			Summary: fmt.Sprintf("init container %s runs a recursive ownership change (%s) "+
				"over the volume at every start", name, cmd)}
	}
	return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: fmt.Sprintf("init container %s ran longest; its command is not in the input "+
			"or does not change ownership", orWord(ph.Detail, "?"))}
}

// chownInit finds an init container whose command changes ownership or mode recursively, as
// read by the audit's command reader (one reader for both verbs).
func (d *diagnoser) chownInit() (name, cmd string, ok bool) {
	if d.p.spec == nil {
		return "", "", false
	}
	for i := range d.p.spec.InitContainers {
		c := &d.p.spec.InitContainers[i]
		if ops := audit.RecursiveOwnershipOps(c); len(ops) > 0 {
			return c.Name, shorten(ops[0].Text, 80), true
		}
	}
	return "", "", false
}

func (d *diagnoser) containerCreate(ph *Phase) Diagnosis {
	if d.p.set(sigSELinuxRelabel) != nil {
		return Diagnosis{Cause: CauseSELinuxRelabel, Confidence: ConfidenceHigh,
			Summary: "the container runtime relabelled the volume for SELinux inside CreateContainer"}
	}
	if d.p.set(sigCreateErr) != nil || d.p.set(sigNameReserved) != nil {
		return Diagnosis{Cause: CauseSELinuxRelabel, Confidence: ConfidenceMedium,
			Summary: "CreateContainer ran past the runtime timeout (context deadline exceeded, " +
				"then \"failed to reserve container name\" while the first request was still " +
				"running) after the volumes had mounted quickly: the runtime was relabelling the " +
				"volume for SELinux (no relabel line names it; check that the node enforces SELinux)"}
	}
	return Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: "container creation in the runtime was slow; the input does not say why"}
}

// redHerrings lists signals that look like a cause but are not.
func (d *diagnoser) redHerrings(cause CauseID) []string {
	var out []string
	if n := d.freshWarnings(); n > 0 {
		out = append(out, d.freshWarningNote(n))
	}
	if cause != CauseFSGroupWalk && cause != CauseFSGroupWalkFailed {
		out = append(out, d.shortWalkNotes()...)
	}
	if ss := d.p.set(sigOwnSkipped); ss != nil && cause != CauseFSGroupWalk {
		out = append(out, "the ownership walk was skipped (OnRootMismatch: the volume root "+
			"already matched)")
	}
	if ss := d.p.set(sigWaitCanceled); ss != nil {
		out = append(out, fmt.Sprintf("%d volume wait(s) ended with \"context canceled\": the pod "+
			"was updated or deleted while waiting, not a timeout", ss.n))
	}
	return out
}

// freshWarnings counts ownership warnings on volumes recreated for every pod.
func (d *diagnoser) freshWarnings() int {
	n := 0
	for _, v := range d.p.vols {
		if ss := v.set(sigOwnWarning); ss != nil && ownership.FreshEachPod(v.plugin) {
			n += ss.n
		}
	}
	return n
}

// pluralWord is one when n is 1, else many.
func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (d *diagnoser) freshWarningNote(n int) string {
	s := fmt.Sprintf("%d ownership %s on secret/configMap/projected/emptyDir volumes: "+
		"these are recreated for every pod and small", n, pluralWord(n, "warning", "warnings"))
	if d.p.legacy {
		s += "; kubelets 1.17–1.19 print this warning at every SetUp (before the 30-s timer " +
			"existed), so the flood says nothing about time"
	}
	return s
}

// shortWalkNotes mentions walks on persistent volumes that did not cause the delay.
func (d *diagnoser) shortWalkNotes() []string {
	var out []string
	for _, w := range d.pod.Walks {
		if freshWalk(w) || w.DriverSide {
			continue
		}
		end := w.End
		if end.IsZero() {
			end = d.setupEnd() // zero while SetUp was still going at the end of the input
		}
		at := w.WarnedAt
		if at.IsZero() {
			at = w.Start
		}
		if end.IsZero() || at.IsZero() || end.Before(at) {
			continue
		}
		out = append(out, fmt.Sprintf("the ownership walk on %s ended within %s of its "+
			"warning (next step at %s): not the cause", w.Volume, fmtDur(end.Sub(at)),
			end.UTC().Format("15:04:05")))
	}
	return out
}

// setupEnd is when volume SetUp ended, or zero when the input does not show its end.
func (d *diagnoser) setupEnd() time.Time {
	for _, ph := range d.pod.Phases {
		if ph.Name == PhaseVolumeSetup && !ph.Open {
			return ph.End
		}
	}
	return time.Time{}
}

func evidenceList(sigs []signal) []Evidence {
	var out []Evidence
	for _, s := range sigs {
		out = append(out, evidenceOf(s)...)
	}
	return out
}

// capEvidence drops repeated lines and keeps the first n-1 and the last line when there are more
// than n.
func capEvidence(ev []Evidence, n int) []Evidence {
	seen := map[string]bool{}
	var uniq []Evidence
	for _, e := range ev {
		key := fmt.Sprintf("%s:%d:%s", e.File, e.Line, e.Text)
		if !seen[key] {
			seen[key] = true
			uniq = append(uniq, e)
		}
	}
	ev = uniq
	if len(ev) <= n {
		return ev
	}
	return append(append([]Evidence{}, ev[:n-1]...), ev[len(ev)-1])
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// fmtDur renders a duration to whole seconds (tenths below a minute).
func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// phase returns the pod's phase named n, or nil.
func (d *diagnoser) phase(n PhaseName) *Phase {
	for i := range d.pod.Phases {
		if d.pod.Phases[i].Name == n {
			return &d.pod.Phases[i]
		}
	}
	return nil
}

func lastEvidence(ev []Evidence) []Evidence {
	if len(ev) == 0 {
		return nil
	}
	return ev[len(ev)-1:]
}

// sortEvidence orders evidence by time; lines without a time keep their order at the end.
func sortEvidence(ev []Evidence) {
	sort.SliceStable(ev, func(i, j int) bool {
		a, b := ev[i].Time, ev[j].Time
		if a.IsZero() || b.IsZero() {
			return !a.IsZero() && b.IsZero()
		}
		return a.Before(b)
	})
}

// sandbox explains a slow sandbox: only the runtime's or CNI's own errors can name a cause.
func (d *diagnoser) sandbox(ph *Phase) Diagnosis {
	dg := Diagnosis{Cause: CauseUnknown, Confidence: ConfidenceLow,
		Summary: "creating the pod sandbox and its network took longest; volumes were mounted " +
			"before it started, so they are not the cause"}
	if ss := d.p.set(sigSandboxFailed); ss != nil {
		dg.Summary += fmt.Sprintf("; %d FailedCreatePodSandBox error(s): look at the runtime "+
			"and the CNI plugin", ss.n)
		dg.Evidence = append(ss.evidence(), ph.Evidence...)
	}
	return dg
}
