package volscan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// LsCommand is the other listing ReadListing accepts: what support usually gets from an NFS
// server or a node, numeric ids (-n) and every directory (-R).
const LsCommand = "ls -lanR"

// lsListing follows the directory headers of `ls -lanR` output so that its entries get paths
// relative to the listing's root: "." for the root, "./a/b" below it. Plain `ls -lan DIR` output
// has no header; its "." entry is the root.
type lsListing struct {
	top     string // the first header, the root's path as ls printed it
	dir     string // the current directory, relative to the root ("." or "./a")
	headers int
	rootSet bool
}

// header records a "path:" line; ok is false when the line is not one.
func (l *lsListing) header(line string) (ok bool, err error) {
	path, found := strings.CutSuffix(line, ":")
	if !found || path == "" || isLsMode(firstField(line)) {
		return false, nil
	}
	l.headers++
	if l.headers == 1 {
		l.top, l.dir = strings.TrimSuffix(path, "/"), "."
		return true, nil
	}
	rest, below := strings.CutPrefix(path, l.top+"/")
	if !below || rest == "" {
		return true, fmt.Errorf("directory %q is not below the listing's root %q", path, l.top)
	}
	l.dir = "./" + rest
	return true, nil
}

// entry turns a parsed name into a path relative to the root; skip is true for "." and ".."
// of subdirectories (their parent's listing has them already).
func (l *lsListing) entry(name string) (path string, skip bool) {
	switch {
	case name == "." && !l.rootSet && (l.dir == "." || l.dir == ""):
		l.rootSet = true
		return ".", false
	case name == "." || name == "..":
		return "", true
	case l.dir == "" || l.dir == ".":
		return "./" + name, false
	}
	return l.dir + "/" + name, false
}

// isLsListingNoise reports lines of `ls -lR` output that carry no entry ("total 12") and shell
// prompts pasted with it ("$ ls -lan ...").
func isLsListingNoise(line string) bool {
	if rest, ok := strings.CutPrefix(line, "total "); ok {
		_, err := strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
		return err == nil || strings.ContainsAny(rest, "KMG")
	}
	return strings.HasPrefix(line, "$ ") || strings.HasPrefix(line, "# ")
}

// promptCommand returns the command of a pasted shell prompt line ("$ grep k8s /etc/exports"
// gives grep), the first word after "$ " and any "sudo", "cd DIR &&" or "VAR=x" before it. A
// line starting "# " is root's prompt only before ls or find; otherwise it is a comment.
func promptCommand(line string) (string, bool) {
	if rest, ok := strings.CutPrefix(line, "# "); ok {
		cmd, _ := promptCommand("$ " + rest)
		return cmd, cmd == "ls" || cmd == "find"
	}
	rest, ok := strings.CutPrefix(line, "$ ")
	if !ok {
		return "", false
	}
	words := strings.Fields(rest)
	for len(words) > 0 {
		switch w := words[0]; {
		case w == "sudo", strings.Contains(w, "="):
			words = words[1:]
		case w == "cd" && len(words) > 2 && words[2] == "&&":
			words = words[3:]
		default:
			return w, true
		}
	}
	return "", true
}

func firstField(s string) string {
	f, _, _ := strings.Cut(strings.TrimLeft(s, " "), " ")
	return f
}

// isLsMode reports whether s is an `ls -l` mode string: a type letter and nine permission
// letters, possibly followed by '.', '+' or '@' (SELinux context, ACL, extended attributes).
func isLsMode(s string) bool {
	if len(s) < 10 || len(s) > 11 || !strings.ContainsRune("-dlpscbD", rune(s[0])) {
		return false
	}
	if len(s) == 11 && !strings.ContainsRune(".+@", rune(s[10])) {
		return false
	}
	for i, c := range s[1:10] {
		if !strings.ContainsRune(lsPermLetters[i%3], c) {
			return false
		}
	}
	return true
}

// lsPermLetters are the letters allowed at the read, write and execute positions.
var lsPermLetters = [3]string{"r-", "w-", "xsStT-"}

// parseLsMode converts an `ls -l` mode string into a type and a permission mode with setuid,
// setgid and sticky bits.
func parseLsMode(s string) (ownership.EntryType, uint32) {
	var mode uint32
	for i, c := range s[1:10] {
		bit := uint32(1) << (8 - i)
		if c != '-' && c != 'S' && c != 'T' {
			mode |= bit
		}
		if i%3 == 2 && (c == 's' || c == 'S' || c == 't' || c == 'T') {
			mode |= [3]uint32{0o4000, 0o2000, 0o1000}[i/3]
		}
	}
	t, err := parseType(lsTypeLetter(s[0]))
	if err != nil {
		t = ownership.TypeOther
	}
	return t, mode
}

func lsTypeLetter(c byte) string {
	if c == '-' {
		return "f"
	}
	return string(c)
}

// parseLsLine parses one entry of `ls -lan` output (GNU coreutils or busybox): mode, link
// count, numeric uid and gid, size (or "major, minor"), a date of two or three fields, then the
// name, to the end of the line; a symlink's " -> target" is cut off (a symlink whose name holds
// " -> " is cut there too: ls output cannot tell).
func parseLsLine(line string) (ownership.Entry, string, error) {
	fields, starts := splitFields(line)
	if len(fields) < 8 || !isLsMode(fields[0]) {
		return ownership.Entry{}, "", errors.New("not an `ls -ln` entry line")
	}
	typ, mode := parseLsMode(fields[0])
	uid, err1 := strconv.ParseUint(fields[2], 10, 32)
	gid, err2 := strconv.ParseUint(fields[3], 10, 32)
	if err1 != nil || err2 != nil {
		return ownership.Entry{}, "", fmt.Errorf("owner %q group %q are not numbers (list "+
			"with ls -n)", fields[2], fields[3])
	}
	i := 4 // size, or "major," "minor" for devices
	if strings.HasSuffix(fields[i], ",") {
		i++
	}
	i += 1 + dateFields(fields[i+1:])
	if i >= len(fields) {
		return ownership.Entry{}, "", errors.New("no name after the date")
	}
	name := line[starts[i]:]
	if typ == ownership.TypeSymlink {
		name, _, _ = strings.Cut(name, " -> ")
	}
	e := ownership.Entry{Type: typ, Mode: mode, UID: uint32(uid), GID: uint32(gid)}
	return e, name, nil
}

// dateFields is how many fields the date takes: "2026-02-14 18:51" (long-iso), "2026-02-14
// 18:51:03.000000000 +0100" (full-iso), or "Feb 14 18:51" and "Feb 14 2025".
func dateFields(f []string) int {
	switch {
	case len(f) > 0 && len(f[0]) == 10 && f[0][4] == '-' && f[0][7] == '-':
		if len(f) > 2 && strings.Contains(f[1], ".") && (f[2][0] == '+' || f[2][0] == '-') {
			return 3
		}
		return 2
	}
	return 3
}

// splitFields splits s at runs of spaces and returns the fields with their byte offsets.
func splitFields(s string) (fields []string, starts []int) {
	start := -1
	for i := 0; i <= len(s); i++ {
		space := i == len(s) || s[i] == ' '
		switch {
		case !space && start < 0:
			start = i
		case space && start >= 0:
			fields, starts = append(fields, s[start:i]), append(starts, start)
			start = -1
		}
	}
	return fields, starts
}
