package report

import (
	"cmp"
	"errors"
	"slices"

	"github.com/startlag/startlag/internal/audit"
	"github.com/startlag/startlag/internal/manifest"
)

// RuleInfo describes one audit rule for the formats that list rules (SARIF) or link to them.
type RuleInfo struct {
	ID          string
	Severity    audit.Severity
	Summary     string
	Explanation string
	Fix         string
	// Doc is the rule's documentation URL.
	Doc string
}

// InputError is a problem with the input, located as precisely as it is known: File may be
// empty (an error not tied to a file), Line and Column zero when unknown.
type InputError struct {
	File    string
	Line    int
	Column  int
	Message string
}

// AuditReport is what `startlag audit` renders: the findings, the suppressed findings, the
// input errors and the counts, with the rules' metadata. Build it with NewAuditReport, which
// sorts everything so that every renderer's output is deterministic.
type AuditReport struct {
	// KubeVersion is the Kubernetes version audited against, e.g. "1.37".
	KubeVersion string
	// FailOn is the --fail-on threshold.
	FailOn     audit.Severity
	Findings   []audit.Finding
	Suppressed []audit.Suppressed
	// Rules are all rules known to the run, in their list order.
	Rules []RuleInfo
	// Sources maps a workload's position to its helm "# Source:" template path, when known.
	Sources map[manifest.Position]string

	Files, Objects, Workloads int
	// Skipped counts objects that are neither workloads nor storage objects, by apiVersion/kind.
	Skipped     map[string]int
	InputErrors []InputError
	// Warnings are problems with the audit's own inputs that are not findings (a malformed
	// startlag.dev/ignore annotation), each naming the workload and its position; see
	// audit.Result.Warnings.
	Warnings []string
}

// NewAuditReport assembles the report of one audit run from what was loaded and found.
func NewAuditReport(set *manifest.Set, res audit.Result, rules []RuleInfo, kubeVersion string,
	failOn audit.Severity) AuditReport {
	r := AuditReport{
		KubeVersion: kubeVersion,
		FailOn:      failOn,
		Findings:    slices.Clone(res.Findings),
		Suppressed:  slices.Clone(res.Suppressed),
		Rules:       rules,
		Sources:     map[manifest.Position]string{},
		Files:       set.Files,
		Objects:     set.Objects,
		Workloads:   res.Workloads,
		Skipped:     set.Skipped,
		InputErrors: inputErrors(set.Errors),
		Warnings:    slices.Clone(res.Warnings),
	}
	for _, w := range set.Workloads {
		if w.Source != "" {
			r.Sources[w.Pos] = w.Source
		}
	}

	slices.SortStableFunc(r.Findings, compareFindings)
	slices.SortStableFunc(r.Suppressed, func(a, b audit.Suppressed) int {
		return compareFindings(a.Finding, b.Finding)
	})
	return r
}

// inputErrors converts loader errors, keeping their position when they carry one.
func inputErrors(errs []error) []InputError {
	out := make([]InputError, 0, len(errs))
	for _, err := range errs {
		var ie *manifest.InputError
		if errors.As(err, &ie) {
			p := ie.Pos
			out = append(out, InputError{p.File, p.Line, p.Column, ie.Err.Error()})
			continue
		}
		out = append(out, InputError{Message: err.Error()})
	}
	return out
}

// compareFindings orders findings by file, line, column, severity (highest first), rule,
// volume and container.
func compareFindings(a, b audit.Finding) int {
	pa, pb := a.Workload.Pos, b.Workload.Pos
	return cmp.Or(
		cmp.Compare(pa.File, pb.File),
		cmp.Compare(pa.Line, pb.Line),
		cmp.Compare(pa.Column, pb.Column),
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.Volume, b.Volume),
		cmp.Compare(a.Container, b.Container),
	)
}

// Rule returns the metadata of rule id, or a RuleInfo holding only the id.
func (r AuditReport) Rule(id string) RuleInfo {
	for _, ri := range r.Rules {
		if ri.ID == id {
			return ri
		}
	}
	return RuleInfo{ID: id}
}

// CountBySeverity counts the (unsuppressed) findings of each severity.
func (r AuditReport) CountBySeverity() map[audit.Severity]int {
	n := map[audit.Severity]int{}
	for _, f := range r.Findings {
		n[f.Severity]++
	}
	return n
}

// Failing reports whether any finding is at or above the --fail-on threshold.
func (r AuditReport) Failing() bool {
	return slices.ContainsFunc(r.Findings, func(f audit.Finding) bool {
		return f.Severity >= r.FailOn
	})
}

// AuditFormats returns the output formats of `startlag audit`. color enables ANSI colour in the
// text format; pass ColorEnabled(stdout).
func AuditFormats(color bool) Formats[AuditReport] {
	return Formats[AuditReport]{
		"text":  AuditText{Color: color},
		"json":  RendererFunc[AuditReport](RenderAuditJSON),
		"sarif": RendererFunc[AuditReport](RenderAuditSARIF),
	}
}
