package timeline

import (
	"strings"

	"github.com/startlag/startlag/internal/kubelog"
)

// maxOrphans bounds the signals kept that name no pod (runtime and CSI driver lines), so that a
// log of an unrelated busy node cannot grow memory without bound.
const maxOrphans = 512

// builder assigns signals to pod instances. A pod instance is identified by its UID; signals that
// carry only a name go to the latest instance of that name (or a name-only instance that adopts
// the UID once a line links the two).
type builder struct {
	byUID  map[string]*podState
	byName map[string][]*podState // "ns/name" or "name" → instances, oldest first
	// byBare indexes instances by pod name alone, whatever their namespace, so that matching a
	// namespace-less reference looks at the pods of that name, not at every pod.
	byBare  map[string][]*podState
	order   []*podState
	orphans []signal
	dropped int
}

func newBuilder() *builder {
	return &builder{byUID: map[string]*podState{}, byName: map[string][]*podState{},
		byBare: map[string][]*podState{}}
}

// nameKey is the name index key of a ref: "ns/name", or "name" when the namespace is unknown.
func nameKey(r kubelog.PodRef) string {
	if r.Name == "" {
		return ""
	}
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// add assigns s to its pod, or keeps it as an orphan when it names none.
func (b *builder) add(s signal) {
	if s.pod.UID == "" {
		s.pod.UID = uidFromPath(s.path)
	}
	p := b.podFor(s.pod)
	if p == nil {
		b.addOrphan(s)
		return
	}
	p.add(s)
}

func (b *builder) addOrphan(s signal) {
	if len(b.orphans) >= maxOrphans {
		b.dropped++
		return
	}
	b.orphans = append(b.orphans, s)
}

// podFor finds or creates the instance for ref; nil when ref names nothing.
func (b *builder) podFor(ref kubelog.PodRef) *podState {
	key := nameKey(ref)
	if ref.UID != "" {
		return b.podForUID(ref, key)
	}
	if key == "" {
		return nil
	}
	if p := b.latestByName(ref); p != nil {
		return p
	}
	return b.create(ref, key)
}

// podForUID finds the instance with ref.UID, adopting a name-only instance of the same name.
func (b *builder) podForUID(ref kubelog.PodRef, key string) *podState {
	if p, ok := b.byUID[ref.UID]; ok {
		b.fillName(p, ref)
		return p
	}
	if p := b.latestByName(ref); p != nil && p.ref.UID == "" {
		p.ref.UID = ref.UID
		b.byUID[ref.UID] = p
		b.fillName(p, ref)
		return p
	}
	p := b.create(ref, key)
	b.byUID[ref.UID] = p
	return p
}

// latestByName returns the newest instance whose name matches ref (a namespace-less ref matches
// any namespace, a namespace-less instance any ref of that name).
func (b *builder) latestByName(ref kubelog.PodRef) *podState {
	if ref.Name == "" {
		return nil
	}
	if list := b.byName[nameKey(ref)]; len(list) > 0 {
		return list[len(list)-1]
	}
	var best *podState
	for _, p := range b.byBare[ref.Name] {
		if (ref.Namespace == "" || p.ref.Namespace == "") && (best == nil || p.seq > best.seq) {
			best = p
		}
	}
	return best
}

// fillName completes p's name and namespace from ref and indexes it.
func (b *builder) fillName(p *podState, ref kubelog.PodRef) {
	if p.ref.Name == "" && ref.Name != "" {
		p.ref.Name = ref.Name
		b.byBare[ref.Name] = append(b.byBare[ref.Name], p)
	}
	if p.ref.Namespace == "" && ref.Namespace != "" && p.ref.Name == ref.Name {
		p.ref.Namespace = ref.Namespace
	}
	key := nameKey(p.ref)
	if key == "" {
		return
	}
	for _, q := range b.byName[key] {
		if q == p {
			return
		}
	}
	b.byName[key] = append(b.byName[key], p)
}

func (b *builder) create(ref kubelog.PodRef, key string) *podState {
	p := newPodState(ref)
	p.seq = len(b.order)
	b.order = append(b.order, p)
	if key != "" {
		b.byName[key] = append(b.byName[key], p)
	}
	if ref.Name != "" {
		b.byBare[ref.Name] = append(b.byBare[ref.Name], p)
	}
	return p
}

// merged returns the pod instances after folding name-only instances into the UID instance of the
// same name (when there is exactly one) and attributing orphans.
func (b *builder) merged() []*podState {
	var out []*podState
	for _, p := range b.order {
		if p.ref.UID == "" {
			if q := b.uniqueUIDInstance(p.ref); q != nil {
				mergeInto(q, p)
				continue
			}
		}
		out = append(out, p)
	}
	b.attributeOrphans(out)
	return out
}

// uniqueUIDInstance returns the only instance with a UID and ref's name, or nil.
func (b *builder) uniqueUIDInstance(ref kubelog.PodRef) *podState {
	var found *podState
	for _, p := range b.byBare[ref.Name] {
		if p.ref.UID == "" {
			continue
		}
		if ref.Namespace != "" && p.ref.Namespace != "" && p.ref.Namespace != ref.Namespace {
			continue
		}
		if found != nil {
			return nil
		}
		found = p
	}
	return found
}

// mergeInto adds every kept signal of src to dst.
func mergeInto(dst, src *podState) {
	for _, ss := range src.sigs {
		for _, s := range keptSignals(ss) {
			dst.add(s)
		}
	}
	if dst.spec == nil {
		dst.spec, dst.specFrom = src.spec, src.specFrom
	}
	if dst.status == nil {
		dst.status = src.status
	}
	if dst.node == "" {
		dst.node = src.node
	}
	dst.notes = append(dst.notes, src.notes...)
	dst.legacy = dst.legacy || src.legacy
}

// keptSignals returns the distinct signals a sigSet kept (none for a nil set: the kind never
// occurred).
func keptSignals(ss *sigSet) []signal {
	if ss == nil {
		return nil
	}
	out := make([]signal, 0, len(ss.first)+len(ss.last))
	for _, f := range ss.first {
		out = append(out, *f)
	}
	for _, s := range ss.last {
		dup := false
		for _, f := range ss.first {
			if f.ev == s.ev && f.at.Equal(s.at) {
				dup = true
			}
		}
		if !dup {
			out = append(out, *s)
		}
	}
	return out
}

// attributeOrphans gives each orphan to the pod it belongs to: by the CSI staging path a pod's
// MountDevice named, by a sandbox id, or to the only pod with a start-up when there is one.
func (b *builder) attributeOrphans(pods []*podState) {
	only := onlyStartingPod(pods)
	owner := make([]*podState, len(b.orphans))
	for i, s := range b.orphans {
		owner[i] = ownerOf(s, pods)
		if owner[i] == nil && only != nil {
			owner[i] = only
		}
	}
	b.attributeStageCalls(owner)
	for i, s := range b.orphans {
		if owner[i] != nil {
			owner[i].add(s)
		}
	}
}

// attributeStageCalls gives NodeStageVolume call and response lines, which name no volume, to the
// pod of the driver-side walk they surround in the same file: the latest call before the walk's
// warning and the first response after it.
func (b *builder) attributeStageCalls(owner []*podState) {
	for i, w := range b.orphans {
		if w.kind != sigDriverOwnership || owner[i] == nil {
			continue
		}
		start, done := -1, -1
		for j, s := range b.orphans {
			if owner[j] != nil || s.ev.File != w.ev.File {
				continue
			}
			if s.kind == sigStageStarted && !s.at.After(w.at) &&
				(start < 0 || s.at.After(b.orphans[start].at)) {
				start = j
			}
			if s.kind == sigStageDone && s.at.After(w.at) &&
				(done < 0 || s.at.Before(b.orphans[done].at)) {
				done = j
			}
		}
		for _, j := range []int{start, done} {
			if j >= 0 {
				owner[j] = owner[i]
			}
		}
	}
}

// ownerOf finds the pod an orphan signal names by path or sandbox id.
func ownerOf(s signal, pods []*podState) *podState {
	for _, p := range pods {
		for _, v := range p.vols {
			if v.devicePath != "" && (s.path == v.devicePath ||
				strings.Contains(s.ev.Text, v.devicePath)) {
				return p
			}
		}
		for id := range p.sandboxes {
			if strings.Contains(s.ev.Text, id) {
				return p
			}
		}
	}
	return nil
}

// onlyStartingPod returns the single pod with volume or container signals, or nil.
func onlyStartingPod(pods []*podState) *podState {
	var found *podState
	for _, p := range pods {
		if len(p.vols) == 0 && p.set(sigSandboxReady) == nil && p.set(sigScheduled) == nil &&
			p.set(sigKubeletSaw) == nil {
			continue
		}
		if found != nil {
			return nil
		}
		found = p
	}
	return found
}
