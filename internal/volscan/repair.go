package volscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/walk"
)

// RepairOptions configure a repair.
type RepairOptions struct {
	Options
	// MaxOpsPerSecond limits chown and chmod calls per second (0: no limit).
	MaxOpsPerSecond float64
}

// RepairResult is a check of the volume as found, plus what the repair did.
type RepairResult struct {
	*Result
	Chgrp int64 // chown calls made (group changed)
	Chmod int64 // chmod calls made
	// Failed counts entries that could not be changed; Failures keeps the first few.
	Failed   int64
	Failures []*fs.PathError
	// RootRepaired is set when the root was changed (always last). RootSkipped says why a
	// differing root was left alone.
	RootRepaired bool
	RootSkipped  string
	// HardLinked counts the changed files that have other names (link count above one). A
	// hard link's inode is one: its other names, which can lie outside the volume on the same
	// file system, share the change, as they do under the kubelet's walk.
	HardLinked int64
}

// Repair makes exactly the changes the kubelet's Always walk would make, but only to entries
// that differ, from several workers at once, and changes the volume root last, so an
// interrupted repair leaves the root mismatched and the kubelet (or a rerun) walks again.
// Running it again is harmless: entries that match are only stat-ed.
//
// Every change is made relative to a directory descriptor opened with O_NOFOLLOW and checked
// against the listing's inode (see package walk), so a directory swapped for a symlink
// during the repair is never entered: no name outside the volume is followed. An inode
// hard-linked into the volume is changed like the kubelet changes it (see
// RepairResult.HardLinked).
func Repair(ctx context.Context, path string, opt RepairOptions) (*RepairResult, error) {
	root, err := walk.Open(path)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	rp := &repairer{opt: opt, maxErrors: opt.Walk.MaxErrors}
	if rp.maxErrors <= 0 {
		rp.maxErrors = walk.DefaultMaxErrors
	}
	if opt.MaxOpsPerSecond > 0 {
		// An entry may need a chgrp and a chmod, taken together: the burst must hold both.
		burst := max(2, int(opt.MaxOpsPerSecond/10))
		rp.limiter = rate.NewLimiter(rate.Limit(opt.MaxOpsPerSecond), burst)
	}
	inner := opt.Options
	user := opt.OnOffender
	inner.OnOffender = nil
	res, err := rp.walk(ctx, root, inner, user)
	if err != nil {
		return res, err
	}
	rp.repairRoot(root, res)
	return res, nil
}

type repairer struct {
	opt       RepairOptions
	limiter   *rate.Limiter
	chgrp     atomic.Int64
	chmod     atomic.Int64
	linked    atomic.Int64
	maxErrors int

	mu       sync.Mutex
	failed   int64
	failures []*fs.PathError
}

func (rp *repairer) walk(ctx context.Context, root *walk.Root, opt Options,
	user func(Offender)) (*RepairResult, error) {
	start := time.Now()
	res := &RepairResult{Result: newResult(root.Path, EntryOf(&root.Stat), opt)}
	if user != nil && res.Root.Change.Differs() {
		user(Offender{Path: ".", Entry: res.Root.Entry, Change: res.Root.Change})
	}
	shards := newShards(opt)
	var mu sync.Mutex

	stats, err := root.Walk(ctx, opt.Walk, func(e *walk.Entry) error {
		if opt.Progress != nil {
			opt.Progress.Add(1)
		}
		oe := EntryOf(&e.Stat)
		c := ownership.WalkChange(oe, opt.FSGroup, opt.ReadOnly)
		if !c.Differs() {
			return nil
		}
		o := Offender{Entry: oe, Change: c}
		path := &lazyPath{build: e.Path}
		shards[e.Worker].addLazy(o, e.Depth, e.Top(), path)
		if user != nil {
			o.Path = path.get()
			mu.Lock()
			user(o)
			mu.Unlock()
		}
		return rp.fix(ctx, e, oe, c)
	})
	for _, s := range shards {
		res.Summary.Merge(s)
	}
	res.Walk = &stats
	res.Entries += stats.Entries
	res.Verdict = verdict(res.Root.Mismatch, res.Summary.Differ)
	rp.fill(res)
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("repairing %s: %w", root.Path, err)
	}
	return res, nil
}

func (rp *repairer) fill(res *RepairResult) {
	res.Chgrp, res.Chmod, res.HardLinked = rp.chgrp.Load(), rp.chmod.Load(), rp.linked.Load()
	rp.mu.Lock()
	res.Failed, res.Failures = rp.failed, rp.failures
	rp.mu.Unlock()
}

// fix applies one entry's change; failures are recorded, not returned, except cancellation.
func (rp *repairer) fix(ctx context.Context, e *walk.Entry, oe ownership.Entry,
	c ownership.Change) error {
	if err := rp.wait(ctx, c); err != nil {
		return err
	}
	var err error
	if needsChmod(oe, c) {
		err = rp.fixByHandle(e.DirFd, e.Name())
	} else {
		err = rp.chgrpAt(e.DirFd, e.Name())
	}
	switch {
	case err == nil && oe.Type != ownership.TypeDir && e.Stat.Nlink > 1:
		rp.linked.Add(1)
	case err != nil && !errors.Is(err, unix.ENOENT):
		rp.fail("repair", e.Path(), err)
	}
	return nil
}

func (rp *repairer) wait(ctx context.Context, c ownership.Change) error {
	if rp.limiter == nil {
		return nil
	}
	n := 0
	if c.Chgrp {
		n++
	}
	if c.AddBits != 0 {
		n++
	}
	return rp.limiter.WaitN(ctx, max(n, 1))
}

// needsChmod reports whether the kubelet's end state needs a chmod: bits to add, or a chgrp
// on a non-directory with set-id bits (chown clears them; the kubelet's chmod, done after its
// lchown with the mode read before it, puts them back).
func needsChmod(e ownership.Entry, c ownership.Change) bool {
	if e.Type == ownership.TypeSymlink {
		return false
	}
	return c.AddBits != 0 || (c.Chgrp && e.Type != ownership.TypeDir && e.Mode&0o6000 != 0)
}

// chgrpAt changes only the group, never following a symlink (a name swapped for a symlink
// gets its link's group changed, inside the volume).
func (rp *repairer) chgrpAt(dirfd int, name string) error {
	err := unix.Fchownat(dirfd, name, -1, int(rp.opt.FSGroup), unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		rp.chgrp.Add(1)
	}
	return err
}

// fixByHandle changes an entry that needs a chmod. chmod cannot be told not to follow a
// symlink on kernels before fchmodat2 (6.6), and fchmodat(dirfd, name, mode, 0) after an
// fstatat would follow a symlink swapped in between (a classic race that would let a
// workload make us chmod any file on the node). So the entry is pinned first: opened with
// O_PATH|O_NOFOLLOW (which opens a symlink itself, or a device without touching the device),
// fstat-ed through that handle, and changed through the handle: fchownat(fd, "",
// AT_EMPTY_PATH) and chmod of /proc/self/fd/N, which names the pinned inode and nothing else.
// The change is recomputed from the handle's fresh stat, so a mode the workload changed since
// the listing is not overwritten with a stale one.
func (rp *repairer) fixByHandle(dirfd int, name string) error {
	fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)

	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	return rp.fixFd(fd, &st, true)
}

// fixFd applies the kubelet's change to the inode behind fd, stat-ed as st. viaProc selects
// chmod through /proc/self/fd (O_PATH handles) instead of fchmod (the open root).
func (rp *repairer) fixFd(fd int, st *unix.Stat_t, viaProc bool) error {
	oe := EntryOf(st)
	c := ownership.WalkChange(oe, rp.opt.FSGroup, rp.opt.ReadOnly)
	if c.Chgrp {
		if err := unix.Fchownat(fd, "", -1, int(rp.opt.FSGroup), unix.AT_EMPTY_PATH); err != nil {
			return err
		}
		rp.chgrp.Add(1)
	}
	if !needsChmod(oe, c) {
		return nil
	}
	var err error
	if viaProc {
		err = unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), c.Mode, 0)
	} else {
		err = unix.Fchmod(fd, c.Mode)
	}
	if err != nil {
		return err
	}
	rp.chmod.Add(1)
	return nil
}

func (rp *repairer) fail(op, path string, err error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.failed++
	if len(rp.failures) < rp.maxErrors {
		rp.failures = append(rp.failures, &fs.PathError{Op: op, Path: path, Err: err})
	}
}

// repairRoot changes the root last, and only when everything below it is done: a root that
// passes the OnRootMismatch test over a half-repaired volume would hide the rest for good.
func (rp *repairer) repairRoot(root *walk.Root, res *RepairResult) {
	if !res.Root.Change.Differs() {
		return
	}
	if res.Failed > 0 || res.Incomplete() {
		res.RootSkipped = "some entries could not be read or changed; the root is left " +
			"mismatched so the kubelet keeps walking"
		return
	}
	var st unix.Stat_t
	err := unix.Fstat(root.Fd, &st)
	if err == nil {
		err = rp.fixFd(root.Fd, &st, false)
	}
	if err == nil {
		err = rp.verifyRoot(root.Fd)
	}
	rp.fill(res)
	if err != nil {
		rp.fail("repair", root.Path, err)
		rp.fill(res)
		res.RootSkipped = err.Error()
		return
	}
	res.RootRepaired = true
}

// verifyRoot stats the root again after its change and returns an error unless it now passes
// the OnRootMismatch test, so that a repair never reports a root it did not really fix.
func (rp *repairer) verifyRoot(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if m := ownership.CheckRoot(EntryOf(&st), rp.opt.FSGroup, rp.opt.ReadOnly); m != 0 {
		return fmt.Errorf("the root was changed but still fails the OnRootMismatch test: %s", m)
	}
	return nil
}
