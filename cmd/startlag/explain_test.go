package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// explainRun runs `startlag explain args...` and returns the exit code, stdout and stderr.
func explainRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"explain"}, args...),
		streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// explainCases returns the corpus cases directory, skipping when it is absent.
func explainCases(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "cases")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available at %s: %v", dir, err)
	}
	return dir
}

type explainJSONDoc struct {
	Schema   string   `json:"schema"`
	Problems []string `json:"problems"`
	Pods     []struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Diagnosis struct {
			Cause        string  `json:"cause"`
			DelaySeconds float64 `json:"delaySeconds"`
			Cost         *struct {
				HoursPerYear float64 `json:"hoursPerYear"`
			} `json:"cost"`
		} `json:"diagnosis"`
	} `json:"pods"`
}

func parseExplain(t *testing.T, stdout string) explainJSONDoc {
	t.Helper()
	var doc explainJSONDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	return doc
}

func TestExplainCase01Text(t *testing.T) {
	dir := explainCases(t)
	code, out, errOut := explainRun(t, "", filepath.Join(dir, "case01.kubelet.log"),
		filepath.Join(dir, "case01.events.txt"), "--restarts-per-month", "10")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"fsgroup-walk", "27m19s", "OnRootMismatch", "h/year",
		"case01.kubelet.log:34"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainJSONAndPodFilter(t *testing.T) {
	dir := explainCases(t)
	code, out, errOut := explainRun(t, "", "-o", "json", "--restarts-per-month", "4",
		"--pod", "observability/dashboards-7c48d6f5b-9vw2c", filepath.Join(dir, "case06.events.json"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	doc := parseExplain(t, out)
	if len(doc.Pods) != 1 || doc.Pods[0].Name != "dashboards-7c48d6f5b-9vw2c" {
		t.Fatalf("pods = %+v", doc.Pods)
	}
	d := doc.Pods[0].Diagnosis
	if d.Cause != "volume-attach-wait" || d.DelaySeconds != 214 {
		t.Errorf("diagnosis = %+v", d)
	}
	if d.Cost == nil || d.Cost.HoursPerYear != 214.0*4*12/3600 {
		t.Errorf("cost = %+v", d.Cost)
	}
}

// A --pod the inputs do not hold is exit 2, and the message names the pods they do hold.
func TestExplainUnknownPodNamesThePods(t *testing.T) {
	dir := explainCases(t)
	code, _, errOut := explainRun(t, "", "--pod", "nope", filepath.Join(dir, "case04.pod.json"))
	if code != exitError || !strings.Contains(errOut, "pod nope not found") ||
		!strings.Contains(errOut, "streaming/events-broker-0") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// Standard input and gzip: the same events gzipped on stdin give the same answer.
func TestExplainGzipStdin(t *testing.T) {
	gz := gzipFile(t, filepath.Join(explainCases(t), "case15.events.json"))
	code, out, errOut := explainRun(t, string(gz), "-o", "json", "-")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if doc := parseExplain(t, out); doc.Pods[0].Diagnosis.Cause != "fsgroup-walk-failed" {
		t.Errorf("cause = %s", doc.Pods[0].Diagnosis.Cause)
	}
}

// An unreadable input is reported (exit 2) after the readable ones are explained.
func TestExplainUnreadableInputStillExplains(t *testing.T) {
	dir := explainCases(t)
	missing := filepath.Join(t.TempDir(), "missing.log")
	code, out, errOut := explainRun(t, "", filepath.Join(dir, "case04.pod.json"), missing)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(out, "fsgroup-walk") {
		t.Errorf("readable input not explained:\n%s", out)
	}
	if !strings.Contains(errOut, "missing.log") {
		t.Errorf("stderr does not name the file: %s", errOut)
	}
}

func TestExplainHTMLFile(t *testing.T) {
	dir := explainCases(t)
	page := filepath.Join(t.TempDir(), "report.html")
	code, _, errOut := explainRun(t, "", "--html", page, filepath.Join(dir, "case11.pod.json"))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "chown-init-container") || !strings.Contains(string(b), "<svg") {
		t.Errorf("HTML report lacks the diagnosis or the timeline")
	}
}

func TestExplainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-o", "yaml", "x.log"},
		{"--tz", "Not/AZone", "x.log"},
		{"--restarts-per-month", "-1", "x.log"},
		{"--year", "12", "x.log"},
		{"--no-such-flag"},
	} {
		code, _, errOut := explainRun(t, "", args...)
		if code != exitError {
			t.Errorf("%v: exit %d, want %d (stderr %s)", args, code, exitError, errOut)
		}
		if errOut == "" {
			t.Errorf("%v: no message on stderr", args)
		}
	}
}

func TestExplainUnknownPod(t *testing.T) {
	dir := explainCases(t)
	code, _, errOut := explainRun(t, "", "--pod", "nope/nope", filepath.Join(dir, "case04.pod.json"))
	if code != exitError || !strings.Contains(errOut, "nope/nope") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestExplainNoStartUp: inputs that name a pod but show nothing of its start-up explain
// nothing, which is exit 2 like inputs without any pod.
func TestExplainNoStartUp(t *testing.T) {
	const event = `{"apiVersion": "v1", "kind": "Event", "reason": "Killing",
  "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "db-0"},
  "lastTimestamp": "2026-04-12T09:00:00Z", "message": "Stopping container db"}`
	code, out, errOut := explainRun(t, event, "-")
	if code != exitError || !strings.Contains(errOut, "no pod start-up found") ||
		!strings.Contains(out, "ns/db-0") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// --html naming an input is refused before anything is written.
func TestExplainHTMLRefusesAnInput(t *testing.T) {
	dir := explainCases(t)
	raw, err := os.ReadFile(filepath.Join(dir, "case04.pod.json"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "pod.json")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := explainRun(t, "", in, "--html", in)
	after, _ := os.ReadFile(in)
	if code != exitError || !bytes.Equal(after, raw) || !strings.Contains(errOut, "--html") {
		t.Errorf("exit %d, input kept %v, stderr %q", code, bytes.Equal(after, raw), errOut)
	}
}

// TestExplainFifoAndSymlinkedLogs: a fifo (as from <(journalctl ...)) can be read only once,
// a directory of symlinked logs (/var/log/containers) must be read through the links, and so
// must a directory named through a symlink.
func TestExplainFifoAndSymlinkedLogs(t *testing.T) {
	logPath := filepath.Join(explainCases(t), "case01.kubelet.log")
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	fifo := filepath.Join(tmp, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no fifo here:", err)
	}
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Write(raw)
			f.Close()
		}
	}()
	links := filepath.Join(tmp, "containers")
	if err := os.Mkdir(links, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(logPath)
	if err := os.Symlink(abs, filepath.Join(links, "kubelet.log")); err != nil {
		t.Fatal(err)
	}

	linkedDir := filepath.Join(tmp, "linked")
	if err := os.Symlink(links, linkedDir); err != nil {
		t.Fatal(err)
	}

	for _, in := range []string{fifo, links, linkedDir} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			code, out, errOut := explainRun(t, "", "--year", "2026", in)
			if code != exitOK || !strings.Contains(out, "fsgroup-walk") {
				t.Errorf("%s: exit %d, stdout %q, stderr %q", in, code, out, errOut)
			}
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: explain still reading after 30 s (an input opened twice?)", in)
		}
	}
}
