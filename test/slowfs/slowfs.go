// Package slowfs mounts a FUSE pass-through of a directory that adds a fixed delay to every
// metadata request (lookup, getattr, setattr for chown/chmod, readdir, open, ...). It models
// storage where each metadata operation is a round trip to a server (NFS, CephFS, a network
// block device under a synchronous journal): a serial walk costs ops × latency, and requests
// issued concurrently overlap their delays.
//
// What reaches the file system depends on the kernel's FUSE caches, set by EntryTimeout and
// AttrTimeout:
//
//   - EntryTimeout 0: every path component of every path-based call is revalidated with a
//     LOOKUP, so a call on a path n levels below the mount point costs n lookups. Walkers
//     that pass full paths (the kubelet: os.Lstat, os.Lchown, os.Chmod on full paths) pay
//     this per call; walkers working relative to a directory descriptor (fstatat(dirfd,
//     name)) pay one lookup per call.
//   - EntryTimeout > 0: a name seen within the timeout resolves from the kernel's dentry
//     cache; a walker pays about one LOOKUP per entry (the first time it meets the name).
//   - AttrTimeout 0: every stat is a GETATTR round trip, even right after a lookup.
//   - AttrTimeout > 0: a stat within the timeout of a lookup, readdirplus or setattr reply is
//     answered from the kernel's inode cache without a round trip.
//   - chown and chmod always reach the file system as SETATTR (the kernel never caches
//     writes to attributes), one round trip each.
//
// Requests per entry measured on kernel 6.18 (TestRequestsPerEntry; a getxattr of
// security.capability comes with each chown of a regular file):
//
//	                      stat-only check (fstatat)   kubelet-style (lstat, lchown, chmod)
//	DefaultOptions        lookup 1, getattr 1         lookup 1, getattr 2, setattr 2, getxattr 1
//	AttrTimeout 1 s       lookup 1                    lookup 1, getattr 1, setattr 2, getxattr 1
//	NoCacheOptions        lookup 1, getattr 1         lookup 9 (path depth), getattr 2, ...
//
// So with DefaultOptions and 1 ms, a serial kubelet walk costs about 6 ms per entry (100 min
// per million entries) and a serial check about 2 ms.
//
// Mounting needs root (or fusermount with user_allow_other in /etc/fuse.conf for allow_other)
// and /dev/fuse.
package slowfs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// Options configures a slowfs mount. The zero value passes everything through without delay
// and without kernel caching; start from DefaultOptions for the usual model.
type Options struct {
	// Latency is added to every metadata request (see Op.IsMetadata). Zero: none.
	Latency time.Duration

	// DataLatency is added to every read, write, flush and fsync request. Zero: none.
	DataLatency time.Duration

	// MaxInFlight bounds how many delayed requests sleep at once (a device queue depth);
	// further requests wait for a slot before their own delay. Zero: unlimited.
	MaxInFlight int

	// EntryTimeout is how long the kernel trusts a name it looked up (dentry cache).
	EntryTimeout time.Duration

	// AttrTimeout is how long the kernel trusts the attributes it was sent (inode cache).
	AttrTimeout time.Duration

	// NegativeTimeout is how long the kernel remembers that a name does not exist.
	NegativeTimeout time.Duration

	// ReadDirPlus lets the kernel use READDIRPLUS, which returns names with attributes and
	// so can save the per-entry LOOKUP (when EntryTimeout > 0). Off by default because the
	// usual network file system model is a plain READDIR followed by per-entry lookups.
	ReadDirPlus bool

	// AllowOther lets users other than the one that mounted use the file system (containers
	// running as non-root need it). Needs root or user_allow_other in /etc/fuse.conf.
	AllowOther bool

	// DefaultPermissions makes the kernel check permission bits itself. With AttrTimeout 0
	// this adds a GETATTR for every directory a path walk passes through.
	DefaultPermissions bool

	// Counts, if not nil, receives a count of every request served (by kind).
	Counts *Counts

	// Debug logs every FUSE request to stderr.
	Debug bool
}

// DefaultOptions is the model used by the benchmarks: 1 ms per metadata request, names
// cached for 1 s, attributes never cached, plain READDIR, allow_other.
func DefaultOptions() Options {
	return Options{
		Latency:      time.Millisecond,
		EntryTimeout: time.Second,
		AllowOther:   true,
	}
}

// NoCacheOptions is DefaultOptions with every kernel cache disabled: each path component of
// each call is revalidated and each stat is a round trip.
func NoCacheOptions() Options {
	o := DefaultOptions()
	o.EntryTimeout = 0

	return o
}

// Mount serves backingDir at mountpoint until unmount is called or ctx is cancelled,
// whichever comes first. mountpoint must be an existing directory. Operations are performed
// on backingDir as the calling process (root, normally), so chown and chmod through the mount
// change the backing files. unmount is safe to call more than once; it fails while the mount
// is busy (a process has its cwd or open files in it).
func Mount(ctx context.Context, backingDir, mountpoint string, opts Options) (func() error, error) {
	if err := checkDirs(backingDir, mountpoint); err != nil {
		return nil, err
	}

	server, err := newServer(backingDir, mountpoint, opts)
	if err != nil {
		return nil, err
	}

	go server.Serve()
	if err := server.WaitMount(); err != nil {
		return nil, fmt.Errorf("slowfs: mount %s: %w", mountpoint, err)
	}

	return unmounter(ctx, server, mountpoint), nil
}

func checkDirs(backingDir, mountpoint string) error {
	for _, d := range []string{backingDir, mountpoint} {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("slowfs: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("slowfs: %s: not a directory", d)
		}
	}

	return nil
}

// newServer builds the loopback node tree, wraps its request handler with the delays and
// creates (mounts) the FUSE server.
func newServer(backingDir, mountpoint string, opts Options) (*fuse.Server, error) {
	root, err := fs.NewLoopbackRoot(backingDir)
	if err != nil {
		return nil, fmt.Errorf("slowfs: %s: %w", backingDir, err)
	}

	entry, attr, neg := opts.EntryTimeout, opts.AttrTimeout, opts.NegativeTimeout
	fsOpts := &fs.Options{EntryTimeout: &entry, AttrTimeout: &attr, NegativeTimeout: &neg}
	raw := &slowRaw{
		RawFileSystem: fs.NewNodeFS(root, fsOpts),
		meta:          opts.Latency,
		data:          opts.DataLatency,
		counts:        opts.Counts,
	}
	if raw.counts == nil {
		raw.counts = new(Counts)
	}
	if opts.MaxInFlight > 0 {
		raw.slots = make(chan struct{}, opts.MaxInFlight)
	}

	server, err := fuse.NewServer(raw, mountpoint, mountOptions(opts))
	if err != nil {
		return nil, fmt.Errorf("slowfs: mount %s on %s: %w", backingDir, mountpoint, err)
	}

	return server, nil
}

func mountOptions(opts Options) *fuse.MountOptions {
	mo := &fuse.MountOptions{
		AllowOther:         opts.AllowOther,
		FsName:             "slowfs",
		Name:               "slowfs",
		DisableReadDirPlus: !opts.ReadDirPlus,
		Debug:              opts.Debug,
		DirectMount:        os.Geteuid() == 0,
		// Many concurrent walkers: let the kernel queue more than the default 12
		// background requests.
		MaxBackground: 64,
	}
	if opts.DefaultPermissions {
		mo.Options = append(mo.Options, "default_permissions")
	}

	return mo
}

// unmounter returns the idempotent unmount function and arranges for ctx cancellation to
// unmount too.
func unmounter(ctx context.Context, server *fuse.Server, mountpoint string) func() error {
	var (
		mu   sync.Mutex
		done bool
	)
	unmount := func() error {
		mu.Lock()
		defer mu.Unlock()

		if done {
			return nil
		}
		if err := server.Unmount(); err != nil {
			return fmt.Errorf("slowfs: unmount %s: %w", mountpoint, err)
		}
		done = true
		server.Wait()

		return nil
	}

	stop := context.AfterFunc(ctx, func() {
		if err := unmount(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	})

	return func() error {
		stop()
		return unmount()
	}
}

// ErrNoFUSE is returned by Available when the machine cannot mount FUSE file systems.
var ErrNoFUSE = errors.New("slowfs: /dev/fuse is not available")

// Available reports whether FUSE mounts can be made here: /dev/fuse exists and can be opened.
func Available() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoFUSE, err)
	}

	return f.Close()
}
