package volscan

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/ownership"
)

// corpus returns ../shared/corpus beside the repository root, or skips.
func corpus(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus not found beside the repository (../shared/corpus):", err)
	}
	return dir
}

// case08Differ are the 17 entries case08.expected.md lists as differing from an Always walk.
var case08Differ = []string{
	"./restore-2026-03-30",
	"./restore-2026-03-30/ledger-0000.db",
	"./restore-2026-03-30/ledger-0001.db",
	"./restore-2026-03-30/ledger-0002.db",
	"./restore-2026-03-30/ledger-0003.db",
	"./restore-2026-03-30/ledger-0004.db",
	"./restore-2026-03-30/attachments",
	"./restore-2026-03-30/attachments/blob-00000.bin",
	"./restore-2026-03-30/attachments/blob-00001.bin",
	"./restore-2026-03-30/attachments/blob-00002.bin",
	"./restore-2026-03-30/attachments/blob-00003.bin",
	"./cache",
	"./cache/chunk-0.tmp",
	"./cache/chunk-1.tmp",
	"./cache/chunk-2.tmp",
	"./workspaces/alpha/README.md",
	"./workspaces/billing/export.csv",
}

// listingCheck runs ListingCheck on a corpus file and returns the result and offender paths.
func listingCheck(t *testing.T, file string, fsGroup int64) (*Result, []string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	res, lineErrs, err := ListingCheck(f, file, Options{FSGroup: fsGroup,
		OnOffender: func(o Offender) { got = append(got, o.Path) }})
	if err != nil || len(lineErrs) > 0 {
		t.Fatalf("%s: %v %v", file, err, lineErrs)
	}
	sort.Strings(got)
	return res, got
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	sort.Strings(out)
	return out
}

func TestListingCase08Unsafe(t *testing.T) {
	res, got := listingCheck(t, filepath.Join(corpus(t), "cases", "case08.volume-scan.txt"), 3000)
	if res.Verdict != VerdictUnsafe || res.Root.Mismatch != 0 {
		t.Errorf("verdict %s, root %v; want unsafe with a matching root", res.Verdict,
			res.Root.Mismatch)
	}
	if res.Entries != 42 || res.Summary.Differ != 17 {
		t.Errorf("entries %d differ %d, want 42 and 17", res.Entries, res.Summary.Differ)
	}
	if want := sorted(case08Differ); !slices.Equal(got, want) {
		t.Errorf("offenders\n got %q\nwant %q", got, want)
	}
}

func TestListingCase09Safe(t *testing.T) {
	res, got := listingCheck(t, filepath.Join(corpus(t), "cases", "case09.volume-scan.txt"), 2000)
	if res.Verdict != VerdictSafe || len(got) != 0 || res.Entries != 66 {
		t.Errorf("verdict %s, %d entries, offenders %q; want safe, 66, none", res.Verdict,
			res.Entries, got)
	}
}

func TestListingTolerance(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"d 02770 0 3000 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount",
		"f 0664 1000 3000 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/a b c.txt",
		"",
		"f 0644 1000 3000 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/ lead",
		"x 0644 1 1 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/badtype",
		"f 0999 1 1 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/badmode",
		"f 0644 root 1 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/badowner",
		"f 0644 1 1",
		"f 0644 1 3000 /elsewhere/file\r",
		"p 0600 1 3000 /var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/fifo\r",
	}, "\n")
	var got []string
	res, errs, err := ListingCheck(strings.NewReader(in), "l.txt", Options{FSGroup: 3000,
		OnOffender: func(o Offender) { got = append(got, o.Path) }})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, e := range errs {
		var le *LineError
		if !errors.As(e, &le) || le.File != "l.txt" {
			t.Errorf("error %v is not a LineError naming the file", e)
			continue
		}
		lines = append(lines, le.Line)
	}
	if !slices.Equal(lines, []int{6, 7, 8, 9, 10}) {
		t.Errorf("bad lines %v, want 6 7 8 9 10 (%v)", lines, errs)
	}
	if want := []string{"./ lead", "./fifo"}; !slices.Equal(got, want) {
		t.Errorf("offenders %q, want %q", got, want)
	}
	if res.Entries != 4 || res.Verdict != VerdictUnsafe {
		t.Errorf("entries %d verdict %s", res.Entries, res.Verdict)
	}
}

func TestListingWithoutRootLine(t *testing.T) {
	in := "f 0644 0 0 ./a\nf 0644 0 0 ./b\nd 0755 0 0 ./c\n"
	_, errs, err := ListingCheck(strings.NewReader(in), "l", Options{})
	if err == nil || len(errs) != 1 {
		t.Errorf("want one missing-root error for the whole listing, got %v %v", err, errs)
	}
}

func TestParseListingLineTypes(t *testing.T) {
	for line, want := range map[string]ownership.Entry{
		"d 02775 1001 2000 ./x": {Type: ownership.TypeDir, Mode: 0o2775, UID: 1001, GID: 2000},
		"l 0777 0 0 ./l":        {Type: ownership.TypeSymlink, Mode: 0o777},
		"s 0755 0 0 ./s":        {Type: ownership.TypeOther, Mode: 0o755},
		"f 0 0 0 ./z":           {Type: ownership.TypeFile},
	} {
		got, _, err := ParseListingLine(line)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", line, got, err, want)
		}
	}
}

func FuzzReadListing(f *testing.F) {
	f.Add("d 02770 0 3000 .\nf 0644 0 0 ./a b\n")
	f.Add("d 0755 0 0 /x/\nl 0777 1 2 /x/y\nbad\n")
	f.Add("# c\r\n\r\nf 07777 4294967295 4294967295 ./\xff\n")
	f.Add("/v:\ntotal 8\ndrwxrwsr-x 3 0 5 4096 Feb 14 18:51 .\n-rw------- 1 0 5 0 Feb 14 " +
		"18:51 a\n\n/v/d:\ndrwx------ 2 0 5 1 2026-02-14 18:51 .\n-rw-r--r-- 1 0 0 1 2026-02-14 " +
		"18:51 b -> c\n")
	f.Add("$ ls -lan\ndrwxr-xr-x 3 1 1 4 Feb 14 18:51 x\ndrwxr-xr-x 3 1 1 4 Feb 14 18:51 .\n")
	f.Fuzz(func(t *testing.T, in string) {
		res, errs, err := ListingCheck(strings.NewReader(in), "fuzz", Options{FSGroup: 5,
			RootSquash: true})
		if err != nil {
			return
		}
		if res == nil {
			t.Fatal("nil result without error")
		}
		if res.Summary.Differ > res.Entries {
			t.Fatalf("%d offenders among %d entries", res.Summary.Differ, res.Entries)
		}
		if sq := res.Squash; sq.CannotOpen.Count+sq.CannotChange.Count > 2*res.Entries {
			t.Fatalf("squash counts %+v among %d entries", sq, res.Entries)
		}
		for _, e := range errs {
			if !strings.HasPrefix(e.Error(), "fuzz:") {
				t.Fatalf("error without file name: %v", e)
			}
		}
	})
}

func FuzzParseListingLine(f *testing.F) {
	f.Add("d 02770 0 3000 ./a")
	f.Add("f 0644 1000 1000 ./with space")
	f.Fuzz(func(t *testing.T, line string) {
		e, p, err := ParseListingLine(line)
		if err != nil {
			return
		}
		if p == "" || e.Mode > 0o7777 {
			t.Fatalf("accepted %q as %+v %q", line, e, p)
		}
	})
}

func FuzzParseLsLine(f *testing.F) {
	f.Add("drwxrwsr-x 3 0 2000 4096 Feb 14 18:51 name with spaces")
	f.Add("crw-rw---- 1 0 6 8, 0 2026-02-14 18:51:03.1 +0100 sda")
	f.Add("lrwxrwxrwx 1 0 0 7 Feb 14 18:51 l -> t")
	f.Fuzz(func(t *testing.T, line string) {
		e, name, err := parseLsLine(line)
		if err != nil {
			return
		}
		if name == "" || e.Mode > 0o7777 || !strings.HasSuffix(line, name) &&
			e.Type != ownership.TypeSymlink {
			t.Fatalf("accepted %q as %+v %q", line, e, name)
		}
	})
}
