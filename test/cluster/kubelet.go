package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubeletConfig renders the KubeletConfiguration: cgroupfs without per-QoS cgroups (works on
// cgroup v1 and v2 hosts), no node allocatable enforcement, no swap check, image GC and eviction
// relaxed so a busy CI disk does not evict test pods, and HTTPS on 127.0.0.1 with anonymous
// access (for /metrics and container logs).
func kubeletConfig(dir string, port int) string {
	kd := filepath.Join(dir, "kubelet")
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
containerRuntimeEndpoint: unix://%s
staticPodPath: %s
podLogsDir: %s
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%%"
  imagefs.available: "1%%"
  nodefs.inodesFree: "1%%"
`, containerdSocket(dir), filepath.Join(kd, "manifests"), filepath.Join(kd, "pod-logs"), port)
}

// startKubelet starts the kubelet and waits until its node is registered.
func (c *Cluster) startKubelet(ctx context.Context) error {
	kd := filepath.Join(c.Dir, "kubelet")
	conf := filepath.Join(kd, "config.yaml")
	if err := writeFile(conf, kubeletConfig(c.Dir, c.ports.kubelet), 0o644); err != nil {
		return err
	}
	c.KubeletRoot = filepath.Join(kd, "root")
	c.KubeletLog = filepath.Join(c.Dir, "logs", "kubelet.log")

	p, err := c.startProcess("kubelet", filepath.Join(c.bin, "kubelet"),
		"--config="+conf,
		"--kubeconfig="+filepath.Join(kd, "kubeconfig"),
		"--root-dir="+c.KubeletRoot,
		"--cert-dir="+filepath.Join(kd, "pki"),
		"--volume-plugin-dir="+filepath.Join(kd, "plugins"),
		"--hostname-override="+c.NodeName,
		"-v="+strconv.Itoa(c.opts.KubeletVerbosity),
	)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		_, err := c.Client.CoreV1().Nodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if gone, how := p.exited(); gone {
			return fmt.Errorf("kubelet exited (%s); log tail:\n%s", how, c.logTail("kubelet", 30))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not registered: %v; kubelet log tail:\n%s", c.NodeName,
				err, c.logTail("kubelet", 30))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
