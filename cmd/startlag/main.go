// Command startlag finds and explains the Kubernetes defaults that make pods slow to start: the
// kubelet's recursive fsGroup ownership walk first, and the start-up hazards of the same kind.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
