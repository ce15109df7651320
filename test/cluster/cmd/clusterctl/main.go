// Command clusterctl starts and stops the test cluster of startlag by hand, for trying startlag
// against a real kubelet:
//
//	go run ./test/cluster/cmd/clusterctl up [-dir D] [-control-plane-only] [-controllers]
//	go run ./test/cluster/cmd/clusterctl down [-dir D]
//
// up prints the admin kubeconfig path on stdout; progress goes to stderr. The components keep
// running after clusterctl exits, until down.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/startlag/startlag/test/cluster"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "clusterctl:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: clusterctl up|down [flags]")
	}
	fs := flag.NewFlagSet("clusterctl "+args[0], flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join(os.TempDir(), "startlag-cluster"), "work directory")
	cpOnly := fs.Bool("control-plane-only", false, "etcd and kube-apiserver only (no root needed)")
	controllers := fs.Bool("controllers", false,
		"also run kube-controller-manager and kube-scheduler")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	switch args[0] {
	case "up":
		return up(*dir, !*cpOnly, *controllers)
	case "down":
		return cluster.Down(*dir)
	}
	return fmt.Errorf("unknown command %q: want up or down", args[0])
}

func up(dir string, kubelet, controllers bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()

	opts := cluster.Options{
		Kubelet: kubelet, ControllerManager: controllers, Scheduler: controllers,
		Dir: dir, Detached: true,
	}
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	c, err := cluster.New(ctx, opts, logf)
	if err != nil {
		return err
	}
	logf("cluster up in %v; stop it with: clusterctl down -dir %s",
		c.StartDuration.Round(time.Millisecond), c.Dir)
	fmt.Println(c.Kubeconfig)
	return nil
}
