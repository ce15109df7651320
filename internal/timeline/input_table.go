package timeline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// relSignal is a signal whose time is an age ("6m56s ago") relative to when the text was
// captured; anchorRelative resolves it.
type relSignal struct {
	s     signal
	age   time.Duration
	file  string
	first time.Duration // age of the first occurrence for "(x17 over 25m)", 0 when once
}

// column is one column of a fixed-width table: its header and start offset.
type column struct {
	name  string
	start int
}

// tableColumns finds the columns of a header line: words separated by two or more spaces
// ("LAST SEEN" is one column).
func tableColumns(header string) []column {
	var cols []column
	i := 0
	for i < len(header) {
		for i < len(header) && header[i] == ' ' {
			i++
		}
		if i >= len(header) {
			break
		}
		start := i
		for i < len(header) && !(header[i] == ' ' && (i+1 >= len(header) || header[i+1] == ' ')) {
			i++
		}
		cols = append(cols, column{name: strings.TrimSpace(header[start:i]), start: start})
	}
	return cols
}

// cells splits a row into the columns: at runs of two or more spaces when that yields enough
// cells (hand-edited tables are not always aligned), else at the header's offsets. The last
// column takes the rest of the line.
func cells(row string, cols []column) map[string]string {
	if out, ok := cellsBySpaces(row, cols); ok {
		return out
	}
	out := make(map[string]string, len(cols))
	for i, c := range cols {
		if c.start >= len(row) {
			break
		}
		end := len(row)
		if i+1 < len(cols) && cols[i+1].start < len(row) {
			end = cols[i+1].start
		}
		out[c.name] = strings.TrimSpace(row[c.start:end])
	}
	return out
}

// parseEventsTable reads `kubectl events` / `kubectl get events` output. Ages are resolved later
// (anchorRelative).
func (l *loader) parseEventsTable(path string, b []byte) (int, string, error) {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var cols []column
	n, bad := 0, 0
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if cols == nil || isTableHeader(line) {
			cols = tableColumns(line)
			continue
		}
		c := cells(line, cols)
		if !l.tableRow(c, Evidence{File: path, Line: i + 1, Text: strings.TrimSpace(line)}) {
			bad++
			continue
		}
		n++
	}
	return n, fmt.Sprintf("%d events (%d rows not about pods or not used)", n, bad), nil
}

// tableRow reads one events table row; false when it is not about a pod or not used.
func (l *loader) tableRow(c map[string]string, ev Evidence) bool {
	kind, name, ok := strings.Cut(c["OBJECT"], "/")
	if c["OBJECT"] == "" {
		// kubectl ≤1.13 printed NAME and KIND columns, and FIRST SEEN.
		kind, name, ok = c["KIND"], c["NAME"], c["KIND"] != ""
	}
	if !ok || !strings.EqualFold(kind, "pod") {
		return false
	}
	age, first, prec, ok := parseAgeCell(c["LAST SEEN"])
	if !ok {
		return false
	}
	if f, _, fok := parseAge(c["FIRST SEEN"]); fok && f > age {
		first = f
	}
	ref := kubelog.PodRef{Namespace: c["NAMESPACE"], Name: name}
	return l.addRelative(ref, c["REASON"], c["MESSAGE"], age, first, prec, ev)
}

// addRelative queues an event known by its age.
func (l *loader) addRelative(ref kubelog.PodRef, reason, msg string, age, first, prec time.Duration,
	ev Evidence) bool {
	s, ok := reasonSignal(reason, msg)
	if !ok {
		return false
	}
	if reason == "Scheduled" {
		if ns, n, node, ok := assignedPod(msg); ok && n == ref.Name {
			ref.Namespace = orWord(ref.Namespace, ns)
			if p := l.b.podFor(cleanRef(ref)); p != nil && p.node == "" {
				p.node = node
			}
		}
	}
	s.pod, s.prec, s.ev, s.component = cleanRef(ref), prec, ev, "event"
	l.relative = append(l.relative, relSignal{s: s, age: age, file: ev.File, first: first})
	return true
}

var overRe = regexp.MustCompile(`^(\S+)\s+\(x(\d+) over (\S+)\)$`)

// parseAgeCell reads "6m56s", "28m", or "3m (x17 over 25m)"; prec is the resolution of the age
// as kubectl prints it.
func parseAgeCell(s string) (age, first, prec time.Duration, ok bool) {
	s = strings.TrimSpace(s)
	if m := overRe.FindStringSubmatch(s); m != nil {
		age, prec, ok = parseAge(m[1])
		if f, _, fok := parseAge(m[3]); fok {
			first = f
		}
		return age, first, prec, ok
	}
	age, prec, ok = parseAge(s)
	return age, 0, prec, ok
}

// parseAge parses kubectl's human durations: 45s, 6m56s, 28m, 3h4m, 2d3h, 5y.
func parseAge(s string) (time.Duration, time.Duration, bool) {
	if s == "" || strings.HasPrefix(s, "<") {
		return 0, 0, false
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour,
		'd': 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	var total, prec time.Duration
	num := ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			num += string(c)
			continue
		}
		u, ok := units[c]
		if !ok || num == "" {
			return 0, 0, false
		}
		v, _ := strconv.Atoi(num)
		total += time.Duration(v) * u
		prec, num = u, ""
	}
	if num != "" {
		return 0, 0, false
	}
	return total, prec, true
}

// anchorRelative resolves ages. Each file's ages count back from one moment: found by matching
// one of its events to the same event with an absolute time from another input (the finest age
// wins), else the file's modification time (standard input: now).
func (l *loader) anchorRelative() {
	byFile := map[string][]relSignal{}
	var files []string
	for _, r := range l.relative {
		if _, ok := byFile[r.file]; !ok {
			files = append(files, r.file)
		}
		byFile[r.file] = append(byFile[r.file], r)
	}
	for _, f := range files {
		rs := byFile[f]
		anchor, how := l.anchorFor(rs)
		for _, r := range rs {
			l.addAnchored(r, anchor, how)
		}
	}
}

// addAnchored adds a relative signal at anchor − age (and its first occurrence when repeated).
func (l *loader) addAnchored(r relSignal, anchor time.Time, how string) {
	s := r.s
	if r.first > r.age {
		f := s
		f.at = anchor.Add(-r.first)
		f.ev.Time = f.at
		l.b.add(f)
	}
	s.at = anchor.Add(-r.age)
	s.ev.Time = s.at
	if p := l.b.podFor(s.pod); p != nil && how != "" && !containsNote(p.notes, how) {
		p.notes = append(p.notes, how)
	}
	l.b.add(s)
}

func containsNote(notes []string, n string) bool {
	for _, x := range notes {
		if x == n {
			return true
		}
	}
	return false
}

// anchorKinds are the kinds an age can be matched on, finest first.
var anchorKinds = []sigKind{sigStarted, sigCreated, sigPulled, sigPulling, sigScheduled,
	sigKilling, sigOwnWarning}

// anchorFor picks the capture moment of a file's ages.
func (l *loader) anchorFor(rs []relSignal) (time.Time, string) {
	var best *relSignal
	var bestAt time.Time
	for i := range rs {
		r := &rs[i]
		at, ok := l.absoluteFor(r.s)
		if ok && (best == nil || r.age < best.age) {
			best, bestAt = r, at
		}
	}
	file := rs[0].file
	if best != nil {
		anchor := bestAt.Add(best.age)
		return anchor, fmt.Sprintf("ages in %s counted back from %s (its %s event matched at %s)",
			file, anchor.UTC().Format(time.RFC3339), kindWord(best.s.kind),
			bestAt.UTC().Format("15:04:05.000"))
	}
	if t, ok := l.mtimes[file]; ok {
		return t, fmt.Sprintf("ages in %s counted back from the file's modification time %s "+
			"(no event matched another input)", file, t.UTC().Format(time.RFC3339))
	}
	now := l.now()
	return now, fmt.Sprintf("ages in %s counted back from now (%s)", file,
		now.UTC().Format(time.RFC3339))
}

// absoluteFor finds the same event with an absolute time among what is already loaded: the
// latest signal of the same kind for the same pod.
func (l *loader) absoluteFor(s signal) (time.Time, bool) {
	usable := false
	for _, k := range anchorKinds {
		usable = usable || k == s.kind
	}
	if !usable {
		return time.Time{}, false
	}
	p := l.b.latestByName(s.pod)
	if p == nil {
		return time.Time{}, false
	}
	last, ok := p.set(s.kind).latest()
	return last.at, ok
}

func kindWord(k sigKind) string {
	switch k {
	case sigStarted:
		return "Started"
	case sigCreated:
		return "Created"
	case sigPulled:
		return "Pulled"
	case sigPulling:
		return "Pulling"
	case sigScheduled:
		return "Scheduled"
	case sigKilling:
		return "Killing"
	case sigOwnWarning:
		return "VolumePermissionChangeInProgress"
	}
	return "matching"
}

var twoSpaces = regexp.MustCompile(`\s{2,}`)

// cellsBySpaces splits at runs of two or more spaces; ok is false when there are fewer cells
// than columns.
func cellsBySpaces(row string, cols []column) (map[string]string, bool) {
	parts := twoSpaces.Split(strings.TrimSpace(row), len(cols))
	if len(parts) < len(cols) {
		return nil, false
	}
	out := make(map[string]string, len(cols))
	for i, c := range cols {
		out[c.name] = strings.TrimSpace(parts[i])
	}
	return out, true
}
