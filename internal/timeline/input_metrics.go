package timeline

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// walkOps are the operation_name values of storage_operation_duration_seconds that time one
// recursive fsGroup walk (renamed in 1.23).
var walkOps = map[string]bool{
	"volume_apply_access_control":    true,
	"volume_fsgroup_recursive_apply": true,
}

// metricSample is one scrape of the walk histogram for one volume plugin: its sum and count.
type metricSample struct {
	plugin string
	sum    float64
	count  int64
	ev     Evidence // the _sum line
}

// walkMetric is the duration of one walk derived from the kubelet metrics.
type walkMetric struct {
	plugin string
	dur    time.Duration
	ev     Evidence
}

// parseMetrics reads the storage_operation_duration_seconds sum and count of walk operations
// from a kubelet /metrics scrape.
func (l *loader) parseMetrics(path string, b []byte) (int, string, error) {
	sums := map[string]metricSample{}
	counts := map[string]int64{}
	for i, line := range strings.Split(string(b), "\n") {
		name, labels, value, ok := metricLine(line)
		if !ok || !walkOps[labels["operation_name"]] || labels["status"] != "success" {
			continue
		}
		plugin := labels["volume_plugin"]
		switch name {
		case "storage_operation_duration_seconds_sum":
			sums[plugin] = metricSample{plugin: plugin, sum: value,
				ev: Evidence{File: path, Line: i + 1, Text: strings.TrimSpace(line)}}
		case "storage_operation_duration_seconds_count":
			counts[plugin] = int64(value)
		}
	}
	for plugin, s := range sums {
		s.count = counts[plugin]
		l.metrics = append(l.metrics, s)
	}
	return len(sums), fmt.Sprintf("%d walk histogram(s)", len(sums)), nil
}

// metricLine splits `name{k="v",...} value`.
func metricLine(line string) (string, map[string]string, float64, bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, 0, false
	}
	open, close := strings.IndexByte(line, '{'), strings.LastIndexByte(line, '}')
	if open < 0 || close < open {
		return "", nil, 0, false
	}
	fields := strings.Fields(line[close+1:])
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil || math.IsNaN(v) {
		return "", nil, 0, false
	}
	return line[:open], parseLabels(line[open+1 : close]), v, true
}

// parseLabels reads k="v" pairs (values without escaped quotes, as the kubelet writes them).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		k, rest, ok := strings.Cut(s, `="`)
		if !ok {
			break
		}
		v, after, _ := strings.Cut(rest, `"`)
		out[strings.TrimSpace(strings.TrimPrefix(k, ","))] = v
		s = strings.TrimPrefix(after, ",")
	}
	return out
}

// walkMetrics derives single-walk durations: a scrape whose count is 1 timed exactly one walk; two
// scrapes of the same plugin whose counts differ by 1 time the walk between them. notes name the
// scrapes that time several walks together, which no single walk can be read from.
func walkMetrics(samples []metricSample) (out []walkMetric, notes []string) {
	byPlugin := map[string][]metricSample{}
	for _, s := range samples {
		byPlugin[s.plugin] = append(byPlugin[s.plugin], s)
	}
	for plugin, list := range byPlugin {
		sort.Slice(list, func(i, j int) bool { return list[i].count < list[j].count })
		if list[0].count == 1 {
			out = append(out, walkMetric{plugin: plugin, dur: seconds(list[0].sum), ev: list[0].ev})
		}
		if len(list) == 1 && list[0].count > 1 {
			s := list[0]
			notes = append(notes, fmt.Sprintf("%s:%d: %d walks of %s took %.3f s together; one "+
				"scrape cannot single out a walk (add a scrape taken before the start)",
				s.ev.File, s.ev.Line, s.count, plugin, s.sum))
		}
		for i := 1; i < len(list); i++ {
			a, b := list[i-1], list[i]
			if b.count-a.count != 1 {
				continue
			}
			ev := b.ev
			ev.Text = fmt.Sprintf("%s  minus %s:%d (%g) = %.3f s", b.ev.Text, a.ev.File, a.ev.Line,
				a.sum, b.sum-a.sum)
			out = append(out, walkMetric{plugin: plugin, dur: seconds(b.sum - a.sum), ev: ev})
		}
	}
	sort.Strings(notes)
	return out, notes
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// metricFor returns the metric-derived walk of the walk's plugin closest to delay.
func (d *diagnoser) metricFor(w Walk, delay time.Duration) (walkMetric, bool) {
	var best walkMetric
	found := false
	for _, m := range d.metrics {
		if w.Plugin == "" || !(m.plugin == w.Plugin || strings.HasPrefix(m.plugin, w.Plugin+":")) {
			continue
		}
		if !found || absDur(m.dur-delay) < absDur(best.dur-delay) {
			best, found = m, true
		}
	}
	return best, found
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
