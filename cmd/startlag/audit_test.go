package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/audit"
)

// corpusDir is the shared corpus of real inputs, beside the repository root.
const corpusDir = "../../../shared/corpus"

func needCorpus(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus %s not found (expected beside the repository): %v", corpusDir, err)
	}
	return corpusDir
}

// startlag runs the CLI with args and stdin and returns its exit status, stdout and stderr.
func startlag(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, streams{
		In: strings.NewReader(stdin), Out: &out, Err: &errOut,
	})
	return code, out.String(), errOut.String()
}

// auditDoc is the part of the audit JSON document the tests read.
type auditDoc struct {
	Schema  string `json:"schema"`
	Summary struct {
		Workloads  int            `json:"workloads"`
		Suppressed int            `json:"suppressed"`
		Skipped    map[string]int `json:"skipped"`
	} `json:"summary"`
	Findings []struct {
		RuleID   string `json:"ruleId"`
		Severity string `json:"severity"`
		Workload struct {
			Kind, Namespace, Name string
		} `json:"workload"`
		Volume string `json:"volume"`
		File   string `json:"file"`
		Line   int    `json:"line"`
	} `json:"findings"`
	InputErrors []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
	} `json:"inputErrors"`
}

func parseAudit(t *testing.T, stdout string) auditDoc {
	t.Helper()
	var doc auditDoc
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not the audit JSON document: %v\n%s", err, stdout)
	}
	if doc.Schema != "startlag.audit/v1" {
		t.Fatalf("schema = %q", doc.Schema)
	}
	return doc
}

// findings returns "kind/name:volume" of the findings of rule at severity warning or above, by
// file base name.
func findings(doc auditDoc, rule string) map[string][]string {
	got := map[string][]string{}
	for _, f := range doc.Findings {
		if f.RuleID == rule && f.Severity != "info" {
			key := filepath.Base(f.File)
			got[key] = append(got[key], f.Workload.Kind+"/"+f.Workload.Name+":"+f.Volume)
		}
	}
	return got
}

func TestAuditUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"audit"}, "no input"},
		{"format", []string{"audit", "-o", "yaml", "-"}, `"yaml" (valid: json, sarif, text)`},
		{"fail-on", []string{"audit", "--fail-on", "high", "-"}, "--fail-on"},
		{"ignore", []string{"audit", "--ignore", "no-such-rule", "-"},
			`unknown rule "no-such-rule" (valid: fsgroup-walk`},
		{"kube-version", []string{"audit", "--kube-version", "37", "-"}, "--kube-version"},
		{"flag", []string{"audit", "--bogus", "-"}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := startlag(t, "", tc.args...)
			if code != exitError || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, no stdout, stderr with %q",
					code, out, errOut, tc.want)
			}
		})
	}
}

// TestAuditCase10 checks the expectations of case10.expected.md: sessions-primary walks its
// PVC (explicit Always) and re-owns it in an init container; the exporter has only ephemeral
// volumes and the replica uses OnRootMismatch, so neither gets a warning.
func TestAuditCase10(t *testing.T) {
	in := filepath.Join(needCorpus(t), "cases", "case10.manifests.yaml")
	code, out, errOut := startlag(t, "", "audit", "-o", "json", in)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, errOut)
	}
	doc := parseAudit(t, out)
	if doc.Summary.Workloads != 3 {
		t.Errorf("workloads = %d, want 3", doc.Summary.Workloads)
	}
	base := filepath.Base(in)
	if got := findings(doc, "fsgroup-walk")[base]; len(got) != 1 ||
		got[0] != "StatefulSet/sessions-primary:data" {
		t.Errorf("fsgroup-walk findings = %v, want StatefulSet/sessions-primary:data only", got)
	}
	if got := findings(doc, "chown-init-container")[base]; len(got) != 1 ||
		got[0] != "StatefulSet/sessions-primary:data" {
		t.Errorf("chown-init-container findings = %v", got)
	}
	for _, f := range doc.Findings {
		if f.Workload.Name != "sessions-primary" && f.Severity != "info" {
			t.Errorf("unexpected %s %s on %s", f.Severity, f.RuleID, f.Workload.Name)
		}
		if f.Line != 2 && f.Workload.Name == "sessions-primary" {
			t.Errorf("sessions-primary finding at line %d, want 2", f.Line)
		}
	}
	if !strings.Contains(errOut, "audited 3 workloads in 1 file") {
		t.Errorf("stderr summary = %q", errOut)
	}
}

// TestAuditCharts checks the chart renders against docs/charts.md: the fsGroup walk is a hazard
// in bitnami-postgresql (explicit Always), vault, harbor (database, redis, trivy, jobservice)
// and grafana with persistence; atlantis, jenkins, minio and the loki StatefulSet use
// OnRootMismatch, and default grafana and sonarqube have no PVC.
func TestAuditCharts(t *testing.T) {
	dir := filepath.Join(needCorpus(t), "charts")
	code, out, errOut := startlag(t, "", "audit", "-o", "json", dir)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s", code, errOut)
	}
	got := findings(parseAudit(t, out), "fsgroup-walk")

	want := map[string][]string{
		"bitnami-postgresql.yaml":          {"StatefulSet/bitnami-postgresql:data"},
		"vault.yaml":                       {"StatefulSet/vault:data"},
		"grafana.persistence-enabled.yaml": {"Deployment/grafana:storage"},
		"harbor.yaml": {"Deployment/harbor-jobservice:job-logs",
			"StatefulSet/harbor-database:database-data", "StatefulSet/harbor-redis:data",
			"StatefulSet/harbor-trivy:data"},
	}
	for file, w := range want {
		if strings.Join(got[file], " ") != strings.Join(w, " ") {
			t.Errorf("%s: fsgroup-walk on %v, want %v", file, got[file], w)
		}
	}
	for _, file := range []string{"atlantis.yaml", "jenkins.yaml", "minio.yaml", "loki.yaml",
		"grafana.yaml", "sonarqube.yaml", "nexus-nxrm-ha.yaml"} {
		if len(got[file]) > 0 {
			t.Errorf("%s: unexpected fsgroup-walk warnings %v", file, got[file])
		}
	}
}

func TestAuditFailOnAndIgnore(t *testing.T) {
	in := filepath.Join(needCorpus(t), "charts", "vault.yaml")

	code, out, _ := startlag(t, "", "audit", "-o", "json", "--fail-on", "error", in)
	hasError := strings.Contains(out, `"severity": "error"`)
	if want := map[bool]int{true: exitFindings, false: exitOK}[hasError]; code != want {
		t.Errorf("--fail-on error: exit %d, want %d (error findings: %v)", code, want, hasError)
	}

	code, out, _ = startlag(t, "", "audit", "-o", "json", "--ignore", "fsgroup-walk", in)
	doc := parseAudit(t, out)
	if len(findings(doc, "fsgroup-walk")) > 0 || doc.Summary.Suppressed == 0 {
		t.Errorf("--ignore fsgroup-walk: findings %v, suppressed %d", doc.Findings,
			doc.Summary.Suppressed)
	}
	if code != exitOK && len(doc.Findings) == 0 {
		t.Errorf("exit %d with no findings left", code)
	}
}

// TestAuditStdin pipes a rendered chart in, as `helm template ... | startlag audit -` does.
func TestAuditStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(needCorpus(t), "charts", "vault.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := startlag(t, string(data), "audit", "-o", "json", "-")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	doc := parseAudit(t, out)
	if got := findings(doc, "fsgroup-walk")["-"]; len(got) != 1 || doc.Findings[0].Line != 337 {
		t.Errorf("findings = %+v, want fsgroup-walk on vault at -:337", doc.Findings)
	}
}

// TestAuditInputErrors checks that bad input is reported on stderr with file:line, that what
// could be read is still audited and rendered, and that the exit status is 2.
func TestAuditInputErrors(t *testing.T) {
	dir := t.TempDir()
	vault, err := os.ReadFile(filepath.Join(needCorpus(t), "charts", "vault.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n"
	for name, data := range map[string]string{"a.yaml": broken, "b.yaml": string(vault)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	code, out, errOut := startlag(t, "", "audit", "-o", "json", dir)
	if code != exitError {
		t.Errorf("exit %d, want 2", code)
	}
	doc := parseAudit(t, out)
	if len(findings(doc, "fsgroup-walk")["b.yaml"]) != 1 {
		t.Errorf("vault not audited: %+v", doc.Findings)
	}
	if len(doc.InputErrors) != 1 || doc.InputErrors[0].Line != 3 {
		t.Errorf("inputErrors = %+v, want one at line 3", doc.InputErrors)
	}
	if !strings.Contains(errOut, filepath.Join(dir, "a.yaml")+":3:") {
		t.Errorf("stderr lacks a.yaml:3: %q", errOut)
	}
}

func TestAuditTextAndSARIF(t *testing.T) {
	in := filepath.Join(needCorpus(t), "charts", "vault.yaml")

	_, out, errOut := startlag(t, "", "audit", in)
	header := in + ":337:1  StatefulSet default/vault  (vault/templates/server-statefulset.yaml)"
	if !strings.Contains(out, header) || !strings.Contains(out, "fsgroup-walk  volume data") {
		t.Errorf("text output lacks the vault finding:\n%s", out)
	}
	if strings.Contains(out, "audited") || !strings.Contains(errOut, "skipped") {
		t.Errorf("summary must go to stderr only; stdout %q stderr %q", out, errOut)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour written to a non-terminal")
	}

	_, out, _ = startlag(t, "", "audit", "-o", "sarif", in)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || log.Version != "2.1.0" ||
		len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
		t.Errorf("SARIF output: %v %+v", err, log)
	}
}

// A malformed startlag.dev/ignore annotation suppresses nothing and is reported on stderr,
// on the finding (text) and in the JSON document.
func TestAuditIgnoreAnnotationWarning(t *testing.T) {
	const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  annotations:
    startlag.dev/ignore: "fsgroup-walk"
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      securityContext: {fsGroup: 999}
      containers: [{name: db, image: postgres, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`
	code, out, errOut := startlag(t, sts, "audit", "-")
	if code != exitFindings {
		t.Errorf("exit %d, want %d (the finding is not suppressed)", code, exitFindings)
	}
	if !strings.Contains(errOut, "warning: StatefulSet db (-:1:1): startlag.dev/ignore") {
		t.Errorf("stderr lacks the annotation warning:\n%s", errOut)
	}
	if !strings.Contains(out, "    warning: startlag.dev/ignore") {
		t.Errorf("text output lacks the warning under the finding:\n%s", out)
	}

	_, out, _ = startlag(t, sts, "audit", "-", "-o", "json")
	var doc struct {
		Warnings []string
		Findings []struct{ Warnings []string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Warnings) != 1 || len(doc.Findings) != 1 || len(doc.Findings[0].Warnings) != 1 {
		t.Errorf("json warnings = %q, findings = %+v; want one each", doc.Warnings, doc.Findings)
	}
}

// A rule list that fails audit.Validate stops the audit with exit 2 before any input is read.
func TestAuditBrokenRuleListFails(t *testing.T) {
	saved := audit.Rules
	t.Cleanup(func() { audit.Rules = saved })
	audit.Rules = append(slices.Clone(saved), audit.Rule{ID: "Not An Id"})

	code, out, errOut := startlag(t, "", "audit", "-")
	if code != exitError || out != "" || !strings.Contains(errOut, "invalid rule list") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, the rule list error",
			code, out, errOut)
	}
}
