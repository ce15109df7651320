package timeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/gzsniff"
)

// InputKind is what an input was detected to be.
type InputKind string

// Input kinds.
const (
	InputLog         InputKind = "log"
	InputObjects     InputKind = "objects"      // JSON/YAML: events, pods, workloads, storage
	InputEventsTable InputKind = "events-table" // `kubectl events` / `kubectl get events` text
	InputDescribe    InputKind = "describe"     // `kubectl describe pod` text
	InputMetrics     InputKind = "metrics"      // kubelet /metrics (Prometheus text)
	InputEmpty       InputKind = "empty"
	inputUnknown     InputKind = "unknown"
)

// maxObjectBytes bounds what is read into memory from a non-log input.
const maxObjectBytes = 256 << 20

// peekBytes is how much of an input is looked at to detect its kind.
const peekBytes = 16 << 10

// openInput opens a file (or standard input for "-"), decompressing .gz files and gzip content
// transparently. The returned closer closes the underlying file.
func openInput(path string, stdin io.Reader) (*bufio.Reader, io.Closer, error) {
	br, closer, _, err := openInputZipped(path, stdin)
	return br, closer, err
}

// openInputZipped is openInput that also reports whether the input was a gzip stream.
func openInputZipped(path string, stdin io.Reader) (*bufio.Reader, io.Closer, bool, error) {
	var r io.Reader
	closer := io.NopCloser(nil)
	if path == "-" {
		if stdin == nil {
			return nil, nil, false, fmt.Errorf("-: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, false, fmt.Errorf("opening %s: %w", path, err)
		}
		r, closer = f, f
	}
	br := bufio.NewReaderSize(r, peekBytes)
	src, zipped, err := gzsniff.Decompress(br)
	if err != nil {
		closer.Close()
		return nil, nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	if !zipped {
		return br, closer, false, nil
	}
	return bufio.NewReaderSize(src, peekBytes), closer, true, nil
}

// detect classifies an input by its first bytes.
func detect(head []byte) InputKind {
	lines := meaningfulLines(head, 40)
	if len(lines) == 0 {
		return InputEmpty
	}
	first := lines[0]
	switch {
	case strings.HasPrefix(first, "# HELP ") || strings.HasPrefix(first, "# TYPE "):
		return InputMetrics
	case strings.HasPrefix(first, "{") || strings.HasPrefix(first, "["):
		if isJSONLog(first) {
			return InputLog
		}
		return InputObjects
	case isTableHeader(first):
		return InputEventsTable
	case isDescribe(lines):
		return InputDescribe
	case isYAMLObjects(lines):
		return InputObjects
	case isMetricLine(first):
		return InputMetrics
	}
	return InputLog
}

// meaningfulLines returns up to n lines of head that are not blank, skipping leading YAML
// comments (but keeping Prometheus "# HELP"/"# TYPE" lines).
func meaningfulLines(head []byte, n int) []string {
	var out []string
	for _, l := range strings.Split(string(head), "\n") {
		l = strings.TrimRight(l, "\r")
		t := strings.TrimSpace(l)
		if t == "" || t == "---" {
			continue
		}
		if strings.HasPrefix(t, "#") && !strings.HasPrefix(t, "# HELP ") &&
			!strings.HasPrefix(t, "# TYPE ") {
			continue
		}
		out = append(out, l)
		if len(out) == n {
			break
		}
	}
	return out
}

// isJSONLog reports whether a JSON line is a kubelet JSON log record rather than an object.
func isJSONLog(line string) bool {
	return strings.Contains(line, `"msg":`) && (strings.Contains(line, `"ts":`) ||
		strings.Contains(line, `"caller":`))
}

func isTableHeader(line string) bool {
	return strings.Contains(line, "LAST SEEN") && strings.Contains(line, "REASON") &&
		strings.Contains(line, "MESSAGE")
}

func isDescribe(lines []string) bool {
	return strings.HasPrefix(lines[0], "Name:") && len(lines) > 1 &&
		strings.HasPrefix(lines[1], "Namespace:")
}

// isYAMLObjects reports whether the lines look like Kubernetes objects in YAML (possibly an
// excerpt without kind).
func isYAMLObjects(lines []string) bool {
	for _, l := range lines {
		for _, p := range []string{"apiVersion:", "kind:", "spec:", "status:", "metadata:", "items:"} {
			if strings.HasPrefix(l, p) {
				return true
			}
		}
	}
	return false
}

// isMetricLine reports whether line looks like `name{labels} value`.
func isMetricLine(line string) bool {
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if !(c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			c >= '0' && c <= '9') {
			return false
		}
	}
	name, rest := line[:i], strings.TrimSpace(line[i:])
	if !strings.Contains(name, "_") {
		return false
	}
	if strings.HasPrefix(rest, "{") {
		return true
	}
	_, err := strconv.ParseFloat(strings.Fields(rest + " x")[0], 64)
	return err == nil
}

// readAllBounded reads r up to maxObjectBytes.
func readAllBounded(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxObjectBytes {
		return nil, fmt.Errorf("reading %s: larger than %d MiB", name, maxObjectBytes>>20)
	}
	return b, nil
}

// lineIndex maps byte offsets and searches to 1-based line numbers.
type lineIndex struct {
	lines []string
}

func newLineIndex(b []byte) lineIndex {
	if bytes.Contains(b, []byte("\r\n")) {
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	}
	text := string(b)
	return lineIndex{lines: strings.Split(text, "\n")}
}

// Bounds of the searches that give objects and fields their line numbers: a pretty-printed
// object is a few hundred lines, and a minified document (one long line) has no per-field
// lines to find. Without them, a list of many objects costs a search of the whole file each.
const (
	findWindow  = 5000    // lines searched from the starting line
	findLineMax = 8 << 10 // longer lines are not searched
)

// find returns the first line at or after from (1-based), and within findWindow lines of it,
// that contains every needle, or 0.
func (li lineIndex) find(from int, needles ...string) int {
	if from < 1 {
		from = 1
	}
	for i := from - 1; i < len(li.lines) && i < from-1+findWindow; i++ {
		if len(li.lines[i]) > findLineMax {
			continue
		}
		ok := true
		for _, n := range needles {
			if !strings.Contains(li.lines[i], n) {
				ok = false
				break
			}
		}
		if ok {
			return i + 1
		}
	}
	return 0
}

// findName returns the first line at or after from, within findWindow lines, whose "name" key
// (JSON or YAML) has exactly the value name, or 0.
func (li lineIndex) findName(from int, name string) int {
	if from < 1 {
		from = 1
	}
	for i := from - 1; i < len(li.lines) && i < from-1+findWindow; i++ {
		if len(li.lines[i]) <= findLineMax && nameValue(li.lines[i]) == name {
			return i + 1
		}
	}
	return 0
}

// nameValue returns the value of a `"name": "x",` or `name: x` line (a YAML list item's "- "
// included), or "".
func nameValue(line string) string {
	t := strings.TrimPrefix(strings.TrimSpace(line), "- ")
	v, ok := strings.CutPrefix(t, `"name":`)
	if !ok {
		if v, ok = strings.CutPrefix(t, "name:"); !ok {
			return ""
		}
	}
	v = strings.TrimSuffix(strings.TrimSpace(v), ",")
	return strings.Trim(v, `"'`)
}

// text returns line n (1-based), trimmed, or "".
func (li lineIndex) text(n int) string {
	if n < 1 || n > len(li.lines) {
		return ""
	}
	return strings.TrimSpace(li.lines[n-1])
}
