package audit

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/manifest"
)

func TestParseIgnore(t *testing.T) {
	cases := []struct {
		value    string
		reasons  map[string]string
		problems []string
	}{
		{"fsgroup-walk: volume holds < 1000 files",
			map[string]string{"fsgroup-walk": "volume holds < 1000 files"}, nil},
		{"fsgroup-walk: small, chown-init-container: runs once",
			map[string]string{"fsgroup-walk": "small", "chown-init-container": "runs once"}, nil},
		{"\n  fsgroup-walk: small volume\n\n  rwo-rolling-update:   single node cluster  \n",
			map[string]string{"fsgroup-walk": "small volume",
				"rwo-rolling-update": "single node cluster"}, nil},
		{"fsgroup-walk", map[string]string{}, []string{"fsgroup-walk", "a reason is required"}},
		{"fsgroup-walk:   ", map[string]string{}, []string{"a reason is required"}},
		{"fsgroup-wlak: typo", map[string]string{}, []string{"unknown rule id \"fsgroup-wlak\""}},
		{"selinux-relabel: ok: with colons",
			map[string]string{"selinux-relabel": "ok: with colons"}, nil},
		{"", map[string]string{}, nil},
	}
	for _, c := range cases {
		s := parseIgnore(c.value)
		if len(s.reasons) != len(c.reasons) {
			t.Errorf("%q: reasons %v, want %v", c.value, s.reasons, c.reasons)
		}
		for id, r := range c.reasons {
			if s.reasons[id] != r {
				t.Errorf("%q: reason for %s = %q, want %q", c.value, id, s.reasons[id], r)
			}
		}
		var texts []string
		for _, p := range s.problems {
			texts = append(texts, p.text)
		}
		all := strings.Join(texts, "\n")
		for _, p := range c.problems {
			if !strings.Contains(all, p) {
				t.Errorf("%q: problems %q lack %q", c.value, texts, p)
			}
		}
		if len(c.problems) == 0 && len(texts) != 0 {
			t.Errorf("%q: unexpected problems %q", c.value, texts)
		}
	}
}

// hazardous is a workload with an fsgroup-walk and a rwo-rolling-update finding.
func hazardous(annotations, templateAnnotations map[string]string) manifest.Workload {
	w := workload("Deployment", "web", withFSGroup(1000, ""), withPVC("d", "c"), withMain("d"))
	w.Annotations = annotations
	w.Template.Annotations = templateAnnotations
	return w
}

func TestSuppression(t *testing.T) {
	st := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{claim("c", corev1.ReadWriteOnce)}}
	run := func(w manifest.Workload, ignore ...string) Result {
		return Run(&manifest.Set{Workloads: []manifest.Workload{w}, Storage: st},
			Options{Ignore: ignore})
	}

	res := run(hazardous(map[string]string{IgnoreAnnotation: "fsgroup-walk: holds 200 files"}, nil))
	if len(only(res, idFSGroupWalk)) != 0 || len(res.Suppressed) != 1 ||
		res.Suppressed[0].Reason != "holds 200 files" || len(res.Findings) != 1 {
		t.Errorf("workload annotation: findings %+v suppressed %+v", res.Findings, res.Suppressed)
	}

	res = run(hazardous(nil, map[string]string{IgnoreAnnotation: "rwo-rolling-update: one node"}))
	if len(only(res, idRWORollingUpdate)) != 0 || len(res.Suppressed) != 1 {
		t.Errorf("template annotation: findings %+v suppressed %+v", res.Findings, res.Suppressed)
	}

	res = run(hazardous(nil, nil), idFSGroupWalk)
	if len(res.Suppressed) != 1 || res.Suppressed[0].Reason != "--ignore" {
		t.Errorf("--ignore: suppressed %+v", res.Suppressed)
	}

	// Malformed: nothing is dropped, the finding carries the warning, Result lists it.
	res = run(hazardous(map[string]string{IgnoreAnnotation: "fsgroup-walk"}, nil))
	fs := only(res, idFSGroupWalk)
	if len(fs) != 1 || len(fs[0].Warnings) != 1 || !strings.Contains(fs[0].Warnings[0], "reason") {
		t.Errorf("entry without reason: %+v", fs)
	}
	if rw := only(res, idRWORollingUpdate); len(rw) != 1 || len(rw[0].Warnings) != 0 {
		t.Errorf("a rule-specific problem must not mark other rules' findings: %+v", rw)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Deployment ns/web") {
		t.Errorf("Result.Warnings = %q", res.Warnings)
	}

	res = run(hazardous(map[string]string{IgnoreAnnotation: "fsgroup-wlak: typo"}, nil))
	if len(res.Findings) != 2 || len(res.Findings[0].Warnings) != 1 ||
		len(res.Findings[1].Warnings) != 1 {
		t.Errorf("unknown id: every finding carries the warning: %+v", res.Findings)
	}
}

func FuzzParseIgnore(f *testing.F) {
	f.Add("fsgroup-walk: volume holds < 1000 files")
	f.Add("a,b:c\n\n:,:")
	f.Fuzz(func(t *testing.T, v string) {
		s := parseIgnore(v)
		for id, r := range s.reasons {
			if _, ok := RuleByID(id); !ok || r == "" {
				t.Fatalf("accepted %q: %q from %q", id, r, v)
			}
		}
	})
}
