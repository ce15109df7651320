package timeline

import (
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/kubelog"
	"github.com/startlag/startlag/internal/ownership"
)

// keepFirst and keepLast bound the evidence kept per signal kind and volume.
//
// TODO: a kept signal costs about 270 bytes, a third of it fields that few kinds use (the pod
// reference, which the pod state already holds, precision, repeat count); a compact kept form
// would about halve the memory of a log with thousands of pods (docs/benchmarks.md: 4,000 pods
// in 1 GiB need about 140 MiB). Each phase reads these fields by name, so the change touches
// every phase builder.
const (
	keepFirst = 2
	keepLast  = 2
)

// sigSet keeps, for one signal kind, the earliest and latest occurrences and a count. Memory is
// bounded whatever the number of occurrences: at most keepFirst+keepLast signals. The signals
// are shared: a pod's set and its volume's set point at the same kept copy.
type sigSet struct {
	n     int
	first []*signal // the earliest occurrences, sorted by time, at most keepFirst
	last  []*signal // the latest of the others, sorted by time, at most keepLast
}

// add records s. An occurrence that is not among the keepFirst earliest (s itself, or the one it
// displaces from first) is offered to last, so first and last never hold the same occurrence and
// every occurrence in last is at or after every one in first.
func (ss *sigSet) add(s *signal) {
	ss.n++
	if spill := ss.keepEarly(s); spill != nil {
		ss.last = insertBounded(ss.last, spill, keepLast, false)
	}
}

// keepEarly inserts s into first when it is among the keepFirst earliest, and returns the
// occurrence that does not fit there (s or the latest of first), or nil.
func (ss *sigSet) keepEarly(s *signal) *signal {
	if len(ss.first) < keepFirst {
		ss.first = insertBounded(ss.first, s, keepFirst, true)
		return nil
	}
	spill := ss.first[keepFirst-1]
	if !s.at.Before(spill.at) {
		return s
	}
	ss.first = insertBounded(ss.first, s, keepFirst, true)
	return spill
}

// insertBounded inserts s into the time-sorted list after any entries of the same time and
// trims it to max entries, keeping the earliest (keepEarly) or the latest ones. A list grows
// one entry at a time up to max and is then shifted in place, so a kind seen once costs one
// pointer, not max: most kinds occur once per pod, and thousands of pods are kept at once.
func insertBounded(list []*signal, s *signal, max int, keepEarly bool) []*signal {
	i := len(list)
	for i > 0 && list[i-1].at.After(s.at) {
		i--
	}

	if len(list) < max {
		list = growByOne(list)
		copy(list[i+1:], list[i:])
		list[i] = s
		return list
	}

	if keepEarly {
		if i < max {
			copy(list[i+1:], list[i:max-1]) // the latest entry drops out
			list[i] = s
		}
		return list
	}
	if i > 0 {
		copy(list, list[1:i]) // the earliest entry drops out
		list[i-1] = s
	}
	return list
}

// growByOne extends list by one nil entry. Short lists grow to exactly their new length (a
// kept list rarely exceeds two entries); longer ones grow as append grows them.
func growByOne(list []*signal) []*signal {
	if len(list) < cap(list) || len(list) >= 4 {
		return append(list, nil)
	}
	grown := make([]*signal, len(list)+1)
	copy(grown, list)
	return grown
}

// earliest returns the first occurrence.
func (ss *sigSet) earliest() (signal, bool) {
	if ss == nil || len(ss.first) == 0 {
		return signal{}, false
	}
	return *ss.first[0], true
}

// latest returns the last occurrence.
func (ss *sigSet) latest() (signal, bool) {
	switch {
	case ss == nil || len(ss.first) == 0:
		return signal{}, false
	case len(ss.last) == 0:
		return *ss.first[len(ss.first)-1], true
	}
	return *ss.last[len(ss.last)-1], true
}

// evidence returns the kept occurrences' evidence, in time order, without duplicates.
func (ss *sigSet) evidence() []Evidence {
	if ss == nil {
		return nil
	}
	var out []Evidence
	seen := map[Evidence]bool{}
	for _, s := range ss.kept() {
		if !seen[s.ev] && s.ev.File != "" {
			seen[s.ev] = true
			out = append(out, s.ev)
		}
	}
	return out
}

// kept returns the kept occurrences in time order.
func (ss *sigSet) kept() []*signal {
	return append(append(make([]*signal, 0, len(ss.first)+len(ss.last)), ss.first...),
		ss.last...)
}

// volState is what the input shows of one volume of one pod.
type volState struct {
	name       string
	plugin     string
	devicePath string // MountDevice's device mount path (CSI: the globalmount)
	sigs       map[sigKind]*sigSet
	progress   []*signal // ownership progress reports: the first and the latest few
}

func (v *volState) set(k sigKind) *sigSet { return v.sigs[k] }

// podState accumulates the signals of one pod instance.
type podState struct {
	ref  kubelog.PodRef
	seq  int // creation order among the builder's instances
	node string
	sigs map[sigKind]*sigSet
	vols map[string]*volState
	// spec and status come from pod objects, workload templates or describe text (context).
	spec      *corev1.PodSpec
	status    *corev1.PodStatus
	specFrom  string
	legacy    bool // the kubelet wrote the pre-structured (≤1.19) wording
	sandboxes map[string]bool
	notes     []string
	// strs are recent distinct field values of the pod's kept signals: the same volume path,
	// name or error recurs on many lines, and each line's parse made its own copy.
	strs [16]string
	nstr int
}

// canon returns a kept string equal to v, so that kept signals share one copy of the values
// that recur; v itself is remembered when none is.
func (p *podState) canon(v string) string {
	if v == "" {
		return v
	}
	for _, k := range p.strs {
		if k == v {
			return k
		}
	}
	p.strs[p.nstr%len(p.strs)] = v
	p.nstr++
	return v
}

func newPodState(ref kubelog.PodRef) *podState {
	return &podState{
		ref: ref, sigs: map[sigKind]*sigSet{}, vols: map[string]*volState{},
		sandboxes: map[string]bool{},
	}
}

// set returns the pod-level occurrences of kind k (nil when none).
func (p *podState) set(k sigKind) *sigSet { return p.sigs[k] }

// volume returns the state of the named volume, creating it.
func (p *podState) volume(name string) *volState {
	v, ok := p.vols[name]
	if !ok {
		v = &volState{name: name, sigs: map[sigKind]*sigSet{}}
		p.vols[name] = v
	}
	return v
}

// maxProgress bounds the progress reports kept per volume.
const maxProgress = 6

// add records s at pod level and, when it names a volume, at volume level; both levels share one
// kept copy. That copy drops the pod reference (p.ref is the pod's identity) and, when the line
// can be read back from its file, the line's text.
func (p *podState) add(sig signal) {
	sig.pod = kubelog.PodRef{}
	sig.path, sig.volume, sig.err = p.canon(sig.path), p.canon(sig.volume), p.canon(sig.err)
	sig.detail = p.canon(sig.detail)
	s := &sig
	ss := p.sigs[s.kind]
	if ss == nil {
		ss = &sigSet{}
		p.sigs[s.kind] = ss
	}
	ss.add(s)
	if s.unstructured && legacyMarker[s.kind] {
		p.legacy = true
	}
	p.noteSandbox(s)
	dropText(s)
	name, plugin := volumeOf(s)
	if name == "" {
		return
	}
	v := p.volume(name)
	if plugin != "" {
		v.plugin = plugin
	}
	if s.kind == sigMountDevice && s.path != "" {
		v.devicePath = s.path
	}
	vs := v.sigs[s.kind]
	if vs == nil {
		vs = &sigSet{}
		v.sigs[s.kind] = vs
	}
	vs.add(s)
	if s.kind == sigOwnProgress {
		v.progress = addProgress(v.progress, s)
	}
}

// legacyMarker are the kinds whose unstructured wording shows a ≤1.19 kubelet (the ownership
// warning itself is unstructured in every version, so it is not one of them).
var legacyMarker = map[sigKind]bool{
	sigVerifyAttach: true, sigAttached: true, sigMountStarted: true, sigMountDevice: true,
	sigSetUp: true, sigWaitTimeout: true, sigKubeletSaw: true,
}

// addProgress keeps the first progress report and the latest maxProgress-1.
func addProgress(list []*signal, s *signal) []*signal {
	list = insertBounded(list, s, 1<<30, true)
	if len(list) > maxProgress {
		list = append(list[:1], list[len(list)-maxProgress+1:]...)
	}
	return list
}

var sandboxIDRe = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// noteSandbox remembers the sandbox id a sandbox-ready line names, so runtime lines that only
// carry the sandbox id can be attributed to this pod.
func (p *podState) noteSandbox(s *signal) {
	if s.kind != sigSandboxReady || len(p.sandboxes) > 8 {
		return
	}
	for _, id := range sandboxIDRe.FindAllString(s.ev.Text, 2) {
		p.sandboxes[id] = true
	}
}

// volumeOf returns the volume a signal is about and its plugin, from the volume field or the
// path it names.
func volumeOf(s *signal) (name, plugin string) {
	if s.path != "" {
		if pv, ok := ownership.ParsePodVolumePath(s.path); ok && !pv.StagingPath {
			name, plugin = pv.Volume, pv.Plugin
		}
	}
	if s.volume != "" {
		name = s.volume
	}
	return name, plugin
}

// uidFromPath returns the pod UID in a pod volume path, or "".
func uidFromPath(p string) string {
	if pv, ok := ownership.ParsePodVolumePath(p); ok && looksLikeUID(pv.PodUID) {
		return pv.PodUID
	}
	return ""
}

// isStagingPath reports whether p is a CSI staging (globalmount) directory.
func isStagingPath(p string) bool {
	pv, ok := ownership.ParsePodVolumePath(p)
	return ok && pv.StagingPath
}

// isUnstructuredKubelet reports whether a kubelet klog line uses the pre-structured wording: the
// message after the klog header does not start with a quote.
func isUnstructuredKubelet(text string) bool {
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		return false
	}
	i := strings.Index(text, "] ")
	if i < 0 {
		return false
	}
	head := text[:i]
	if !strings.Contains(head, ".go:") {
		return false
	}
	return !strings.HasPrefix(text[i+2:], `"`)
}

// firstAt returns the earliest time of k at pod level.
func (p *podState) firstAt(k sigKind) (time.Time, bool) {
	s, ok := p.set(k).earliest()
	return s.at, ok
}
