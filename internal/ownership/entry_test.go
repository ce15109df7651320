package ownership

import "testing"

// Expected values follow pkg/volume/volume_linux.go: the OnRootMismatch test requires the
// root's gid to equal fsGroup, the root to be a directory, perm ⊇ 0770 (0550 read-only) and
// the setgid bit; the walk lchowns every entry to (-1, fsGroup) and chmods non-symlinks to
// mode|0660 (|0440 read-only), directories also |0110|setgid.

func TestCheckRoot(t *testing.T) {
	const fsg = 2000
	cases := []struct {
		name string
		root Entry
		ro   bool
		want RootMismatch
	}{
		{"kubelet-walked root", Entry{TypeDir, 0o2770, 0, fsg}, false, 0},
		{"extra bits are fine", Entry{TypeDir, 0o2777, 1000, fsg}, false, 0},
		{"wrong group", Entry{TypeDir, 0o2770, 0, 0}, false, RootGIDDiffer},
		{"no setgid (chmod 0775 by busybox)", Entry{TypeDir, 0o775, 0, fsg}, false, RootNoSetgid},
		{"chmod 700", Entry{TypeDir, 0o700, 0, fsg}, false, RootPermsLack | RootNoSetgid},
		{"group lacks write", Entry{TypeDir, 0o2750, 0, fsg}, false, RootPermsLack},
		{"owner lacks write", Entry{TypeDir, 0o2570, 0, fsg}, false, RootPermsLack},
		{"read-only volume needs r-x only", Entry{TypeDir, 0o2550, 0, fsg}, true, 0},
		{"read-only volume, no group exec", Entry{TypeDir, 0o2540, 0, fsg}, true, RootPermsLack},
		{"root is a file", Entry{TypeFile, 0o2770, 0, fsg}, false, RootNotDir},
		{"file with wrong group", Entry{TypeFile, 0o644, 0, 1}, false, RootNotDir | RootGIDDiffer},
		{"everything wrong", Entry{TypeDir, 0o755, 0, 0}, false,
			RootGIDDiffer | RootPermsLack | RootNoSetgid},
	}
	for _, c := range cases {
		if got := CheckRoot(c.root, fsg, c.ro); got != c.want {
			t.Errorf("%s: CheckRoot = %v (%d), want %v (%d)", c.name, got, got, c.want, c.want)
		}
	}
}

func TestRootMismatchString(t *testing.T) {
	if s := RootMismatch(0).String(); s != "root matches" {
		t.Errorf("zero: %q", s)
	}
	s := (RootGIDDiffer | RootNoSetgid).String()
	if s != "root group differs from fsGroup; root lacks the setgid bit" {
		t.Errorf("two reasons: %q", s)
	}
}

func TestWalkChange(t *testing.T) {
	const fsg = 3000
	cases := []struct {
		name    string
		e       Entry
		ro      bool
		chgrp   bool
		add     uint32
		mode    uint32
		differs bool
	}{
		{"file 0644 root:root", Entry{TypeFile, 0o644, 0, 0}, false, true, 0o020, 0o664, true},
		{"file already right", Entry{TypeFile, 0o660, 5, fsg}, false, false, 0, 0o660, false},
		{"private file 0600", Entry{TypeFile, 0o600, 5, fsg}, false, false, 0o060, 0o660, true},
		{"dir 0755", Entry{TypeDir, 0o755, 0, 0}, false, true, 0o2020, 0o2775, true},
		{"dir already walked", Entry{TypeDir, 0o2770, 0, fsg}, false, false, 0, 0o2770, false},
		{"dir 0700 read-only", Entry{TypeDir, 0o700, 0, fsg}, true, false, 0o2050, 0o2750, true},
		{"file read-only 0600", Entry{TypeFile, 0o600, 0, fsg}, true, false, 0o040, 0o640, true},
		{"symlink: group only, never chmod", Entry{TypeSymlink, 0o777, 0, 0}, false, true, 0, 0o777,
			true},
		{"fifo chmodded like a file", Entry{TypeOther, 0o600, 0, fsg}, false, false, 0o060, 0o660,
			true},
		{"setuid and sticky kept", Entry{TypeDir, 0o5700, 0, fsg}, false, false, 0o2070, 0o7770,
			true},
	}
	for _, c := range cases {
		got := WalkChange(c.e, fsg, c.ro)
		if got.Chgrp != c.chgrp || got.AddBits != c.add || got.Mode != c.mode ||
			got.GID != fsg || got.Differs() != c.differs {
			t.Errorf("%s: WalkChange = %+v, want chgrp %v add %04o mode %04o differs %v",
				c.name, got, c.chgrp, c.add, c.mode, c.differs)
		}
	}
}

func TestWalkedRootPassesCheck(t *testing.T) {
	// Whatever a directory looked like, after the walk the root test must pass: that is
	// why OnRootMismatch skips every later mount.
	for _, mode := range []uint32{0, 0o700, 0o755, 0o777, 0o1777, 0o4700} {
		for _, ro := range []bool{false, true} {
			c := WalkChange(Entry{TypeDir, mode, 0, 0}, 7, ro)
			root := Entry{TypeDir, c.Mode, 0, c.GID}
			if m := CheckRoot(root, 7, ro); m != 0 {
				t.Errorf("mode %04o ro %v: walked root fails the test: %v", mode, ro, m)
			}
		}
	}
}

func TestChangeString(t *testing.T) {
	cases := map[string]Change{
		"no change":          {},
		"group →7":           {Chgrp: true, GID: 7},
		"add 0020":           {AddBits: 0o20},
		"group →7; add 2020": {Chgrp: true, GID: 7, AddBits: 0o2020},
	}
	for want, c := range cases {
		if got := c.String(); got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	}
}

func TestPolicy(t *testing.T) {
	for p, valid := range map[Policy]bool{"": true, "Always": true, "OnRootMismatch": true,
		"onrootmismatch": false, "Never": false} {
		if p.Valid() != valid {
			t.Errorf("%q.Valid() = %v", p, !valid)
		}
		if p.SkipsWhenRootMatches() != (p == PolicyOnRootMismatch) {
			t.Errorf("%q.SkipsWhenRootMatches wrong", p)
		}
	}
}

func TestEntryTypeString(t *testing.T) {
	got := TypeFile.String() + TypeDir.String() + TypeSymlink.String() + TypeOther.String()
	if got != "fdlo" {
		t.Errorf("types = %q", got)
	}
}

// root_squash: the kubelet acts as 65534; case15's raft/ (drwx------ 3001:3001) cannot be
// listed, its export root (drwxrwxr-x) can; nothing owned by 3001 can be changed.
func TestSquashedWalk(t *testing.T) {
	cases := []struct {
		e                  Entry
		cannotOpen, change bool
	}{
		{Entry{Type: TypeDir, Mode: 0o700, UID: 3001, GID: 3001}, true, true},
		{Entry{Type: TypeDir, Mode: 0o775, UID: 3001, GID: 3001}, false, true},
		{Entry{Type: TypeDir, Mode: 0o2770, UID: 3001, GID: 3001}, true, false},
		{Entry{Type: TypeFile, Mode: 0o600, UID: 3001, GID: 3001}, false, true},
		{Entry{Type: TypeFile, Mode: 0o660, UID: 3001, GID: 3001}, false, false},
		{Entry{Type: TypeDir, Mode: 0o700, UID: SquashID, GID: 3001}, false, false},
		{Entry{Type: TypeDir, Mode: 0o750, UID: 0, GID: SquashID}, false, true},
		{Entry{Type: TypeFile, Mode: 0o600, UID: SquashID, GID: 3001}, false, false},
		{Entry{Type: TypeFile, Mode: 0o600, UID: SquashID, GID: 0}, false, true},
	}
	for _, c := range cases {
		got := SquashedWalk(c.e, 3001, false)
		if got.CannotOpen != c.cannotOpen || got.CannotChange != c.change {
			t.Errorf("%v %#o %d:%d: %+v, want cannotOpen %v cannotChange %v", c.e.Type,
				c.e.Mode, c.e.UID, c.e.GID, got, c.cannotOpen, c.change)
		}
	}
}
