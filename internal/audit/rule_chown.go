package audit

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/startlag/startlag/internal/ownership"
)

var ruleChownInit = Rule{
	ID:       idChownInit,
	Severity: Warning,
	Summary: "an init container runs a recursive chown/chgrp/chmod over a persistent volume " +
		"at every pod start",
	Explanation: "Init containers run before every start of the pod. A `chown -R`, `chmod -R`, " +
		"`find ... -exec chown` or `find | xargs chown -R` over a volume's mount path touches " +
		"every file each time: one system call per file, a network round trip per file on NFS " +
		"or network block storage. A 12 Ti NFS share kept a pod in Init for 33 minutes. " +
		"Combined with fsGroup it is a second full pass on top of the kubelet's own walk, and " +
		"a chmod that drops the setgid bit or group permissions from the volume root makes " +
		"fsGroupChangePolicy: OnRootMismatch walk again at the next start.",
	Fix: "Remove the init container, or make it conditional and non-recursive (test the " +
		"root's owner first and change only the top directory); fix existing data once, " +
		"offline. Let fsGroup with fsGroupChangePolicy: OnRootMismatch give the pod's group " +
		"access instead.",
	Doc:   docURL(idChownInit),
	Check: checkChownInit,
}

// initHit is one recursive-or-not permission change an init container makes on a volume.
type initHit struct {
	container string
	volume    string
	mount     corev1.VolumeMount
	op        permOp
	root      bool
	recursive bool
}

// initHits lists every chown/chgrp/chmod of an init container that lands on a volume mount.
// The result is computed once per target.
func initHits(t *target) []initHit {
	if t.hits == nil {
		t.hits = findInitHits(t)
	}
	return t.hits
}

func findInitHits(t *target) []initHit {
	hits := []initHit{}
	for i := range t.spec.InitContainers {
		c := &t.spec.InitContainers[i]
		argv := append(append([]string{}, c.Command...), c.Args...)
		for _, op := range commandOps(argv, containerEnv(c), c.WorkingDir) {
			for _, tg := range op.Paths {
				for _, m := range mountsFor(c, op, tg) {
					hits = append(hits, initHit{container: c.Name, volume: m.mount.Name,
						mount: m.mount, op: op, root: m.root,
						recursive: op.Recursive})
				}
			}
		}
	}
	return hits
}

// hitGroup gathers one init container's recursive changes to one volume.
type hitGroup struct {
	container, volume string
	mount             corev1.VolumeMount
	ops               []permOp
	// rootOps are the ops that reach the volume's root directory itself.
	rootOps []permOp
}

func groupHits(hits []initHit) []*hitGroup {
	var groups []*hitGroup
	for _, h := range hits {
		if !h.recursive {
			continue
		}
		var g *hitGroup
		for _, x := range groups {
			if x.container == h.container && x.volume == h.volume {
				g = x
			}
		}
		if g == nil {
			g = &hitGroup{container: h.container, volume: h.volume, mount: h.mount}
			groups = append(groups, g)
		}
		if !containsOp(g.ops, h.op) {
			g.ops = append(g.ops, h.op)
		}
		if h.root && !containsOp(g.rootOps, h.op) {
			g.rootOps = append(g.rootOps, h.op)
		}
	}
	return groups
}

func containsOp(ops []permOp, op permOp) bool {
	for _, o := range ops {
		if o.Text == op.Text && o.Tool == op.Tool && o.Spec == op.Spec {
			return true
		}
	}
	return false
}

func checkChownInit(t *target) []Finding {
	var out []Finding
	for _, g := range groupHits(initHits(t)) {
		d, ok := t.decision(g.volume)
		if !ok {
			continue
		}
		f := t.finding(idChownInit, chownSeverity(d, g.ops), g.volume, g.container)
		f.Message = chownMessage(t, d, g)
		f.Fix = chownFix(t, d, g)
		if d.Kind == ownership.KindPVC && d.AccessModes == nil {
			f.Assumptions = append(f.Assumptions, fmt.Sprintf("PersistentVolumeClaim %s is "+
				"not in the input: assuming it holds data that outlives the pod", d.Claim))
		}
		if needsBusyboxNote(g.rootOps) {
			f.Assumptions = append(f.Assumptions, busyboxNote)
		}
		out = append(out, f)
	}
	return out
}

// chownSeverity: a pass over persistent data at every start is a warning; over a fresh
// per-pod volume, or only after a test of the root's owner, it is info.
func chownSeverity(d ownership.Decision, ops []permOp) Severity {
	if !persistentData(d) {
		return Info
	}
	for _, op := range ops {
		if !op.Guarded {
			return Warning
		}
	}
	return Info
}

func chownMessage(t *target, d ownership.Decision, g *hitGroup) string {
	var b strings.Builder
	cmds := make([]string, len(g.ops))
	for i, op := range g.ops {
		cmds[i] = quoteCmd(op.Text)
	}
	fmt.Fprintf(&b, "init container %s runs %s on %s, mounted at %s,", g.container,
		strings.Join(cmds, " and "), volumeLabel(d), g.mount.MountPath)
	switch {
	case !persistentData(d):
		b.WriteString(" but the volume is created for each pod, so the pass is cheap")
	case allGuarded(g.ops):
		b.WriteString(" only after testing the owner, so it rarely walks")
	default:
		fmt.Fprintf(&b, " before every start: %d full %s over the volume's files", len(g.ops),
			plural(len(g.ops), "pass", "passes"))
		if d.RestartHazard() {
			b.WriteString(", on top of the kubelet's own fsGroup walk")
		}
	}
	b.WriteString(".")
	if anyFiltered(g.ops) {
		b.WriteString(" find selects only mismatching entries, but still reads every " +
			"entry's metadata each time.")
	}
	if d.RestartHazard() && removesGroupRW(g.ops) {
		b.WriteString(" Its chmod removes the group read-write bits the kubelet's walk adds, " +
			"so the two rewrite every entry again at every start.")
	}
	if dropsSetgid(g.rootOps) {
		b.WriteString(" Its chmod of the volume root to a mode without setgid can clear the " +
			"setgid bit the kubelet sets there, which fails OnRootMismatch's root test.")
	}
	return b.String()
}

func chownFix(t *target, d ownership.Decision, g *hitGroup) string {
	if !persistentData(d) {
		return fmt.Sprintf("Nothing is urgent: the volume starts empty in each pod. To spare "+
			"the pass anyway, chown only the mount point (e.g. %s) or drop init container %s.",
			guardedExample(g), g.container)
	}
	fix := fmt.Sprintf("Remove init container %s, or make it conditional and non-recursive, "+
		"e.g. %s, and repair existing files once.", g.container, guardedExample(g))
	if fg := t.fsGroup(); fg != nil {
		fix += fmt.Sprintf(" fsGroup %d already gives the pod's group access; with "+
			"%s.securityContext.fsGroupChangePolicy: OnRootMismatch the kubelet repairs only "+
			"when the root is wrong.", *fg, t.specPath())
	}
	if dropsSetgid(g.rootOps) {
		fix += " Never chmod the volume's directories to a mode without setgid (use 2775, " +
			"or g+rwX): a root without setgid makes OnRootMismatch walk at every start."
	}
	return fix
}

func allGuarded(ops []permOp) bool {
	for _, op := range ops {
		if !op.Guarded {
			return false
		}
	}
	return true
}

func anyFiltered(ops []permOp) bool {
	for _, op := range ops {
		if op.Filtered {
			return true
		}
	}
	return false
}

// dropsSetgid reports whether a chmod sets directories (the root included) to a mode that
// leaves setgid clear with at least one chmod implementation.
func dropsSetgid(ops []permOp) bool {
	for _, op := range ops {
		if op.Tool != "chmod" || op.FilesOnly || op.SkipsRoot {
			continue
		}
		res := applyChmod(rootAfterWalk(1), op.Spec, true)
		if res.known && res.mode&ownership.SetgidBit == 0 {
			return true
		}
	}
	return false
}

// needsBusyboxNote reports whether a conclusion about setgid depends on the chmod in use.
func needsBusyboxNote(ops []permOp) bool {
	for _, op := range ops {
		if op.Tool != "chmod" || op.Busybox {
			continue
		}
		gnu := applyChmod(rootAfterWalk(1), op.Spec, false)
		bb := applyChmod(rootAfterWalk(1), op.Spec, true)
		if gnu.known && bb.known && gnu.mode != bb.mode {
			return true
		}
	}
	return false
}

const busyboxNote = "a numeric chmod such as 0775 clears a directory's setgid bit with " +
	"busybox or toybox chmod; GNU coreutils chmod keeps it unless the mode has five digits " +
	"or uses '=' (assumed here: the image's chmod clears it)"

// guardedExample shows the first op rewritten as a test of the top directory followed by a
// non-recursive change, or a sentence saying so when the spec cannot be tested with stat.
func guardedExample(g *hitGroup) string {
	op := g.ops[0]
	dir := g.mount.MountPath
	if len(op.Paths) > 0 && !op.Paths[0].Children {
		dir = op.Paths[0].Path
	}
	format, want, ok := guardTest(op.Tool, op.Spec)
	if !ok {
		return fmt.Sprintf("`%s %s %s` run only when a test of %s's own owner and mode "+
			"says it is needed", op.Tool, op.Spec, dir, dir)
	}
	return fmt.Sprintf("`[ \"$(stat -c %s %s)\" = %s ] || %s %s %s`", format, dir, want,
		op.Tool, op.Spec, dir)
}

// guardTest returns the stat -c format and the value it prints when the top directory already
// has what `tool spec` gives it: %u/%g for numeric ids, %U/%G for names, %a for an octal
// mode (stat prints no leading zeros). ok is false for what stat cannot compare with one
// string, such as a symbolic mode (g+rwX).
func guardTest(tool, spec string) (format, want string, ok bool) {
	// A numeric id is compared as stat prints it (01001 as 1001), a name by name.
	id := func(s string, num, name string) (string, string) {
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			return num, strconv.FormatUint(n, 10)
		}
		return name, s
	}
	switch tool {
	case "chgrp":
		format, want = id(spec, "%g", "%G")
		return format, want, spec != ""
	case "chmod":
		mode, ok := octal(spec)
		if !ok {
			return "", "", false
		}
		return "%a", strconv.FormatUint(uint64(mode), 8), true
	}
	sepChar := ":"
	if !strings.Contains(spec, ":") && strings.Contains(spec, ".") {
		sepChar = "." // the old USER.GROUP form chown still accepts
	}
	user, group, sep := strings.Cut(spec, sepChar)
	uf, uw := id(user, "%u", "%U")
	gf, gw := id(group, "%g", "%G")
	switch {
	case user != "" && !sep: // "1000"
		return uf, uw, true
	case user == "" && group != "": // ":1000"
		return gf, gw, true
	case user != "" && group != "":
		return uf + ":" + gf, uw + ":" + gw, true
	}
	// "1000:" also sets the user's login group, which only the node's passwd file names.
	return "", "", false
}

// removesGroupRW reports whether a chmod leaves the group without read or write, undoing
// what the kubelet's walk adds.
func removesGroupRW(ops []permOp) bool {
	for _, op := range ops {
		if op.Tool != "chmod" {
			continue
		}
		r := applyChmod(rootAfterWalk(1), op.Spec, false)
		if r.known && r.mode&0o060 != 0o060 {
			return true
		}
	}
	return false
}
