package ownership

import "fmt"

// Mode bits the kubelet adds during the walk (pkg/volume/volume_linux.go).
const (
	// ReadWriteMask is or-ed into every non-symlink entry of a read-write volume.
	ReadWriteMask = 0o660
	// ReadOnlyMask replaces ReadWriteMask on read-only mounts.
	ReadOnlyMask = 0o440
	// ExecMask is added to directories on top of the read-write or read-only mask.
	ExecMask = 0o110
	// SetgidBit is the set-group-ID bit, added to directories so new files inherit the group.
	SetgidBit = 0o2000
	// permBits selects the permission and special bits of a mode (what chmod can set).
	permBits = 0o7777
)

// Policy is a pod's spec.securityContext.fsGroupChangePolicy.
type Policy string

// The policy values the kubelet knows. Any other string is invalid (the API server rejects it;
// a manifest that was never applied can still carry one).
const (
	PolicyUnset          Policy = ""
	PolicyAlways         Policy = "Always"
	PolicyOnRootMismatch Policy = "OnRootMismatch"
)

// Valid reports whether p is one of the values the API server accepts (unset included).
func (p Policy) Valid() bool {
	return p == PolicyUnset || p == PolicyAlways || p == PolicyOnRootMismatch
}

// SkipsWhenRootMatches reports whether the kubelet looks at the volume root before walking.
// Only OnRootMismatch does; unset and Always walk every time.
func (p Policy) SkipsWhenRootMatches() bool { return p == PolicyOnRootMismatch }

// EntryType is the kind of a file system entry as the walk sees it (from lstat, never following
// symlinks).
type EntryType uint8

// Entry types. Other covers fifos, sockets and device nodes, which the kubelet chmods like files.
const (
	TypeFile EntryType = iota
	TypeDir
	TypeSymlink
	TypeOther
)

// String returns the one-letter type used by find -printf '%y': f, d, l, or o for other.
func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "f"
	case TypeDir:
		return "d"
	case TypeSymlink:
		return "l"
	}
	return "o"
}

// Entry is what the model needs to know about one file system entry.
type Entry struct {
	Type EntryType
	// Mode holds the permission bits and the setuid, setgid and sticky bits (st_mode & 07777).
	Mode uint32
	UID  uint32
	GID  uint32
}

// RootMismatch is a set of reasons why a volume root fails the OnRootMismatch test.
type RootMismatch uint8

// Reasons a root fails the test. The zero value means the root matches and the walk is skipped.
const (
	RootNotDir    RootMismatch = 1 << iota // the root is not a directory
	RootGIDDiffer                          // the root's group is not fsGroup
	RootPermsLack                          // owner/group rwx (r-x read-only) missing
	RootNoSetgid                           // the setgid bit is not set
)

// String lists the reasons in words, separated by "; ".
func (m RootMismatch) String() string {
	if m == 0 {
		return "root matches"
	}
	var s string
	add := func(bit RootMismatch, text string) {
		if m&bit == 0 {
			return
		}
		if s != "" {
			s += "; "
		}
		s += text
	}
	add(RootNotDir, "root is not a directory")
	add(RootGIDDiffer, "root group differs from fsGroup")
	add(RootPermsLack, "root lacks group permission bits")
	add(RootNoSetgid, "root lacks the setgid bit")
	return s
}

// CheckRoot applies the kubelet's OnRootMismatch test (requiresPermissionChange) to the volume
// root and returns why it fails; zero means the kubelet skips the walk. The kubelet stats the
// root following symlinks, so root must describe the target of a symlinked root.
func CheckRoot(root Entry, fsGroup int64, readOnly bool) RootMismatch {
	var m RootMismatch
	if int64(root.GID) != fsGroup {
		m |= RootGIDDiffer
	}
	if root.Type != TypeDir {
		return m | RootNotDir
	}
	want := dirMask(readOnly) &^ SetgidBit
	if root.Mode&want != want {
		m |= RootPermsLack
	}
	if root.Mode&SetgidBit == 0 {
		m |= RootNoSetgid
	}
	return m
}

// Change is what an Always walk would do to one entry.
type Change struct {
	// Chgrp is set when the entry's group is not fsGroup. The kubelet calls lchown on every
	// entry, but only a differing group is a change.
	Chgrp bool
	// AddBits holds the mode bits chmod would add; zero means chmod is a no-op.
	AddBits uint32
	// GID and Mode are the entry's group and mode after the walk.
	GID  uint32
	Mode uint32
}

// Differs reports whether the walk would change anything on this entry.
func (c Change) Differs() bool { return c.Chgrp || c.AddBits != 0 }

// String describes the change, e.g. "group 0→3000; add 020".
func (c Change) String() string {
	s := ""
	if c.Chgrp {
		s = fmt.Sprintf("group →%d", c.GID)
	}
	if c.AddBits != 0 {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("add %04o", c.AddBits)
	}
	if s == "" {
		return "no change"
	}
	return s
}

// WalkChange returns what the kubelet's recursive walk (policy unset or Always, or
// OnRootMismatch with a mismatching root) does to e: the group becomes fsGroup (owner
// untouched); files and other non-symlinks get the read-write (or read-only) mask; directories
// also get the exec bits and setgid. Symlinks are lchowned but never chmodded.
func WalkChange(e Entry, fsGroup int64, readOnly bool) Change {
	c := Change{GID: uint32(fsGroup), Mode: e.Mode & permBits}
	c.Chgrp = int64(e.GID) != fsGroup

	if e.Type == TypeSymlink {
		return c
	}
	mask := fileMask(readOnly)
	if e.Type == TypeDir {
		mask = dirMask(readOnly)
	}
	c.AddBits = mask &^ c.Mode
	c.Mode |= mask
	return c
}

func fileMask(readOnly bool) uint32 {
	if readOnly {
		return ReadOnlyMask
	}
	return ReadWriteMask
}

func dirMask(readOnly bool) uint32 {
	return fileMask(readOnly) | ExecMask | SetgidBit
}
