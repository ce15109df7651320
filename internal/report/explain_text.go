package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/startlag/startlag/internal/timeline"
)

// ExplainText renders explain results for a terminal or a pipe: per pod a drawn timeline (one
// Gantt bar per phase) and a plain-text diagnosis. With several pods, only the slow ones (see
// timeline.Pod.Slow) are drawn, at most MaxDrawn of them unless All is set; the others get a
// line each.
type ExplainText struct {
	// Width is the line width (80 when 0). Color enables ANSI colours.
	Width int
	Color bool
	// All draws every pod with a start-up, slow or not.
	All bool
}

// MaxDrawn is how many slow pods are drawn in full when ExplainText.All is not set.
const MaxDrawn = 10

// NewExplainText returns a text renderer sized for w: the terminal width (80 when w is not a
// terminal) and colour when ColorEnabled(w).
func NewExplainText(w io.Writer) ExplainText {
	r := ExplainText{Width: 80, Color: ColorEnabled(w)}
	if f, ok := w.(*os.File); ok && IsTerminal(w) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 60 {
			r.Width = min(cols, 160)
		}
	}
	return r
}

// ANSI colours used by the timeline.
const (
	ansiReset = "\x1b[0m"
	ansiSlow  = "\x1b[1;31m"
	ansiBar   = "\x1b[36m"
	ansiDim   = "\x1b[2m"
	ansiBold  = "\x1b[1m"
)

// Render writes the pods of res: slow ones drawn in full, slowest first, then a line for each
// of the others. A single pod is always drawn.
func (r ExplainText) Render(w io.Writer, res *timeline.Result) error {
	tw := &textWriter{w: w, r: r}
	if len(res.Pods) == 0 {
		tw.line("No pod start-up found in the inputs.")
		return tw.err
	}
	drawn, listed, quiet := r.split(res.Pods)
	if len(res.Pods) > 1 {
		tw.wrapped("", podCounts(res.Pods, drawn, listed, quiet))
		tw.line("")
	}
	for i, p := range drawn {
		if i > 0 {
			tw.line("")
		}
		tw.pod(p)
	}
	tw.podList(listed, len(drawn) > 0)
	if len(quiet) > 0 {
		if len(drawn)+len(listed) > 0 {
			tw.line("")
		}
		tw.wrapped("", fmt.Sprintf("%s the inputs name without a start-up: %s",
			Count(len(quiet), "pod", "pods"), podNames(quiet)))
	}
	return tw.err
}

// split sorts pods into those drawn in full, those listed a line each, and those without a
// start-up. res.Pods come slowest first.
func (r ExplainText) split(pods []timeline.Pod) (drawn, listed, quiet []timeline.Pod) {
	for _, p := range pods {
		switch {
		case len(p.Phases) == 0:
			quiet = append(quiet, p)
		case len(pods) == 1 || r.All || p.Slow() && len(drawn) < MaxDrawn:
			drawn = append(drawn, p)
		default:
			listed = append(listed, p)
		}
	}
	return drawn, listed, quiet
}

// podCounts is the first line of a multi-pod report.
func podCounts(pods, drawn, listed, quiet []timeline.Pod) string {
	slow := countSlow(pods)
	s := fmt.Sprintf("%s in the inputs: %d with a step of %s or more", Count(len(pods), "pod",
		"pods"), slow, slowStepText)
	if hidden := slow - countSlow(drawn); hidden > 0 {
		s += fmt.Sprintf(" (the %d slowest drawn below; --all draws every pod)", len(drawn))
	}
	if n := len(pods) - slow - len(quiet); n > 0 {
		s += fmt.Sprintf(", %d without", n)
	}
	if len(quiet) > 0 {
		s += fmt.Sprintf(", %d without a start-up", len(quiet))
	}
	return s + "."
}

func countSlow(pods []timeline.Pod) int {
	n := 0
	for _, p := range pods {
		if p.Slow() {
			n++
		}
	}
	return n
}

// podList writes one line per pod: name, start-up, slowest step and cause.
func (t *textWriter) podList(pods []timeline.Pod, after bool) {
	if len(pods) == 0 {
		return
	}
	if after {
		t.line("")
	}
	t.line("Other pods (start-up shown, then the slowest step):")
	for _, p := range pods {
		d := p.Diagnosis
		step := "no step of " + slowStepText + " or more"
		if p.Slow() {
			step = fmt.Sprintf("%s %s: %s", d.Phase, fmtDuration(d.Delay), d.Cause)
		}
		t.line(truncate(fmt.Sprintf("  %-40s %8s  %s", printable(p.Key()),
			fmtDuration(p.Total()), step), t.width()))
	}
}

// slowStepText is timeline.SlowStep as the text writes it.
var slowStepText = fmt.Sprintf("%gs", timeline.SlowStep.Seconds())

func podNames(pods []timeline.Pod) string {
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, printable(p.Key()))
	}
	return strings.Join(names, ", ")
}

// textWriter accumulates the first write error.
type textWriter struct {
	w   io.Writer
	r   ExplainText
	err error
}

func (t *textWriter) line(s string) {
	if t.err == nil {
		_, t.err = fmt.Fprintln(t.w, s)
	}
}

func (t *textWriter) paint(code, s string) string {
	if !t.r.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) width() int {
	if t.r.Width < 60 {
		return 80
	}
	return t.r.Width
}

// pod writes the header, the timeline and the diagnosis of one pod.
func (t *textWriter) pod(p timeline.Pod) {
	head := "Pod " + printable(p.Key())
	var meta []string
	if p.UID != "" {
		meta = append(meta, "uid "+printable(p.UID))
	}
	if p.Node != "" {
		meta = append(meta, "node "+printable(p.Node))
	}
	if len(meta) > 0 {
		head += "  (" + strings.Join(meta, ", ") + ")"
	}
	t.line(t.paint(ansiBold, head))
	fine := p.Total() < time.Minute
	t.line(fmt.Sprintf("Start-up shown: %s, %s → %s UTC", fmtDuration(p.Total()),
		clockFine(p.Start, fine), clockFine(p.End, fine)))
	t.line("")
	t.timeline(p)
	t.line("")
	t.diagnosis(p.Diagnosis, slowPhaseOpen(p))
	for _, n := range p.Notes {
		t.wrapped("Note: ", printable(n))
	}
}

// Column widths of the drawn timeline.
const (
	labelCols = 23
	durCols   = 9
)

// timeline draws one bar per phase, scaled to the pod's start-up span.
func (t *textWriter) timeline(p timeline.Pod) {
	barCols := t.width() - labelCols - durCols - 4
	span := p.End.Sub(p.Start)
	for _, ph := range p.Phases {
		bar := drawBar(ph, p.Start, span, barCols)
		if ph.Name == p.Diagnosis.Phase {
			bar = t.paint(ansiSlow, bar)
		} else {
			bar = t.paint(ansiBar, bar)
		}
		t.line(fmt.Sprintf("  %-*s|%s| %*s", labelCols-2, truncate(p.PhaseLabel(ph), labelCols-2),
			bar, durCols, phaseDuration(ph)))
	}
	t.line(fmt.Sprintf("  %-*s %s", labelCols-2, "", axis(p.Start, p.End, barCols,
		span < time.Minute)))
	if legend := barLegend(p.Phases); legend != "" {
		t.line(fmt.Sprintf("  %-*s %s", labelCols-2, "", legend))
	}
}

// barLegend explains the bar fills other than a measured phase, when the timeline uses them.
func barLegend(phases []timeline.Phase) string {
	var open, inferred bool
	for _, ph := range phases {
		open = open || ph.Open && ph.Duration() > 0
		inferred = inferred || ph.Inferred && !ph.Open && ph.Duration() > 0
	}
	var parts []string
	if inferred {
		parts = append(parts, "▒ inferred: an upper bound")
	}
	if open {
		parts = append(parts, "░ still running at the end of the input")
	}
	return strings.Join(parts, "   ")
}

// drawBar renders the phase as blocks at its place in the span: █ measured, ▒ inferred bound,
// ░ still running at the end of the input, │ for an instant.
func drawBar(ph timeline.Phase, origin time.Time, span time.Duration, cols int) string {
	cells := []rune(strings.Repeat(" ", cols))
	if span <= 0 {
		span = time.Second
	}
	from := scale(ph.Start.Sub(origin), span, cols)
	to := scale(ph.End.Sub(origin), span, cols)
	if ph.Duration() == 0 {
		cells[min(from, cols-1)] = '│'
		return string(cells)
	}
	fill := '█'
	switch {
	case ph.Open:
		fill = '░'
	case ph.Inferred:
		fill = '▒'
	}
	if to <= from {
		to = from + 1
	}
	for i := from; i < to && i < cols; i++ {
		cells[i] = fill
	}
	return string(cells)
}

// scale maps an offset in the span to a column.
func scale(d, span time.Duration, cols int) int {
	c := int(float64(d) / float64(span) * float64(cols))
	return max(0, min(c, cols))
}

// axis writes the start and end clock times under the bars.
func axis(start, end time.Time, cols int, fine bool) string {
	l, r := clockFine(start, fine), clockFine(end, fine)
	gap := cols + 1 - len(l) - len(r) // the end time ends under the closing "|"
	if gap < 1 {
		return l
	}
	return l + strings.Repeat(" ", gap) + r
}

func phaseDuration(ph timeline.Phase) string {
	s := fmtDuration(ph.Duration())
	switch {
	case ph.Open:
		s += "+"
	case ph.Inferred:
		s = "≤" + s
	}
	return s
}

// diagnosis writes the cause, delay, confidence, evidence, fix and cost.
// slowPhaseOpen reports whether the phase the diagnosis names was still going at the end of the
// input, so that its delay is a lower bound.
func slowPhaseOpen(p timeline.Pod) bool {
	for _, ph := range p.Phases {
		if ph.Name == p.Diagnosis.Phase {
			return ph.Open
		}
	}
	return false
}

// diagnosis writes the cause block; open says the slow phase had not ended.
func (t *textWriter) diagnosis(d timeline.Diagnosis, open bool) {
	t.wrapped("Cause:      ", fmt.Sprintf("%s — %s", t.paint(ansiBold, string(d.Cause)),
		d.Cause.Title()))
	delay := fmtDuration(d.Delay)
	phase := fmt.Sprintf("%s in phase %s", delay, d.Phase)
	switch {
	case d.DelayUnknown:
		phase = fmt.Sprintf("unknown: phase %s has no end in the inputs", d.Phase)
	case open:
		phase = fmt.Sprintf("%s+ in phase %s, still running at the end of the input", delay,
			d.Phase)
	case d.UpperBound:
		phase = fmt.Sprintf("≤ %s (upper bound) in phase %s", delay, d.Phase)
	}
	t.wrapped("Delay:      ", phase)
	t.field("Confidence", string(d.Confidence))
	if d.FilesPerSecond > 0 {
		t.field("Walk rate", fmt.Sprintf("%.0f files/s (%d files by the last progress report)",
			d.FilesPerSecond, d.Files))
	}
	t.wrapped("Why:        ", printable(d.Summary))
	if len(d.Evidence) > 0 {
		t.line("Evidence:")
		for _, e := range d.Evidence {
			t.evidence(e)
		}
	}
	for _, r := range d.RuledOut {
		t.wrapped("Not it:     ", printable(r))
	}
	t.wrapped("Fix:        ", printable(d.Fix))
	if d.Cost != nil {
		t.wrapped("Cost:       ", d.Cost.Formula)
	}
	t.field("Docs", d.Cause.DocPath())
}

func (t *textWriter) field(name, value string) {
	t.line(fmt.Sprintf("%-11s %s", name+":", value))
}

// evidence writes "  file:line" and, indented below it, the line cut to the width.
func (t *textWriter) evidence(e timeline.Evidence) {
	loc := printable(e.File)
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	t.line("  " + t.paint(ansiDim, loc))
	t.line(truncate("    "+printable(displayText(e.Text)), t.width()))
}

// displayText shortens a log line for the terminal: the message of a JSON record, or what follows
// the klog header ("...] "), so that the meaningful part survives truncation. The full line is in
// the JSON and HTML outputs.
func displayText(s string) string {
	if strings.HasPrefix(s, "{") {
		var rec struct {
			Msg     string `json:"msg"`
			Message string `json:"MESSAGE"`
		}
		if json.Unmarshal([]byte(s), &rec) == nil && rec.Msg != "" {
			return rec.Msg
		}
		if rec.Message != "" && !strings.HasPrefix(rec.Message, "{") {
			return displayText(rec.Message) // journalctl -o json: MESSAGE holds the klog line
		}
		if _, rest, ok := strings.Cut(s, `"msg":"`); ok {
			return strings.ReplaceAll(rest, `\"`, `"`)
		}
	}
	if i := strings.Index(s, "] "); i > 0 && i < 120 && strings.Contains(s[:i], ".go:") {
		return s[i+2:]
	}
	if name, rest, ok := strings.Cut(s, "{"); ok && isMetricName(name) {
		return compactSample(name, rest)
	}
	return s
}

// compactSample shortens a Prometheus sample line, name{labels} value…, so that the value
// survives truncation: `volume_apply_access_control sum = 2.3 (metric_name)` when the sample
// has an operation_name label, else the name and the value.
func compactSample(name, rest string) string {
	labels, value, ok := strings.Cut(rest, "} ")
	if !ok {
		return name + "{" + rest
	}
	for _, l := range strings.Split(labels, ",") {
		if op, ok := strings.CutPrefix(l, "operation_name="); ok {
			base, part := name, ""
			if i := strings.LastIndexByte(name, '_'); i > 0 {
				base, part = name[:i], name[i+1:]
			}
			return fmt.Sprintf("%s %s = %s (%s)", strings.Trim(op, `"`), part, value, base)
		}
	}
	return name + " = " + value
}

// isMetricName reports whether s has the shape of a Prometheus metric name.
func isMetricName(s string) bool {
	for _, c := range s {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// wrapped writes prefix+text, wrapping at the width with a hanging indent.
func (t *textWriter) wrapped(prefix, text string) {
	indent := strings.Repeat(" ", len([]rune(prefix)))
	line := prefix
	for _, word := range strings.Fields(text) {
		if len([]rune(line))+1+len([]rune(word)) > t.width() && strings.TrimSpace(line) != "" &&
			line != prefix {
			t.line(line)
			line = indent
		}
		if line != prefix && line != indent {
			line += " "
		}
		line += word
	}
	t.line(line)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// clockFine is clock with milliseconds when fine is true (short start-ups).
func clockFine(t time.Time, fine bool) string {
	if fine && !t.IsZero() {
		return t.UTC().Format("15:04:05.000")
	}
	return clock(t)
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("15:04:05")
}

// fmtDuration renders durations compactly: 0.7s, 27m19s, 2h03m.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
