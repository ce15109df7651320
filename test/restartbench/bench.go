package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/timeline"
	"github.com/startlag/startlag/test/cluster"
	"github.com/startlag/startlag/test/slowfs"
)

// Config is one benchmark run.
type Config struct {
	// Files is the entry count of the local-disk volume; 0 skips the local-disk part.
	Files int
	// Runs is the number of measured restarts per policy on local disk.
	Runs int
	// SlowFiles and SlowRuns are the same for the latency-injected (FUSE) volume; SlowFiles 0
	// skips that part.
	SlowFiles int
	SlowRuns  int
	// Latency is the delay slowfs adds to each metadata request.
	Latency time.Duration
	// RestartsPerMonth turns the delay per restart into hours per year.
	RestartsPerMonth float64
	// FSGroup is the pods' fsGroup.
	FSGroup int64
	// Corrupt is the fraction of entries whose group is changed before the first repair.
	Corrupt float64
	// Seed feeds the tree generator.
	Seed int64
	// ScanWorkers are the worker counts the repair is timed with.
	ScanWorkers []int
	// DropCaches drops the page, dentry and inode caches before each measured restart and
	// each repair (cold start, as on a node that never saw the volume). Machine-wide.
	DropCaches bool
	// LogDir, if set, receives the kubelet log of the first measured Always restart of each
	// storage (kubelet-always-<pv>.log), which is then checked with `startlag explain`.
	LogDir string
	// Startlag is the CLI binary timed for the repairs; built from the module when empty.
	Startlag string
	// Dir is the cluster's work directory (a temporary one when empty).
	Dir string
	// Logf receives progress messages.
	Logf func(format string, args ...any)
}

// storage is one volume under test.
type storage struct {
	name    string // for output
	pv      string // PersistentVolume name (a DNS label)
	entries int
	runs    int
	path    string // the PV path the kubelet mounts
	backing string // where to corrupt entries without going through the slow path
}

// Run starts the cluster, runs every configured part and writes the results to out.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	opts := clusterOptions()
	if why := cluster.Unavailable(opts); why != "" {
		return fmt.Errorf("cannot run a cluster here: %s", why)
	}

	cfg.Logf("starting the cluster (controller manager %v, scheduler %v)",
		opts.ControllerManager, opts.Scheduler)
	opts.Dir = cfg.Dir
	c, err := cluster.New(ctx, opts, cfg.Logf)
	if err != nil {
		return err
	}
	defer func() {
		if err := c.Stop(); err != nil {
			cfg.Logf("stopping the cluster: %v", err)
		}
	}()

	if cfg.Startlag == "" {
		cfg.Startlag, err = buildStartlag(ctx, c.Dir)
		if err != nil {
			return err
		}
	}
	if err := ensureDir(cfg.LogDir); err != nil {
		return err
	}

	b := &bench{cfg: cfg, c: c, out: out, sts: opts.ControllerManager}
	fmt.Fprintf(out, "restartbench: kubelet %s, %s\n", cluster.KubeVersion, b.workloadKind())
	fmt.Fprintln(out, "restart = stop the pod, wait until its volume is unmounted, "+
		"start it again, until Ready")

	return b.parts(ctx)
}

// parts runs the local-disk part, then the slowfs part, each when configured.
func (b *bench) parts(ctx context.Context) error {
	if b.cfg.Files > 0 {
		if err := b.local(ctx); err != nil {
			return err
		}
	}
	if b.cfg.SlowFiles == 0 {
		return nil
	}
	if err := slowfs.Available(); err != nil {
		fmt.Fprintf(b.out, "\nslowfs part skipped: %v\n", err)
		return nil
	}

	return b.slow(ctx)
}

// clusterOptions asks for the controller manager and scheduler when their binaries exist
// (a StatefulSet then restarts the pod), else a bare kubelet (the benchmark recreates a Pod).
func clusterOptions() cluster.Options {
	full := cluster.Options{Kubelet: true, ControllerManager: true, Scheduler: true}
	if cluster.Unavailable(full) == "" {
		return full
	}

	return cluster.Options{Kubelet: true}
}

type bench struct {
	cfg Config
	c   *cluster.Cluster
	out io.Writer
	sts bool
}

func (b *bench) workloadKind() string {
	if b.sts {
		return "StatefulSet (controller manager + scheduler)"
	}

	return "bare Pod recreated by the benchmark (no controller manager)"
}

// local runs the restart comparison and the repair timings on an ext4 loop volume.
func (b *bench) local(ctx context.Context) error {
	inodes := b.cfg.Files + b.cfg.Files/10 + 10000
	sizeMiB := max(1024, b.cfg.Files*12/1024)
	path, err := b.c.NewVolumeDir("bench-local", cluster.VolumeOptions{
		Ext4: true, SizeMiB: sizeMiB, Inodes: inodes,
	})
	if err != nil {
		return err
	}

	st := storage{name: "local disk (ext4 on loop)", pv: "bench-local", entries: b.cfg.Files,
		runs: b.cfg.Runs, path: path, backing: path}
	if err := b.fill(st); err != nil {
		return err
	}

	return b.measure(ctx, st, 30*time.Minute)
}

// slow runs the same on a slowfs mount of a plain directory.
func (b *bench) slow(ctx context.Context) error {
	backing, err := b.c.NewVolumeDir("bench-slow-backing", cluster.VolumeOptions{
		Ext4: true, SizeMiB: max(1024, b.cfg.SlowFiles*12/1024),
		Inodes: b.cfg.SlowFiles + b.cfg.SlowFiles/10 + 10000,
	})
	if err != nil {
		return err
	}
	st := storage{
		name: fmt.Sprintf("slowfs (FUSE, %v per metadata request)", b.cfg.Latency),
		pv:   "bench-slow", entries: b.cfg.SlowFiles, runs: b.cfg.SlowRuns,
		path: filepath.Join(b.c.Dir, "slowfs-mnt"), backing: backing,
	}
	if err := b.fill(st); err != nil {
		return err
	}
	if err := os.Mkdir(st.path, 0o755); err != nil {
		return err
	}

	opts := slowfs.DefaultOptions()
	opts.Latency = b.cfg.Latency
	unmount, err := slowfs.Mount(ctx, backing, st.path, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := unmount(); err != nil {
			b.cfg.Logf("%v", err)
		}
	}()

	// A serial kubelet walk costs about 6 requests per entry.
	timeout := time.Duration(b.cfg.SlowFiles)*10*b.cfg.Latency + 10*time.Minute

	return b.measure(ctx, st, timeout)
}

func (b *bench) fill(st storage) error {
	b.cfg.Logf("generating %d entries in %s", st.entries, st.backing)
	start := time.Now()
	if err := generateTree(st.backing, st.entries, b.cfg.Seed); err != nil {
		return fmt.Errorf("generate %s: %w", st.backing, err)
	}
	n, err := countEntries(st.backing)
	if err != nil {
		return err
	}
	b.cfg.Logf("generated %d entries in %v", n, time.Since(start).Round(time.Second))

	return nil
}

// measure creates the PV, restarts the workload under both policies, then times the repairs.
func (b *bench) measure(ctx context.Context, st storage, timeout time.Duration) error {
	pv := cluster.LocalPV{Name: st.pv, Path: st.path, Capacity: "100Gi"}
	if err := b.c.CreateLocalPV(ctx, pv); err != nil {
		return err
	}

	cmp := Comparison{Storage: st.name, Entries: st.entries,
		RestartsPerMonth: b.cfg.RestartsPerMonth}
	var err error
	cmp.Always, err = b.series(ctx, st, corev1.FSGroupChangeAlways, timeout)
	if err != nil {
		return err
	}
	cmp.OnRoot, err = b.series(ctx, st, corev1.FSGroupChangeOnRootMismatch, timeout)
	if err != nil {
		return err
	}
	cmp.Print(b.out)

	scans, err := b.repairs(ctx, st)
	if err != nil {
		return err
	}
	PrintScans(b.out, st.name, cmp.Always.MedianWalk(), scans)

	return b.c.DeleteLocalPV(ctx, pv)
}

// series starts a workload with the policy (not measured: the first Always start makes the
// volume match), restarts it st.runs times and removes it.
func (b *bench) series(ctx context.Context, st storage, policy corev1.PodFSGroupChangePolicy,
	timeout time.Duration) (Series, error) {
	name := st.pv + "-onroot"
	if policy == corev1.FSGroupChangeAlways {
		name = st.pv + "-always"
	}
	w := b.workload(name, st.pv, policy)
	s := Series{Name: string(policy)}

	b.cfg.Logf("%s: first start with %s", st.name, policy)
	if err := w.start(ctx, timeout); err != nil {
		return s, err
	}
	for i := range st.runs {
		sample, err := b.restartOnce(ctx, w, timeout, policy, i)
		if err != nil {
			return s, err
		}
		b.cfg.Logf("%s %s restart %d: %v (kubelet walk %v)", st.name, policy, i+1,
			round(sample.Restart), round(sample.Walk))
		s.Samples = append(s.Samples, sample)
	}

	return s, w.remove(ctx, timeout)
}

func (b *bench) workload(name, claim string, policy corev1.PodFSGroupChangePolicy) *workload {
	spec := b.c.Pod(namespace, name).Spec
	spec.Containers[0].Command = []string{"/bin/sh", "-c",
		"trap 'exit 0' TERM; sleep 1000000 & wait"}
	spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
	}}}
	gid := b.cfg.FSGroup
	spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: &gid, FSGroupChangePolicy: &policy}

	return &workload{client: b.c.Client, name: name, claim: claim, spec: spec, sts: b.sts,
		deletePod: b.c.DeletePod, podDir: b.c.PodDir}
}

// restartOnce measures one restart and the kubelet's walk time during it; the first Always
// restart's kubelet log is saved when asked.
func (b *bench) restartOnce(ctx context.Context, w *workload, timeout time.Duration,
	policy corev1.PodFSGroupChangePolicy, i int) (Sample, error) {
	before, err := b.walkTotals(ctx)
	if err != nil {
		return Sample{}, err
	}
	offset, err := b.c.KubeletLogOffset()
	if err != nil {
		return Sample{}, err
	}
	b.dropCaches()

	took, err := w.restart(ctx, timeout)
	if err != nil {
		return Sample{}, err
	}

	after, err := b.walkTotals(ctx)
	if err != nil {
		return Sample{}, err
	}
	walkTime, walks := after.Since(before)
	sample := Sample{Restart: took, Walk: walkTime, Walks: walks}
	if policy == corev1.FSGroupChangeAlways && i == 0 && b.cfg.LogDir != "" {
		if err := b.saveAndExplain(ctx, w, offset, sample); err != nil {
			return Sample{}, err
		}
	}

	return sample, nil
}

func (b *bench) walkTotals(ctx context.Context) (WalkTotals, error) {
	text, err := b.c.KubeletMetrics(ctx)
	if err != nil {
		return WalkTotals{}, err
	}

	return parseWalkTotals(strings.NewReader(text))
}

// saveAndExplain saves the kubelet log written since offset and checks that `startlag
// explain` names the fsGroup walk with the kubelet's own duration (within 1 s).
func (b *bench) saveAndExplain(ctx context.Context, w *workload, offset int64,
	sample Sample) error {
	text, err := b.c.KubeletLogSince(offset)
	if err != nil {
		return err
	}
	log := filepath.Join(b.cfg.LogDir, "kubelet-always-"+w.claim+".log")
	if err := os.WriteFile(log, []byte(text), 0o644); err != nil {
		return err
	}

	cause, delay, walk, err := explainWalk(ctx, b.cfg.Startlag, log, w.podName())
	if err != nil {
		fmt.Fprintf(b.out, "explain check: %v\n", err)
		return nil
	}
	// A walk shorter than a slow step is seen but rightly not blamed: compare the walk then.
	if cause != "fsgroup-walk" && sample.Walk < timeline.SlowStep {
		cause, delay = "no slow step, walk seen", walk
	}
	diff := (delay - sample.Walk).Abs()
	verdict := "OK"
	if !strings.HasPrefix(cause, "fsgroup-walk") && !strings.HasPrefix(cause, "no slow") ||
		diff > time.Second {
		verdict = "MISMATCH"
	}
	fmt.Fprintf(b.out, "explain check (%s): cause %s, delay %v; kubelet metric %v; "+
		"difference %v: %s\n", log, cause, round(delay), round(sample.Walk), round(diff), verdict)

	return nil
}

// dropCaches writes 3 to /proc/sys/vm/drop_caches when asked (cold-cache measurements).
func (b *bench) dropCaches() {
	if !b.cfg.DropCaches {
		return
	}
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200); err != nil {
		b.cfg.Logf("drop caches: %v", err)
	}
}

// repairs times `startlag scan --apply` (the CLI, as a user runs it) after changing
// the group of a fraction of the entries, then again on the now consistent volume, for each
// worker count.
func (b *bench) repairs(ctx context.Context, st storage) ([]ScanResult, error) {
	var out []ScanResult
	for _, j := range b.cfg.ScanWorkers {
		changed, err := corrupt(st.backing, b.cfg.Corrupt, b.cfg.FSGroup+1)
		if err != nil {
			return nil, err
		}
		r, err := b.repairOnce(ctx, st.path, j,
			fmt.Sprintf("repair, %.3g%% differ (%d)", b.cfg.Corrupt*100, changed))
		if err != nil {
			return nil, err
		}
		out = append(out, r)

		r, err = b.repairOnce(ctx, st.path, j, "repair, consistent volume")
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}

	return out, nil
}

func (b *bench) repairOnce(ctx context.Context, path string, workers int,
	name string) (ScanResult, error) {
	b.dropCaches()

	took, summary, err := timedScan(ctx, b.cfg.Startlag, path, b.cfg.FSGroup, workers)
	if err != nil {
		return ScanResult{}, err
	}
	b.cfg.Logf("%s j=%d: %v %s", name, workers, round(took), summary)

	return ScanResult{Name: name, Took: took, Workers: workers, Repaired: summary}, nil
}

// corrupt sets the group of every n-th entry below root to gid, n = 1/fraction, and returns
// how many it changed. The choice is deterministic for a given tree.
func corrupt(root string, fraction float64, gid int64) (int, error) {
	if fraction <= 0 {
		return 0, nil
	}
	every := max(1, int(1/fraction))

	i, changed := 0, 0
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		i++
		if i%every != 0 {
			return nil
		}
		changed++

		return os.Lchown(p, -1, int(gid))
	})

	return changed, err
}

// countEntries counts the entries below root (root excluded).
func countEntries(root string) (int, error) {
	n := 0
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err == nil && p != root {
			n++
		}
		return err
	})

	return n, err
}
