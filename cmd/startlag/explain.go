package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/startlag/startlag/internal/kubelog"
	"github.com/startlag/startlag/internal/report"
	"github.com/startlag/startlag/internal/timeline"
)

// explainOptions are the flags of `startlag explain`.
type explainOptions struct {
	pod              string
	output           string
	html             string
	all              bool
	year             int
	tz               string
	restartsPerMonth float64
	volumeFiles      int64
}

const explainLong = `Build each pod's start-up timeline from kubelet logs, events and pod status,
and name the phase that ate the time and its cause (a stable cause id with a page under
docs/causes/).

Inputs are detected by content, in any mix and order; .gz files are read transparently, a
directory stands for the files below it (hidden ones left out) and "-" reads standard input:
  kubelet / containerd / CRI-O / CSI node plugin logs (klog, journald, JSON, logrus)
  kubectl get events -o json|yaml      (core/v1 and events.k8s.io/v1)
  kubectl events / kubectl get events  (table; ages are anchored on a matching event of
                                        another input, else on the file's modification time)
  kubectl describe pod                 (events, container start times)
  kubectl get pod -o json|yaml         (conditions and container statuses)
  workload, CSIDriver, PV objects      (context: fsGroup policy, NFS, init commands)
  kubelet /metrics scrapes             (volume_apply_access_control corroborates a walk)

klog lines carry no year and no zone: the year is taken from the other inputs (or --year),
the zone is UTC unless --tz is given.

When several pods are in the inputs and --pod is not given, every pod is explained. The text
draws the slow ones (a step of 10s or more), slowest first and at most 10 unless --all is
given, and lists the others a line each; -o json and --html hold every pod in full.

Cost: --restarts-per-month N turns the delay into engineer-hours per year:
  hours/year = delay seconds × N × 12 / 3600

Exit status:
  0    explained
  2    usage error, an input that could not be read (the others are still explained), or
       no pod found in the inputs
  130  interrupted`

func newExplainCmd(s streams) *cobra.Command {
	o := &explainOptions{}
	cmd := &cobra.Command{
		Use:   "explain FILE|DIR|-...",
		Short: "explain a pod's start-up timeline from logs, events and pod status",
		Long:  explainLong,
		Example: `  startlag explain kubelet.log events.json
  journalctl -u kubelet | startlag explain - pod.yaml --pod shop/db-0
  startlag explain kubelet.log.gz --html report.html --restarts-per-month 20`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.Context(), s, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.pod, "pod", "", "explain only this pod: NAMESPACE/NAME or NAME")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.html, "html", "", "also write a self-contained HTML report to this file")
	f.BoolVar(&o.all, "all", false, "text: draw every pod, not only the slow ones")
	f.IntVar(&o.year, "year", 0, "year of klog/syslog timestamps (default: from the other inputs)")
	f.StringVar(&o.tz, "tz", "",
		"time zone of klog/syslog timestamps, e.g. Europe/Berlin (default UTC)")
	f.Float64Var(&o.restartsPerMonth, "restarts-per-month", 0,
		"pod restarts per month, to state the delay in engineer-hours per year")
	f.Int64Var(&o.volumeFiles, "volume-files", 0,
		"number of files on the volume, for an ETA of a walk still running")
	return cmd
}

// runExplain loads the inputs, renders the result and maps problems to the exit code.
func runExplain(ctx context.Context, s streams, o *explainOptions, args []string) error {
	opts, err := o.timelineOptions(s, args)
	if err != nil {
		return usageError(err)
	}
	renderer, err := report.ExplainFormats(s.Out, o.all).Get(o.output)
	if err != nil {
		return usageError(err)
	}
	opts.Context = ctx
	res, loadErr := timeline.Load(args, opts)
	if errors.Is(loadErr, context.Canceled) {
		return loadErr
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted while the last input was being read
	}
	for _, p := range res.Problems {
		report.Message(s.Err, "", p.Error())
	}
	for _, w := range res.Warnings {
		report.Message(s.Err, "warning: ", w)
	}
	if loadErr != nil {
		return withCode(exitError, nil)
	}
	if o.pod != "" && len(res.Pods) == 0 {
		return withCode(exitError, fmt.Errorf("pod %s not found in the inputs%s", o.pod,
			podsNamed(res.Unselected)))
	}
	if len(res.Pods) == 0 {
		return withCode(exitError, errors.New("no pod found in the inputs"))
	}
	if err := renderer.Render(s.Out, res); err != nil {
		return withCode(exitError, fmt.Errorf("writing output: %w", err))
	}
	if err := writeHTML(o.html, res); err != nil {
		return withCode(exitError, err)
	}
	if len(res.Problems) > 0 {
		return withCode(exitError, nil)
	}
	if !anyStartUp(res.Pods) {
		return withCode(exitError, fmt.Errorf("no pod start-up found in the inputs (%s "+
			"named without one)", plural(len(res.Pods), "pod")))
	}
	return nil
}

// podsNamed lists the first pods of the inputs for an error message: "; they name a, b".
func podsNamed(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	const most = 10
	more := ""
	if len(keys) > most {
		more = fmt.Sprintf(" and %d more", len(keys)-most)
		keys = keys[:most]
	}
	return "; they name " + strings.Join(keys, ", ") + more
}

// anyStartUp reports whether at least one pod has a start-up to explain (phases).
func anyStartUp(pods []timeline.Pod) bool {
	for _, p := range pods {
		if len(p.Phases) > 0 {
			return true
		}
	}
	return false
}

// timelineOptions validates the flags and builds the loader options.
func (o *explainOptions) timelineOptions(s streams, args []string) (timeline.Options, error) {
	if len(args) == 0 {
		return timeline.Options{}, errors.New("explain needs at least one input file (or - for stdin)")
	}
	if !finiteNonNegative(o.restartsPerMonth) || o.restartsPerMonth > maxRestartsPerMonth {
		return timeline.Options{}, fmt.Errorf("--restarts-per-month must be a number from 0 "+
			"to %d", maxRestartsPerMonth)
	}
	if o.volumeFiles < 0 {
		return timeline.Options{}, errors.New("--volume-files must not be negative")
	}
	if err := notAnInput(o.html, args); err != nil {
		return timeline.Options{}, err
	}
	if o.year != 0 && (o.year < 1970 || o.year > 9999) {
		return timeline.Options{}, fmt.Errorf("--year %d is out of range", o.year)
	}
	opts := timeline.Options{Year: o.year, Pod: o.pod, RestartsPerMonth: o.restartsPerMonth,
		TotalFiles: o.volumeFiles, Stdin: s.In, OpenLog: openKubeletLog}
	if o.tz != "" {
		loc, err := time.LoadLocation(o.tz)
		if err != nil {
			return opts, fmt.Errorf("--tz %q: %w", o.tz, err)
		}
		opts.Location = loc
	}
	return opts, nil
}

// notAnInput refuses an --html path that is one of the inputs: writing the report would
// destroy the log it explains.
func notAnInput(html string, inputs []string) error {
	out, err := os.Stat(html)
	if html == "" || err != nil {
		return nil
	}
	for _, in := range inputs {
		if st, err := os.Stat(in); err == nil && os.SameFile(out, st) {
			return fmt.Errorf("--html %s is one of the inputs; writing it would overwrite them",
				html)
		}
	}
	return nil
}

// openKubeletLog adapts the kubelog reader to the timeline loader.
func openKubeletLog(r io.Reader, file string, opts kubelog.Options) timeline.LogReader {
	return kubelog.NewReader(r, file, opts)
}

// writeHTML writes the HTML report when a path was given.
func writeHTML(path string, res *timeline.Result) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	if err := report.WriteExplainHTML(f, res); err != nil {
		f.Close()
		return fmt.Errorf("writing HTML report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing HTML report %s: %w", path, err)
	}
	return nil
}
