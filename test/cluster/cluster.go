package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// KubeVersion is the Kubernetes release the harness runs.
const KubeVersion = "1.37.2"

// DefaultNodeName is the node name used when Options.NodeName is empty.
const DefaultNodeName = "startlag-node"

// Options selects the components of a cluster. The zero value is the cheap control-plane-only
// mode: etcd and kube-apiserver, no root needed, ready in a few seconds.
type Options struct {
	// Kubelet adds containerd and a kubelet registered as node NodeName. Needs root.
	Kubelet bool
	// ControllerManager adds kube-controller-manager (PV binder, service accounts, garbage
	// collector, ...). Without it the volume helpers bind PV and PVC by hand.
	ControllerManager bool
	// Scheduler adds kube-scheduler. Without it Pod sets spec.nodeName itself.
	Scheduler bool
	// NodeName is the kubelet's node name; DefaultNodeName when empty.
	NodeName string
	// KubeletVerbosity is the kubelet's -v level; 4 when zero (the ownership messages are V(3)
	// and V(4)).
	KubeletVerbosity int
	// Dir is the work directory; a new directory under os.TempDir() when empty.
	Dir string
	// Detached leaves the components running when the calling process exits (for clusterctl);
	// the cluster is then stopped with Stop or Down. Test clusters are never detached.
	Detached bool
}

// Cluster is a running cluster. Its exported fields are read-only.
type Cluster struct {
	// Dir is the work directory holding every file of the cluster.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig (token auth, TLS verification off).
	Kubeconfig string
	// RESTConfig and Client talk to kube-apiserver as a member of system:masters.
	RESTConfig *rest.Config
	Client     kubernetes.Interface
	// APIServer is the kube-apiserver URL.
	APIServer string
	// NodeName is the kubelet's node name (set even without a kubelet).
	NodeName string
	// KubeletLog is the path of the kubelet's log (klog text at KubeletVerbosity).
	KubeletLog string
	// KubeletPort is the kubelet's HTTPS port on 127.0.0.1 (anonymous access allowed).
	KubeletPort int
	// KubeletRoot is the kubelet's --root-dir (pod volume directories live below it).
	KubeletRoot string
	// ContainerdSocket is the containerd socket path.
	ContainerdSocket string
	// StartDuration is how long start-up took (not counting the wait for another kubelet
	// cluster to finish).
	StartDuration time.Duration

	opts     Options
	bin      string
	detached bool
	procs    map[string]*process
	ports    ports
	lock     *os.File
	mu       sync.Mutex // guards volumes
	volumes  map[string]*volume
}

type ports struct {
	etcdClient, etcdPeer, apiserver, kubelet int
}

// packageMu serialises the clusters of one test binary: tests of a package share the machine's
// loop devices, cgroups and CPU, and a kubelet owns the node.
var packageMu sync.Mutex

// BinDir returns where the Kubernetes binaries are looked up: $STARTLAG_KUBE_BIN, or
// /var/cache/startlag/kube-v<KubeVersion>/bin.
func BinDir() string {
	if d := os.Getenv("STARTLAG_KUBE_BIN"); d != "" {
		return d
	}
	return filepath.Join(cacheDir(), "kube-v"+KubeVersion, "bin")
}

// cacheDir is startlag's machine-wide cache ($STARTLAG_KUBE_CACHE or /var/cache/startlag).
func cacheDir() string {
	if d := os.Getenv("STARTLAG_KUBE_CACHE"); d != "" {
		return d
	}
	return "/var/cache/startlag"
}

// Unavailable returns why a cluster with opts cannot run on this machine, or "" when it can.
func Unavailable(opts Options) string {
	need := []string{"etcd", "kube-apiserver"}
	if opts.Kubelet {
		need = append(need, "kubelet")
	}
	if opts.ControllerManager {
		need = append(need, "kube-controller-manager")
	}
	if opts.Scheduler {
		need = append(need, "kube-scheduler")
	}
	for _, b := range need {
		if st, err := os.Stat(filepath.Join(BinDir(), b)); err != nil || st.Mode()&0o111 == 0 {
			return fmt.Sprintf("Kubernetes binary %s missing in %s: build them with "+
				"test/cluster/build-binaries.sh (or set STARTLAG_KUBE_BIN)", b, BinDir())
		}
	}
	if !opts.Kubelet {
		return ""
	}
	if os.Geteuid() != 0 {
		return "a kubelet cluster needs root (mounts, loop devices, containers)"
	}
	for _, tool := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr",
		"mkfs.ext4", "losetup", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("%s not found in PATH: apt-get install containerd runc "+
				"e2fsprogs busybox-static", tool)
		}
	}
	return ""
}

// Start starts a cluster for a test and stops it when the test and its subtests end, whether
// they pass, fail or panic. It skips the test when Unavailable(opts) gives a reason, and fails
// it when start-up fails. Clusters of one test binary run one at a time; kubelet clusters also
// run one at a time per machine.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if why := Unavailable(opts); why != "" {
		t.Skip("real cluster unavailable: " + why)
	}
	opts.Detached = false

	packageMu.Lock()
	t.Cleanup(packageMu.Unlock)

	// Waiting for another package's kubelet cluster may take long: wait until shortly before
	// the test binary's deadline. Start-up itself is bounded separately.
	ctx, cancel := context.WithCancel(context.Background())
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := dt.Deadline(); ok {
			margin := min(time.Minute, time.Until(dl)/2)
			cancel()
			ctx, cancel = context.WithDeadline(context.Background(), dl.Add(-margin))
		}
	}
	defer cancel()
	c, err := newCluster(ctx, opts, t.Logf)
	if c != nil {
		t.Cleanup(func() { c.finish(t) })
	}
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Logf("cluster up in %v: dir %s, kubeconfig %s", c.StartDuration.Round(time.Millisecond),
		c.Dir, c.Kubeconfig)
	return c
}

// finish stops a test's cluster and removes its work directory, keeping the logs when the test
// failed.
func (c *Cluster) finish(t testing.TB) {
	if err := c.Stop(); err != nil {
		t.Errorf("stop cluster: %v", err)
	}
	if t.Failed() {
		t.Logf("cluster logs kept in %s", filepath.Join(c.Dir, "logs"))
		if err := pruneKeepingLogs(c.Dir); err != nil {
			t.Logf("prune %s: %v", c.Dir, err)
		}
		return
	}
	if err := removeWorkDir(c.Dir); err != nil {
		t.Errorf("remove work dir: %v", err)
	}
}

// New starts a cluster outside tests (clusterctl). The caller stops it with Stop, or with Down
// from another process when opts.Detached. logf receives progress messages; it may be nil.
func New(ctx context.Context, opts Options, logf func(string, ...any)) (*Cluster, error) {
	if why := Unavailable(opts); why != "" {
		return nil, errors.New(why)
	}
	c, err := newCluster(ctx, opts, logf)
	if err != nil && c != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, err
}

// newCluster creates the work directory and starts the components. On error the returned
// cluster, when not nil, must still be stopped.
func newCluster(ctx context.Context, opts Options, logf func(string, ...any)) (*Cluster, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.NodeName == "" {
		opts.NodeName = DefaultNodeName
	}
	if opts.KubeletVerbosity == 0 {
		opts.KubeletVerbosity = 4
	}
	reapStale(logf)

	dir, err := makeWorkDir(opts)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir: dir, NodeName: opts.NodeName, opts: opts, bin: BinDir(), detached: opts.Detached,
		procs: map[string]*process{}, volumes: map[string]*volume{},
	}
	if err := c.start(ctx, logf); err != nil {
		return c, err
	}
	return c, nil
}

// start takes the node lock (waiting at most until ctx ends), then brings the components up
// within five minutes: containerd and the images in parallel with etcd and kube-apiserver, then
// the controllers, then the kubelet.
func (c *Cluster) start(ctx context.Context, logf func(string, ...any)) error {
	if err := c.preparePKI(); err != nil {
		return err
	}
	if c.opts.Kubelet {
		if err := c.lockNode(ctx, logf); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	begin := time.Now()
	defer func() { c.StartDuration = time.Since(begin) }()

	runtimeErr := make(chan error, 1)
	if c.opts.Kubelet {
		go func() { runtimeErr <- c.startContainerd(ctx) }()
	} else {
		runtimeErr <- nil
	}

	cpErr := c.startControlPlane(ctx)
	rtErr := <-runtimeErr
	if err := errors.Join(cpErr, rtErr); err != nil {
		return err
	}
	logf("control plane ready")

	if c.opts.Kubelet {
		if err := c.startKubelet(ctx); err != nil {
			return err
		}
		logf("node %s registered", c.NodeName)
	}
	return nil
}

// Stop stops the cluster's processes, its containers and unmounts its mounts. The work
// directory stays, marked as torn down (see Down for removing it).
func (c *Cluster) Stop() error {
	err := teardown(c.Dir, c.procs)
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
	if err != nil {
		return err
	}
	return markDone(c.Dir)
}

// Down stops a cluster from its work directory alone (for clusterctl down, or a cluster whose
// process died) and removes the directory.
func Down(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("work dir %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(abs, ownerFile)); err != nil {
		return fmt.Errorf("%s is not a cluster work directory: %w", abs, err)
	}
	if err := teardown(abs, nil); err != nil {
		return err
	}
	return removeWorkDir(abs)
}

// teardown stops everything that belongs to the cluster in dir. procs, when not nil, holds the
// in-process handles of the components. Errors are collected; every step is tried.
func teardown(dir string, procs map[string]*process) error {
	var errs []error
	stop := func(name string, grace time.Duration) {
		errs = append(errs, stopPID(dir, name, procs[name], grace))
	}
	stop("kube-scheduler", 10*time.Second)
	stop("kube-controller-manager", 10*time.Second)
	stop("kubelet", 10*time.Second)
	for _, name := range csiProcesses(dir) {
		stop(name, 5*time.Second)
	}
	errs = append(errs, removeContainers(dir))
	stop("containerd", 10*time.Second)
	killShims(containerdSocket(dir))
	stop("kube-apiserver", 20*time.Second)
	stop("etcd", 10*time.Second)

	errs = append(errs, unmountAll(dir))
	errs = append(errs, detachLoops(dir))
	return errors.Join(errs...)
}

// removeWorkDir deletes dir once nothing is mounted below it.
func removeWorkDir(dir string) error {
	if mps, err := mountsUnder(dir); err != nil || len(mps) > 0 {
		return fmt.Errorf("not removing %s: still mounted below it: %v %v", dir, mps, err)
	}
	return os.RemoveAll(dir)
}

// pruneKeepingLogs removes everything in dir but the logs and the marker files.
func pruneKeepingLogs(dir string) error {
	if mps, err := mountsUnder(dir); err != nil || len(mps) > 0 {
		return fmt.Errorf("not pruning %s: still mounted below it: %v %v", dir, mps, err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		switch e.Name() {
		case "logs", ownerFile, "kubeconfig":
			continue
		}
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(append(errs, markDone(dir))...)
}

// logTail returns the last n lines of a component's log, for error messages.
func (c *Cluster) logTail(name string, n int) string {
	raw, err := os.ReadFile(filepath.Join(c.Dir, "logs", name+".log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
