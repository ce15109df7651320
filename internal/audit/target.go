package audit

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/manifest"
	"github.com/startlag/startlag/internal/ownership"
)

// target is one workload prepared for the rules: its pod spec, the ownership model's decision
// for every volume, and the other targets of the same input (for cross-workload checks).
type target struct {
	w         *manifest.Workload
	ref       WorkloadRef
	spec      *corev1.PodSpec
	in        ownership.Input
	decisions []ownership.Decision
	peers     []*target
	hits      []initHit // cached by initHits; nil until first use
	// selinuxNodes: the nodes are known to enforce SELinux (Options.SELinuxNodes).
	selinuxNodes bool
}

func newTargets(set *manifest.Set, opts Options) []*target {
	objs := ownership.Objects{
		PVCs:           set.Storage.PVCs,
		PVs:            set.Storage.PVs,
		StorageClasses: set.Storage.StorageClasses,
		CSIDrivers:     set.Storage.CSIDrivers,
	}
	ts := make([]*target, len(set.Workloads))
	for i := range set.Workloads {
		ts[i] = newTarget(&set.Workloads[i], objs, opts.KubeMinor)
		ts[i].selinuxNodes = opts.SELinuxNodes
	}
	for _, t := range ts {
		t.peers = ts
	}
	return ts
}

func newTarget(w *manifest.Workload, objs ownership.Objects, minor int) *target {
	t := &target{w: w, spec: &w.Template.Spec}
	t.ref = WorkloadRef{APIVersion: w.APIVersion, Kind: w.Kind, Namespace: w.Namespace,
		Name: w.Name, Pos: w.Pos}
	t.in = ownership.Input{Namespace: w.Namespace, Workload: w.Name, Spec: t.spec,
		ClaimTemplates: w.VolumeClaimTemplates, Objects: objs, KubeMinor: minor}
	t.decisions = ownership.Decide(t.in)
	return t
}

// decision returns the model's decision for the named volume.
func (t *target) decision(name string) (ownership.Decision, bool) {
	for _, d := range t.decisions {
		if d.Volume == name {
			return d, true
		}
	}
	return ownership.Decision{}, false
}

// finding starts a finding of rule id about this workload.
func (t *target) finding(id string, sev Severity, volume, container string) Finding {
	return Finding{RuleID: id, Severity: sev, Workload: t.ref, Volume: volume,
		Container: container}
}

// fsGroup returns the pod's fsGroup, or nil.
func (t *target) fsGroup() *int64 {
	if t.spec.SecurityContext == nil {
		return nil
	}
	return t.spec.SecurityContext.FSGroup
}

// policy returns the pod's fsGroupChangePolicy as written.
func (t *target) policy() ownership.Policy {
	sc := t.spec.SecurityContext
	if sc == nil || sc.FSGroupChangePolicy == nil {
		return ownership.PolicyUnset
	}
	return ownership.Policy(*sc.FSGroupChangePolicy)
}

// specPath is where the pod spec sits in the workload's manifest.
func (t *target) specPath() string {
	switch t.w.Kind {
	case "Pod":
		return "spec"
	case "CronJob":
		return "spec.jobTemplate.spec.template.spec"
	}
	return "spec.template.spec"
}

// volumeLabel names a volume as the manifest shows it, e.g. `volumeClaimTemplate "data"`.
func volumeLabel(d ownership.Decision) string {
	switch d.Kind {
	case ownership.KindPVC:
		return fmt.Sprintf("volume %q (PersistentVolumeClaim %s)", d.Volume, d.Claim)
	case ownership.KindClaimTemplate:
		return fmt.Sprintf("volumeClaimTemplate %q", d.Volume)
	case ownership.KindEphemeral:
		return fmt.Sprintf("generic ephemeral volume %q", d.Volume)
	}
	return fmt.Sprintf("%s volume %q", d.Kind, d.Volume)
}

// persistentData reports whether the volume's files outlive the pod (or start full), which is
// what makes a per-start pass over them a hazard.
func persistentData(d ownership.Decision) bool {
	return d.PersistentAcrossRestarts || d.Populated
}

// containerEnv returns the container's environment variables with literal values.
func containerEnv(c *corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// mountHit is where a path operand lands among a container's volume mounts.
type mountHit struct {
	mount corev1.VolumeMount
	// root: the operation reaches the volume's root directory itself.
	root bool
}

// mountsFor finds the mounts a path operand of op reaches: the most specific mount at or above
// the path and, for a recursive op, every mount below the path.
func mountsFor(c *corev1.Container, op permOp, tg operand) []mountHit {
	var hits []mountHit
	var best *mountHit
	for _, m := range c.VolumeMounts {
		mp := path.Clean(m.MountPath)
		whole := m.SubPath == "" && m.SubPathExpr == ""
		switch {
		case tg.Path == mp || strings.HasPrefix(tg.Path, strings.TrimSuffix(mp, "/")+"/"):
			if best != nil && len(path.Clean(best.mount.MountPath)) >= len(mp) {
				continue
			}
			atRoot := tg.Path == mp && !tg.Children && !op.SkipsRoot
			best = &mountHit{mount: m, root: atRoot && whole}
		case op.Recursive && strings.HasPrefix(mp, strings.TrimSuffix(tg.Path, "/")+"/"):
			hits = append(hits, mountHit{mount: m, root: whole && !op.FilesOnly})
		}
	}
	if best != nil {
		hits = append(hits, *best)
	}
	return hits
}

// quoteCmd renders a command for a message, shortened when very long.
func quoteCmd(s string) string {
	const max = 160
	if len(s) > max {
		s = s[:max-3] + "..."
	}
	return "`" + s + "`"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
