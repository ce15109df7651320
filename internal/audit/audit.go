package audit

import (
	"fmt"
	"slices"
	"sync"

	"github.com/startlag/startlag/internal/manifest"
)

// Options tune one audit run.
type Options struct {
	// Ignore lists rule ids whose findings are dropped (--ignore).
	Ignore []string
	// KubeMinor is the minor version of the target cluster's Kubernetes (37 for 1.37). Rules
	// whose outcome depends on feature states (SELinuxMount) use it. Zero means the newest
	// version startlag models.
	KubeMinor int
	// SELinuxNodes says the nodes enforce SELinux, so that every pod is labelled (by the
	// runtime, with a random level, when the pod sets none) and selinux-relabel audits pods
	// without seLinuxOptions too.
	SELinuxNodes bool
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
	// Warnings are problems with the audit's own inputs that are not findings, such as a
	// malformed startlag.dev/ignore annotation (which then suppresses nothing). Each names the
	// workload and its position.
	Warnings []string
}

// Run applies every rule of Rules to every workload in set. Findings come out in workload
// order, then rule order. Findings named by --ignore or by a well-formed startlag.dev/ignore
// annotation go to Result.Suppressed; a malformed annotation suppresses nothing and is
// reported both in Result.Warnings and on each finding of its workload.
func Run(set *manifest.Set, opts Options) Result {
	res := Result{Workloads: len(set.Workloads)}
	if err := rulesValid(); err != nil {
		res.Warnings = append(res.Warnings, "invalid rule list: "+err.Error())
	}
	targets := newTargets(set, opts)
	for _, t := range targets {
		sup := workloadSuppression(t.w)
		for _, p := range sup.problems {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s (%s): %s", t.ref.display(),
				t.ref.Pos, p.text))
		}
		for _, r := range Rules {
			for _, f := range r.Check(t) {
				res.add(f, opts, sup)
			}
		}
	}
	return res
}

// rulesValid validates Rules once per process (the list is fixed at build time; the test
// TestRulesValidate keeps it valid).
var rulesValid = sync.OnceValue(func() error { return Validate(Rules) })

// add files one finding as kept or suppressed.
func (res *Result) add(f Finding, opts Options, sup suppression) {
	if slices.Contains(opts.Ignore, f.RuleID) {
		res.Suppressed = append(res.Suppressed, Suppressed{Finding: f, Reason: "--ignore"})
		return
	}
	if reason, ok := sup.reasons[f.RuleID]; ok {
		res.Suppressed = append(res.Suppressed, Suppressed{Finding: f, Reason: reason})
		return
	}
	for _, p := range sup.problems {
		if p.rule == "" || p.rule == f.RuleID {
			f.Warnings = append(f.Warnings, p.text)
		}
	}
	res.Findings = append(res.Findings, f)
}

func (r WorkloadRef) display() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}
