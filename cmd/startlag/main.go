// Command startlag finds and explains the Kubernetes defaults that make pods slow to start: the
// kubelet's recursive fsGroup ownership walk first, and the start-up hazards of the same kind.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go watchSignals(sigs, cancel, os.Stderr, os.Exit)

	code := run(ctx, os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	signal.Stop(sigs)
	os.Exit(code)
}

// interruptGrace is how long startlag waits after SIGINT or SIGTERM for the command to stop at
// its next check of the context. A read blocked on a fifo or on a pipe that stays silent never
// gets there, so the process then ends without it.
const interruptGrace = 2 * time.Second

// watchSignals cancels the run at the first signal. When the run has not returned within
// interruptGrace, or at a second signal, it says so on stderr and calls exit with
// exitInterrupted. Ending there loses nothing that matters: the inputs are only read, and
// scan --apply changes the volume root last, so an exit at any point leaves the root failing
// the OnRootMismatch test and the next mount walks (the same as after SIGKILL).
func watchSignals(sigs <-chan os.Signal, cancel func(), stderr io.Writer, exit func(int)) {
	<-sigs
	cancel()
	select {
	case <-sigs:
	case <-time.After(interruptGrace):
	}
	fmt.Fprintln(stderr, "startlag: interrupted")
	exit(exitInterrupted)
}
