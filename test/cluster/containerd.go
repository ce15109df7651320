package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// containerdSocket is the socket of the containerd of the cluster in dir.
func containerdSocket(dir string) string { return filepath.Join(dir, "run", "containerd.sock") }

// containerdConfig renders containerd's configuration (format version 2, containerd 1.6/1.7):
// everything under dir, the CRI plugin using PauseImage as sandbox image.
func containerdConfig(dir string) string {
	return fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # Without CAP_SYS_RESOURCE (some VMs) runc cannot lower oom_score_adj and every sandbox fails
  # with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %q
    conf_dir = %q
`, filepath.Join(dir, "containerd", "root"), filepath.Join(dir, "containerd", "state"),
		containerdSocket(dir), filepath.Join(dir, "containerd", "opt"), PauseImage,
		filepath.Join(dir, "cni", "bin"), filepath.Join(dir, "cni", "net.d"))
}

// startContainerd builds (or finds) the images, starts containerd and imports the images.
func (c *Cluster) startContainerd(ctx context.Context) error {
	pause, busybox, err := ensureImages()
	if err != nil {
		return err
	}
	conf := filepath.Join(c.Dir, "containerd.toml")
	if err := writeFile(conf, containerdConfig(c.Dir), 0o644); err != nil {
		return err
	}
	c.ContainerdSocket = containerdSocket(c.Dir)
	p, err := c.startProcess("containerd", "containerd", "--config="+conf)
	if err != nil {
		return err
	}

	deadline := time.Now().Add(30 * time.Second)
	for !exists(c.ContainerdSocket) {
		if gone, how := p.exited(); gone || time.Now().After(deadline) {
			return fmt.Errorf("containerd did not start (%s); log tail:\n%s", how,
				c.logTail("containerd", 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, img := range []string{pause, busybox} {
		if _, err := c.ctr(ctx, "images", "import", img); err != nil {
			return err
		}
	}
	return nil
}

// ctr runs containerd's ctr client against this cluster's containerd, namespace k8s.io.
func (c *Cluster) ctr(ctx context.Context, args ...string) (string, error) {
	return ctrAt(ctx, containerdSocket(c.Dir), args...)
}

func ctrAt(ctx context.Context, sock string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	full := append([]string{"--address", sock, "--namespace", "k8s.io"}, args...)
	out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err,
			strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// removeContainers kills and deletes every task and container of the containerd of the cluster
// in dir, while it still runs, so that runc removes their cgroups and mounts.
func removeContainers(dir string) error {
	sock := containerdSocket(dir)
	if !exists(sock) || !pidFileAlive(dir, "containerd") {
		return nil
	}
	ctx := context.Background()
	out, err := ctrAt(ctx, sock, "tasks", "ls", "-q")
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range strings.Fields(out) {
		if _, err := ctrAt(ctx, sock, "tasks", "delete", "--force", id); err != nil {
			errs = append(errs, err)
		}
	}
	out, err = ctrAt(ctx, sock, "containers", "ls", "-q")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if ids := strings.Fields(out); len(ids) > 0 {
		if _, err := ctrAt(ctx, sock, append([]string{"containers", "rm"}, ids...)...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pidFileAlive reports whether the component recorded in dir/pids/name still runs.
func pidFileAlive(dir, name string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, "pids", name))
	if err != nil {
		return false
	}
	var pid int
	if _, err := fmt.Sscan(string(raw), &pid); err != nil {
		return false
	}
	return cmdlineNames(pid, dir)
}
