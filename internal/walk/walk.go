// Package walk is startlag's volume walker: a parallel, cancellable, symlink-safe directory walk
// built on openat, getdents64 and fstatat relative to directory file descriptors.
//
// # Contract
//
// Walk visits every name below the root once, in no particular order, from several goroutines
// at once. It never follows a symlink: directories are opened with O_NOFOLLOW relative to their
// parent's descriptor and checked against the inode the parent's listing showed, so a
// directory swapped for a symlink (or another directory) during the walk is reported, not
// entered. Paths are never built on the hot path; Entry.Path builds one on request. Depth is
// not limited by PATH_MAX, and the number of open directory descriptors stays bounded
// (Options.MaxOpenDirs): a parent whose descriptor was closed is reopened through its
// ancestors, each step again O_NOFOLLOW and inode-checked.
//
// Hard links: every name is visited, as the kubelet's walk does (it lchowns and chmods each
// name); Stats.HardLinks counts the names of non-directories whose link count is above one.
// Entries that vanish during the walk are counted in Stats.Vanished and skipped; entries that
// appear may or may not be seen. Other errors (EACCES, EIO, ...) are recorded in Stats and the
// walk goes on.
package walk

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// SkipDir, returned by a Visitor for a directory, makes the walk not descend into it.
var SkipDir = errors.New("skip this directory")

// ErrChanged reports a directory that was replaced between the parent's listing and its open.
var ErrChanged = errors.New("directory changed during the walk")

// Defaults for Options.
const (
	DefaultWorkers     = 8
	DefaultMaxOpenDirs = 256
	DefaultMaxErrors   = 100
	direntBufSize      = 64 << 10
)

// Options configure a walk. The zero value is usable.
type Options struct {
	// Workers is the number of goroutines walking at once (default 8). More helps on
	// high-latency devices (network block storage), not on local CPUs.
	Workers int
	// OneFileSystem stops the walk at mount points (the mount point itself is visited, its
	// content is not), like find -xdev. The kubelet walks into nested mounts.
	OneFileSystem bool
	// MaxOpenDirs bounds the directory descriptors kept open for pending children
	// (default 256); the workers' own descriptors come on top.
	MaxOpenDirs int
	// MaxErrors bounds the errors and mount points kept with their paths (default 100);
	// all are counted.
	MaxErrors int
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxOpenDirs <= 0 {
		o.MaxOpenDirs = DefaultMaxOpenDirs
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	return o
}

// Visitor is called for every entry below the root, concurrently from Options.Workers
// goroutines (Entry.Worker tells which, so visitors can keep per-worker state without locks).
// The Entry and its descriptor are valid only during the call. Returning SkipDir for a
// directory skips its content; any other non-nil error stops the walk and is returned by Walk.
type Visitor func(e *Entry) error

// Stats summarises a walk.
type Stats struct {
	Entries  int64 // names visited (the root not included)
	Dirs     int64
	Files    int64
	Symlinks int64
	Other    int64 // fifos, sockets, device nodes
	// HardLinks counts names of non-directories with more than one link.
	HardLinks int64
	// Vanished counts entries that disappeared between the listing and their stat or open.
	Vanished int64
	// MountPoints lists directories on another device than their parent (up to MaxErrors).
	MountPoints     []string
	MountPointCount int64
	// Errors lists failures with their path (up to MaxErrors); ErrorCount counts all.
	Errors     []*fs.PathError
	ErrorCount int64
}

func (s *Stats) add(o *Stats) {
	s.Entries += o.Entries
	s.Dirs += o.Dirs
	s.Files += o.Files
	s.Symlinks += o.Symlinks
	s.Other += o.Other
	s.HardLinks += o.HardLinks
	s.Vanished += o.Vanished
}

// Root is an open volume root. The root path itself is resolved like the kubelet's os.Stat
// (a symlinked root is followed); everything below it is not.
type Root struct {
	Path string
	Fd   int
	Stat unix.Stat_t
}

// Open opens the directory at path as a walk root.
func Open(path string) (*Root, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	r := &Root{Path: path, Fd: fd}
	if err := unix.Fstat(fd, &r.Stat); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	return r, nil
}

// Close closes the root's descriptor.
func (r *Root) Close() error { return unix.Close(r.Fd) }

// Walk walks everything below r with opt, calling visit for each entry. It returns the
// statistics and the first error that stopped the walk: a Visitor's error or ctx's error.
// Per-entry failures do not stop the walk; they are in Stats.Errors.
func (r *Root) Walk(ctx context.Context, opt Options, visit Visitor) (Stats, error) {
	opt = opt.withDefaults()
	// The root's descriptor may have been read by an earlier walk.
	if _, err := unix.Seek(r.Fd, 0, 0); err != nil {
		return Stats{}, &fs.PathError{Op: "lseek", Path: r.Path, Err: err}
	}
	w := &walker{ctx: ctx, opt: opt, visit: visit}
	w.cond = sync.NewCond(&w.mu)
	root := &dirNode{fd: r.Fd, dev: r.Stat.Dev, ino: r.Stat.Ino, users: 1}
	w.stack = append(w.stack, root)

	stop := context.AfterFunc(ctx, w.halt)
	defer stop()

	var wg sync.WaitGroup
	locals := make([]Stats, opt.Workers)
	for i := range opt.Workers {
		wg.Go(func() { w.work(i, &locals[i]) })
	}
	wg.Wait()
	w.drainPending()

	for i := range locals {
		w.stats.add(&locals[i])
	}
	if w.err == nil && ctx.Err() != nil {
		w.err = ctx.Err()
	}
	return w.stats, w.err
}

// dirNode is a directory waiting to be read or being read. Nodes link to their parent so a
// closed descriptor can be reopened and a path built for reporting.
type dirNode struct {
	parent *dirNode
	name   string
	top    string // the name of the root's child this directory lies in (its own at depth 1)
	dev    uint64
	ino    uint64
	depth  int

	mu      sync.Mutex
	fd      int // -1 when closed
	users   int // holders of fd: the worker reading it, children being opened
	pending int // child directories not opened yet
}

// path returns "." for the root and "./a/b" below it.
func (n *dirNode) path() string {
	if n == nil {
		return "."
	}
	var names []string
	for p := n; p.parent != nil; p = p.parent {
		names = append(names, p.name)
	}
	slices.Reverse(names)
	if len(names) == 0 {
		return "."
	}
	return "./" + strings.Join(names, "/")
}

func (n *dirNode) child(name string) string {
	if n.parent == nil {
		return "./" + name
	}
	return n.path() + "/" + name
}

type walker struct {
	ctx   context.Context
	opt   Options
	visit Visitor

	mu      sync.Mutex
	cond    *sync.Cond
	stack   []*dirNode
	active  int
	waiting int // workers blocked in pop
	done    bool
	err     error

	openDirs atomic.Int64

	statsMu sync.Mutex
	stats   Stats
}

// halt stops the workers after their current directory.
func (w *walker) halt() {
	w.mu.Lock()
	w.done = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *walker) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.done = true
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *walker) pop() *dirNode {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.stack) == 0 && w.active > 0 && !w.done {
		w.waiting++
		w.cond.Wait()
		w.waiting--
	}
	if w.done || len(w.stack) == 0 {
		w.done = true
		w.cond.Broadcast()
		return nil
	}
	n := w.stack[len(w.stack)-1]
	w.stack[len(w.stack)-1] = nil
	w.stack = w.stack[:len(w.stack)-1]
	w.active++
	return n
}

// push adds nodes to the shared stack and wakes as many waiting workers as there are nodes,
// no more: a wake-up that finds nothing to do costs a futex call and a context switch.
func (w *walker) push(nodes []*dirNode) {
	w.mu.Lock()
	w.stack = append(w.stack, nodes...)
	switch {
	case w.waiting == 0:
	case len(nodes) >= w.waiting:
		w.cond.Broadcast()
	default:
		for range nodes {
			w.cond.Signal()
		}
	}
	w.mu.Unlock()
}

func (w *walker) finished() {
	w.mu.Lock()
	w.active--
	if w.active == 0 && len(w.stack) == 0 {
		w.done = true
		w.cond.Broadcast()
	}
	w.mu.Unlock()
}

func (w *walker) work(id int, st *Stats) {
	ws := &workerState{id: id, st: st, buf: make([]byte, direntBufSize)}
	for {
		n := w.pop()
		if n == nil {
			return
		}
		w.readDir(ws, n)
		w.finished()
	}
}

// drainPending releases the parent references of nodes that will never be opened (the walk
// was stopped), so their parents' descriptors get closed.
func (w *walker) drainPending() {
	w.mu.Lock()
	rest := w.stack
	w.stack = nil
	w.mu.Unlock()
	for _, n := range rest {
		w.release(n.parent, false, true)
	}
}

func (w *walker) recordError(op, path string, err error) {
	w.statsMu.Lock()
	defer w.statsMu.Unlock()
	w.stats.ErrorCount++
	if len(w.stats.Errors) < w.opt.MaxErrors {
		w.stats.Errors = append(w.stats.Errors, &fs.PathError{Op: op, Path: path, Err: err})
	}
}

func (w *walker) recordMount(path string) {
	w.statsMu.Lock()
	defer w.statsMu.Unlock()
	w.stats.MountPointCount++
	if len(w.stats.MountPoints) < w.opt.MaxErrors {
		w.stats.MountPoints = append(w.stats.MountPoints, path)
	}
}
