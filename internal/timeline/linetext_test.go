package timeline

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Evidence text is dropped while a regular file is read and read back at the end; the result
// must be the same as for the same log from standard input or gzip, whose lines are kept.
func TestEvidenceTextReadBackMatchesKeptText(t *testing.T) {
	data := realLog(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "kubelet.log")
	zipped := filepath.Join(dir, "kubelet.log.gz")
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	for p, b := range map[string][]byte{plain: data, zipped: z.Bytes()} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	opts := Options{OpenLog: openKubelog, Year: 2026}
	fromFile := evidenceTexts(t, []string{plain}, opts)
	fromGzip := evidenceTexts(t, []string{zipped}, opts)
	opts.Stdin = bytes.NewReader(data)
	fromStdin := evidenceTexts(t, []string{"-"}, opts)

	if len(fromFile) < 5 {
		t.Fatalf("only %d evidence lines", len(fromFile))
	}
	for i, text := range fromFile {
		if text == "" || !strings.Contains(string(data), text+"\n") {
			t.Fatalf("evidence line %d is not a line of the log: %q", i, text)
		}
	}
	if !reflect.DeepEqual(fromFile, fromGzip) || !reflect.DeepEqual(fromFile, fromStdin) {
		t.Errorf("evidence differs by input kind:\nfile  %q\ngzip  %q\nstdin %q", fromFile,
			fromGzip, fromStdin)
	}
}

func evidenceTexts(t *testing.T, paths []string, opts Options) []string {
	t.Helper()
	res, err := Load(paths, opts)
	if err != nil || len(res.Pods) == 0 {
		t.Fatalf("%v: %d pods, err %v", paths, len(res.Pods), err)
	}
	l := &loader{result: res}
	var out []string
	for _, ev := range l.resultEvidence() {
		if ev.line != (lineRef{}) {
			t.Errorf("%s:%d still holds a line reference", ev.File, ev.Line)
		}
		out = append(out, ev.Text)
	}
	return out
}

// A line that no longer matches when it is read back (the log was rotated or rewritten in
// between) is left without text, never replaced by whatever the offset now holds.
func TestReadBackNoticesChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubelet.log")
	first, second := "I0412 first line", "I0412 second line"
	if err := os.WriteFile(path, []byte(first+"\n"+second+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(off int, text string) *Evidence {
		return &Evidence{File: path, line: lineRef{off: int64(off), n: int32(len(text)),
			sum: textSum(text)}}
	}

	a, b := at(0, first), at(len(first)+1, second)
	if lost := readBack(path, []*Evidence{b, a}); lost != 0 || a.Text != first ||
		b.Text != second {
		t.Fatalf("lost %d, texts %q %q", lost, a.Text, b.Text)
	}

	// Rewritten with a shorter first line: both offsets now point at other bytes.
	if err := os.WriteFile(path, []byte("I0412 rotated\n"+second+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b = at(0, first), at(len(first)+1, second)
	if lost := readBack(path, []*Evidence{a, b}); lost != 2 || a.Text != "" || b.Text != "" {
		t.Errorf("after the file changed: lost %d, texts %q %q; want 2 lost, no text", lost,
			a.Text, b.Text)
	}
	gone := filepath.Join(t.TempDir(), "gone.log")
	if lost := readBack(gone, []*Evidence{at(0, first)}); lost != 1 {
		t.Errorf("a vanished file lost %d lines, want 1", lost)
	}
}
