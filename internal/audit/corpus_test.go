package audit

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/startlag/startlag/internal/manifest"
)

// corpusDir is the shared corpus beside the repository root.
const corpusDir = "../../../shared/corpus"

// want is one expected finding: "Kind/name rule volume [container] severity".
type wantFinding struct {
	workload, rule, volume, container string
	sev                               Severity
}

// corpusWant lists, per input, every finding of severity info or higher the audit must
// report, and nothing else. The expectations come from the inputs' own documentation:
// docs/charts.md ("Hazard" column and "Rendered manifests" table) for the charts and
// cases/case10.expected.md for case10. Findings not named there cite the manifest lines
// that make them (a ReadWriteOnce PVC next to a RollingUpdate Deployment, the Multi-Attach
// situation of cases/case06.expected.md).
var corpusWant = map[string][]wantFinding{
	// case10.expected.md: sessions-primary "fsGroup: 1001 with explicit Always on PVC template
	// data" (HIGH) and "init container volume-permissions runs as root: chown -R 1001:1001
	// /data and find /data -type d -exec chmod 0775 {} +" (HIGH); sessions-exporter
	// "none/low" (emptyDir + configMap only); sessions-replica "OnRootMismatch => OK".
	"cases/case10.manifests.yaml": {
		{"StatefulSet/sessions-primary", "fsgroup-walk", "data", "", Warning},
		{"StatefulSet/sessions-primary", "chown-init-container", "data", "volume-permissions",
			Warning},
	},
	// case11.expected.md: "init container init-dirs runs chown -R 1000:1000 /media/library
	// /media/.incoming on an NFS share every start ... no fsGroup"; "the audit should report
	// this as an init container recursive chown on persistent volume hazard".
	"cases/case11.pod.json cases/case11.pv.yaml": {
		{"Pod/library-scanner-59d8b7c6f4-h2l9s", "chown-init-container", "media", "init-dirs",
			Warning},
	},
	// case06.expected.md: default RollingUpdate with a ReadWriteOnce claim => Multi-Attach;
	// "Recommended fix: spec.strategy.type: Recreate". The PVC is not in the input.
	"cases/case06.deployment.yaml": {
		{"Deployment/dashboards", "rwo-rolling-update", "data", "", Warning},
	},
	// charts.md: bitnami postgresql "Always (explicit)", Hazard H; render: "VCT data".
	"charts/bitnami-postgresql.yaml": {
		{"StatefulSet/bitnami-postgresql", "fsgroup-walk", "data", "", Warning},
	},
	// charts.md: vault "unset => Always", H; render: "StatefulSet/vault fsGroup 1000, no
	// policy, VCT data".
	"charts/vault.yaml": {
		{"StatefulSet/vault", "fsgroup-walk", "data", "", Warning},
	},
	// charts.md: harbor "H (database, redis, trivy, jobservice job-logs) + I (database)",
	// registry has OnRootMismatch; init "data-permissions-ensurer: chmod -R 700". The
	// rwo-rolling-update findings: harbor.yaml:458-511 (PVCs harbor-jobservice and
	// harbor-registry, ReadWriteOnce) with strategy RollingUpdate at :858-859 and :1063-1064.
	"charts/harbor.yaml": {
		{"Deployment/harbor-jobservice", "fsgroup-walk", "job-logs", "", Warning},
		{"Deployment/harbor-jobservice", "rwo-rolling-update", "job-logs", "", Warning},
		{"Deployment/harbor-registry", "rwo-rolling-update", "registry-data", "", Warning},
		{"StatefulSet/harbor-database", "fsgroup-walk", "database-data", "", Warning},
		{"StatefulSet/harbor-database", "chown-init-container", "database-data",
			"data-permissions-ensurer", Warning},
		{"StatefulSet/harbor-redis", "fsgroup-walk", "data", "", Warning},
		{"StatefulSet/harbor-trivy", "fsgroup-walk", "data", "", Warning},
	},
	// charts.md: grafana "H+I with persistence"; render: "adds PVC + init-chown-data chown -R
	// 472:472 /var/lib/grafana". rwo-rolling-update: grafana.persistence-enabled.yaml:76-77
	// (PVC ReadWriteOnce) and :153-154 (strategy RollingUpdate).
	"charts/grafana.persistence-enabled.yaml": {
		{"Deployment/grafana", "fsgroup-walk", "storage", "", Warning},
		{"Deployment/grafana", "chown-init-container", "storage", "init-chown-data", Warning},
		{"Deployment/grafana", "rwo-rolling-update", "storage", "", Warning},
	},
	// charts.md: grafana default "n/a by default" (fsGroup 472, no PVC).
	"charts/grafana.yaml": nil,
	// charts.md: nexus "I (cheap on emptyDir ...)": init chown -R on an emptyDir.
	"charts/nexus-nxrm-ha.yaml": {
		{"StatefulSet/nexus-nxrm-ha", "chown-init-container", "nexus-data",
			"chown-nexusdata-owner-to-nexus-and-init-log-dir", Info},
	},
	// charts.md: sonarqube "n/a by default" (fsGroup 0, no PVC).
	"charts/sonarqube.yaml": nil,
	// charts.md: "ok" (OnRootMismatch) for atlantis, jenkins, minio, loki.
	"charts/atlantis.yaml": nil,
	"charts/jenkins.yaml":  nil,
	"charts/minio.yaml":    nil,
	"charts/loki.yaml":     nil,
}

func TestCorpusGolden(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s (expected ../shared beside the repository): %v",
			corpusDir, err)
	}
	for files, want := range corpusWant {
		var paths []string
		for _, f := range strings.Fields(files) {
			paths = append(paths, filepath.Join(corpusDir, f))
		}
		file := filepath.Base(paths[0])
		t.Run(file, func(t *testing.T) {
			set := manifest.Load(context.Background(), paths, nil)
			if len(set.Errors) > 0 {
				t.Fatalf("loading %s: %v", file, set.Errors)
			}
			res := Run(set, Options{})
			compareFindings(t, res.Findings, want)
			for _, f := range res.Findings {
				checkFindingShape(t, f)
			}
		})
	}
}

func compareFindings(t *testing.T, got []Finding, want []wantFinding) {
	t.Helper()
	key := func(w wantFinding) string {
		return strings.Join([]string{w.workload, w.rule, w.volume, w.container,
			w.sev.String()}, " ")
	}
	var g, w []string
	for _, f := range got {
		g = append(g, key(wantFinding{f.Workload.Kind + "/" + f.Workload.Name, f.RuleID,
			f.Volume, f.Container, f.Severity}))
	}
	for _, x := range want {
		w = append(w, key(x))
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "),
			strings.Join(w, "\n  "))
	}
}

// checkFindingShape checks what every finding must carry.
func checkFindingShape(t *testing.T, f Finding) {
	t.Helper()
	if f.Message == "" || f.Fix == "" || f.Workload.Pos.Line == 0 || f.Workload.Pos.File == "" {
		t.Errorf("%s %s/%s: empty message, fix or position: %+v", f.RuleID, f.Workload.Kind,
			f.Workload.Name, f)
	}
	if _, ok := RuleByID(f.RuleID); !ok {
		t.Errorf("finding with unknown rule id %q", f.RuleID)
	}
}

// TestCase10Details checks the specifics case10.expected.md states about sessions-primary.
func TestCase10Details(t *testing.T) {
	path := filepath.Join(corpusDir, "cases/case10.manifests.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("corpus not found: %v", err)
	}
	res := Run(manifest.Load(context.Background(), []string{path}, nil), Options{})
	for _, f := range res.Findings {
		switch f.RuleID {
		case "fsgroup-walk":
			// "explicit fsGroupChangePolicy: Always" must be named as such.
			mustContain(t, f.Message, "Always (explicit")
			mustContain(t, f.Fix, "OnRootMismatch")
		case "chown-init-container":
			// Both recursive commands of the one init container are reported.
			mustContain(t, f.Message, "chown -R 1001:1001 /data")
			mustContain(t, f.Message, "find /data -type d -exec chmod 0775")
			// "the chmod removes the setgid bit ... which later makes OnRootMismatch on the
			// root fail": the fix says so even though the policy today is Always.
			mustContain(t, f.Fix, "setgid")
			mustContain(t, f.Fix, "OnRootMismatch")
		}
		if f.RuleID == "onrootmismatch-defeated" {
			t.Errorf("onrootmismatch-defeated reported with policy Always: %s", f.Message)
		}
	}
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}
