package ownership

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The expected values in this file restate the kubelet's rules, each checked in its source:
// pkg/volume/csi/csi_mounter.go (supportsFSGroup, getFSGroupPolicy, SetUpAt's
// VOLUME_MOUNT_GROUP check), pkg/volume/local/local.go (ownership only on the first mount,
// not when read-only), pkg/volume/volume_linux.go (policy handling), the emptyDir and
// atomic-writer plugins (nil policy), and the kubelet populator passing
// persistentVolumeClaim.readOnly as the volume's read-only flag.

var (
	rwo  = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	rwx  = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	rox  = []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany}
	rwop = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod}
)

func ptr[T any](v T) *T { return &v }

// podSpec returns a pod with fsGroup (nil for none), a policy ("" for unset) and one container
// mounting every volume (readOnly mounts when ro is true).
func podSpec(fsGroup *int64, policy string, ro bool, vols ...corev1.Volume) *corev1.PodSpec {
	s := &corev1.PodSpec{Volumes: vols, SecurityContext: &corev1.PodSecurityContext{FSGroup: fsGroup}}
	if policy != "" {
		p := corev1.PodFSGroupChangePolicy(policy)
		s.SecurityContext.FSGroupChangePolicy = &p
	}
	c := corev1.Container{Name: "app"}
	for _, v := range vols {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: v.Name,
			MountPath: "/mnt/" + v.Name, ReadOnly: ro})
	}
	s.Containers = []corev1.Container{c}
	return s
}

func pvcVol(name, claim string, ro bool) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim,
			ReadOnly: ro}}}
}

func pvc(name, class string, modes []corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	p := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: modes}}
	if class != "-" {
		p.Spec.StorageClassName = ptr(class)
	}
	return p
}

func csiPV(claim, driver, fsType string,
	modes []corev1.PersistentVolumeAccessMode) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-" + claim},
		Spec: corev1.PersistentVolumeSpec{AccessModes: modes,
			ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: claim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: driver, FSType: fsType, VolumeHandle: "h"}}}}
}

func pvWith(claim string, src corev1.PersistentVolumeSource) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-" + claim},
		Spec: corev1.PersistentVolumeSpec{AccessModes: rwo,
			ClaimRef:               &corev1.ObjectReference{Namespace: "ns", Name: claim},
			PersistentVolumeSource: src}}
}

func driver(name string, policy storagev1.FSGroupPolicy) *storagev1.CSIDriver {
	d := &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if policy != "" {
		d.Spec.FSGroupPolicy = &policy
	}
	return d
}

func class(name, provisioner string, params map[string]string) *storagev1.StorageClass {
	return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name},
		Provisioner: provisioner, Parameters: params}
}

var gid = ptr(int64(2000))

// want is the part of a Decision a case checks; assume lists substrings that must appear in
// the assumptions ("-" alone means there must be none).
type want struct {
	walks      Walks
	persistent bool
	honoured   bool
	hazard     bool
	assume     []string
	reason     string
}

type volCase struct {
	name  string
	spec  *corev1.PodSpec
	tmpl  []corev1.PersistentVolumeClaim
	objs  Objects
	minor int
	vol   string
	want  want
}

const ebs = "ebs.csi.aws.com"

func TestDecideVolumeKinds(t *testing.T) {
	rwoPVC := Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "fast", rwo)},
		PVs: []*corev1.PersistentVolume{csiPV("c", ebs, "ext4", rwo)}}
	withDriver := func(o Objects, d *storagev1.CSIDriver) Objects {
		o.CSIDrivers = []*storagev1.CSIDriver{d}
		return o
	}
	cases := []volCase{
		{name: "no fsGroup: never walks", spec: podSpec(nil, "", false, pvcVol("v", "c", false)),
			objs: rwoPVC, want: want{walks: WalksNo, persistent: true, honoured: true,
				reason: "no fsGroup"}},
		{name: "RWO ext4 CSI, policy unset, no CSIDriver object",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)), objs: rwoPVC,
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"no CSIDriver " + ebs, "VOLUME_MOUNT_GROUP"}}},
		{name: "explicit Always is reported like unset",
			spec: podSpec(gid, "Always", false, pvcVol("v", "c", false)), objs: rwoPVC,
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "OnRootMismatch: walks only on a mismatching root",
			spec: podSpec(gid, "OnRootMismatch", false, pvcVol("v", "c", false)), objs: rwoPVC,
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: false}},
		{name: "invalid policy value: walks like Always, named as assumption",
			spec: podSpec(gid, "OnRootMismatchh", false, pvcVol("v", "c", false)), objs: rwoPVC,
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"not a valid value"}}},
		{name: "CSIDriver fsGroupPolicy None",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: withDriver(rwoPVC, driver(ebs, storagev1.NoneFSGroupPolicy)),
			want: want{walks: WalksNo, persistent: true, honoured: true, reason: "None"}},
		{name: "CSIDriver with explicit ReadWriteOnceWithFSType: no driver assumption",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: withDriver(rwoPVC, driver(ebs, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)),
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"VOLUME_MOUNT_GROUP"}}},
		{name: "CSIDriver object without policy: API default applies",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: withDriver(rwoPVC, driver(ebs, "")),
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "read-only claim: CSI never applies fsGroup",
			spec: podSpec(gid, "", false, pvcVol("v", "c", true)),
			objs: withDriver(rwoPVC, driver(ebs, storagev1.FileFSGroupPolicy)),
			want: want{walks: WalksNo, persistent: true, honoured: true, reason: "read-only"}},
		{name: "readOnly container mounts do not stop the walk",
			spec: podSpec(gid, "", true, pvcVol("v", "c", false)), objs: rwoPVC,
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
	}
	runCases(t, cases)
}

func TestDecideCSIPolicyMatrix(t *testing.T) {
	type row struct {
		policy storagev1.FSGroupPolicy // "" = no CSIDriver object in the input
		fsType string
		modes  []corev1.PersistentVolumeAccessMode
		minor  int
		walks  Walks
	}
	const none, file, rwoft = storagev1.NoneFSGroupPolicy, storagev1.FileFSGroupPolicy,
		storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy
	rows := []row{
		{none, "ext4", rwo, 0, WalksNo},
		{none, "", rwx, 0, WalksNo},
		{file, "", rwx, 0, WalksYes},
		{file, "", rox, 0, WalksYes},
		{file, "ext4", rwo, 0, WalksYes},
		{rwoft, "ext4", rwo, 0, WalksYes},
		{rwoft, "ext4", rwx, 0, WalksNo},
		{rwoft, "ext4", rox, 0, WalksNo},
		{rwoft, "", rwo, 0, WalksNo},
		{rwoft, "xfs", rwop, 32, WalksYes},
		{rwoft, "xfs", rwop, 31, WalksNo},
		{rwoft, "ext4", append(append([]corev1.PersistentVolumeAccessMode{}, rox...), rwo...), 0,
			WalksYes},
		// No CSIDriver object: the kubelet's default applies, but File would make the
		// RWX and fsType-less volumes walk, so those cannot be decided from the input.
		{"", "ext4", rwo, 0, WalksYes},
		{"", "ext4", rwx, 0, WalksDepends},
		{"", "", rwo, 0, WalksDepends},
	}
	for _, r := range rows {
		objs := Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "sc", r.modes)},
			PVs: []*corev1.PersistentVolume{csiPV("c", "d.example.com", r.fsType, r.modes)}}
		if r.policy != "" {
			objs.CSIDrivers = []*storagev1.CSIDriver{driver("d.example.com", r.policy)}
		}
		for _, policy := range []string{"", "Always", "OnRootMismatch"} {
			in := Input{Namespace: "ns", Spec: podSpec(gid, policy, false, pvcVol("v", "c", false)),
				Objects: objs, KubeMinor: r.minor}
			d, _ := DecideOne(in, "v")
			if d.Walks != r.walks {
				t.Errorf("policy %q fsType %q modes %v minor %d %q: walks %v, want %v (%s)",
					r.policy, r.fsType, r.modes, r.minor, policy, d.Walks, r.walks, d.Reason)
			}
			hazard := r.walks != WalksNo && policy != "OnRootMismatch"
			if d.RestartHazard() != hazard {
				t.Errorf("policy %q modes %v pod policy %q: hazard %v, want %v", r.policy,
					r.modes, policy, d.RestartHazard(), hazard)
			}
		}
	}
}

func TestDecideResolution(t *testing.T) {
	ephemeral := func(ds bool) corev1.Volume {
		spec := corev1.PersistentVolumeClaimSpec{AccessModes: rwo, StorageClassName: ptr("fast")}
		if ds {
			spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "VolumeSnapshot", Name: "s"}
		}
		return corev1.Volume{Name: "e", VolumeSource: corev1.VolumeSource{
			Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: spec}}}}
	}
	fast := class("fast", ebs, map[string]string{"csi.storage.k8s.io/fstype": "xfs"})
	defClass := class("std", "rbd.csi.ceph.com", map[string]string{"fsType": "ext4"})
	defClass.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
	cases := []volCase{
		{name: "PVC missing from the input", spec: podSpec(gid, "", false, pvcVol("v", "gone", false)),
			want: want{walks: WalksDepends, persistent: true, honoured: true, hazard: true,
				assume: []string{"PersistentVolumeClaim gone is not in the input"}}},
		{name: "PVC -> StorageClass with the CSI fstype key",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "fast", rwo)},
				StorageClasses: []*storagev1.StorageClass{fast}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "StorageClass without fsType: provisioner default unknown",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "plain", rwo)},
				StorageClasses: []*storagev1.StorageClass{class("plain", ebs, nil)}},
			want: want{walks: WalksDepends, persistent: true, honoured: true, hazard: true,
				assume: []string{"--default-fstype"}}},
		{name: "in-tree provisioner migrated, fsType defaults to ext4",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "gp2", rwo)},
				StorageClasses: []*storagev1.StorageClass{class("gp2", "kubernetes.io/aws-ebs", nil)}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"ext4"}}},
		{name: "no storageClassName: default class from the input (legacy fsType key)",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "-", rwo)},
				StorageClasses: []*storagev1.StorageClass{fast, defClass}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "storageClassName empty: static binding, PV unknown",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)}},
			want: want{walks: WalksDepends, persistent: true, honoured: true, hazard: true,
				assume: []string{`storageClassName ""`}}},
		{name: "local PV: walks on first mount of the node",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)},
				PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
					Local: &corev1.LocalVolumeSource{Path: "/disk"}})}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"-"}}},
		{name: "local PV read-only", spec: podSpec(gid, "", false, pvcVol("v", "c", true)),
			objs: Objects{PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
				Local: &corev1.LocalVolumeSource{Path: "/disk"}})},
				PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)}},
			want: want{walks: WalksNo, persistent: true, honoured: true}},
		{name: "PVC missing but its PV (claimRef) is in the input",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVs: []*corev1.PersistentVolume{csiPV("c", ebs, "ext4", rwo)}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "NFS PV never walked", spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwx)},
				PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
					NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/e"}})}},
			want: want{walks: WalksNo, persistent: true, honoured: true}},
		{name: "hostPath PV never walked", spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)},
				PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
					HostPath: &corev1.HostPathVolumeSource{Path: "/h"}})}},
			want: want{walks: WalksNo, persistent: true, honoured: true}},
		{name: "iSCSI PV walked", spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)},
				PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
					ISCSI: &corev1.ISCSIPersistentVolumeSource{TargetPortal: "p", IQN: "i"}})}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "in-tree GCE PD PV migrated to CSI",
			spec: podSpec(gid, "", false, pvcVol("v", "c", false)),
			objs: Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "", rwo)},
				PVs: []*corev1.PersistentVolume{pvWith("c", corev1.PersistentVolumeSource{
					GCEPersistentDisk: &corev1.GCEPersistentDiskVolumeSource{PDName: "d",
						FSType: "ext4"}})}},
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "generic ephemeral: walked but fresh", spec: podSpec(gid, "", false, ephemeral(false)),
			objs: Objects{StorageClasses: []*storagev1.StorageClass{fast}}, vol: "e",
			want: want{walks: WalksYes, persistent: false, honoured: true, hazard: false}},
	}
	runCases(t, cases)

	in := Input{Namespace: "ns", Spec: podSpec(gid, "", false, ephemeral(true)),
		Objects: Objects{StorageClasses: []*storagev1.StorageClass{fast}}}
	d, _ := DecideOne(in, "e")
	if !d.Populated || !d.RestartHazard() {
		t.Errorf("ephemeral cloned from a snapshot: populated %v hazard %v, want both",
			d.Populated, d.RestartHazard())
	}
}

func TestDecideClaimTemplates(t *testing.T) {
	tmpl := []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: rwo}}}
	spec := podSpec(gid, "Always", false)
	spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	// A pod volume named like a template is replaced by the claim (StatefulSet controller).
	spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{}}}}

	in := Input{Namespace: "ns", Workload: "web", Spec: spec, ClaimTemplates: tmpl,
		Objects: Objects{PVs: []*corev1.PersistentVolume{pvWith("data-web-0",
			corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/d"}})}}}
	ds := Decide(in)
	if len(ds) != 1 || ds[0].Kind != KindClaimTemplate {
		t.Fatalf("Decide = %+v, want one volumeClaimTemplate decision", ds)
	}
	d := ds[0]
	if d.Plugin != PluginLocal || d.Walks != WalksYes || !d.RestartHazard() {
		t.Errorf("template bound to a local PV by claimRef: plugin %q walks %v hazard %v",
			d.Plugin, d.Walks, d.RestartHazard())
	}

	in.Objects = Objects{}
	d, _ = DecideOne(in, "data")
	if d.Walks != WalksDepends || !hasAssumption(d, "default StorageClass") {
		t.Errorf("template without storage objects: %v %q", d.Walks, d.Assumptions)
	}
}

func TestDecideInlineAndInTree(t *testing.T) {
	inline := func(fsType *string, ro bool) corev1.Volume {
		return corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver: "inline.example.com", FSType: fsType, ReadOnly: &ro}}}
	}
	vs := func(name string, src corev1.VolumeSource) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: src}
	}
	fileDriver := Objects{CSIDrivers: []*storagev1.CSIDriver{driver("inline.example.com",
		storagev1.FileFSGroupPolicy)}}
	cases := []volCase{
		{name: "inline CSI with fsType: walked, per pod",
			spec: podSpec(gid, "", false, inline(ptr("ext4"), false)),
			want: want{walks: WalksYes, honoured: true}},
		{name: "inline CSI without fsType, no CSIDriver: depends on File",
			spec: podSpec(gid, "", false, inline(nil, false)),
			want: want{walks: WalksDepends, honoured: true}},
		{name: "inline CSI without fsType, File driver",
			spec: podSpec(gid, "", false, inline(nil, false)),
			objs: fileDriver, want: want{walks: WalksYes, honoured: true}},
		{name: "inline CSI read-only", spec: podSpec(gid, "", false, inline(ptr("ext4"), true)),
			objs: fileDriver, want: want{walks: WalksNo, honoured: true}},
		{name: "in-tree iscsi inline", spec: podSpec(gid, "", false, vs("v", corev1.VolumeSource{
			ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "p", IQN: "i"}})),
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true}},
		{name: "in-tree fc inline read-only", spec: podSpec(gid, "", false, vs("v", corev1.VolumeSource{
			FC: &corev1.FCVolumeSource{ReadOnly: true}})),
			want: want{walks: WalksNo, persistent: true, honoured: true}},
		{name: "inline EBS without fsType: migrated, ext4 assumed", spec: podSpec(gid, "", false,
			vs("v", corev1.VolumeSource{AWSElasticBlockStore: &corev1.AWSElasticBlockStoreVolumeSource{
				VolumeID: "x"}})),
			want: want{walks: WalksYes, persistent: true, honoured: true, hazard: true,
				assume: []string{"ext4"}}},
		{name: "hostPath never", spec: podSpec(gid, "", false, vs("v", corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/x"}})),
			want: want{walks: WalksNo, persistent: true}},
		{name: "nfs never", spec: podSpec(gid, "", false, vs("v", corev1.VolumeSource{
			NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/p"}})),
			want: want{walks: WalksNo, persistent: true}},
	}
	fresh := map[string]corev1.VolumeSource{
		"emptyDir":    {EmptyDir: &corev1.EmptyDirVolumeSource{}},
		"configMap":   {ConfigMap: &corev1.ConfigMapVolumeSource{}},
		"secret":      {Secret: &corev1.SecretVolumeSource{}},
		"projected":   {Projected: &corev1.ProjectedVolumeSource{}},
		"downwardAPI": {DownwardAPI: &corev1.DownwardAPIVolumeSource{}},
	}
	for name, src := range fresh {
		for _, policy := range []string{"", "Always", "OnRootMismatch"} {
			cases = append(cases, volCase{name: name + " with policy " + policy,
				spec: podSpec(gid, policy, false, vs("v", src)),
				want: want{walks: WalksYes, honoured: false, hazard: false}})
		}
	}
	runCases(t, cases)
}

func TestDecideUnusedAndBlock(t *testing.T) {
	spec := podSpec(gid, "", false)
	spec.Volumes = []corev1.Volume{pvcVol("unused", "c", false), pvcVol("raw", "c", false)}
	spec.Containers[0].VolumeDevices = []corev1.VolumeDevice{{Name: "raw", DevicePath: "/dev/x"}}
	for _, d := range Decide(Input{Spec: spec}) {
		if d.Walks != WalksNo {
			t.Errorf("%s: walks %v (%s), want no", d.Volume, d.Walks, d.Reason)
		}
	}
}

func TestAllMountsReadOnly(t *testing.T) {
	d, _ := DecideOne(Input{Spec: podSpec(gid, "", true, pvcVol("v", "c", false))}, "v")
	if !d.AllMountsReadOnly() {
		t.Error("every mount readOnly: AllMountsReadOnly false")
	}
	d, _ = DecideOne(Input{Spec: podSpec(gid, "", false, pvcVol("v", "c", false))}, "v")
	if d.AllMountsReadOnly() {
		t.Error("read-write mount: AllMountsReadOnly true")
	}
}

func runCases(t *testing.T, cases []volCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vol := c.vol
			if vol == "" {
				vol = "v"
			}
			in := Input{Namespace: "ns", Spec: c.spec, ClaimTemplates: c.tmpl, Objects: c.objs,
				KubeMinor: c.minor}
			d, ok := DecideOne(in, vol)
			if !ok {
				t.Fatalf("no decision for volume %q", vol)
			}
			checkWant(t, d, c.want)
		})
	}
}

func checkWant(t *testing.T, d Decision, w want) {
	t.Helper()
	if d.Walks != w.walks {
		t.Errorf("walks %v, want %v (reason: %s; assumptions %q)", d.Walks, w.walks, d.Reason,
			d.Assumptions)
	}
	if d.PersistentAcrossRestarts != w.persistent {
		t.Errorf("persistent %v, want %v", d.PersistentAcrossRestarts, w.persistent)
	}
	if d.Walks != WalksNo && d.PolicyHonoured != w.honoured {
		t.Errorf("policy honoured %v, want %v", d.PolicyHonoured, w.honoured)
	}
	if d.RestartHazard() != w.hazard {
		t.Errorf("restart hazard %v, want %v", d.RestartHazard(), w.hazard)
	}
	if w.reason != "" && !strings.Contains(d.Reason, w.reason) {
		t.Errorf("reason %q does not mention %q", d.Reason, w.reason)
	}
	for _, a := range w.assume {
		if a == "-" {
			if len(d.Assumptions) != 0 {
				t.Errorf("assumptions %q, want none", d.Assumptions)
			}
			continue
		}
		if !hasAssumption(d, a) {
			t.Errorf("assumptions %q do not mention %q", d.Assumptions, a)
		}
	}
}

func hasAssumption(d Decision, s string) bool {
	for _, a := range d.Assumptions {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

func TestWalksAndKindStrings(t *testing.T) {
	if WalksDepends.String() != "depends" || KindClaimTemplate.String() != "volumeClaimTemplate" {
		t.Errorf("String: %q %q", WalksDepends, KindClaimTemplate)
	}
	if Walks(9).String() != "walks(9)" || Kind(99).String() != "kind(99)" {
		t.Errorf("out of range String: %q %q", Walks(9), Kind(99))
	}
}

// Before 1.20 the ConfigurableFSGroupPolicy gate is off by default (alpha in 1.18 and 1.19): the
// kubelet ignores OnRootMismatch and walks at every mount, saying so as an assumption.
func TestOnRootMismatchBeforeTheGateWasOn(t *testing.T) {
	objs := Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "sc",
		[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce})},
		PVs: []*corev1.PersistentVolume{csiPV("c", "d.example.com", "ext4",
			[]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce})}}
	for _, c := range []struct {
		minor  int
		hazard bool
	}{{18, true}, {19, true}, {20, false}, {37, false}} {
		in := Input{Namespace: "ns", Spec: podSpec(gid, "OnRootMismatch", false,
			pvcVol("v", "c", false)), Objects: objs, KubeMinor: c.minor}
		d, _ := DecideOne(in, "v")
		if d.RestartHazard() != c.hazard || d.SkipsWhenRootMatches() == c.hazard {
			t.Errorf("1.%d: hazard %v, skips %v; want hazard %v", c.minor, d.RestartHazard(),
				d.SkipsWhenRootMatches(), c.hazard)
		}
		named := strings.Contains(strings.Join(d.Assumptions, " "), "ConfigurableFSGroupPolicy")
		if named != c.hazard {
			t.Errorf("1.%d: assumptions %q", c.minor, d.Assumptions)
		}
	}
}
