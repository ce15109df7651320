package timeline

import (
	"testing"
	"time"
)

// TestSigSetKeepsEarliestAndLatest feeds occurrences out of time order (logs of several files
// are merged) and checks that the set keeps the two earliest and two latest, each once.
func TestSigSetKeepsEarliestAndLatest(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ss sigSet
	for _, sec := range []int{50, 10, 90, 30, 70, 20, 80, 60, 40} {
		at := base.Add(time.Duration(sec) * time.Second)
		ss.add(&signal{at: at, ev: Evidence{File: "f", Line: sec}})
	}

	var lines []int
	for _, e := range ss.evidence() {
		lines = append(lines, e.Line)
	}
	want := []int{10, 20, 80, 90}
	if len(lines) != len(want) {
		t.Fatalf("kept %v, want %v", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("kept %v, want %v", lines, want)
		}
	}
	if ss.n != 9 {
		t.Errorf("count %d, want 9", ss.n)
	}
	if e, _ := ss.earliest(); e.ev.Line != 10 {
		t.Errorf("earliest line %d, want 10", e.ev.Line)
	}
	if l, _ := ss.latest(); l.ev.Line != 90 {
		t.Errorf("latest line %d, want 90", l.ev.Line)
	}
}

// TestSigSetSingleOccurrence: one occurrence is both the earliest and the latest.
func TestSigSetSingleOccurrence(t *testing.T) {
	var ss sigSet
	ss.add(&signal{at: time.Unix(5, 0), ev: Evidence{File: "f", Line: 5}})
	e, ok1 := ss.earliest()
	l, ok2 := ss.latest()
	if !ok1 || !ok2 || e.ev.Line != 5 || l.ev.Line != 5 {
		t.Fatalf("earliest %v %v, latest %v %v", e.ev, ok1, l.ev, ok2)
	}
	if got := len(ss.evidence()); got != 1 {
		t.Errorf("evidence has %d lines, want 1", got)
	}
}

// TestSigSetEqualTimesKeepInputOrder: occurrences with the same timestamp keep the order read.
func TestSigSetEqualTimesKeepInputOrder(t *testing.T) {
	var ss sigSet
	at := time.Unix(7, 0)
	for line := 1; line <= 6; line++ {
		ss.add(&signal{at: at, ev: Evidence{File: "f", Line: line}})
	}
	var lines []int
	for _, e := range ss.evidence() {
		lines = append(lines, e.Line)
	}
	if len(lines) != 4 || lines[0] != 1 || lines[1] != 2 || lines[2] != 5 || lines[3] != 6 {
		t.Fatalf("kept %v, want [1 2 5 6]", lines)
	}
}
