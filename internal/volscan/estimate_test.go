package volscan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// TestEstimateTouchesNothing runs an estimate and expects every entry of the volume to be
// exactly as before (the temporary sample directory removed), with a sampled prediction.
func TestEstimateTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	randomTreeNoRoot(t, dir)
	before := ctimesAll(t, dir)
	est, err := EstimateWalk(context.Background(), dir, EstimateOptions{Samples: 50,
		RestartsPerMonth: 10, Options: Options{FSGroup: int64(os.Getgid())}})
	if err != nil {
		t.Fatal(err)
	}
	if !est.Sampled || est.KubeletPerEntry <= 0 || est.Always <= 0 {
		t.Errorf("estimate not sampled: %+v", est)
	}
	if est.Entries != int64(len(before)) {
		t.Errorf("entries %d, want %d", est.Entries, len(before))
	}
	if want := est.Always.Hours() * 10 * 12; est.HoursPerYear != want {
		t.Errorf("hours per year %v, want %v", est.HoursPerYear, want)
	}
	after := ctimesAll(t, dir)
	for p, c := range before {
		if p != "." && after[p] != c {
			t.Errorf("%s changed: %s -> %s", p, c, after[p])
		}
	}
	for p := range after {
		if strings.Contains(p, ".startlag-estimate") {
			t.Errorf("sample left behind: %s", p)
		}
	}
}

// TestEstimateOnSetgidRoot: a root that passes the OnRootMismatch test has setgid, so the
// sample directory inherits it; the estimate must still time its samples.
func TestEstimateOnSetgidRoot(t *testing.T) {
	dir := t.TempDir()
	randomTreeNoRoot(t, dir)
	if err := unix.Chmod(dir, 0o2775); err != nil {
		t.Fatal(err)
	}
	est, err := EstimateWalk(context.Background(), dir, EstimateOptions{Samples: 20,
		RestartsPerMonth: 10, Options: Options{FSGroup: int64(os.Getgid())}})
	if err != nil {
		t.Fatal(err)
	}
	if !est.Sampled {
		t.Errorf("estimate on a setgid root not sampled: %+v", est)
	}
}

// randomTreeNoRoot builds a small tree any user can build.
func randomTreeNoRoot(t *testing.T, dir string) {
	t.Helper()
	for _, d := range []string{"a", "a/b", "c"} {
		if err := os.Mkdir(dir+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/1", "a/b/2", "c/3", "4"} {
		if err := os.WriteFile(dir+"/"+f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ctimesAll(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, line := range ctimes(t, dir) {
		p, c, _ := strings.Cut(line, " ")
		out[p] = c
	}
	return out
}

// TestEstimateSampleDirSwapRace swaps every .startlag-estimate-* name in the volume root with a
// symlink to an outside directory (RENAME_EXCHANGE), over and over, while estimates run as
// root: nothing may be created or changed outside the volume.
func TestEstimateSampleDirSwapRace(t *testing.T) {
	needRoot(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "victim"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, outside)
	vol := t.TempDir()

	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			names, _ := filepath.Glob(filepath.Join(vol, ".startlag-estimate-*"))
			for _, n := range names {
				link := filepath.Join(vol, fmt.Sprintf("evil%d", i))
				if os.Symlink(outside, link) == nil {
					_ = unix.Renameat2(unix.AT_FDCWD, n, unix.AT_FDCWD, link,
						unix.RENAME_EXCHANGE)
				}
			}
		}
	}()
	for range 50 {
		// An estimate may fail (its directory was swapped away); it must not act outside.
		_, _ = EstimateWalk(context.Background(), vol, EstimateOptions{Samples: 100,
			Options: Options{FSGroup: 0}})
	}
	stop.Store(true)
	<-done
	if got := snapshot(t, outside); !equalStates(want, got) {
		t.Fatalf("the estimate changed entries outside the volume: %v", changed(want, got))
	}
}
