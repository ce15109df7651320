package slowfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mountForTest mounts backing (a fresh temporary tree if empty) and unmounts at cleanup.
func mountForTest(t *testing.T, backing string, opts Options) string {
	t.Helper()

	if os.Geteuid() != 0 {
		t.Skip("slowfs tests mount FUSE and need root")
	}
	if err := Available(); err != nil {
		t.Skipf("no FUSE here: %v", err)
	}

	mnt := t.TempDir()
	unmount, err := Mount(context.Background(), backing, mnt, opts)
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := unmount(); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})

	return mnt
}

// makeTree creates dirs directories of files files each under root; returns the entry count
// (directories and files, root excluded).
func makeTree(t testing.TB, root string, dirs, files int) int {
	t.Helper()

	n := 0
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		n++
		for f := range files {
			p := filepath.Join(dir, fmt.Sprintf("f%03d", f))
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}

	return n
}

func TestStatTakesAtLeastLatency(t *testing.T) {
	backing := t.TempDir()
	makeTree(t, backing, 1, 1)

	opts := NoCacheOptions()
	opts.Latency = 20 * time.Millisecond
	mnt := mountForTest(t, backing, opts)

	p := filepath.Join(mnt, "d000", "f000")
	start := time.Now()
	if _, err := os.Lstat(p); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < opts.Latency {
		t.Errorf("lstat took %v, want at least the %v latency", took, opts.Latency)
	}
}

func TestChownChmodReachBacking(t *testing.T) {
	backing := t.TempDir()
	makeTree(t, backing, 1, 1)

	opts := DefaultOptions()
	counts := new(Counts)
	opts.Counts = counts
	opts.Debug = os.Getenv("SLOWFS_DEBUG") != ""
	mnt := mountForTest(t, backing, opts)

	p := filepath.Join(mnt, "d000", "f000")
	before := counts.Get(OpSetattr)
	if err := os.Lchown(p, -1, 4242); err != nil {
		t.Fatalf("lchown through slowfs: %v", err)
	}
	if err := unix.Chmod(p, 0o2670); err != nil {
		t.Fatalf("chmod through slowfs: %v", err)
	}

	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(backing, "d000", "f000"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Gid != 4242 || st.Mode&0o7777 != 0o2670 {
		t.Errorf("backing file gid %d mode %o, want 4242 2670", st.Gid, st.Mode&0o7777)
	}
	if got := counts.Get(OpSetattr) - before; got != 2 {
		t.Errorf("setattr requests = %d, want 2 (one chown, one chmod)", got)
	}
}

func TestUncachedWalkCostsLatencyPerEntry(t *testing.T) {
	backing := t.TempDir()
	n := makeTree(t, backing, 4, 24)

	opts := NoCacheOptions()
	opts.Latency = 2 * time.Millisecond
	mnt := mountForTest(t, backing, opts)

	start := time.Now()
	seen := 0
	err := filepath.WalkDir(mnt, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == mnt {
			return err
		}
		seen++
		_, err = os.Lstat(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	took := time.Since(start)
	if seen != n {
		t.Fatalf("walk saw %d entries, want %d", seen, n)
	}
	if min := time.Duration(n) * opts.Latency; took < min {
		t.Errorf("walking %d entries took %v, want at least %v", n, took, min)
	}
}

func TestUnmountOnCancel(t *testing.T) {
	if os.Geteuid() != 0 || Available() != nil {
		t.Skip("needs root and /dev/fuse")
	}
	backing, mnt := t.TempDir(), t.TempDir()
	makeTree(t, backing, 1, 1)

	ctx, cancel := context.WithCancel(context.Background())
	unmount, err := Mount(ctx, backing, mnt, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	cancel()

	deadline := time.Now().Add(5 * time.Second)
	for isMounted(t, mnt) {
		if time.Now().After(deadline) {
			_ = unmount()
			t.Fatal("still mounted 5 s after the context was cancelled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := unmount(); err != nil {
		t.Errorf("second unmount: %v", err)
	}
}

func TestMountRejectsMissingDirs(t *testing.T) {
	_, err := Mount(context.Background(), "/nonexistent/backing", t.TempDir(), DefaultOptions())
	if err == nil {
		t.Fatal("Mount of a missing backing directory succeeded")
	}
}

func isMounted(t *testing.T, dir string) bool {
	t.Helper()

	var a, b unix.Stat_t
	if err := unix.Stat(dir, &a); err != nil {
		return false
	}
	if err := unix.Stat(filepath.Dir(dir), &b); err != nil {
		t.Fatal(err)
	}

	return a.Dev != b.Dev
}

// kubeletStyleWalk does what the kubelet's Always walk does per entry: full-path Lstat, Lchown
// and Chmod, children before their directory.
func kubeletStyleWalk(t *testing.T, dir string, gid int) {
	t.Helper()

	names, err := readNames(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			kubeletStyleWalk(t, p, gid)
		}
	}

	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.Lchown(p, -1, gid); err != nil {
			t.Fatal(err)
		}
		if err := unix.Chmod(p, 0o2770); err != nil {
			t.Fatal(err)
		}
	}
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	return f.Readdirnames(-1)
}

// dirfdCheck stats every entry relative to its directory's descriptor, as startlag's walker
// does.
func dirfdCheck(t *testing.T, dir string) {
	t.Helper()

	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	names, err := readNames(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			dirfdCheck(t, filepath.Join(dir, name))
		}
	}
}

// TestRequestsPerEntry records which requests reach the file system per entry for the two
// walk styles under three cache settings, each on a fresh mount (run with -v to see them).
// The kernel, not slowfs, decides this; the assertions pin what the model's documentation
// relies on.
func TestRequestsPerEntry(t *testing.T) {
	cached := DefaultOptions()
	cached.AttrTimeout = time.Second
	settings := []struct {
		name string
		opts Options
	}{
		{"default", DefaultOptions()},
		{"nocache", NoCacheOptions()},
		{"attrcache", cached},
	}

	for _, set := range settings {
		t.Run(set.name+"/check", func(t *testing.T) {
			n, counts, mnt := countingMount(t, set.opts)
			dirfdCheck(t, mnt)
			t.Logf("stat-only check, %d entries: %s", n, counts)

			if got := counts.Get(OpGetattr) + counts.Get(OpLookup); got < int64(n) {
				t.Errorf("lookup+getattr = %d, want at least one per entry (%d)", got, n)
			}
		})
		t.Run(set.name+"/kubelet", func(t *testing.T) {
			n, counts, mnt := countingMount(t, set.opts)
			kubeletStyleWalk(t, mnt, 4242)
			t.Logf("kubelet-style walk, %d entries: %s", n, counts)

			if got, want := counts.Get(OpSetattr), int64(2*n); got != want {
				t.Errorf("setattr = %d, want %d (one chown and one chmod per entry)", got, want)
			}
		})
	}
}

// countingMount mounts a fresh 200-entry tree without latency, one level below the mount
// point like a kubelet pod volume path; returns the entry count, the counters and the path.
func countingMount(t *testing.T, opts Options) (int, *Counts, string) {
	t.Helper()

	backing := t.TempDir()
	if err := os.Mkdir(filepath.Join(backing, "vol"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := makeTree(t, filepath.Join(backing, "vol"), 8, 24)

	opts.Latency = 0
	opts.Counts = new(Counts)
	mnt := mountForTest(t, backing, opts)
	vol := filepath.Join(mnt, "vol")
	if _, err := os.Stat(vol); err != nil {
		t.Fatal(err)
	}
	*opts.Counts = Counts{}

	return n, opts.Counts, vol
}
