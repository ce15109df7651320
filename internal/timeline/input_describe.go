package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// describeTimeLayout is how `kubectl describe` prints absolute times.
const describeTimeLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// describeState is the position of the describe parser.
type describeState struct {
	ref       kubelog.PodRef
	section   string // top-level section: "Containers", "Init Containers", "Events", ...
	container string
	cols      []column
	inEvents  bool
}

// parseDescribe reads `kubectl describe pod` text: name, namespace, node, start time, container
// start and finish times (absolute) and the Events table (ages, resolved by anchorRelative).
// Only the first pod of a multi-pod describe is read per "Name:" block.
func (l *loader) parseDescribe(path string, b []byte) (int, string, error) {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	st := &describeState{}
	n := 0
	for i, line := range lines {
		ev := Evidence{File: path, Line: i + 1, Text: strings.TrimSpace(line)}
		if l.describeLine(st, line, ev) {
			n++
		}
	}
	if st.ref.Name == "" {
		return n, "", fmt.Errorf("%s: describe text without a pod name", path)
	}
	return n, "pod " + nameKey(st.ref), nil
}

// describeLine handles one line; true when it produced a signal.
func (l *loader) describeLine(st *describeState, line string, ev Evidence) bool {
	if strings.TrimSpace(line) == "" {
		return false
	}
	if !strings.HasPrefix(line, " ") {
		return l.describeTopLevel(st, line, ev)
	}
	if st.inEvents {
		return l.describeEvent(st, line, ev)
	}
	if st.section == "Containers" || st.section == "Init Containers" {
		return l.describeContainer(st, line, ev)
	}
	return false
}

// describeTopLevel reads "Key: value" lines at column 0.
func (l *loader) describeTopLevel(st *describeState, line string, ev Evidence) bool {
	key, val, _ := strings.Cut(line, ":")
	val = strings.TrimSpace(val)
	st.section, st.inEvents, st.cols = key, key == "Events", nil
	switch key {
	case "Name":
		st.ref = kubelog.PodRef{Name: val}
	case "Namespace":
		st.ref.Namespace = val
		l.b.podFor(st.ref)
	case "Node":
		node, _, _ := strings.Cut(val, "/")
		if p := l.b.podFor(st.ref); p != nil && p.node == "" && node != "<none>" {
			p.node = node
		}
	}
	return false
}

// describeContainer reads container names and their Started/Finished times.
func (l *loader) describeContainer(st *describeState, line string, ev Evidence) bool {
	trimmed := strings.TrimSpace(line)
	indent := len(line) - len(strings.TrimLeft(line, " "))
	if indent == 2 && strings.HasSuffix(trimmed, ":") {
		st.container = strings.TrimSuffix(trimmed, ":")
		return false
	}
	key, val, ok := strings.Cut(trimmed, ":")
	if !ok || (key != "Started" && key != "Finished") {
		return false
	}
	t, err := time.Parse(describeTimeLayout, strings.TrimSpace(val))
	if err != nil {
		return false
	}
	kind := map[string]sigKind{"Started": sigStarted, "Finished": sigNone}[key]
	if st.section == "Init Containers" {
		kind = map[string]sigKind{"Started": sigInitStarted, "Finished": sigInitFinished}[key]
	}
	if kind == sigNone {
		return false
	}
	l.noteTime(t)
	ev.Time = t
	l.b.add(signal{kind: kind, at: t, pod: st.ref, detail: st.container, ev: ev,
		component: "describe"})
	return true
}

// describeEvent reads one row of the Events table (header, dashes, rows).
func (l *loader) describeEvent(st *describeState, line string, ev Evidence) bool {
	trimmed := strings.TrimSpace(line)
	if st.cols == nil {
		if strings.HasPrefix(trimmed, "Type") && strings.Contains(trimmed, "Reason") {
			st.cols = tableColumns(line)
		}
		return false
	}
	if strings.HasPrefix(trimmed, "----") {
		return false
	}
	c := cells(line, st.cols)
	age, first, prec, ok := parseAgeCell(c["Age"])
	if !ok {
		return false
	}
	return l.addRelative(st.ref, c["Reason"], c["Message"], age, first, prec, ev)
}
