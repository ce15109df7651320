package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/startlag/startlag/internal/audit"
)

// ToolURI is startlag's home page, given to SARIF consumers as the tool's information URI.
const ToolURI = "https://github.com/startlag/startlag"

// RenderAuditSARIF writes r as a SARIF 2.1.0 log with one run, suitable for GitHub code
// scanning: every rule with its help text and help URI; every finding as a result with its
// rule id, level, message (why and fix) and the workload's location (a relative,
// slash-separated path, start line and column). Input errors become tool execution
// notifications, and the invocation is marked unsuccessful when there are any; audit warnings
// (a malformed startlag.dev/ignore annotation) become warning-level notifications and, on the
// findings they concern, a "warnings" result property and message lines. Suppressed findings
// are left out.
func RenderAuditSARIF(w io.Writer, r AuditReport) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("creating SARIF log: %w", err)
	}
	run := sarif.NewRunWithInformationURI("startlag", ToolURI)
	run.Tool.Driver.WithVersion(ToolVersion())
	for _, ri := range r.Rules {
		addSARIFRule(run, ri)
	}
	for _, f := range r.Findings {
		addSARIFResult(run, r, f)
	}
	addSARIFInvocation(run, r)
	log.AddRun(run)

	if err := log.PrettyWrite(w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// addSARIFRule describes one rule.
func addSARIFRule(run *sarif.Run, ri RuleInfo) {
	rule := run.AddRule(ri.ID).
		WithName(ri.ID).
		WithShortDescription(sarif.NewMultiformatMessageString(ri.Summary)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().
			WithLevel(sarifLevel(ri.Severity)))
	if ri.Explanation != "" {
		rule.WithFullDescription(sarif.NewMultiformatMessageString(ri.Explanation))
	}
	help := strings.TrimSpace(ri.Explanation + "\n\nFix: " + ri.Fix)
	rule.WithHelp(sarif.NewMultiformatMessageString(help).WithMarkdown(ruleMarkdown(ri)))
	if ri.Doc != "" {
		rule.WithHelpURI(ri.Doc)
	}
}

// ruleMarkdown is the rule's help in Markdown, as GitHub shows it beside an alert.
func ruleMarkdown(ri RuleInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s**\n\n%s\n\n**Fix:** %s", ri.Summary, ri.Explanation, ri.Fix)
	if ri.Doc != "" {
		fmt.Fprintf(&b, "\n\n[Documentation](%s)", ri.Doc)
	}
	return b.String()
}

// addSARIFResult adds one finding.
func addSARIFResult(run *sarif.Run, r AuditReport, f audit.Finding) {
	text := resultText(f)
	res := run.CreateResultForRule(f.RuleID).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(text))
	res.AddLocation(sarifLocation(f))
	res.WithPartialFingerPrints(map[string]any{"startlagFinding/v1": fingerprint(f)})

	props := sarif.NewPropertyBag()
	props.Add("workload", workloadName(f.Workload))
	if f.Volume != "" {
		props.Add("volume", f.Volume)
	}
	if f.Container != "" {
		props.Add("container", f.Container)
	}
	if src := r.Sources[f.Workload.Pos]; src != "" {
		props.Add("helmSource", src)
	}
	if len(f.Warnings) > 0 {
		props.Add("warnings", f.Warnings)
	}
	res.AttachPropertyBag(props)
}

// fingerprint identifies a finding independently of its line, so that code scanning keeps one
// alert per rule, workload, volume and container even when several share a line.
func fingerprint(f audit.Finding) string {
	w := f.Workload
	key := strings.Join([]string{f.RuleID, w.Kind, w.Namespace, w.Name, f.Volume, f.Container},
		"\x00")
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// resultText is the result message: the workload, why, the fix and the assumptions.
func resultText(f audit.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", workloadName(f.Workload), f.Message)
	if f.Fix != "" {
		fmt.Fprintf(&b, "\nFix: %s", f.Fix)
	}
	for _, a := range f.Assumptions {
		fmt.Fprintf(&b, "\nAssumes: %s", a)
	}
	for _, m := range f.Warnings {
		fmt.Fprintf(&b, "\nWarning: %s", m)
	}
	return b.String()
}

// sarifLocation locates a finding at its workload's first line.
func sarifLocation(f audit.Finding) *sarif.Location {
	p := f.Workload.Pos
	region := sarif.NewRegion().WithStartLine(max(p.Line, 1))
	if p.Column > 0 {
		region.WithStartColumn(p.Column)
	}
	loc := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(p.File))).
		WithRegion(region)
	return sarif.NewLocationWithPhysicalLocation(loc)
}

// sarifURI turns a file name as given on the command line into a URI reference: relative and
// slash-separated when the file is inside the working directory, a file: URI otherwise, each
// path segment percent-encoded (a space, "#", "%" or "?" in a name would otherwise change what
// the reference means). Standard input is named "stdin".
func sarifURI(file string) string {
	if file == "-" {
		return "stdin"
	}
	if filepath.IsAbs(file) {
		if wd, err := filepath.Abs("."); err == nil {
			if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
				file = rel
			}
		}
	}
	u := url.URL{Path: filepath.ToSlash(filepath.Clean(file))}
	if filepath.IsAbs(file) {
		u.Scheme = "file"
	}
	return u.String()
}

// addSARIFInvocation records whether the run read all its input, with each input error (level
// error) and each audit warning (level warning).
func addSARIFInvocation(run *sarif.Run, r AuditReport) {
	inv := run.AddInvocation(len(r.InputErrors) == 0)
	for _, e := range r.InputErrors {
		n := sarif.NewNotification().WithLevel("error").WithTextMessage(e.Message)
		if e.File != "" {
			region := sarif.NewRegion().WithStartLine(max(e.Line, 1))
			if e.Column > 0 {
				region.WithStartColumn(e.Column)
			}
			loc := sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(e.File))).
				WithRegion(region)
			n.AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, m := range r.Warnings {
		n := sarif.NewNotification().WithLevel("warning").WithTextMessage(m)
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s audit.Severity) string {
	switch s {
	case audit.Error:
		return "error"
	case audit.Warning:
		return "warning"
	}
	return "note"
}

func workloadName(wl audit.WorkloadRef) string {
	if wl.Namespace == "" {
		return wl.Kind + "/" + wl.Name
	}
	return wl.Kind + "/" + wl.Namespace + "/" + wl.Name
}
