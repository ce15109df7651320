package volscan

import (
	"os"
	"path/filepath"
)

// KubeletAlways is a faithful serial model of the kubelet's recursive fsGroup walk
// (pkg/volume/volume_linux.go, policy unset or Always), kept as the reference for differential
// tests and benchmarks. Like the kubelet it lstats the root, reads each directory's names
// unsorted in one go, visits children before their parent (the root last), builds a full path
// for every entry, calls os.Lchown(path, -1, fsGroup) on every entry (symlinks included) and,
// for everything but symlinks, os.Chmod(path, mode|0660) (0440 read-only), adding 0110 and
// setgid for directories, with the mode read before the lchown. Lchown and chmod failures are
// returned in errs and the walk goes on, as the kubelet logs and ignores them; a directory
// that cannot be read stops the walk with that error, as in the kubelet.
func KubeletAlways(root string, fsGroup int64, readOnly bool) (errs []error, err error) {
	info, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	k := &kubeletWalk{gid: int(fsGroup), readOnly: readOnly}
	err = k.walk(root, info)
	return k.errs, err
}

type kubeletWalk struct {
	gid      int
	readOnly bool
	errs     []error
}

func (k *kubeletWalk) walk(path string, info os.FileInfo) error {
	if info.IsDir() {
		names, err := readNames(path)
		if err != nil {
			return err
		}
		for _, name := range names {
			child := filepath.Join(path, name)
			ci, err := os.Lstat(child)
			if err != nil {
				// The kubelet hands the error to its callback, which returns it.
				return err
			}
			if err := k.walk(child, ci); err != nil {
				return err
			}
		}
	}
	k.change(path, info)
	return nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// change is the kubelet's per-entry step: lchown the group, then chmod unless a symlink.
func (k *kubeletWalk) change(path string, info os.FileInfo) {
	if err := os.Lchown(path, -1, k.gid); err != nil {
		k.errs = append(k.errs, err)
	}
	if info.Mode()&os.ModeSymlink != 0 {
		return
	}
	mask := os.FileMode(0o660)
	if k.readOnly {
		mask = 0o440
	}
	if info.IsDir() {
		mask |= os.ModeSetgid | 0o110
	}
	if err := os.Chmod(path, info.Mode()|mask); err != nil {
		k.errs = append(k.errs, err)
	}
}
