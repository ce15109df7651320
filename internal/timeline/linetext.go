package timeline

import (
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"

	"github.com/startlag/startlag/internal/kubelog"
)

// lineRef locates the text of an evidence line in a regular, uncompressed log file. While a log
// is read, the kept signals of a pod hold a lineRef instead of the line's text (a third of what
// a pod costs), and Load reads back only the lines that end up in the Result. Lines of standard
// input, of gzip streams and of other inputs keep their text.
type lineRef struct {
	off int64  // byte offset of the line in the file
	n   int32  // bytes of the text (0: no reference)
	sum uint32 // FNV-1a of the text, to notice a file that changed in between
}

// refOf returns a reference to the event's line, or a zero lineRef when its text is not a plain
// copy of the file's bytes (invalid UTF-8 replaced) and so cannot be read back as it was shown.
// The checksum is left to dropText: most lines are read while others wait to be parsed, and
// only the lines whose text is dropped need one.
func refOf(ev kubelog.Event) lineRef {
	if ev.Text == "" || strings.ContainsRune(ev.Text, '\uFFFD') {
		return lineRef{}
	}
	return lineRef{off: ev.Src.Offset, n: int32(len(ev.Text))}
}

func textSum(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// keepsText are the signal kinds whose text the diagnosis reads (failure messages), so their
// kept copies keep it.
var keepsText = map[sigKind]bool{sigOwnFailed: true, sigSetUpFailed: true}

// dropText forgets the text of a kept signal that can be read back later, keeping its checksum.
func dropText(s *signal) {
	if s.ev.line.n > 0 && !keepsText[s.kind] && s.ev.Text != "" {
		s.ev.line.sum = textSum(s.ev.Text)
		s.ev.Text = ""
	}
}

// restoreText fills in the text of every evidence line of the result that was dropped while
// reading, reading each file once in offset order. A line whose bytes no longer match (the file
// was rotated or rewritten since) is left without text and reported in a warning.
func (l *loader) restoreText() {
	byFile := map[string][]*Evidence{}
	for _, ev := range l.resultEvidence() {
		if ev.line.n > 0 && ev.Text == "" {
			byFile[ev.File] = append(byFile[ev.File], ev)
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if lost := readBack(f, byFile[f]); lost > 0 {
			l.result.Warnings = append(l.result.Warnings, fmt.Sprintf("%s changed after it "+
				"was read: the text of %d evidence %s not shown", f, lost,
				pluralWord(lost, "line is", "lines are")))
		}
	}
	for _, ev := range l.resultEvidence() {
		ev.line = lineRef{}
	}
}

// resultEvidence returns pointers to every evidence line of the result's pods.
func (l *loader) resultEvidence() []*Evidence {
	var out []*Evidence
	add := func(list []Evidence) {
		for i := range list {
			out = append(out, &list[i])
		}
	}
	for i := range l.result.Pods {
		p := &l.result.Pods[i]
		for j := range p.Phases {
			add(p.Phases[j].Evidence)
		}
		for j := range p.Walks {
			add(p.Walks[j].Evidence)
		}
		add(p.Diagnosis.Evidence)
	}
	return out
}

// readBack sets the text of each evidence line from the file and returns how many lines could
// not be read back unchanged.
func readBack(path string, evs []*Evidence) (lost int) {
	sort.Slice(evs, func(i, j int) bool { return evs[i].line.off < evs[j].line.off })
	f, err := os.Open(path)
	if err != nil {
		return len(evs)
	}
	defer f.Close()

	var buf []byte
	texts := map[lineRef]string{}
	for _, ev := range evs {
		if t, ok := texts[ev.line]; ok {
			ev.Text = t
			continue
		}
		if cap(buf) < int(ev.line.n) {
			buf = make([]byte, ev.line.n)
		}
		buf = buf[:ev.line.n]
		if _, err := f.ReadAt(buf, ev.line.off); err != nil || textSum(string(buf)) !=
			ev.line.sum {
			lost++
			continue
		}
		ev.Text = string(buf)
		texts[ev.line] = ev.Text
	}
	return lost
}
