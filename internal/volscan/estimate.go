package volscan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// EstimateOptions configure an estimate.
type EstimateOptions struct {
	Options
	// Samples is the number of temporary files the kubelet's per-entry work is timed on
	// (default 500).
	Samples int
	// RestartsPerMonth is how often pods using the volume start (default 30).
	RestartsPerMonth float64
}

// Estimate predicts what the kubelet's Always walk costs on this volume.
type Estimate struct {
	*Result
	// UsedInodes is statfs's used-inode count when the volume is a whole file system (a
	// cross-check of Entries), else zero.
	UsedInodes uint64
	// KubeletPerEntry is the measured cost of the kubelet's work for one entry (lstat,
	// lchown, chmod with full paths, readdir share), on temporary files in the volume.
	KubeletPerEntry time.Duration
	// Sampled is false when no temporary file could be created (read-only volume); then
	// KubeletPerEntry is the stat cost of our walk plus ModelChownChmod.
	Sampled     bool
	SampleNote  string
	SampleFiles int
	// Always is the predicted walk time per mount with policy unset or Always.
	Always time.Duration
	// OnRootMismatch is the measured cost of the one stat the kubelet does with that policy
	// when the root matches.
	OnRootMismatch   time.Duration
	RestartsPerMonth float64
	// HoursPerYear is Always × restarts per month × 12, in hours of pod start-up delay.
	HoursPerYear float64
}

// ModelChownChmod is the cost of one no-op lchown plus chmod measured on a loop-backed ext4
// and tmpfs (about 4.5–5 µs together), used when the volume cannot hold temporary files.
const ModelChownChmod = 4800 * time.Nanosecond

// EstimateWalk checks the volume at path (the walk gives the entry count and the check) and
// times the kubelet's per-entry work, then predicts the Always walk.
//
// What it touches: a temporary directory named .startlag-estimate-* is created in the
// volume root with Samples empty files, walked by the kubelet model (lchown to the files'
// own group, chmod adding the kubelet's bits), and removed. Nothing else in the volume is
// changed; the root's mtime and ctime change because an entry is created and removed in
// it. Figures are warm-cache: the temporary files are fresh in memory, so a restart on a new
// node (cold cache) is slower.
func EstimateWalk(ctx context.Context, path string, opt EstimateOptions) (*Estimate, error) {
	if opt.Samples <= 0 {
		opt.Samples = 500
	}
	if opt.RestartsPerMonth <= 0 {
		opt.RestartsPerMonth = 30
	}
	res, err := Check(ctx, path, opt.Options)
	if err != nil {
		return nil, err
	}
	est := &Estimate{Result: res, RestartsPerMonth: opt.RestartsPerMonth}
	est.OnRootMismatch = timeRootStat(path)
	est.UsedInodes, _ = FileSystemEntries(path)

	per, err := sampleKubelet(path, opt.Samples)
	if err != nil {
		est.SampleNote = fmt.Sprintf("could not time on temporary files (%v); "+
			"using this walk's stat cost plus %v for lchown and chmod", err, ModelChownChmod)
		per = statPerEntry(res) + ModelChownChmod
	} else {
		est.Sampled, est.SampleFiles = true, opt.Samples
	}
	est.KubeletPerEntry = per
	est.Always = time.Duration(res.Entries) * per
	est.HoursPerYear = est.Always.Hours() * opt.RestartsPerMonth * 12
	return est, nil
}

// statPerEntry is the serial-equivalent stat cost, from this walk's elapsed time.
func statPerEntry(res *Result) time.Duration {
	if res.Entries == 0 {
		return 0
	}
	return res.Elapsed / time.Duration(res.Entries)
}

// timeRootStat measures the single stat OnRootMismatch does (median of 5).
func timeRootStat(path string) time.Duration {
	var times []time.Duration
	var st unix.Stat_t
	for range 5 {
		t := time.Now()
		_ = unix.Stat(path, &st)
		times = append(times, time.Since(t))
	}
	slices.Sort(times)
	return times[len(times)/2]
}

// FileSystemEntries returns statfs's used-inode count of the file system whose root is path,
// which is about the number of entries a walk of path visits. ok is false (and the count
// zero) when path is not the root of its file system, so the count would not describe it.
func FileSystemEntries(path string) (n uint64, ok bool) {
	var st, parent unix.Stat_t
	if unix.Stat(path, &st) != nil || unix.Stat(filepath.Join(path, ".."), &parent) != nil {
		return 0, false
	}
	if st.Dev == parent.Dev && st.Ino != parent.Ino {
		return 0, false
	}
	var sf unix.Statfs_t
	if unix.Statfs(path, &sf) != nil || sf.Files < sf.Ffree {
		return 0, false
	}
	return sf.Files - sf.Ffree, true
}

// sampleKubelet creates n files in a temporary directory inside the volume, runs the kubelet
// model over it three times and returns the median time per entry. The directory is removed.
//
// The volume is writable by its workloads, so every step stays inside the directory created
// here: it is made relative to the root's descriptor, opened with O_NOFOLLOW and checked to be
// ours (an empty directory of mode 0700 owned by this process's user, which no other user can
// change), its files are created relative to its descriptor, and the kubelet model reaches
// them through /proc/self/fd, which resolves to that open directory whatever is renamed in
// the volume meanwhile.
func sampleKubelet(volume string, n int) (time.Duration, error) {
	dir, err := openSampleDir(volume)
	if err != nil {
		return 0, err
	}
	defer dir.remove()

	for i := range n {
		fd, err := unix.Openat(dir.fd, "f"+strconv.Itoa(i),
			unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return 0, fmt.Errorf("creating a sample file in %s: %w", volume, err)
		}
		unix.Close(fd)
		dir.files++
	}
	via := fmt.Sprintf("/proc/self/fd/%d/", dir.fd)
	var times []time.Duration
	for range 3 {
		t := time.Now()
		if _, err := KubeletAlways(via, int64(dir.st.Gid), false); err != nil {
			return 0, err
		}
		times = append(times, time.Since(t)/time.Duration(n+1))
	}
	slices.Sort(times)
	return times[1], nil
}

// sampleDir is the temporary directory of sampleKubelet, held open.
type sampleDir struct {
	rootFd, fd int
	name       string
	st         unix.Stat_t
	files      int
}

// openSampleDir creates .startlag-estimate-N in the volume root and opens it, refusing
// anything but the fresh directory it made.
func openSampleDir(volume string) (*sampleDir, error) {
	rootFd, err := unix.Open(volume, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", volume, err)
	}
	d := &sampleDir{rootFd: rootFd, fd: -1}
	d.name = fmt.Sprintf(".startlag-estimate-%d-%d", os.Getpid(), time.Now().UnixNano())
	if err := unix.Mkdirat(rootFd, d.name, 0o700); err != nil {
		unix.Close(rootFd)
		return nil, fmt.Errorf("creating a sample directory in %s: %w", volume, err)
	}
	d.fd, err = unix.Openat(rootFd, d.name,
		unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Fstat(d.fd, &d.st)
	}
	if err == nil && !freshDir(d.fd, &d.st) {
		err = errors.New("it was replaced by something else while being created")
	}
	if err != nil {
		d.remove()
		return nil, fmt.Errorf("sample directory %s in %s: %w", d.name, volume, err)
	}
	return d, nil
}

// freshDir reports whether the directory open at fd, with stat st, can be the one just made
// with mode 0700: a directory of ours, no permission for group or others, no setuid or sticky
// bit (setgid is inherited from a setgid parent, as on every volume root that passes the
// OnRootMismatch test), and empty. Emptiness is read from the directory itself, since the link
// count of a directory is not 2 on every file system (btrfs reports 1).
func freshDir(fd int, st *unix.Stat_t) bool {
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != uint32(os.Geteuid()) ||
		st.Mode&0o5077 != 0 {
		return false
	}
	buf := make([]byte, 4096)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return false
		}
		if n <= 0 {
			return true
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		if len(names) > 0 { // ParseDirent leaves out "." and ".."
			return false
		}
	}
}

// remove deletes the sample files and the directory, the directory only if its name still
// refers to the directory this estimate made.
func (d *sampleDir) remove() {
	defer unix.Close(d.rootFd)
	if d.fd < 0 {
		return
	}
	for i := range d.files {
		unix.Unlinkat(d.fd, "f"+strconv.Itoa(i), 0)
	}
	var st unix.Stat_t
	same := unix.Fstatat(d.rootFd, d.name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		st.Dev == d.st.Dev && st.Ino == d.st.Ino
	unix.Close(d.fd)
	if same {
		unix.Unlinkat(d.rootFd, d.name, unix.AT_REMOVEDIR)
	}
}
