package report

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/startlag/startlag/internal/timeline"
)

// WriteExplainHTML writes one self-contained HTML page: inline CSS, an inline SVG timeline per
// pod and the evidence lines. The page loads nothing from the network, and every string taken
// from the inputs is escaped by html/template.
func WriteExplainHTML(w io.Writer, res *timeline.Result) error {
	return explainPage.Execute(w, toHTMLView(res))
}

// htmlView is what the template renders.
type htmlView struct {
	Generated string
	Pods      []htmlPod
	Problems  []string
	Inputs    []jsonInput
}

type htmlPod struct {
	Key, UID, Node string
	Total          string
	Bars           []htmlBar
	SVGHeight      int
	AxisY          int
	StartClock     string
	EndClock       string
	D              timeline.Diagnosis
	Delay          string
	Doc            string
	Title          string
	Notes          []string
}

type htmlBar struct {
	Label    string
	Duration string
	X, W, Y  float64
	Class    string
}

// SVG geometry of the timeline.
const (
	svgLabelW = 230.0
	svgBarW   = 560.0
	svgRowH   = 22.0
)

func toHTMLView(res *timeline.Result) htmlView {
	v := htmlView{Generated: time.Now().UTC().Format(time.RFC3339)}
	for _, p := range res.Problems {
		v.Problems = append(v.Problems, p.Error())
	}
	for _, in := range res.Inputs {
		v.Inputs = append(v.Inputs, jsonInput{File: in.File, Kind: string(in.Kind), Items: in.Items,
			Detail: in.Detail})
	}
	for _, p := range res.Pods {
		if len(p.Phases) > 0 {
			v.Pods = append(v.Pods, toHTMLPod(p))
		}
	}
	return v
}

func toHTMLPod(p timeline.Pod) htmlPod {
	hp := htmlPod{Key: p.Key(), UID: p.UID, Node: p.Node, Total: fmtDuration(p.Total()),
		StartClock: clock(p.Start), EndClock: clock(p.End), D: p.Diagnosis,
		Doc: p.Diagnosis.Cause.DocPath(), Title: p.Diagnosis.Cause.Title(), Notes: p.Notes}
	hp.Delay = fmtDuration(p.Diagnosis.Delay)
	if p.Diagnosis.DelayUnknown {
		hp.Delay = "unknown (no end in the inputs)"
	} else if p.Diagnosis.UpperBound {
		hp.Delay = "≤ " + hp.Delay + " (upper bound)"
	}
	span := p.End.Sub(p.Start)
	if span <= 0 {
		span = time.Second
	}
	for i, ph := range p.Phases {
		x := float64(ph.Start.Sub(p.Start)) / float64(span) * svgBarW
		w := float64(ph.Duration()) / float64(span) * svgBarW
		hp.Bars = append(hp.Bars, htmlBar{Label: p.PhaseLabel(ph), Duration: phaseDuration(ph),
			X: svgLabelW + x, W: max(w, 1.5), Y: float64(i) * svgRowH,
			Class: barClass(ph, p.Diagnosis)})
	}
	hp.SVGHeight = int(float64(len(p.Phases))*svgRowH) + 24
	hp.AxisY = hp.SVGHeight - 6
	return hp
}

// barClass styles a phase's bar as the text timeline does: open (still running at the end of
// the inputs), inferred (an upper bound) or measured; the phase a known cause names is
// outlined in red (and filled red when it was measured).
func barClass(ph timeline.Phase, d timeline.Diagnosis) string {
	class := "bar"
	switch {
	case ph.Open:
		class += " open"
	case ph.Inferred:
		class += " inferred"
	}
	if ph.Name == d.Phase && d.Cause != timeline.CauseUnknown {
		class += " named"
	}
	return class
}

var explainPage = template.Must(template.New("explain").Funcs(template.FuncMap{
	"loc": func(e timeline.Evidence) string {
		if e.Line > 0 {
			return printable(fmt.Sprintf("%s:%d", e.File, e.Line))
		}
		return printable(e.File)
	},
	// p shows control characters and invalid UTF-8 of input text as escapes, as the text
	// output does; the template then escapes the markup.
	"p":    printable,
	"conf": func(c timeline.Confidence) string { return string(c) },
	"f1":   func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"add":  func(a, b float64) float64 { return a + b },
	"code": codeSpans,
	"docURL": func(path string) string {
		return ToolURI + "/blob/main/" + path
	},
}).Parse(explainHTML))

// codeSpans escapes s for HTML and shows its `code spans` as <code>; an unpaired backtick is
// kept as it is.
func codeSpans(s string) template.HTML {
	parts := strings.Split(printable(s), "`")
	var b strings.Builder
	for i, p := range parts {
		text := template.HTMLEscapeString(p)
		switch {
		case i%2 == 0:
			b.WriteString(text)
		case i == len(parts)-1:
			b.WriteString("`" + text)
		default:
			b.WriteString("<code>" + text + "</code>")
		}
	}
	return template.HTML(b.String())
}

const explainHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>startlag explain</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;
 color:#1b1f24}
h1{font-size:1.4em}
h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccd;padding-bottom:.2em}
.meta{color:#57606a}
svg text{font:12px ui-monospace,Menlo,monospace;fill:#1b1f24}
.bar{fill:#4a90c2}.open{fill:#e3a008}.inferred{fill:#9db8cf}.named{fill:#d1242f}
.named.open,.named.inferred{stroke:#d1242f;stroke-width:2}
.named.open{fill:#e3a008}.named.inferred{fill:#9db8cf}
svg.timeline{width:100%;max-width:880px;height:auto}
.legend{color:#57606a;font-size:12px;margin:.2em 0 0}
.legend i{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .9em;
 vertical-align:-.1em}
.legend i.bar{background:#4a90c2}.legend i.named{background:#d1242f}
.legend i.open{background:#e3a008}.legend i.inferred{background:#9db8cf}
.cause{background:#fff4f4;border-left:4px solid #d1242f;padding:.6em 1em;margin:1em 0}
table{border-collapse:collapse}
td{padding:.15em .6em;vertical-align:top}
pre{background:#f6f8fa;padding:.5em;font:12px ui-monospace,Menlo,monospace;
 white-space:pre-wrap;word-break:break-all}
.loc{color:#57606a}
</style></head><body>
<h1>startlag explain</h1>
<p class="meta">Generated {{.Generated}} from {{len .Inputs}}
{{- if eq (len .Inputs) 1}} input{{else}} inputs{{end}}. Times are UTC.</p>
{{range .Problems}}<p class="meta">Problem: {{p .}}</p>{{end}}
{{if not .Pods}}<p>No pod start-up found in the inputs.</p>{{end}}
{{range .Pods}}
<h2>Pod {{p .Key}}</h2>
<p class="meta">{{if .UID}}uid {{p .UID}} {{end}}{{if .Node}}· node {{p .Node}} {{end}}
· start-up shown {{.Total}} ({{.StartClock}} → {{.EndClock}})</p>
<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 880 {{.SVGHeight}}"
 role="img" aria-label="start-up timeline">
{{range .Bars}}<text x="0" y="{{add .Y 15}}">{{p .Label}}</text>
<rect class="{{.Class}}" x="{{.X}}" y="{{add .Y 4}}" width="{{.W}}" height="14"></rect>
<text x="800" y="{{add .Y 15}}">{{.Duration}}</text>
{{end}}<text x="230" y="{{.AxisY}}">{{.StartClock}}</text>
<text x="735" y="{{.AxisY}}">{{.EndClock}}</text>
</svg>
<p class="legend"><i class="named"></i>the step the cause names<i class="open"></i>still
running at the end of the inputs<i class="inferred"></i>inferred (an upper bound)<i
class="bar"></i>other steps; a red outline marks a named step that is not measured</p>
<div class="cause"><b>{{.D.Cause}}</b> — {{.Title}}<br>
<table>
<tr><td>Delay</td><td>{{.Delay}} in phase {{.D.Phase}}</td></tr>
<tr><td>Confidence</td><td>{{conf .D.Confidence}}</td></tr>
{{if gt .D.FilesPerSecond 0.0}}<tr><td>Walk rate</td>
<td>{{f1 .D.FilesPerSecond}} files/s ({{.D.Files}} files processed)</td></tr>{{end}}
<tr><td>Why</td><td>{{code .D.Summary}}</td></tr>
<tr><td>Fix</td><td>{{code .D.Fix}}</td></tr>
{{if .D.Cost}}<tr><td>Cost</td><td>{{.D.Cost.Formula}}</td></tr>{{end}}
<tr><td>Docs</td><td><a href="{{docURL .Doc}}">{{.Doc}}</a></td></tr>
</table></div>
{{if .D.RuledOut}}<p><b>Not the cause</b></p>
<ul>{{range .D.RuledOut}}<li>{{p .}}</li>{{end}}</ul>{{end}}
{{if .D.Evidence}}<p><b>Evidence</b></p>
{{range .D.Evidence}}<pre><span class="loc">{{loc .}}</span>  {{p .Text}}</pre>{{end}}{{end}}
{{range .Notes}}<p class="meta">Note: {{p .}}</p>{{end}}
{{end}}
</body></html>
`
