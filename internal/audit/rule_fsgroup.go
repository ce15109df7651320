package audit

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/ownership"
)

var ruleFSGroupWalk = Rule{
	ID:       idFSGroupWalk,
	Severity: Warning,
	Summary: "fsGroup without fsGroupChangePolicy: OnRootMismatch on a persistent volume: the " +
		"kubelet re-owns every file at every pod start",
	Explanation: "With securityContext.fsGroup set and fsGroupChangePolicy unset or Always, " +
		"the kubelet changes the group and mode of every file and directory of each eligible " +
		"volume every time it mounts it: at every pod start, reschedule and rollout. The time " +
		"grows with the file count (4M files took 78 s on a real v1.37.2 kubelet; millions of " +
		"files on network block storage have taken 30 minutes) and the pod stays in " +
		"ContainerCreating meanwhile. An explicit Always behaves exactly like an unset policy.",
	Fix: "Set fsGroupChangePolicy: OnRootMismatch next to fsGroup. The kubelet then walks only " +
		"when the volume root's group, permissions or setgid bit are wrong, i.e. on first use.",
	Doc:   docURL(idFSGroupWalk),
	Check: checkFSGroupWalk,
}

func checkFSGroupWalk(t *target) []Finding {
	if t.fsGroup() == nil {
		return nil
	}
	var out []Finding
	for _, d := range t.decisions {
		if !d.RestartHazard() {
			continue
		}
		f := t.finding(idFSGroupWalk, fsGroupSeverity(d), d.Volume, "")
		f.Message = fsGroupMessage(t, d)
		f.Fix = fsGroupFix(t, d)
		f.Assumptions = d.Assumptions
		out = append(out, f)
	}
	return out
}

// fsGroupSeverity: a walk that is certain, or likely given what is unknown, is a warning. When
// the input shows an access mode the default fsGroupPolicy skips (RWX, ROX), the walk happens
// only if the driver opts in with fsGroupPolicy File: info, as for volume types the model does
// not know. An invalid policy is an error.
func fsGroupSeverity(d ownership.Decision) Severity {
	if !d.Policy.Valid() {
		return Error
	}
	if d.Kind == ownership.KindOther {
		return Info // a volume type the model does not know: flagged, not judged
	}
	if d.Walks == ownership.WalksDepends && d.AccessModes != nil &&
		!d.HasAccessMode(corev1.ReadWriteOnce) && !d.HasAccessMode(corev1.ReadWriteOncePod) {
		return Info
	}
	return Warning
}

func policyPhrase(p ownership.Policy) string {
	switch p {
	case ownership.PolicyUnset:
		return "no fsGroupChangePolicy (the kubelet then walks every time, as with Always)"
	case ownership.PolicyAlways:
		return "fsGroupChangePolicy: Always (explicit; the same as leaving it unset)"
	case ownership.PolicyOnRootMismatch:
		return "fsGroupChangePolicy: OnRootMismatch, which this Kubernetes version ignores " +
			"(see assumptions)"
	}
	return fmt.Sprintf("fsGroupChangePolicy: %s (not a valid value)", string(p))
}

func fsGroupMessage(t *target, d ownership.Decision) string {
	var b strings.Builder
	if !d.Policy.Valid() {
		fmt.Fprintf(&b, "fsGroup %d with fsGroupChangePolicy: %s, which is not a valid value "+
			"(Always or OnRootMismatch, case-sensitive): the API server rejects the pod, so it "+
			"never starts. Fixed to OnRootMismatch, the kubelet walks %s only when its root "+
			"does not match; fixed to Always, at every mount.", *d.FSGroup, string(d.Policy),
			volumeLabel(d))
		return b.String()
	}
	fmt.Fprintf(&b, "fsGroup %d with %s: ", *d.FSGroup, policyPhrase(d.Policy))
	switch {
	case d.Walks == ownership.WalksDepends:
		fmt.Fprintf(&b, "the kubelet probably changes the group and mode of every file of %s "+
			"at every mount", volumeLabel(d))
	case d.Populated && !d.PersistentAcrossRestarts:
		fmt.Fprintf(&b, "every new pod gets a copy of %s cloned from its dataSource and the "+
			"kubelet walks all of it", volumeLabel(d))
	default:
		fmt.Fprintf(&b, "the kubelet changes the group and mode of every file of %s at every "+
			"mount", volumeLabel(d))
	}
	b.WriteString(", so each pod start costs time proportional to its file count")
	fmt.Fprintf(&b, " (%s).", d.Reason)
	if n := walkingInits(t, d.Volume); n != "" {
		fmt.Fprintf(&b, " Init container %s walks the same volume again.", n)
	}
	return b.String()
}

func fsGroupFix(t *target, d ownership.Decision) string {
	if d.Policy == ownership.PolicyOnRootMismatch {
		return "Upgrade to Kubernetes 1.20 or later, where the kubelet honours " +
			"fsGroupChangePolicy by default, or turn on the ConfigurableFSGroupPolicy feature " +
			"gate on the API server and every kubelet (1.18, 1.19)."
	}
	fix := fmt.Sprintf("Set %s.securityContext.fsGroupChangePolicy: OnRootMismatch; the "+
		"kubelet then skips the walk whenever the volume root already has group %d, g+rwx and "+
		"setgid (run `startlag scan` on the volume first to see whether the files below match).",
		t.specPath(), *d.FSGroup)
	if d.AllMountsReadOnly() && d.Kind == ownership.KindPVC {
		fix += " Every container mounts it readOnly: setting persistentVolumeClaim.readOnly: " +
			"true on the pod volume stops the walk entirely."
	}
	if initResetsRoot(t, d.Volume) {
		fix += " Remove the recursive init container in the same change (see " +
			"chown-init-container): it rewrites the volume root after the kubelet's test."
	} else if n := walkingInits(t, d.Volume); n != "" {
		fix += " Make init container " + n + " conditional too (see chown-init-container)."
	}
	return fix
}

// walkingInits names the init containers that chown/chgrp/chmod the volume recursively.
func walkingInits(t *target, volume string) string {
	var names []string
	for _, h := range initHits(t) {
		if h.volume == volume && h.recursive && !contains(names, h.container) {
			names = append(names, h.container)
		}
	}
	return strings.Join(names, ", ")
}

// initResetsRoot reports whether an init container changes the volume's root directory.
func initResetsRoot(t *target, volume string) bool {
	for _, h := range initHits(t) {
		if h.volume == volume && h.root {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
