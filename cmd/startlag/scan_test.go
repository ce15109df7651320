package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/volscan"
)

// scanRun runs startlag with args and stdin, returning exit code, stdout and stderr.
func scanRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, streams{In: strings.NewReader(stdin), Out: &out,
		Err: &errb})
	return code, out.String(), errb.String()
}

func scanCorpus(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "corpus", "cases", name)
	if _, err := os.Stat(p); err != nil {
		t.Skip("corpus not found beside the repository (../shared/corpus):", err)
	}
	return p
}

func TestScanListingVerdicts(t *testing.T) {
	code, out, _ := scanRun(t, "", "scan", "--from-listing",
		scanCorpus(t, "case08.volume-scan.txt"), "--fsgroup", "3000")
	if code != exitFindings || !strings.Contains(out, "Verdict: unsafe") ||
		!strings.Contains(out, "./workspaces/billing/export.csv") {
		t.Errorf("case08: exit %d\n%s", code, out)
	}
	code, out, _ = scanRun(t, "", "scan", "--from-listing",
		scanCorpus(t, "case09.volume-scan.txt"), "--fsgroup", "2000")
	if code != exitOK || !strings.Contains(out, "Verdict: safe") {
		t.Errorf("case09: exit %d\n%s", code, out)
	}
}

// TestScanListingGzip: a listing saved through gzip gives the same verdict, from a file and
// from stdin.
func TestScanListingGzip(t *testing.T) {
	gz := gzipFile(t, scanCorpus(t, "case08.volume-scan.txt"))
	path := filepath.Join(t.TempDir(), "listing.txt.gz")
	if err := os.WriteFile(path, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct{ stdin, name string }{{"", path}, {string(gz), "-"}} {
		code, out, errOut := scanRun(t, in.stdin, "scan", "--from-listing", in.name,
			"--fsgroup", "3000")
		if code != exitFindings || !strings.Contains(out, "Verdict: unsafe") {
			t.Errorf("%s: exit %d\n%s%s", in.name, code, out, errOut)
		}
	}
}

// gzipFile returns the gzip-compressed content of the file at path.
func gzipFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	return gz.Bytes()
}

func TestScanListingJSONFromStdin(t *testing.T) {
	data, err := os.ReadFile(scanCorpus(t, "case08.volume-scan.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := scanRun(t, string(data), "scan", "--from-listing", "-", "-o", "json")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "using the volume root's group 3000") {
		t.Errorf("fsGroup source not said on stderr: %q", errOut)
	}
	var doc struct {
		Schema, Verdict, FSGroupSource string
		Differ, Entries                int64
		FSGroup                        int64
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Schema != "startlag.scan/v1" || doc.Verdict != "unsafe" || doc.Differ != 17 ||
		doc.Entries != 42 || doc.FSGroup != 3000 || doc.FSGroupSource != "root-gid" {
		t.Errorf("document %+v", doc)
	}
}

func TestScanMalformedListing(t *testing.T) {
	in := "d 02770 0 3000 .\nf 0644 zero 3000 ./bad\nf 0664 0 3000 ./good\n"
	code, out, errOut := scanRun(t, in, "scan", "--from-listing", "-", "--fsgroup", "3000")
	if code != exitError || !strings.Contains(errOut, "<stdin>:2:") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Verdict: safe") {
		t.Errorf("the good lines were not checked:\n%s", out)
	}
}

// TestScanApplyNeedsFSGroup: --apply without --fsgroup would take the root's group as the
// fsGroup and rewrite the volume for it; it must refuse and change nothing.
func TestScanApplyNeedsFSGroup(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "private")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := scanRun(t, "", "scan", dir, "--apply")
	if code != exitError || !strings.Contains(errOut, "--apply needs --fsgroup") {
		t.Errorf("exit %d, stderr %q; want %d and the reason", code, errOut, exitError)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the volume was changed: %v %v", st.Mode(), err)
	}
}

func TestScanUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"scan"},
		{"scan", "a", "--from-listing", "b"},
		{"scan", "--from-listing", "x", "--apply"},
		{"scan", ".", "-o", "yaml"},
		{"scan", ".", "--fsgroup", "-5"},
	} {
		if code, _, _ := scanRun(t, "", args...); code != exitError {
			t.Errorf("%q: exit %d, want %d", args, code, exitError)
		}
	}
}

func TestScanHelpShowsFindCommand(t *testing.T) {
	_, out, _ := scanRun(t, "", "scan", "--help")
	if !strings.Contains(out, volscan.FindCommand) {
		t.Errorf("--help lacks the find command:\n%s", out)
	}
}

// TestScanDirWalksAnyway: a 0700 root fails the skip test whatever the group.
func TestScanDirWalksAnyway(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	code, out, _ := scanRun(t, "", "scan", dir)
	if code != exitWalksAnyway || !strings.Contains(out, "Verdict: walks-anyway") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestScanApply(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("repair to another group needs root")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := scanRun(t, "", "scan", dir, "--fsgroup", "4242", "--list")
	if code != exitWalksAnyway || !strings.Contains(out, "./f\t") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if code, out, errOut := scanRun(t, "", "scan", dir, "--fsgroup", "4242", "--apply"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := scanRun(t, "", "scan", dir, "--fsgroup", "4242"); code != exitOK {
		t.Errorf("after apply: exit %d\n%s", code, out)
	}
}

// TestScanListWithJSONRefused: --list writes text lines to stdout, which would break the JSON
// document, so the combination is a usage error.
func TestScanListWithJSONRefused(t *testing.T) {
	code, out, errOut := scanRun(t, "d 02770 0 3000 .\n", "scan", "--from-listing", "-",
		"--list", "-o", "json")
	if code != exitError || out != "" || !strings.Contains(errOut, "--list") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := scanRun(t, "", "scan", ".", "--top", "0"); code != exitError {
		t.Errorf("--top 0: exit %d, want %d", code, exitError)
	}
}

// TestScanListingWithoutUsableLine: without --fsgroup, a listing with no parsable line is
// reported as such (its bad lines, capped), not as a missing flag.
func TestScanListingWithoutUsableLine(t *testing.T) {
	junk := strings.Repeat("not a listing line\n", maxLineErrors+5)
	code, out, errOut := scanRun(t, junk, "scan", "--from-listing", "-")
	if code != exitError || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if strings.Contains(errOut, "--fsgroup not given") || !strings.Contains(errOut, "<stdin>:1:") ||
		!strings.Contains(errOut, "no entries") {
		t.Errorf("stderr does not name the bad listing:\n%s", errOut)
	}
	if n := strings.Count(errOut, "not a listing line: want"); n != maxLineErrors {
		t.Errorf("%d bad lines printed, want %d and a count of the rest", n, maxLineErrors)
	}
	if !strings.Contains(errOut, "and 5 more bad listing lines") {
		t.Errorf("no count of the lines not shown:\n%s", errOut)
	}
}

// TestScanFileIsNotAVolume: a regular file given as DIR is refused before anything is said
// about the fsGroup taken from it.
func TestScanFileIsNotAVolume(t *testing.T) {
	file := filepath.Join(t.TempDir(), "listing.txt")
	if err := os.WriteFile(file, []byte("d 02770 0 3000 .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := scanRun(t, "", "scan", file)
	if code != exitError || out != "" || !strings.Contains(errOut, file+": not a directory") ||
		strings.Contains(errOut, "--fsgroup not given") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// slowRepair runs `scan --apply` at 20 operations per second on a fresh tree of 200 files,
// to group 4242, under ctx, and returns the exit code and both streams. It fails the test if
// the volume root got the group: a repair cut short must leave it as it was.
func slowRepair(t *testing.T, ctx context.Context) (int, string, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("repair to another group needs root")
	}
	dir := t.TempDir()
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("f", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"scan", dir, "--fsgroup", "4242", "--apply",
		"--max-ops-per-second", "20"}, streams{In: strings.NewReader(""), Out: &out, Err: &errOut})

	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil || st.Gid == 4242 {
		t.Errorf("the root's group is %d after a repair cut short (err %v)", st.Gid, err)
	}
	return code, out.String(), errOut.String()
}

// An interrupted repair says what it had changed and that the root was left as it was; the
// root indeed keeps its group, so the kubelet keeps walking until a rerun finishes.
func TestScanApplyInterruptedSaysWhatItDid(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background()) // as SIGINT does (main.go)
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	code, out, errOut := slowRepair(t, ctx)
	if code != exitInterrupted || !strings.Contains(errOut, "interrupted after") ||
		!strings.Contains(errOut, "root was not changed") {
		t.Errorf("exit %d, stderr %q, stdout %q", code, errOut, out)
	}
}

// A walk that stops early for another reason than an interrupt (here a deadline) is reported
// with what it saw, and exits 2: its verdict covers only part of the volume.
func TestScanApplyStoppedEarlyIsAnError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	code, out, errOut := slowRepair(t, ctx)
	if code != exitError || !strings.Contains(errOut, "deadline") || !strings.Contains(out, "Repair:") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestScanSymlinkedRootIsSaid: a root named through a symlink is followed, as the kubelet
// resolves a volume path, and stderr says which directory was scanned.
func TestScanSymlinkedRootIsSaid(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	_, _, errOut := scanRun(t, "", "scan", link, "--fsgroup", "0")
	if !strings.Contains(errOut, "is a symlink: scanning "+real) {
		t.Errorf("stderr %q does not name the directory scanned", errOut)
	}
}
