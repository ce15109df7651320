package report

import (
	"encoding/json"
	"io"
	"maps"

	"github.com/startlag/startlag/internal/audit"
)

// AuditSchema names the audit JSON document and its version (docs/json/audit.md). The version
// changes only when a field is removed, renamed or changes meaning; new fields may be added
// within a version.
const AuditSchema = "startlag.audit/v1"

// auditJSON is the audit JSON document. Every field is always present; lists are never null.
type auditJSON struct {
	Schema      string           `json:"schema"`
	KubeVersion string           `json:"kubeVersion"`
	FailOn      string           `json:"failOn"`
	Summary     auditSummaryJSON `json:"summary"`
	Findings    []findingJSON    `json:"findings"`
	Suppressed  []suppressedJSON `json:"suppressed"`
	InputErrors []inputErrorJSON `json:"inputErrors"`
	Warnings    []string         `json:"warnings"`
}

type auditSummaryJSON struct {
	Files       int            `json:"files"`
	Objects     int            `json:"objects"`
	Workloads   int            `json:"workloads"`
	Findings    int            `json:"findings"`
	BySeverity  map[string]int `json:"bySeverity"`
	Suppressed  int            `json:"suppressed"`
	InputErrors int            `json:"inputErrors"`
	Warnings    int            `json:"warnings"`
	Skipped     map[string]int `json:"skipped"`
	Failed      bool           `json:"failed"`
}

type workloadJSON struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Source     string `json:"source"`
}

type findingJSON struct {
	RuleID      string       `json:"ruleId"`
	Severity    string       `json:"severity"`
	Workload    workloadJSON `json:"workload"`
	Volume      string       `json:"volume"`
	Container   string       `json:"container"`
	File        string       `json:"file"`
	Line        int          `json:"line"`
	Column      int          `json:"column"`
	Message     string       `json:"message"`
	Fix         string       `json:"fix"`
	Assumptions []string     `json:"assumptions"`
	DocURL      string       `json:"docUrl"`
	Warnings    []string     `json:"warnings"`
}

type suppressedJSON struct {
	findingJSON
	Reason string `json:"reason"`
}

type inputErrorJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// RenderAuditJSON writes r as the indented JSON document described in docs/json/audit.md.
func RenderAuditJSON(w io.Writer, r AuditReport) error {
	doc := auditJSON{
		Schema:      AuditSchema,
		KubeVersion: r.KubeVersion,
		FailOn:      r.FailOn.String(),
		Summary:     summaryJSON(r),
		Findings:    make([]findingJSON, 0, len(r.Findings)),
		Suppressed:  make([]suppressedJSON, 0, len(r.Suppressed)),
		InputErrors: make([]inputErrorJSON, 0, len(r.InputErrors)),
		Warnings:    nonNil(r.Warnings),
	}
	for _, f := range r.Findings {
		doc.Findings = append(doc.Findings, r.findingJSON(f))
	}
	for _, s := range r.Suppressed {
		doc.Suppressed = append(doc.Suppressed, suppressedJSON{r.findingJSON(s.Finding), s.Reason})
	}
	for _, e := range r.InputErrors {
		doc.InputErrors = append(doc.InputErrors, inputErrorJSON(e))
	}

	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// summaryJSON counts r. bySeverity always holds the three severities.
func summaryJSON(r AuditReport) auditSummaryJSON {
	counts := r.CountBySeverity()
	by := map[string]int{}
	for _, s := range []audit.Severity{audit.Info, audit.Warning, audit.Error} {
		by[s.String()] = counts[s]
	}
	skipped := map[string]int{}
	maps.Copy(skipped, r.Skipped)
	return auditSummaryJSON{
		Files:       r.Files,
		Objects:     r.Objects,
		Workloads:   r.Workloads,
		Findings:    len(r.Findings),
		BySeverity:  by,
		Suppressed:  len(r.Suppressed),
		InputErrors: len(r.InputErrors),
		Warnings:    len(r.Warnings),
		Skipped:     skipped,
		Failed:      r.Failing(),
	}
}

func (r AuditReport) findingJSON(f audit.Finding) findingJSON {
	wl := f.Workload
	return findingJSON{
		RuleID:   f.RuleID,
		Severity: f.Severity.String(),
		Workload: workloadJSON{
			APIVersion: wl.APIVersion,
			Kind:       wl.Kind,
			Namespace:  wl.Namespace,
			Name:       wl.Name,
			Source:     r.Sources[wl.Pos],
		},
		Volume:      f.Volume,
		Container:   f.Container,
		File:        wl.Pos.File,
		Line:        wl.Pos.Line,
		Column:      wl.Pos.Column,
		Message:     f.Message,
		Fix:         f.Fix,
		Assumptions: nonNil(f.Assumptions),
		DocURL:      r.Rule(f.RuleID).Doc,
		Warnings:    nonNil(f.Warnings),
	}
}

// nonNil returns s, or an empty list for nil: the JSON document never holds null lists.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
