package kubelog

import (
	"bytes"
	"io"
)

// lineSource splits prefetched blocks into lines without copying them; only a line that
// spans two blocks is assembled in the carry buffer. Lines longer than MaxLineBytes are
// reported as long and not returned.
type lineSource struct {
	pf       blockSource
	cur      []byte // unread part of the current block
	carry    []byte // start of a line continued in the next block
	skipping bool   // inside an over-long line
	err      error  // final error; io.EOF at a clean end
	pos      int64  // stream offset of cur[0]
	end      int64  // stream offset just past the last line returned (before its newline)
}

// next returns the next line without its newline. The slice is valid until the next call.
// long reports a skipped over-long line (line is nil then); ok is false at the end. After a
// line, end - len(line) is the stream offset of its first byte.
func (s *lineSource) next() (line []byte, long, ok bool) {
	for {
		if i := bytes.IndexByte(s.cur, '\n'); i >= 0 {
			part := s.cur[:i]
			s.cur = s.cur[i+1:]
			s.end = s.pos + int64(i)
			s.pos += int64(i) + 1
			if len(s.carry) == 0 && !s.skipping {
				return part, false, true
			}
			return s.joined(part)
		}
		s.keepTail()
		if s.err != nil {
			return s.last()
		}
		s.cur, s.err = s.pf.next()
	}
}

// keepTail moves the unterminated rest of the block into the carry buffer.
func (s *lineSource) keepTail() {
	if len(s.cur) == 0 {
		return
	}
	s.pos += int64(len(s.cur))
	s.end = s.pos // the final unterminated line, should the input end here
	if s.skipping || len(s.carry)+len(s.cur) > MaxLineBytes {
		s.skipping, s.carry = true, s.carry[:0]
	} else {
		s.carry = append(s.carry, s.cur...)
	}
	s.cur = nil
}

// joined finishes a line that started in an earlier block.
func (s *lineSource) joined(part []byte) ([]byte, bool, bool) {
	if s.skipping || len(s.carry)+len(part) > MaxLineBytes {
		s.skipping, s.carry = false, s.carry[:0]
		return nil, true, true
	}
	line := append(s.carry, part...)
	s.carry = line[:0]
	return line, false, true
}

// last returns the final unterminated line, if any, once the input has ended.
func (s *lineSource) last() ([]byte, bool, bool) {
	switch {
	case s.skipping:
		s.skipping = false
		return nil, true, true
	case len(s.carry) > 0:
		line := s.carry
		s.carry = nil
		return line, false, true
	}
	return nil, false, false
}

// failure is the error that ended the input, nil at a clean end.
func (s *lineSource) failure() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}
