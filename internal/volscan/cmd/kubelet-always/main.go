// Command kubelet-always runs startlag's faithful serial model of the kubelet's recursive
// fsGroup walk (policy unset or Always) on a directory, as a benchmark baseline:
// kubelet-always [-read-only] DIR FSGROUP. It changes DIR exactly as the kubelet would.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/startlag/startlag/internal/volscan"
)

func main() {
	ro := flag.Bool("read-only", false, "use the read-only masks")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: kubelet-always [-read-only] DIR FSGROUP")
		os.Exit(2)
	}
	gid, err := strconv.ParseInt(flag.Arg(1), 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubelet-always: FSGROUP %q is not a number\n", flag.Arg(1))
		os.Exit(2)
	}
	errs, err := volscan.KubeletAlways(flag.Arg(0), gid, *ro)
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, "kubelet-always:", e)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-always:", err)
		os.Exit(1)
	}
}
