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

// Group counts offenders sharing one cause, owner or subtree, with a few example paths: the
// shallowest, the lexically smallest among equally deep ones. The choice does not depend on
// walk order, and once a group holds TopK examples a deeper offender is passed over without
// building its path (a path costs time in proportion to its depth, so on a tree thousands of
// levels deep building every offender's path would take time in the square of the depth).
type Group struct {
	Key      string   `json:"key"`
	Count    int64    `json:"count"`
	Examples []string `json:"examples"`
	depths   []int    // the depth of each example
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

// Add records an offender whose Path is set (from a listing).
func (s *Summary) Add(o Offender) {
	depth, top := pathDepthTop(o.Path)
	s.addLazy(o, depth, top, &lazyPath{path: o.Path, done: true})
}

// addLazy records an offender met by a walk, at depth (0 for the root, 1 for its children)
// below top (the root's child it lies in, its own name at depth 1); p builds its path only
// if it is kept as an example.
func (s *Summary) addLazy(o Offender, depth int, top string, p *lazyPath) {
	s.Differ++
	c := o.Change
	if c.Chgrp {
		s.add(s.ByCause, fmt.Sprintf("group %d", o.Entry.GID), depth, p)
	}
	if bits := c.AddBits &^ ownership.SetgidBit; bits != 0 {
		s.add(s.ByCause, fmt.Sprintf("missing %03o", bits), depth, p)
	}
	if c.AddBits&ownership.SetgidBit != 0 {
		s.add(s.ByCause, causeSetgidK, depth, p)
	}
	s.add(s.ByOwner, fmt.Sprintf("uid %d", o.Entry.UID), depth, p)
	s.add(s.BySubtree, subtree(depth, top, o.Entry.Type), depth, p)
}

// lazyPath builds a path once, on first use.
type lazyPath struct {
	build func() string
	path  string
	done  bool
}

func (l *lazyPath) get() string {
	if !l.done {
		l.path, l.done = l.build(), true
	}
	return l.path
}

// pathDepthTop returns the depth of a path relative to the root ("." 0, "./a" 1, "./a/b" 2)
// and the root's child it lies in.
func pathDepthTop(p string) (int, string) {
	rest, ok := strings.CutPrefix(p, "./")
	if !ok || rest == "" {
		return 0, ""
	}
	top, _, _ := strings.Cut(rest, "/")
	return strings.Count(rest, "/") + 1, top
}

// subtree returns the top-level directory an offender lies in ("./a" for "./a/b/c" and for
// the directory "./a" itself), or "." for the root and the files directly in it.
func subtree(depth int, top string, t ownership.EntryType) string {
	if depth == 0 || depth == 1 && t != ownership.TypeDir {
		return "."
	}
	return "./" + top
}

// MaxGroups bounds the groups of each kind; offenders of further keys are counted under
// OtherKey, so memory stays bounded on volumes with many top-level directories or owners.
const (
	MaxGroups = 1000
	OtherKey  = "(other)"
)

func (s *Summary) add(m map[string]*Group, key string, depth int, p *lazyPath) {
	g := groupFor(m, key)
	g.Count++
	g.offer(depth, p, s.TopK)
}

// offer keeps p's path among at most k examples if it belongs there, building it only then.
func (g *Group) offer(depth int, p *lazyPath, k int) {
	if n := len(g.Examples); n >= k && depth > g.depths[n-1] {
		return
	}
	g.keep(depth, p.get(), k)
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

// keep inserts path at depth among the examples, ordered by depth then path, keeping at
// most k.
func (g *Group) keep(depth int, path string, k int) {
	i, found := sort.Find(len(g.Examples), func(i int) int {
		if depth != g.depths[i] {
			return depth - g.depths[i]
		}
		return strings.Compare(path, g.Examples[i])
	})
	if found || i >= k {
		return
	}
	g.Examples = slices.Insert(g.Examples, i, path)
	g.depths = slices.Insert(g.depths, i, depth)
	if len(g.Examples) > k {
		g.Examples, g.depths = g.Examples[:k], g.depths[:k]
	}
}

// Merge adds o's counts and examples to s.
func (s *Summary) Merge(o *Summary) {
	s.Differ += o.Differ
	merge := func(dst, src map[string]*Group) {
		for k, g := range src {
			d := groupFor(dst, k)
			d.Count += g.Count
			for i, p := range g.Examples {
				d.keep(g.depths[i], p, s.TopK)
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
