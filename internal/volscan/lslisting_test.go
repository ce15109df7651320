package volscan

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/ownership"
)

// `ls -l` mode strings and the lines around them, as GNU coreutils and busybox print them.
func TestParseLsLine(t *testing.T) {
	cases := []struct {
		line string
		typ  ownership.EntryType
		mode uint32
		name string
	}{
		{"drwxrwxr-x 3 3001 3001  4 Feb 14 18:51 .", ownership.TypeDir, 0o775, "."},
		{"drwx------ 4 3001 3001  6 Feb 14 18:58 raft", ownership.TypeDir, 0o700, "raft"},
		{"-rw------- 1 3001 3001  0 Feb 14 18:51 vault.db.lock", ownership.TypeFile, 0o600,
			"vault.db.lock"},
		{"drwxrwsr-x 2 0 2000 4096 Jan  3  2025 with  two spaces", ownership.TypeDir, 0o2775,
			"with  two spaces"},
		{"drwxrwS--T 2 0 2000 4096 2026-02-14 18:51 odd", ownership.TypeDir, 0o3760, "odd"},
		{"-rwsr-xr-x. 1 0 0 10 2026-02-14 18:51:03.123456789 +0100 suid", ownership.TypeFile,
			0o4755, "suid"},
		{"lrwxrwxrwx 1 0 0 7 Feb 14 18:51 link -> target", ownership.TypeSymlink, 0o777, "link"},
		{"crw-rw---- 1 0 6 8, 0 Feb 14 18:51 sda", ownership.TypeOther, 0o660, "sda"},
		{"prw-r--r-- 1 0 0 0 Feb 14 18:51 fifo", ownership.TypeOther, 0o644, "fifo"},
	}
	for _, c := range cases {
		e, name, err := parseLsLine(c.line)
		if err != nil || e.Type != c.typ || e.Mode != c.mode || name != c.name {
			t.Errorf("%q: %v %#o %q (%v), want %v %#o %q", c.line, e.Type, e.Mode, name, err,
				c.typ, c.mode, c.name)
		}
	}
	for _, bad := range []string{"drwxrwxr-x 3 root root 4 Feb 14 18:51 .", "total 12",
		"drwxrwxr-x 3 3001", "xrwxrwxr-x 3 0 0 4 Feb 14 18:51 ."} {
		if _, _, err := parseLsLine(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// ls -lanR: headers give the directories, "." of the first listing is the root, the "." and
// ".." of the others are left out, "total" lines and pasted prompts are no entries.
func TestReadLsRecursiveListing(t *testing.T) {
	listing := `$ ls -lanR /export/vol
/export/vol:
total 8
drwxrwsr-x 3 0 2000 4096 Feb 14 18:51 .
drwxr-xr-x 9 0 0    4096 Feb 14 18:50 ..
drwxr-sr-x 2 0 2000 4096 Feb 14 18:51 sub dir
-rw-rw-r-- 1 0 2000    3 Feb 14 18:51 a

/export/vol/sub dir:
total 4
drwxr-sr-x 2 0 2000 4096 Feb 14 18:51 .
drwxrwsr-x 3 0 2000 4096 Feb 14 18:51 ..
-rw-r--r-- 1 0 1000    3 Feb 14 18:51 b
`
	var paths []string
	errs, err := ReadListing(strings.NewReader(listing), "ls.txt", func(le ListingEntry) {
		paths = append(paths, le.Path)
	})
	want := []string{".", "./sub dir", "./a", "./sub dir/b"}
	if err != nil || len(errs) > 0 || strings.Join(paths, "|") != strings.Join(want, "|") {
		t.Fatalf("paths %q (errs %v %v), want %q", paths, errs, err, want)
	}

	res, errs, err := ListingCheck(strings.NewReader(listing), "ls.txt",
		Options{FSGroup: 2000})
	if err != nil || len(errs) > 0 || res.Verdict != VerdictUnsafe || res.Summary.Differ != 2 {
		t.Fatalf("verdict %v, %d differ (errs %v %v); want unsafe: ./sub dir lacks g+w, "+
			"./sub dir/b has gid 1000", res.Verdict, res.Summary.Differ, errs, err)
	}
}

// case15: the NFS server's `ls -lan` of the export, with its shell prompts (the output of the
// pasted `$ grep k8s /etc/exports` is no listing and is skipped). The root lacks setgid
// (walks anyway); squashed to nobody, the kubelet cannot open raft/ (drwx------ 3001:3001),
// which is where case15.expected.md says its walk failed.
func TestCase15ServerListingRootSquash(t *testing.T) {
	path := filepath.Join(corpus(t), "cases", "case15.server-listing.txt")
	res := mustListing(t, path, Options{FSGroup: 3001, RootSquash: true}, 0)
	if res.Verdict != VerdictWalksAnyway || res.Root.Mismatch != ownership.RootNoSetgid {
		t.Errorf("verdict %s (%v), want walks-anyway: root lacks setgid", res.Verdict,
			res.Root.Mismatch)
	}
	s := res.Squash
	if s == nil || s.CannotOpen.Count != 1 ||
		strings.Join(s.CannotOpen.Examples, ",") != "./raft" {
		t.Fatalf("squash %+v, want raft unopenable", s)
	}
}

// mustListing checks a listing file and wants exactly lineErrs skipped lines.
func mustListing(t *testing.T, path string, opt Options, lineErrs int) *Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, errs, err := ListingCheck(f, path, opt)
	if err != nil || len(errs) != lineErrs {
		t.Fatalf("%s: %v, %d skipped lines (%v), want %d", path, err, len(errs), errs, lineErrs)
	}
	return res
}

// ListingRootGID reads only up to the root entry and hands back a reader of the whole listing.
func TestListingRootGIDReplays(t *testing.T) {
	for _, listing := range []string{
		"# taken on node-a\n\nd 02770 0 3000 .\nf 0660 0 3000 ./a\n",
		"$ ls -lan\ntotal 8\ndrwxrws--- 2 0 3000 4096 Feb 14 18:51 .\n-rw-rw---- 1 0 3000 0 " +
			"Feb 14 18:51 a\n",
	} {
		gid, ok, again := ListingRootGID(strings.NewReader(listing))
		rest, err := io.ReadAll(again)
		if !ok || gid != 3000 || err != nil || string(rest) != listing {
			t.Errorf("gid %d ok %v, replayed %q (%v), want 3000 and %q", gid, ok, rest, err,
				listing)
		}
	}
}

// Bad lines are returned one by one up to maxLineErrors, then counted in one more error.
func TestReadListingCapsLineErrors(t *testing.T) {
	junk := "d 0770 0 1 .\n" + strings.Repeat("junk\n", maxLineErrors+7)
	errs, err := ReadListing(strings.NewReader(junk), "junk", func(ListingEntry) {})
	if err != nil || len(errs) != maxLineErrors+1 ||
		!strings.Contains(errs[maxLineErrors].Error(), "7 more lines could not be used") {
		t.Fatalf("%d errors (%v), the last %v", len(errs), err, errs[len(errs)-1])
	}
}

// TestPastedPromptsAndTheirOutput: the output of a pasted command other than ls or find is
// skipped up to the next prompt; "# " lines are comments unless they run ls or find.
func TestPastedPromptsAndTheirOutput(t *testing.T) {
	listing := "# listing of the export\n" +
		"$ sudo ls -lan /srv/vol\n" +
		"drwxrwsr-x 2 0 2000 4 Feb 14 18:51 .\n" +
		"$ cat /etc/exports\n" +
		"/srv 10.0.0.0/8(rw)\n" +
		"# ls -lan /srv/vol/more\n" +
		"-rw-rw-r-- 1 0 2000 0 Feb 14 18:51 a\n"
	var paths []string
	errs, err := ReadListing(strings.NewReader(listing), "l.txt", func(le ListingEntry) {
		paths = append(paths, le.Path)
	})
	if err != nil || len(errs) > 0 || strings.Join(paths, " ") != ". ./a" {
		t.Errorf("paths %q, errors %v %v; want . and ./a", paths, errs, err)
	}
}
