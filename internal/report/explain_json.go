package report

import (
	"bufio"
	"encoding/json"
	"io"
	"time"

	"github.com/startlag/startlag/internal/timeline"
)

// ExplainSchema names the JSON document ExplainJSON writes (documented in docs/json/explain.md).
const ExplainSchema = "startlag.explain/v1"

// ExplainJSON renders explain results as one JSON document.
type ExplainJSON struct{}

// explainDoc is the JSON document. Field names are a public contract. Render writes Pods one by
// one; toExplainDoc leaves them out.
type explainDoc struct {
	Schema   string         `json:"schema"`
	Inputs   []jsonInput    `json:"inputs"`
	Problems []string       `json:"problems"`
	Warnings []string       `json:"warnings"`
	Pods     []jsonPod      `json:"pods"`
	Cost     *jsonCostInput `json:"costModel,omitempty"`
}

type jsonCostInput struct {
	RestartsPerMonth float64 `json:"restartsPerMonth"`
	Formula          string  `json:"formula"`
}

type jsonInput struct {
	File   string `json:"file"`
	Kind   string `json:"kind"`
	Items  int    `json:"items"`
	Detail string `json:"detail,omitempty"`
}

type jsonPod struct {
	Namespace    string        `json:"namespace"`
	Name         string        `json:"name"`
	UID          string        `json:"uid"`
	Node         string        `json:"node"`
	Start        *time.Time    `json:"start"`
	End          *time.Time    `json:"end"`
	TotalSeconds float64       `json:"totalSeconds"`
	Phases       []jsonPhase   `json:"phases"`
	Walks        []jsonWalk    `json:"walks"`
	Diagnosis    jsonDiagnosis `json:"diagnosis"`
	Notes        []string      `json:"notes"`
}

type jsonPhase struct {
	Name            string         `json:"name"`
	Label           string         `json:"label"`
	Start           *time.Time     `json:"start"`
	End             *time.Time     `json:"end"`
	DurationSeconds float64        `json:"durationSeconds"`
	Open            bool           `json:"open"`
	Inferred        bool           `json:"inferred"`
	Volume          string         `json:"volume,omitempty"`
	Detail          string         `json:"detail,omitempty"`
	Evidence        []jsonEvidence `json:"evidence"`
}

type jsonWalk struct {
	Volume          string     `json:"volume"`
	Path            string     `json:"path"`
	Plugin          string     `json:"plugin"`
	Start           *time.Time `json:"start"`
	End             *time.Time `json:"end"`
	DurationSeconds float64    `json:"durationSeconds"`
	WarnedAt        *time.Time `json:"warnedAt"`
	Files           int64      `json:"files"`
	FilesPerSecond  float64    `json:"filesPerSecond"`
	DriverSide      bool       `json:"driverSide"`
	Failed          bool       `json:"failed"`
}

type jsonEvidence struct {
	File string     `json:"file"`
	Line int        `json:"line"`
	Text string     `json:"text"`
	Time *time.Time `json:"time,omitempty"`
}

type jsonDiagnosis struct {
	Cause          string         `json:"cause"`
	Title          string         `json:"title"`
	Phase          string         `json:"phase"`
	DelaySeconds   float64        `json:"delaySeconds"`
	UpperBound     bool           `json:"upperBound"`
	DelayUnknown   bool           `json:"delayUnknown,omitempty"`
	Confidence     string         `json:"confidence"`
	Summary        string         `json:"summary"`
	Evidence       []jsonEvidence `json:"evidence"`
	Fix            string         `json:"fix"`
	Doc            string         `json:"doc"`
	RuledOut       []string       `json:"ruledOut"`
	Files          int64          `json:"files,omitempty"`
	FilesPerSecond float64        `json:"filesPerSecond,omitempty"`
	Cost           *jsonCost      `json:"cost"`
}

type jsonCost struct {
	RestartsPerMonth float64 `json:"restartsPerMonth"`
	HoursPerYear     float64 `json:"hoursPerYear"`
	Formula          string  `json:"formula"`
}

// Render writes res as an indented JSON document followed by a newline. The pods are encoded
// and written one at a time, so a node log with thousands of pods is never held as one
// document in memory; the bytes are those of encoding the whole document at once.
func (ExplainJSON) Render(w io.Writer, res *timeline.Result) error {
	doc := toExplainDoc(res)
	bw := bufio.NewWriterSize(w, 64<<10)
	head := []docField{{"schema", doc.Schema}, {"inputs", doc.Inputs},
		{"problems", doc.Problems}, {"warnings", doc.Warnings}}
	bw.WriteString("{\n")
	if err := writeFields(bw, head); err != nil {
		return err
	}
	bw.WriteString(",\n  \"pods\": [")
	for i, p := range res.Pods {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := writeIndented(bw, "\n    ", toJSONPod(p), "    "); err != nil {
			return err
		}
	}
	if len(res.Pods) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]")
	if doc.Cost != nil {
		bw.WriteString(",\n")
		if err := writeFields(bw, []docField{{"costModel", doc.Cost}}); err != nil {
			return err
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// docField is one member of the top-level JSON object, in document order.
type docField struct {
	name  string
	value any
}

// writeFields writes members of the top-level object, separated by a comma and a newline.
func writeFields(bw *bufio.Writer, fields []docField) error {
	for i, f := range fields {
		if i > 0 {
			bw.WriteString(",\n")
		}
		name, _ := json.Marshal(f.name)
		if err := writeIndented(bw, "  "+string(name)+": ", f.value, "  "); err != nil {
			return err
		}
	}
	return nil
}

// writeIndented writes lead and then v as indented JSON whose continuation lines start with
// prefix.
func writeIndented(bw *bufio.Writer, lead string, v any, prefix string) error {
	b, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		return err
	}
	bw.WriteString(lead)
	_, err = bw.Write(b)
	return err
}

func toExplainDoc(res *timeline.Result) explainDoc {
	doc := explainDoc{Schema: ExplainSchema, Inputs: []jsonInput{}, Problems: []string{},
		Warnings: append([]string{}, res.Warnings...)}
	for _, in := range res.Inputs {
		doc.Inputs = append(doc.Inputs, jsonInput{File: in.File, Kind: string(in.Kind),
			Items: in.Items, Detail: in.Detail})
	}
	for _, p := range res.Problems {
		doc.Problems = append(doc.Problems, p.Error())
	}
	if res.RestartsPerMonth > 0 {
		doc.Cost = &jsonCostInput{RestartsPerMonth: res.RestartsPerMonth,
			Formula: "hoursPerYear = delaySeconds × restartsPerMonth × 12 / 3600"}
	}
	return doc
}

func toJSONPod(p timeline.Pod) jsonPod {
	jp := jsonPod{Namespace: p.Namespace, Name: p.Name, UID: p.UID, Node: p.Node,
		Start: timePtr(p.Start), End: timePtr(p.End), TotalSeconds: secs(p.Total()),
		Phases: []jsonPhase{}, Walks: []jsonWalk{}, Notes: append([]string{}, p.Notes...),
		Diagnosis: toJSONDiagnosis(p.Diagnosis)}
	for _, ph := range p.Phases {
		jp.Phases = append(jp.Phases, jsonPhase{Name: string(ph.Name), Label: p.PhaseLabel(ph),
			Start: timePtr(ph.Start), End: timePtr(ph.End), DurationSeconds: secs(ph.Duration()),
			Open: ph.Open, Inferred: ph.Inferred, Volume: ph.Volume, Detail: ph.Detail,
			Evidence: toJSONEvidence(ph.Evidence)})
	}
	for _, w := range p.Walks {
		jp.Walks = append(jp.Walks, jsonWalk{Volume: w.Volume, Path: w.Path, Plugin: w.Plugin,
			Start: timePtr(w.Start), End: timePtr(w.End), DurationSeconds: secs(w.Duration()),
			WarnedAt: timePtr(w.WarnedAt), Files: w.Files, FilesPerSecond: w.FilesPerSecond,
			DriverSide: w.DriverSide, Failed: w.Failed})
	}
	return jp
}

func toJSONDiagnosis(d timeline.Diagnosis) jsonDiagnosis {
	jd := jsonDiagnosis{Cause: string(d.Cause), Title: d.Cause.Title(), Phase: string(d.Phase),
		DelaySeconds: secs(d.Delay), UpperBound: d.UpperBound,
		DelayUnknown: d.DelayUnknown, Confidence: string(d.Confidence),
		Summary: d.Summary, Evidence: toJSONEvidence(d.Evidence), Fix: d.Fix,
		Doc: d.Cause.DocPath(), RuledOut: append([]string{}, d.RuledOut...), Files: d.Files,
		FilesPerSecond: d.FilesPerSecond}
	if d.Cost != nil {
		jd.Cost = &jsonCost{RestartsPerMonth: d.Cost.RestartsPerMonth,
			HoursPerYear: d.Cost.HoursPerYear, Formula: d.Cost.Formula}
	}
	return jd
}

func toJSONEvidence(ev []timeline.Evidence) []jsonEvidence {
	out := []jsonEvidence{}
	for _, e := range ev {
		out = append(out, jsonEvidence{File: e.File, Line: e.Line, Text: e.Text,
			Time: timePtr(e.Time)})
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// secs rounds a duration to milliseconds, in seconds.
func secs(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// ExplainFormats are the -o formats of explain; all makes the text draw every pod.
func ExplainFormats(w io.Writer, all bool) Formats[*timeline.Result] {
	text := NewExplainText(w)
	text.All = all
	return Formats[*timeline.Result]{
		"text": text,
		"json": ExplainJSON{},
	}
}
