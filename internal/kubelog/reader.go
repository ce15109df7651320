package kubelog

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/startlag/startlag/internal/gzsniff"
)

// MaxLineBytes is the longest line the reader examines; longer lines are skipped and counted.
const MaxLineBytes = 1 << 20

// DedupWindow is how close in time two reports of the same fact must be to count as one.
const DedupWindow = 2 * time.Second

// maxWarnings bounds Stats.Warnings.
const maxWarnings = 10

// Stats counts what a Reader saw.
type Stats struct {
	Lines        int64 // lines read (including skipped ones)
	Recognised   int64 // lines that produced at least one event
	Events       int64 // events returned (after de-duplication)
	Duplicates   int64 // events dropped as repeats of the same fact
	SkippedLong  int64 // lines longer than MaxLineBytes, skipped
	Garbage      int64 // lines in no known framing (binary junk, stack traces, blank lines)
	Continuation int64 // indented lines: klog multi-line values, wrapped stack frames
	InvalidUTF8  int64 // recognised lines holding invalid UTF-8 (kept, bytes replaced)
	DecodeErrors int64 // lines whose framing was recognised but whose body did not decode
	Truncated    bool  // the input ended early (a truncated or damaged gzip stream)
	Bytes        int64 // uncompressed bytes of the lines examined (skipped long lines excluded)
	// Warnings are the first few problems, each prefixed "file:line: ".
	Warnings []string
}

// Reader streams events out of one log. It is not safe for concurrent use.
type Reader struct {
	file  string
	opts  Options
	src   io.Reader
	lines lineSource
	pf    blockSource
	start bool
	err   error
	done  bool
	line  int
	off   int64 // stream offset of the current line
	st    state
	stats Stats
	queue []Event
	qbuf  []Event // backing array of queue, reused
	// recent holds the last events returned, for de-duplication.
	recent    [8]Event
	recentN   int
	lastMonth time.Month
}

// NewReader returns a Reader over r; file names the input in Event.Src and warnings. Gzip
// input is detected by its magic bytes.
func NewReader(r io.Reader, file string, opts Options) *Reader {
	opts.Year = opts.year() // resolve "current year" once, not per line
	return &Reader{file: file, opts: opts, src: r}
}

// Err returns the first read error (nil at a clean end of input; a truncated gzip stream is a
// warning in Stats, not an error).
func (r *Reader) Err() error { return r.err }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Warnings = append([]string(nil), r.stats.Warnings...)
	return s
}

// Next returns the next event; ok is false at the end of input or on a read error (see Err).
func (r *Reader) Next() (Event, bool) {
	for len(r.queue) == 0 {
		if r.done || !r.fill() {
			r.Close()
			return Event{}, false
		}
	}
	ev := r.queue[0]
	r.queue = r.queue[1:]
	r.stats.Events++
	return ev, true
}

// fill reads lines until one yields events or the input ends.
func (r *Reader) fill() bool {
	if !r.start && !r.open() {
		return false
	}
	for {
		line, ok := r.readLine()
		if !ok {
			r.done = true
			return false
		}
		if klogQuickReject(line) {
			continue
		}
		evs, framed := parseLineFramed(line, r.opts, &r.st)
		if len(evs) == 0 {
			r.countUnrecognised(line, framed)
			continue
		}
		r.stats.Recognised++
		if !utf8.Valid(line) {
			r.stats.InvalidUTF8++
			r.warnf("invalid UTF-8 in a recognised line (bytes replaced)")
		}
		r.queue = r.qbuf[:0] // fill runs only once the queue is drained
		r.accept(evs)
		r.qbuf = r.queue[:0]
		if len(r.queue) > 0 {
			return true
		}
	}
}

// klogQuickReject is the fast path for the bulk of a kubelet log: a klog text line whose
// message starts with no rule's prefix. It does what splitKlog and mayMatch do, without
// building a frame; lines it does not reject take the full path.
func klogQuickReject(b []byte) bool {
	if len(b) < 24 {
		return false
	}
	switch b[0] {
	case 'I', 'W', 'E', 'F':
	default:
		return false
	}
	if b[5] != ' ' || b[8] != ':' || b[11] != ':' || !isDigit(b[1]) || !isDigit(b[4]) {
		return false
	}
	limit := min(len(b), 200)
	i := bytes.IndexByte(b[21:limit], ']')
	if i < 0 {
		return false
	}
	msg := b[21+i+1:]
	if len(msg) > 0 && msg[0] == ' ' {
		msg = msg[1:]
	}
	if len(msg) > 0 && msg[0] == '"' {
		msg = msg[1:]
	}
	return !mayMatch(msg)
}

// countUnrecognised counts garbage lines (those in no framing at all) and JSON lines cut short.
func (r *Reader) countUnrecognised(line []byte, framed bool) {
	if !framed && len(line) > 0 && (line[0] == '\t' || line[0] == ' ') {
		r.stats.Continuation++ // klog's multi-line values (key=<, tab-indented lines, " >")
		return
	}
	if !framed {
		r.stats.Garbage++
		if r.stats.Garbage == 1 && len(bytes.TrimSpace(line)) > 0 {
			r.warnf("line in no known log framing (counted as garbage; further ones are not shown)")
		}
		return
	}
	if line[0] == '{' && !json1Valid(line) {
		r.stats.DecodeErrors++
		r.warnf("invalid JSON line")
	}
}

// json1Valid is a cheap check that a JSON line at least closes its object.
func json1Valid(line []byte) bool {
	return bytes.HasSuffix(bytes.TrimSpace(line), []byte("}"))
}

// accept fixes the year of year-less stamps at a December-to-January step, sets the source,
// and queues the events that are not repeats.
func (r *Reader) accept(evs []Event) {
	for _, ev := range evs {
		ev.Src = Source{File: r.file, Line: r.line, Offset: r.off}
		r.rollYear(&ev)
		if r.isDuplicate(&ev) {
			r.stats.Duplicates++
			continue
		}
		r.remember(ev)
		r.queue = append(r.queue, ev)
	}
}

// rollYear advances the assumed year when a year-less log crosses New Year.
func (r *Reader) rollYear(ev *Event) {
	if ev.Time.IsZero() {
		return
	}
	m := ev.Time.Month()
	if r.lastMonth == time.December && m == time.January && ev.Time.Year() == r.opts.year() {
		r.opts.Year = r.opts.year() + 1
		ev.Time = ev.Time.AddDate(1, 0, 0)
	}
	r.lastMonth = m
}

// dedupKinds are the facts that arrive twice: a log line and its event echo, or the two wait
// errors older kubelets print per cycle.
func dedupKind(k Kind) bool {
	switch k {
	case KindVolumeWaitTimeout, KindVolumeWaitCanceled, KindOwnershipProgress,
		KindOwnershipWarning, KindSetUpFailed, KindMountDeviceFailed:
		return true
	}
	return false
}

func (r *Reader) isDuplicate(ev *Event) bool {
	if !dedupKind(ev.Kind) {
		return false
	}
	n := min(r.recentN, len(r.recent))
	for i := 0; i < n; i++ {
		p := &r.recent[i]
		if p.Kind != ev.Kind || p.Count != ev.Count || p.Detail != ev.Detail && p.Detail != "" &&
			ev.Detail != "" && ev.Kind != KindOwnershipWarning {
			continue
		}
		if d := ev.Time.Sub(p.Time); d > DedupWindow || d < -DedupWindow {
			continue
		}
		if samePod(p.Pod, ev.Pod) && (p.Volume == ev.Volume || p.Volume == "" || ev.Volume == "") {
			return true
		}
	}
	return false
}

func samePod(a, b PodRef) bool {
	if a.UID != "" && b.UID != "" {
		return a.UID == b.UID
	}
	return a.Name != "" && a.Name == b.Name && a.Namespace == b.Namespace
}

func (r *Reader) remember(ev Event) {
	ev.Text = ""
	r.recent[r.recentN%len(r.recent)] = ev
	r.recentN++
}

// open sniffs gzip and sets up the read-ahead and the buffered line reader.
func (r *Reader) open() bool {
	r.start = true
	src, zipped, err := gzsniff.Decompress(bufio.NewReaderSize(r.src, 4096))
	if err != nil {
		r.truncated(err)
		return false
	}
	if inMemory(r.src) && !zipped {
		r.pf = newSyncBlocks(src)
	} else {
		r.pf = newPrefetcher(src) // overlap the kernel copy or the inflation with parsing
	}
	r.lines = lineSource{pf: r.pf}
	return true
}

// Close stops the reader's read-ahead. It is needed only when the caller stops before Next
// returns false; it does not close the underlying reader, nor interrupt a Read in progress
// (the read-ahead goroutine exits when that Read returns).
func (r *Reader) Close() {
	r.done = true
	if r.pf != nil {
		r.pf.Close()
	}
}

// readLine returns the next line without its newline. The slice is valid until the next call.
func (r *Reader) readLine() ([]byte, bool) {
	for !r.done {
		line, long, ok := r.lines.next()
		if !ok {
			if err := r.lines.failure(); err != nil {
				r.readFailed(err)
			}
			return nil, false
		}
		r.line++
		r.stats.Lines++
		if long {
			r.stats.SkippedLong++
			r.warnf("line longer than %d bytes skipped", MaxLineBytes)
			continue
		}
		r.stats.Bytes += int64(len(line)) + 1
		r.off = r.lines.end - int64(len(line))
		return line, true
	}
	return nil, false
}

// readFailed records a read error; a gzip stream cut short or damaged is a warning only
// (the events before the damage are kept).
func (r *Reader) readFailed(err error) {
	var corrupt flate.CorruptInputError
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt) {
		r.truncated(err)
		return
	}
	if r.err == nil {
		r.err = fmt.Errorf("reading %s: %w", r.file, err)
	}
	r.done = true
}

// TruncatedNote begins the Stats warning written when the input ends early (a truncated or
// damaged gzip stream), so callers can tell it from the other warnings.
const TruncatedNote = "input ends early"

func (r *Reader) truncated(err error) {
	if !r.stats.Truncated {
		r.stats.Truncated = true
		r.warnf("%s (%v); events up to here are kept", TruncatedNote, err)
	}
	r.done = true
}

func (r *Reader) warnf(format string, args ...any) {
	if len(r.stats.Warnings) >= maxWarnings {
		return
	}
	msg := fmt.Sprintf(format, args...)
	r.stats.Warnings = append(r.stats.Warnings, fmt.Sprintf("%s:%d: %s", r.file, r.line, msg))
}

// ReadAll reads every event of r; see Reader.
func ReadAll(rd io.Reader, file string, opts Options) ([]Event, Stats, error) {
	r := NewReader(rd, file, opts)
	var out []Event
	for {
		ev, ok := r.Next()
		if !ok {
			break
		}
		out = append(out, ev)
	}
	return out, r.Stats(), r.Err()
}
