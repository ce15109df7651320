package kubelog

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// prefetchBlock is the read-ahead unit.
const prefetchBlock = 1 << 20

// prefetchBlocks is how many blocks may be read ahead of the parser.
const prefetchBlocks = 2

// block is one read-ahead result.
type block struct {
	buf []byte
	err error
}

// prefetcher reads its source in a goroutine, one block ahead of the parser, so that the
// kernel copy (or gzip inflation) overlaps with parsing. Memory is bounded by the block pool.
type prefetcher struct {
	full     chan block
	free     chan []byte
	stop     chan struct{}
	stopOnce sync.Once
	cur      block
	held     []byte // the buffer cur aliases, returned to the pool once drained
}

// newPrefetcher starts reading src in a goroutine.
func newPrefetcher(src io.Reader) *prefetcher {
	p := &prefetcher{
		full: make(chan block, prefetchBlocks),
		free: make(chan []byte, prefetchBlocks),
		stop: make(chan struct{}),
	}
	for range prefetchBlocks {
		p.free <- nil // allocated on first use, small first: most inputs in tests are tiny
	}
	go p.run(src)
	return p
}

// run fills free buffers until the source ends or the prefetcher is closed. It never blocks
// on sending: full has room for every buffer of the pool.
func (p *prefetcher) run(src io.Reader) {
	size := 64 << 10
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-p.stop:
			return
		}
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:cap(buf)]
		size = min(2*size, prefetchBlock)
		n, err := fillBlock(src, buf)
		p.full <- block{buf: buf[:n], err: err}
		if err != nil {
			return
		}
	}
}

// fillBlock reads until buf is full or the source fails; unlike io.ReadFull it passes the
// source's own errors through (a truncated gzip stream's io.ErrUnexpectedEOF among them).
func fillBlock(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// next returns the next block (recycling the previous one, which the caller must no longer
// use). At the end of input it returns an empty block and the final error (io.EOF when clean).
func (p *prefetcher) next() ([]byte, error) {
	if p.held != nil {
		p.free <- p.held[:cap(p.held)]
		p.held = nil
	}
	if p.cur.err != nil {
		return nil, p.cur.err
	}
	p.cur = <-p.full
	p.held = p.cur.buf
	if len(p.cur.buf) == 0 && p.cur.err != nil {
		return nil, p.cur.err
	}
	return p.cur.buf, nil
}

// Close stops the read-ahead goroutine (it exits by itself at the end of input).
func (p *prefetcher) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
}

// blockSource yields the input in blocks; see prefetcher.next.
type blockSource interface {
	next() ([]byte, error)
	Close()
}

// syncBlocks reads blocks in the caller's goroutine, into one reused buffer. It serves
// in-memory sources, where read-ahead has no I/O to overlap.
type syncBlocks struct {
	src  io.Reader
	buf  []byte
	err  error
	size int
}

func newSyncBlocks(src io.Reader) *syncBlocks {
	return &syncBlocks{src: src, size: 64 << 10}
}

func (s *syncBlocks) next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if cap(s.buf) < s.size {
		s.buf = make([]byte, s.size)
	}
	s.size = min(2*s.size, prefetchBlock)
	n, err := fillBlock(s.src, s.buf[:cap(s.buf)])
	s.err = err
	if n == 0 && err != nil {
		return nil, err
	}
	return s.buf[:n], nil
}

func (s *syncBlocks) Close() {}

// inMemory reports whether src is a reader over bytes already in memory.
func inMemory(src io.Reader) bool {
	switch src.(type) {
	case *bytes.Reader, *strings.Reader, *bytes.Buffer:
		return true
	}
	return false
}
