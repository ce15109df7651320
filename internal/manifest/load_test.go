package manifest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// corpusDir is the shared corpus of real inputs, beside the repository root.
const corpusDir = "../../../shared/corpus"

func needCorpus(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus %s not found (expected beside the repository): %v", corpusDir, err)
	}
	return corpusDir
}

func loadString(t *testing.T, input string) *Set {
	t.Helper()
	return Load(context.Background(), []string{StdinName}, strings.NewReader(input))
}

func workloadNames(s *Set) []string {
	var names []string
	for _, w := range s.Workloads {
		names = append(names, w.Kind+"/"+w.Name)
	}
	return names
}

func wantNoErrors(t *testing.T, s *Set) {
	t.Helper()
	for _, err := range s.Errors {
		t.Errorf("unexpected error: %v", err)
	}
}

// workloadKindLine matches the top-level kind line of the workload kinds in the chart renders.
var workloadKindLine = regexp.MustCompile(
	`^kind: (Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|Job|CronJob)$`)

// TestLoadChartRenders checks the loader against the real helm renders: every top-level
// workload "kind:" line of the files (found by a plain line scan) yields exactly one workload
// whose position is the "apiVersion:" line just above it, and nothing fails to load.
func TestLoadChartRenders(t *testing.T) {
	dir := filepath.Join(needCorpus(t), "charts")
	set := Load(context.Background(), []string{dir}, nil)
	wantNoErrors(t, set)

	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if set.Files != len(files) {
		t.Errorf("Files = %d, want %d", set.Files, len(files))
	}

	want := map[Position]string{}
	for _, f := range files {
		lines := fileLines(t, f)
		for i, l := range lines {
			if m := workloadKindLine.FindStringSubmatch(l); m != nil {
				if !strings.HasPrefix(lines[i-1], "apiVersion: ") {
					t.Fatalf("%s:%d: corpus layout changed: no apiVersion above kind", f, i+1)
				}
				want[Position{File: f, Line: i, Column: 1}] = m[1]
			}
		}
	}

	got := map[Position]string{}
	for _, w := range set.Workloads {
		got[w.Pos] = w.Kind
	}
	for pos, kind := range want {
		if got[pos] != kind {
			t.Errorf("%s: want a %s, got %q", pos, kind, got[pos])
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d workloads, want %d", len(got), len(want))
	}
}

func fileLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestLoadChartDetails checks details the renders state (docs/charts.md and the files).
func TestLoadChartDetails(t *testing.T) {
	dir := filepath.Join(needCorpus(t), "charts")
	set := Load(context.Background(), []string{filepath.Join(dir, "vault.yaml")}, nil)
	wantNoErrors(t, set)

	w := find(t, set, "StatefulSet", "vault")
	if w.Source != "vault/templates/server-statefulset.yaml" {
		t.Errorf("Source = %q", w.Source)
	}
	if w.Namespace != "default" || w.APIVersion != "apps/v1" {
		t.Errorf("namespace, apiVersion = %q, %q", w.Namespace, w.APIVersion)
	}
	sc := w.Template.Spec.SecurityContext
	if sc == nil || sc.FSGroup == nil || *sc.FSGroup != 1000 || sc.FSGroupChangePolicy != nil {
		t.Errorf("pod securityContext = %+v, want fsGroup 1000 and no policy", sc)
	}
	if len(w.VolumeClaimTemplates) != 1 || w.VolumeClaimTemplates[0].Name != "data" {
		t.Errorf("volumeClaimTemplates = %+v, want one named data", w.VolumeClaimTemplates)
	}
	if set.Skipped["v1/ConfigMap"] == 0 || set.Skipped["v1/Service"] == 0 {
		t.Errorf("Skipped = %v, want ConfigMaps and Services counted", set.Skipped)
	}
}

func find(t *testing.T, set *Set, kind, name string) *Workload {
	t.Helper()
	for i := range set.Workloads {
		if set.Workloads[i].Kind == kind && set.Workloads[i].Name == name {
			return &set.Workloads[i]
		}
	}
	t.Fatalf("no %s %s among %v", kind, name, workloadNames(set))
	return nil
}

// TestLoadCase10 reads the multi-document audit case: three workloads in order, the explicit
// Always policy and the PVC template as written.
func TestLoadCase10(t *testing.T) {
	name := filepath.Join(needCorpus(t), "cases", "case10.manifests.yaml")
	set := Load(context.Background(), []string{name}, nil)
	wantNoErrors(t, set)

	got := strings.Join(workloadNames(set), " ")
	want := "StatefulSet/sessions-primary Deployment/sessions-exporter StatefulSet/sessions-replica"
	if got != want {
		t.Fatalf("workloads = %s, want %s", got, want)
	}
	p := set.Workloads[0]
	if p.Pos.Line != 2 || p.Namespace != "web" {
		t.Errorf("sessions-primary at line %d namespace %q, want 2 and web", p.Pos.Line,
			p.Namespace)
	}
	pol := p.Template.Spec.SecurityContext.FSGroupChangePolicy
	if pol == nil || *pol != corev1.FSGroupChangeAlways {
		t.Errorf("fsGroupChangePolicy = %v, want Always", pol)
	}
	if len(p.Template.Spec.InitContainers) != 1 || p.Template.Spec.InitContainers[0].Name !=
		"volume-permissions" {
		t.Errorf("init containers = %+v", p.Template.Spec.InitContainers)
	}
	if set.Workloads[1].Strategy != "RollingUpdate" {
		t.Errorf("Deployment strategy = %q, want the API default RollingUpdate",
			set.Workloads[1].Strategy)
	}
}

// TestDocumentMarkers covers the YAML rules for document markers: "---" inside an indented
// block scalar is content; "--- |" starts a document whose content is on the marker line;
// "..." ends a document; comment-only and empty documents are skipped silently.
func TestDocumentMarkers(t *testing.T) {
	input := `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: script}
data:
  run.sh: |
    echo start
---
    echo still the same scalar
    --- not a marker either
---
# only a comment
---
---
apiVersion: v1
kind: Pod
metadata:
  name: after-markers
spec:
  containers: [{name: c, image: i}]
...
# comment after the end marker
--- {apiVersion: v1, kind: Pod, metadata: {name: flow}}
`
	set := loadString(t, input)
	if len(set.Errors) != 1 {
		t.Fatalf("errors = %v, want exactly one (the column-0 marker inside the scalar)",
			set.Errors)
	}
	// The "---" at column 0 on line 9 ends the ConfigMap's document (YAML forbids it in a
	// scalar); the indented lines after it are a malformed document of their own.
	var ie *InputError
	if !errors.As(set.Errors[0], &ie) || ie.Pos.Line < 9 || ie.Pos.Line > 11 {
		t.Errorf("error %v, want one located on lines 9-11", set.Errors[0])
	}
	got := strings.Join(workloadNames(set), " ")
	if got != "Pod/after-markers Pod/flow" {
		t.Errorf("workloads = %s", got)
	}
	if p := set.Workloads[0].Pos; p.Line != 16 || p.Column != 1 {
		t.Errorf("after-markers at %s, want line 16 column 1", p)
	}
	if p := set.Workloads[1].Pos; p.Line != 24 || p.Column != 5 {
		t.Errorf("flow at %s, want line 24 column 5", p)
	}
	if set.Skipped["v1/ConfigMap"] != 1 {
		t.Errorf("Skipped = %v, want the ConfigMap counted", set.Skipped)
	}
}

func TestBlockScalarWithIndentedMarker(t *testing.T) {
	input := `apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data:
  x: |
    ---
    apiVersion: v1
    kind: Pod
---
apiVersion: v1
kind: Pod
metadata: {name: real}
`
	set := loadString(t, input)
	wantNoErrors(t, set)
	if got := strings.Join(workloadNames(set), " "); got != "Pod/real" {
		t.Errorf("workloads = %s, want only Pod/real", got)
	}
	if set.Workloads[0].Pos.Line != 10 {
		t.Errorf("Pod/real at %s, want line 10", set.Workloads[0].Pos)
	}
}

// TestTypedListItems reads a list as the API server returns it (GET /api/v1/pods): a typed
// List whose items have neither apiVersion nor kind; they are objects of the List's kind.
func TestTypedListItems(t *testing.T) {
	input := `{"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "1"},
"items": [{"metadata": {"name": "p", "namespace": "ns"},
  "spec": {"containers": [{"name": "c", "image": "i"}]}}]}
`
	set := loadString(t, input)
	wantNoErrors(t, set)
	p := find(t, set, "Pod", "p")
	if p.Namespace != "ns" || set.KindedObjects() != 1 {
		t.Errorf("namespace %q, %d objects with a kind", p.Namespace, set.KindedObjects())
	}

	// A CRD's typed List goes through the unstructured decoder.
	rollouts := `{"apiVersion": "argoproj.io/v1alpha1", "kind": "RolloutList",
"items": [{"metadata": {"name": "r"}, "spec": {"replicas": 2,
  "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}]}
`
	set = loadString(t, rollouts)
	wantNoErrors(t, set)
	if r := find(t, set, "Rollout", "r"); r.Replicas == nil || *r.Replicas != 2 {
		t.Errorf("rollout replicas %v", r.Replicas)
	}
}

func TestListItems(t *testing.T) {
	input := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d, namespace: ns}
  spec:
    strategy: {type: Recreate}
    template:
      spec:
        containers: [{name: c, image: i}]
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {name: claim}
  spec: {accessModes: [ReadWriteOnce]}
- apiVersion: v1
  kind: Service
  metadata: {name: s}
`
	set := loadString(t, input)
	wantNoErrors(t, set)
	d := find(t, set, "Deployment", "d")
	if d.Pos != (Position{File: StdinName, Line: 4, Column: 3}) {
		t.Errorf("Deployment at %s, want -:4:3", d.Pos)
	}
	if d.Strategy != "Recreate" || d.Namespace != "ns" {
		t.Errorf("strategy %q namespace %q", d.Strategy, d.Namespace)
	}
	if len(set.Storage.PVCs) != 1 || set.Storage.PVCs[0].Name != "claim" {
		t.Errorf("PVCs = %v", set.Storage.PVCs)
	}
	if set.Objects != 3 || set.Skipped["v1/Service"] != 1 {
		t.Errorf("Objects = %d, Skipped = %v", set.Objects, set.Skipped)
	}
}

func TestJSONInput(t *testing.T) {
	input := `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
   "spec": {"securityContext": {"fsGroup": 2000}, "containers": [{"name": "c"}]}}
]}`
	set := loadString(t, input)
	wantNoErrors(t, set)
	p := find(t, set, "Pod", "p")
	if p.Pos.Line != 2 || *p.Template.Spec.SecurityContext.FSGroup != 2000 {
		t.Errorf("pod at %s with %+v", p.Pos, p.Template.Spec.SecurityContext)
	}
}

func TestKnownCRDs(t *testing.T) {
	input := `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: inline}
spec:
  replicas: 3
  strategy: {canary: {steps: [{setWeight: 20}]}}
  template:
    spec:
      securityContext: {fsGroup: 1000}
      containers: [{name: c, image: i}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: by-ref, namespace: apps}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: base}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: base, namespace: apps}
spec:
  replicas: 0
  template:
    spec:
      securityContext: {fsGroup: 4242}
      containers: [{name: c, image: i}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: dangling}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: elsewhere}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: cs}
spec:
  template:
    spec:
      containers: [{name: c, image: i, volumeMounts: [{name: data, mountPath: /d}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce]}
---
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: asts}
spec:
  template:
    spec: {containers: [{name: c, image: i}]}
  volumeClaimTemplates:
  - metadata: {name: www}
---
apiVersion: apps.kruise.io/v1alpha1
kind: DaemonSet
metadata: {name: ads}
spec:
  template:
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
spec:
  template:
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cron}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {fsGroup: 7}
          containers: [{name: c, image: i}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
`
	set := loadString(t, input)
	wantNoErrors(t, set)
	want := "Rollout/inline Rollout/by-ref Deployment/base CloneSet/cs StatefulSet/asts " +
		"DaemonSet/ads Deployment/old CronJob/cron"
	if got := strings.Join(workloadNames(set), " "); got != want {
		t.Fatalf("workloads = %s\nwant        %s", got, want)
	}

	inline := find(t, set, "Rollout", "inline")
	if *inline.Replicas != 3 || inline.Strategy != "RollingUpdate" ||
		*inline.Template.Spec.SecurityContext.FSGroup != 1000 {
		t.Errorf("inline rollout = %+v", inline)
	}
	if g := *find(t, set, "Rollout", "by-ref").Template.Spec.SecurityContext.FSGroup; g != 4242 {
		t.Errorf("by-ref rollout fsGroup = %d, want the Deployment's 4242", g)
	}
	if vcts := find(t, set, "CloneSet", "cs").VolumeClaimTemplates; len(vcts) != 1 ||
		vcts[0].Spec.AccessModes[0] != corev1.ReadWriteOnce {
		t.Errorf("CloneSet claims = %+v", vcts)
	}
	if g := *find(t, set, "CronJob", "cron").Template.Spec.SecurityContext.FSGroup; g != 7 {
		t.Errorf("CronJob fsGroup = %d", g)
	}
	if set.Skipped["argoproj.io/v1alpha1/Rollout (workloadRef outside the input)"] != 1 ||
		set.Skipped["example.com/v1/Widget"] != 1 {
		t.Errorf("Skipped = %v", set.Skipped)
	}
}

// TestBadInputKeepsGoing checks that every kind of bad input is reported with its file and
// line and that loading continues with the next document and file.
func TestBadInputKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n"
	write("a-malformed.yaml", good+"---\napiVersion: v1\nkind: Pod\nmetadata: [unclosed\n---\n"+
		"apiVersion: v1\nkind: Pod\nmetadata: {name: after}\n")
	write("b-binary.yaml", "apiVersion: v1\n\x00\x01\x02")
	write("c-latin1.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: caf\xe9}\n")
	write("d-typo.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"+
		"spec: {replicas: three}\n")
	write("e-scalar.yaml", "just text\n")
	write("f-good.yml", good)
	write("g-noapi.yaml", "kind: Pod\nmetadata: {name: x}\n")
	write("h-broken.json", `{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [}`)
	write("ignored.txt", "not: read")

	set := Load(context.Background(), []string{dir, filepath.Join(dir, "missing.yaml")}, nil)

	wantErrs := []struct {
		file string
		line int
		text string
	}{
		{"a-malformed.yaml", 7, "malformed YAML"},
		{"b-binary.yaml", 2, "binary"},
		{"c-latin1.yaml", 3, "invalid UTF-8"},
		{"d-typo.yaml", 4, "apps/v1 Deployment: spec.replicas: a string where int32 is expected"},
		{"e-scalar.yaml", 1, "not a Kubernetes object"},
		{"g-noapi.yaml", 1, "Pod without apiVersion"},
		{"h-broken.json", 1, "malformed JSON"},
		{"missing.yaml", 0, "no such file"},
	}
	if len(set.Errors) != len(wantErrs) {
		t.Fatalf("errors:\n%v\nwant %d", set.Errors, len(wantErrs))
	}
	for i, w := range wantErrs {
		var ie *InputError
		if !errors.As(set.Errors[i], &ie) || filepath.Base(ie.Pos.File) != w.file ||
			ie.Pos.Line != w.line || !strings.Contains(ie.Error(), w.text) {
			t.Errorf("error %d = %v, want %s:%d ... %s", i, set.Errors[i], w.file, w.line, w.text)
		}
	}
	if got := strings.Join(workloadNames(set), " "); got != "Pod/ok Pod/after Pod/ok" {
		t.Errorf("workloads = %s", got)
	}
}

// TestAliasBomb checks that a "billion laughs" workload fails with an error, quickly and in
// bounded memory.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\n  labels:\n")
	b.WriteString("    a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("    a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := range 9 {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	set := loadString(t, b.String())
	if len(set.Errors) != 1 || !strings.Contains(set.Errors[0].Error(), "aliases") {
		t.Fatalf("errors = %v, want one about expanding aliases", set.Errors)
	}
	if len(set.Workloads) != 0 {
		t.Errorf("workloads = %v", workloadNames(set))
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestHugeDocument(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: ConfigMap\ndata:\n  big: |\n")
	line := "    " + strings.Repeat("x", 1019) + "\n"
	for b.Len() <= MaxDocumentBytes {
		b.WriteString(line)
	}
	b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: next}\n")
	set := loadString(t, b.String())
	if len(set.Errors) != 1 || !strings.Contains(set.Errors[0].Error(), "-:1: document larger") {
		t.Fatalf("errors = %v, want one at -:1 about size", set.Errors)
	}
	if got := strings.Join(workloadNames(set), " "); got != "Pod/next" {
		t.Errorf("workloads = %s, want Pod/next", got)
	}
}

func TestDirectoryOrderAndHidden(t *testing.T) {
	dir := t.TempDir()
	pod := func(name string) []byte {
		return []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\n")
	}
	for _, p := range []string{"b/z.yaml", "a.YML", "b/a.json", ".git/x.yaml", "c/.hidden/y.yaml"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		name := strings.NewReplacer("/", "-", ".", "-").Replace(p)
		if err := os.WriteFile(full, pod(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set := Load(context.Background(), []string{dir}, nil)
	wantNoErrors(t, set)
	if got := strings.Join(workloadNames(set), " "); got != "Pod/a-YML Pod/b-a-json Pod/b-z-yaml" {
		t.Errorf("workloads = %s", got)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	set := Load(ctx, []string{StdinName}, strings.NewReader("apiVersion: v1\nkind: Pod\n"))
	if len(set.Errors) == 0 || !errors.Is(set.Errors[len(set.Errors)-1], context.Canceled) {
		t.Errorf("errors = %v, want context.Canceled", set.Errors)
	}
}

// TestCRLFAndBOM reads a stream saved with a byte order mark and Windows line endings.
func TestCRLFAndBOM(t *testing.T) {
	input := "\ufeff---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n---\r\n" +
		"apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n"
	set := loadString(t, input)
	wantNoErrors(t, set)
	got := strings.Join(workloadNames(set), " ")
	if got != "Pod/p" || set.Workloads[0].Pos.Line != 6 {
		t.Errorf("workloads = %s at %v", got, set.Workloads)
	}
	if set.Skipped["v1/ConfigMap"] != 1 {
		t.Errorf("Skipped = %v", set.Skipped)
	}
}

// TestSymlinkedDirectoryArgument: a directory named through a symlink is read like the
// directory itself.
func TestSymlinkedDirectoryArgument(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n"
	if err := os.WriteFile(filepath.Join(real, "p.yaml"), []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	set := Load(context.Background(), []string{link}, nil)
	wantNoErrors(t, set)
	if p := find(t, set, "Pod", "p"); p.Pos.File != filepath.Join(link, "p.yaml") {
		t.Errorf("pod read from %s", p.Pos.File)
	}
}

// TestConcatenatedJSONValues reads JSON objects written one after another (jq '.items[]'),
// each at its own line; a broken last value is an error at its line, the others are read.
func TestConcatenatedJSONValues(t *testing.T) {
	pod := func(name string) string {
		return `{"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "` + name + `"},
  "spec": {"containers": [{"name": "c"}]}}
`
	}
	set := loadString(t, pod("a")+pod("b"))
	wantNoErrors(t, set)
	if b := find(t, set, "Pod", "b"); b.Pos.Line != 4 {
		t.Errorf("second object at line %d, want 4", b.Pos.Line)
	}

	set = loadString(t, pod("a")+pod("b")+`{"apiVersion": "v1", "kind": "Pod", "metadata":`)
	find(t, set, "Pod", "b")
	if len(set.Errors) != 1 || !strings.Contains(set.Errors[0].Error(), ":7") {
		t.Errorf("errors = %v, want one at line 7", set.Errors)
	}
}

// TestErrorsAtTheirField: duplicate keys, type errors and unknown aliases are reported at the
// line of the field, in block style, flow style and after an earlier document.
func TestErrorsAtTheirField(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"
	for _, tc := range []struct{ name, input, want string }{
		{"duplicate key", cm + "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n" +
			"metadata: {name: b}\nspec: {containers: [{name: c}]}\n",
			`-:8:1: v1 Pod: mapping key "metadata" already defined`},
		{"nested duplicate", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n" +
			"spec: {containers: [{name: c}]}\n", `-:5:3: v1 Pod: mapping key "name"`},
		{"type error, block", cm + "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n" +
			"spec:\n  securityContext:\n    fsGroup: abc\n  containers:\n  - name: c\n",
			"-:10:5: v1 Pod: spec.securityContext.fsGroup: a string where int64"},
		{"type error, second item", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n" +
			"  containers:\n  - name: c\n  - name: d\n    ports: 5\n",
			"-:8:5: v1 Pod: spec.containers.ports: a number where"},
		{"type error, object", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n" +
			"spec:\n  containers: {name: c}\n", "-:5:3: v1 Pod: spec.containers: an object"},
		{"unknown alias", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n" +
			"  containers: [{name: c}]\n  foo: *undefined\n", "-:6:8: malformed YAML: unknown"},
	} {
		set := loadString(t, tc.input)
		if len(set.Errors) != 1 || !strings.HasPrefix(set.Errors[0].Error(), tc.want) {
			t.Errorf("%s: errors %v, want one starting %q", tc.name, set.Errors, tc.want)
		}
	}
}

// TestLoneCRLineEnds reads a stream with old Mac line ends (CR alone), which YAML reads as
// line breaks: a malformed document costs only itself, as with LF line ends.
func TestLoneCRLineEnds(t *testing.T) {
	set := loadString(t, "apiVersion: v1\rkind: Pod\rmetadata: {name: [c\r---\r"+
		"apiVersion: v1\rkind: Pod\rmetadata: {name: p}\rspec: {containers: [{name: c}]}\r")
	if p := find(t, set, "Pod", "p"); p.Pos.Line != 5 {
		t.Errorf("pod at line %d, want 5", p.Pos.Line)
	}
	if len(set.Errors) != 1 {
		t.Errorf("errors %v, want the first document's only", set.Errors)
	}
}

// TestWalkErrorsNameTheirDirectory: each unreadable subdirectory is its own input error, named
// by its own path (not the argument's).
func TestWalkErrorsNameTheirDirectory(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "perm/a", Err: fs.ErrPermission}
	if p, cause := errPath(err, "perm"); p != "perm/a" || cause.Error() != "open: permission denied" {
		t.Errorf("errPath = %q, %v", p, cause)
	}
	if p, _ := errPath(errors.New("other"), "perm"); p != "perm" {
		t.Errorf("an error without a path went to %q", p)
	}
}
