package audit

import (
	"testing"

	"github.com/startlag/startlag/internal/ownership"
)

// Expected modes follow the GNU coreutils manual ("Directories and the Set-User-ID and
// Set-Group-ID Bits": chmod keeps a directory's setuid/setgid unless a symbolic mode names
// them, an operator numeric mode such as =755 is used, or a numeric mode has five or more
// digits) and busybox, which applies a numeric mode as given.
func TestApplyChmod(t *testing.T) {
	dir := ownership.Entry{Type: ownership.TypeDir, Mode: 0o2770}
	cases := []struct {
		spec    string
		busybox bool
		want    uint32
		known   bool
	}{
		{"0775", false, 0o2775, true},
		{"0775", true, 0o775, true},
		{"755", false, 0o2755, true},
		{"00755", false, 0o755, true},
		{"=755", false, 0o755, true},
		{"2775", true, 0o2775, true},
		{"700", false, 0o2700, true},
		{"g-s", false, 0o770, true},
		{"g+w", false, 0o2770, true},
		{"u=rwx,go=rx", false, 0o2755, true},
		{"u=rwx,go=rx", true, 0o755, true},
		{"go-rwx", false, 0o2700, true},
		{"a+X", false, 0o2771, true},
		{"o+t", false, 0o3770, true},
		{"rwx", false, 0, false},
		{"9", false, 0, false},
		{"", false, 0, false},
		{"u+q", false, 0, false},
	}
	for _, c := range cases {
		got := applyChmod(dir, c.spec, c.busybox)
		if got.known != c.known || c.known && got.mode != c.want {
			t.Errorf("chmod %s (busybox %v) on 02770: %04o known %v, want %04o known %v",
				c.spec, c.busybox, got.mode, got.known, c.want, c.known)
		}
	}
}

func TestGroupOf(t *testing.T) {
	cases := []struct {
		tool, spec     string
		gid            uint32
		changes, known bool
	}{
		{"chown", "1001:1001", 1001, true, true},
		{"chown", "1001.5", 5, true, true},
		{"chown", "1001", 0, false, true},
		{"chown", ":7", 7, true, true},
		{"chown", "app:", 0, true, false},
		{"chown", "app:staff", 0, true, false},
		{"chgrp", "12", 12, true, true},
		{"chgrp", "postgres", 0, true, false},
	}
	for _, c := range cases {
		gid, changes, known := groupOf(c.tool, c.spec)
		if gid != c.gid || changes != c.changes || known != c.known {
			t.Errorf("%s %s: %d %v %v, want %d %v %v", c.tool, c.spec, gid, changes, known,
				c.gid, c.changes, c.known)
		}
	}
}

func TestRootAfterWalk(t *testing.T) {
	r := rootAfterWalk(42)
	if r.GID != 42 || r.Mode != 0o2775 || ownership.CheckRoot(r, 42, false) != 0 {
		t.Errorf("rootAfterWalk = %+v", r)
	}
}
