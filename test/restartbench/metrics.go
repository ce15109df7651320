package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// walkMetric is the kubelet's histogram of fsGroup walk durations (one observation per walk;
// skipped walks are not observed). Only the local-volume plugin's series are summed.
const (
	walkMetric   = "storage_operation_duration_seconds"
	walkOpLabel  = `operation_name="volume_apply_access_control"`
	localVolumes = `volume_plugin="kubernetes.io/local-volume"`
)

// WalkTotals is the kubelet's walk histogram's sum (seconds) and count at one moment.
type WalkTotals struct {
	Sum   float64
	Count int64
}

// Since returns the walk time and walk count recorded between earlier and t.
func (t WalkTotals) Since(earlier WalkTotals) (time.Duration, int) {
	d := time.Duration((t.Sum - earlier.Sum) * float64(time.Second))

	return d, int(t.Count - earlier.Count)
}

// parseWalkTotals sums the _sum and _count samples of the walk histogram for local volumes
// (over every status label) from Prometheus text exposition. A kubelet that never walked
// has no such series: that is zero, not an error.
func parseWalkTotals(r io.Reader) (WalkTotals, error) {
	var t WalkTotals

	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, walkMetric+"_") || !strings.Contains(line, walkOpLabel) ||
			!strings.Contains(line, localVolumes) {
			continue
		}

		name, value, ok := splitSample(line)
		if !ok {
			return t, fmt.Errorf("kubelet metrics: malformed sample %q", line)
		}
		switch name {
		case walkMetric + "_sum":
			t.Sum += value
		case walkMetric + "_count":
			t.Count += int64(value)
		}
	}

	return t, sc.Err()
}

// splitSample splits `name{labels} value [timestamp]` into its name and value.
func splitSample(line string) (string, float64, bool) {
	brace := strings.IndexByte(line, '{')
	end := strings.LastIndexByte(line, '}')
	if brace < 0 || end < brace {
		return "", 0, false
	}

	fields := strings.Fields(line[end+1:])
	if len(fields) == 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)

	return line[:brace], v, err == nil
}
