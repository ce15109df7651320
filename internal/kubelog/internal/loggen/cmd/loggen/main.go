// Command loggen writes a synthetic kubelet log (see package loggen) for benchmarks.
//
//	go run ./internal/kubelog/internal/loggen/cmd/loggen -size 1GiB -o /tmp/kubelet-1g.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/kubelog/internal/loggen"
)

func main() {
	size := flag.String("size", "1GiB", "bytes to write (suffixes KiB, MiB, GiB)")
	out := flag.String("o", "", "output file (required)")
	pods := flag.Int("pods", 400, "distinct pods")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: loggen -size 1GiB -o FILE", err)
		os.Exit(2)
	}
	if err := run(*out, n, *pods, *seed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string, size int64, pods int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := loggen.Write(w, loggen.Config{Size: size, Pods: pods, Seed: seed})
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fmt.Printf("bytes=%d lines=%d ownership=%d interesting=%d pod_starts=%d wait_timeouts=%d\n",
		st.Bytes, st.Lines, st.Ownership, st.Interesting, st.PodStarts, st.WaitTimeout)
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mult, err
}
