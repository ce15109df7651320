package slowfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/volscan"
	"github.com/startlag/startlag/internal/volscan/treegen"
	"github.com/startlag/startlag/internal/walk"
)

// benchEntries is the tree size for the walk benchmarks: STARTLAG_SLOWFS_ENTRIES, default
// about 2,000 (a serial kubelet-style walk costs about 6 ms per entry at 1 ms latency).
func benchEntries(b *testing.B) int {
	b.Helper()

	if s := os.Getenv("STARTLAG_SLOWFS_ENTRIES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 25 {
			b.Fatalf("STARTLAG_SLOWFS_ENTRIES=%q: want a number >= 25", s)
		}
		return n
	}

	return 2000
}

// benchTree builds a Terraform-automation-shaped tree of n entries once per benchmark.
func benchTree(b *testing.B, n int) string {
	b.Helper()

	root := filepath.Join(b.TempDir(), "vol")
	if err := treegen.Generate(root, n, 1); err != nil {
		b.Fatal(err)
	}

	return root
}

// BenchmarkWalks compares, on the same tree, the kubelet's Always walk (volscan's reference
// model), startlag's repair with 1 and 8 workers (0% and 1% differing are the same cost here:
// the tree already matches after the first kubelet walk), on local disk and through slowfs
// at 1 ms per metadata request. Run with -benchtime 1x: one iteration is one full walk.
func BenchmarkWalks(b *testing.B) {
	n := benchEntries(b)
	backing := benchTree(b, n)
	const gid = 4242

	// Make the tree match first, so every variant sees the same (matching) state.
	if _, err := volscan.KubeletAlways(backing, gid, false); err != nil {
		b.Fatal(err)
	}

	for _, storage := range []string{"local", "slowfs-1ms"} {
		b.Run(storage, func(b *testing.B) {
			root := backing
			if storage != "local" {
				root = mountBench(b, filepath.Dir(backing), DefaultOptions())
				root = filepath.Join(root, "vol")
			}
			benchVariants(b, root, n, gid)
		})
	}
}

func benchVariants(b *testing.B, root string, n int, gid int64) {
	b.Run("kubelet-always", func(b *testing.B) {
		for b.Loop() {
			if _, err := volscan.KubeletAlways(root, gid, false); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, n)
	})
	for _, j := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("repair-j%d", j), func(b *testing.B) {
			opt := volscan.RepairOptions{Options: volscan.Options{
				FSGroup: gid, Walk: walk.Options{Workers: j},
			}}
			for b.Loop() {
				if _, err := volscan.Repair(context.Background(), root, opt); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, n)
		})
	}
}

func reportRate(b *testing.B, n int) {
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(n)/per.Seconds(), "entries/s")
}

func mountBench(b *testing.B, backing string, opts Options) string {
	b.Helper()

	if os.Geteuid() != 0 || Available() != nil {
		b.Skip("needs root and /dev/fuse")
	}
	mnt := b.TempDir()
	unmount, err := Mount(context.Background(), backing, mnt, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := unmount(); err != nil {
			b.Error(err)
		}
	})

	return mnt
}
