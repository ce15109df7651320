package volscan

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/startlag/startlag/internal/ownership"
)

// state is what find -printf '%p %G %m %y' shows of an entry.
type state struct {
	GID  uint32
	Mode uint32
	Type ownership.EntryType
}

// snapshot lists every entry of root (root included, as ".") with its group, mode and type.
func snapshot(t testing.TB, root string) map[string]state {
	t.Helper()
	out := map[string]state{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		var ust unix.Stat_t
		ust.Mode, ust.Gid = st.Mode, st.Gid
		e := EntryOf(&ust)
		out[relPath(root, p)] = state{GID: e.GID, Mode: e.Mode, Type: e.Type}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func relPath(root, p string) string {
	if p == root {
		return "."
	}
	rel, _ := filepath.Rel(root, p)
	return "./" + rel
}

// changed returns the sorted paths whose state differs between a and b.
func changed(a, b map[string]state) []string {
	var out []string
	for p, s := range a {
		if b[p] != s {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give entries arbitrary owners and groups")
	}
}

// materialise recreates a find listing's layout in dir: same types, owners, groups, modes.
func materialise(t testing.TB, listing, dir string) {
	t.Helper()
	f, err := os.Open(listing)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ents []ListingEntry
	errs, err := ReadListing(f, listing, func(le ListingEntry) { ents = append(ents, le) })
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	for _, le := range ents {
		if err := create(filepath.Join(dir, le.Path), le.Entry.Type); err != nil {
			t.Fatal(err)
		}
	}
	for _, le := range slices.Backward(ents) {
		p := filepath.Join(dir, le.Path)
		if err := os.Lchown(p, int(le.Entry.UID), int(le.Entry.GID)); err != nil {
			t.Fatal(err)
		}
		if le.Entry.Type != ownership.TypeSymlink {
			if err := unix.Chmod(p, le.Entry.Mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func create(p string, typ ownership.EntryType) error {
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	switch typ {
	case ownership.TypeDir:
		return os.Mkdir(p, 0o755)
	case ownership.TypeSymlink:
		return os.Symlink(".", p)
	case ownership.TypeOther:
		return unix.Mkfifo(p, 0o644)
	}
	return os.WriteFile(p, nil, 0o644)
}

// tmpfsDir mounts a tmpfs on a fresh directory (unmounted at cleanup), or skips.
func tmpfsDir(t testing.TB) string {
	t.Helper()
	needRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64m"); err != nil {
		t.Skip("cannot mount tmpfs:", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// checkPaths runs Check and returns the result and the sorted offender paths.
func checkPaths(t testing.TB, dir string, opt Options) (*Result, []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	opt.OnOffender = func(o Offender) {
		mu.Lock()
		got = append(got, o.Path)
		mu.Unlock()
	}
	res, err := Check(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return res, got
}
