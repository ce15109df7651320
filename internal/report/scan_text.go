package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/volscan"
	"github.com/startlag/startlag/internal/walk"
)

// scanTextExamples is the number of example paths printed per group in text output.
const scanTextExamples = 3

// ScanText writes r for a human reader.
func ScanText(w io.Writer, r *volscan.Report) error {
	res := r.Result()
	if err := scanHeader(w, r, res); err != nil {
		return fmt.Errorf("writing scan report: %w", err)
	}
	if r.Repair != nil {
		fmt.Fprintf(w, "\nVerdict before the repair: %s\n", res.Verdict)
	} else {
		fmt.Fprintf(w, "\nVerdict: %s\n%s\n", res.Verdict, verdictText(res, r.Listing))
	}

	if res.Summary.Differ > 0 {
		scanGroups(w, "By cause", volscan.Sorted(res.Summary.ByCause))
		scanGroups(w, "By owner", volscan.Sorted(res.Summary.ByOwner))
		scanGroups(w, "By subtree", volscan.Sorted(res.Summary.BySubtree))
	}
	scanSquashText(w, res)
	scanWalkText(w, res.Walk)
	scanListingErrors(w, r.ListingErrors)
	if r.Repair != nil {
		scanRepairText(w, r.Repair)
	}
	if r.Estimate != nil {
		scanEstimateText(w, r.Estimate)
	}
	return nil
}

// scanHeader writes the labelled lines above the verdict, each value wrapped under itself.
func scanHeader(w io.Writer, r *volscan.Report, res *volscan.Result) error {
	var b strings.Builder
	field := func(label, format string, args ...any) {
		b.WriteString(WrapText(fmt.Sprintf("%-12s", label), fmt.Sprintf(format, args...)))
	}
	src := "Volume:"
	if r.Listing {
		src = "Listing:"
	}
	field(src, "%s", walk.Escape(res.Source))
	from := "from --fsgroup"
	if r.FSGroupSource == "root-gid" {
		from = "taken from the volume root's group; pass --fsgroup to check another"
	}
	ro := ""
	if res.ReadOnly {
		ro = "; read-only masks 0440/0550"
	}
	field("fsGroup:", "%d (%s%s)", res.FSGroup, from, ro)

	e := res.Root.Entry
	test := "passes: with OnRootMismatch the kubelet skips the walk"
	if res.Root.Mismatch != 0 {
		test = "fails: " + res.Root.Mismatch.String()
	}
	field("Root:", "%s %#o uid %d gid %d", e.Type, e.Mode, e.UID, e.GID)
	field("Root test:", "%s", test)
	field("Entries:", "%d, of which %d differ from what an Always walk produces", res.Entries,
		res.Summary.Differ)
	_, err := io.WriteString(w, b.String())
	return err
}

// verdictText says what the verdict means and what to do, wrapped and indented; a listing
// cannot be repaired from here, so its advice names the command to run where the volume is
// mounted.
func verdictText(res *volscan.Result, listing bool) string {
	n := res.Summary.Differ
	apply := "--apply"
	switch {
	case res.Squash != nil:
		apply = "`startlag scan DIR --apply` on the NFS server, where root is not squashed"
	case listing:
		apply = "`startlag scan DIR --apply` where the volume is mounted"
	}
	var text string
	switch res.Verdict {
	case volscan.VerdictSafe:
		text = "Switching to fsGroupChangePolicy: OnRootMismatch changes nothing on disk and " +
			"removes the walk at every mount."
		if res.Incomplete() {
			text += "\nBut part of the volume could not be read (see errors): the verdict " +
				"covers only what was read."
		}
	case volscan.VerdictUnsafe:
		these := fmt.Sprintf("these %d entries", n)
		if n == 1 {
			these = "this entry"
		}
		text = fmt.Sprintf("With OnRootMismatch the kubelet would skip the walk, and %s would "+
			"never get the group or bits it gives them. Fix them once (%s, or one more mount "+
			"with Always), re-scan, then switch.", these, apply)
	default:
		text = fmt.Sprintf("The root fails the skip test, so the next mount walks the whole "+
			"volume even with OnRootMismatch (%s differ); every mount does while something "+
			"resets the root. Repair with %s (the root is changed last), then OnRootMismatch "+
			"skips the walk.", Count(n, "entry", "entries"), apply)
	}
	return strings.TrimSuffix(WrapText("  ", text), "\n")
}

func scanGroups(w io.Writer, title string, gs []volscan.Group) {
	fmt.Fprintf(w, "\n%s:\n", title)
	countW, keyW := 1, 1
	for _, g := range gs {
		countW = max(countW, len(fmt.Sprint(g.Count)))
		keyW = max(keyW, len(walk.Escape(g.Key)))
	}
	for _, g := range gs {
		ex := g.Examples
		if len(ex) > scanTextExamples {
			ex = ex[:scanTextExamples]
		}
		esc := make([]string, len(ex))
		for i, p := range ex {
			esc[i] = walk.Escape(p)
		}
		more := ""
		if g.Count > int64(len(ex)) {
			more = ", …"
		}
		head := fmt.Sprintf("  %*d  %-*s", countW, g.Count, keyW, walk.Escape(g.Key))
		examples := "e.g. " + strings.Join(esc, ", ") + more
		if len([]rune(head))+2+len([]rune(examples)) <= scanTextWidth {
			fmt.Fprintf(w, "%s  %s\n", head, examples)
			continue
		}
		fmt.Fprintf(w, "%s\n%s", strings.TrimRight(head, " "),
			WrapText(strings.Repeat(" ", countW+4), examples))
	}
}

// scanTextWidth is the width up to which a group and its examples share a line.
const scanTextWidth = 100

// scanSquashText says what a walk squashed to nobody could not do, and whether one runs.
func scanSquashText(w io.Writer, res *volscan.Result) {
	s := res.Squash
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\nRoot squash (the kubelet's walk runs as uid %d):\n", ownership.SquashID)
	if s.CannotOpen.Count == 0 && s.CannotChange.Count == 0 {
		fmt.Fprintln(w, "  a walk could open and change every entry.")
		return
	}
	if s.CannotOpen.Count > 0 {
		fmt.Fprint(w, WrapText("  ", fmt.Sprintf("%s it cannot open: a walk fails there "+
			"(permission denied), SetUp fails and the pod does not start. e.g. %s",
			Count(s.CannotOpen.Count, "directory", "directories"),
			escJoin(s.CannotOpen.Examples))))
	}
	if s.CannotChange.Count > 0 {
		fmt.Fprint(w, WrapText("  ", fmt.Sprintf("%s it may not change (not owned by it): "+
			"each failure is logged and skipped. e.g. %s", Count(s.CannotChange.Count, "entry",
			"entries"), escJoin(s.CannotChange.Examples))))
	}
	if res.Root.Mismatch == 0 {
		fmt.Fprintln(w, "  With OnRootMismatch the root passes the test, so no walk runs.")
		return
	}
	fmt.Fprint(w, WrapText("  ", "The root fails the OnRootMismatch test, so the walk runs: "+
		"make the root pass it once on the server (chgrp and chmod 2770 or 2775 there), or "+
		"drop fsGroup."))
}

func escJoin(paths []string) string {
	esc := make([]string, len(paths))
	for i, p := range paths {
		esc[i] = walk.Escape(p)
	}
	return strings.Join(esc, ", ")
}

func scanWalkText(w io.Writer, s *walk.Stats) {
	if s == nil {
		return
	}
	fmt.Fprintf(w, "\nWalk: the root, %s, %s, %s, %d other", Count(s.Dirs, "dir", "dirs"),
		Count(s.Files, "file", "files"), Count(s.Symlinks, "symlink", "symlinks"), s.Other)
	if s.HardLinks > 0 {
		fmt.Fprintf(w, ", %d hard-linked names (each visited)", s.HardLinks)
	}
	if s.Vanished > 0 {
		fmt.Fprintf(w, ", %d vanished during the walk", s.Vanished)
	}
	fmt.Fprintln(w)
	for _, m := range s.MountPoints {
		fmt.Fprintf(w, "  mount point (the kubelet walks into it): %s\n", walk.Escape(m))
	}
	if s.ErrorCount > 0 {
		fmt.Fprintf(w, "  %s could not be read:\n", Count(s.ErrorCount, "entry", "entries"))
		for _, e := range s.Errors {
			fmt.Fprintf(w, "    %s: %s: %v\n", e.Op, walk.Escape(e.Path), e.Err)
		}
	}
}

func scanListingErrors(w io.Writer, errs []error) {
	if len(errs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s skipped (see stderr).\n", Count(len(errs), "listing line was",
		"listing lines were"))
}

func scanRepairText(w io.Writer, r *volscan.RepairResult) {
	fmt.Fprintf(w, "\nRepair: %d chgrp, %d chmod", r.Chgrp, r.Chmod)
	if r.Failed > 0 {
		fmt.Fprintf(w, ", %d failed", r.Failed)
	}
	fmt.Fprintln(w)
	for _, e := range r.Failures {
		fmt.Fprintf(w, "  %s: %v\n", walk.Escape(e.Path), e.Err)
	}
	if r.HardLinked > 0 {
		fmt.Fprint(w, WrapText("  ", fmt.Sprintf("%s hard-linked: their other names share "+
			"the change, also where they lie outside the volume on the same file system, as "+
			"under the kubelet's walk.", Count(r.HardLinked, "changed file was",
			"changed files were"))))
	}
	switch {
	case r.RootRepaired:
		fmt.Fprintln(w, "  The root was changed last; it now passes the OnRootMismatch test.")
	case r.RootSkipped != "":
		fmt.Fprintf(w, "  Root not changed: %s\n", r.RootSkipped)
	}
}

func scanEstimateText(w io.Writer, e *volscan.Estimate) {
	fmt.Fprintln(w, "\nEstimate (warm cache; a restart on a new node starts cold and is slower):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	how := fmt.Sprintf("measured on %d temporary files", e.SampleFiles)
	if !e.Sampled {
		how = e.SampleNote
	}
	fmt.Fprintf(tw, "  kubelet work per entry:\t%v\t(%s)\n", e.KubeletPerEntry.Round(10), how)
	fmt.Fprintf(tw, "  Always / unset, per mount:\t%v\t(%s)\n", roundDur(e.Always),
		Count(e.Entries, "entry", "entries"))
	fmt.Fprintf(tw, "  OnRootMismatch, per mount:\t%v\t(one stat of the root)\n",
		e.OnRootMismatch.Round(time.Microsecond/10))
	fmt.Fprintf(tw, "  per year at %.0f starts/month:\t%.2f h\t(pod start-up delay)\n",
		e.RestartsPerMonth, e.HoursPerYear)
	if e.UsedInodes > 0 {
		fmt.Fprintf(tw, "  used inodes on the file system:\t%d\t(statfs)\n", e.UsedInodes)
	}
	tw.Flush()
}

func roundDur(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// Count says "1 entry" or "N entries": n with the singular or the plural noun.
func Count[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
