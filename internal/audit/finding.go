// Package audit runs startlag's static rules over the workloads read by package manifest and
// reports findings. Rules are values in one explicit list (rules.go); each has a stable id,
// a severity, a summary, an explanation, a fix and a documentation anchor. Rules never print:
// they return findings and the caller chooses the format and the exit code.
package audit

import (
	"fmt"
	"strings"

	"github.com/startlag/startlag/internal/manifest"
)

// Severity orders findings. The zero value is Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name as accepted by --fail-on.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (valid: info, warning, error)", name)
}

// WorkloadRef identifies the workload a finding is about.
type WorkloadRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Pos        manifest.Position
}

// Finding is one hazard found in one workload.
type Finding struct {
	RuleID   string
	Severity Severity
	Workload WorkloadRef
	// Volume is the pod volume (or volumeClaimTemplate) name the finding is about; empty when
	// the finding concerns the whole pod.
	Volume string
	// Container is set when a container (e.g. an init container) is the cause.
	Container string
	// Message says why, specifically for this workload and volume.
	Message string
	// Fix says what to change, specifically for this workload.
	Fix string
	// Assumptions lists what the finding takes for granted because it cannot be known from the
	// input (e.g. "no CSIDriver object in the input: assuming fsGroupPolicy
	// ReadWriteOnceWithFSType"). Empty when the input decided everything.
	Assumptions []string
	// Warnings are problems met while deciding about the finding, e.g. a malformed
	// startlag.dev/ignore annotation on the workload that therefore suppressed nothing.
	Warnings []string
}
