package slowfs

import (
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// slowRaw wraps the loopback's request handler: every request is counted, then delayed
// before it is passed on. Requests run concurrently (the server starts one goroutine per
// request), so N requests in flight from N threads overlap their delays, the way round trips
// to a network server overlap.
type slowRaw struct {
	fuse.RawFileSystem

	meta   time.Duration
	data   time.Duration
	counts *Counts
	slots  chan struct{} // nil: unlimited concurrent requests
}

// wait counts op and sleeps for its latency, holding one in-flight slot while it sleeps.
func (s *slowRaw) wait(op Op, cancel <-chan struct{}) {
	s.counts.add(op)

	d := s.data
	if op.IsMetadata() {
		d = s.meta
	}
	if d <= 0 {
		return
	}

	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-cancel:
			return
		}
	}

	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-t.C:
	case <-cancel:
	}
}

func (s *slowRaw) Lookup(c <-chan struct{}, h *fuse.InHeader, name string,
	out *fuse.EntryOut) fuse.Status {
	s.wait(OpLookup, c)
	return s.RawFileSystem.Lookup(c, h, name, out)
}

func (s *slowRaw) GetAttr(c <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	s.wait(OpGetattr, c)
	return s.RawFileSystem.GetAttr(c, in, out)
}

func (s *slowRaw) SetAttr(c <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	s.wait(OpSetattr, c)
	return s.RawFileSystem.SetAttr(c, in, out)
}

func (s *slowRaw) Statx(c <-chan struct{}, in *fuse.StatxIn, out *fuse.StatxOut) fuse.Status {
	s.wait(OpStatx, c)
	return s.RawFileSystem.Statx(c, in, out)
}

func (s *slowRaw) Access(c <-chan struct{}, in *fuse.AccessIn) fuse.Status {
	s.wait(OpAccess, c)
	return s.RawFileSystem.Access(c, in)
}

func (s *slowRaw) Readlink(c <-chan struct{}, h *fuse.InHeader) ([]byte, fuse.Status) {
	s.wait(OpReadlink, c)
	return s.RawFileSystem.Readlink(c, h)
}

func (s *slowRaw) Mknod(c <-chan struct{}, in *fuse.MknodIn, name string,
	out *fuse.EntryOut) fuse.Status {
	s.wait(OpMknod, c)
	return s.RawFileSystem.Mknod(c, in, name, out)
}

func (s *slowRaw) Mkdir(c <-chan struct{}, in *fuse.MkdirIn, name string,
	out *fuse.EntryOut) fuse.Status {
	s.wait(OpMkdir, c)
	return s.RawFileSystem.Mkdir(c, in, name, out)
}

func (s *slowRaw) Unlink(c <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	s.wait(OpUnlink, c)
	return s.RawFileSystem.Unlink(c, h, name)
}

func (s *slowRaw) Rmdir(c <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	s.wait(OpRmdir, c)
	return s.RawFileSystem.Rmdir(c, h, name)
}

func (s *slowRaw) Rename(c <-chan struct{}, in *fuse.RenameIn, oldName,
	newName string) fuse.Status {
	s.wait(OpRename, c)
	return s.RawFileSystem.Rename(c, in, oldName, newName)
}

func (s *slowRaw) Link(c <-chan struct{}, in *fuse.LinkIn, name string,
	out *fuse.EntryOut) fuse.Status {
	s.wait(OpLink, c)
	return s.RawFileSystem.Link(c, in, name, out)
}

func (s *slowRaw) Symlink(c <-chan struct{}, h *fuse.InHeader, target, name string,
	out *fuse.EntryOut) fuse.Status {
	s.wait(OpSymlink, c)
	return s.RawFileSystem.Symlink(c, h, target, name, out)
}

func (s *slowRaw) Create(c <-chan struct{}, in *fuse.CreateIn, name string,
	out *fuse.CreateOut) fuse.Status {
	s.wait(OpCreate, c)
	return s.RawFileSystem.Create(c, in, name, out)
}

func (s *slowRaw) Open(c <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	s.wait(OpOpen, c)
	return s.RawFileSystem.Open(c, in, out)
}

func (s *slowRaw) OpenDir(c <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	s.wait(OpOpendir, c)
	return s.RawFileSystem.OpenDir(c, in, out)
}

func (s *slowRaw) ReadDir(c <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	s.wait(OpReaddir, c)
	return s.RawFileSystem.ReadDir(c, in, out)
}

func (s *slowRaw) ReadDirPlus(c <-chan struct{}, in *fuse.ReadIn,
	out *fuse.DirEntryList) fuse.Status {
	s.wait(OpReaddirplus, c)
	return s.RawFileSystem.ReadDirPlus(c, in, out)
}

func (s *slowRaw) StatFs(c <-chan struct{}, h *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	s.wait(OpStatfs, c)
	return s.RawFileSystem.StatFs(c, h, out)
}

func (s *slowRaw) GetXAttr(c <-chan struct{}, h *fuse.InHeader, attr string,
	dest []byte) (uint32, fuse.Status) {
	s.wait(OpGetxattr, c)
	return s.RawFileSystem.GetXAttr(c, h, attr, dest)
}

func (s *slowRaw) ListXAttr(c <-chan struct{}, h *fuse.InHeader,
	dest []byte) (uint32, fuse.Status) {
	s.wait(OpListxattr, c)
	return s.RawFileSystem.ListXAttr(c, h, dest)
}

func (s *slowRaw) SetXAttr(c <-chan struct{}, in *fuse.SetXAttrIn, attr string,
	data []byte) fuse.Status {
	s.wait(OpSetxattr, c)
	return s.RawFileSystem.SetXAttr(c, in, attr, data)
}

func (s *slowRaw) RemoveXAttr(c <-chan struct{}, h *fuse.InHeader, attr string) fuse.Status {
	s.wait(OpRemovexattr, c)
	return s.RawFileSystem.RemoveXAttr(c, h, attr)
}

func (s *slowRaw) Read(c <-chan struct{}, in *fuse.ReadIn,
	buf []byte) (fuse.ReadResult, fuse.Status) {
	s.wait(OpRead, c)
	return s.RawFileSystem.Read(c, in, buf)
}

func (s *slowRaw) Write(c <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	s.wait(OpWrite, c)
	return s.RawFileSystem.Write(c, in, data)
}

func (s *slowRaw) Flush(c <-chan struct{}, in *fuse.FlushIn) fuse.Status {
	s.wait(OpFlush, c)
	return s.RawFileSystem.Flush(c, in)
}

func (s *slowRaw) Fsync(c <-chan struct{}, in *fuse.FsyncIn) fuse.Status {
	s.wait(OpFsync, c)
	return s.RawFileSystem.Fsync(c, in)
}
