package volscan

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCheckMaterialisedCases rebuilds case08 and case09 as real files (on the test's
// temporary file system and on a tmpfs) and expects the verdicts and offender lists the
// cases' expected.md give.
func TestCheckMaterialisedCases(t *testing.T) {
	needRoot(t)
	cases := corpus(t)
	for _, fsys := range []string{"tempdir", "tmpfs"} {
		t.Run(fsys, func(t *testing.T) {
			mk := func() string {
				if fsys == "tmpfs" {
					return tmpfsDir(t)
				}
				return t.TempDir()
			}
			d08 := mk()
			materialise(t, filepath.Join(cases, "cases", "case08.volume-scan.txt"), d08)
			res, got := checkPaths(t, d08, Options{FSGroup: 3000})
			if res.Verdict != VerdictUnsafe || res.Entries != 42 {
				t.Errorf("case08: verdict %s entries %d", res.Verdict, res.Entries)
			}
			if want := sorted(case08Differ); !slices.Equal(got, want) {
				t.Errorf("case08 offenders\n got %q\nwant %q", got, want)
			}

			d09 := mk()
			materialise(t, filepath.Join(cases, "cases", "case09.volume-scan.txt"), d09)
			res, got = checkPaths(t, d09, Options{FSGroup: 2000})
			if res.Verdict != VerdictSafe || res.Entries != 66 || len(got) != 0 {
				t.Errorf("case09: verdict %s entries %d offenders %q", res.Verdict,
					res.Entries, got)
			}
		})
	}
}

func TestCheckWalksAnyway(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	materialise(t, filepath.Join(corpus(t), "cases", "case09.volume-scan.txt"), dir)
	// The same volume checked for another fsGroup: the root's group differs.
	res, got := checkPaths(t, dir, Options{FSGroup: 3001})
	if res.Verdict != VerdictWalksAnyway || res.Root.Mismatch == 0 {
		t.Errorf("verdict %s root %v", res.Verdict, res.Root.Mismatch)
	}
	if int64(len(got)) != res.Entries {
		t.Errorf("%d offenders of %d entries; every entry's group differs", len(got), res.Entries)
	}
}

// TestRootGIDRejectsNonDirectory: a file given as the volume is refused before any walk, with
// an error that names it.
func TestRootGIDRejectsNonDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := RootGID(dir); err != nil {
		t.Fatalf("directory: %v", err)
	}
	file := filepath.Join(dir, "listing.txt")
	if err := os.WriteFile(file, []byte("d 02770 0 3000 .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := RootGID(file)
	if !errors.Is(err, ErrNotDirectory) || !strings.Contains(err.Error(), file) {
		t.Errorf("file: got %v, want ErrNotDirectory naming %s", err, file)
	}
}
