package ownership

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// Parameter keys a StorageClass uses for the file system type: the CSI external-provisioner's
// key, and the legacy key in-tree provisioners (and older external-provisioners) read.
const (
	paramCSIFSType    = "csi.storage.k8s.io/fstype"
	paramLegacyFSType = "fstype" // compared case-insensitively: "fsType" and "fstype"
	noProvisioner     = "kubernetes.io/no-provisioner"
	defaultClassAnno  = "storageclass.kubernetes.io/is-default-class"
	defaultDiskFSType = "ext4"
	// unmodelled marks a backend whose volume type startlag does not model.
	unmodelled = "unmodelled"
)

// migratedDrivers maps in-tree provisioners to the CSI drivers their volumes are migrated to
// (CSI migration is on for all of them in supported releases). diskLike says whether the
// source is a block disk, whose fsType defaults to ext4.
var migratedDrivers = map[string]struct {
	driver   string
	diskLike bool
}{
	"kubernetes.io/aws-ebs":         {"ebs.csi.aws.com", true},
	"kubernetes.io/gce-pd":          {"pd.csi.storage.gke.io", true},
	"kubernetes.io/azure-disk":      {"disk.csi.azure.com", true},
	"kubernetes.io/azure-file":      {"file.csi.azure.com", false},
	"kubernetes.io/cinder":          {"cinder.csi.openstack.org", true},
	"kubernetes.io/vsphere-volume":  {"csi.vsphere.vmware.com", true},
	"kubernetes.io/portworx-volume": {"pxd.portworx.com", true},
	"kubernetes.io/rbd":             {"rbd.csi.ceph.com", true},
}

// backend is what the input tells about the storage behind a claim.
type backend struct {
	plugin      string
	driver      string
	fsType      string
	fsTypeKnown bool
	modes       []corev1.PersistentVolumeAccessMode
	modesKnown  bool
	notes       []string
}

// claimRef names a claim: either a PVC to look up (spec nil) or a template whose spec is known.
type claimRef struct {
	name     string
	spec     *corev1.PersistentVolumeClaimSpec
	template bool
}

// resolveClaim follows claim -> PersistentVolume (by volumeName or claimRef) -> StorageClass
// (by name, or the default class) -> provisioner, as far as the input allows.
func resolveClaim(in Input, ref claimRef) backend {
	var b backend
	spec := ref.spec
	if spec == nil {
		pvc := findPVC(in.Objects, in.Namespace, ref.name)
		if pvc == nil {
			// A PersistentVolume whose claimRef names the claim still tells the backend.
			if pv := findPV(in, ref, &corev1.PersistentVolumeClaimSpec{}); pv != nil {
				return fromPV(b, pv)
			}
			b.notes = append(b.notes, fmt.Sprintf("PersistentVolumeClaim %s is not in the "+
				"input: its access modes, StorageClass and CSI driver are unknown", ref.name))
			return b
		}
		spec = &pvc.Spec
	}
	if len(spec.AccessModes) > 0 {
		b.modes, b.modesKnown = spec.AccessModes, true
	}
	if pv := findPV(in, ref, spec); pv != nil {
		return fromPV(b, pv)
	}
	sc, note := findClass(in.Objects, spec.StorageClassName)
	if sc == nil {
		b.notes = append(b.notes, note)
		return b
	}
	return fromClass(b, sc)
}

func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }

func findPVC(objs Objects, ns, name string) *corev1.PersistentVolumeClaim {
	for _, p := range objs.PVCs {
		if p != nil && p.Name == name && sameNamespace(ns, p.Namespace) {
			return p
		}
	}
	return nil
}

// findPV finds the claim's PersistentVolume by spec.volumeName, or by a PV whose claimRef
// points at the claim (for a StatefulSet template: at a claim <template>-<workload>-<n>).
func findPV(in Input, ref claimRef,
	spec *corev1.PersistentVolumeClaimSpec) *corev1.PersistentVolume {
	for _, pv := range in.Objects.PVs {
		if pv == nil {
			continue
		}
		if spec.VolumeName != "" {
			if pv.Name == spec.VolumeName {
				return pv
			}
			continue
		}
		cr := pv.Spec.ClaimRef
		if cr == nil || !sameNamespace(in.Namespace, cr.Namespace) {
			continue
		}
		if !ref.template && cr.Name == ref.name {
			return pv
		}
		if ref.template && in.Workload != "" &&
			strings.HasPrefix(cr.Name, ref.name+"-"+in.Workload+"-") {
			return pv
		}
	}
	return nil
}

// fromPV reads the plugin, driver, fsType and access modes off a PersistentVolume. The kubelet
// uses the PV's access modes, so they replace the claim's.
func fromPV(b backend, pv *corev1.PersistentVolume) backend {
	if len(pv.Spec.AccessModes) > 0 {
		b.modes, b.modesKnown = pv.Spec.AccessModes, true
	}
	s := pv.Spec.PersistentVolumeSource
	switch {
	case s.CSI != nil:
		b.plugin, b.driver = PluginCSI, s.CSI.Driver
		b.fsType, b.fsTypeKnown = s.CSI.FSType, true
	case s.Local != nil:
		b.plugin = PluginLocal
	case s.NFS != nil:
		b.plugin = PluginNFS
	case s.HostPath != nil:
		b.plugin = PluginHostPath
	case s.ISCSI != nil:
		b.plugin = PluginISCSI
	case s.FC != nil:
		b.plugin = PluginFC
	default:
		m, ok := inTreePV(s)
		if !ok {
			b.notes = append(b.notes, fmt.Sprintf("PersistentVolume %s has a volume type "+
				"startlag does not model", pv.Name))
			b.plugin = unmodelled
			return b
		}
		b.plugin, b.driver = PluginCSI, m.driver
		b.fsType, b.fsTypeKnown = m.fsType, true
		b.notes = append(b.notes, m.notes...)
	}
	return b
}

// findClass finds the claim's StorageClass; note says what is unknown when it is not found.
func findClass(objs Objects, name *string) (*storagev1.StorageClass, string) {
	if name != nil && *name == "" {
		return nil, `the claim sets storageClassName "" (binding to a pre-created ` +
			`PersistentVolume), and no such PersistentVolume is in the input`
	}
	for _, sc := range objs.StorageClasses {
		if sc == nil {
			continue
		}
		if name != nil && sc.Name == *name {
			return sc, ""
		}
		if name == nil && sc.Annotations[defaultClassAnno] == "true" {
			return sc, ""
		}
	}
	if name != nil {
		return nil, fmt.Sprintf("StorageClass %s is not in the input: the CSI driver, "+
			"fsType and fsGroupPolicy are unknown", *name)
	}
	return nil, "the claim uses the cluster's default StorageClass, which is not in the " +
		"input: the CSI driver, fsType and fsGroupPolicy are unknown"
}

// fromClass reads the provisioner and fsType parameter of a StorageClass.
func fromClass(b backend, sc *storagev1.StorageClass) backend {
	p := sc.Provisioner
	if p == noProvisioner {
		b.notes = append(b.notes, fmt.Sprintf("StorageClass %s has no provisioner: its "+
			"volumes are pre-created PersistentVolumes (often local volumes) that are not in "+
			"the input", sc.Name))
		b.plugin = unmodelled
		return b
	}
	fsType, set := classFSType(sc.Parameters)
	if m, ok := migratedDrivers[p]; ok {
		b.plugin, b.driver = PluginCSI, m.driver
		b.fsType, b.fsTypeKnown = fsType, true
		if !set && m.diskLike {
			b.fsType = defaultDiskFSType
			b.notes = append(b.notes, fmt.Sprintf("StorageClass %s (in-tree %s, migrated to "+
				"%s) sets no fsType: assuming the in-tree default ext4", sc.Name, p, m.driver))
		}
		return b
	}
	b.plugin, b.driver = PluginCSI, p
	if set {
		b.fsType, b.fsTypeKnown = fsType, true
		return b
	}
	b.notes = append(b.notes, fmt.Sprintf("StorageClass %s sets no fsType: the "+
		"PersistentVolume gets the provisioner's --default-fstype, which is not in the input "+
		"(block-storage drivers usually deploy with ext4, file-storage drivers with none)",
		sc.Name))
	return b
}

// classFSType returns the fsType parameter, preferring the CSI key.
func classFSType(params map[string]string) (string, bool) {
	if v, ok := params[paramCSIFSType]; ok {
		return v, true
	}
	for k, v := range params {
		if strings.EqualFold(k, paramLegacyFSType) {
			return v, true
		}
	}
	return "", false
}

// migrated is an in-tree source translated to its CSI driver.
type migrated struct {
	driver string
	fsType string
	ro     bool
	notes  []string
}

func newMigrated(provisioner, fsType string, ro bool) migrated {
	m := migrated{driver: migratedDrivers[provisioner].driver, fsType: fsType, ro: ro}
	if fsType == "" && migratedDrivers[provisioner].diskLike {
		m.fsType = defaultDiskFSType
		m.notes = append(m.notes, fmt.Sprintf("the in-tree source sets no fsType: assuming "+
			"its API default ext4 (migrated to %s)", m.driver))
	}
	return m
}

// inTreePV maps in-tree PersistentVolume sources to their migrated CSI driver.
func inTreePV(s corev1.PersistentVolumeSource) (migrated, bool) {
	switch {
	case s.AWSElasticBlockStore != nil:
		return newMigrated("kubernetes.io/aws-ebs", s.AWSElasticBlockStore.FSType, false), true
	case s.GCEPersistentDisk != nil:
		return newMigrated("kubernetes.io/gce-pd", s.GCEPersistentDisk.FSType, false), true
	case s.AzureDisk != nil:
		return newMigrated("kubernetes.io/azure-disk", deref(s.AzureDisk.FSType), false), true
	case s.AzureFile != nil:
		return newMigrated("kubernetes.io/azure-file", "", false), true
	case s.Cinder != nil:
		return newMigrated("kubernetes.io/cinder", s.Cinder.FSType, false), true
	case s.VsphereVolume != nil:
		return newMigrated("kubernetes.io/vsphere-volume", s.VsphereVolume.FSType, false), true
	case s.PortworxVolume != nil:
		return newMigrated("kubernetes.io/portworx-volume", s.PortworxVolume.FSType, false), true
	case s.RBD != nil:
		return newMigrated("kubernetes.io/rbd", s.RBD.FSType, false), true
	}
	return migrated{}, false
}

// inTreeInline maps in-tree sources written in a pod spec to their migrated CSI driver.
func inTreeInline(s corev1.VolumeSource) (backend, bool, bool) {
	var m migrated
	switch {
	case s.AWSElasticBlockStore != nil:
		v := s.AWSElasticBlockStore
		m = newMigrated("kubernetes.io/aws-ebs", v.FSType, v.ReadOnly)
	case s.GCEPersistentDisk != nil:
		v := s.GCEPersistentDisk
		m = newMigrated("kubernetes.io/gce-pd", v.FSType, v.ReadOnly)
	case s.AzureDisk != nil:
		v := s.AzureDisk
		ro := v.ReadOnly != nil && *v.ReadOnly
		m = newMigrated("kubernetes.io/azure-disk", deref(v.FSType), ro)
	case s.AzureFile != nil:
		m = newMigrated("kubernetes.io/azure-file", "", s.AzureFile.ReadOnly)
	case s.Cinder != nil:
		m = newMigrated("kubernetes.io/cinder", s.Cinder.FSType, s.Cinder.ReadOnly)
	case s.VsphereVolume != nil:
		m = newMigrated("kubernetes.io/vsphere-volume", s.VsphereVolume.FSType, false)
	case s.PortworxVolume != nil:
		v := s.PortworxVolume
		m = newMigrated("kubernetes.io/portworx-volume", v.FSType, v.ReadOnly)
	case s.RBD != nil:
		m = newMigrated("kubernetes.io/rbd", s.RBD.FSType, s.RBD.ReadOnly)
	default:
		return backend{}, false, false
	}
	b := backend{plugin: PluginCSI, driver: m.driver, fsType: m.fsType, fsTypeKnown: true,
		notes: m.notes}
	return b, m.ro, true
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
