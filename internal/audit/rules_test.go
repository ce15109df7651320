package audit

import (
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/startlag/startlag/internal/manifest"
)

func TestRulesValidate(t *testing.T) {
	if err := Validate(Rules); err != nil {
		t.Fatalf("Validate(Rules): %v", err)
	}
	if len(Rules) != 5 {
		t.Errorf("%d rules, want 5", len(Rules))
	}
	bad := []Rule{
		{ID: "Bad_ID", Summary: "s", Explanation: "e", Fix: "f", Doc: "Bad_ID.md",
			Check: checkFSGroupWalk},
		{ID: "dup", Summary: "s", Explanation: "e", Fix: "f", Doc: "x/dup.md", Check: checkFSGroupWalk},
		{ID: "dup", Summary: "two\nlines", Explanation: "", Fix: "f", Doc: "other.md"},
		{ID: "sev", Severity: Severity(7), Summary: "s", Explanation: "e", Fix: "f", Doc: "sev.md",
			Check: checkFSGroupWalk},
	}
	err := Validate(bad)
	if err == nil {
		t.Fatal("Validate accepted bad rules")
	}
	for _, want := range []string{"Bad_ID: id", "dup: duplicate id", "summary must be one",
		"explanation and fix", "does not name dup.md", "no check function", "unknown severity"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %q:\n%v", want, err)
		}
	}
}

func TestRuleDocsExist(t *testing.T) {
	index, err := os.ReadFile("../../docs/rules/README.md")
	if err != nil {
		t.Fatalf("rule index: %v", err)
	}
	for _, r := range Rules {
		if !strings.HasPrefix(r.Doc, DocBase) {
			t.Errorf("%s: doc %q not under %s", r.ID, r.Doc, DocBase)
		}
		page, err := os.ReadFile("../../docs/rules/" + r.ID + ".md")
		if err != nil {
			t.Errorf("%s: no page: %v", r.ID, err)
			continue
		}
		for _, section := range []string{"# " + r.ID, "## Why it matters", "## How to fix",
			"## When it is a false positive", "## Suppress"} {
			if !strings.Contains(string(page), section) {
				t.Errorf("%s.md lacks %q", r.ID, section)
			}
		}
		if !strings.Contains(string(index), "("+r.ID+".md)") {
			t.Errorf("README.md does not link %s.md", r.ID)
		}
	}
}

// --- hand-built workloads ---------------------------------------------------------------

var fsg1000 = int64(1000)

type podOpt func(*corev1.PodSpec)

func withFSGroup(g int64, policy string) podOpt {
	return func(s *corev1.PodSpec) {
		s.SecurityContext = &corev1.PodSecurityContext{FSGroup: &g}
		if policy != "" {
			p := corev1.PodFSGroupChangePolicy(policy)
			s.SecurityContext.FSGroupChangePolicy = &p
		}
	}
}

func withPVC(name, claim string) podOpt {
	return func(s *corev1.PodSpec) {
		s.Volumes = append(s.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	}
}

func withEmptyDir(name string) podOpt {
	return func(s *corev1.PodSpec) {
		s.Volumes = append(s.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
}

// withInit adds an init container running script with sh -c and mounting volume at path.
func withInit(name, script, volume, path, subPath string) podOpt {
	return func(s *corev1.PodSpec) {
		s.InitContainers = append(s.InitContainers, corev1.Container{Name: name,
			Command:      []string{"sh", "-c", script},
			VolumeMounts: []corev1.VolumeMount{{Name: volume, MountPath: path, SubPath: subPath}}})
	}
}

// withMain adds the main container mounting each volume at /mnt/<name>.
func withMain(volumes ...string) podOpt {
	return func(s *corev1.PodSpec) {
		c := corev1.Container{Name: "app"}
		for _, v := range volumes {
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: v, MountPath: "/mnt/" + v})
		}
		s.Containers = append(s.Containers, c)
	}
}

func workload(kind, name string, opts ...podOpt) manifest.Workload {
	w := manifest.Workload{APIVersion: "apps/v1", Kind: kind, Namespace: "ns", Name: name,
		Pos: manifest.Position{File: "test.yaml", Line: 1, Column: 1}}
	for _, o := range opts {
		o(&w.Template.Spec)
	}
	return w
}

func claimTemplate(name string,
	modes ...corev1.PersistentVolumeAccessMode) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: modes}}
}

func claim(name string, modes ...corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	c := claimTemplate(name, modes...)
	c.Namespace = "ns"
	return &c
}

func audit1(t *testing.T, st manifest.Storage, ws ...manifest.Workload) Result {
	t.Helper()
	return Run(&manifest.Set{Workloads: ws, Storage: st}, Options{})
}

// only returns the findings of one rule.
func only(res Result, id string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

func oneFinding(t *testing.T, fs []Finding, sev Severity, contains ...string) Finding {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Severity != sev {
		t.Errorf("severity %v, want %v (%s)", f.Severity, sev, f.Message)
	}
	for _, c := range contains {
		if !strings.Contains(f.Message+" FIX "+f.Fix+" ASSUME "+strings.Join(f.Assumptions, "; "), c) {
			t.Errorf("finding does not mention %q:\n%s\nFIX %s\nASSUME %q", c, f.Message, f.Fix,
				f.Assumptions)
		}
	}
	return f
}

func none(t *testing.T, fs []Finding) {
	t.Helper()
	if len(fs) != 0 {
		t.Errorf("unexpected findings: %+v", fs)
	}
}

var (
	ebsClass = &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "gp3",
		Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "ebs.csi.aws.com",
		Parameters:  map[string]string{"csi.storage.k8s.io/fstype": "ext4"}}
	blockStorage = manifest.Storage{StorageClasses: []*storagev1.StorageClass{ebsClass}}
)

func TestFSGroupWalkRule(t *testing.T) {
	sts := func(policy string) manifest.Workload {
		w := workload("StatefulSet", "db", withFSGroup(1000, policy), withMain("data"))
		w.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{
			claimTemplate("data", corev1.ReadWriteOnce)}
		return w
	}
	f := oneFinding(t, only(audit1(t, blockStorage, sts("")), idFSGroupWalk), Warning,
		"no fsGroupChangePolicy", "volumeClaimTemplate \"data\"", "fsGroupChangePolicy: OnRootMismatch",
		"VOLUME_MOUNT_GROUP")
	if strings.Contains(f.Message, "probably") {
		t.Errorf("storage fully known, yet the message hedges: %s", f.Message)
	}
	oneFinding(t, only(audit1(t, blockStorage, sts("Always")), idFSGroupWalk), Warning, "explicit")
	oneFinding(t, only(audit1(t, blockStorage, sts("Sometimes")), idFSGroupWalk), Error,
		"not a valid value")
	none(t, only(audit1(t, blockStorage, sts("OnRootMismatch")), idFSGroupWalk))

	// Fresh per-pod volumes ignore the policy but are no restart hazard (case10 exporter).
	exporter := workload("Deployment", "exporter", withFSGroup(1001, ""), withEmptyDir("tmp"),
		withMain("tmp"))
	none(t, audit1(t, manifest.Storage{}, exporter).Findings)

	// No fsGroup: nothing to walk.
	none(t, only(audit1(t, blockStorage, workload("StatefulSet", "x", withPVC("d", "c"),
		withMain("d"))), idFSGroupWalk))

	// A ReadWriteMany claim walks only if the driver opts in with File: info when unknown,
	// warning when the CSIDriver in the input says File (case05's NFS driver).
	rwx := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{
		claim("shared", corev1.ReadWriteMany)}}
	rwx.PVCs[0].Spec.StorageClassName = ptrTo("nfs")
	rwx.StorageClasses = []*storagev1.StorageClass{{ObjectMeta: metav1.ObjectMeta{Name: "nfs"},
		Provisioner: "nfs.csi.k8s.io"}}
	dep := workload("Deployment", "web", withFSGroup(1000, ""), withPVC("d", "shared"), withMain("d"))
	oneFinding(t, only(audit1(t, rwx, dep), idFSGroupWalk), Info, "fsGroupPolicy: File")
	file := storagev1.FileFSGroupPolicy
	rwx.CSIDrivers = []*storagev1.CSIDriver{{ObjectMeta: metav1.ObjectMeta{Name: "nfs.csi.k8s.io"},
		Spec: storagev1.CSIDriverSpec{FSGroupPolicy: &file}}}
	oneFinding(t, only(audit1(t, rwx, dep), idFSGroupWalk), Warning, "fsGroupPolicy File")

	// Every container mounts it read-only: the fix points at persistentVolumeClaim.readOnly.
	ro := workload("Deployment", "ro", withFSGroup(1000, ""), withPVC("d", "c"), withMain("d"))
	ro.Template.Spec.Containers[0].VolumeMounts[0].ReadOnly = true
	oneFinding(t, only(audit1(t, manifest.Storage{}, ro), idFSGroupWalk), Warning,
		"persistentVolumeClaim.readOnly: true")
}

func ptrTo[T any](v T) *T { return &v }

func TestChownInitRule(t *testing.T) {
	pvcWorkload := func(script, subPath string) manifest.Workload {
		return workload("Deployment", "app", withPVC("data", "c"), withMain("data"),
			withInit("fix", script, "data", "/data", subPath))
	}
	st := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{claim("c", corev1.ReadWriteMany)}}

	oneFinding(t, only(audit1(t, st, pvcWorkload("chown -R 1000:1000 /data", "")), idChownInit),
		Warning, "init container fix", "chown -R 1000:1000 /data", "stat -c %u:%g /data")
	oneFinding(t, only(audit1(t, st, pvcWorkload("chown -R 1:1 /data/sub", "")), idChownInit),
		Warning)
	// A subPath mount still holds persistent data.
	oneFinding(t, only(audit1(t, st, pvcWorkload("chmod -R 700 /data", "pg")), idChownInit),
		Warning)
	// A recursive change of a parent directory reaches the mount.
	oneFinding(t, only(audit1(t, st, pvcWorkload("chown -R 1:1 /", "")), idChownInit), Warning)
	// Guarded by a test of the root's owner: info.
	oneFinding(t, only(audit1(t, st, pvcWorkload(
		`[ "$(stat -c %u /data)" = 1 ] || chown -R 1:1 /data`, "")), idChownInit), Info,
		"only after testing the owner")
	// Non-recursive, or on another path: nothing.
	none(t, only(audit1(t, st, pvcWorkload("chown 1:1 /data", "")), idChownInit))
	none(t, only(audit1(t, st, pvcWorkload("chown -R 1:1 /tmp", "")), idChownInit))

	// emptyDir (nexus-nxrm-ha): info.
	nexus := workload("StatefulSet", "nexus", withEmptyDir("d"), withMain("d"),
		withInit("own", "chown -R '200:200' /nexus-data", "d", "/nexus-data", ""))
	f := oneFinding(t, only(audit1(t, manifest.Storage{}, nexus), idChownInit), Info, "cheap")
	if strings.Contains(f.Fix, "repair existing files") {
		t.Errorf("a fresh volume has no existing files to repair: %s", f.Fix)
	}

	// Main containers are not init containers.
	main := workload("Deployment", "m", withPVC("data", "c"))
	main.Template.Spec.Containers = []corev1.Container{{Name: "app", Command: []string{"chown",
		"-R", "1:1", "/data"}, VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}}
	none(t, only(audit1(t, st, main), idChownInit))

	// PVC not in the input: the assumption is named.
	oneFinding(t, only(audit1(t, manifest.Storage{}, pvcWorkload("chown -R 1:1 /data", "")),
		idChownInit), Warning, "not in the input")
}

func TestOnRootMismatchDefeatedRule(t *testing.T) {
	orm := func(policy, script, subPath string, gid int64) manifest.Workload {
		return workload("Deployment", "app", withFSGroup(gid, policy), withPVC("data", "c"),
			withMain("data"), withInit("fix", script, "data", "/data", subPath))
	}
	st := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{claim("c", corev1.ReadWriteOnce)},
		StorageClasses: blockStorage.StorageClasses}
	check := func(name string, w manifest.Workload, want bool, contains ...string) {
		t.Run(name, func(t *testing.T) {
			fs := only(audit1(t, st, w), idORMDefeated)
			if !want {
				none(t, fs)
				return
			}
			oneFinding(t, fs, Warning, contains...)
		})
	}
	check("chmod 700 on the root", orm("OnRootMismatch", "chmod 700 /data", "", 1000), true,
		"root lacks group permission bits", "2770")
	check("chmod 0775: setgid cleared by busybox only", orm("OnRootMismatch",
		"chmod 0775 /data", "", 1000), true, "busybox")
	check("busybox chmod 0775: certain", orm("OnRootMismatch", "busybox chmod 0775 /data", "",
		1000), true, "lacks the setgid bit")
	check("chmod 2775 keeps the root matching", orm("OnRootMismatch", "chmod 2775 /data", "",
		1000), false)
	check("chmod g-s", orm("OnRootMismatch", "chmod g-s /data", "", 1000), true, "setgid")
	check("chmod 700 below the root only", orm("OnRootMismatch",
		"find /data -mindepth 1 -exec chmod 700 {} +", "", 1000), false)
	check("chmod 700 through a subPath mount", orm("OnRootMismatch", "chmod -R 700 /data", "pg",
		1000), false)
	check("chown to fsGroup", orm("OnRootMismatch", "chown -R 5:1000 /data", "", 1000), false)
	check("chown to another group", orm("OnRootMismatch", "chown -R 5:5 /data", "", 1000), true,
		"root group differs")
	check("chgrp by name", orm("OnRootMismatch", "chgrp -R postgres /data", "", 1000), true,
		"by name")
	check("policy Always: not this rule", orm("Always", "chmod 700 /data", "", 1000), false)

	// Two workloads share a claim with different fsGroups.
	a := workload("Deployment", "a", withFSGroup(1000, "OnRootMismatch"), withPVC("d", "c"),
		withMain("d"))
	b := workload("Deployment", "b", withFSGroup(2000, "OnRootMismatch"), withPVC("d", "c"),
		withMain("d"))
	fs := only(audit1(t, st, a, b), idORMDefeated)
	if len(fs) != 2 || !strings.Contains(fs[0].Message, "Deployment ns/b with fsGroup 2000") {
		t.Errorf("shared claim: %+v", fs)
	}
	for _, f := range fs {
		if slices.ContainsFunc(f.Assumptions, func(s string) bool {
			return strings.Contains(s, "no namespace")
		}) {
			t.Errorf("same namespace, yet a namespace assumption: %q", f.Assumptions)
		}
	}
	// A workload without a namespace pairs with one that has it only by an assumption.
	b.Namespace = ""
	fs = only(audit1(t, st, a, b), idORMDefeated)
	if len(fs) != 2 || !slices.ContainsFunc(fs[0].Assumptions, func(s string) bool {
		return strings.Contains(s, "has no namespace in the input: assuming it is deployed "+
			"to namespace ns")
	}) {
		t.Errorf("no namespace: %+v", fs)
	}
}

func TestSELinuxRelabelRule(t *testing.T) {
	labelled := func(level string) manifest.Workload {
		w := workload("StatefulSet", "nb", withFSGroup(100, "OnRootMismatch"), withPVC("ws", "ws"),
			withMain("ws"))
		w.Template.Spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{
			Type: "container_t", Level: level}
		return w
	}
	oneFinding(t, only(audit1(t, manifest.Storage{}, labelled("s0:c1,c2")), idSELinuxRelabel),
		Warning, "enforcing", "seLinuxMount", "relabels every file")
	oneFinding(t, only(audit1(t, manifest.Storage{}, labelled("")), idSELinuxRelabel),
		Warning, "random MCS level")

	// case13: no seLinuxOptions at all is not flagged statically, unless the nodes are known
	// to enforce SELinux: the runtime then labels the pod with a random level.
	w := labelled("x")
	w.Template.Spec.SecurityContext.SELinuxOptions = nil
	none(t, only(audit1(t, manifest.Storage{}, w), idSELinuxRelabel))
	res := Run(&manifest.Set{Workloads: []manifest.Workload{w}}, Options{SELinuxNodes: true})
	oneFinding(t, only(res, idSELinuxRelabel), Warning, "sets no seLinuxOptions",
		"random MCS level")

	// Eligible for -o context: RWOP claim, seLinuxMount driver, 1.30.
	on := true
	st := manifest.Storage{
		PVCs: []*corev1.PersistentVolumeClaim{claim("ws", corev1.ReadWriteOncePod)},
		StorageClasses: []*storagev1.StorageClass{{ObjectMeta: metav1.ObjectMeta{Name: "rbd",
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
			Provisioner: "rbd.csi.ceph.com"}},
		CSIDrivers: []*storagev1.CSIDriver{{ObjectMeta: metav1.ObjectMeta{Name: "rbd.csi.ceph.com"},
			Spec: storagev1.CSIDriverSpec{SELinuxMount: &on}}},
	}
	res = Run(&manifest.Set{Workloads: []manifest.Workload{labelled("s0:c1,c2")}, Storage: st},
		Options{KubeMinor: 30})
	none(t, only(res, idSELinuxRelabel))
}

func TestRWORollingUpdateRule(t *testing.T) {
	dep := func(strategy appsv1.DeploymentStrategyType) manifest.Workload {
		w := workload("Deployment", "dash", withPVC("data", "c"), withMain("data"))
		w.Strategy = strategy
		return w
	}
	rwo := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{claim("c", corev1.ReadWriteOnce)}}
	oneFinding(t, only(audit1(t, rwo, dep("")), idRWORollingUpdate), Warning,
		"default RollingUpdate", "Multi-Attach", "Recreate")
	oneFinding(t, only(audit1(t, rwo, dep(appsv1.RollingUpdateDeploymentStrategyType)),
		idRWORollingUpdate), Warning)
	none(t, only(audit1(t, rwo, dep(appsv1.RecreateDeploymentStrategyType)), idRWORollingUpdate))

	rwx := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{claim("c", corev1.ReadWriteMany)}}
	none(t, only(audit1(t, rwx, dep("")), idRWORollingUpdate))
	oneFinding(t, only(audit1(t, manifest.Storage{}, dep("")), idRWORollingUpdate), Warning,
		"not in the input: assuming ReadWriteOnce")

	rwop := manifest.Storage{PVCs: []*corev1.PersistentVolumeClaim{
		claim("c", corev1.ReadWriteOncePod)}}
	oneFinding(t, only(audit1(t, rwop, dep("")), idRWORollingUpdate), Warning, "even on the same node")

	sts := workload("StatefulSet", "s", withPVC("data", "c"), withMain("data"))
	none(t, only(audit1(t, rwo, sts), idRWORollingUpdate))

	ro := workload("Rollout", "r", withPVC("data", "c"), withMain("data"))
	ro.APIVersion = "argoproj.io/v1alpha1"
	oneFinding(t, only(audit1(t, rwo, ro), idRWORollingUpdate), Warning, "Argo Rollouts")

	many := dep("")
	many.Replicas = ptrTo(int32(3))
	oneFinding(t, only(audit1(t, rwo, many), idRWORollingUpdate), Warning, "3 replicas")

	// One replica at the 25% defaults: surge 1, unavailable 0, so the old pod stays until the
	// new one is ready. Four replicas: one may be unavailable, no deadlock.
	oneFinding(t, only(audit1(t, rwo, dep("")), idRWORollingUpdate), Warning,
		"maxSurge 1 and maxUnavailable 0", "deadlocks")
	four := dep("")
	four.Replicas = ptrTo(int32(4))
	if f := only(audit1(t, rwo, four), idRWORollingUpdate); len(f) != 1 ||
		strings.Contains(f[0].Message, "deadlock") {
		t.Errorf("four replicas at 25%%: %v", f)
	}
	// maxSurge 0: the old pod goes first; the new one waits at most for the detach.
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	stop := dep(appsv1.RollingUpdateDeploymentStrategyType)
	stop.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: &zero, MaxUnavailable: &one}
	oneFinding(t, only(audit1(t, rwo, stop), idRWORollingUpdate), Info, "maxSurge 0", "detach")
}

// TestGuardTest: the suggested guard must print, for a top directory that already has what
// the command gives it, exactly the value it compares with.
func TestGuardTest(t *testing.T) {
	for _, tc := range []struct {
		tool, spec, format, want string
		ok                       bool
	}{
		{"chown", "1001", "%u", "1001", true},
		{"chown", "1001:2000", "%u:%g", "1001:2000", true},
		{"chown", "1001:", "", "", false},
		{"chown", "01001", "%u", "1001", true},
		{"chown", "01001:02000", "%u:%g", "1001:2000", true},
		{"chown", "1001.1001", "%u:%g", "1001:1001", true},
		{"chown", ":2000", "%g", "2000", true},
		{"chown", "postgres:postgres", "%U:%G", "postgres:postgres", true},
		{"chown", "first.last", "%U:%G", "first:last", true},
		{"chgrp", "2000", "%g", "2000", true},
		{"chgrp", "app", "%G", "app", true},
		{"chmod", "0775", "%a", "775", true},
		{"chmod", "2770", "%a", "2770", true},
		{"chmod", "g+rwX", "", "", false},
	} {
		format, want, ok := guardTest(tc.tool, tc.spec)
		if format != tc.format || want != tc.want || ok != tc.ok {
			t.Errorf("%s %s: %q %q %v, want %q %q %v", tc.tool, tc.spec, format, want, ok,
				tc.format, tc.want, tc.ok)
		}
	}
}
