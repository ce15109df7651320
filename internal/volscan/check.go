// Package volscan answers, for one volume, the questions behind `startlag scan`: would the
// kubelet's fsGroup walk change anything (check), what does the walk cost (estimate), and
// how to make exactly the kubelet's changes once (repair). The kubelet's rules come from
// internal/ownership; this package only walks and counts.
package volscan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/walk"
)

// Verdict is the public result of a check (also in -o json and the exit code).
type Verdict string

// Verdicts.
const (
	// VerdictSafe: the root passes the OnRootMismatch test and no entry differs from what an
	// Always walk would produce, so switching to OnRootMismatch changes nothing on disk.
	VerdictSafe Verdict = "safe"
	// VerdictUnsafe: the root passes, so OnRootMismatch would skip the walk, but some entries
	// differ and would never be fixed.
	VerdictUnsafe Verdict = "unsafe"
	// VerdictWalksAnyway: the root fails the test, so the next mount walks the whole volume
	// even with OnRootMismatch (the walk sets the root last; later mounts skip unless something
	// resets the root or the walk cannot finish).
	VerdictWalksAnyway Verdict = "walks-anyway"
)

// Options configure a check.
type Options struct {
	FSGroup  int64
	ReadOnly bool
	// Walk configures the walker (workers, one file system).
	Walk walk.Options
	// TopK is the number of example paths kept per group (default 10).
	TopK int
	// OnOffender, when set, is called for every differing entry, one call at a time.
	OnOffender func(Offender)
	// Progress, when set, is incremented once per entry walked (for a progress display).
	Progress *atomic.Int64
	// RootSquash: the volume is NFS exported with root_squash, so the kubelet's walk runs as
	// ownership.SquashID; Result.Squash then says what it could not open or change.
	RootSquash bool
}

// SquashSummary is what a squashed kubelet walk could not do (see ownership.SquashedWalk).
type SquashSummary struct {
	mu sync.Mutex
	// CannotOpen holds the directories the walk cannot list: it fails there and the pod does
	// not start. CannotChange holds the entries it must change but may not (logged and
	// skipped). Each counts all and keeps at most Options.TopK example paths.
	CannotOpen, CannotChange Group
	topK                     int
}

// add records e at depth, whose path p builds; it is safe for concurrent use.
func (s *SquashSummary) add(depth int, p *lazyPath, e ownership.Entry, opt Options) {
	sq := ownership.SquashedWalk(e, opt.FSGroup, opt.ReadOnly)
	if !sq.CannotOpen && !sq.CannotChange {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sq.CannotOpen {
		s.CannotOpen.Count++
		s.CannotOpen.offer(depth, p, s.topK)
	}
	if sq.CannotChange {
		s.CannotChange.Count++
		s.CannotChange.offer(depth, p, s.topK)
	}
}

// RootInfo is the volume root as the OnRootMismatch test sees it.
type RootInfo struct {
	Entry    ownership.Entry
	Mismatch ownership.RootMismatch
	// Change is what the Always walk does to the root (it does it last).
	Change ownership.Change
}

// Result is the outcome of a check, from a walk or from a listing.
type Result struct {
	Source   string
	FSGroup  int64
	ReadOnly bool
	Root     RootInfo
	Verdict  Verdict
	// Entries counts the root and every name below it.
	Entries int64
	Summary *Summary
	// Walk holds the walker's statistics; nil for a listing.
	Walk    *walk.Stats
	Elapsed time.Duration
	// Squash is set under Options.RootSquash.
	Squash *SquashSummary
}

// Incomplete reports whether part of the volume could not be read, so a safe verdict is
// not proven.
func (r *Result) Incomplete() bool { return r.Walk != nil && r.Walk.ErrorCount > 0 }

// verdict decides from the root test and the offender count.
func verdict(root ownership.RootMismatch, differ int64) Verdict {
	switch {
	case root != 0:
		return VerdictWalksAnyway
	case differ > 0:
		return VerdictUnsafe
	}
	return VerdictSafe
}

// EntryOf converts a stat to the ownership model's entry.
func EntryOf(st *unix.Stat_t) ownership.Entry {
	e := ownership.Entry{Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = ownership.TypeFile
	case unix.S_IFDIR:
		e.Type = ownership.TypeDir
	case unix.S_IFLNK:
		e.Type = ownership.TypeSymlink
	default:
		e.Type = ownership.TypeOther
	}
	return e
}

// ErrNotDirectory is returned for a volume root that is not a directory.
var ErrNotDirectory = errors.New("not a directory (a volume is scanned at its mount point; " +
	"a find listing is read with --from-listing)")

// RootGID returns the group of the directory at path (following a symlinked root like the
// kubelet), for callers that take fsGroup from the volume root. A path that is not a
// directory gives an error wrapping ErrNotDirectory.
func RootGID(path string) (int64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, fmt.Errorf("%s: %w", path, ErrNotDirectory)
	}
	return int64(st.Gid), nil
}

// Check walks the volume at path and applies the kubelet's rules to the root and to every
// entry. It modifies nothing.
func Check(ctx context.Context, path string, opt Options) (*Result, error) {
	root, err := walk.Open(path)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return checkRoot(ctx, root, opt)
}

func checkRoot(ctx context.Context, root *walk.Root, opt Options) (*Result, error) {
	start := time.Now()
	res := newResult(root.Path, EntryOf(&root.Stat), opt)
	shards := newShards(opt)
	var mu sync.Mutex

	stats, err := root.Walk(ctx, opt.Walk, func(e *walk.Entry) error {
		if opt.Progress != nil {
			opt.Progress.Add(1)
		}
		oe := EntryOf(&e.Stat)
		c := ownership.WalkChange(oe, opt.FSGroup, opt.ReadOnly)
		if res.Squash == nil && !c.Differs() {
			return nil // the common case allocates nothing
		}
		path := &lazyPath{build: e.Path}
		if res.Squash != nil {
			res.Squash.add(e.Depth, path, oe, opt)
		}
		if !c.Differs() {
			return nil
		}
		o := Offender{Entry: oe, Change: c}
		shards[e.Worker].addLazy(o, e.Depth, e.Top(), path)
		if opt.OnOffender != nil {
			o.Path = path.get()
			mu.Lock()
			opt.OnOffender(o)
			mu.Unlock()
		}
		return nil
	})
	res.Walk = &stats
	for _, s := range shards {
		res.Summary.Merge(s)
	}
	res.Entries += stats.Entries
	res.Elapsed = time.Since(start)
	res.Verdict = verdict(res.Root.Mismatch, res.Summary.Differ)
	if err != nil {
		return res, fmt.Errorf("walking %s: %w", root.Path, err)
	}
	return res, nil
}

// newResult starts a result with the root test applied and the root counted (as an offender
// when the Always walk would change it).
func newResult(source string, rootEntry ownership.Entry, opt Options) *Result {
	res := &Result{Source: source, FSGroup: opt.FSGroup, ReadOnly: opt.ReadOnly,
		Summary: newSummary(opt.TopK), Entries: 1}
	res.Root = RootInfo{
		Entry:    rootEntry,
		Mismatch: ownership.CheckRoot(rootEntry, opt.FSGroup, opt.ReadOnly),
		Change:   ownership.WalkChange(rootEntry, opt.FSGroup, opt.ReadOnly),
	}
	if opt.RootSquash {
		res.Squash = &SquashSummary{topK: newSummary(opt.TopK).TopK}
		res.Squash.add(0, &lazyPath{path: ".", done: true}, rootEntry, opt)
	}
	if res.Root.Change.Differs() {
		o := Offender{Path: ".", Entry: rootEntry, Change: res.Root.Change}
		res.Summary.Add(o)
		if opt.OnOffender != nil {
			opt.OnOffender(o)
		}
	}
	return res
}

func newShards(opt Options) []*Summary {
	n := opt.Walk.Workers
	if n <= 0 {
		n = walk.DefaultWorkers
	}
	shards := make([]*Summary, n)
	for i := range shards {
		shards[i] = newSummary(opt.TopK)
	}
	return shards
}
