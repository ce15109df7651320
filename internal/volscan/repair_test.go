package volscan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/startlag/startlag/internal/volscan/treegen"
)

// randomTree builds the same mixed tree for a seed: files, directories, symlinks, fifos and
// hard links with assorted groups and modes, set-id bits included.
func randomTree(t testing.TB, root string, seed uint64, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	dirs := []string{root}
	var files []string
	gids := []int{0, 1000, 3000, 3000, 3000}
	modes := []uint32{0o644, 0o600, 0o664, 0o660, 0o444, 0o4755, 0o2755, 0o6775, 0o1777}
	for i := range n {
		parent := dirs[rng.IntN(len(dirs))]
		p := filepath.Join(parent, fmt.Sprintf("e%d", i))
		var err error
		switch k := rng.IntN(20); {
		case k < 4:
			err = os.Mkdir(p, 0o755)
			dirs = append(dirs, p)
		case k == 4:
			err = os.Symlink("../"+fmt.Sprintf("e%d", rng.IntN(i+1)), p)
		case k == 5:
			err = unix.Mkfifo(p, 0o640)
		case k == 6 && len(files) > 0:
			err = os.Link(files[rng.IntN(len(files))], p)
		default:
			err = os.WriteFile(p, nil, 0o644)
			files = append(files, p)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, -1, gids[rng.IntN(len(gids))]); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink == 0 {
			m := modes[rng.IntN(len(modes))]
			if fi.IsDir() {
				m = []uint32{0o755, 0o700, 0o2775, 0o2770, 0o3777}[rng.IntN(5)]
			}
			if err := unix.Chmod(p, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := unix.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestRepairMatchesKubelet applies the serial kubelet model to copy A and Repair to copy B of
// the same tree and expects identical end states; the check's offenders must be exactly the
// entries the kubelet's walk changed.
func TestRepairMatchesKubelet(t *testing.T) {
	needRoot(t)
	for _, ro := range []bool{false, true} {
		t.Run(fmt.Sprintf("readOnly=%v", ro), func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			randomTree(t, a, 42, 3000)
			randomTree(t, b, 42, 3000)
			before := snapshot(t, a)
			if !equalStates(before, snapshot(t, b)) {
				t.Fatal("the two copies differ before the test")
			}
			opt := Options{FSGroup: 3000, ReadOnly: ro}
			_, offenders := checkPaths(t, a, opt)

			if errs, err := KubeletAlways(a, 3000, ro); err != nil || len(errs) > 0 {
				t.Fatal(err, errs)
			}
			rr, err := Repair(context.Background(), b, RepairOptions{Options: opt})
			if err != nil || rr.Failed > 0 || !rr.RootRepaired {
				t.Fatalf("repair: %v, %d failed %v, root %v %s", err, rr.Failed, rr.Failures,
					rr.RootRepaired, rr.RootSkipped)
			}
			afterA, afterB := snapshot(t, a), snapshot(t, b)
			if diff := changed(afterA, afterB); len(diff) > 0 {
				t.Errorf("kubelet and repair end states differ at %d entries, e.g. %s: %+v vs %+v",
					len(diff), diff[0], afterA[diff[0]], afterB[diff[0]])
			}
			if kub := changed(before, afterA); !slices.Equal(offenders, kub) {
				t.Errorf("check found %d offenders, the kubelet changed %d entries",
					len(offenders), len(kub))
			}
			res, again := checkPaths(t, b, opt)
			if res.Verdict != VerdictSafe || len(again) > 0 {
				t.Errorf("after repair: verdict %s, offenders %q", res.Verdict, again)
			}
		})
	}
}

func equalStates(a, b map[string]state) bool {
	return len(a) == len(b) && len(changed(a, b)) == 0
}

// TestRepairIdempotent reruns a repair on a repaired volume: nothing to do, nothing written.
func TestRepairIdempotent(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	randomTree(t, dir, 7, 500)
	opt := RepairOptions{Options: Options{FSGroup: 3000}}
	if _, err := Repair(context.Background(), dir, opt); err != nil {
		t.Fatal(err)
	}
	before := ctimes(t, dir)
	rr, err := Repair(context.Background(), dir, opt)
	if err != nil || rr.Chgrp != 0 || rr.Chmod != 0 || rr.Verdict != VerdictSafe {
		t.Fatalf("second repair: %v chgrp %d chmod %d verdict %s", err, rr.Chgrp, rr.Chmod,
			rr.Verdict)
	}
	if after := ctimes(t, dir); !slices.Equal(before, after) {
		t.Error("a repair of a consistent volume changed inode ctimes")
	}
}

func ctimes(t *testing.T, dir string) []string {
	var out []string
	for p := range snapshot(t, dir) {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(dir, p), &st); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d.%d", p, st.Ctim.Sec, st.Ctim.Nsec))
	}
	slices.Sort(out)
	return out
}

// TestRepairInterruptedLeavesRoot cancels a rate-limited repair midway: the root must still
// fail the OnRootMismatch test so the kubelet keeps walking; a rerun completes the job.
func TestRepairInterruptedLeavesRoot(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	randomTree(t, dir, 9, 400)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	opt := RepairOptions{Options: Options{FSGroup: 3000}, MaxOpsPerSecond: 200}
	rr, err := Repair(ctx, dir, opt)
	if err == nil {
		t.Fatal("repair was not interrupted; make the tree larger")
	}
	if rr.RootRepaired || snapshot(t, dir)["."].GID == 3000 {
		t.Fatal("interrupted repair changed the root")
	}
	rr, err = Repair(context.Background(), dir, RepairOptions{Options: Options{FSGroup: 3000}})
	if err != nil || !rr.RootRepaired {
		t.Fatalf("rerun: %v root %v", err, rr.RootRepaired)
	}
	if res, got := checkPaths(t, dir, Options{FSGroup: 3000}); res.Verdict != VerdictSafe {
		t.Errorf("after rerun: %s %q", res.Verdict, got)
	}
}

// TestRepairSymlinkSwapRace replaces a subdirectory with a symlink to an outside directory,
// over and over, while repair runs as root: nothing outside the volume may change.
func TestRepairSymlinkSwapRace(t *testing.T) {
	needRoot(t)
	outside := t.TempDir()
	for i := range 200 {
		p := filepath.Join(outside, fmt.Sprintf("victim%d", i))
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(outside, "victimdir"), 0o700); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, outside)

	vol := t.TempDir()
	sub := filepath.Join(vol, "sub")
	fill := func(dir string) {
		_ = os.Mkdir(dir, 0o700)
		for i := range 200 {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("victim%d", i)), nil, 0o600)
		}
		_ = os.Mkdir(filepath.Join(dir, "victimdir"), 0o700)
	}
	fill(sub)

	var stop atomic.Bool
	var pause sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		aside := filepath.Join(vol, "aside")
		for !stop.Load() {
			pause.Lock()
			_ = os.Rename(sub, aside)
			_ = os.Symlink(outside, sub)
			time.Sleep(50 * time.Microsecond)
			_ = os.Remove(sub)
			_ = os.Rename(aside, sub)
			if _, err := os.Lstat(sub); err != nil {
				fill(sub)
			}
			pause.Unlock()
		}
	}()
	for range 200 {
		opt := RepairOptions{Options: Options{FSGroup: 3000}}
		if _, err := Repair(context.Background(), vol, opt); err != nil {
			t.Fatal(err)
		}
		// Undo the repair inside the volume so the next round has work again (with the
		// swapper paused: this undo follows paths, the repair does not).
		pause.Lock()
		_ = filepath.WalkDir(vol, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSymlink == 0 {
				_ = os.Lchown(p, -1, 0)
				_ = os.Chmod(p, 0o700)
			}
			return nil
		})
		pause.Unlock()
	}
	stop.Store(true)
	<-done
	if got := snapshot(t, outside); !equalStates(want, got) {
		t.Fatalf("repair changed entries outside the volume: %v", changed(want, got))
	}
}

func TestTreegenConsistent(t *testing.T) {
	dir := t.TempDir()
	if err := treegen.Generate(dir, 3000, 1); err != nil {
		t.Fatal(err)
	}
	gid, err := RootGID(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, got := checkPaths(t, dir, Options{FSGroup: gid})
	if res.Entries != 3001 || res.Verdict != VerdictSafe {
		t.Errorf("entries %d verdict %s offenders %q", res.Entries, res.Verdict, got)
	}
	if res.Walk.Dirs < 200 || res.Walk.Files < 2000 {
		t.Errorf("layout lacks directories or files: %+v", res.Walk)
	}
}

// A low --max-ops-per-second still repairs an entry that needs both a chgrp and a chmod
// (two operations taken at once).
func TestRepairSlowRateBothChanges(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	opt := RepairOptions{Options: Options{FSGroup: 3000}, MaxOpsPerSecond: 5}
	rr, err := Repair(context.Background(), dir, opt)
	if err != nil || rr.Chgrp != 2 || rr.Chmod != 2 || !rr.RootRepaired {
		t.Fatalf("repair at 5 ops/s: %v, %d chgrp, %d chmod, root %v", err, rr.Chgrp, rr.Chmod,
			rr.RootRepaired)
	}
}

// A file hard-linked into the volume is changed like the kubelet changes it, and counted.
func TestRepairCountsHardLinks(t *testing.T) {
	needRoot(t)
	vol, elsewhere := t.TempDir(), t.TempDir()
	outside := filepath.Join(elsewhere, "secret")
	if err := os.WriteFile(outside, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(vol, "innocent")); err != nil {
		t.Skip("no hard link across these temporary directories:", err)
	}
	rr, err := Repair(context.Background(), vol, RepairOptions{Options: Options{FSGroup: 3000}})
	if err != nil || rr.HardLinked != 1 {
		t.Fatalf("repair: %v, %d hard-linked files changed, want 1", err, rr.HardLinked)
	}
}

// TestRepairHardLinkFailedIsNotCounted: a hard-linked file whose change fails (immutable)
// is a failure, not a changed hard-linked file.
func TestRepairHardLinkFailedIsNotCounted(t *testing.T) {
	needRoot(t)
	vol := t.TempDir()
	file := filepath.Join(vol, "a")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(file, filepath.Join(vol, "b")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", file).CombinedOutput(); err != nil {
		t.Skipf("chattr +i not supported here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", file).Run() })

	rr, err := Repair(context.Background(), vol, RepairOptions{Options: Options{FSGroup: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	if rr.HardLinked != 0 || rr.Failed != 2 {
		t.Errorf("%d hard-linked files counted as changed, %d failures; want 0 and 2",
			rr.HardLinked, rr.Failed)
	}
}
