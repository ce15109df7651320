package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
	"github.com/startlag/startlag/internal/timeline"
)

var updateExplain = flag.Bool("update-explain", false, "rewrite the explain golden files")

// loadCorpus explains corpus files; the working directory is the corpus directory so that the
// evidence names the files by their base names.
func loadCorpus(t *testing.T, sub string, files ...string) *timeline.Result {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus", sub))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available at %s: %v", dir, err)
	}
	t.Chdir(dir)
	res, err := timeline.Load(files, timeline.Options{RestartsPerMonth: 10,
		OpenLog: func(r io.Reader, f string, o kubelog.Options) timeline.LogReader {
			return kubelog.NewReader(r, f, o)
		}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateExplain {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-explain to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestExplainTextGolden(t *testing.T) {
	wd, _ := os.Getwd()
	for _, tc := range []struct {
		golden string
		files  []string
	}{
		{"explain_case01.golden", []string{"case01.kubelet.log", "case01.events.txt",
			"case01.pod-spec.yaml"}},
		{"explain_case02.golden", []string{"case02.kubelet.journal.log", "case02.describe.txt"}},
		{"explain_case15.golden", []string{"case15.events.json"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			res := loadCorpus(t, "cases", tc.files...)
			var buf bytes.Buffer
			if err := (ExplainText{Width: 80}).Render(&buf, res); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(buf.String(), "\x1b[") {
				t.Error("colour written although Color is false")
			}
			t.Chdir(wd)
			golden(t, tc.golden, buf.Bytes())
		})
	}
}

func TestExplainTextColourOnlyWhenAsked(t *testing.T) {
	res := loadCorpus(t, "cases", "case04.pod.json")
	var buf bytes.Buffer
	if err := (ExplainText{Width: 100, Color: true}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ansiSlow) {
		t.Error("the slow phase is not coloured")
	}
	for _, l := range strings.Split(stripANSI(buf.String()), "\n") {
		if n := len([]rune(l)); n > 100 {
			t.Errorf("line of %d columns exceeds the width: %q", n, l)
		}
	}
}

func stripANSI(s string) string {
	for _, c := range []string{ansiReset, ansiSlow, ansiBar, ansiDim, ansiBold} {
		s = strings.ReplaceAll(s, c, "")
	}
	return s
}

// The JSON shape is a public contract (docs/json/explain.md): check the documented keys.
func TestExplainJSONShape(t *testing.T) {
	res := loadCorpus(t, "cases", "case05.kubelet.jsonl", "case05.csidriver.yaml")
	var buf bytes.Buffer
	if err := (ExplainJSON{}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "document", doc, "schema", "inputs", "problems", "warnings", "pods",
		"costModel")
	if doc["schema"] != ExplainSchema {
		t.Errorf("schema = %v", doc["schema"])
	}
	pod := doc["pods"].([]any)[0].(map[string]any)
	requireKeys(t, "pod", pod, "namespace", "name", "uid", "node", "start", "end",
		"totalSeconds", "phases", "walks", "diagnosis", "notes")
	phase := pod["phases"].([]any)[0].(map[string]any)
	requireKeys(t, "phase", phase, "name", "label", "start", "end", "durationSeconds", "open",
		"inferred", "evidence")
	d := pod["diagnosis"].(map[string]any)
	requireKeys(t, "diagnosis", d, "cause", "title", "phase", "delaySeconds", "upperBound",
		"confidence", "summary", "evidence", "fix", "doc", "ruledOut", "cost",
		"filesPerSecond")
	ev := d["evidence"].([]any)[0].(map[string]any)
	requireKeys(t, "evidence", ev, "file", "line", "text")
	if d["cause"] != "fsgroup-walk" || d["doc"] != "docs/causes/fsgroup-walk.md" {
		t.Errorf("diagnosis = %v", d)
	}
	cost := d["cost"].(map[string]any)
	wantHours := d["delaySeconds"].(float64) * 10 * 12 / 3600
	if got := cost["hoursPerYear"].(float64); got-wantHours > 0.01 || wantHours-got > 0.01 {
		t.Errorf("hoursPerYear = %v, want %v", got, wantHours)
	}
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing", what, k)
		}
	}
}

// Everything taken from the inputs must be escaped, and the page must load nothing.
func TestExplainHTMLEscapesAndIsSelfContained(t *testing.T) {
	at := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)
	evil := `E0412 09:00:01 x.go:1] "<script>alert(1)</script>" path="\"><img onerror=alert(2)>"` +
		"\x1b[31m\a"
	ev := timeline.Evidence{File: `log"><script>x</script>`, Line: 3, Text: evil, Time: at}
	res := &timeline.Result{
		Problems: []error{errors.New("<script>problem</script>")},
		Pods: []timeline.Pod{{
			Namespace: "ns", Name: `<script>pod</script>`, Start: at, End: at.Add(time.Minute),
			Phases: []timeline.Phase{{Name: timeline.PhaseVolumeSetup, Start: at,
				End: at.Add(time.Minute), Evidence: []timeline.Evidence{ev}}},
			Diagnosis: timeline.Diagnosis{Cause: timeline.CauseFSGroupWalk,
				Phase: timeline.PhaseVolumeSetup, Delay: time.Minute, Evidence: []timeline.Evidence{ev},
				Summary: `"><img onerror=alert(3)>`, Fix: "<b>fix</b> `<script>c</script>`",
				RuledOut: []string{"<script>r</script>"}},
			Notes: []string{`"><img onerror=alert(4)>`},
		}},
	}
	var buf bytes.Buffer
	if err := WriteExplainHTML(&buf, res); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<img", "<b>fix", "\x1b", "\a"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img onerror=alert(2)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks escaped %q", want)
		}
	}
	if !strings.Contains(page, "<code>&lt;script&gt;c&lt;/script&gt;</code>") {
		t.Error("a `code span` of the fix is not shown escaped in <code>")
	}
	// The one link is the cause's documentation page, followed only when clicked.
	links := strings.ReplaceAll(page, `<a href="`+ToolURI+`/blob/main/docs/causes/`, "")
	for _, load := range []string{"src=", "href=", "<link", "@import", "url(", "<iframe", "<object"} {
		if strings.Contains(links, load) {
			t.Errorf("page may load a resource: contains %q", load)
		}
	}
}

func TestExplainHTMLFromCorpus(t *testing.T) {
	res := loadCorpus(t, "cases", "case13.node-journal.log", "case13.pod-excerpt.yaml")
	var buf bytes.Buffer
	if err := WriteExplainHTML(&buf, res); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<svg", "selinux-relabel", "case13.node-journal.log:11",
		"docs/causes/selinux-relabel.md"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// Control characters from the inputs (terminal escape sequences) must not reach the terminal.
func TestExplainTextEscapesControlCharacters(t *testing.T) {
	at := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)
	esc := "\x1b]0;title\a\x1b[2J"
	ev := timeline.Evidence{File: "kubelet" + esc + ".log", Line: 3, Time: at,
		Text: `I0412 09:00:01 x.go:1] "Setting volume ownership` + esc + `" \"kept\"`}
	res := &timeline.Result{Pods: []timeline.Pod{{
		Namespace: "ns", Name: "db" + esc, UID: "u\u009b1m", Node: "n\xff",
		Start: at, End: at.Add(time.Minute),
		Phases: []timeline.Phase{{Name: timeline.PhaseVolumeSetup, Start: at,
			End: at.Add(time.Minute), Evidence: []timeline.Evidence{ev}}},
		Diagnosis: timeline.Diagnosis{Cause: timeline.CauseFSGroupWalk,
			Phase: timeline.PhaseVolumeSetup, Delay: time.Minute,
			Evidence: []timeline.Evidence{ev}, Summary: "volume v" + esc, Fix: "fix" + esc,
			RuledOut: []string{"r" + esc}},
		Notes: []string{"note" + esc},
	}}}
	var buf bytes.Buffer
	if err := (ExplainText{Width: 200}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\a", "\x9b", "\xff"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains raw %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`db\x1b]0;title\x07\x1b[2J`, `\"kept\"`, `u\u009b1m`, `n\xff`,
		`kubelet\x1b]0;title\x07\x1b[2J.log:3`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode — and a \\ backslash": "plain text, ünïcode — and a \\ backslash",
		"tab\tkept":    "tab\tkept",
		"esc\x1b[31m":  `esc\x1b[31m`,
		"nl\nbel\a":    `nl\x0abel\x07`,
		"c1\u009b":     `c1\u009b`,
		"bad\xffutf":   `bad\xffutf`,
		"rlo\u202eexe": `rlo\u202eexe`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// A pod without a start-up is only named at the end, and the output never starts with a blank
// line, whichever position it has among the pods.
func TestExplainTextQuietPodsLayout(t *testing.T) {
	at := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)
	quiet := timeline.Pod{Namespace: "ns", Name: "quiet"}
	busy := timeline.Pod{Namespace: "ns", Name: "busy", Start: at, End: at.Add(time.Minute),
		Phases: []timeline.Phase{{Name: timeline.PhaseVolumeSetup, Start: at,
			End: at.Add(time.Minute)}},
		Diagnosis: timeline.Diagnosis{Cause: timeline.CauseFSGroupWalk,
			Phase: timeline.PhaseVolumeSetup, Delay: time.Minute}}
	for _, pods := range [][]timeline.Pod{{quiet}, {quiet, busy}} {
		var buf bytes.Buffer
		if err := (ExplainText{}).Render(&buf, &timeline.Result{Pods: pods}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.HasPrefix(out, "\n") || !strings.Contains(out, "without a start-up: ns/quiet") {
			t.Errorf("%d pod(s):\n%q", len(pods), out)
		}
	}
}

// Render streams the pods one by one; the bytes must be those of encoding the whole document
// with encoding/json at once, with no pods, one pod, several pods, and with and without costs.
func TestExplainJSONStreamsLikeOneDocument(t *testing.T) {
	full := loadCorpus(t, "cases", "case01.kubelet.log", "case01.events.txt",
		"case01.pod-spec.yaml", "case05.kubelet.jsonl")
	if len(full.Pods) < 2 {
		t.Fatalf("%d pods, want several", len(full.Pods))
	}
	for _, n := range []int{0, 1, len(full.Pods)} {
		for _, rpm := range []float64{0, 30} {
			res := *full
			res.Pods, res.RestartsPerMonth = full.Pods[:n], rpm

			var got bytes.Buffer
			if err := (ExplainJSON{}).Render(&got, &res); err != nil {
				t.Fatal(err)
			}
			doc := toExplainDoc(&res)
			doc.Pods = []jsonPod{}
			for _, p := range res.Pods {
				doc.Pods = append(doc.Pods, toJSONPod(p))
			}
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%d pods, %v restarts/month: streamed output differs:\n%s\nwant:\n%s",
					n, rpm, got.String(), want.String())
			}
		}
	}
}

// With several pods the text draws only the slow ones and lists the rest a line each; the
// real kubelet's events hold one walk of ≈78 s among three quick start-ups.
func TestExplainTextDrawsOnlySlowPods(t *testing.T) {
	res := loadCorpus(t, "real-kubelet-v1.37.2", "events.txt")
	var buf bytes.Buffer
	if err := (ExplainText{Width: 100}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "\nPod ") + strings.Count(out[:4], "Pod "); n != 1 ||
		!strings.Contains(out, "Pod default/fsgroup-always-4m") {
		t.Errorf("%d pods drawn, want only fsgroup-always-4m:\n%s", n, out)
	}
	for _, quick := range []string{"default/fsgroup-always ", "default/fsgroup-onrootmismatch",
		"default/static-sleeper-probe-node"} {
		if !strings.Contains(out, "\n  "+quick) {
			t.Errorf("quick pod %s is not listed:\n%s", quick, out)
		}
	}
	if !strings.HasPrefix(out, "4 pods in the inputs: 1 with a step of 10s or more") {
		t.Errorf("first line: %q", strings.SplitN(out, "\n", 2)[0])
	}

	buf.Reset()
	if err := (ExplainText{Width: 100, All: true}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "Start-up shown:"); n != 4 {
		t.Errorf("All draws %d pods, want 4", n)
	}
}

// At most MaxDrawn slow pods are drawn; the others are listed with their slowest step.
func TestExplainTextCapsDrawnPods(t *testing.T) {
	res := &timeline.Result{}
	at := time.Date(2026, 4, 12, 9, 0, 0, 0, time.UTC)
	for i := range MaxDrawn + 3 {
		d := time.Duration(60-i) * time.Second
		res.Pods = append(res.Pods, timeline.Pod{Namespace: "ns", Name: fmt.Sprintf("p%02d", i),
			Start: at, End: at.Add(d),
			Phases: []timeline.Phase{{Name: timeline.PhaseVolumeSetup, Start: at,
				End: at.Add(d)}},
			Diagnosis: timeline.Diagnosis{Cause: timeline.CauseFSGroupWalk, Delay: d,
				Phase: timeline.PhaseVolumeSetup}})
	}
	var buf bytes.Buffer
	if err := (ExplainText{Width: 100}).Render(&buf, res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	flat := strings.Join(strings.Fields(out), " ")
	if n := strings.Count(out, "Start-up shown:"); n != MaxDrawn {
		t.Errorf("%d pods drawn, want %d", n, MaxDrawn)
	}
	if !strings.Contains(out, "ns/p12") || !strings.Contains(out, "volume-setup 48.0s: "+
		"fsgroup-walk") || !strings.Contains(flat, "--all draws every pod") {
		t.Errorf("the pods beyond the cap are not listed with their step:\n%s", out)
	}
}

// A metrics sample as evidence keeps its value within a terminal line.
func TestDisplayTextCompactsMetricSamples(t *testing.T) {
	cases := map[string]string{
		`storage_operation_duration_seconds_sum{migrated="false",operation_name=` +
			`"volume_apply_access_control",status="success",volume_plugin="kubernetes.io/` +
			`local-volume"} 2.300308773`: "volume_apply_access_control sum = 2.300308773 " +
			"(storage_operation_duration_seconds)",
		`kubelet_running_pods{static=""} 3`:                           "kubelet_running_pods = 3",
		`{"ts":1783528813.45,"msg":"Setting volume ownership","v":0}`: "Setting volume ownership",
		`{"msg":"cut short`:                                           "cut short",
	}
	for in, want := range cases {
		if got := displayText(in); got != want {
			t.Errorf("displayText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBarClass: a bar shows whether its phase was measured, still running or inferred, and
// the phase a known cause names is marked; an unknown cause marks none.
func TestBarClass(t *testing.T) {
	walk := timeline.Diagnosis{Cause: timeline.CauseFSGroupWalk, Phase: timeline.PhaseVolumeSetup}
	unknown := timeline.Diagnosis{Cause: timeline.CauseUnknown, Phase: timeline.PhaseVolumeSetup}
	setup := timeline.Phase{Name: timeline.PhaseVolumeSetup}
	open := timeline.Phase{Name: timeline.PhaseVolumeSetup, Open: true}
	inferred := timeline.Phase{Name: timeline.PhaseVolumeSetup, Inferred: true}
	pull := timeline.Phase{Name: timeline.PhaseImagePull}
	for _, tc := range []struct {
		ph   timeline.Phase
		d    timeline.Diagnosis
		want string
	}{
		{setup, walk, "bar named"}, {open, walk, "bar open named"},
		{inferred, walk, "bar inferred named"}, {pull, walk, "bar"},
		{open, unknown, "bar open"}, {setup, unknown, "bar"},
	} {
		if got := barClass(tc.ph, tc.d); got != tc.want {
			t.Errorf("%+v under %s: %q, want %q", tc.ph, tc.d.Cause, got, tc.want)
		}
	}
}
