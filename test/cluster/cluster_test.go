package cluster_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/startlag/startlag/test/cluster"
)

// TestControlPlaneOnly starts etcd and kube-apiserver and round-trips an object.
func TestControlPlaneOnly(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	ctx := context.Background()

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "default"},
		Data: map[string]string{"k": "v"}}
	if _, err := c.Client.CoreV1().ConfigMaps("default").Create(ctx, cm,
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Client.CoreV1().ConfigMaps("default").Get(ctx, "probe", metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("get configmap: %v %v", got, err)
	}
	if _, err := os.Stat(c.Kubeconfig); err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
}

// TestNodeWalksLocalVolume runs a pod with fsGroup on an ext4 `local` PV and checks what the
// harness promises: the pod gets Ready, the kubelet walks the volume (log, metric, disk), the
// pod's deletion tears the volume down, and the cluster's teardown leaves nothing behind.
func TestNodeWalksLocalVolume(t *testing.T) {
	opts := cluster.Options{Kubelet: true}
	if why := cluster.Unavailable(opts); why != "" {
		t.Skip("real cluster unavailable: " + why)
	}
	var dir string
	var shimCheck func() int
	t.Run("run", func(t *testing.T) {
		c := cluster.Start(t, opts)
		dir = c.Dir
		shimCheck = func() int { return countShims(c.ContainerdSocket) }
		runWalkedPod(t, c)
	})
	if t.Failed() || dir == "" {
		return
	}

	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("work dir %s still exists after teardown (%v)", dir, err)
	}
	if n := shimCheck(); n != 0 {
		t.Errorf("%d containerd shims still running after teardown", n)
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), dir) {
		t.Errorf("mounts below %s remain after teardown", dir)
	}
	loops, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	for _, l := range loops {
		if b, _ := os.ReadFile(l); strings.HasPrefix(string(b), dir) {
			t.Errorf("loop device %s still backed by %s", l, b)
		}
	}
}

func runWalkedPod(t *testing.T, c *cluster.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	root, err := c.NewVolumeDir("walked", cluster.VolumeOptions{Ext4: true, SizeMiB: 32})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	pv := cluster.LocalPV{Name: "walked", Path: root}
	if err := c.CreateLocalPV(ctx, pv); err != nil {
		t.Fatal(err)
	}

	fsGroup := int64(2000)
	pod := c.Pod("default", "walker")
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: &fsGroup}
	pod.Spec.Volumes = []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "walked"}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "d", MountPath: "/data"}}
	started := time.Now()
	running, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pod ready in %v", time.Since(started).Round(time.Millisecond))

	checkWalked(t, c, ctx, root, string(running.UID))

	if err := c.DeletePod(ctx, "default", "walker"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteLocalPV(ctx, pv); err != nil {
		t.Fatal(err)
	}
	if err := c.ReleaseVolumeDir("walked"); err != nil {
		t.Fatal(err)
	}
}

func checkWalked(t *testing.T, c *cluster.Cluster, ctx context.Context, root, uid string) {
	var st struct{ gid uint32 }
	info, err := os.Stat(filepath.Join(root, "f"))
	if err != nil {
		t.Fatal(err)
	}
	st.gid = fileGID(info)
	if st.gid != 2000 || info.Mode().Perm() != 0o660 {
		t.Errorf("file after walk: gid %d mode %v, want 2000 and 0660", st.gid, info.Mode())
	}

	log, err := c.KubeletLogSince(0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, `"Perform recursive ownership change for directory" path="`+
		c.KubeletRoot+"/pods/"+uid) {
		t.Errorf("kubelet log lacks the V(4) walk message for pod %s", uid)
	}
	metrics, err := c.KubeletMetrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics, `operation_name="volume_apply_access_control"`) {
		t.Errorf("kubelet metrics lack volume_apply_access_control")
	}
	evs, err := c.Events(ctx, "default", "walker")
	if err != nil || len(evs) == 0 {
		t.Errorf("events of pod walker: %d, %v", len(evs), err)
	}
}

// countShims counts the containerd shims serving the containerd at sock.
func countShims(sock string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "containerd-shim") && strings.Contains(string(b), sock) {
			n++
		}
	}
	return n
}

func fileGID(info os.FileInfo) uint32 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Gid
	}
	return 0
}

// TestControllersBindAndSchedule runs the full control plane: the PV controller binds the
// claim and the scheduler places a pod that names no node.
func TestControllersBindAndSchedule(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Kubelet: true, ControllerManager: true, Scheduler: true})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	root, err := c.NewVolumeDir("sched", cluster.VolumeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateLocalPV(ctx, cluster.LocalPV{Name: "sched", Path: root}); err != nil {
		t.Fatal(err)
	}
	pod := c.Pod("default", "scheduled")
	if pod.Spec.NodeName != "" {
		t.Fatalf("with a scheduler, Pod must leave nodeName empty, got %q", pod.Spec.NodeName)
	}
	pod.Spec.Volumes = []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "sched"}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "d", MountPath: "/data"}}
	running, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	if running.Spec.NodeName != c.NodeName {
		t.Errorf("pod scheduled to %q, want %q", running.Spec.NodeName, c.NodeName)
	}
	if err := c.DeletePod(ctx, "default", "scheduled"); err != nil {
		t.Fatal(err)
	}
}
