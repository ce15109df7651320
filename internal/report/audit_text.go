package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/startlag/startlag/internal/audit"
)

// ANSI escape sequences used by the text format when colour is enabled.
const (
	auditReset  = "\x1b[0m"
	auditBold   = "\x1b[1m"
	auditRed    = "\x1b[31m"
	auditYellow = "\x1b[33m"
	auditCyan   = "\x1b[36m"
	auditDim    = "\x1b[2m"
)

// AuditText renders an audit as text for people: findings grouped by workload, by file and line,
// each workload headed by its file:line:column, kind, namespace/name and helm source. It writes
// nothing when there are no findings (the command's summary goes to stderr).
type AuditText struct {
	// Color enables ANSI colour; set it from ColorEnabled(w).
	Color bool
}

// Render writes r to w.
//
// The assumptions findings rest on recur across workloads (the same unknown StorageClass, the
// same unknown CSI driver): each finding names them by label (A1, A2, …) and their texts are
// listed once, after the findings.
func (t AuditText) Render(w io.Writer, r AuditReport) error {
	bw := bufio.NewWriter(w)
	var last *audit.WorkloadRef
	labels := &assumptionLabels{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if last == nil || *last != f.Workload {
			if last != nil {
				bw.WriteString("\n")
			}
			t.header(bw, r, f.Workload)
			last = &f.Workload
		}
		t.finding(bw, r, f, labels)
	}
	t.assumptions(bw, labels)
	t.suppressed(bw, r)
	return bw.Flush()
}

// assumptionLabels numbers assumption texts in the order they first appear.
type assumptionLabels struct {
	texts []string
	index map[string]int
}

// label returns the label of text ("A1", "A2", …), numbering it when it is new.
func (l *assumptionLabels) label(text string) string {
	if l.index == nil {
		l.index = map[string]int{}
	}
	i, ok := l.index[text]
	if !ok {
		l.texts = append(l.texts, text)
		i = len(l.texts)
		l.index[text] = i
	}
	return fmt.Sprintf("A%d", i)
}

// assumptions lists the labelled assumption texts after the findings.
func (t AuditText) assumptions(w *bufio.Writer, l *assumptionLabels) {
	if len(l.texts) == 0 {
		return
	}
	w.WriteString("\n" + t.paint(auditBold, "Assumptions the findings rest on:") + "\n")
	for i, text := range l.texts {
		w.WriteString(WrapText(fmt.Sprintf("  A%-3d ", i+1), text))
	}
}

// suppressed lists the suppressed findings after the others, one line each with the reason
// that suppressed it, so that a suppression stays visible in review.
func (t AuditText) suppressed(w *bufio.Writer, r AuditReport) {
	if len(r.Suppressed) == 0 {
		return
	}
	if len(r.Findings) > 0 {
		w.WriteString("\n")
	}
	w.WriteString(t.paint(auditBold, "Suppressed:") + "\n")
	for _, sp := range r.Suppressed {
		f := sp.Finding
		name := f.Workload.Name
		if f.Workload.Namespace != "" {
			name = f.Workload.Namespace + "/" + name
		}
		what := fmt.Sprintf("%s %s %s", f.RuleID, f.Workload.Kind, name)
		if f.Volume != "" {
			what += " volume " + f.Volume
		}
		w.WriteString(WrapText("  ", printable(fmt.Sprintf("%s  %s: %s", f.Workload.Pos, what,
			sp.Reason))))
	}
}

// header writes the line that introduces a workload's findings.
func (t AuditText) header(w *bufio.Writer, r AuditReport, wl audit.WorkloadRef) {
	name := wl.Name
	if wl.Namespace != "" {
		name = wl.Namespace + "/" + wl.Name
	}
	line := printable(fmt.Sprintf("%s  %s %s", wl.Pos, wl.Kind, name))
	w.WriteString(t.paint(auditBold, line))
	if src := r.Sources[wl.Pos]; src != "" {
		w.WriteString(t.paint(auditDim, "  ("+printable(src)+")"))
	}
	w.WriteString("\n")
}

// finding writes one finding: severity, rule and subject, then why, fix, assumptions and docs.
func (t AuditText) finding(w *bufio.Writer, r AuditReport, f *audit.Finding,
	labels *assumptionLabels) {
	sev := fmt.Sprintf("%-7s", f.Severity)
	fmt.Fprintf(w, "  %s  %s", t.paint(severityColor(f.Severity), sev), f.RuleID)
	if f.Volume != "" {
		fmt.Fprintf(w, "  volume %s", printable(f.Volume))
	}
	if f.Container != "" {
		fmt.Fprintf(w, "  container %s", printable(f.Container))
	}
	w.WriteString("\n")

	writeField(w, "why", f.Message)
	writeField(w, "fix", f.Fix)
	if len(f.Assumptions) > 0 {
		names := make([]string, len(f.Assumptions))
		for i, a := range f.Assumptions {
			names[i] = labels.label(a)
		}
		writeField(w, "assumes", strings.Join(names, ", ")+" (listed at the end)")
	}
	for _, m := range f.Warnings {
		writeField(w, "warning", m)
	}
	if doc := r.Rule(f.RuleID).Doc; doc != "" {
		writeField(w, "docs", doc)
	}
}

// textWidth is the column at which the text format wraps why, fix and assumption texts.
const textWidth = 100

// writeField writes "    label: text", wrapping text at textWidth columns (see WrapText).
func writeField(w *bufio.Writer, label, text string) {
	if text == "" {
		return
	}
	w.WriteString(WrapText("    "+label+": ", text))
}

// WrapText returns prefix followed by text wrapped at 100 columns, continuation lines indented
// under the start of the text, and a final newline. Newlines in text start new lines. Words
// longer than a line and `code spans` are not broken, so commands stay copyable. Control
// characters are escaped (printable).
func WrapText(prefix, text string) string {
	var b strings.Builder
	indent := strings.Repeat(" ", len(prefix))
	b.WriteString(prefix)
	col := len(prefix)
	for i, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		para = printable(para)
		if i > 0 {
			b.WriteString("\n" + indent)
			col = len(indent)
		}
		start := col
		for _, word := range wrapUnits(para) {
			if col > start && col+1+len(word) > textWidth {
				b.WriteString("\n" + indent)
				col = len(indent)
			} else if col > start {
				b.WriteString(" ")
				col++
			}
			b.WriteString(word)
			col += len(word)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// wrapUnits splits text into words, keeping each `code span` whole and a count with the word
// after it ("14 v1/Service").
func wrapUnits(text string) []string {
	var units []string
	open, glue := false, false
	for _, f := range strings.Fields(text) {
		if open || glue {
			units[len(units)-1] += " " + f
		} else {
			units = append(units, f)
		}
		if strings.Count(f, "`")%2 == 1 {
			open = !open
		}
		glue = !open && isCount(f)
	}
	return units
}

// isCount reports whether word is a number, digits only, possibly after an opening
// parenthesis.
func isCount(word string) bool {
	word = strings.TrimPrefix(word, "(")
	for _, c := range word {
		if c < '0' || c > '9' {
			return false
		}
	}
	return word != ""
}

func severityColor(s audit.Severity) string {
	switch s {
	case audit.Error:
		return auditBold + auditRed
	case audit.Warning:
		return auditYellow
	}
	return auditCyan
}

// paint wraps s in the escape sequence code when colour is enabled.
func (t AuditText) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + auditReset
}
