package walk

import (
	"errors"
	"slices"

	"golang.org/x/sys/unix"
)

// Entry is one name below the root, as the walk's fstatat saw it.
type Entry struct {
	// DirFd is the open descriptor of the entry's parent directory. Act on the entry relative
	// to it (fchownat(DirFd, Name(), ..., AT_SYMLINK_NOFOLLOW)), never through a path.
	DirFd int
	// Stat is the lstat of the entry (fstatat with AT_SYMLINK_NOFOLLOW).
	Stat unix.Stat_t
	// Depth is 1 for the root's children.
	Depth int
	// Worker is the index of the calling goroutine, in [0, Options.Workers).
	Worker int
	// MountPoint is set for a directory on another device than its parent.
	MountPoint bool

	name   []byte
	parent *dirNode
}

// Name returns the entry's name in its parent directory.
func (e *Entry) Name() string { return string(e.name) }

// NameBytes returns the name without copying; it is valid only during the Visitor call.
func (e *Entry) NameBytes() []byte { return e.name }

// Path returns the entry's path relative to the root, as "./a/b". It allocates and costs time
// in proportion to the depth; build it only for entries you report. Names are raw bytes: use
// Escape before printing.
func (e *Entry) Path() string { return e.parent.child(string(e.name)) }

// Top returns the name of the root's child the entry lies in ("a" for ./a/b/c), its own name
// at depth 1, without building the path.
func (e *Entry) Top() string {
	if e.parent == nil || e.parent.parent == nil {
		return string(e.name)
	}
	return e.parent.top
}

// IsDir reports whether the entry is a directory.
func (e *Entry) IsDir() bool { return e.Stat.Mode&unix.S_IFMT == unix.S_IFDIR }

// IsSymlink reports whether the entry is a symbolic link.
func (e *Entry) IsSymlink() bool { return e.Stat.Mode&unix.S_IFMT == unix.S_IFLNK }

type workerState struct {
	id       int
	st       *Stats
	buf      []byte
	ents     []dirent
	children []*dirNode
	entry    Entry
}

// readDir opens n, visits its entries and queues its subdirectories.
func (w *walker) readDir(ws *workerState, n *dirNode) {
	fd, err := w.openNode(n)
	if err != nil {
		w.dirOpenFailed(ws, n, err)
		return
	}
	defer w.release(n, true, false)

	for {
		nread, err := unix.Getdents(fd, ws.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			w.recordError("getdents64", n.path(), err)
			return
		}
		if nread == 0 || w.ctx.Err() != nil {
			return
		}
		ws.ents = parseDirents(ws.buf[:nread], ws.ents[:0])
		// Inode order makes cold reads on ext4 closer to sequential.
		slices.SortFunc(ws.ents, func(a, b dirent) int { return cmpUint64(a.ino, b.ino) })
		if !w.visitBatch(ws, n, fd) {
			return
		}
	}
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// visitBatch stats and visits one getdents64 batch; it returns false when the walk must stop.
func (w *walker) visitBatch(ws *workerState, n *dirNode, fd int) bool {
	ws.children = ws.children[:0]
	e := &ws.entry
	for _, d := range ws.ents {
		*e = Entry{DirFd: fd, Depth: n.depth + 1, Worker: ws.id, parent: n,
			name: ws.buf[d.off : d.off+d.size]}
		if err := fstatatZ(fd, &ws.buf[d.off], &e.Stat); err != nil {
			w.statFailed(ws, e, err)
			continue
		}
		if !w.visitOne(ws, n, e) {
			w.queue(n, ws.children)
			return false
		}
	}
	w.queue(n, ws.children)
	return true
}

func (w *walker) statFailed(ws *workerState, e *Entry, err error) {
	if err == unix.ENOENT {
		ws.st.Vanished++
		return
	}
	w.recordError("fstatat", e.Path(), err)
}

// visitOne counts e, calls the visitor and queues e when it is a directory to descend into.
func (w *walker) visitOne(ws *workerState, n *dirNode, e *Entry) bool {
	count(ws.st, &e.Stat)
	isDir := e.IsDir()
	if isDir && e.Stat.Dev != n.dev {
		e.MountPoint = true
		w.recordMount(e.Path())
	}

	err := w.visit(e)
	if err == SkipDir {
		return true
	}
	if err != nil {
		w.fail(err)
		return false
	}
	if !isDir || (e.MountPoint && w.opt.OneFileSystem) {
		return true
	}
	name := string(e.name)
	top := n.top
	if n.parent == nil {
		top = name
	}
	ws.children = append(ws.children, &dirNode{parent: n, name: name, top: top, fd: -1,
		dev: e.Stat.Dev, ino: e.Stat.Ino, depth: n.depth + 1})
	return true
}

func count(st *Stats, s *unix.Stat_t) {
	st.Entries++
	switch s.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		st.Dirs++
		return
	case unix.S_IFREG:
		st.Files++
	case unix.S_IFLNK:
		st.Symlinks++
	default:
		st.Other++
	}
	if s.Nlink > 1 {
		st.HardLinks++
	}
}

// queue registers children as pending on n and pushes them on the shared stack.
func (w *walker) queue(n *dirNode, children []*dirNode) {
	if len(children) == 0 {
		return
	}
	n.mu.Lock()
	n.pending += len(children)
	n.mu.Unlock()
	w.push(children)
}

func (w *walker) dirOpenFailed(ws *workerState, n *dirNode, err error) {
	if errors.Is(err, unix.ENOENT) {
		ws.st.Vanished++
		return
	}
	op := "openat"
	if errors.Is(err, ErrChanged) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
		op, err = "openat", ErrChanged
	}
	w.recordError(op, n.path(), err)
}

// openNode opens n relative to its parent (the root is already open) and takes the reading
// worker's reference on it. It consumes the parent's pending count for n.
func (w *walker) openNode(n *dirNode) (int, error) {
	if n.parent == nil {
		return n.fd, nil
	}
	fd, err := w.openChild(n)
	w.release(n.parent, false, true)
	if err != nil {
		return -1, err
	}
	n.mu.Lock()
	n.fd = fd
	n.users++
	n.mu.Unlock()
	w.openDirs.Add(1)
	return fd, nil
}

// openChild opens n through its parent's descriptor (reopening the parent if it was closed)
// and checks that it is still the directory the parent's listing showed.
func (w *walker) openChild(n *dirNode) (int, error) {
	pfd, err := w.acquire(n.parent)
	if err != nil {
		return -1, err
	}
	fd, err := openDirAt(pfd, n.name)
	w.release(n.parent, true, false)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Dev != n.dev || st.Ino != n.ino {
		unix.Close(fd)
		return -1, ErrChanged
	}
	return fd, nil
}

// acquire returns n's descriptor, reopening it through its ancestors if it was closed, and
// holds it open until the matching release.
//
// TODO: a reopen walks up to the nearest open ancestor, so a tree that is both very deep and
// has pending siblings at every level beyond MaxOpenDirs costs O(depth²) openat calls; an
// eviction policy that keeps the deepest open ancestors would bound it, but no real volume
// measured so far comes near MaxOpenDirs pending parents.
func (w *walker) acquire(n *dirNode) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd < 0 {
		fd, err := w.openChild(n)
		if err != nil {
			return -1, err
		}
		n.fd = fd
		w.openDirs.Add(1)
	}
	n.users++
	return n.fd, nil
}

// release drops a user reference and/or a pending child of n, closing its descriptor when
// nobody needs it, or when too many are open and only pending children would need it (they
// reopen it). The root's descriptor belongs to Root and is never closed here.
func (w *walker) release(n *dirNode, user, child bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if user {
		n.users--
	}
	if child {
		n.pending--
	}
	if n.parent == nil || n.fd < 0 || n.users > 0 {
		return
	}
	if n.pending == 0 || w.openDirs.Load() > int64(w.opt.MaxOpenDirs) {
		unix.Close(n.fd)
		n.fd = -1
		w.openDirs.Add(-1)
	}
}
