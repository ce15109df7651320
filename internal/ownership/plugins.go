package ownership

import "strings"

// Plugin names as they appear, escaped ("/" becomes "~"), in the kubelet's pod volume paths:
// /var/lib/kubelet/pods/<uid>/volumes/<plugin>/<volume>.
const (
	PluginCSI         = "kubernetes.io/csi"
	PluginLocal       = "kubernetes.io/local-volume"
	PluginEmptyDir    = "kubernetes.io/empty-dir"
	PluginConfigMap   = "kubernetes.io/configmap"
	PluginSecret      = "kubernetes.io/secret"
	PluginProjected   = "kubernetes.io/projected"
	PluginDownwardAPI = "kubernetes.io/downward-api"
	PluginHostPath    = "kubernetes.io/host-path"
	PluginNFS         = "kubernetes.io/nfs"
	PluginISCSI       = "kubernetes.io/iscsi"
	PluginFC          = "kubernetes.io/fc"
)

// freshPlugins are the plugins whose volumes are created anew for every pod: the kubelet walks
// them (ignoring fsGroupChangePolicy) but they are small and new, so the walk is not a restart
// hazard.
var freshPlugins = map[string]bool{
	PluginEmptyDir:    true,
	PluginConfigMap:   true,
	PluginSecret:      true,
	PluginProjected:   true,
	PluginDownwardAPI: true,
}

// FreshEachPod reports whether volumes of the named plugin are recreated for every pod.
// It accepts both the plain ("kubernetes.io/secret") and escaped ("kubernetes.io~secret") forms.
func FreshEachPod(plugin string) bool {
	return freshPlugins[strings.ReplaceAll(plugin, "~", "/")]
}

// PodVolumePath is a kubelet pod volume directory split into its parts.
type PodVolumePath struct {
	PodUID string
	Plugin string // unescaped, e.g. "kubernetes.io/csi"
	Volume string // the PV name for persistent volumes, else the pod's volume name
	// StagingPath is set when the path is a CSI staging ("globalmount") directory, which only a
	// CSI driver walks, never the kubelet.
	StagingPath bool
}

// ParsePodVolumePath splits a path such as
// /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount, or the form reported in
// progress messages that starts at the pod UID. Custom kubelet roots (k3s, microk8s, k0s) are
// accepted because only the part from "pods/" (or the UID) on is read. ok is false when the
// path has no recognisable pod volume part.
func ParsePodVolumePath(p string) (PodVolumePath, bool) {
	if strings.Contains(p, "/plugins/kubernetes.io/csi/") && strings.HasSuffix(p, "/globalmount") {
		return PodVolumePath{Plugin: PluginCSI, StagingPath: true}, true
	}
	// The pod part starts after the first "pods/" that is followed by <uid>/volumes/; a later
	// "pods" directory inside the volume must not be taken for it.
	for rest := p; ; {
		if v, ok := splitPodPart(rest); ok {
			return v, true
		}
		i := strings.Index(rest, "pods/")
		if i < 0 {
			return PodVolumePath{}, false
		}
		rest = rest[i+len("pods/"):]
	}
}

// splitPodPart splits "<uid>/volumes/<plugin>/<volume>[/...]".
func splitPodPart(rest string) (PodVolumePath, bool) {
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) < 4 || parts[1] != "volumes" || parts[0] == "" || parts[2] == "" ||
		parts[3] == "" {
		return PodVolumePath{}, false
	}
	return PodVolumePath{
		PodUID: parts[0],
		Plugin: strings.ReplaceAll(parts[2], "~", "/"),
		Volume: parts[3],
	}, true
}
