package ownership

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Relabel says how a volume's files get the pod's SELinux label on an SELinux-enabled node.
type Relabel uint8

// Relabel outcomes.
const (
	// RelabelNone: the volume is not relabelled (not mounted, or hostPath / in-tree NFS).
	RelabelNone Relabel = iota
	// RelabelMountOption: the kubelet mounts the volume with -o context=...; constant time.
	RelabelMountOption
	// RelabelRecursive: the container runtime relabels every file of the volume in
	// CreateContainer, for every container that mounts it, at every container start.
	RelabelRecursive
)

var relabelNames = [...]string{RelabelNone: "none", RelabelMountOption: "mount-option",
	RelabelRecursive: "recursive"}

// String returns "none", "mount-option" or "recursive".
func (r Relabel) String() string {
	if int(r) < len(relabelNames) {
		return relabelNames[r]
	}
	return fmt.Sprintf("relabel(%d)", int(r))
}

// SELinuxDecision is the model's answer on SELinux relabelling for one volume.
type SELinuxDecision struct {
	Relabel Relabel
	// Labelled: the pod (or every container mounting the volume) sets seLinuxOptions.
	Labelled bool
	Reason   string
	// Assumptions name what the input cannot tell (feature gates, the CSIDriver object).
	Assumptions []string
}

// SELinux feature milestones (Kubernetes minor versions), from KEP 1710's feature gates:
// SELinuxMountReadWriteOncePod beta and on by default from 1.28; SELinuxMount (every access
// mode) beta but off by default 1.33-1.36, GA and on in 1.37. seLinuxChangePolicy is served
// (beta, on) from 1.33.
const (
	minorRWOPMountOption   = 28
	minorAllMountOption    = 37
	minorChangePolicyField = 33
)

// DecideSELinux decides how the volume of d is labelled for the pod in in. It assumes an
// SELinux-enforcing node whose runtime has SELinux enabled; on other nodes nothing happens.
//
// Mount-option labelling needs all of: a label with a fixed level for every container that
// mounts the volume (otherwise the runtime picks a random MCS level the kubelet cannot know),
// seLinuxChangePolicy not Recursive, an eligible plugin (in-tree iscsi/fc, or a CSI driver
// whose CSIDriver sets seLinuxMount: true) and the feature for the volume's access mode.
// Everything else that supports labels is relabelled recursively by the runtime.
func DecideSELinux(in Input, d Decision) SELinuxDecision {
	var s SELinuxDecision
	if !hasFSMount(d.Mounts) {
		s.Reason = "no container mounts the volume as a file system"
		return s
	}
	if d.Plugin == PluginHostPath || d.Plugin == PluginNFS {
		s.Reason = fmt.Sprintf("%s volumes are not relabelled", pluginShort(d.Plugin))
		return s
	}
	s.Relabel = RelabelRecursive
	level, labelled, why := volumeLevel(in.Spec, d.Mounts)
	s.Labelled = labelled
	if why != "" {
		s.Reason = why
		return s
	}
	if p := in.Spec.SecurityContext; p != nil && p.SELinuxChangePolicy != nil &&
		*p.SELinuxChangePolicy == corev1.SELinuxChangePolicyRecursive {
		s.Reason = "the pod sets seLinuxChangePolicy: Recursive"
		return s
	}
	if ok, why := pluginMountsWithContext(in, d, &s); !ok {
		s.Reason = why
		return s
	}
	if ok, why := featureOn(in, d, &s); !ok {
		s.Reason = why
		return s
	}
	s.Relabel = RelabelMountOption
	s.Reason = fmt.Sprintf("mounted with -o context (level %s): no recursive relabel", level)
	return s
}

// volumeLevel returns the SELinux level shared by every container mounting the volume. why is
// non-empty when there is none, which forces a recursive relabel.
func volumeLevel(spec *corev1.PodSpec, ms []Mount) (level string, labelled bool, why string) {
	var pod *corev1.SELinuxOptions
	if spec.SecurityContext != nil {
		pod = spec.SecurityContext.SELinuxOptions
	}
	levels := map[string]bool{}
	labelled = true
	for _, m := range ms {
		if m.Device {
			continue
		}
		opts := mergeSELinux(pod, containerSELinux(spec, m.Container, m.Init))
		if opts == (corev1.SELinuxOptions{}) {
			labelled = false
		}
		levels[opts.Level] = true
		level = opts.Level
	}
	switch {
	case levels[""]:
		return "", labelled, "no fixed seLinuxOptions.level for every container mounting " +
			"the volume: the runtime picks a random MCS level per pod and relabels the files"
	case len(levels) > 1:
		return "", labelled, "containers mounting the volume use different SELinux levels, " +
			"so it cannot be mounted with one context"
	}
	return level, labelled, ""
}

// IsSet reports whether o sets any SELinux field (seLinuxOptions: {} sets none).
func isSet(o *corev1.SELinuxOptions) bool { return o != nil && *o != corev1.SELinuxOptions{} }

// PodSetsSELinux reports whether the pod or any of its containers sets a non-empty
// seLinuxOptions.
func PodSetsSELinux(spec *corev1.PodSpec) bool {
	if spec.SecurityContext != nil && isSet(spec.SecurityContext.SELinuxOptions) {
		return true
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			if c.SecurityContext != nil && isSet(c.SecurityContext.SELinuxOptions) {
				return true
			}
		}
	}
	return false
}

func containerSELinux(spec *corev1.PodSpec, name string, init bool) *corev1.SELinuxOptions {
	cs := spec.Containers
	if init {
		cs = spec.InitContainers
	}
	for _, c := range cs {
		if c.Name == name && c.SecurityContext != nil {
			return c.SecurityContext.SELinuxOptions
		}
	}
	return nil
}

// mergeSELinux applies container-level fields over pod-level ones, field by field.
func mergeSELinux(pod, ctr *corev1.SELinuxOptions) corev1.SELinuxOptions {
	var o corev1.SELinuxOptions
	if pod != nil {
		o = *pod
	}
	if ctr == nil {
		return o
	}
	if ctr.User != "" {
		o.User = ctr.User
	}
	if ctr.Role != "" {
		o.Role = ctr.Role
	}
	if ctr.Type != "" {
		o.Type = ctr.Type
	}
	if ctr.Level != "" {
		o.Level = ctr.Level
	}
	return o
}

// pluginMountsWithContext reports whether the volume's plugin can mount with -o context.
func pluginMountsWithContext(in Input, d Decision, s *SELinuxDecision) (bool, string) {
	unknown := d.Plugin == ""
	switch {
	case d.Plugin == PluginISCSI || d.Plugin == PluginFC:
		return true, ""
	case d.Plugin != PluginCSI && !unknown:
		return false, fmt.Sprintf("%s volumes cannot be mounted with -o context; the "+
			"runtime relabels them (cheap when they are new and small)", d.Kind)
	case d.Driver == "":
		s.Assumptions = append(s.Assumptions, "the volume's driver is unknown: assuming a "+
			"CSI driver whose CSIDriver leaves seLinuxMount false (the default)")
		return false, "the volume's CSI driver is not known to support -o context"
	}
	for _, c := range in.Objects.CSIDrivers {
		if c == nil || c.Name != d.Driver {
			continue
		}
		if c.Spec.SELinuxMount != nil && *c.Spec.SELinuxMount {
			return true, ""
		}
		return false, fmt.Sprintf("CSIDriver %s does not set seLinuxMount: true", d.Driver)
	}
	s.Assumptions = append(s.Assumptions, fmt.Sprintf("no CSIDriver %s in the input: "+
		"assuming seLinuxMount false (the default)", d.Driver))
	return false, fmt.Sprintf("CSIDriver %s is not known to set seLinuxMount: true", d.Driver)
}

// featureOn reports whether the mount-option feature covers the volume's access mode in the
// targeted version, assuming default feature gates.
func featureOn(in Input, d Decision, s *SELinuxDecision) (bool, string) {
	minor := in.minor()
	if d.HasAccessMode(corev1.ReadWriteOncePod) {
		if minor >= minorRWOPMountOption {
			return true, ""
		}
		return false, fmt.Sprintf("1.%d: mount-option labelling of ReadWriteOncePod volumes "+
			"is on by default only from 1.%d", minor, minorRWOPMountOption)
	}
	if minor >= minorAllMountOption {
		return true, ""
	}
	if d.AccessModes == nil {
		s.Assumptions = append(s.Assumptions, "the access modes are unknown: assuming not "+
			"ReadWriteOncePod")
	}
	if minor >= minorChangePolicyField {
		s.Assumptions = append(s.Assumptions, fmt.Sprintf("1.%d: assuming the SELinuxMount "+
			"feature gate is left off (beta, off by default until 1.%d)", minor,
			minorAllMountOption))
	}
	return false, fmt.Sprintf("1.%d labels only ReadWriteOncePod volumes with -o context "+
		"by default; other access modes from 1.%d", minor, minorAllMountOption)
}
