package audit

import (
	"fmt"

	"github.com/startlag/startlag/internal/ownership"
)

var ruleSELinuxRelabel = Rule{
	ID:       idSELinuxRelabel,
	Severity: Warning,
	Summary: "a pod with an SELinux label mounts a persistent volume the container runtime " +
		"relabels file by file at every container start",
	Explanation: "On SELinux-enforcing nodes, a volume that cannot be mounted with " +
		"`-o context` is relabelled recursively by the container runtime inside " +
		"CreateContainer, for every container that mounts it, at every start. With millions " +
		"of files this exceeds the kubelet's 2-minute runtime request timeout " +
		"(CreateContainerError: context deadline exceeded, then 'failed to reserve container " +
		"name'); one reported case took 23 minutes for 2.1M files. fsGroupChangePolicy does " +
		"not help: this is not the fsGroup walk.",
	Fix: "Let the kubelet mount the volume with -o context: set a fixed " +
		"seLinuxOptions.level, use a CSI driver whose CSIDriver sets seLinuxMount: true, and " +
		"a ReadWriteOncePod claim (1.28+) or Kubernetes 1.37+ for other access modes; do not " +
		"set seLinuxChangePolicy: Recursive.",
	Doc:   docURL(idSELinuxRelabel),
	Check: checkSELinuxRelabel,
}

const selinuxNodeNote = "the nodes run SELinux in enforcing mode and the container runtime " +
	"has SELinux enabled (otherwise nothing is relabelled)"

// selinuxNodesNote is the node assumption under --selinux-nodes, which states it.
const selinuxNodesNote = "the container runtime has SELinux enabled (the nodes enforce " +
	"SELinux, as --selinux-nodes states)"

func checkSELinuxRelabel(t *target) []Finding {
	labelled := ownership.PodSetsSELinux(t.spec)
	if !labelled && !t.selinuxNodes {
		return nil
	}
	var out []Finding
	for _, d := range t.decisions {
		if !persistentData(d) {
			continue
		}
		s := ownership.DecideSELinux(t.in, d)
		if s.Relabel != ownership.RelabelRecursive {
			continue
		}
		f := t.finding(idSELinuxRelabel, Warning, d.Volume, "")
		who := "the pod sets seLinuxOptions"
		note := selinuxNodeNote
		if t.selinuxNodes {
			note = selinuxNodesNote
			if !labelled {
				who = "the nodes enforce SELinux and the pod sets no seLinuxOptions"
			}
		}
		f.Message = fmt.Sprintf("%s, and %s cannot be mounted with -o context: %s. The "+
			"container runtime relabels every file of it when it creates each container that "+
			"mounts it, at every start.", who, volumeLabel(d), s.Reason)
		f.Fix = selinuxFix(t, d, s)
		f.Assumptions = append([]string{note}, s.Assumptions...)
		out = append(out, f)
	}
	return out
}

func selinuxFix(t *target, d ownership.Decision, s ownership.SELinuxDecision) string {
	fix := fmt.Sprintf("Make %s eligible for mount-option labelling: a fixed "+
		"%s.securityContext.seLinuxOptions.level (e.g. s0:c123,c456), no seLinuxChangePolicy: "+
		"Recursive, ", d.Volume, t.specPath())
	switch d.Plugin {
	case ownership.PluginCSI, "":
		fix += "a CSI driver whose CSIDriver sets seLinuxMount: true, "
	}
	fix += "and a ReadWriteOncePod claim on 1.28+ (any access mode from 1.37). On CRI-O, the " +
		"io.kubernetes.cri-o.TrySkipVolumeSELinuxLabel annotation skips volumes whose top " +
		"directory already has the label."
	return fix
}
