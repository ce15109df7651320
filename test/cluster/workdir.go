package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ownerFile, in a work directory, names the process that owns the cluster: "<pid> <start
// time>" for a test process, "detached" for clusterctl, "done" once torn down.
const ownerFile = "owner"

// workDirPrefix starts the names of the work directories created under os.TempDir().
const workDirPrefix = "startlag-cluster-"

// subdirs are created in every work directory.
var subdirs = []string{
	"logs", "pids", "pki", "etcd", "run", "volumes", "containerd/root", "containerd/state",
	"containerd/opt", "kubelet/root", "kubelet/pod-logs", "kubelet/manifests",
	"kubelet/plugins", "kubelet/pki", "cni/bin", "cni/net.d",
}

// makeWorkDir creates the work directory (opts.Dir or a fresh temporary one) with its layout
// and owner file. An existing opts.Dir must not hold a running cluster.
func makeWorkDir(opts Options) (string, error) {
	dir := opts.Dir
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", workDirPrefix)
	} else {
		dir, err = filepath.Abs(dir)
		if err == nil {
			err = checkReusable(dir)
		}
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
	}
	if err != nil {
		return "", fmt.Errorf("work dir: %w", err)
	}

	for _, s := range subdirs {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
			return dir, fmt.Errorf("work dir: %w", err)
		}
	}
	owner := "detached"
	if !opts.Detached {
		owner = selfIdentity()
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner+"\n"), 0o644); err != nil {
		return dir, fmt.Errorf("work dir: %w", err)
	}
	return dir, nil
}

// checkReusable refuses a directory that holds a cluster still running.
func checkReusable(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return nil
	}
	if s := strings.TrimSpace(string(raw)); s != "done" && (s == "detached" || identityAlive(s)) {
		return fmt.Errorf("%s holds a running cluster (owner %q); stop it first", dir, s)
	}
	return nil
}

// markDone records that the cluster in dir is torn down.
func markDone(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte("done\n"), 0o644)
}

// selfIdentity is "<pid> <start time>" of this process; the start time guards against PID reuse.
func selfIdentity() string {
	pid := os.Getpid()
	return fmt.Sprintf("%d %s", pid, startTime(pid))
}

// startTime returns field 22 of /proc/<pid>/stat (start time in clock ticks), or "".
func startTime(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// identityAlive reports whether the process named by a selfIdentity string still runs.
func identityAlive(id string) bool {
	f := strings.Fields(id)
	if len(f) != 2 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	return err == nil && alive(pid) && startTime(pid) == f[1]
}

// reapStale tears down the clusters of test processes that died without cleaning up (killed by
// a test timeout, for instance): their processes, shims, mounts and loop devices, keeping logs.
func reapStale(logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), workDirPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		owner := strings.TrimSpace(string(raw))
		if owner == "done" {
			removeIfOld(dir, logf)
			continue
		}
		if owner == "detached" || identityAlive(owner) {
			continue
		}
		logf("reaping cluster left by a dead process: %s", dir)
		if err := teardown(dir, nil); err != nil {
			logf("reap %s: %v", dir, err)
			continue
		}
		if err := pruneKeepingLogs(dir); err != nil {
			logf("reap %s: %v", dir, err)
		}
	}
}

// keptLogsFor is how long the logs of a failed test's cluster are kept.
const keptLogsFor = 24 * time.Hour

// removeIfOld deletes a torn-down work directory (only logs are left) older than keptLogsFor.
func removeIfOld(dir string, logf func(string, ...any)) {
	st, err := os.Stat(filepath.Join(dir, ownerFile))
	if err != nil || time.Since(st.ModTime()) < keptLogsFor {
		return
	}
	if err := removeWorkDir(dir); err != nil {
		logf("remove old %s: %v", dir, err)
	}
}

// nodeLockPath is the machine-wide lock held by the one kubelet cluster running.
func nodeLockPath() string {
	return filepath.Join(os.TempDir(), "startlag-cluster-node.lock")
}

// lockNode takes the machine-wide kubelet lock, waiting while another kubelet cluster of a test
// runs: two nodes would share the CPU, the cgroup hierarchy and runc's state directory, and
// make each other's timings meaningless. A detached cluster (clusterctl) does not hold it.
func (c *Cluster) lockNode(ctx context.Context, logf func(string, ...any)) error {
	f, err := os.OpenFile(nodeLockPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("node lock: %w", err)
	}
	logged := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			c.lock = f
			return nil
		}
		if err != unix.EWOULDBLOCK {
			f.Close()
			return fmt.Errorf("node lock %s: %w", nodeLockPath(), err)
		}
		if !logged {
			logf("waiting for another kubelet cluster to finish (lock %s)", nodeLockPath())
			logged = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("node lock %s: %w", nodeLockPath(), ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}
