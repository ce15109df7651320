package volscan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/ownership"
)

// FindCommand is the command that produces a listing ListingCheck reads. Run it in the mounted
// volume (or give the volume's path instead of "."); -xdev matches --one-file-system.
const FindCommand = `find . -printf '%y %#m %U %G %p\n'`

// LineError is a listing line that could not be used.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// ListingEntry is one parsed listing line.
type ListingEntry struct {
	Line  int
	Path  string // as printed by find
	Entry ownership.Entry
}

// ParseListingLine parses one line of FindCommand output: type letter, octal mode, numeric
// uid, numeric gid, then the path (everything after the fourth space, spaces included).
func ParseListingLine(line string) (ownership.Entry, string, error) {
	var e ownership.Entry
	typ, rest, ok1 := strings.Cut(line, " ")
	mode, rest, ok2 := strings.Cut(rest, " ")
	uid, rest, ok3 := strings.Cut(rest, " ")
	gid, path, ok4 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !ok3 || !ok4 || path == "" {
		return e, "", errors.New("not a listing line: want the output of " + FindCommand +
			" (type mode uid gid path) or of " + LsCommand)
	}

	t, err := parseType(typ)
	if err != nil {
		return e, "", err
	}
	m, err := strconv.ParseUint(mode, 8, 32)
	if err != nil || m > 0o7777 {
		return e, "", fmt.Errorf("mode %q is not an octal permission mode", mode)
	}
	u, err := strconv.ParseUint(uid, 10, 32)
	if err != nil {
		return e, "", fmt.Errorf("uid %q is not a number", uid)
	}
	g, err := strconv.ParseUint(gid, 10, 32)
	if err != nil {
		return e, "", fmt.Errorf("gid %q is not a number (use %%G, not %%g)", gid)
	}
	return ownership.Entry{Type: t, Mode: uint32(m), UID: uint32(u), GID: uint32(g)}, path, nil
}

// parseType maps find's %y letter to the model's type.
func parseType(s string) (ownership.EntryType, error) {
	switch s {
	case "f":
		return ownership.TypeFile, nil
	case "d":
		return ownership.TypeDir, nil
	case "l":
		return ownership.TypeSymlink, nil
	case "p", "s", "c", "b", "D":
		return ownership.TypeOther, nil
	}
	return 0, fmt.Errorf("type %q is not one of f d l p s c b D", s)
}

// ReadListing reads FindCommand output, or `ls -lan` / LsCommand output, from r (named name
// in errors) and calls fn for every entry, the root first. Blank lines, lines starting with #,
// ls's "total N" lines and pasted shell prompts ("$ ls ...") are skipped. In find output the
// first entry is the root (find prints its starting point first) and later paths must lie
// below it; in ls output the root is the first listing's "." entry. Bad lines are returned as
// *LineError values and skipped; the returned error is a read error.
func ReadListing(r io.Reader, name string, fn func(ListingEntry)) ([]error, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var errs []error
	lr := listingReader{}
	bad, lastBad := 0, 0
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		le, use, err := lr.line(line)
		if err != nil {
			if bad++; bad <= maxLineErrors {
				errs = append(errs, &LineError{File: name, Line: ln, Err: err})
			}
			lastBad = ln
			continue
		}
		if use {
			le.Line = ln
			fn(le)
		}
	}
	if bad > maxLineErrors {
		errs = append(errs, &LineError{File: name, Line: lastBad, Err: fmt.Errorf("%d more "+
			"lines could not be used, the last of them here", bad-maxLineErrors)})
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return errs, fmt.Errorf("reading %s: a line longer than 1 MiB: not a listing", name)
	} else if err != nil {
		return errs, fmt.Errorf("reading %s: %w", name, err)
	}
	return errs, nil
}

// maxLineErrors bounds the bad lines ReadListing returns one by one; the others are counted.
const maxLineErrors = 1000

// listingReader parses the lines of one listing, find or ls output, in order.
type listingReader struct {
	root string // the find listing's root path
	ls   lsListing
	// foreign is set after a pasted prompt of another command than ls or find ("$ grep k8s
	// /etc/exports"): its output, up to the next prompt, is no listing and is skipped.
	foreign bool
	// noRootSaid is set once an entry before the root was reported; later ones are skipped.
	noRootSaid bool
}

// line parses one line; use is false for lines without an entry.
func (lr *listingReader) line(line string) (le ListingEntry, use bool, err error) {
	if cmd, ok := promptCommand(line); ok {
		lr.foreign = cmd != "ls" && cmd != "find" && cmd != "cd" && cmd != ""
		return le, false, nil
	}
	switch {
	case lr.foreign:
		return le, false, nil
	case strings.TrimSpace(line) == "" || isLsListingNoise(line):
		return le, false, nil
	case strings.HasPrefix(line, "#") && !isLsMode(firstField(line)):
		return le, false, nil
	}
	if ok, err := lr.ls.header(line); ok || err != nil {
		return le, false, err
	}
	if isLsMode(firstField(line)) {
		return lr.lsEntry(line)
	}
	e, p, err := ParseListingLine(line)
	if err == nil {
		p, err = relativeTo(&lr.root, p)
	}
	if errors.Is(err, errNoRoot) {
		return le, false, lr.onceNoRoot(err)
	}
	return ListingEntry{Path: p, Entry: e}, err == nil, err
}

// errNoRoot marks entries met before the listing's root: said once, on the first of them.
var errNoRoot = errors.New("no root entry")

func (lr *listingReader) onceNoRoot(err error) error {
	if lr.noRootSaid {
		return nil
	}
	lr.noRootSaid = true
	return err
}

// lsEntry parses an `ls -ln` entry line.
func (lr *listingReader) lsEntry(line string) (ListingEntry, bool, error) {
	e, name, err := parseLsLine(strings.TrimLeft(line, " "))
	if err != nil {
		return ListingEntry{}, false, err
	}
	if !lr.ls.rootSet && name != "." {
		return ListingEntry{}, false, lr.onceNoRoot(fmt.Errorf("entry %q before the root's "+
			"\".\" entry (%w; later ones are skipped): list with ls -a (%s)", name, errNoRoot,
			LsCommand))
	}
	p, skip := lr.ls.entry(name)
	return ListingEntry{Path: p, Entry: e}, !skip, nil
}

// relativeTo returns p relative to the listing's root as "." or "./a/b"; the first path seen
// becomes the root.
func relativeTo(root *string, p string) (string, error) {
	if *root == "" {
		if strings.HasPrefix(p, "./") {
			return "", fmt.Errorf("first entry %q is not the volume root (%w; later entries "+
				"are skipped): list with find's starting point included (no -mindepth)", p,
				errNoRoot)
		}
		*root = strings.TrimSuffix(p, "/")
		if *root == "" {
			*root = "/"
		}
		return ".", nil
	}
	prefix := *root + "/"
	if *root == "/" {
		prefix = "/"
	}
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("path %q is not below the listing's root %q", p, *root)
	}
	return "./" + rest, nil
}

// ListingCheck applies the kubelet's rules to a listing, exactly like Check does to a walk.
// The returned line errors name the file and line; the result covers the good lines. A
// listing without a usable root line is an error.
func ListingCheck(r io.Reader, name string, opt Options) (*Result, []error, error) {
	start := time.Now()
	var res *Result
	errs, err := ReadListing(r, name, func(le ListingEntry) {
		if res == nil {
			res = newResult(name, le.Entry, opt)
			return
		}
		res.Entries++
		if res.Squash != nil {
			depth, _ := pathDepthTop(le.Path)
			res.Squash.add(depth, &lazyPath{path: le.Path, done: true}, le.Entry, opt)
		}
		c := ownership.WalkChange(le.Entry, opt.FSGroup, opt.ReadOnly)
		if c.Differs() {
			o := Offender{Path: le.Path, Entry: le.Entry, Change: c}
			res.Summary.Add(o)
			if opt.OnOffender != nil {
				opt.OnOffender(o)
			}
		}
	})
	if err != nil {
		return res, errs, err
	}
	if res == nil {
		return nil, errs, fmt.Errorf("%s: no entries (expected the output of %s or of %s)", name,
			FindCommand, LsCommand)
	}
	res.Elapsed = time.Since(start)
	res.Verdict = verdict(res.Root.Mismatch, res.Summary.Differ)
	return res, errs, nil
}

// rootScanLimit bounds what ListingRootGID reads while looking for the root entry.
const rootScanLimit = 4 << 20

// ListingRootGID returns the gid of the first entry of a listing (its root), for taking fsGroup
// from the root when none is given, and a reader that yields the whole listing again: what it
// read (at most rootScanLimit bytes, up to the root entry) followed by the rest of r. Memory
// stays bounded whatever the listing's size.
func ListingRootGID(r io.Reader) (gid int64, ok bool, again io.Reader) {
	var head bytes.Buffer
	br := bufio.NewReaderSize(r, 64<<10)
	lr := listingReader{}
	for head.Len() < rootScanLimit {
		line, err := br.ReadSlice('\n')
		head.Write(line)
		if le, use, perr := lr.line(strings.TrimRight(string(line), "\r\n")); use &&
			perr == nil {
			return int64(le.Entry.GID), true, io.MultiReader(&head, br)
		}
		if err != nil && err != bufio.ErrBufferFull {
			break
		}
	}
	return 0, false, io.MultiReader(&head, br)
}
