package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/startlag/startlag/internal/audit"
	"github.com/startlag/startlag/internal/manifest"
	"github.com/startlag/startlag/internal/report"
)

// newestKubeMinor is the newest Kubernetes minor version startlag models; --kube-version
// defaults to it.
const newestKubeMinor = 37

const auditLong = `Audit Kubernetes manifests for start-up hazards: volumes the kubelet re-owns
(fsGroup without fsGroupChangePolicy: OnRootMismatch) or relabels at every mount, recursive
chown/chmod init containers, and their relatives. Nothing is contacted; only the given files
are read.

Inputs are files, directories (read recursively: *.yaml, *.yml, *.json; hidden directories
skipped; symlinks to files are followed, symlinks to directories inside them are not, so a
link loop cannot recurse) and "-" for standard input, so rendered charts and kustomizations
can be piped in.
Multi-document streams and List objects are read; Pods, Deployments, StatefulSets, DaemonSets,
ReplicaSets, ReplicationControllers, Jobs, CronJobs, Argo Rollouts and OpenKruise CloneSets,
Advanced StatefulSets and Advanced DaemonSets are audited; PVCs, PVs, StorageClasses and
CSIDrivers in the same input inform the audit; everything else is counted and skipped.
At least one input is required: with no arguments audit does not read standard input.

Findings are dropped with --ignore RULE, or for one workload with the annotation
` + audit.IgnoreAnnotation + `: "RULE: reason" (entries separated by commas or newlines).
Dropped findings are counted, and listed in the JSON output with their reason.

Results go to standard output (-o text, json or sarif). Input errors (with file:line) and a
summary line go to standard error. Unreadable or malformed input does not stop the audit:
everything readable is still audited and reported, and the exit status is 2.

` + auditExitHelp

const auditExample = `  startlag audit examples/
  helm template my-release ./chart | startlag audit -
  kustomize build overlays/prod | startlag audit - -o sarif > startlag.sarif
  startlag audit manifests/ -o json --fail-on error --ignore chown-init-container`

// auditOptions are the flags of `startlag audit`.
type auditOptions struct {
	output      string
	failOn      string
	ignore      []string
	kubeVersion string
	// selinuxNodes: the nodes enforce SELinux (--selinux-nodes).
	selinuxNodes bool
}

const auditExitHelp = `Exit status:
  0    no finding at or above --fail-on
  1    findings at or above --fail-on (default warning)
  2    usage error; input that could not be read or parsed (the other inputs are still
       audited and reported); no Kubernetes object in the whole input (an empty stream)
  130  interrupted`

func newAuditCmd(s streams) *cobra.Command {
	o := &auditOptions{
		output:      "text",
		failOn:      audit.Warning.String(),
		kubeVersion: fmt.Sprintf("1.%d", newestKubeMinor),
	}
	cmd := &cobra.Command{
		Use:     "audit [PATH...|-]",
		Short:   "find workloads whose volumes are re-owned or relabelled at every start",
		Long:    auditLong,
		Example: auditExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), s, args)
		},
	}

	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", o.output, "output format: text, json or sarif")
	f.StringVar(&o.failOn, "fail-on", o.failOn,
		"exit 1 when a finding has at least this severity: info, warning or error")
	f.StringArrayVar(&o.ignore, "ignore", nil, "drop the findings of this rule id (repeatable)")
	f.StringVar(&o.kubeVersion, "kube-version", o.kubeVersion,
		"Kubernetes version of the target cluster (MAJOR.MINOR)")
	f.BoolVar(&o.selinuxNodes, "selinux-nodes", false, "the nodes enforce SELinux: "+
		"selinux-relabel also audits pods without seLinuxOptions (the runtime labels them)")
	return cmd
}

// auditConfig is the validated form of auditOptions.
type auditConfig struct {
	renderer  report.Renderer[report.AuditReport]
	failOn    audit.Severity
	kubeMinor int
	rules     []report.RuleInfo
}

// validate checks the flags and arguments; every problem is a usage error.
func (o *auditOptions) validate(args []string, out io.Writer) (*auditConfig, error) {
	if len(args) == 0 {
		return nil, errors.New(`no input: give files, directories or "-" for standard input`)
	}
	c := &auditConfig{rules: auditRules()}

	var err error
	if c.renderer, err = report.AuditFormats(report.ColorEnabled(out)).Get(o.output); err != nil {
		return nil, err
	}
	if c.failOn, err = audit.ParseSeverity(o.failOn); err != nil {
		return nil, fmt.Errorf("--fail-on: %w", err)
	}
	if c.kubeMinor, err = parseKubeMinor(o.kubeVersion); err != nil {
		return nil, fmt.Errorf("--kube-version: %w", err)
	}
	if err := checkRuleIDs(o.ignore, c.rules); err != nil {
		return nil, fmt.Errorf("--ignore: %w", err)
	}
	return c, nil
}

// parseKubeMinor parses "1.37", "v1.37" or "1.37.2" and returns the minor version.
func parseKubeMinor(v string) (int, error) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "1" {
		return 0, fmt.Errorf("%q is not a Kubernetes version like 1.%d", v, newestKubeMinor)
	}
	minor, err := strconv.Atoi(parts[1])
	if err != nil || minor < 0 || minor > 99 {
		return 0, fmt.Errorf("%q is not a Kubernetes version like 1.%d", v, newestKubeMinor)
	}
	return minor, nil
}

// checkRuleIDs rejects ids that name no rule, listing the valid ones.
func checkRuleIDs(ids []string, rules []report.RuleInfo) error {
	valid := make([]string, 0, len(rules))
	for _, r := range rules {
		valid = append(valid, r.ID)
	}
	for _, id := range ids {
		if !slices.Contains(valid, id) {
			return fmt.Errorf("unknown rule %q (valid: %s)", id, strings.Join(valid, ", "))
		}
	}
	return nil
}

// run loads the inputs, audits them, renders the result and returns the exit status as an
// error (see exit.go).
func (o *auditOptions) run(ctx context.Context, s streams, args []string) error {
	if err := audit.Validate(audit.Rules); err != nil {
		return withCode(exitError, fmt.Errorf("invalid rule list (a defect of this build): %w", err))
	}
	c, err := o.validate(args, s.Out)
	if err != nil {
		return usageError(err)
	}
	if c.kubeMinor > newestKubeMinor {
		fmt.Fprintf(s.Err, "startlag: warning: --kube-version %s is newer than the kubelet "+
			"startlag models (1.%d); audited as 1.%d\n", o.kubeVersion, newestKubeMinor,
			newestKubeMinor)
		c.kubeMinor = newestKubeMinor
	}

	defer relaxGC()()
	set := manifest.Load(ctx, args, s.In)
	if err := ctx.Err(); err != nil {
		return err
	}
	if set.KindedObjects() == 0 && len(set.Errors) == 0 {
		// An empty stream is what a failed `helm template … |` leaves; it must not pass, and
		// the JSON and SARIF documents must say why.
		set.Errors = append(set.Errors, &manifest.InputError{Pos: manifest.Position{
			File: onlyInput(args)}, Err: errors.New("no Kubernetes objects in the input " +
			"(no document with apiVersion and kind)")})
	}
	res := audit.Run(set, audit.Options{Ignore: o.ignore, KubeMinor: c.kubeMinor,
		SELinuxNodes: o.selinuxNodes})
	rep := report.NewAuditReport(set, res, c.rules, fmt.Sprintf("1.%d", c.kubeMinor), c.failOn)

	if err := c.renderer.Render(s.Out, rep); err != nil {
		return withCode(exitError, fmt.Errorf("writing results: %w", err))
	}
	for _, e := range set.Errors {
		report.Message(s.Err, "", e.Error())
	}
	for _, w := range res.Warnings {
		report.Message(s.Err, "warning: ", w)
	}
	fmt.Fprint(s.Err, report.WrapText("startlag: ", auditSummary(rep)))

	switch {
	case len(set.Errors) > 0:
		return withCode(exitError, nil)
	case rep.Failing():
		return withCode(exitFindings, nil)
	}
	return nil
}

// onlyInput names the input when there is one ("-" is standard input), else "".
func onlyInput(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

// relaxGC makes the garbage collector run less often while an audit decodes its input, unless
// GOGC or GOMEMLIMIT is set, and returns the function that restores the previous settings.
// Decoding allocates much and keeps little, and the process exits soon after: collecting at 4x
// the live heap instead of 2x saves about a sixth of the CPU time for a few tens of MiB of
// memory. On large inputs 4x would be hundreds of MiB, so a soft limit (relaxedGCLimit) makes
// the collector work harder again as the heap nears it.
func relaxGC() func() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(400)
	oldLimit := debug.SetMemoryLimit(relaxedGCLimit)
	return func() {
		debug.SetGCPercent(old)
		debug.SetMemoryLimit(oldLimit)
	}
}

// relaxedGCLimit is the soft memory limit while relaxGC is in force.
const relaxedGCLimit = 256 << 20

// auditSummary is the one-line summary written to standard error.
func auditSummary(r report.AuditReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "audited %s in %s: ", plural(r.Workloads, "workload"), plural(r.Files, "file"))
	b.WriteString(findingCounts(r))
	if n := len(r.Suppressed); n > 0 {
		fmt.Fprintf(&b, ", %d suppressed", n)
	}
	if n := len(r.InputErrors); n > 0 {
		fmt.Fprintf(&b, ", %s", plural(n, "input error"))
	}
	if n := total(r.Skipped); n > 0 {
		fmt.Fprintf(&b, "; skipped %s: %s", plural(n, "other object"), skippedCounts(r.Skipped))
	}
	return b.String()
}

// findingCounts says "no findings" or "3 findings (1 error, 2 warnings)".
func findingCounts(r report.AuditReport) string {
	if len(r.Findings) == 0 {
		return "no findings"
	}
	counts := r.CountBySeverity()
	var parts []string
	for _, sev := range []audit.Severity{audit.Error, audit.Warning, audit.Info} {
		if n := counts[sev]; n > 0 {
			name := sev.String()
			if n > 1 && sev != audit.Info {
				name += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		}
	}
	return fmt.Sprintf("%s (%s)", plural(len(r.Findings), "finding"), strings.Join(parts, ", "))
}

// skippedCounts lists skipped objects by kind, most frequent first: "21 v1/ConfigMap, 3 ...".
func skippedCounts(skipped map[string]int) string {
	kinds := make([]string, 0, len(skipped))
	for k := range skipped {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if skipped[a] != skipped[b] {
			return skipped[b] - skipped[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", skipped[k], k)
	}
	return strings.Join(parts, ", ")
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// plural says "1 workload" or "3 workloads".
func plural(n int, noun string) string { return report.Count(n, noun, noun+"s") }

// auditRules returns the metadata of every audit rule, in list order.
func auditRules() []report.RuleInfo {
	rules := make([]report.RuleInfo, len(audit.Rules))
	for i, r := range audit.Rules {
		rules[i] = report.RuleInfo{
			ID:          r.ID,
			Severity:    r.Severity,
			Summary:     r.Summary,
			Explanation: r.Explanation,
			Fix:         r.Fix,
			Doc:         r.Doc,
		}
	}
	return rules
}
