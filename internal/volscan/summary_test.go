package volscan

import (
	"fmt"
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
