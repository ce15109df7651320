package fidelity

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/startlag/startlag/internal/ownership"
)

// Node is one entry of a tree to build.
type Node struct {
	// Path is relative to the tree's root; "." is the root itself (which must exist).
	Path string
	Type ownership.EntryType
	// Mode holds permission and special bits (07777). Ignored for symlinks.
	Mode     uint32
	UID, GID uint32
	// Target is the symlink's target, or for a file the existing path (relative to the root)
	// to hard-link instead of creating a new file.
	Target string
	// Special selects the kind of a TypeOther node: "fifo", "socket" or "char" (a character
	// device with the numbers of /dev/null).
	Special string
}

// Build creates nodes below root in order (parents before children), then sets owners and
// modes children first, chown before chmod: the kernel clears set-user-ID and set-group-ID bits
// when an executable's group changes, and chmod puts them back.
func Build(root string, nodes []Node) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	for _, n := range nodes {
		if err := create(root, n); err != nil {
			return err
		}
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		if err := setAttrs(root, nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

// create makes the node's entry with a permissive mode; setAttrs fixes it.
func create(root string, n Node) error {
	p := filepath.Join(root, n.Path)
	var err error
	switch n.Type {
	case ownership.TypeDir:
		if n.Path != "." {
			err = os.Mkdir(p, 0o700)
		}
	case ownership.TypeSymlink:
		err = os.Symlink(n.Target, p)
	case ownership.TypeFile:
		if n.Target != "" {
			err = os.Link(filepath.Join(root, n.Target), p)
		} else {
			err = os.WriteFile(p, nil, 0o600)
		}
	case ownership.TypeOther:
		err = createSpecial(p, n.Special)
	}
	if err != nil {
		return fmt.Errorf("build %s: %w", p, err)
	}
	return nil
}

func createSpecial(p, kind string) error {
	switch kind {
	case "fifo":
		return unix.Mkfifo(p, 0o600)
	case "char":
		return unix.Mknod(p, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
	case "socket":
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		if err != nil {
			return err
		}
		l.SetUnlinkOnClose(false)
		return l.Close()
	}
	return fmt.Errorf("unknown special kind %q", kind)
}

// setAttrs applies the node's owner and group, then its mode (not on symlinks).
func setAttrs(root string, n Node) error {
	p := filepath.Join(root, n.Path)
	if err := os.Lchown(p, int(n.UID), int(n.GID)); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if n.Type == ownership.TypeSymlink || (n.Type == ownership.TypeFile && n.Target != "") {
		return nil
	}
	if err := unix.Chmod(p, n.Mode); err != nil {
		return fmt.Errorf("build: chmod %s: %w", p, err)
	}
	return nil
}
