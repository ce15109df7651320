// Command slowfs serves a directory through a FUSE mount that delays every metadata request,
// until interrupted (SIGINT/SIGTERM), then unmounts.
//
//	go run ./test/slowfs/cmd/slowfs -latency 1ms BACKING MOUNTPOINT
//
// On exit it prints how many requests of each kind were served to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/startlag/startlag/test/slowfs"
)

func main() {
	os.Exit(run())
}

func run() int {
	opts, args, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "slowfs:", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	unmount, err := slowfs.Mount(ctx, args[0], args[1], opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "slowfs: %s served at %s (latency %v); Ctrl-C to unmount\n",
		args[0], args[1], opts.Latency)

	<-ctx.Done()
	if err := unmount(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "slowfs: requests served:", opts.Counts)

	return 0
}

func parseFlags(argv []string) (slowfs.Options, []string, error) {
	opts := slowfs.DefaultOptions()
	opts.Counts = new(slowfs.Counts)

	fl := flag.NewFlagSet("slowfs", flag.ContinueOnError)
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: slowfs [flags] BACKING_DIR MOUNTPOINT")
		fl.PrintDefaults()
	}
	fl.DurationVar(&opts.Latency, "latency", opts.Latency, "delay per metadata request")
	fl.DurationVar(&opts.DataLatency, "data-latency", 0, "delay per read/write/flush/fsync")
	fl.IntVar(&opts.MaxInFlight, "max-inflight", 0, "delayed requests at once (0: unlimited)")
	fl.DurationVar(&opts.EntryTimeout, "entry-timeout", opts.EntryTimeout,
		"kernel dentry cache timeout (0: revalidate every path component)")
	fl.DurationVar(&opts.AttrTimeout, "attr-timeout", opts.AttrTimeout,
		"kernel attribute cache timeout (0: every stat is a request)")
	fl.DurationVar(&opts.NegativeTimeout, "negative-timeout", 0, "negative dentry timeout")
	fl.BoolVar(&opts.ReadDirPlus, "readdirplus", false, "allow READDIRPLUS")
	fl.BoolVar(&opts.AllowOther, "allow-other", true, "mount with allow_other")
	fl.BoolVar(&opts.DefaultPermissions, "default-permissions", false,
		"let the kernel check permission bits")
	fl.BoolVar(&opts.Debug, "debug", false, "log every request")

	if err := fl.Parse(argv); err != nil {
		return opts, nil, err
	}
	if fl.NArg() != 2 {
		fl.Usage()
		return opts, nil, fmt.Errorf("want BACKING_DIR MOUNTPOINT, got %d arguments", fl.NArg())
	}

	return opts, fl.Args(), nil
}
