// Command kubelogread streams log files through internal/kubelog and prints the events (with
// -events) or only the counts. It is the "our reader" side of bench/kubelog-vs-grep.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

func main() {
	events := flag.Bool("events", false, "print every event")
	year := flag.Int("year", 0, "year of year-less stamps (0: current year)")
	prof := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	code := 0
	for _, name := range flag.Args() {
		if err := readFile(name, *events, *year); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 2
		}
	}
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

func readFile(name string, print bool, year int) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()

	start := time.Now()
	r := kubelog.NewReader(f, name, kubelog.Options{Year: year})
	kinds := map[kubelog.Kind]int{}
	for {
		ev, ok := r.Next()
		if !ok {
			break
		}
		kinds[ev.Kind]++
		if print {
			fmt.Printf("%s %-24s %c %-10s pod=%s/%s uid=%s vol=%q path=%q n=%d err=%q detail=%q vols=%v\n",
				ev.Time.Format("01-02T15:04:05.000000Z07"), ev.Kind, max(ev.Severity, '-'),
				ev.Component, ev.Pod.Namespace, ev.Pod.Name, ev.Pod.UID, ev.Volume, ev.Path,
				ev.Count, ev.Err, ev.Detail, ev.Volumes)
		}
	}
	elapsed := time.Since(start)

	st := r.Stats()
	mb := float64(st.Bytes) / 1e6
	fmt.Fprintf(os.Stderr, "%s: %d lines, %.1f MB in %v (%.0f MB/s), %d recognised, %d events, "+
		"%d dup, %d garbage, %d long, %d invalid-utf8, truncated=%v\n", name, st.Lines, mb,
		elapsed.Round(time.Millisecond), mb/elapsed.Seconds(), st.Recognised, st.Events,
		st.Duplicates, st.Garbage, st.SkippedLong, st.InvalidUTF8, st.Truncated)
	for _, w := range st.Warnings {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
	if !print {
		for k, n := range kinds {
			fmt.Printf("%s %d\n", k, n)
		}
	}
	return r.Err()
}
