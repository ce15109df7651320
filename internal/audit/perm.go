package audit

import (
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// rootAfterWalk is the volume root as the kubelet's walk leaves it for a root created 0755:
// group fsGroup, the read-write and exec masks added, setgid set.
func rootAfterWalk(fsGroup int64) ownership.Entry {
	e := ownership.Entry{Type: ownership.TypeDir, Mode: 0o755}
	c := ownership.WalkChange(e, fsGroup, false)
	e.GID, e.Mode = c.GID, c.Mode
	return e
}

// chmodResult is a directory's mode after a chmod; known is false for modes not understood.
type chmodResult struct {
	mode  uint32
	known bool
}

// applyChmod computes a directory's mode after `chmod spec`. GNU coreutils keeps a
// directory's setuid and setgid bits unless the mode names them, uses '=' before a number or
// has five or more digits; busybox and toybox apply a numeric mode as given.
func applyChmod(dir ownership.Entry, spec string, busybox bool) chmodResult {
	mode := dir.Mode & 0o7777
	if spec == "" {
		return chmodResult{}
	}
	if n, ok := octal(strings.TrimPrefix(spec, "=")); ok {
		if busybox || strings.HasPrefix(spec, "=") || len(spec) >= 5 {
			return chmodResult{mode: n, known: true}
		}
		return chmodResult{mode: n | mode&0o6000, known: true}
	}
	for _, clause := range strings.Split(spec, ",") {
		var ok bool
		if mode, ok = applyClause(mode, clause, busybox); !ok {
			return chmodResult{}
		}
	}
	return chmodResult{mode: mode, known: true}
}

func octal(s string) (uint32, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, false
	}
	return uint32(n), true
}

// applyClause applies one symbolic clause such as "g+s", "u=rwx,go=" or "a-w". A clause
// without a "who" letter acts on all bits (GNU chmod would then respect the umask).
func applyClause(mode uint32, clause string, busybox bool) (uint32, bool) {
	i := 0
	var who uint32
	for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
		who |= whoBits(clause[i])
		i++
	}
	if who == 0 {
		who = 0o7777
	}
	if i >= len(clause) {
		return mode, false
	}
	for i < len(clause) {
		op := clause[i]
		if op != '+' && op != '-' && op != '=' {
			return mode, false
		}
		i++
		var perm uint32
		for i < len(clause) && strings.IndexByte("rwxXst", clause[i]) >= 0 {
			perm |= permBits(clause[i])
			i++
		}
		perm &= who
		switch op {
		case '+':
			mode |= perm
		case '-':
			mode &^= perm
		case '=':
			clear := who & 0o1777
			if busybox || perm&0o6000 != 0 {
				clear = who
			}
			mode = mode&^clear | perm
		}
	}
	return mode, true
}

func whoBits(c byte) uint32 {
	switch c {
	case 'u':
		return 0o4700
	case 'g':
		return 0o2070
	case 'o':
		return 0o1007
	}
	return 0o7777
}

func permBits(c byte) uint32 {
	switch c {
	case 'r':
		return 0o444
	case 'w':
		return 0o222
	case 'x', 'X':
		return 0o111
	case 's':
		return 0o6000
	}
	return 0o1000 // 't'
}

// groupOf returns the group a chown/chgrp spec sets: changes is false when the group is left
// alone, known is false for group names (which need the image's /etc/group).
func groupOf(tool, spec string) (gid uint32, changes, known bool) {
	group := spec
	if tool == "chown" {
		i := strings.IndexAny(spec, ":.")
		if i < 0 {
			return 0, false, true
		}
		group = spec[i+1:]
		if group == "" {
			return 0, true, false // "user:" means the user's login group
		}
	}
	n, err := strconv.ParseUint(group, 10, 32)
	if err != nil {
		return 0, true, false
	}
	return uint32(n), true, true
}
