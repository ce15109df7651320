package timeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// LogReader yields the recognised events of one log stream. Next returns false at the end; Err
// then reports a read error, if any.
type LogReader interface {
	Next() (kubelog.Event, bool)
	Err() error
}

// LogOpener starts reading a log stream. file names it in evidence.
type LogOpener func(r io.Reader, file string, opts kubelog.Options) LogReader

// Options control Load.
type Options struct {
	// Year completes klog and syslog stamps; 0 infers it from the other inputs (events and pod
	// timestamps) and falls back to the current year.
	Year int
	// Location is the zone of klog and syslog stamps; nil means UTC.
	Location *time.Location
	// Pod restricts the result to one pod: "namespace/name" or "name".
	Pod string
	// RestartsPerMonth turns delays into engineer-hours per year (0: no cost).
	RestartsPerMonth float64
	// TotalFiles is the volume's file count when known (for an ETA of a running walk).
	TotalFiles int64
	// OpenLog reads log inputs. Nil leaves log inputs unread (reported as problems).
	OpenLog LogOpener
	// Stdin is read for the input "-".
	Stdin io.Reader
	// Context cancels reading (nil: never); Load then returns the context's error.
	Context context.Context
	// Now anchors relative ages ("6m56s") of standard input when nothing else does; nil means
	// time.Now.
	Now func() time.Time
}

// pendingLog is a log input kept for the second pass (after the year is known).
type pendingLog struct {
	path   string
	reader *bufio.Reader // set for standard input, which cannot be reopened
	closer io.Closer
}

// loader holds the state of one Load.
type loader struct {
	opts     Options
	b        *builder
	result   *Result
	logs     []pendingLog
	relative []relSignal
	years    map[int]int
	ctx      contextObjects
	metrics  []metricSample
	mtimes   map[string]time.Time
	// yearAssumed counts the log events whose stamps carried no year, timeless those whose
	// stamp was missing or not a possible time. The reading goroutine writes them; streamLog
	// returns only after that goroutine has finished.
	yearAssumed, timeless int
}

// Load reads every input and explains the pods in them. Inputs that cannot be read are reported
// in Result.Problems (with the file and, where known, the line) and the others are still used; the
// error is non-nil only when no input could be read at all.
func Load(paths []string, opts Options) (*Result, error) {
	l := &loader{opts: opts, b: newBuilder(), result: &Result{}, years: map[int]int{},
		mtimes: map[string]time.Time{}}
	for _, p := range l.expand(paths) {
		l.first(p)
	}
	year, fromClock := l.year()
	for _, pl := range l.logs {
		if err := l.readLog(pl, year); err != nil {
			return l.result, err
		}
	}
	if l.timeless > 0 {
		hint := ""
		if fromClock {
			hint = fmt.Sprintf(" (stamps without a year were read in %d: a February 29 "+
				"needs --year with the log's leap year)", year)
		}
		l.result.Warnings = append(l.result.Warnings, fmt.Sprintf("%d recognised log %s no "+
			"usable timestamp (missing, or not a possible date) and %s left out%s",
			l.timeless, pluralWord(l.timeless, "line has", "lines have"),
			pluralWord(l.timeless, "was", "were"), hint))
	}
	if fromClock && l.yearAssumed > 0 {
		l.result.Warnings = append(l.result.Warnings, fmt.Sprintf("%d log %s stamps "+
			"without a year (klog, syslog) and no other input gives one: taking the current "+
			"year %d (pass --year for a log from another year)", l.yearAssumed,
			pluralWord(l.yearAssumed, "line has", "lines have"), year))
	}
	l.anchorRelative()
	l.finish()
	l.restoreText()
	if len(l.result.Problems) > 0 && len(l.result.Pods) == 0 && l.readCount() == 0 {
		return l.result, errors.Join(l.result.Problems...)
	}
	return l.result, nil
}

// expand replaces each directory among paths by the regular files below it, in lexical order,
// leaving out hidden files and directories; a directory that cannot be read is a problem.
// Symlinks to regular files are taken (/var/log/containers/*.log are all symlinks); symlinks
// to directories are not followed, so a link loop cannot make the walk endless.
func (l *loader) expand(paths []string) []string {
	var out []string
	for _, p := range paths {
		if st, err := os.Stat(p); p == "-" || err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		root := p
		if lst, err := os.Lstat(p); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
			root = p + string(filepath.Separator) // a symlinked argument is followed
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				l.problem(fmt.Errorf("reading %s: %w", path, err))
				return nil
			case path != root && strings.HasPrefix(d.Name(), "."):
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			case d.Type().IsRegular():
				out = append(out, path)
			case d.Type()&fs.ModeSymlink != 0:
				if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
					out = append(out, path)
				}
			}
			return nil
		})
		if err != nil {
			l.problem(fmt.Errorf("reading %s: %w", p, err))
		}
	}
	return out
}

func (l *loader) readCount() int {
	n := 0
	for _, in := range l.result.Inputs {
		n += in.Items
	}
	return n
}

// problem records err; a joined error (several items of one input) is recorded item by item.
func (l *loader) problem(err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		l.result.Problems = append(l.result.Problems, j.Unwrap()...)
		return
	}
	l.result.Problems = append(l.result.Problems, err)
}

// first opens an input, detects its kind and reads it unless it is a log.
func (l *loader) first(path string) {
	br, closer, err := openInput(path, l.opts.Stdin)
	if err != nil {
		l.problem(err)
		return
	}
	if path != "-" {
		if st, err := os.Stat(path); err == nil {
			l.mtimes[path] = st.ModTime()
		}
	}
	head, _ := br.Peek(peekBytes)
	head = bytes.TrimPrefix(head, utf8BOM)
	if isBinary(head) {
		closer.Close()
		l.problem(fmt.Errorf("%s: binary data (NUL bytes), not a log, events or objects", path))
		return
	}
	kind := detect(head)
	if kind == InputLog {
		l.deferLog(path, br, closer)
		return
	}
	defer closer.Close()
	b, err := readAllBounded(br, path)
	if err != nil {
		l.problem(err)
		return
	}
	n, detail, err := l.parse(kind, path, bytes.TrimPrefix(b, utf8BOM))
	if err != nil {
		l.problem(err)
	}
	l.result.Inputs = append(l.result.Inputs, InputSummary{File: path, Kind: kind, Items: n,
		Detail: detail})
}

// deferLog keeps a log for the second pass. Regular files are reopened then; standard input,
// pipes and fifos (such as <(journalctl ...)) can be read only once, so their reader is kept.
func (l *loader) deferLog(path string, br *bufio.Reader, closer io.Closer) {
	if path == "-" || !isRegular(path) {
		l.logs = append(l.logs, pendingLog{path: path, reader: br, closer: closer})
		return
	}
	closer.Close()
	l.logs = append(l.logs, pendingLog{path: path})
}

// parse dispatches a non-log input to its parser and returns the number of items read.
func (l *loader) parse(kind InputKind, path string, b []byte) (int, string, error) {
	switch kind {
	case InputObjects:
		return l.parseObjects(path, b)
	case InputEventsTable:
		return l.parseEventsTable(path, b)
	case InputDescribe:
		return l.parseDescribe(path, b)
	case InputMetrics:
		return l.parseMetrics(path, b)
	case InputEmpty:
		return 0, "", nil
	}
	return 0, "", fmt.Errorf("%s: input not recognised", path)
}

// noteTime records the year of an absolute timestamp from a non-log input.
func (l *loader) noteTime(t time.Time) {
	if !t.IsZero() {
		l.years[t.Year()]++
	}
}

// year is the year for klog stamps: the option, else the most common year of the other inputs,
// else the current year (fromClock).
func (l *loader) year() (year int, fromClock bool) {
	if l.opts.Year != 0 {
		return l.opts.Year, false
	}
	best, n := 0, 0
	for y, c := range l.years {
		if c > n || c == n && y > best {
			best, n = y, c
		}
	}
	if best == 0 {
		return l.now().UTC().Year(), true
	}
	return best, false
}

func (l *loader) now() time.Time {
	if l.opts.Now != nil {
		return l.opts.Now()
	}
	return time.Now()
}

// utf8BOM starts files saved by some Windows editors and PowerShell redirections. Logs keep it
// (the log reader skips it, and their line offsets count it); other inputs drop it.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// isBinary reports whether the start of an input is mostly NUL bytes: a device, an image or a
// core file. A log with a few NULs (a crash left a hole in it) is still read.
func isBinary(head []byte) bool {
	return len(head) > 0 && bytes.Count(head, []byte{0}) > len(head)/4
}

// isRegular reports whether path is a regular file (not a fifo or a device), which can be read
// again at an offset.
func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// logCloser is implemented by log readers that read ahead (kubelog.Reader): Close stops the
// read-ahead when reading ends before the end of input.
type logCloser interface{ Close() }

// logStatser is implemented by log readers that count what they skipped (kubelog.Reader).
type logStatser interface{ Stats() kubelog.Stats }

// readLog streams one log through the LogReader into the builder. It returns an error only when
// the context was cancelled.
func (l *loader) readLog(pl pendingLog, year int) error {
	if l.opts.OpenLog == nil {
		l.problem(fmt.Errorf("%s: log input but no log reader available", pl.path))
		return nil
	}
	r, closer := pl.reader, pl.closer
	readBack := false // the file's lines can be read again by offset
	if r == nil {
		br, c, zipped, err := openInputZipped(pl.path, nil)
		if err != nil {
			l.problem(err)
			return nil
		}
		r, closer = br, c
		readBack = !zipped && isRegular(pl.path)
	}
	defer closer.Close()

	lr := l.opts.OpenLog(r, pl.path, kubelog.Options{Year: year, Location: l.opts.Location})
	if c, ok := lr.(logCloser); ok {
		defer c.Close() // runs before closer.Close: the read-ahead stops before the file closes
	}
	n, err := l.streamLog(lr, pl.path, readBack)
	if err != nil {
		return err
	}

	l.logOutcome(lr, pl.path)
	l.result.Inputs = append(l.result.Inputs, InputSummary{File: pl.path, Kind: InputLog, Items: n,
		Detail: fmt.Sprintf("year %d", year)})
	if n == 0 {
		l.result.Warnings = append(l.result.Warnings, fmt.Sprintf("%s: read as a log, but no "+
			"kubelet, runtime or CSI line in it is one explain uses", pl.path))
	}
	return nil
}

// streamLog feeds the events of lr to the builder and returns how many were used. It checks
// the context every 4096 events and returns its error, wrapped with the path, once cancelled.
//
// Parsing and building overlap: one goroutine reads lr and turns its events into signals, in
// batches of signalBatch, while this one adds them to the builder. Only the reading goroutine
// touches lr, and streamLog returns only after it has finished, so lr.Err and Close are safe
// to call afterwards. With readBack, the kept signals locate their lines in the file instead of
// holding their text (see lineRef).
func (l *loader) streamLog(lr LogReader, path string, readBack bool) (int, error) {
	full := make(chan []signal, signalBatches)
	free := make(chan []signal, signalBatches+1)
	for range signalBatches + 1 {
		free <- make([]signal, 0, signalBatch)
	}

	var cancelled error
	go func() {
		defer close(full)
		cancelled = l.readSignals(lr, path, readBack, full, free)
	}()

	n := 0
	for batch := range full {
		for i := range batch {
			l.b.add(batch[i])
		}
		n += len(batch)
		clear(batch) // drop the strings now, not when the slice is next filled
		free <- batch[:0]
	}
	return n, cancelled
}

// signalBatch is how many signals streamLog hands from its reading goroutine to the builder at
// a time, and signalBatches how many batches may wait: enough to smooth out bursts, small
// enough that the batches in flight stay well under a megabyte.
const (
	signalBatch   = 256
	signalBatches = 4
)

// readSignals reads lr to its end, sending the signals explain uses in batches taken from free.
// It returns the context's error, wrapped with the path, when the context was cancelled.
func (l *loader) readSignals(lr LogReader, path string, readBack bool,
	full, free chan []signal) error {
	batch := <-free
	defer func() {
		if len(batch) > 0 {
			full <- batch
		}
	}()
	for i := 0; ; i++ {
		if i%4096 == 0 && l.opts.Context != nil && l.opts.Context.Err() != nil {
			return fmt.Errorf("reading %s: %w", path, l.opts.Context.Err())
		}
		ev, ok := lr.Next()
		if !ok {
			return nil
		}
		s, use := fromLog(ev)
		if !use {
			continue
		}
		if ev.Time.IsZero() {
			l.timeless++ // a line without a usable stamp cannot be placed on the timeline
			continue
		}
		if ev.YearAssumed {
			l.yearAssumed++
		}
		if readBack {
			s.ev.line = refOf(ev)
		}
		batch = append(batch, s)
		if len(batch) == signalBatch {
			full <- batch
			batch = <-free
		}
	}
}

// logOutcome reports how reading a log ended: a read error, or a stream that ended early (a
// truncated or damaged gzip file: part of the input was not read), is a problem; the reader's
// other notes (skipped over-long lines, undecodable lines) are warnings.
func (l *loader) logOutcome(lr LogReader, path string) {
	if err := lr.Err(); err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("reading %s: %w", path, err)
		}
		l.problem(err)
	}
	sr, ok := lr.(logStatser)
	if !ok {
		return
	}
	st := sr.Stats()
	for _, w := range st.Warnings {
		if st.Truncated && strings.Contains(w, kubelog.TruncatedNote) {
			l.problem(errors.New(w))
			continue
		}
		l.result.Warnings = append(l.result.Warnings, w)
	}
}

// finish builds the pods: phases, walks, diagnosis; filters and sorts them.
func (l *loader) finish() {
	l.result.RestartsPerMonth = l.opts.RestartsPerMonth
	states := l.b.merged()
	l.b = nil // states hold the last references to the pods' signals
	l.ctx.apply(states)
	walks, notes := walkMetrics(l.metrics)
	l.result.Warnings = append(l.result.Warnings, notes...)
	for i, st := range states {
		states[i] = nil // a pod's signals can go once it is explained
		if !l.wanted(st) {
			l.result.Unselected = append(l.result.Unselected, Pod{Namespace: st.ref.Namespace,
				Name: st.ref.Name, UID: st.ref.UID}.Key())
			continue
		}
		l.result.Pods = append(l.result.Pods, l.explain(st, walks))
	}
	sortPods(l.result.Pods)
}

// wanted reports whether the pod matches Options.Pod.
func (l *loader) wanted(st *podState) bool {
	if l.opts.Pod == "" {
		return true
	}
	ns, name, hasNS := strings.Cut(l.opts.Pod, "/")
	if !hasNS {
		return st.ref.Name == ns
	}
	return st.ref.Name == name && (st.ref.Namespace == "" || st.ref.Namespace == ns)
}

// explain turns one pod state into the reported Pod.
func (l *loader) explain(st *podState, metrics []walkMetric) Pod {
	pod := Pod{Namespace: st.ref.Namespace, Name: st.ref.Name, UID: st.ref.UID, Node: st.node,
		Notes: st.notes}
	pod.Phases = buildPhases(st)
	setupStart := time.Time{}
	for _, ph := range pod.Phases {
		if ph.Name == PhaseVolumeSetup {
			setupStart = ph.Start
		}
	}
	pod.Walks = buildWalks(st, setupStart)
	for _, ph := range pod.Phases {
		if pod.Start.IsZero() || ph.Start.Before(pod.Start) {
			pod.Start = ph.Start
		}
		if ph.End.After(pod.End) {
			pod.End = ph.End
		}
	}
	d := &diagnoser{p: st, pod: &pod, metrics: metrics, opts: l.opts}
	pod.Diagnosis = d.diagnose()
	return pod
}

// sortPods orders pods slowest start-up first; pods without phases go last, by name.
func sortPods(pods []Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if (len(a.Phases) == 0) != (len(b.Phases) == 0) {
			return len(a.Phases) > 0
		}
		if a.Diagnosis.Delay != b.Diagnosis.Delay {
			return a.Diagnosis.Delay > b.Diagnosis.Delay
		}
		return a.Key() < b.Key()
	})
}
