package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one component started by this cluster.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait returned
}

// startProcess runs bin with args, its output appended to logs/<name>.log, and records its PID in
// pids/<name>. Unless detached, the process is killed by the kernel when the starting thread dies
// (a test binary killed by a timeout leaves no component running; the next Start reaps the rest).
func (c *Cluster) startProcess(name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(c.Dir, "logs", name+".log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer out.Close()

	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/sbin:/sbin")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if !c.detached {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}

	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	pidFile := filepath.Join(c.Dir, "pids", name)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return p, fmt.Errorf("write %s: %w", pidFile, err)
	}
	c.procs[name] = p
	return p, nil
}

// exited reports whether p has exited, and how, without waiting.
func (p *process) exited() (bool, string) {
	select {
	case <-p.done:
		return true, p.cmd.ProcessState.String()
	default:
		return false, ""
	}
}

// stopOrder lists components in the order they are stopped: clients first, kube-apiserver
// before etcd (kube-apiserver hangs in its graceful shutdown when etcd is gone).
var stopOrder = []string{
	"kube-scheduler", "kube-controller-manager", "kubelet", "containerd", "kube-apiserver", "etcd",
}

// stopPID stops the process recorded in dir/pids/name: SIGTERM, then SIGKILL after grace.
// The PID is only signalled while its command line still names dir, so a recycled PID is never
// touched. own, when not nil, is the in-process handle used to observe the exit.
func stopPID(dir, name string, own *process, grace time.Duration) error {
	raw, err := os.ReadFile(filepath.Join(dir, "pids", name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read pid of %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("pid file of %s: %w", name, err)
	}

	if !cmdlineNames(pid, dir) {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if waitGone(pid, own, grace) {
		return nil
	}
	if cmdlineNames(pid, dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if !waitGone(pid, own, 5*time.Second) {
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", name, pid)
	}
	return nil
}

// waitGone waits up to d for pid to exit.
func waitGone(pid int, own *process, d time.Duration) bool {
	if own != nil {
		select {
		case <-own.done:
			return true
		case <-time.After(d):
			return false
		}
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !alive(pid)
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// cmdline returns the arguments of pid, or nil when it is gone.
func cmdline(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(raw) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
}

// cmdlineNames reports whether a live pid's command line mentions dir.
func cmdlineNames(pid int, dir string) bool {
	if !alive(pid) {
		return false
	}
	for _, a := range cmdline(pid) {
		if strings.Contains(a, dir) {
			return true
		}
	}
	return false
}

// parentOf returns the parent PID of pid, or 0.
func parentOf(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// allPIDs lists the numeric entries of /proc.
func allPIDs() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killShims kills the containerd shims serving the containerd whose socket is sock, and the
// container processes they started. Killing the first process of a container's PID namespace
// ends the whole container.
func killShims(sock string) {
	var shims []int
	for _, pid := range allPIDs() {
		args := cmdline(pid)
		if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		if hasArgPair(args, "-address", sock) {
			shims = append(shims, pid)
		}
	}
	if len(shims) == 0 {
		return
	}
	for _, pid := range allPIDs() {
		for _, s := range shims {
			if parentOf(pid) == s {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	for _, s := range shims {
		_ = syscall.Kill(s, syscall.SIGKILL)
		waitGone(s, nil, 3*time.Second)
	}
}

// hasArgPair reports whether args contain flag followed by value (or flag=value).
func hasArgPair(args []string, flag, value string) bool {
	for i, a := range args {
		if a == flag+"="+value || (a == flag && i+1 < len(args) && args[i+1] == value) {
			return true
		}
	}
	return false
}
