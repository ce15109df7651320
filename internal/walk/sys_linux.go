package walk

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatatZ is fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) where name points at a
// NUL-terminated name inside a getdents64 buffer. Calling the system call directly avoids the
// string conversion and allocation unix.Fstatat needs for every entry.
func fstatatZ(dirfd int, name *byte, st *unix.Stat_t) error {
	_, _, errno := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd),
		uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(st)),
		unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// openDirAt opens name relative to dirfd as a directory without following a symlink.
func openDirAt(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name,
			unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// dirent is one parsed getdents64 record: its inode and where its name lies in the buffer.
type dirent struct {
	ino  uint64
	off  int // offset of the name's first byte
	size int // length of the name, without the terminating NUL
}

// parseDirents appends the records of buf[:n] to out, skipping "." and "..".
func parseDirents(buf []byte, out []dirent) []dirent {
	for off := 0; off+19 <= len(buf); {
		reclen := int(*(*uint16)(unsafe.Pointer(&buf[off+16])))
		if reclen == 0 || off+reclen > len(buf) {
			break
		}
		ino := *(*uint64)(unsafe.Pointer(&buf[off]))
		nameOff := off + 19
		size := 0
		for nameOff+size < off+reclen && buf[nameOff+size] != 0 {
			size++
		}
		off += reclen
		if isDots(buf[nameOff : nameOff+size]) {
			continue
		}
		out = append(out, dirent{ino: ino, off: nameOff, size: size})
	}
	return out
}

func isDots(name []byte) bool {
	return (len(name) == 1 && name[0] == '.') || (len(name) == 2 && name[0] == '.' && name[1] == '.')
}
