// Command treegen fills a directory with a Terraform-automation-shaped tree for scan
// benchmarks: treegen [-seed N] [-gid G] [-differ F] DIR ENTRIES.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/startlag/startlag/internal/volscan/treegen"
)

func main() {
	seed := flag.Int64("seed", 1, "random seed (same seed, same tree)")
	gid := flag.Int("gid", -1, "group for every entry (default: leave as created)")
	differ := flag.Float64("differ", 0, "share of entries a kubelet walk would change (0-1)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: treegen [-seed N] [-gid G] [-differ F] DIR ENTRIES")
		os.Exit(2)
	}
	n, err := strconv.Atoi(flag.Arg(1))
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "treegen: ENTRIES %q is not a count\n", flag.Arg(1))
		os.Exit(2)
	}
	cfg := treegen.Config{Entries: n, Seed: *seed, GID: *gid, DifferFraction: *differ}
	if err := treegen.GenerateConfig(flag.Arg(0), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
