package volscan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// DefaultTopK is the number of example paths kept per group.
const DefaultTopK = 10

// Offender is an entry an Always walk would change.
type Offender struct {
	// Path is relative to the volume root ("." or "./a/b"), raw bytes (see walk.Escape).
	Path   string
	Entry  ownership.Entry
	Change ownership.Change
}

// Group counts offenders sharing one cause, owner or subtree, with a few example paths (the
// lexically smallest, so the output does not depend on walk order).
type Group struct {
	Key      string   `json:"key"`
	Count    int64    `json:"count"`
	Examples []string `json:"examples"`
}

// Cause kinds used in Group keys of Summary.ByCause.
const (
	CauseGroup   = "group"        // key "group <gid>": the group is not fsGroup
	CauseMode    = "missing-bits" // key "missing <bits>": chmod would add these permission bits
	CauseSetgid  = "setgid"       // key "directory without setgid"
	causeSetgidK = "directory without setgid"
)

// Summary aggregates offenders with bounded memory: counts for every group, TopK examples each.
type Summary struct {
	TopK      int
	Differ    int64
	ByCause   map[string]*Group
	ByOwner   map[string]*Group
	BySubtree map[string]*Group
}

func newSummary(topK int) *Summary {
	if topK <= 0 {
		topK = DefaultTopK
	}
	return &Summary{TopK: topK, ByCause: map[string]*Group{}, ByOwner: map[string]*Group{},
		BySubtree: map[string]*Group{}}
}

// Add records one offender.
func (s *Summary) Add(o Offender) {
	s.Differ++
	c := o.Change
	if c.Chgrp {
		s.add(s.ByCause, fmt.Sprintf("group %d", o.Entry.GID), o.Path)
	}
	if bits := c.AddBits &^ ownership.SetgidBit; bits != 0 {
		s.add(s.ByCause, fmt.Sprintf("missing %03o", bits), o.Path)
	}
	if c.AddBits&ownership.SetgidBit != 0 {
		s.add(s.ByCause, causeSetgidK, o.Path)
	}
	s.add(s.ByOwner, fmt.Sprintf("uid %d", o.Entry.UID), o.Path)
	s.add(s.BySubtree, subtree(o), o.Path)
}

// subtree returns the top-level directory an offender lies in ("./a" for "./a/b/c" and for
// the directory "./a" itself), or "." for the root and the files directly in it.
func subtree(o Offender) string {
	rest, ok := strings.CutPrefix(o.Path, "./")
	if !ok {
		return "."
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return "./" + rest[:i]
	}
	if o.Entry.Type == ownership.TypeDir {
		return o.Path
	}
	return "."
}

// MaxGroups bounds the groups of each kind; offenders of further keys are counted under
// OtherKey, so memory stays bounded on volumes with many top-level directories or owners.
const (
	MaxGroups = 1000
	OtherKey  = "(other)"
)

func (s *Summary) add(m map[string]*Group, key, path string) {
	g := groupFor(m, key)
	g.Count++
	g.Examples = keepSmallest(g.Examples, path, s.TopK)
}

// groupFor returns the group of key, creating it, or the overflow group once m is full.
func groupFor(m map[string]*Group, key string) *Group {
	g := m[key]
	if g != nil {
		return g
	}
	if len(m) >= MaxGroups {
		key = OtherKey
		if g = m[key]; g != nil {
			return g
		}
	}
	g = &Group{Key: key}
	m[key] = g
	return g
}

// keepSmallest inserts p into the sorted list xs, keeping at most k smallest.
func keepSmallest(xs []string, p string, k int) []string {
	if len(xs) >= k && p >= xs[len(xs)-1] {
		return xs
	}
	i, found := slices.BinarySearch(xs, p)
	if found {
		return xs
	}
	xs = slices.Insert(xs, i, p)
	if len(xs) > k {
		xs = xs[:k]
	}
	return xs
}

// Merge adds o's counts and examples to s.
func (s *Summary) Merge(o *Summary) {
	s.Differ += o.Differ
	merge := func(dst, src map[string]*Group) {
		for k, g := range src {
			d := groupFor(dst, k)
			d.Count += g.Count
			for _, p := range g.Examples {
				d.Examples = keepSmallest(d.Examples, p, s.TopK)
			}
		}
	}
	merge(s.ByCause, o.ByCause)
	merge(s.ByOwner, o.ByOwner)
	merge(s.BySubtree, o.BySubtree)
}

// Sorted returns the groups of m, largest count first, then by key.
func Sorted(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
