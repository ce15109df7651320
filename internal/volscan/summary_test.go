package volscan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/ownership"
)

func TestSummaryBounded(t *testing.T) {
	s := newSummary(2)
	for i := range MaxGroups + 500 {
		s.Add(Offender{Path: fmt.Sprintf("./d%05d/f", i), Entry: ownership.Entry{UID: uint32(i)},
			Change: ownership.Change{Chgrp: true}})
	}
	if len(s.BySubtree) != MaxGroups+1 || s.BySubtree[OtherKey].Count != 500 {
		t.Errorf("%d subtree groups, overflow %+v", len(s.BySubtree), s.BySubtree[OtherKey])
	}
	if len(s.ByOwner) != MaxGroups+1 {
		t.Errorf("%d owner groups", len(s.ByOwner))
	}
	for _, g := range s.ByCause {
		if len(g.Examples) > 2 {
			t.Errorf("group %s keeps %d examples", g.Key, len(g.Examples))
		}
	}
}

func TestSummarySubtrees(t *testing.T) {
	s := newSummary(10)
	dir := ownership.Entry{Type: ownership.TypeDir}
	file := ownership.Entry{Type: ownership.TypeFile}
	chg := ownership.Change{Chgrp: true}
	s.Add(Offender{Path: ".", Entry: dir, Change: chg})
	s.Add(Offender{Path: "./top-file", Entry: file, Change: chg})
	s.Add(Offender{Path: "./a", Entry: dir, Change: chg})
	s.Add(Offender{Path: "./a/b/c", Entry: file, Change: chg})
	if s.BySubtree["."].Count != 2 || s.BySubtree["./a"].Count != 2 || len(s.BySubtree) != 2 {
		t.Errorf("subtrees %v %v", s.BySubtree["."], s.BySubtree["./a"])
	}
}

// TestSummaryExamplesShallowestFirst: examples are the shallowest paths, then the lexically
// smallest, whatever the order they come in; a deeper offender than TopK kept examples is
// counted without building its path.
func TestSummaryExamplesShallowestFirst(t *testing.T) {
	s := newSummary(1)
	chg := ownership.Change{Chgrp: true}
	file := ownership.Entry{Type: ownership.TypeFile}
	for _, p := range []string{"./z/y/x", "./b/a", "./a/z", "./a"} {
		s.Add(Offender{Path: p, Entry: file, Change: chg})
	}
	deep := &lazyPath{build: func() string {
		t.Error("the path of a deeper offender was built")
		return "./a/b/c/d"
	}}
	s.addLazy(Offender{Entry: file, Change: chg}, 4, "a", deep)
	g := s.ByCause["group 0"]
	if g.Count != 5 || strings.Join(g.Examples, " ") != "./a" ||
		strings.Join(s.BySubtree["./a"].Examples, " ") != "./a/z" {
		t.Errorf("group: %d offenders, examples %q", g.Count, g.Examples)
	}
}
