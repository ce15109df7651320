package ownership

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// NewestMinor is the newest Kubernetes minor version whose behaviour this package models.
// A zero minor version in an Input means this one.
const NewestMinor = 37

// Walks says whether the kubelet recursively changes a volume's group and mode when it mounts
// the volume for a pod.
type Walks uint8

// Walk outcomes.
const (
	// WalksNo: the kubelet never walks this volume for this pod.
	WalksNo Walks = iota
	// WalksYes: the kubelet walks it (before the OnRootMismatch root test, if that applies).
	// Decision.Assumptions may still name what only a node can tell (driver delegation).
	WalksYes
	// WalksDepends: the answer hinges on facts that are not in the input (StorageClass,
	// PersistentVolume, CSIDriver); Decision.Assumptions say which and what is likely.
	WalksDepends
)

var walksNames = [...]string{WalksNo: "no", WalksYes: "yes", WalksDepends: "depends"}

// String returns "no", "yes" or "depends".
func (w Walks) String() string {
	if int(w) < len(walksNames) {
		return walksNames[w]
	}
	return fmt.Sprintf("walks(%d)", int(w))
}

// Kind says how a pod gets a volume, as written in the pod template.
type Kind uint8

// Volume kinds. KindOther covers sources the model does not know.
const (
	KindOther         Kind = iota
	KindPVC                // spec.volumes[].persistentVolumeClaim
	KindClaimTemplate      // a StatefulSet or CloneSet volumeClaimTemplate
	KindEphemeral          // spec.volumes[].ephemeral (generic ephemeral volume)
	KindInlineCSI          // spec.volumes[].csi (CSI ephemeral inline volume)
	KindEmptyDir
	KindConfigMap
	KindSecret
	KindProjected
	KindDownwardAPI
	KindGitRepo
	KindHostPath
	KindNFS
	KindISCSI
	KindFC
	KindInTreeDisk // an in-tree cloud disk or rbd source, migrated to its CSI driver
	KindImage
)

var kindNames = [...]string{
	KindOther: "other", KindPVC: "persistentVolumeClaim", KindClaimTemplate: "volumeClaimTemplate",
	KindEphemeral: "ephemeral", KindInlineCSI: "csi", KindEmptyDir: "emptyDir",
	KindConfigMap: "configMap", KindSecret: "secret", KindProjected: "projected",
	KindDownwardAPI: "downwardAPI", KindGitRepo: "gitRepo", KindHostPath: "hostPath",
	KindNFS: "nfs", KindISCSI: "iscsi", KindFC: "fc", KindInTreeDisk: "in-tree disk",
	KindImage: "image",
}

// String returns the pod spec field name of the kind ("persistentVolumeClaim", "emptyDir", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Objects are the storage objects known from the same input. Any of them may be missing; the
// decision then names what it assumes instead.
type Objects struct {
	PVCs           []*corev1.PersistentVolumeClaim
	PVs            []*corev1.PersistentVolume
	StorageClasses []*storagev1.StorageClass
	CSIDrivers     []*storagev1.CSIDriver
}

// Input is one pod template and what is known around it.
type Input struct {
	// Namespace is the workload's namespace as written (empty matches any namespace).
	Namespace string
	// Workload is the owner's name; StatefulSet claims are named <template>-<workload>-<n>.
	Workload string
	Spec     *corev1.PodSpec
	// ClaimTemplates are the workload's volumeClaimTemplates (StatefulSet, CloneSet).
	ClaimTemplates []corev1.PersistentVolumeClaim
	Objects        Objects
	// KubeMinor is the target cluster's minor version (37 for 1.37); zero means NewestMinor.
	KubeMinor int
}

func (in Input) minor() int {
	if in.KubeMinor <= 0 {
		return NewestMinor
	}
	return in.KubeMinor
}

// Mount is one container's use of a volume.
type Mount struct {
	Container string
	Init      bool
	MountPath string
	SubPath   string // subPath or subPathExpr as written
	ReadOnly  bool
	Device    bool // a volumeDevices entry (raw block), not a file system mount
}

// Decision is the model's answer for one volume of one pod template.
type Decision struct {
	Volume string
	Kind   Kind
	// Claim is the PersistentVolumeClaim name for KindPVC, the template name otherwise.
	Claim string
	// Plugin is the kubelet volume plugin that mounts the volume (PluginCSI, PluginLocal, ...),
	// empty when the input does not say.
	Plugin string
	// Driver is the CSI driver, when the plugin is CSI and the driver is known.
	Driver string
	// FSType is the file system type given to the CSI driver; FSTypeKnown says whether the
	// input decided it (an empty known FSType means none is set).
	FSType      string
	FSTypeKnown bool
	// AccessModes are the PersistentVolume's (or claim's) access modes, nil when unknown.
	AccessModes []corev1.PersistentVolumeAccessMode
	// ReadOnly is the pod-level read-only flag (persistentVolumeClaim.readOnly, csi.readOnly,
	// ...), which is what the kubelet's decision reads.
	ReadOnly bool
	// Mounts lists every container mount of the volume, init containers first.
	Mounts []Mount

	Walks Walks
	// PersistentAcrossRestarts: the volume's files outlive the pod, so a walk on every pod
	// start repeats over data that grows; false for volumes created anew for each pod.
	PersistentAcrossRestarts bool
	// Populated: a per-pod volume that starts with data (a generic ephemeral volume cloned
	// from a snapshot or another claim), so each new pod walks a full copy.
	Populated bool
	// PolicyHonoured: the pod's fsGroupChangePolicy applies to this volume. The kubelet
	// ignores it for emptyDir, configMap, secret, projected and downwardAPI volumes.
	PolicyHonoured bool
	// Policy is the pod's fsGroupChangePolicy as written.
	Policy  Policy
	FSGroup *int64
	// Reason says why, in one or two sentences.
	Reason string
	// Assumptions name what the decision takes for granted because the input cannot tell.
	Assumptions []string
}

// SkipsWhenRootMatches reports whether the kubelet runs the OnRootMismatch root test first.
func (d Decision) SkipsWhenRootMatches() bool {
	return d.PolicyHonoured && d.Policy.SkipsWhenRootMatches()
}

// WalksEveryMount reports whether a walk (certain or likely) runs at every mount, with no root
// test to skip it.
func (d Decision) WalksEveryMount() bool {
	return d.Walks != WalksNo && !d.SkipsWhenRootMatches()
}

// RestartHazard reports whether every pod start walks a volume whose data outlive the pod
// (or start full): the slow-start hazard the audit reports.
func (d Decision) RestartHazard() bool {
	return d.WalksEveryMount() && (d.PersistentAcrossRestarts || d.Populated)
}

// HasAccessMode reports whether m is among the decision's access modes.
func (d Decision) HasAccessMode(m corev1.PersistentVolumeAccessMode) bool {
	return slices.Contains(d.AccessModes, m)
}

// Decide returns a decision for every volume the pod template declares (spec.volumes, then
// volumeClaimTemplates that no pod volume of the same name replaces), in that order.
func Decide(in Input) []Decision {
	if in.Spec == nil {
		return nil
	}
	var out []Decision
	tmpl := map[string]*corev1.PersistentVolumeClaim{}
	for i := range in.ClaimTemplates {
		tmpl[in.ClaimTemplates[i].Name] = &in.ClaimTemplates[i]
	}
	for i := range in.Spec.Volumes {
		v := &in.Spec.Volumes[i]
		// The StatefulSet controller replaces a pod volume named like a claim template.
		if t, ok := tmpl[v.Name]; ok {
			out = append(out, decideTemplate(in, t))
			delete(tmpl, v.Name)
			continue
		}
		out = append(out, decideVolume(in, v))
	}
	for i := range in.ClaimTemplates {
		if t, ok := tmpl[in.ClaimTemplates[i].Name]; ok {
			out = append(out, decideTemplate(in, t))
		}
	}
	for i := range out {
		gatePolicy(in, &out[i])
	}
	return out
}

// configurablePolicyMinor is the first minor version whose kubelet honours fsGroupChangePolicy
// by default: the ConfigurableFSGroupPolicy feature gate was alpha (off) in 1.18 and 1.19, beta
// (on) from 1.20 and GA in 1.23.
const configurablePolicyMinor = 20

// gatePolicy withdraws OnRootMismatch on clusters older than configurablePolicyMinor, whose
// kubelet walks regardless unless the gate was turned on.
func gatePolicy(in Input, d *Decision) {
	if in.minor() >= configurablePolicyMinor || !d.SkipsWhenRootMatches() {
		return
	}
	d.PolicyHonoured = false
	d.Assumptions = append(d.Assumptions, fmt.Sprintf("Kubernetes 1.%d targeted: the "+
		"ConfigurableFSGroupPolicy feature gate is off (its default before 1.20), so the "+
		"kubelet ignores fsGroupChangePolicy and walks at every mount", in.minor()))
}

// DecideOne returns the decision for the named volume; ok is false when the pod template
// declares no such volume.
func DecideOne(in Input, name string) (d Decision, ok bool) {
	for _, d := range Decide(in) {
		if d.Volume == name {
			return d, true
		}
	}
	return Decision{}, false
}

// MountsOf lists the container mounts of the named volume, init containers first.
func MountsOf(spec *corev1.PodSpec, name string) []Mount {
	var out []Mount
	add := func(cs []corev1.Container, init bool) {
		for _, c := range cs {
			for _, m := range c.VolumeMounts {
				if m.Name != name {
					continue
				}
				sub := m.SubPath
				if sub == "" {
					sub = m.SubPathExpr
				}
				out = append(out, Mount{Container: c.Name, Init: init, MountPath: m.MountPath,
					SubPath: sub, ReadOnly: m.ReadOnly})
			}
			for _, dv := range c.VolumeDevices {
				if dv.Name == name {
					out = append(out, Mount{Container: c.Name, Init: init,
						MountPath: dv.DevicePath, Device: true})
				}
			}
		}
	}
	add(spec.InitContainers, true)
	add(spec.Containers, false)
	return out
}

func newDecision(in Input, name string, kind Kind) Decision {
	d := Decision{Volume: name, Kind: kind, Mounts: MountsOf(in.Spec, name)}
	if sc := in.Spec.SecurityContext; sc != nil {
		d.FSGroup = sc.FSGroup
		if sc.FSGroupChangePolicy != nil {
			d.Policy = Policy(*sc.FSGroupChangePolicy)
		}
	}
	return d
}

func decideTemplate(in Input, t *corev1.PersistentVolumeClaim) Decision {
	d := newDecision(in, t.Name, KindClaimTemplate)
	d.Claim = t.Name
	d.PersistentAcrossRestarts = true
	d.PolicyHonoured = true
	b := resolveClaim(in, claimRef{name: t.Name, spec: &t.Spec, template: true})
	finishClaim(in, &d, b)
	return d
}

// decideVolume dispatches on the pod volume's source.
func decideVolume(in Input, v *corev1.Volume) Decision {
	s := v.VolumeSource
	switch {
	case s.PersistentVolumeClaim != nil:
		return decidePVC(in, v)
	case s.Ephemeral != nil:
		return decideEphemeral(in, v)
	case s.CSI != nil:
		return decideInlineCSI(in, v)
	case s.EmptyDir != nil:
		return decideFresh(in, v.Name, KindEmptyDir)
	case s.ConfigMap != nil:
		return decideFresh(in, v.Name, KindConfigMap)
	case s.Secret != nil:
		return decideFresh(in, v.Name, KindSecret)
	case s.Projected != nil:
		return decideFresh(in, v.Name, KindProjected)
	case s.DownwardAPI != nil:
		return decideFresh(in, v.Name, KindDownwardAPI)
	case s.GitRepo != nil: //nolint:staticcheck // deprecated but still served
		return decideFresh(in, v.Name, KindGitRepo)
	case s.HostPath != nil:
		return decideNever(in, v.Name, KindHostPath, PluginHostPath)
	case s.NFS != nil:
		return decideNever(in, v.Name, KindNFS, PluginNFS)
	case s.ISCSI != nil:
		return decideBlockPlugin(in, v.Name, KindISCSI, PluginISCSI, s.ISCSI.ReadOnly)
	case s.FC != nil:
		return decideBlockPlugin(in, v.Name, KindFC, PluginFC, s.FC.ReadOnly)
	case s.Image != nil:
		return decideImage(in, v.Name)
	}
	if b, ro, ok := inTreeInline(s); ok {
		return decideInTreeInline(in, v.Name, b, ro)
	}
	return decideUnknown(in, v.Name)
}

// finish applies the decisions common to every volume: no fsGroup, unused volumes, block
// devices and the policy value. It returns false when the volume is not walked for one of them.
func finish(d *Decision) bool {
	if d.FSGroup == nil {
		d.Walks = WalksNo
		d.Reason = "the pod sets no fsGroup, so the kubelet changes no ownership"
		return false
	}
	if len(d.Mounts) == 0 {
		d.Walks = WalksNo
		d.Reason = "no container mounts the volume; the kubelet skips unused volumes"
		return false
	}
	if !hasFSMount(d.Mounts) {
		d.Walks = WalksNo
		d.Reason = "the volume is only used as a raw block device (volumeDevices); " +
			"there is no file system to walk"
		return false
	}
	if !d.Policy.Valid() {
		d.Assumptions = append(d.Assumptions, fmt.Sprintf("fsGroupChangePolicy %q is not a "+
			"valid value (Always or OnRootMismatch): the API server rejects the pod; "+
			"were it accepted, the kubelet would walk as with Always", string(d.Policy)))
	}
	return true
}

func hasFSMount(ms []Mount) bool {
	for _, m := range ms {
		if !m.Device {
			return true
		}
	}
	return false
}

// AllMountsReadOnly reports whether every file system mount of the volume is readOnly. It does
// not stop the walk: the kubelet reads the pod volume's own readOnly field.
func (d Decision) AllMountsReadOnly() bool {
	n := 0
	for _, m := range d.Mounts {
		if m.Device {
			continue
		}
		if !m.ReadOnly {
			return false
		}
		n++
	}
	return n > 0
}

// decideFresh covers volumes written anew for every pod. emptyDir and the atomic-writer
// plugins (configMap, secret, projected, downwardAPI) call the ownership change with a nil
// policy (pkg/volume/emptydir/empty_dir.go, pkg/volume/configmap/configmap.go, ...), so
// fsGroupChangePolicy has no effect on them; the API documents the same.
func decideFresh(in Input, name string, kind Kind) Decision {
	d := newDecision(in, name, kind)
	d.Plugin = freshPluginOf(kind)
	if !finish(&d) {
		return d
	}
	d.Walks = WalksYes
	d.Reason = fmt.Sprintf("%s volumes are created for each pod and walked ignoring "+
		"fsGroupChangePolicy; they start empty or small, so the walk is cheap", kind)
	return d
}

func freshPluginOf(k Kind) string {
	switch k {
	case KindEmptyDir, KindGitRepo:
		return PluginEmptyDir
	case KindConfigMap:
		return PluginConfigMap
	case KindSecret:
		return PluginSecret
	case KindProjected:
		return PluginProjected
	case KindDownwardAPI:
		return PluginDownwardAPI
	}
	return ""
}

// decideNever covers hostPath and in-tree NFS: their mounters never call the ownership change
// (they report Managed: false).
func decideNever(in Input, name string, kind Kind, plugin string) Decision {
	d := newDecision(in, name, kind)
	d.Plugin = plugin
	d.PersistentAcrossRestarts = true
	if !finish(&d) {
		return d
	}
	d.Walks = WalksNo
	d.Reason = fmt.Sprintf("the kubelet never changes ownership of %s volumes", kind)
	return d
}

// decideBlockPlugin covers the in-tree iscsi and fc plugins, which still mount in the kubelet
// and walk (honouring the policy) unless the volume is read-only.
func decideBlockPlugin(in Input, name string, kind Kind, plugin string, ro bool) Decision {
	d := newDecision(in, name, kind)
	d.Plugin = plugin
	d.ReadOnly = ro
	d.PersistentAcrossRestarts = true
	d.PolicyHonoured = true
	if !finish(&d) {
		return d
	}
	if ro {
		d.Walks = WalksNo
		d.Reason = fmt.Sprintf("the %s volume is read-only (readOnly: true)", kind)
		return d
	}
	d.Walks = WalksYes
	d.Reason = fmt.Sprintf("the in-tree %s plugin walks the volume at every mount", kind)
	return d
}

// decideImage covers image volumes: read-only OCI content, never walked.
func decideImage(in Input, name string) Decision {
	d := newDecision(in, name, KindImage)
	if !finish(&d) {
		return d
	}
	d.Walks = WalksNo
	d.Reason = "image volumes are read-only and never walked"
	return d
}

func decideUnknown(in Input, name string) Decision {
	d := newDecision(in, name, KindOther)
	d.PersistentAcrossRestarts = true
	d.PolicyHonoured = true
	if !finish(&d) {
		return d
	}
	d.Walks = WalksDepends
	d.Reason = "the volume type is not modelled"
	d.Assumptions = append(d.Assumptions, "this volume source is not modelled by startlag; "+
		"whether the kubelet walks it depends on its plugin")
	return d
}

// decidePVC resolves a claim through the PVC, PV, StorageClass and CSIDriver in the input. The
// kubelet's volume spec for a claim carries persistentVolumeClaim.readOnly as its read-only
// flag (pkg/kubelet/volumemanager/populator: getPVSpec(pvName, pvcSource.ReadOnly, ...)).
func decidePVC(in Input, v *corev1.Volume) Decision {
	d := newDecision(in, v.Name, KindPVC)
	src := v.PersistentVolumeClaim
	d.Claim = src.ClaimName
	d.ReadOnly = src.ReadOnly
	d.PersistentAcrossRestarts = true
	d.PolicyHonoured = true
	b := resolveClaim(in, claimRef{name: src.ClaimName})
	finishClaim(in, &d, b)
	return d
}

// decideEphemeral covers generic ephemeral volumes: a PVC created for each pod from the
// template and deleted with it. The walk runs on a fresh volume, which is cheap unless the
// template clones data (dataSource or dataSourceRef).
func decideEphemeral(in Input, v *corev1.Volume) Decision {
	d := newDecision(in, v.Name, KindEphemeral)
	d.PolicyHonoured = true
	t := v.Ephemeral.VolumeClaimTemplate
	if t == nil {
		finish(&d)
		if d.FSGroup != nil && len(d.Mounts) > 0 {
			d.Walks = WalksNo
			d.Reason = "the ephemeral volume has no volumeClaimTemplate (the API rejects it)"
		}
		return d
	}
	d.Claim = v.Name
	d.Populated = t.Spec.DataSource != nil || t.Spec.DataSourceRef != nil
	b := resolveClaim(in, claimRef{name: v.Name, spec: &t.Spec, template: true})
	finishClaim(in, &d, b)
	return d
}

// decideInlineCSI covers CSI ephemeral inline volumes. supportsFSGroup (csi_mounter.go) treats
// them as ReadWriteOnce, so with the default policy only the fsType matters; the volume lives
// as long as the pod.
func decideInlineCSI(in Input, v *corev1.Volume) Decision {
	d := newDecision(in, v.Name, KindInlineCSI)
	d.Plugin = PluginCSI
	d.PolicyHonoured = true
	c := v.CSI
	d.Driver = c.Driver
	if c.FSType != nil {
		d.FSType = *c.FSType
	}
	d.FSTypeKnown = true
	d.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	if c.ReadOnly != nil {
		d.ReadOnly = *c.ReadOnly
	}
	if !finish(&d) {
		return d
	}
	decideCSI(in, &d, true)
	return d
}

// decideInTreeInline covers in-tree cloud disks (and rbd) written directly in the pod spec.
// The kubelet translates them to their CSI driver (CSI migration); the translated spec
// carries the source's fsType and a ReadWriteOnce access mode.
func decideInTreeInline(in Input, name string, b backend, ro bool) Decision {
	d := newDecision(in, name, KindInTreeDisk)
	d.ReadOnly = ro
	d.PersistentAcrossRestarts = true
	d.PolicyHonoured = true
	// The translation gives disks ReadWriteOnce and Azure File shares ReadWriteMany.
	b.modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	if b.driver == migratedDrivers["kubernetes.io/azure-file"].driver {
		b.modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	}
	b.modesKnown = true
	finishClaim(in, &d, b)
	return d
}

// finishClaim turns a resolved backend into the decision for a claim-like volume.
func finishClaim(in Input, d *Decision, b backend) {
	d.Plugin, d.Driver = b.plugin, b.driver
	if b.plugin == unmodelled {
		d.Plugin = ""
	}
	d.FSType, d.FSTypeKnown = b.fsType, b.fsTypeKnown
	if b.modesKnown {
		d.AccessModes = b.modes
	}
	d.Assumptions = append(d.Assumptions, b.notes...)
	if !finish(d) {
		return
	}
	switch b.plugin {
	case PluginCSI, "":
		decideCSI(in, d, false)
	case PluginLocal:
		decideLocal(d)
	case PluginHostPath, PluginNFS:
		d.Walks = WalksNo
		d.Reason = fmt.Sprintf("the volume is a %s PersistentVolume, which the kubelet "+
			"never walks", pluginShort(b.plugin))
	case PluginISCSI, PluginFC:
		d.Walks = WalksYes
		d.Reason = fmt.Sprintf("the in-tree %s plugin walks the volume at every mount",
			pluginShort(b.plugin))
		if d.ReadOnly {
			d.Walks = WalksNo
			d.Reason = "the claim is mounted read-only (persistentVolumeClaim.readOnly)"
		}
	default:
		d.Walks = WalksDepends
		d.Reason = "the PersistentVolume's type is not modelled"
	}
}

func pluginShort(p string) string { return strings.TrimPrefix(p, "kubernetes.io/") }

// decideLocal: the local plugin walks (honouring the policy) unless read-only, and only when
// no other pod on the node has the volume mounted (pkg/volume/local/local.go SetUpAt: the
// ownership is written only on the first mount, counted over mounts under the pods dir).
func decideLocal(d *Decision) {
	if d.ReadOnly {
		d.Walks = WalksNo
		d.Reason = "the local volume is mounted read-only (persistentVolumeClaim.readOnly)"
		return
	}
	d.Walks = WalksYes
	d.Reason = "the local plugin walks the volume whenever no other pod on the node has it " +
		"mounted, i.e. at every restart of its only pod"
}

// decideCSI applies csiMountMgr.supportsFSGroup (pkg/volume/csi/csi_mounter.go, checked in the
// newest kubelet source): false when fsGroup is nil, the driver's fsGroupPolicy is None or the
// volume is read-only (c.readOnly, i.e. persistentVolumeClaim.readOnly or csi.readOnly; a
// container's volumeMounts[].readOnly does not count); true for File; for
// ReadWriteOnceWithFSType it needs a non-empty fsType and, for PVs, ReadWriteOnce among the
// PV's access modes (ReadWriteOncePod too since 1.32), inline volumes counting as
// ReadWriteOnce. A missing CSIDriver object means ReadWriteOnceWithFSType (getFSGroupPolicy).
// SetUpAt skips the walk entirely when the node plugin reports VOLUME_MOUNT_GROUP.
func decideCSI(in Input, d *Decision, inline bool) {
	if d.ReadOnly {
		d.Walks = WalksNo
		d.Reason = "the volume is read-only at the pod level, and the CSI plugin never " +
			"applies fsGroup to read-only volumes"
		return
	}
	policy, known, note := driverPolicy(in.Objects, d.Driver)
	switch {
	case known && policy == storagev1.NoneFSGroupPolicy:
		d.Walks = WalksNo
		d.Reason = fmt.Sprintf("CSIDriver %s has fsGroupPolicy None", d.Driver)
		return
	case known && policy == storagev1.FileFSGroupPolicy:
		d.Walks = WalksYes
		d.Reason = fmt.Sprintf("CSIDriver %s has fsGroupPolicy File: the kubelet walks "+
			"whatever the fsType and access mode", d.Driver)
		addDelegation(d)
		return
	}
	w, why := rwoWithFSType(in, d, inline)
	if known {
		d.Walks, d.Reason = w, why
		if w != WalksNo {
			addDelegation(d)
		}
		return
	}
	d.Assumptions = append(d.Assumptions, note)
	switch w {
	case WalksYes:
		d.Walks = WalksYes
		d.Reason = why
		addDelegation(d)
	case WalksNo:
		d.Walks = WalksDepends
		d.Reason = why + "; it would walk if the driver's CSIDriver sets fsGroupPolicy: File"
	default:
		d.Walks = WalksDepends
		d.Reason = why
		addDelegation(d)
	}
}

// rwoWithFSType applies the ReadWriteOnceWithFSType branch of supportsFSGroup.
func rwoWithFSType(in Input, d *Decision, inline bool) (Walks, string) {
	// The kubelet tests the fsType first, but both are required: an access mode without
	// ReadWriteOnce decides alone.
	if !inline && d.AccessModes != nil && !d.HasAccessMode(corev1.ReadWriteOnce) &&
		!d.HasAccessMode(corev1.ReadWriteOncePod) {
		return WalksNo, fmt.Sprintf("access modes %s: under fsGroupPolicy "+
			"ReadWriteOnceWithFSType the kubelet walks only ReadWriteOnce volumes",
			modesString(d.AccessModes))
	}
	if !d.FSTypeKnown {
		if d.HasAccessMode(corev1.ReadWriteOnce) || d.HasAccessMode(corev1.ReadWriteOncePod) {
			return WalksDepends, "ReadWriteOnce claim whose fsType is not in the input: " +
				"block-storage drivers give one (ext4, xfs) and the kubelet then walks"
		}
		return WalksDepends, "with fsGroupPolicy ReadWriteOnceWithFSType the kubelet walks " +
			"only ReadWriteOnce volumes with an fsType, which the input does not show"
	}
	if d.FSType == "" {
		return WalksNo, "no fsType is set, and with fsGroupPolicy ReadWriteOnceWithFSType " +
			"the kubelet skips volumes without one"
	}
	if inline {
		return WalksYes, fmt.Sprintf("inline CSI volume with fsType %s (the kubelet treats "+
			"inline volumes as ReadWriteOnce)", d.FSType)
	}
	if d.AccessModes == nil {
		return WalksDepends, fmt.Sprintf("fsType %s is set; the kubelet walks only if the "+
			"PersistentVolume is ReadWriteOnce, which the input does not show", d.FSType)
	}
	if d.HasAccessMode(corev1.ReadWriteOnce) {
		return WalksYes, fmt.Sprintf("ReadWriteOnce volume with fsType %s under fsGroupPolicy "+
			"ReadWriteOnceWithFSType", d.FSType)
	}
	if d.HasAccessMode(corev1.ReadWriteOncePod) {
		if in.minor() >= 32 {
			return WalksYes, fmt.Sprintf("ReadWriteOncePod volume with fsType %s under "+
				"fsGroupPolicy ReadWriteOnceWithFSType (honoured for RWOP since 1.32)", d.FSType)
		}
		return WalksNo, fmt.Sprintf("before 1.32 the kubelet ignores fsGroup on "+
			"ReadWriteOncePod volumes under ReadWriteOnceWithFSType (1.%d targeted)", in.minor())
	}
	return WalksNo, fmt.Sprintf("access modes %s: under fsGroupPolicy "+
		"ReadWriteOnceWithFSType the kubelet walks only ReadWriteOnce volumes",
		modesString(d.AccessModes))
}

func addDelegation(d *Decision) {
	if d.Plugin != PluginCSI && d.Plugin != "" {
		return
	}
	d.Assumptions = append(d.Assumptions, "the CSI node plugin does not report the "+
		"VOLUME_MOUNT_GROUP capability (if it does, the driver applies fsGroup at mount and the "+
		"kubelet does not walk; only the node can tell)")
}

// driverPolicy looks up the driver's fsGroupPolicy. known is false when the driver or its
// CSIDriver object is not in the input; note then says what is assumed.
func driverPolicy(objs Objects, driver string) (storagev1.FSGroupPolicy, bool, string) {
	def := storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy
	if driver == "" {
		return def, false, "the CSI driver is unknown: assuming fsGroupPolicy " +
			"ReadWriteOnceWithFSType (the kubelet's default and the API default)"
	}
	for _, c := range objs.CSIDrivers {
		if c == nil || c.Name != driver {
			continue
		}
		if c.Spec.FSGroupPolicy == nil || *c.Spec.FSGroupPolicy == "" {
			// The API server defaults an omitted field when the object is created.
			return def, true, ""
		}
		return *c.Spec.FSGroupPolicy, true, ""
	}
	return def, false, fmt.Sprintf("no CSIDriver %s in the input: assuming fsGroupPolicy "+
		"ReadWriteOnceWithFSType (what the kubelet uses when the object is absent)", driver)
}

func modesString(ms []corev1.PersistentVolumeAccessMode) string {
	if len(ms) == 0 {
		return "none"
	}
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ",")
}
