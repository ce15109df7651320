package timeline

import (
	"sort"
	"time"

	"github.com/startlag/startlag/internal/ownership"
)

// phaser derives the phases of one pod instance from its signals.
type phaser struct {
	p      *podState
	phases []Phase
}

// buildPhases returns the pod's phases in start-up order. Phases the input says nothing about are
// left out.
func buildPhases(p *podState) []Phase {
	ph := &phaser{p: p}
	ph.scheduled()
	ph.attach()
	ph.deviceMount()
	ph.volumeSetup()
	ph.sandbox()
	ph.imagePull()
	ph.initContainers()
	ph.containerCreate()
	ph.containerStart()
	ph.ready()
	ph.closeOpenPhases()
	return ph.phases
}

// origin is the first moment of the start-up: scheduling, else the kubelet seeing the pod.
func (ph *phaser) origin() (time.Time, bool) {
	if t, ok := ph.p.firstAt(sigScheduled); ok {
		return t, true
	}
	return ph.p.firstAt(sigKubeletSaw)
}

func (ph *phaser) push(p Phase) { ph.phases = append(ph.phases, p) }

// find returns the phase named n, or nil.
func (ph *phaser) find(n PhaseName) *Phase {
	for i := range ph.phases {
		if ph.phases[i].Name == n {
			return &ph.phases[i]
		}
	}
	return nil
}

// latestEnd returns the latest end among the named phases that is not after limit.
func (ph *phaser) latestEnd(limit time.Time, names ...PhaseName) (time.Time, bool) {
	var best time.Time
	for _, n := range names {
		if p := ph.find(n); p != nil && !p.End.After(limit) && p.End.After(best) {
			best = p.End
		}
	}
	return best, !best.IsZero()
}

func (ph *phaser) scheduled() {
	kind := sigScheduled
	s, ok := ph.p.set(sigScheduled).earliest()
	if !ok {
		kind = sigKubeletSaw
		s, ok = ph.p.set(sigKubeletSaw).earliest()
	}
	if !ok {
		return
	}
	// An age-based Scheduled ("28m") is coarse; the kubelet's exact first sight is a better
	// start when it is earlier.
	if saw, ok := ph.p.set(sigKubeletSaw).earliest(); ok && kind == sigScheduled && s.prec > 0 &&
		saw.at.Before(s.at) {
		s, kind = saw, sigKubeletSaw
	}
	detail := "scheduled"
	if kind == sigKubeletSaw {
		detail = "first seen by the kubelet (SyncLoop ADD)"
	}
	ph.push(Phase{Name: PhaseScheduled, Start: s.at, End: s.at, Detail: detail,
		Evidence: evidenceOf(s)})
}

// volumeEnds returns, per volume, the earliest signal of kind k, and the volume whose one is
// latest.
func (ph *phaser) volumeEnds(k sigKind) (latest signal, vol string, ok bool) {
	for _, name := range sortedVolumes(ph.p) {
		s, found := ph.p.vols[name].set(k).earliest()
		if !found {
			continue
		}
		if !ok || s.at.After(latest.at) {
			latest, vol, ok = s, name, true
		}
	}
	return latest, vol, ok
}

func sortedVolumes(p *podState) []string {
	names := make([]string, 0, len(p.vols))
	for n := range p.vols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (ph *phaser) attach() {
	end, vol, done := ph.volumeEnds(sigAttached)
	multi := ph.p.set(sigMultiAttach)
	if !done && multi == nil {
		return
	}
	// A Multi-Attach wait starts when the pod is scheduled; otherwise at the kubelet's first
	// VerifyControllerAttachedVolume.
	start, ok := ph.p.firstAt(sigVerifyAttach)
	if o, has := ph.origin(); has && (multi != nil || !ok) {
		start, ok = o, true
	}
	phase := Phase{Name: PhaseAttach, Start: start, End: end.at, Volume: vol}
	if !ok {
		phase.Start, phase.Inferred = end.at, true
	}
	phase.Evidence = collect(ph.p.set(sigVerifyAttach), multi, ph.p.set(sigAttachFailed))
	if done {
		phase.Evidence = append(phase.Evidence, evidenceOf(end)...)
	} else {
		phase.Open = true
		phase.End = latestOf(multi, ph.p.set(sigAttachFailed), ph.p.set(sigWaitTimeout))
	}
	if multi != nil {
		phase.Detail = "Multi-Attach: the volume was still attached to another node"
	}
	ph.push(phase)
}

func (ph *phaser) deviceMount() {
	end, vol, done := ph.volumeEnds(sigMountDevice)
	stageEnd, stageDone := ph.p.set(sigStageDone).latest()
	if !done && !stageDone {
		return
	}
	if !done {
		end = stageEnd
	}
	phase := Phase{Name: PhaseDeviceMount, End: end.at, Volume: vol}
	if s, ok := ph.p.set(sigStageStarted).earliest(); ok && !s.at.After(end.at) {
		phase.Start = s.at
		phase.Detail = "NodeStageVolume"
		phase.Evidence = evidenceOf(s)
	} else if t, ok := ph.latestEnd(end.at, PhaseAttach); ok {
		phase.Start = t
	} else if t, ok := ph.p.firstAt(sigMountStarted); ok && !t.After(end.at) {
		phase.Start = t
	} else if w, ok := ph.firstWaitBefore(end.at); ok {
		phase.Start, phase.Inferred = w.at.Add(-attachAndMountTimeout), true
		phase.Detail = "start inferred: the kubelet's volume wait timed out " +
			fmtDur(attachAndMountTimeout) + " after it began"
		phase.Evidence = evidenceOf(w)
	} else {
		phase.Start, phase.Inferred = end.at, true
	}
	phase.Evidence = append(phase.Evidence, collect(ph.p.set(sigDriverOwnership))...)
	phase.Evidence = append(phase.Evidence, evidenceOf(end)...)
	ph.push(phase)
}

// attachAndMountTimeout is how long the kubelet's pod worker waits for the volumes before it
// logs "unmounted volumes=[…] … context deadline exceeded" and retries
// (podAttachAndMountTimeout).
const attachAndMountTimeout = 2*time.Minute + 3*time.Second

// firstWaitBefore returns the earliest volume-wait timeout before t: the wait it ends began
// attachAndMountTimeout earlier, while the volume was still being mounted.
func (ph *phaser) firstWaitBefore(t time.Time) (signal, bool) {
	w, ok := ph.p.set(sigWaitTimeout).earliest()
	return w, ok && w.at.Before(t)
}

// hasVolumeSignals reports whether any line speaks of a volume of the pod.
func (ph *phaser) hasVolumeSignals() bool { return len(ph.p.vols) > 0 }

func (ph *phaser) volumeSetup() {
	if !ph.hasVolumeSignals() {
		ph.inferredVolumeSetup()
		return
	}
	end, vol, done := ph.volumeEnds(sigSetUp)
	start, ok := ph.setupStart()
	failures := collect(ph.p.set(sigOwnFailed), ph.p.set(sigSetUpFailed), ph.p.set(sigWaitTimeout))
	if !done && len(failures) == 0 && !ok {
		ph.setupFromWarning()
		return
	}
	phase := Phase{Name: PhaseVolumeSetup, Start: start, End: end.at, Volume: vol}
	pending := ph.pendingVolume()
	if failed := ph.failingVolume(); failed != "" && !ph.volumeSetUp(failed) {
		phase.Volume, phase.Open = failed, true
		phase.End = latestOf(ph.p.set(sigOwnFailed), ph.p.set(sigSetUpFailed),
			ph.p.set(sigWaitTimeout), ph.p.set(sigMountDeviceFailed))
	} else if !done || pending != "" {
		if pending != "" {
			phase.Volume, end = pending, signal{} // another volume's SetUp ends nothing
		}
		phase.Open = true
		phase.End = latestOf(ph.p.set(sigOwnWarning), ph.p.set(sigOwnProgress),
			ph.p.set(sigWaitTimeout), ph.p.set(sigMountDevice), ph.p.set(sigOwnRecursive))
		if next, ok := ph.nextStepAfter(phase.End); ok {
			phase.End, phase.Open, phase.Inferred = next, false, true
		}
	}
	if !ok {
		phase.Start, phase.Inferred = phase.End, true
	}
	phase.Evidence = append(failures, evidenceOf(end)...)
	phase.Evidence = append(phase.Evidence, ph.walkEvidence(phase.Volume)...)
	ph.push(phase)
}

// pendingVolume returns a persistent volume the kubelet started to mount (MountDevice, an
// ownership walk) whose SetUp the input does not show ending, or "". Volumes made afresh for
// each pod (secret, configMap, projected) are left out: their SetUp lines are often not logged.
func (ph *phaser) pendingVolume() string {
	for _, name := range sortedVolumes(ph.p) {
		v := ph.p.vols[name]
		if v.set(sigSetUp) != nil || v.plugin != "" && ownership.FreshEachPod(v.plugin) {
			continue
		}
		for _, k := range []sigKind{sigMountDevice, sigOwnWarning, sigOwnProgress,
			sigOwnRecursive} {
			if v.set(k) != nil {
				return name
			}
		}
	}
	return ""
}

// ownershipWarnDelay is how long a walk has run when the kubelet (1.20 and later) logs its
// ownership warning, or sends the first VolumePermissionChangeInProgress event (1.33 and later).
const ownershipWarnDelay = 30 * time.Second

// setupFromWarning covers a SetUp the input shows only through an ownership warning (events
// without scheduling or mount lines): the walk began ownershipWarnDelay before the warning and
// had ended by the next container step, an upper bound. Kubelets before 1.20 warned at the
// start of every SetUp, so their warnings date nothing.
func (ph *phaser) setupFromWarning() {
	if ph.p.legacy {
		return
	}
	var warn signal
	found := false
	for _, name := range sortedVolumes(ph.p) {
		w, ok := ph.p.vols[name].set(sigOwnWarning).earliest()
		if ok && (!found || w.at.Before(warn.at)) {
			warn, found = w, true
		}
	}
	if !found {
		return
	}
	vol, _ := volumeOf(&warn)
	phase := Phase{Name: PhaseVolumeSetup, Start: warn.at.Add(-ownershipWarnDelay),
		Volume: vol, Inferred: true, Evidence: ph.walkEvidence(vol),
		Detail: "start: " + fmtDur(ownershipWarnDelay) + " before the ownership warning"}
	if next, ok := ph.nextStepAfter(warn.at); ok {
		phase.End = next
	} else {
		phase.Open = true
		phase.End = latestOf(ph.p.set(sigOwnWarning), ph.p.set(sigOwnProgress))
	}
	ph.push(phase)
}

// afterSetUpKinds are the steps the kubelet takes only once every volume of the pod is set up.
var afterSetUpKinds = []sigKind{sigSandboxReady, sigPulling, sigPulled, sigCreated, sigStarted}

// nextStepAfter returns the earliest step after t that the kubelet takes only once the volumes
// are set up: a SetUp still running at t (no line marks its end) had ended by then, an upper
// bound. Events carry no SetUp line, so this is how their walks get an end. It returns false
// when such a step came at or before t: the kubelet was past SetUp by then, and the later
// ownership lines are re-syncs of small volumes, not a walk that held the pod.
func (ph *phaser) nextStepAfter(t time.Time) (time.Time, bool) {
	var next time.Time
	for _, k := range afterSetUpKinds {
		ss := ph.p.set(k)
		if ss == nil {
			continue
		}
		for _, s := range keptSignals(ss) {
			if !s.at.After(t) {
				return time.Time{}, false
			}
			if next.IsZero() || s.at.Before(next) {
				next = s.at
			}
		}
	}
	return next, !next.IsZero()
}

// setupStart is when SetUp of the volumes began: after MountDevice, else the mount start, the
// attach end or the origin.
func (ph *phaser) setupStart() (time.Time, bool) {
	if p := ph.find(PhaseDeviceMount); p != nil {
		return p.End, true
	}
	if t, ok := ph.p.firstAt(sigMountStarted); ok {
		return t, true
	}
	if p := ph.find(PhaseAttach); p != nil && !p.Open {
		return p.End, true
	}
	return ph.origin()
}

// failingVolume returns a volume with failure signals, or "".
func (ph *phaser) failingVolume() string {
	for _, name := range sortedVolumes(ph.p) {
		v := ph.p.vols[name]
		if v.set(sigOwnFailed) != nil || v.set(sigSetUpFailed) != nil {
			return name
		}
	}
	if ph.p.set(sigOwnFailed) != nil {
		return "?"
	}
	return ""
}

func (ph *phaser) volumeSetUp(name string) bool {
	v, ok := ph.p.vols[name]
	return ok && v.set(sigSetUp) != nil
}

// walkEvidence returns the ownership lines of the named volume.
func (ph *phaser) walkEvidence(name string) []Evidence {
	v, ok := ph.p.vols[name]
	if !ok {
		return nil
	}
	return collect(v.set(sigOwnRecursive), v.set(sigOwnWarning), v.set(sigOwnProgress))
}

// inferredVolumeSetup covers pods known only from status or events: scheduling → sandbox ready
// brackets attach, mount, ownership change and sandbox creation. Events carry no sandbox step,
// so without one the first container step (image pull, create, start) closes the bracket.
func (ph *phaser) inferredVolumeSetup() {
	o, ok := ph.origin()
	if !ok || ph.find(PhaseAttach) != nil {
		return
	}
	if ready, has := ph.p.set(sigSandboxReady).earliest(); has {
		if !ready.at.Before(o) {
			ph.push(Phase{Name: PhaseVolumeSetup, Start: o, End: ready.at, Inferred: true,
				Detail: "scheduled → sandbox ready: attach, mount, ownership change and " +
					"sandbox together",
				Evidence: append(ph.originEvidence(), evidenceOf(ready)...)})
		}
		return
	}
	next, ok := ph.firstContainerStep(o)
	if !ok {
		return
	}
	ph.push(Phase{Name: PhaseVolumeSetup, Start: o, End: next.at, Inferred: true,
		Detail: "scheduled → first container step: attach, mount, ownership change and " +
			"sandbox together",
		Evidence: append(ph.originEvidence(), evidenceOf(next)...)})
}

// originEvidence is the line that marks the start-up's origin (see origin).
func (ph *phaser) originEvidence() []Evidence {
	for _, k := range []sigKind{sigScheduled, sigKubeletSaw} {
		if s, ok := ph.p.set(k).earliest(); ok {
			return evidenceOf(s)
		}
	}
	return nil
}

// firstContainerStep returns the earliest image pull, container create or start at or after t.
func (ph *phaser) firstContainerStep(t time.Time) (signal, bool) {
	var first signal
	found := false
	for _, k := range []sigKind{sigPulling, sigPulled, sigCreated, sigStarted} {
		for _, s := range keptSignals(ph.p.set(k)) {
			if !s.at.Before(t) && (!found || s.at.Before(first.at)) {
				first, found = s, true
			}
		}
	}
	return first, found
}

func (ph *phaser) sandbox() {
	ready, ok := ph.p.set(sigSandboxReady).earliest()
	if !ok || ph.find(PhaseVolumeSetup) != nil && ph.find(PhaseVolumeSetup).Inferred &&
		!ph.hasVolumeSignals() {
		return
	}
	phase := Phase{Name: PhaseSandbox, End: ready.at, Evidence: evidenceOf(ready)}
	if t, ok := ph.latestEnd(ready.at, PhaseVolumeSetup, PhaseDeviceMount, PhaseAttach); ok {
		phase.Start = t
	} else if o, ok := ph.origin(); ok && !o.After(ready.at) {
		phase.Start, phase.Inferred = o, true
	} else {
		phase.Start, phase.Inferred = ready.at, true
	}
	ph.push(phase)
}

func (ph *phaser) imagePull() {
	start, ok := ph.p.set(sigPulling).earliest()
	if !ok {
		return
	}
	phase := Phase{Name: PhaseImagePull, Start: start.at, Detail: start.detail,
		Evidence: collect(ph.p.set(sigPulling), ph.p.set(sigPulled))}
	end, done := ph.p.set(sigPulled).latest()
	if done && !end.at.Before(start.at) {
		phase.End = end.at
	} else {
		phase.Open = true
		phase.End = latestOf(ph.p.set(sigPulling))
	}
	ph.push(phase)
}

func (ph *phaser) initContainers() {
	start, ok := ph.p.set(sigInitStarted).earliest()
	if !ok {
		return
	}
	phase := Phase{Name: PhaseInitContainers, Start: start.at, Detail: start.detail,
		Evidence: collect(ph.p.set(sigInitStarted), ph.p.set(sigInitFinished))}
	if end, done := ph.p.set(sigInitFinished).latest(); done {
		phase.End = end.at
		phase.Detail = longestInit(ph.p)
	} else {
		phase.End, phase.Open = start.at, true
	}
	ph.push(phase)
}

// longestInit names the init container that ran longest, from the pod status.
func longestInit(p *podState) string {
	if p.status == nil {
		return ""
	}
	best, name := time.Duration(-1), ""
	for _, st := range p.status.InitContainerStatuses {
		t := st.State.Terminated
		if t == nil {
			t = st.LastTerminationState.Terminated
		}
		if t == nil {
			continue
		}
		if d := t.FinishedAt.Sub(t.StartedAt.Time); d > best {
			best, name = d, st.Name
		}
	}
	return name
}

func (ph *phaser) containerCreate() {
	end, ok := ph.firstAfterSetup(sigCreated)
	if !ok {
		end, ok = ph.firstAfterSetup(sigStarted)
	}
	errs := collect(ph.p.set(sigCreateErr), ph.p.set(sigNameReserved), ph.p.set(sigSELinuxRelabel))
	if !ok && len(errs) == 0 {
		return
	}
	phase := Phase{Name: PhaseContainerCreate, End: end.at, Evidence: errs}
	if !ok {
		phase.Open = true
		phase.End = latestOf(ph.p.set(sigCreateErr), ph.p.set(sigNameReserved))
	} else {
		phase.Evidence = append(phase.Evidence, evidenceOf(end)...)
	}
	t, has := ph.latestEnd(phase.End, PhaseSandbox, PhaseImagePull, PhaseVolumeSetup,
		PhaseInitContainers)
	if !has {
		t, phase.Inferred = phase.End, true
	}
	phase.Start = t
	ph.push(phase)
}

// firstAfterSetup returns the earliest signal of k not before the volume setup ended (lines of a
// previous instance of the pod come before it).
func (ph *phaser) firstAfterSetup(k sigKind) (signal, bool) {
	ss := ph.p.set(k)
	if ss == nil {
		return signal{}, false
	}
	floor := time.Time{}
	if p := ph.find(PhaseVolumeSetup); p != nil {
		floor = p.End
	}
	for _, s := range keptSignals(ss) {
		if !s.at.Add(s.prec).Before(floor) {
			return s, true
		}
	}
	return signal{}, false
}

func (ph *phaser) containerStart() {
	created := ph.find(PhaseContainerCreate)
	if created == nil || created.Open {
		return
	}
	start, ok := ph.firstAfterSetup(sigStarted)
	if !ok || start.at.Before(created.End) {
		return
	}
	ph.push(Phase{Name: PhaseContainerStart, Start: created.End, End: start.at,
		Evidence: evidenceOf(start)})
}

func (ph *phaser) ready() {
	ready, ok := ph.p.set(sigReady).latest()
	if !ok {
		return
	}
	var start time.Time
	for _, s := range keptSignals(ph.p.set(sigStarted)) {
		if !s.at.After(ready.at) && s.at.After(start) {
			start = s.at
		}
	}
	if start.IsZero() {
		return
	}
	ph.push(Phase{Name: PhaseReady, Start: start, End: ready.at, Evidence: evidenceOf(ready)})
}

// closeOpenPhases ends an open phase at the start of the next phase when one followed: the step
// must have finished by then (an upper bound).
func (ph *phaser) closeOpenPhases() {
	for i := range ph.phases {
		p := &ph.phases[i]
		if !p.Open {
			continue
		}
		for _, q := range ph.phases[i+1:] {
			if !q.Inferred && q.Start.After(p.Start) && q.Name != PhaseScheduled {
				p.End, p.Open, p.Inferred = q.Start, false, true
				break
			}
		}
	}
}

// collect gathers the kept evidence of several signal sets, in time order.
func collect(sets ...*sigSet) []Evidence {
	var out []Evidence
	for _, ss := range sets {
		out = append(out, ss.evidence()...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// latestOf returns the latest time among the sets.
func latestOf(sets ...*sigSet) time.Time {
	var t time.Time
	for _, ss := range sets {
		if s, ok := ss.latest(); ok && s.at.After(t) {
			t = s.at
		}
	}
	return t
}

func evidenceOf(s signal) []Evidence {
	if s.ev.File == "" {
		return nil
	}
	return []Evidence{s.ev}
}
