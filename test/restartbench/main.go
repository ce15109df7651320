// Command restartbench measures what the kubelet's fsGroup walk costs a pod restart, on a
// real single-node Kubernetes (test/cluster): a volume shaped like a Terraform automation
// server's is offered as a `local` PersistentVolume, a pod with fsGroup uses it, and the pod is
// restarted (stopped, its volume unmounted, started again and waited for until Ready) with
// fsGroupChangePolicy Always and with OnRootMismatch. It then times `startlag scan --apply`
// on the same volume against the kubelet's own measure of its walk, and does it all again on
// storage with an injected delay per metadata request (test/slowfs).
//
//	go run ./test/restartbench -files 1000000 -runs 3 -restarts-per-month 100 \
//	    -slow-files 20000 -latency 1ms
//
// Results go to stdout, progress to stderr. Needs root; see docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	cfg, err := parseFlags(argv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "restartbench:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	if err := Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "restartbench:", err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	cfg.Logf("done in %v", time.Since(start).Round(time.Second))

	return 0
}

func parseFlags(argv []string) (Config, error) {
	cfg := Config{Logf: logf}
	var workers string

	fl := flag.NewFlagSet("restartbench", flag.ContinueOnError)
	fl.IntVar(&cfg.Files, "files", 1000000, "entries on the local-disk volume (0: skip)")
	fl.IntVar(&cfg.Runs, "runs", 3, "measured restarts per policy on local disk")
	fl.IntVar(&cfg.SlowFiles, "slow-files", 20000,
		"entries on the latency-injected volume (0: skip); a serial kubelet walk costs "+
			"about 6 requests per entry")
	fl.IntVar(&cfg.SlowRuns, "slow-runs", 3, "measured restarts per policy on slowfs")
	fl.DurationVar(&cfg.Latency, "latency", time.Millisecond, "slowfs delay per metadata request")
	fl.Float64Var(&cfg.RestartsPerMonth, "restarts-per-month", 100,
		"restarts per month, for the hours-per-year figure")
	fl.Int64Var(&cfg.FSGroup, "fsgroup", 2000, "the pods' fsGroup")
	fl.Float64Var(&cfg.Corrupt, "corrupt", 0.01, "fraction of entries given another group "+
		"before the first repair")
	fl.Int64Var(&cfg.Seed, "seed", 1, "tree generator seed")
	fl.StringVar(&workers, "scan-workers", "1,8", "worker counts to time the repair with")
	fl.BoolVar(&cfg.DropCaches, "drop-caches", false,
		"drop the kernel's caches before each restart and repair (machine-wide)")
	fl.StringVar(&cfg.LogDir, "log-dir", "", "save the kubelet log of each storage's first "+
		"Always restart here and check it with startlag explain")
	fl.StringVar(&cfg.Startlag, "startlag", "", "startlag binary to time (default: build it)")
	fl.StringVar(&cfg.Dir, "dir", "", "cluster work directory (default: a temporary one)")

	if err := fl.Parse(argv); err != nil {
		return cfg, err
	}
	if fl.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fl.Args())
	}

	var err error
	cfg.ScanWorkers, err = parseInts(workers)
	if err != nil {
		return cfg, fmt.Errorf("-scan-workers: %w", err)
	}

	return cfg, validate(cfg)
}

func validate(cfg Config) error {
	switch {
	case cfg.Files < 0 || cfg.SlowFiles < 0:
		return fmt.Errorf("-files and -slow-files must not be negative")
	case cfg.Runs < 1 || cfg.SlowRuns < 1:
		return fmt.Errorf("-runs and -slow-runs must be at least 1")
	case cfg.Corrupt < 0 || cfg.Corrupt > 1:
		return fmt.Errorf("-corrupt must be between 0 and 1")
	case cfg.FSGroup < 1:
		return fmt.Errorf("-fsgroup must be positive")
	case cfg.Latency < 0:
		return fmt.Errorf("-latency must not be negative")
	}

	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive numbers separated by commas", s)
		}
		out = append(out, n)
	}

	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n",
		append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}
