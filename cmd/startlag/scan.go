package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/startlag/startlag/internal/gzsniff"
	"github.com/startlag/startlag/internal/report"
	"github.com/startlag/startlag/internal/volscan"
	"github.com/startlag/startlag/internal/walk"
)

// scanOptions are the flags of `startlag scan`.
type scanOptions struct {
	fsGroup          int64
	readOnly         bool
	rootSquash       bool
	workers          int
	oneFileSystem    bool
	output           string
	fromListing      string
	estimate         bool
	restartsPerMonth float64
	apply            bool
	maxOpsPerSecond  float64
	list             bool
	topK             int
}

const scanLong = `scan walks a volume (or reads a listing of one) and applies the kubelet's fsGroup
rules: the OnRootMismatch root test, then what an Always walk would change on every entry.

Verdicts (also the exit status):
  safe          the root passes the test and nothing differs: OnRootMismatch is safe (exit 0)
  unsafe        the root passes, so OnRootMismatch would skip the walk, but N entries differ
                and would never be fixed (exit 1)
  walks-anyway  the root fails the test: the next mount walks the whole volume even with
                OnRootMismatch (and every mount, if something keeps resetting the root or
                the walk cannot finish) (exit 3)

Offline: on a machine where the volume is mounted, run
  cd MOUNTPOINT && ` + volscan.FindCommand + ` > listing.txt
and check it with --from-listing listing.txt (or - for stdin). The output of ls -lanR DIR
(or ls -lan for one directory), e.g. from an NFS server, is read too.

--root-squash: for NFS exports with root_squash (the default), the kubelet's walk runs as
nobody; scan then lists the directories it could not open (the walk fails there and the pod
does not start) and the entries it may not change.

--estimate times the kubelet's per-entry work on temporary files it creates (and removes)
in the volume root, and predicts the Always walk per mount and per year.
--apply makes exactly the kubelet's changes, only to entries that differ, the root last.
Without --apply no entry is changed (--estimate only adds and removes its own temporary
files); --list prints every entry that would change.

`

const scanExitHelp = `Exit status:
  0    verdict safe; with --apply: every differing entry and the root were changed
  1    verdict unsafe
  2    usage error, or a volume or listing that could not be read (what could be read is
       still reported); with --apply: an entry or the root could not be changed
  3    verdict walks-anyway
  130  interrupted`

func newScanCmd(s streams) *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [DIR] [--fsgroup GID]",
		Short: "check a volume: is OnRootMismatch safe, what does Always cost, repair what differs",
		Long:  scanLong + scanExitHelp,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
				return usageError(fmt.Errorf("scan takes one DIR: %w", err))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), s, args)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.fsGroup, "fsgroup", -1,
		"the pod's fsGroup; -1 takes the volume root's group (not with --apply)")
	f.BoolVar(&o.readOnly, "read-only", false, "the volume is mounted read-only (0440/0550 masks)")
	f.BoolVar(&o.rootSquash, "root-squash", false,
		"the volume is NFS exported with root_squash: say what a kubelet acting as nobody "+
			"cannot open or change")
	f.IntVarP(&o.workers, "workers", "j", walk.DefaultWorkers, "parallel walkers")
	f.BoolVarP(&o.oneFileSystem, "one-file-system", "x", false,
		"do not descend into nested mounts (the kubelet does)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.fromListing, "from-listing", "",
		"read a find listing (FILE, or - for stdin) instead of walking DIR")
	f.BoolVar(&o.estimate, "estimate", false, "predict the cost of the kubelet's Always walk")
	f.Float64Var(&o.restartsPerMonth, "restarts-per-month", 30, "pod starts per month, for --estimate")
	f.BoolVar(&o.apply, "apply", false, "make the kubelet's changes to the entries that differ")
	f.Float64Var(&o.maxOpsPerSecond, "max-ops-per-second", 0, "limit chown/chmod calls (0: none)")
	f.BoolVar(&o.list, "list", false, "print every entry that differs (what --apply would change)")
	f.IntVar(&o.topK, "top", volscan.DefaultTopK,
		"example paths kept per group (-o json; text shows up to 3)")
	return cmd
}

// validate rejects conflicting flags and fills the defaults that depend on the input.
func (o *scanOptions) validate(args []string) error {
	if _, err := report.ScanFormats.Get(o.output); err != nil {
		return usageError(err)
	}
	switch {
	case o.fromListing == "" && len(args) == 0:
		return usageError(errors.New("scan needs a DIR or --from-listing FILE"))
	case o.fromListing != "" && len(args) > 0:
		return usageError(errors.New("give either DIR or --from-listing, not both"))
	case o.fromListing != "" && (o.apply || o.estimate):
		return usageError(errors.New("--apply and --estimate need a DIR, not a listing"))
	case o.apply && o.estimate:
		return usageError(errors.New("--apply and --estimate cannot be combined"))
	case o.apply && o.fsGroup < 0:
		// The root's group is a guess that makes the root test pass by construction: fine for
		// reading, not for rewriting every entry as root.
		return usageError(errors.New("--apply needs --fsgroup: name the pod's fsGroup " +
			"(scan without --apply shows the root's group)"))
	case o.list && o.output != "text":
		return usageError(errors.New("--list prints text lines; it cannot be combined with -o " +
			o.output))
	case o.workers < 1 || o.workers > maxWorkers:
		return usageError(fmt.Errorf("--workers must be from 1 to %d", maxWorkers))
	case o.topK < 1:
		return usageError(errors.New("--top must be at least 1"))
	case o.fsGroup < -1 || o.fsGroup > math.MaxInt32:
		return usageError(fmt.Errorf("--fsgroup %d is out of range: Kubernetes accepts an "+
			"fsGroup from 0 to %d", o.fsGroup, math.MaxInt32))
	case !finiteNonNegative(o.restartsPerMonth) || o.restartsPerMonth == 0 ||
		o.restartsPerMonth > maxRestartsPerMonth:
		return usageError(fmt.Errorf("--restarts-per-month must be a number above 0, at most "+
			"%d", maxRestartsPerMonth))
	case !finiteNonNegative(o.maxOpsPerSecond):
		return usageError(errors.New("--max-ops-per-second must be a number, 0 (no limit) or " +
			"more"))
	}
	return nil
}

func (o *scanOptions) run(ctx context.Context, s streams, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	if o.fromListing != "" {
		return o.runListing(s)
	}
	return o.runDir(ctx, s, args[0])
}

func (o *scanOptions) checkOptions(s streams) volscan.Options {
	opt := volscan.Options{FSGroup: o.fsGroup, ReadOnly: o.readOnly, RootSquash: o.rootSquash,
		TopK: o.topK,
		Walk: walk.Options{Workers: o.workers, OneFileSystem: o.oneFileSystem}}
	if o.list {
		opt.OnOffender = func(of volscan.Offender) {
			fmt.Fprintf(s.Out, "%s\t%s\n", walk.Escape(of.Path), of.Change)
		}
	}
	return opt
}

// fsGroupFrom fills fsGroup from the root's group when the flag was not given.
func (o *scanOptions) fsGroupFrom(s streams, gid int64, ok bool) (string, error) {
	if o.fsGroup >= 0 {
		return "flag", nil
	}
	if !ok {
		return "", usageError(errors.New("--fsgroup not given and the root's group is unknown"))
	}
	o.fsGroup = gid
	fmt.Fprintf(s.Err, "startlag: --fsgroup not given; using the volume root's group %d "+
		"(the root's group test then passes by construction)\n", gid)
	return "root-gid", nil
}

func (o *scanOptions) runListing(s streams) error {
	name, in, err := openListingInput(s, o.fromListing)
	if err != nil {
		return withCode(exitError, err)
	}
	defer in.Close()
	gid, ok, listing := volscan.ListingRootGID(in)
	src := "flag"
	// A listing without one usable line has no root group to default to; ListingCheck then
	// names its bad lines and says it has no entries, which is the real problem.
	if ok || o.fsGroup >= 0 {
		if src, err = o.fsGroupFrom(s, gid, ok); err != nil {
			return err
		}
	}
	res, lineErrs, err := volscan.ListingCheck(listing, name, o.checkOptions(s))
	printLineErrors(s, lineErrs)
	if err != nil {
		return withCode(exitError, err)
	}
	rep := &volscan.Report{Mode: "check", FSGroupSource: src, Listing: true, Check: res,
		ListingErrors: lineErrs}
	return o.finish(s, rep, len(lineErrs) > 0)
}

// maxLineErrors is how many bad listing lines are printed on stderr; the JSON output keeps all.
const maxLineErrors = 20

// printLineErrors writes the first maxLineErrors listing line errors to stderr and a count of
// the rest, so that a binary or foreign file does not flood the terminal.
func printLineErrors(s streams, errs []error) {
	for i, le := range errs {
		if i == maxLineErrors {
			fmt.Fprintf(s.Err, "startlag: ... and %d more bad listing lines\n", len(errs)-i)
			return
		}
		report.Message(s.Err, "", le.Error())
	}
}

// maxWorkers bounds --workers: each walker holds a 64 KiB buffer and a directory descriptor,
// and beyond a few hundred in flight no device gets faster.
const maxWorkers = 1024

// maxRestartsPerMonth bounds --restarts-per-month (a start every 2.6 s), so that costs stay
// finite numbers.
const maxRestartsPerMonth = 1_000_000

// finiteNonNegative reports whether f is a finite number of at least 0 (not NaN or ±Inf, which
// flag parsing accepts).
func finiteNonNegative(f float64) bool { return f >= 0 && !math.IsInf(f, 1) }

// openListingInput opens the listing named by --from-listing: a file, or "-" for stdin. The
// listing is streamed, never read whole.
func openListingInput(s streams, name string) (string, io.ReadCloser, error) {
	if name == "-" {
		r, err := gunzipped(s.In, io.NopCloser(nil))
		return "<stdin>", r, err
	}
	f, err := os.Open(name)
	if err != nil {
		return name, nil, fmt.Errorf("reading listing: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return name, nil, fmt.Errorf("reading listing: %s is a directory (scan it as DIR, "+
			"without --from-listing)", name)
	}
	r, err := gunzipped(f, f)
	if err != nil {
		return name, nil, fmt.Errorf("reading listing %s: %w", name, err)
	}
	return name, r, nil
}

// gunzipped returns r decompressed when it starts with the gzip magic (a listing saved with
// `| gzip`), else r as it is; closing the result closes c.
func gunzipped(r io.Reader, c io.Closer) (io.ReadCloser, error) {
	src, _, err := gzsniff.Decompress(bufio.NewReader(r))
	if err != nil {
		c.Close()
		return nil, err
	}
	return readCloser{src, c}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func (o *scanOptions) runDir(ctx context.Context, s streams, dir string) error {
	gid, gidErr := volscan.RootGID(dir)
	if gidErr != nil {
		return withCode(exitError, gidErr)
	}
	// The root is resolved as the kubelet resolves a volume path; nothing below it is.
	if lst, err := os.Lstat(dir); err == nil && lst.Mode()&os.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(dir); err == nil {
			report.Message(s.Err, "", fmt.Sprintf("%s is a symlink: scanning %s (symlinks "+
				"below it are never followed)", dir, target))
		}
	}
	src, err := o.fsGroupFrom(s, gid, true)
	if err != nil {
		return err
	}
	opt := o.checkOptions(s)
	var done atomic.Int64
	opt.Progress = &done
	label := "scanning"
	if o.apply {
		label = "repairing"
	}
	bar := report.StartProgress(s.Err, label, progressTotal(dir), done.Load)
	rep, err := o.walkDir(ctx, dir, src, opt)
	bar.Stop()
	if errors.Is(err, context.Canceled) {
		if rep != nil && rep.Repair != nil {
			interruptedRepair(s, rep.Repair)
		}
		return err
	}
	if rep == nil {
		return err
	}
	var status error
	if rep.Repair != nil {
		status = o.finishRepair(s, rep)
	} else {
		status = o.finish(s, rep, false)
	}
	if err != nil {
		// The walk stopped early (what it saw is reported above): the verdict covers only part
		// of the volume, whatever it says.
		return withCode(exitError, err)
	}
	return status
}

// interruptedRepair says on stderr what a repair cut short had changed, and that the volume
// root was left as it was (it is changed last), so the kubelet keeps walking until a rerun.
func interruptedRepair(s streams, r *volscan.RepairResult) {
	fmt.Fprintf(s.Err, "startlag: the repair was interrupted after %d chgrp and %d chmod on "+
		"%d entries read; the volume root was not changed, so the kubelet still walks at "+
		"every mount: rerun --apply to finish (entries already done are only read)\n",
		r.Chgrp, r.Chmod, r.Entries)
}

func (o *scanOptions) walkDir(ctx context.Context, dir, src string,
	opt volscan.Options) (*volscan.Report, error) {
	rep := &volscan.Report{Mode: "check", FSGroupSource: src}
	var err error
	switch {
	case o.apply:
		rep.Mode = "repair"
		rep.Repair, err = volscan.Repair(ctx, dir, volscan.RepairOptions{Options: opt,
			MaxOpsPerSecond: o.maxOpsPerSecond})
		if rep.Repair == nil {
			return nil, withCode(exitError, err)
		}
	case o.estimate:
		rep.Mode = "estimate"
		rep.Estimate, err = volscan.EstimateWalk(ctx, dir, volscan.EstimateOptions{
			Options: opt, RestartsPerMonth: o.restartsPerMonth})
		if rep.Estimate == nil {
			return nil, withCode(exitError, err)
		}
	default:
		rep.Check, err = volscan.Check(ctx, dir, opt)
		if rep.Check == nil {
			return nil, withCode(exitError, err)
		}
	}
	return rep, err
}

// progressTotal is the used-inode count of dir's file system when dir is its root (so the
// count is the walk's size), else 0 (unknown: the bar shows the rate only).
func progressTotal(dir string) int64 {
	n, _ := volscan.FileSystemEntries(dir)
	return int64(n)
}

// finish renders rep and maps the verdict to the exit status; inputErr forces exit 2 after
// the report (a listing had bad lines).
func (o *scanOptions) finish(s streams, rep *volscan.Report, inputErr bool) error {
	r, _ := report.ScanFormats.Get(o.output)
	if err := r.Render(s.Out, rep); err != nil {
		return withCode(exitError, err)
	}
	res := rep.Result()
	switch {
	case inputErr:
		return withCode(exitError, errors.New("some listing lines could not be used"))
	case res.Incomplete() && res.Verdict == volscan.VerdictSafe:
		return withCode(exitError, errors.New("part of the volume could not be read; "+
			"the safe verdict covers only what was read"))
	case res.Verdict == volscan.VerdictUnsafe:
		return withCode(exitFindings, nil)
	case res.Verdict == volscan.VerdictWalksAnyway:
		return withCode(exitWalksAnyway, nil)
	}
	return nil
}

// finishRepair renders a repair: exit 0 when every differing entry (and the root) was
// changed, 2 when some could not be.
func (o *scanOptions) finishRepair(s streams, rep *volscan.Report) error {
	r, _ := report.ScanFormats.Get(o.output)
	if err := r.Render(s.Out, rep); err != nil {
		return withCode(exitError, err)
	}
	rr := rep.Repair
	if rr.Failed > 0 || rr.Incomplete() || rr.RootSkipped != "" {
		return withCode(exitError, fmt.Errorf("repair incomplete: %d entries failed, %d "+
			"could not be read; rerun after fixing the cause", rr.Failed, rr.Walk.ErrorCount))
	}
	return nil
}
