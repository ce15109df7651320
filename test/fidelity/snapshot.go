// Package fidelity holds the differential tests of startlag's kubelet model
// (internal/ownership) against a real kubelet started by test/cluster, and the small tools they
// use: building a volume tree with exact modes and owners, snapshotting every entry of a tree,
// predicting the kubelet's result with the model, and reading the kubelet's verdict from its log
// and metrics. See README.md for the matrix and the kubelet quirks found.
package fidelity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/startlag/startlag/internal/ownership"
)

// Snapshot maps every entry of a tree, by path relative to the tree's root ("." is the root), to
// its type, mode, owner and group as lstat reports them.
type Snapshot map[string]ownership.Entry

// Take snapshots the tree at root without following symlinks.
func Take(root string) (Snapshot, error) {
	s := Snapshot{}
	err := filepath.WalkDir(root, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		e, err := lstatEntry(path)
		if err != nil {
			return err
		}
		s[rel] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", root, err)
	}
	return s, nil
}

// lstatEntry returns the model's view of the entry at path.
func lstatEntry(path string) (ownership.Entry, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return ownership.Entry{}, &os.PathError{Op: "lstat", Path: path, Err: err}
	}
	e := ownership.Entry{Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		e.Type = ownership.TypeFile
	case unix.S_IFDIR:
		e.Type = ownership.TypeDir
	case unix.S_IFLNK:
		e.Type = ownership.TypeSymlink
	default:
		e.Type = ownership.TypeOther
	}
	return e, nil
}

// Paths returns the snapshot's paths, sorted.
func (s Snapshot) Paths() []string {
	ps := make([]string, 0, len(s))
	for p := range s {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Predict returns the tree the kubelet leaves behind according to the model: before unchanged
// when it does not walk, else every entry as ownership.WalkChange describes it (owner kept).
func Predict(before Snapshot, walked bool, fsGroup int64, readOnly bool) Snapshot {
	want := Snapshot{}
	for p, e := range before {
		if walked {
			c := ownership.WalkChange(e, fsGroup, readOnly)
			e.GID, e.Mode = c.GID, c.Mode
		}
		want[p] = e
	}
	return want
}

// Changed lists, sorted, the paths whose entry differs between before and after (present in
// both).
func Changed(before, after Snapshot) []string {
	var out []string
	for _, p := range before.Paths() {
		if a, ok := after[p]; ok && a != before[p] {
			out = append(out, p)
		}
	}
	return out
}

// Mismatch is one entry whose real state differs from the predicted one.
type Mismatch struct {
	Path                string
	Before, Want, Got   ownership.Entry
	MissingAfter, Extra bool
}

func (m Mismatch) String() string {
	switch {
	case m.MissingAfter:
		return fmt.Sprintf("%s: vanished", m.Path)
	case m.Extra:
		return fmt.Sprintf("%s: appeared as %s", m.Path, fmtEntry(m.Got))
	}
	return fmt.Sprintf("%s: before %s, model %s, kubelet %s", m.Path, fmtEntry(m.Before),
		fmtEntry(m.Want), fmtEntry(m.Got))
}

func fmtEntry(e ownership.Entry) string {
	return fmt.Sprintf("%s %04o %d:%d", e.Type, e.Mode, e.UID, e.GID)
}

// Compare returns the entries where got differs from want, and entries present in only one of
// them.
func Compare(before, want, got Snapshot) []Mismatch {
	var out []Mismatch
	for _, p := range want.Paths() {
		g, ok := got[p]
		switch {
		case !ok:
			out = append(out, Mismatch{Path: p, Before: before[p], Want: want[p],
				MissingAfter: true})
		case g != want[p]:
			out = append(out, Mismatch{Path: p, Before: before[p], Want: want[p], Got: g})
		}
	}
	for _, p := range got.Paths() {
		if _, ok := want[p]; !ok {
			out = append(out, Mismatch{Path: p, Got: got[p], Extra: true})
		}
	}
	return out
}

// ErrNotRoot is returned by Build when the tree needs owners other than the caller.
var ErrNotRoot = errors.New("building a tree with arbitrary owners needs root")
