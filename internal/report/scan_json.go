package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/startlag/startlag/internal/ownership"
	"github.com/startlag/startlag/internal/volscan"
	"github.com/startlag/startlag/internal/walk"
)

// ScanSchema names the version of the scan JSON document (docs/json/scan.md).
const ScanSchema = "startlag.scan/v1"

// ScanFormats are the output formats of `startlag scan`.
var ScanFormats = Formats[*volscan.Report]{
	"text": RendererFunc[*volscan.Report](ScanText),
	"json": RendererFunc[*volscan.Report](ScanJSON),
}

type scanDoc struct {
	Schema        string          `json:"schema"`
	Mode          string          `json:"mode"`
	Source        string          `json:"source"`
	Listing       bool            `json:"listing"`
	FSGroup       int64           `json:"fsGroup"`
	FSGroupSource string          `json:"fsGroupSource"`
	ReadOnly      bool            `json:"readOnly"`
	Verdict       string          `json:"verdict"`
	Incomplete    bool            `json:"incomplete"`
	Root          scanRoot        `json:"root"`
	Entries       int64           `json:"entries"`
	Differ        int64           `json:"differ"`
	ByCause       []volscan.Group `json:"byCause"`
	ByOwner       []volscan.Group `json:"byOwner"`
	BySubtree     []volscan.Group `json:"bySubtree"`
	Walk          *scanWalk       `json:"walk"`
	ListingErrors []string        `json:"listingErrors"`
	Elapsed       float64         `json:"elapsedSeconds"`
	Repair        *scanRepair     `json:"repair"`
	Estimate      *scanEstimate   `json:"estimate"`
	RootSquash    *scanSquash     `json:"rootSquash,omitempty"`
}

// scanSquash is what a kubelet squashed to nobody could not do (--root-squash).
type scanSquash struct {
	UID            int      `json:"uid"`
	CannotOpen     int64    `json:"cannotOpen"`
	OpenExamples   []string `json:"cannotOpenExamples"`
	CannotChange   int64    `json:"cannotChange"`
	ChangeExamples []string `json:"cannotChangeExamples"`
}

type scanRoot struct {
	Type           string   `json:"type"`
	Mode           string   `json:"mode"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	PassesRootTest bool     `json:"passesOnRootMismatchTest"`
	Mismatch       []string `json:"mismatch"`
}

type scanWalk struct {
	Dirs            int64       `json:"dirs"`
	Files           int64       `json:"files"`
	Symlinks        int64       `json:"symlinks"`
	Other           int64       `json:"other"`
	HardLinks       int64       `json:"hardLinks"`
	Vanished        int64       `json:"vanished"`
	MountPointCount int64       `json:"mountPointCount"`
	MountPoints     []string    `json:"mountPoints"`
	ErrorCount      int64       `json:"errorCount"`
	Errors          []scanError `json:"errors"`
}

type scanError struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Error string `json:"error"`
}

type scanRepair struct {
	Chgrp        int64       `json:"chgrp"`
	Chmod        int64       `json:"chmod"`
	Failed       int64       `json:"failed"`
	Failures     []scanError `json:"failures"`
	RootRepaired bool        `json:"rootRepaired"`
	RootSkipped  string      `json:"rootSkipped,omitempty"`
	HardLinked   int64       `json:"hardLinked"`
}

type scanEstimate struct {
	UsedInodes         uint64  `json:"usedInodes"`
	KubeletPerEntryUS  float64 `json:"kubeletPerEntryMicroseconds"`
	Sampled            bool    `json:"sampled"`
	SampleFiles        int     `json:"sampleFiles"`
	SampleNote         string  `json:"sampleNote,omitempty"`
	AlwaysSeconds      float64 `json:"alwaysSeconds"`
	OnRootMismatchSecs float64 `json:"onRootMismatchSeconds"`
	RestartsPerMonth   float64 `json:"restartsPerMonth"`
	HoursPerYear       float64 `json:"hoursPerYear"`
}

// ScanJSON writes r as the documented JSON document.
func ScanJSON(w io.Writer, r *volscan.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(scanDocOf(r)); err != nil {
		return fmt.Errorf("writing scan JSON: %w", err)
	}
	return nil
}

func scanDocOf(r *volscan.Report) scanDoc {
	res := r.Result()
	d := scanDoc{Schema: ScanSchema, Mode: r.Mode, Source: walk.Escape(res.Source),
		Listing: r.Listing, FSGroup: res.FSGroup, FSGroupSource: r.FSGroupSource,
		ReadOnly: res.ReadOnly, Verdict: string(res.Verdict), Incomplete: res.Incomplete(),
		Root: rootDoc(res.Root), Entries: res.Entries, Differ: res.Summary.Differ,
		ByCause:   escGroups(volscan.Sorted(res.Summary.ByCause)),
		ByOwner:   escGroups(volscan.Sorted(res.Summary.ByOwner)),
		BySubtree: escGroups(volscan.Sorted(res.Summary.BySubtree)),
		Walk:      walkDoc(res.Walk), ListingErrors: []string{}, Elapsed: res.Elapsed.Seconds()}
	for _, e := range r.ListingErrors {
		d.ListingErrors = append(d.ListingErrors, e.Error())
	}
	if r.Repair != nil {
		d.Repair = repairDoc(r.Repair)
	}
	if s := res.Squash; s != nil {
		d.RootSquash = &scanSquash{UID: ownership.SquashID, CannotOpen: s.CannotOpen.Count,
			OpenExamples: escPaths(s.CannotOpen.Examples), CannotChange: s.CannotChange.Count,
			ChangeExamples: escPaths(s.CannotChange.Examples)}
	}
	if e := r.Estimate; e != nil {
		d.Estimate = &scanEstimate{UsedInodes: e.UsedInodes,
			KubeletPerEntryUS: float64(e.KubeletPerEntry.Nanoseconds()) / 1e3,
			Sampled:           e.Sampled, SampleFiles: e.SampleFiles, SampleNote: e.SampleNote,
			AlwaysSeconds: e.Always.Seconds(), OnRootMismatchSecs: e.OnRootMismatch.Seconds(),
			RestartsPerMonth: e.RestartsPerMonth, HoursPerYear: e.HoursPerYear}
	}
	return d
}

func rootDoc(ri volscan.RootInfo) scanRoot {
	d := scanRoot{Type: ri.Entry.Type.String(), Mode: fmt.Sprintf("%#o", ri.Entry.Mode),
		UID: ri.Entry.UID, GID: ri.Entry.GID, PassesRootTest: ri.Mismatch == 0,
		Mismatch: []string{}}
	for _, bit := range []ownership.RootMismatch{ownership.RootNotDir, ownership.RootGIDDiffer,
		ownership.RootPermsLack, ownership.RootNoSetgid} {
		if ri.Mismatch&bit != 0 {
			d.Mismatch = append(d.Mismatch, bit.String())
		}
	}
	return d
}

func escPaths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = walk.Escape(p)
	}
	return out
}

func escGroups(gs []volscan.Group) []volscan.Group {
	for i := range gs {
		ex := make([]string, len(gs[i].Examples))
		for j, p := range gs[i].Examples {
			ex[j] = walk.Escape(p)
		}
		gs[i].Examples = ex
		gs[i].Key = walk.Escape(gs[i].Key)
	}
	return gs
}

func walkDoc(s *walk.Stats) *scanWalk {
	if s == nil {
		return nil
	}
	d := &scanWalk{Dirs: s.Dirs, Files: s.Files, Symlinks: s.Symlinks, Other: s.Other,
		HardLinks: s.HardLinks, Vanished: s.Vanished, MountPointCount: s.MountPointCount,
		MountPoints: []string{}, ErrorCount: s.ErrorCount, Errors: []scanError{}}
	for _, m := range s.MountPoints {
		d.MountPoints = append(d.MountPoints, walk.Escape(m))
	}
	for _, e := range s.Errors {
		d.Errors = append(d.Errors, scanError{Op: e.Op, Path: walk.Escape(e.Path),
			Error: e.Err.Error()})
	}
	return d
}

func repairDoc(r *volscan.RepairResult) *scanRepair {
	d := &scanRepair{Chgrp: r.Chgrp, Chmod: r.Chmod, Failed: r.Failed, Failures: []scanError{},
		RootRepaired: r.RootRepaired, RootSkipped: r.RootSkipped, HardLinked: r.HardLinked}
	for _, e := range r.Failures {
		d.Failures = append(d.Failures, scanError{Op: e.Op, Path: walk.Escape(e.Path),
			Error: e.Err.Error()})
	}
	return d
}
