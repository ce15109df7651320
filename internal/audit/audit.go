package audit

import "github.com/startlag/startlag/internal/manifest"

// Options tune one audit run.
type Options struct {
	// Ignore lists rule ids whose findings are dropped (--ignore).
	Ignore []string
	// KubeMinor is the minor version of the target cluster's Kubernetes (37 for 1.37). Rules
	// whose outcome depends on feature states (SELinuxMount) use it. Zero means the newest
	// version startlag models.
	KubeMinor int
}

// Suppressed is a finding dropped by an annotation on the workload or by --ignore.
type Suppressed struct {
	Finding Finding
	// Reason is the annotation's reason, or "--ignore" for the flag.
	Reason string
}

// Result is what an audit found.
type Result struct {
	Findings   []Finding
	Suppressed []Suppressed
	// Workloads is the number of workloads audited.
	Workloads int
}

// Run applies every rule of Rules to every workload in set.
//
// TODO: placeholder; the rules land in rules.go.
func Run(set *manifest.Set, opts Options) Result {
	return Result{Workloads: len(set.Workloads)}
}
