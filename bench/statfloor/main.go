// Command statfloor measures the syscall floor of a volume check: the time to fstatat every
// entry of a tree relative to its directory's fd, with no walker around it. It first lists the
// tree (untimed), then times only the calls a check cannot avoid besides getdents: one openat
// per directory and one fstatat per entry, spread over -j goroutines. With -cold it drops the
// kernel's caches between the two steps, so the timed stats read inodes and directory blocks
// from the device as a cold check does.
//
// No check can stat every entry faster than this, so `startlag scan` time divided by this time
// says how far the walker is from the floor (it also pays for getdents and its own work).
//
//	statfloor [-j N] [-cold] DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// dir is a directory, by its path relative to the root, and the names of its entries.
type dir struct {
	path  string
	names []string
}

const openDir = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

func main() {
	workers := flag.Int("j", 8, "goroutines issuing fstatat")
	cold := flag.Bool("cold", false, "drop the kernel caches after listing (root)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: statfloor [-j N] [-cold] DIR")
		os.Exit(2)
	}

	rootFD, dirs, entries, err := list(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "statfloor:", err)
		os.Exit(2)
	}
	if *cold {
		if err := dropCaches(); err != nil {
			fmt.Fprintln(os.Stderr, "statfloor:", err)
			os.Exit(2)
		}
	}

	start := time.Now()
	failed := statAll(rootFD, dirs, *workers)
	d := time.Since(start)
	fmt.Printf("%d entries in %d directories: fstatat in %.3f s (%.0f entries/s, j=%d, %d errors)\n",
		entries, len(dirs), d.Seconds(), float64(entries)/d.Seconds(), *workers, failed)
}

// list reads the names of every directory below root (root included), breadth first, and
// returns an fd of root. Directories are recognised by the d_type that getdents reports, as a
// walker does.
func list(root string) (int, []dir, int, error) {
	rootFD, err := unix.Open(root, openDir, 0)
	if err != nil {
		return -1, nil, 0, fmt.Errorf("open %s: %w", root, err)
	}
	dirs := []dir{{path: "."}}
	entries := 1
	for i := 0; i < len(dirs); i++ {
		names, sub, err := readDirAt(rootFD, dirs[i].path)
		if err != nil {
			return -1, nil, 0, err
		}
		dirs[i].names = names
		entries += len(names)
		for _, name := range sub {
			dirs = append(dirs, dir{path: dirs[i].path + "/" + name})
		}
	}
	return rootFD, dirs, entries, nil
}

// readDirAt lists directory path below rootFD.
func readDirAt(rootFD int, path string) (names, sub []string, err error) {
	fd, err := unix.Openat(rootFD, path, openDir, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)
	names, sub, err = readDir(fd)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return names, sub, nil
}

// readDir returns the names in directory fd and, among them, the subdirectories.
func readDir(fd int) (names, sub []string, err error) {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, nil, fmt.Errorf("getdents: %w", err)
		}
		if n <= 0 {
			return names, sub, nil
		}
		for off := 0; off < n; {
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			typ := buf[off+18]
			name := cString(buf[off+19 : off+reclen])
			off += reclen
			if name == "." || name == ".." {
				continue
			}
			names = append(names, name)
			if typ == unix.DT_DIR {
				sub = append(sub, name)
			}
		}
	}
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// statAll opens each listed directory below rootFD and fstatats its names, with the given
// number of goroutines, one directory at a time per goroutine. It returns the number of failed
// calls.
func statAll(rootFD int, dirs []dir, workers int) int64 {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			var st unix.Stat_t
			for {
				i := int(next.Add(1)) - 1
				if i >= len(dirs) {
					return
				}
				fd, err := unix.Openat(rootFD, dirs[i].path, openDir, 0)
				if err != nil {
					failed.Add(1)
					continue
				}
				for _, name := range dirs[i].names {
					if unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
						failed.Add(1)
					}
				}
				unix.Close(fd)
			}
		})
	}
	wg.Wait()
	return failed.Load()
}

func dropCaches() error {
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0); err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	return nil
}
