package slowfs

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Op is one kind of FUSE request that slowfs counts and, if it is a metadata operation, delays.
type Op int

// The operations slowfs tells apart. Metadata operations are delayed by Options.Latency;
// data operations (read, write, ...) are delayed by Options.DataLatency; Forget and the
// release calls are never delayed because the kernel does not wait for them.
const (
	OpLookup Op = iota
	OpGetattr
	OpSetattr
	OpStatx
	OpAccess
	OpReadlink
	OpMknod
	OpMkdir
	OpUnlink
	OpRmdir
	OpRename
	OpLink
	OpSymlink
	OpCreate
	OpOpen
	OpOpendir
	OpReaddir
	OpReaddirplus
	OpStatfs
	OpGetxattr
	OpListxattr
	OpSetxattr
	OpRemovexattr
	OpRead
	OpWrite
	OpFlush
	OpFsync
	opCount
)

var opNames = [opCount]string{
	"lookup", "getattr", "setattr", "statx", "access", "readlink", "mknod", "mkdir",
	"unlink", "rmdir", "rename", "link", "symlink", "create", "open", "opendir",
	"readdir", "readdirplus", "statfs", "getxattr", "listxattr", "setxattr",
	"removexattr", "read", "write", "flush", "fsync",
}

// String returns the lower-case FUSE request name, e.g. "getattr".
func (o Op) String() string {
	if o < 0 || o >= opCount {
		return fmt.Sprintf("op(%d)", int(o))
	}

	return opNames[o]
}

// IsMetadata reports whether the operation is delayed by Options.Latency (everything but
// read, write, flush and fsync).
func (o Op) IsMetadata() bool {
	return o < OpRead
}

// Counts holds how many requests of each kind the file system served. It is safe for
// concurrent use; the zero value is ready.
type Counts struct {
	n [opCount]atomic.Int64
}

// Get returns the number of requests of kind op served so far.
func (c *Counts) Get(op Op) int64 {
	if op < 0 || op >= opCount {
		return 0
	}

	return c.n[op].Load()
}

// Metadata returns the number of metadata requests served so far (the ones that were delayed
// by Options.Latency).
func (c *Counts) Metadata() int64 {
	var total int64
	for op := Op(0); op < opCount; op++ {
		if op.IsMetadata() {
			total += c.n[op].Load()
		}
	}

	return total
}

// Snapshot returns the current counts by request name, leaving out kinds never seen.
func (c *Counts) Snapshot() map[string]int64 {
	out := make(map[string]int64)
	for op := Op(0); op < opCount; op++ {
		if v := c.n[op].Load(); v > 0 {
			out[op.String()] = v
		}
	}

	return out
}

// Sub returns the per-kind differences c - before, for measuring one phase of a run.
func (c *Counts) Sub(before map[string]int64) map[string]int64 {
	out := c.Snapshot()
	for k, v := range before {
		out[k] -= v
		if out[k] == 0 {
			delete(out, k)
		}
	}

	return out
}

// String renders the non-zero counts as "getattr=10 lookup=3 ..." in a fixed order.
func (c *Counts) String() string {
	return FormatCounts(c.Snapshot())
}

// FormatCounts renders a Snapshot or Sub result as "lookup=3 getattr=10 ..." in Op order.
func FormatCounts(m map[string]int64) string {
	var b strings.Builder
	for op := Op(0); op < opCount; op++ {
		v, ok := m[op.String()]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", op, v)
	}

	return b.String()
}

func (c *Counts) add(op Op) {
	c.n[op].Add(1)
}
