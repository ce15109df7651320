package walk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// collect walks root and returns the sorted relative paths visited and the stats.
func collect(t *testing.T, root string, opt Options) ([]string, Stats) {
	t.Helper()
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var mu sync.Mutex
	var paths []string
	st, err := r.Walk(context.Background(), opt, func(e *Entry) error {
		mu.Lock()
		paths = append(paths, e.Path())
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths, st
}

// osPaths lists root with the standard library, as "./a/b", never following symlinks.
func osPaths(t *testing.T, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			rel, _ := filepath.Rel(root, p)
			paths = append(paths, "./"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	return paths
}

func mustDo(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWalkKinds(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mustDo(t,
		os.MkdirAll(filepath.Join(root, "a/b/c"), 0o755),
		os.WriteFile(filepath.Join(root, "a/file with spaces"), nil, 0o644),
		os.WriteFile(filepath.Join(root, "a/b/c/deep"), nil, 0o644),
		os.WriteFile(filepath.Join(outside, "secret"), nil, 0o600),
		os.Symlink(outside, filepath.Join(root, "link-to-outside")),
		os.Symlink("a", filepath.Join(root, "link-to-a")),
		unix.Mkfifo(filepath.Join(root, "fifo"), 0o644),
		os.WriteFile(filepath.Join(root, "name-\xff\xfe-latin1"), nil, 0o644),
		os.Link(filepath.Join(root, "a/b/c/deep"), filepath.Join(root, "hardlink")),
	)
	sock, err := net_listenUnix(filepath.Join(root, "sock"))
	mustDo(t, err)
	defer sock.Close()

	for _, workers := range []int{1, 8} {
		got, st := collect(t, root, Options{Workers: workers})
		want := osPaths(t, root)
		if !slices.Equal(got, want) {
			t.Errorf("workers=%d: paths\n got %q\nwant %q", workers, got, want)
		}
		if st.Symlinks != 2 || st.Other != 2 || st.Dirs != 3 || st.HardLinks != 2 {
			t.Errorf("workers=%d: stats %+v", workers, st)
		}
		if st.Entries != int64(len(want)) || st.ErrorCount != 0 {
			t.Errorf("workers=%d: entries %d errors %d", workers, st.Entries, st.ErrorCount)
		}
		for _, p := range got {
			if strings.Contains(p, "secret") {
				t.Errorf("followed a symlink out of the root: %s", p)
			}
		}
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{
		"./plain/ü":           "./plain/ü",
		"./a\xffb":            `./a\xffb`,
		"./new\nline":         `./new\x0aline`,
		`./back\slash`:        `./back\\slash`,
		"./tab\tand\xc3":      `./tab\x09and\xc3`,
		"./evil\u202egpj.exe": `./evil\u202egpj.exe`,
		"./c1\u0085x":         `./c1\u0085x`,
		"./isolate\u2066x":    `./isolate\u2066x`,
	}
	for in, want := range cases {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// openFds counts this process's open descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// mkChain creates depth nested directories named "d" below root relative to directory
// descriptors (the full path is far beyond PATH_MAX), each with a file and, when sibling is
// set, an empty sibling directory "s".
func mkChain(t *testing.T, root string, depth int, sibling bool) {
	t.Helper()
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	mustDo(t, err)
	for range depth {
		mustDo(t, unix.Mkdirat(fd, "d", 0o755))
		f, err := unix.Openat(fd, "f", unix.O_CREAT|unix.O_WRONLY, 0o644)
		mustDo(t, err)
		unix.Close(f)
		if sibling {
			mustDo(t, unix.Mkdirat(fd, "s", 0o755))
		}
		next, err := unix.Openat(fd, "d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		mustDo(t, err)
		unix.Close(fd)
		fd = next
	}
	unix.Close(fd)
}

func TestWalkDeepBeyondPathMax(t *testing.T) {
	root := t.TempDir()
	const depth = 10000
	mkChain(t, root, depth, false)
	r, err := Open(root)
	mustDo(t, err)
	defer r.Close()
	before := openFds(t)
	var maxDepth atomic.Int64
	var peakFds atomic.Int64
	st, err := r.Walk(context.Background(), Options{Workers: 4}, func(e *Entry) error {
		if int64(e.Depth) > maxDepth.Load() {
			maxDepth.Store(int64(e.Depth))
		}
		if e.Depth%500 == 0 && e.IsDir() {
			peakFds.Store(max(peakFds.Load(), int64(openFds(t))))
		}
		return nil
	})
	mustDo(t, err)
	if st.Entries != 2*depth || st.ErrorCount != 0 {
		t.Fatalf("entries %d (want %d), errors %v", st.Entries, 2*depth, st.Errors)
	}
	if maxDepth.Load() != depth {
		t.Errorf("max depth %d, want %d", maxDepth.Load(), depth)
	}
	if peak := peakFds.Load(); peak > int64(before+50) {
		t.Errorf("peak open descriptors %d, started with %d", peak, before)
	}
	if after := openFds(t); after != before {
		t.Errorf("descriptors leaked: %d before, %d after", before, after)
	}
}

// TestWalkReopensClosedParents forces descriptor eviction: every level of a deep chain has a
// pending sibling, and only 4 pending-parent descriptors may stay open.
func TestWalkReopensClosedParents(t *testing.T) {
	root := t.TempDir()
	const depth = 300
	mkChain(t, root, depth, true)
	var peak atomic.Int64
	r, err := Open(root)
	mustDo(t, err)
	defer r.Close()
	before := openFds(t)
	st, err := r.Walk(context.Background(), Options{Workers: 3, MaxOpenDirs: 4},
		func(e *Entry) error {
			if e.Depth%20 == 0 {
				peak.Store(max(peak.Load(), int64(openFds(t))))
			}
			return nil
		})
	mustDo(t, err)
	if st.Entries != 3*depth || st.ErrorCount != 0 {
		t.Fatalf("entries %d (want %d), errors %v", st.Entries, 3*depth, st.Errors)
	}
	if p := peak.Load(); p > int64(before+4+3*4+10) {
		t.Errorf("peak open descriptors %d with MaxOpenDirs 4 (started with %d)", p, before)
	}
	if after := openFds(t); after != before {
		t.Errorf("descriptors leaked: %d before, %d after", before, after)
	}
}

func TestWalkVanishingEntries(t *testing.T) {
	root := t.TempDir()
	for i := range 50 {
		mustDo(t, os.WriteFile(filepath.Join(root, "f"+string(rune('a'+i%26))+
			string(rune('a'+i/26))), nil, 0o644))
	}
	mustDo(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	r, err := Open(root)
	mustDo(t, err)
	defer r.Close()
	removed := false
	st, err := r.Walk(context.Background(), Options{Workers: 1}, func(e *Entry) error {
		if removed {
			return nil
		}
		removed = true
		// Remove every other name of the directory being listed, including the subdirectory
		// (after it was listed, before it is opened).
		ents, _ := os.ReadDir(root)
		for _, d := range ents {
			if d.Name() != e.Name() {
				flags := 0
				if d.IsDir() {
					flags = unix.AT_REMOVEDIR
				}
				_ = unix.Unlinkat(e.DirFd, d.Name(), flags)
			}
		}
		return nil
	})
	mustDo(t, err)
	if st.ErrorCount != 0 {
		t.Errorf("vanished entries reported as errors: %v", st.Errors)
	}
	if st.Vanished+st.Entries != 51 || st.Vanished == 0 {
		t.Errorf("vanished %d + visited %d, want 51 in all", st.Vanished, st.Entries)
	}
}

func TestWalkCancel(t *testing.T) {
	root := t.TempDir()
	mkChain(t, root, 200, true)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(root)
	mustDo(t, err)
	defer r.Close()
	before := openFds(t)
	n := 0
	_, err = r.Walk(ctx, Options{Workers: 1}, func(e *Entry) error {
		if n++; n == 50 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if after := openFds(t); after != before {
		t.Errorf("descriptors leaked after cancel: %d before, %d after", before, after)
	}
}

func TestWalkSkipDirAndVisitorError(t *testing.T) {
	root := t.TempDir()
	mustDo(t, os.MkdirAll(filepath.Join(root, "skip/inner"), 0o755),
		os.MkdirAll(filepath.Join(root, "keep/inner"), 0o755))
	r, err := Open(root)
	mustDo(t, err)
	defer r.Close()
	var mu sync.Mutex
	var seen []string
	_, err = r.Walk(context.Background(), Options{}, func(e *Entry) error {
		mu.Lock()
		seen = append(seen, e.Path())
		mu.Unlock()
		if e.Name() == "skip" {
			return SkipDir
		}
		return nil
	})
	mustDo(t, err)
	if slices.Contains(seen, "./skip/inner") || !slices.Contains(seen, "./keep/inner") {
		t.Errorf("SkipDir not honoured: %v", seen)
	}

	boom := errors.New("boom")
	_, err = r.Walk(context.Background(), Options{}, func(e *Entry) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("visitor error not returned: %v", err)
	}
}

// TestWalkPermissionDenied needs a directory the walker cannot open: run as a non-root user,
// or, as root, in a child process with the credentials of nobody.
func TestWalkPermissionDenied(t *testing.T) {
	if os.Getenv("WALK_EACCES_ROOT") != "" {
		eaccesChild(t, os.Getenv("WALK_EACCES_ROOT"))
		return
	}
	root := t.TempDir()
	mustDo(t, os.MkdirAll(filepath.Join(root, "open/x"), 0o755),
		os.MkdirAll(filepath.Join(root, "closed/y"), 0o755),
		os.Chmod(filepath.Join(root, "closed"), 0o700))
	if os.Geteuid() != 0 {
		eaccesChild(t, root)
		return
	}
	// Let nobody reach the tree and the test binary: open up the test's own directories
	// (below the temporary directory, which is left alone), keeping their other mode bits.
	top := filepath.Clean(os.TempDir())
	for p := root; p != top && p != "/" && p != "."; p = filepath.Dir(p) {
		var st unix.Stat_t
		mustDo(t, unix.Stat(p, &st))
		mustDo(t, unix.Chmod(p, st.Mode&0o7777|0o055))
	}
	var tmp unix.Stat_t
	mustDo(t, unix.Stat(top, &tmp))
	if tmp.Mode&0o005 != 0o005 {
		t.Skipf("%s is not searchable by other users", top)
	}
	bin := filepath.Join(root, "..", "walk.test")
	exe, err := os.Executable()
	mustDo(t, err)
	data, err := os.ReadFile(exe)
	mustDo(t, err)
	mustDo(t, os.WriteFile(bin, data, 0o755))
	defer os.Remove(bin)

	cmd := execCommand(bin, "-test.run=^TestWalkPermissionDenied$", "-test.v")
	cmd.Env = append(os.Environ(), "WALK_EACCES_ROOT="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534,
		Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "EACCES-OK") {
		t.Fatalf("child did not check EACCES:\n%s", out)
	}
}

func eaccesChild(t *testing.T, root string) {
	paths, st := collect(t, root, Options{})
	if st.ErrorCount != 1 || !errors.Is(st.Errors[0].Err, unix.EACCES) ||
		st.Errors[0].Path != "./closed" {
		t.Fatalf("want one EACCES on ./closed, got %v", st.Errors)
	}
	if !slices.Contains(paths, "./open/x") {
		t.Fatalf("walk stopped at the error: %v", paths)
	}
	t.Log("EACCES-OK")
}

func TestWalkMountPoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting tmpfs needs root")
	}
	root := t.TempDir()
	mnt := filepath.Join(root, "mnt")
	mustDo(t, os.Mkdir(mnt, 0o755))
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Skip("cannot mount tmpfs:", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	mustDo(t, os.WriteFile(filepath.Join(mnt, "inside"), nil, 0o644))

	paths, st := collect(t, root, Options{})
	if st.MountPointCount != 1 || st.MountPoints[0] != "./mnt" {
		t.Errorf("mount points %v", st.MountPoints)
	}
	if !slices.Contains(paths, "./mnt/inside") {
		t.Errorf("did not walk into the mount like the kubelet: %v", paths)
	}
	paths, _ = collect(t, root, Options{OneFileSystem: true})
	if slices.Contains(paths, "./mnt/inside") || !slices.Contains(paths, "./mnt") {
		t.Errorf("--one-file-system: %v", paths)
	}
}
