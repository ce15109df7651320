package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Sample is one measured restart.
type Sample struct {
	// Restart is the wall time from the delete request to the new pod's Ready condition.
	Restart time.Duration
	// Walk is the kubelet's own measure of its ownership walk during this restart (the
	// increase of storage_operation_duration_seconds_sum for volume_apply_access_control);
	// zero when the kubelet skipped the walk.
	Walk time.Duration
	// Walks is how many walks the kubelet recorded during this restart (0 or 1).
	Walks int
}

// Series is the samples of one configuration (storage × policy).
type Series struct {
	Name    string
	Samples []Sample
}

// Median returns the median restart time (the mean of the middle two for even counts).
func (s Series) Median() time.Duration {
	return median(s.restarts())
}

// MedianWalk returns the median kubelet walk time.
func (s Series) MedianWalk() time.Duration {
	walks := make([]time.Duration, len(s.Samples))
	for i, x := range s.Samples {
		walks[i] = x.Walk
	}

	return median(walks)
}

func (s Series) restarts() []time.Duration {
	out := make([]time.Duration, len(s.Samples))
	for i, x := range s.Samples {
		out[i] = x.Restart
	}

	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}

	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// HoursPerYear is the time lost per year, in hours, when each restart waits delay longer:
// delay (s) × restarts per month × 12 months / 3600 s per hour.
func HoursPerYear(delay time.Duration, restartsPerMonth float64) float64 {
	return delay.Seconds() * restartsPerMonth * 12 / 3600
}

// Comparison is Always against OnRootMismatch on one storage.
type Comparison struct {
	Storage          string
	Entries          int
	Always, OnRoot   Series
	RestartsPerMonth float64
}

// Ratio is median(Always) / median(OnRootMismatch).
func (c Comparison) Ratio() float64 {
	if c.OnRoot.Median() <= 0 {
		return 0
	}

	return float64(c.Always.Median()) / float64(c.OnRoot.Median())
}

// Delay is the extra restart time Always costs: median(Always) − median(OnRootMismatch).
func (c Comparison) Delay() time.Duration {
	return c.Always.Median() - c.OnRoot.Median()
}

// Print writes the comparison as a small table plus the ratio and the yearly cost.
func (c Comparison) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s, %d entries ==\n", c.Storage, c.Entries)
	for _, s := range []Series{c.Always, c.OnRoot} {
		fmt.Fprintf(w, "%-16s restart %s  median %s  kubelet walk median %s\n",
			s.Name, formatRuns(s.restarts()), round(s.Median()), round(s.MedianWalk()))
	}

	fmt.Fprintf(w, "ratio Always/OnRootMismatch (median restart): %.1fx\n", c.Ratio())
	fmt.Fprintf(w, "delay per restart = %s - %s = %s\n",
		round(c.Always.Median()), round(c.OnRoot.Median()), round(c.Delay()))
	fmt.Fprintf(w, "hours per year = delay %.1f s x %g restarts/month x 12 / 3600 = %.1f h\n",
		c.Delay().Seconds(), c.RestartsPerMonth, HoursPerYear(c.Delay(), c.RestartsPerMonth))
}

func formatRuns(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = round(d).String()
	}

	return "[" + strings.Join(parts, " ") + "]"
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}

	return d.Round(10 * time.Millisecond)
}

// ScanResult is one timed `startlag scan --apply`.
type ScanResult struct {
	Name     string
	Took     time.Duration
	Workers  int
	Repaired string // the scan's own summary line, for the record
}

// PrintScans compares startlag's repair times with the kubelet's walk time.
func PrintScans(w io.Writer, storage string, kubeletWalk time.Duration, scans []ScanResult) {
	fmt.Fprintf(w, "\n== startlag scan --apply vs the kubelet's walk, %s ==\n", storage)
	fmt.Fprintf(w, "kubelet Always walk (volume_apply_access_control, median): %s\n",
		round(kubeletWalk))
	for _, s := range scans {
		speed := 0.0
		if s.Took > 0 {
			speed = float64(kubeletWalk) / float64(s.Took)
		}
		fmt.Fprintf(w, "%-34s j=%-2d %9s  %.1fx faster  %s\n",
			s.Name, s.Workers, round(s.Took), speed, s.Repaired)
	}
}
