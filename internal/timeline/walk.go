package timeline

import (
	"time"

	"github.com/startlag/startlag/internal/ownership"
)

// buildWalks returns the ownership walks the input shows for the pod, one per volume with
// ownership lines. setupStart is the start of the volume SetUp phase (used when no line marks the
// walk's own start).
func buildWalks(p *podState, setupStart time.Time) []Walk {
	var out []Walk
	for _, name := range sortedVolumes(p) {
		if w, ok := walkOf(p, p.vols[name], setupStart); ok {
			out = append(out, w)
		}
	}
	if w, ok := driverWalk(p); ok {
		out = append(out, w)
	}
	return out
}

// walkOf builds the walk of one volume; ok is false when the volume has no ownership lines.
func walkOf(p *podState, v *volState, setupStart time.Time) (Walk, bool) {
	warn, warned := v.set(sigOwnWarning).earliest()
	rec, recursed := v.set(sigOwnRecursive).earliest()
	failed := v.set(sigOwnFailed) != nil
	if !warned && !recursed && !failed && len(v.progress) == 0 {
		return Walk{}, false
	}
	w := Walk{Volume: v.name, Plugin: v.plugin, Failed: failed}
	if warned {
		w.WarnedAt, w.Path = warn.at, warn.path
	}
	switch {
	case recursed:
		w.Start = rec.at
		if w.Path == "" {
			w.Path = rec.path
		}
	case !setupStart.IsZero():
		w.Start = setupStart
	}
	if end, ok := v.set(sigSetUp).earliest(); ok && !end.at.Before(w.Start) {
		w.End = end.at
	}
	w.Files, w.FilesPerSecond = progressRate(v.progress)
	w.Evidence = collect(v.set(sigOwnRecursive), v.set(sigOwnWarning), v.set(sigOwnProgress),
		v.set(sigOwnFailed), v.set(sigSetUp))
	return w, true
}

// progressRate returns the highest processed-files count and the rate between the first and the
// last report (0 with fewer than two reports).
func progressRate(list []*signal) (files int64, perSecond float64) {
	if len(list) == 0 {
		return 0, 0
	}
	first, last := list[0], list[len(list)-1]
	for _, s := range list {
		if s.count > files {
			files = s.count
		}
	}
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 || last.count <= first.count {
		return files, 0
	}
	return files, float64(last.count-first.count) / dt
}

// driverWalk builds the walk a CSI driver did on its staging path (NodeStageVolume).
func driverWalk(p *podState) (Walk, bool) {
	warn, ok := p.set(sigDriverOwnership).earliest()
	if !ok {
		return Walk{}, false
	}
	w := Walk{Path: warn.path, Plugin: ownership.PluginCSI, DriverSide: true, WarnedAt: warn.at}
	if s, ok := p.set(sigStageStarted).earliest(); ok && !s.at.After(warn.at) {
		w.Start = s.at
	}
	if e, ok := p.set(sigStageDone).latest(); ok && e.at.After(warn.at) {
		w.End = e.at
	} else if e, ok := p.set(sigMountDevice).earliest(); ok && e.at.After(warn.at) {
		w.End = e.at
	}
	w.Evidence = collect(p.set(sigStageStarted), p.set(sigDriverOwnership), p.set(sigStageDone))
	return w, true
}

// freshWalk reports whether a walk is on a volume that is recreated for every pod (secret,
// configMap, projected, downward API, emptyDir): small and new, never a restart hazard.
func freshWalk(w Walk) bool { return w.Plugin != "" && ownership.FreshEachPod(w.Plugin) }
