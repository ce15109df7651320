package fidelity

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/test/cluster"
)

// csiDriver is one registered test CSI driver and the CSIDriver object the cluster holds for it.
type csiDriver struct {
	name       string
	policy     storagev1.FSGroupPolicy
	mountGroup bool // the node plugin reports VOLUME_MOUNT_GROUP
}

// csiDrivers cover every fsGroupPolicy, and a driver that applies fsGroup itself.
var csiDrivers = []csiDriver{
	{"none.csi.startlag.test", storagev1.NoneFSGroupPolicy, false},
	{"file.csi.startlag.test", storagev1.FileFSGroupPolicy, false},
	{"rwo.csi.startlag.test", storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy, false},
	{"group.csi.startlag.test", storagev1.FileFSGroupPolicy, true},
}

// csiCase is one pod start on a fresh CSI volume of the sample tree.
type csiCase struct {
	name   string
	driver string
	// inline uses a CSI ephemeral inline volume; otherwise a PersistentVolume and its claim.
	inline bool
	fsType string
	// modes are the PV's access modes (ReadWriteOnce when nil); inline volumes have none.
	modes []corev1.PersistentVolumeAccessMode
	// readOnly sets persistentVolumeClaim.readOnly, or csi.readOnly for inline volumes.
	readOnly bool
	policy   ownership.Policy
	root     rootState
}

// csiMatrix lists the CSI cases: each fsGroupPolicy with the fsType and access modes that
// decide ReadWriteOnceWithFSType, OnRootMismatch through CSI, read-only volumes, inline
// volumes, and a driver that takes the fsGroup over (VOLUME_MOUNT_GROUP).
func csiMatrix() []csiCase {
	rwo := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	rwop := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod}
	rwx := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	always, orm := ownership.PolicyAlways, ownership.PolicyOnRootMismatch
	wrong, matching, noSetgid := rootStates[2], rootStates[0], rootStates[1]
	const none, file, rwoFS, group = "none.csi.startlag.test", "file.csi.startlag.test",
		"rwo.csi.startlag.test", "group.csi.startlag.test"
	return []csiCase{
		{name: "pv/None/ext4-rwo", driver: none, fsType: "ext4", modes: rwo, policy: always,
			root: wrong},
		{name: "pv/File/no-fstype-rwx", driver: file, modes: rwx, policy: always, root: wrong},
		{name: "pv/File/OnRootMismatch-matching", driver: file, modes: rwx, policy: orm,
			root: matching},
		{name: "pv/File/OnRootMismatch-no-setgid", driver: file, modes: rwx, policy: orm,
			root: noSetgid},
		{name: "pv/File/policy-unset", driver: file, modes: rwo, root: wrong},
		{name: "pv/File/claim-readonly", driver: file, modes: rwo, readOnly: true,
			policy: always, root: wrong},
		{name: "pv/RWOWithFSType/ext4-rwo", driver: rwoFS, fsType: "ext4", modes: rwo,
			policy: always, root: wrong},
		{name: "pv/RWOWithFSType/ext4-rwop", driver: rwoFS, fsType: "ext4", modes: rwop,
			policy: always, root: wrong},
		{name: "pv/RWOWithFSType/ext4-rwx", driver: rwoFS, fsType: "ext4", modes: rwx,
			policy: always, root: wrong},
		{name: "pv/RWOWithFSType/no-fstype-rwo", driver: rwoFS, modes: rwo, policy: always,
			root: wrong},
		{name: "pv/VolumeMountGroup/ext4-rwo", driver: group, fsType: "ext4", modes: rwo,
			policy: always, root: wrong},
		{name: "inline/None", driver: none, inline: true, fsType: "ext4", policy: always,
			root: wrong},
		{name: "inline/File", driver: file, inline: true, policy: always, root: wrong},
		{name: "inline/File/readonly", driver: file, inline: true, readOnly: true,
			policy: always, root: wrong},
		{name: "inline/RWOWithFSType/ext4", driver: rwoFS, inline: true, fsType: "ext4",
			policy: always, root: wrong},
		{name: "inline/RWOWithFSType/no-fstype", driver: rwoFS, inline: true, policy: always,
			root: wrong},
	}
}

// TestKubeletFidelityCSI runs the CSI matrix against one real kubelet and the test CSI driver
// (test/cluster/internal/csinode): for each case the audit's model (ownership.Decide, given
// the pod, claim, PV and CSIDriver objects) must agree with what the kubelet did, entry by
// entry, and with the fsGroup the kubelet handed the driver.
func TestKubeletFidelityCSI(t *testing.T) {
	started := time.Now()
	c := cluster.Start(t, cluster.Options{Kubelet: true})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	drivers, objects := startCSIDrivers(ctx, t, c)
	var results []caseResult
	for i, cc := range csiMatrix() {
		t.Run(cc.name, func(t *testing.T) {
			r := runCSICase(ctx, t, c, fmt.Sprintf("csi-%02d", i), cc, drivers[cc.driver],
				objects)
			r.name = cc.name
			results = append(results, r)
		})
	}
	t.Logf("CSI matrix of %d cases in %v:\n%s", len(results),
		time.Since(started).Round(time.Second), table(results))
}

// startCSIDrivers creates the CSIDriver objects, then starts and registers their node plugins.
func startCSIDrivers(ctx context.Context, t *testing.T,
	c *cluster.Cluster) (map[string]*cluster.CSIDriver, []*storagev1.CSIDriver) {
	no := false
	modes := []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent,
		storagev1.VolumeLifecycleEphemeral}
	running := map[string]*cluster.CSIDriver{}
	var objects []*storagev1.CSIDriver
	for _, d := range csiDrivers {
		policy := d.policy
		obj, err := c.Client.StorageV1().CSIDrivers().Create(ctx, &storagev1.CSIDriver{
			ObjectMeta: metav1.ObjectMeta{Name: d.name},
			Spec: storagev1.CSIDriverSpec{AttachRequired: &no, FSGroupPolicy: &policy,
				VolumeLifecycleModes: modes},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		objects = append(objects, obj)
		drv, err := c.StartCSIDriver(ctx, cluster.CSIDriverOptions{Name: d.name,
			VolumeMountGroup: d.mountGroup})
		if err != nil {
			t.Fatal(err)
		}
		running[d.name] = drv
	}
	return running, objects
}

// runCSICase runs one case and reports every disagreement as a test error.
func runCSICase(ctx context.Context, t *testing.T, c *cluster.Cluster, id string, cc csiCase,
	drv *cluster.CSIDriver, drivers []*storagev1.CSIDriver) caseResult {
	g := int64(fsGroup)
	fc := fidelityCase{root: cc.root, fsGroup: &g, policy: cc.policy}
	root, before := prepareVolume(t, c, id, fc)
	t.Cleanup(func() { releaseVolume(t, c, cluster.LocalPV{Name: id}, id) })
	pod, objs := csiPod(ctx, t, c, id, fc, cc, root)
	objs.CSIDrivers = drivers
	d, ok := ownership.DecideOne(ownership.Input{Namespace: pod.Namespace,
		Spec: &pod.Spec, Objects: objs}, "data")
	if !ok {
		t.Fatal("the model has no decision for volume data")
	}
	fc.claimRO = d.ReadOnly
	scan := scanVolume(ctx, t, fc, root)

	plugin := ownership.PluginCSI + ":" + cc.driver
	offset, walksBefore := observeWalks(ctx, t, c, plugin)
	begin := time.Now()
	running, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	ready := time.Since(begin)
	after, err := Take(root)
	if err != nil {
		t.Fatal(err)
	}
	log, walksAfter := readWalksSince(ctx, t, c, offset, plugin)

	specName := id
	if cc.inline {
		specName = "data"
	}
	dir := c.PodVolumeDir(running.UID, ownership.PluginCSI, specName) + "/mount"
	res := compareCSI(t, fc, d, before, after, KubeletVerdict(log, dir),
		walksAfter.since(walksBefore).count)
	res.podReady = ready
	checkPublish(t, drv, dir, cc, d)
	checkScan(t, fc, scan, before, after, res.kubelet)
	res.cause = checkTimeline(t, running, log, dir, res.kubelet, false)
	return res
}

// csiPod builds the case's pod and, for PV cases, creates its claim and PV; it returns the pod
// (not yet created) and the storage objects as the API server holds them.
func csiPod(ctx context.Context, t *testing.T, c *cluster.Cluster, id string, fc fidelityCase,
	cc csiCase, root string) (*corev1.Pod, ownership.Objects) {
	pod := c.Pod("default", id)
	pod.Spec.SecurityContext = securityContext(fc)
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data",
		MountPath: "/data"}}
	attrs := cluster.CSIVolumeAttributes(root)

	if cc.inline {
		src := &corev1.CSIVolumeSource{Driver: cc.driver, ReadOnly: &cc.readOnly,
			VolumeAttributes: attrs}
		if cc.fsType != "" {
			src.FSType = &cc.fsType
		}
		pod.Spec.Volumes = []corev1.Volume{{Name: "data",
			VolumeSource: corev1.VolumeSource{CSI: src}}}
		return pod, ownership.Objects{}
	}

	pv := cluster.LocalPV{Name: id, AccessModes: cc.modes,
		CSI: &corev1.CSIPersistentVolumeSource{Driver: cc.driver, VolumeHandle: id,
			FSType: cc.fsType, VolumeAttributes: attrs}}
	if err := c.CreateLocalPV(ctx, pv); err != nil {
		t.Fatal(err)
	}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
			ClaimName: id, ReadOnly: cc.readOnly}}}}
	return pod, storedObjects(ctx, t, c, id)
}

// storedObjects reads back the claim and PV called id.
func storedObjects(ctx context.Context, t *testing.T, c *cluster.Cluster,
	id string) ownership.Objects {
	pvc, err := c.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, id,
		metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := c.Client.CoreV1().PersistentVolumes().Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ownership.Objects{PVCs: []*corev1.PersistentVolumeClaim{pvc},
		PVs: []*corev1.PersistentVolume{pv}}
}

// compareCSI checks the model's decision against the kubelet's verdict, the walk metric and
// every entry. A driver that reports VOLUME_MOUNT_GROUP gets the fsGroup instead of a walk;
// the manifests cannot show that, so the model must walk and name it as an assumption.
func compareCSI(t *testing.T, fc fidelityCase, d ownership.Decision, before, after Snapshot,
	lv LogVerdict, walks int64) caseResult {
	model, mismatch := csiModelVerdict(t, fc, d, before)
	res := caseResult{model: model, kubelet: lv.Verdict, entries: len(before)}
	want := model
	if delegated(d) {
		if model != Walk || !slices.ContainsFunc(d.Assumptions, mentionsMountGroup) {
			t.Errorf("model for a delegating driver: %s with assumptions %q, want a walk "+
				"that names VOLUME_MOUNT_GROUP", model, d.Assumptions)
		}
		want, mismatch, res.note = NoChange, 0, "driver applies fsGroup (VOLUME_MOUNT_GROUP)"
	}

	if lv.Verdict != want {
		t.Errorf("verdict: model %s (%s), kubelet %s (%s)", want, d.Reason, lv.Verdict,
			strings.Join(lv.Lines, "\n"))
	}
	if r := ReasonFor(want, fc.policy, mismatch); lv.Reason != r {
		t.Errorf("kubelet message: got %q, model expects %q", lv.Reason, r)
	}
	if w := map[bool]int64{true: 1}[lv.Verdict == Walk]; walks != w {
		t.Errorf("volume_apply_access_control count moved by %d for verdict %s", walks,
			lv.Verdict)
	}

	checkEntries(t, before, Predict(before, want == Walk, fsGroup, d.ReadOnly), after)
	res.changed = len(Changed(before, after))
	return res
}

// csiModelVerdict turns the model's decision into a verdict; every storage object is in the
// input, so the model must not answer "depends".
func csiModelVerdict(t *testing.T, fc fidelityCase, d ownership.Decision,
	before Snapshot) (Verdict, ownership.RootMismatch) {
	switch d.Walks {
	case ownership.WalksNo:
		return NoChange, 0
	case ownership.WalksYes:
		return ModelVerdict(before["."], fc.fsGroup, fc.policy, d.ReadOnly)
	}
	t.Errorf("model answers %s (%s; assumptions %q) with every object in the input", d.Walks,
		d.Reason, d.Assumptions)
	return NoChange, 0
}

func delegated(d ownership.Decision) bool {
	for _, drv := range csiDrivers {
		if drv.name == d.Driver {
			return drv.mountGroup
		}
	}
	return false
}

func mentionsMountGroup(s string) bool { return strings.Contains(s, "VOLUME_MOUNT_GROUP") }

// checkPublish checks the NodePublishVolume call the driver received for the pod's volume: the
// read-only flag and fsType the pod asked for, and the fsGroup only for a delegating driver.
func checkPublish(t *testing.T, drv *cluster.CSIDriver, dir string, cc csiCase,
	d ownership.Decision) {
	pubs, err := drv.Publishes()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(pubs, func(p cluster.CSIPublish) bool { return p.TargetPath == dir })
	if i < 0 {
		t.Errorf("driver %s received no NodePublishVolume for %s (%d calls)", drv.Name, dir,
			len(pubs))
		return
	}
	p := pubs[i]
	wantGroup := ""
	if delegated(d) {
		wantGroup = strconv.Itoa(fsGroup)
	}
	if p.ReadOnly != cc.readOnly || p.FSType != cc.fsType || p.VolumeMountGroup != wantGroup {
		t.Errorf("NodePublishVolume: readOnly %t, fsType %q, volume_mount_group %q; want %t, "+
			"%q, %q", p.ReadOnly, p.FSType, p.VolumeMountGroup, cc.readOnly, cc.fsType,
			wantGroup)
	}
}
