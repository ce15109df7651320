package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/audit"
	"github.com/startlag/startlag/internal/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sampleAudit is a small audit of two workloads, written out by hand: findings in an order the
// report must sort, one suppressed finding, one input error and two rules.
// webIgnoreWarning is the warning the audit attaches for a startlag.dev/ignore entry without
// a reason.
const webIgnoreWarning = `startlag.dev/ignore metadata.annotations entry "fsgroup-walk": a ` +
	`reason is required (write "fsgroup-walk: why this is safe"); nothing suppressed`

func sampleAudit() AuditReport {
	db := audit.WorkloadRef{APIVersion: "apps/v1", Kind: "StatefulSet", Namespace: "default",
		Name: "db", Pos: manifest.Position{File: "charts/db.yaml", Line: 40, Column: 1}}
	web := audit.WorkloadRef{APIVersion: "apps/v1", Kind: "Deployment", Name: "web",
		Pos: manifest.Position{File: "charts/app.yaml", Line: 3, Column: 1}}

	set := &manifest.Set{
		Files:   3,
		Objects: 9,
		Skipped: map[string]int{"v1/Service": 2, "v1/ConfigMap": 5},
		Errors: []error{&manifest.InputError{
			Pos: manifest.Position{File: "charts/broken.yaml", Line: 7, Column: 12},
			Err: errors.New("malformed YAML: could not find flow mapping end token '}'"),
		}},
		Workloads: []manifest.Workload{{Kind: "StatefulSet", Name: "db", Pos: db.Pos,
			Source: "db/templates/statefulset.yaml"}},
	}
	res := audit.Result{
		Workloads: 2,
		Findings: []audit.Finding{
			{RuleID: "fsgroup-walk", Severity: audit.Warning, Workload: db, Volume: "data",
				Message: "fsGroup 999 without fsGroupChangePolicy: the kubelet walks every file " +
					"of volume data at every mount.",
				Fix:         "Set fsGroupChangePolicy: OnRootMismatch.",
				Assumptions: []string{"the StorageClass is not in the input"}},
			{RuleID: "chown-init-container", Severity: audit.Error, Workload: db,
				Volume: "data", Container: "fix-perms",
				Message: "init container fix-perms runs `chown -R 999:999 /data` at every start.",
				Fix:     "Remove the init container."},
			{RuleID: "fsgroup-walk", Severity: audit.Info, Workload: web, Volume: "cache",
				Message:  "fsGroup on an emptyDir: the walk is over a fresh directory.",
				Fix:      "Nothing to do.",
				Warnings: []string{webIgnoreWarning},
				// The first assumption is shared with db's finding: text output lists it once.
				Assumptions: []string{"the StorageClass is not in the input",
					"the CSI driver is unknown"}},
		},
		Warnings: []string{"Deployment web (charts/app.yaml:3:1): " + webIgnoreWarning},
		Suppressed: []audit.Suppressed{{Reason: "--ignore", Finding: audit.Finding{
			RuleID: "rwo-rolling-update", Severity: audit.Warning, Workload: web,
			Volume: "cache", Message: "RollingUpdate with a ReadWriteOnce claim."}}},
	}
	rules := []RuleInfo{
		{ID: "fsgroup-walk", Severity: audit.Warning,
			Summary:     "fsGroup makes the kubelet re-own the volume at every mount",
			Explanation: "The kubelet changes the group of every file when fsGroup is set.",
			Fix:         "Set fsGroupChangePolicy: OnRootMismatch.",
			Doc:         "https://example.test/rules/fsgroup-walk.md"},
		{ID: "chown-init-container", Severity: audit.Warning,
			Summary:     "an init container re-owns the volume at every start",
			Explanation: "A recursive chown walks every file.",
			Fix:         "Remove it or make it conditional.",
			Doc:         "https://example.test/rules/chown-init-container.md"},
	}
	return NewAuditReport(set, res, rules, "1.37", audit.Warning)
}

// checkGolden compares got with testdata/name. The golden files were generated once with
// -update and then read line by line against sampleAudit: sort order (file, line, severity),
// grouping, the helm source, every field of every finding, the suppressed finding kept out of
// the text and SARIF results, the input error, and SARIF levels and locations.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func render(t *testing.T, r Renderer[AuditReport], rep AuditReport) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Render(&b, rep); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAuditText(t *testing.T) {
	checkGolden(t, "audit.txt", render(t, AuditText{}, sampleAudit()))
}

func TestAuditTextColor(t *testing.T) {
	checkGolden(t, "audit-color.txt", render(t, AuditText{Color: true}, sampleAudit()))
}

func TestAuditTextEmpty(t *testing.T) {
	rep := NewAuditReport(&manifest.Set{}, audit.Result{}, nil, "1.37", audit.Warning)
	if out := render(t, AuditText{}, rep); len(out) != 0 {
		t.Errorf("text output without findings = %q, want nothing", out)
	}
}

func TestAuditJSON(t *testing.T) {
	out := render(t, RendererFunc[AuditReport](RenderAuditJSON), sampleAudit())
	checkGolden(t, "audit.json", out)
}

// TestAuditJSONEmpty checks that lists and maps are present, never null, without findings.
func TestAuditJSONEmpty(t *testing.T) {
	rep := NewAuditReport(&manifest.Set{}, audit.Result{}, nil, "1.37", audit.Error)
	out := render(t, RendererFunc[AuditReport](RenderAuditJSON), rep)
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"findings", "suppressed", "inputErrors", "warnings"} {
		if _, ok := doc[k].([]any); !ok {
			t.Errorf("%s = %v, want an empty list", k, doc[k])
		}
	}
	summary := doc["summary"].(map[string]any)
	if _, ok := summary["skipped"].(map[string]any); !ok {
		t.Errorf("summary.skipped = %v, want an object", summary["skipped"])
	}
}

// TestAuditWarningsShown checks that every format shows a malformed-annotation warning, both
// on the finding it concerns and for the run.
func TestAuditWarningsShown(t *testing.T) {
	formats := AuditFormats(false)
	for _, name := range []string{"text", "json", "sarif"} {
		r, err := formats.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		out := string(render(t, r, sampleAudit()))
		if n := strings.Count(out, "nothing suppressed"); n < 1 || name != "text" && n < 2 {
			t.Errorf("%s: the warning appears %d times, want on the finding and for the run:\n%s",
				name, n, out)
		}
	}
}

// TestAuditJSONWarningFields checks the warnings fields of docs/json/audit.md.
func TestAuditJSONWarningFields(t *testing.T) {
	out := render(t, RendererFunc[AuditReport](RenderAuditJSON), sampleAudit())
	var doc struct {
		Summary  struct{ Warnings int }
		Warnings []string
		Findings []struct{ Warnings []string }
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Warnings != 1 || len(doc.Warnings) != 1 {
		t.Errorf("summary.warnings = %d, warnings = %q; want 1 and one", doc.Summary.Warnings,
			doc.Warnings)
	}
	var on int
	for _, f := range doc.Findings {
		if f.Warnings == nil {
			t.Error("a finding has no warnings list (want [] when empty)")
		}
		on += len(f.Warnings)
	}
	if on != 1 {
		t.Errorf("findings carry %d warnings, want 1", on)
	}
}

func TestAuditSARIF(t *testing.T) {
	out := render(t, RendererFunc[AuditReport](RenderAuditSARIF), sampleAudit())
	checkGolden(t, "audit.sarif", out)
}

// TestAuditSARIFGitHubFields checks the fields GitHub code scanning requires of every result.
func TestAuditSARIFGitHubFields(t *testing.T) {
	out := render(t, RendererFunc[AuditReport](RenderAuditSARIF), sampleAudit())
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Help    struct {
							Text string `json:"text"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q with %d runs", log.Version, len(log.Runs))
	}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		if r.HelpURI == "" || r.Help.Text == "" {
			t.Errorf("rule %s lacks help text or helpUri", r.ID)
		}
	}
	results := log.Runs[0].Results
	if len(results) != 3 {
		t.Fatalf("%d results, want 3 (the suppressed finding left out)", len(results))
	}
	for _, r := range results {
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID == "" || r.Level == "" || loc.ArtifactLocation.URI == "" ||
			filepath.IsAbs(loc.ArtifactLocation.URI) || loc.Region.StartLine < 1 {
			t.Errorf("incomplete result %+v", r)
		}
	}
}

func TestSARIFURI(t *testing.T) {
	wd, _ := os.Getwd()
	for in, want := range map[string]string{
		"-":                             "stdin",
		"./charts/../charts/a.yaml":     "charts/a.yaml",
		filepath.Join(wd, "x", "a.yml"): "x/a.yml",
		"../shared/b.yaml":              "../shared/b.yaml",
		// URI references: reserved characters encoded, a colon not read as a scheme, files
		// outside the working directory as file: URIs.
		"charts/a b#c%?.yaml":   "charts/a%20b%23c%25%3F.yaml",
		"a:b.yaml":              "./a:b.yaml",
		"/nonexistent/x y.yaml": "file:///nonexistent/x%20y.yaml",
	} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditFormatsNames(t *testing.T) {
	f := AuditFormats(false)
	if _, err := f.Get("yaml"); err == nil || err.Error() !=
		`unknown output format "yaml" (valid: json, sarif, text)` {
		t.Errorf("Get(yaml) error = %v", err)
	}
}

// Names and texts from manifests are printed with their control characters escaped, so that a
// manifest cannot send escape sequences to the reader's terminal.
func TestAuditTextEscapesControlCharacters(t *testing.T) {
	rep := sampleAudit()
	esc := "\x1b]0;title\a\x1b[2J"
	f := &rep.Findings[0]
	f.Workload.Name += esc
	f.Volume += esc
	f.Container = "c" + esc
	f.Message += esc
	out := string(render(t, AuditText{}, rep))
	for _, bad := range []string{"\x1b", "\a"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains raw %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `\x1b]0;title\x07\x1b[2J  container c\x1b]0;title\x07\x1b[2J`) {
		t.Errorf("escaped volume and container names missing:\n%s", out)
	}
}
