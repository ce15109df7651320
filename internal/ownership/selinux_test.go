package ownership

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// Expected values follow KEP 1710 as summarised in the k8s.io/api field docs
// (PodSecurityContext.seLinuxChangePolicy, CSIDriverSpec.seLinuxMount) and the feature gate
// history: SELinuxMountReadWriteOncePod on from 1.28, SELinuxMount on from 1.37.

func selinuxPod(level string, modes []corev1.PersistentVolumeAccessMode) (*corev1.PodSpec, Objects) {
	spec := podSpec(gid, "", false, pvcVol("v", "c", false))
	if level != "" {
		spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Level: level}
	}
	objs := Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc("c", "sc", modes)},
		PVs: []*corev1.PersistentVolume{csiPV("c", "d.example.com", "ext4", modes)}}
	return spec, objs
}

func seMountDriver(on bool) []*storagev1.CSIDriver {
	d := driver("d.example.com", "")
	d.Spec.SELinuxMount = &on
	return []*storagev1.CSIDriver{d}
}

func TestDecideSELinux(t *testing.T) {
	type tc struct {
		name    string
		level   string
		modes   []corev1.PersistentVolumeAccessMode
		drivers []*storagev1.CSIDriver
		minor   int
		policy  corev1.PodSELinuxChangePolicy
		want    Relabel
		assume  bool
	}
	cases := []tc{
		{name: "no label: random level, recursive", modes: rwop, drivers: seMountDriver(true),
			want: RelabelRecursive},
		{name: "RWOP, seLinuxMount driver, 1.28", level: "s0:c1,c2", modes: rwop,
			drivers: seMountDriver(true), minor: 28, want: RelabelMountOption},
		{name: "RWOP before 1.28", level: "s0:c1,c2", modes: rwop, drivers: seMountDriver(true),
			minor: 27, want: RelabelRecursive},
		{name: "RWO on 1.36: SELinuxMount off by default", level: "s0:c1,c2", modes: rwo,
			drivers: seMountDriver(true), minor: 36, want: RelabelRecursive, assume: true},
		{name: "RWO on 1.37: SELinuxMount GA", level: "s0:c1,c2", modes: rwx,
			drivers: seMountDriver(true), minor: 37, want: RelabelMountOption},
		{name: "driver without seLinuxMount", level: "s0:c1,c2", modes: rwop,
			drivers: seMountDriver(false), want: RelabelRecursive},
		{name: "no CSIDriver in the input", level: "s0:c1,c2", modes: rwop, want: RelabelRecursive,
			assume: true},
		{name: "seLinuxChangePolicy Recursive", level: "s0:c1,c2", modes: rwop,
			drivers: seMountDriver(true), policy: corev1.SELinuxChangePolicyRecursive,
			want: RelabelRecursive},
	}
	for _, c := range cases {
		spec, objs := selinuxPod(c.level, c.modes)
		objs.CSIDrivers = c.drivers
		if c.policy != "" {
			spec.SecurityContext.SELinuxChangePolicy = &c.policy
		}
		in := Input{Namespace: "ns", Spec: spec, Objects: objs, KubeMinor: c.minor}
		d, _ := DecideOne(in, "v")
		s := DecideSELinux(in, d)
		if s.Relabel != c.want {
			t.Errorf("%s: %v (%s), want %v", c.name, s.Relabel, s.Reason, c.want)
		}
		if c.assume && len(s.Assumptions) == 0 {
			t.Errorf("%s: no assumption named", c.name)
		}
	}
}

func TestDecideSELinuxPlugins(t *testing.T) {
	vols := []corev1.Volume{
		{Name: "host", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
		{Name: "iscsi", VolumeSource: corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{}}},
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	spec := podSpec(gid, "", false, vols...)
	spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Level: "s0:c1,c2"}
	in := Input{Spec: spec}
	want := map[string]Relabel{"host": RelabelNone, "iscsi": RelabelMountOption,
		"tmp": RelabelRecursive}
	for _, d := range Decide(in) {
		if got := DecideSELinux(in, d).Relabel; got != want[d.Volume] {
			t.Errorf("%s: %v, want %v", d.Volume, got, want[d.Volume])
		}
	}
}

func TestSELinuxContainerLevels(t *testing.T) {
	spec := podSpec(gid, "", false, corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{
		ISCSI: &corev1.ISCSIVolumeSource{}}})
	second := spec.Containers[0]
	second.Name = "sidecar"
	spec.Containers = append(spec.Containers, second)
	spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		SELinuxOptions: &corev1.SELinuxOptions{Level: "s0:c1,c2"}}
	spec.Containers[1].SecurityContext = &corev1.SecurityContext{
		SELinuxOptions: &corev1.SELinuxOptions{Level: "s0:c3,c4"}}
	in := Input{Spec: spec}
	d, _ := DecideOne(in, "v")
	if s := DecideSELinux(in, d); s.Relabel != RelabelRecursive || !s.Labelled {
		t.Errorf("two levels: %v labelled %v", s.Relabel, s.Labelled)
	}
	spec.Containers[1].SecurityContext.SELinuxOptions.Level = "s0:c1,c2"
	if s := DecideSELinux(in, d); s.Relabel != RelabelMountOption {
		t.Errorf("same container levels: %v (%s)", s.Relabel, s.Reason)
	}
}

func TestPodSetsSELinux(t *testing.T) {
	spec := podSpec(gid, "", false)
	spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		SELinuxOptions: &corev1.SELinuxOptions{}}
	if PodSetsSELinux(spec) {
		t.Error("seLinuxOptions: {} counted as a label (bitnami charts render it)")
	}
	spec.Containers[0].SecurityContext.SELinuxOptions.Type = "spc_t"
	if !PodSetsSELinux(spec) {
		t.Error("container type not counted")
	}
}
