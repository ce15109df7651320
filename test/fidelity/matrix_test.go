package fidelity

import (
	"fmt"

	"github.com/startlag/startlag/internal/ownership"
)

// fsGroup is the pods' fsGroup in the matrix; no entry of the sample trees has it by accident.
const fsGroup = 3000

// rootState is a volume root's group and mode before the pod starts.
type rootState struct {
	name string
	gid  uint32
	mode uint32
}

// rootStates are the OnRootMismatch situations the matrix covers.
var rootStates = []rootState{
	{"root-matching", fsGroup, 0o2770},
	{"root-no-setgid", fsGroup, 0o770},
	{"root-wrong-gid", 0, 0o2770},
	{"root-mode-reset", fsGroup, 0o755},
	{"root-no-group-write", fsGroup, 0o2750},
}

// policies are the fsGroupChangePolicy values.
var policies = []ownership.Policy{
	ownership.PolicyUnset, ownership.PolicyAlways, ownership.PolicyOnRootMismatch,
}

// dominantWalk is the bulk size from which the walk can dominate the pod start-up (about 1 s of
// walking at 5-20 µs per file), so explain must name it as the cause when the kubelet's metric
// shows it did (see dominates).
const dominantWalk = 50000

// fidelityCase is one pod start on one freshly built volume.
type fidelityCase struct {
	name    string
	ext4    bool
	root    rootState
	fsGroup *int64
	policy  ownership.Policy
	// mountRO sets the container's volumeMount readOnly; claimRO sets the pod volume's
	// persistentVolumeClaim.readOnly (the only read-only flag the kubelet's ownership code sees).
	mountRO, claimRO bool
	// shared starts a first pod (policy Always) on the volume, adds an offender, then runs the
	// case's pod beside it.
	shared bool
	// bulk adds this many plain files (0644, root:root) in bulk/dNNN/, 1000 per directory.
	bulk int
	// quirk names the kubelet behaviour the model does not cover (see README.md); the case
	// then expects the kubelet to leave ownership alone.
	quirk string
}

// The local plugin's quirks (pkg/volume/local/local.go, SetUpAt).
const (
	quirkLocalReadOnly = "local plugin skips ownership on read-only claims"
	quirkLocalShared   = "local plugin skips ownership when another pod has the volume mounted"
)

// matrix lists the cases: every root state under every policy on the sample tree, then the
// ext4, read-only, unset-fsGroup and shared-volume cases.
func matrix() []fidelityCase {
	g := int64(fsGroup)
	var cs []fidelityCase
	for _, r := range rootStates {
		for _, p := range policies {
			cs = append(cs, fidelityCase{name: r.name + "/" + policyName(p), root: r,
				fsGroup: &g, policy: p})
		}
	}
	fresh := rootState{"ext4-fresh", 0, 0o755}
	cs = append(cs,
		fidelityCase{name: "ext4-fresh/Always", ext4: true, root: fresh, fsGroup: &g,
			policy: ownership.PolicyAlways, bulk: 500},
		fidelityCase{name: "ext4-big/Always", ext4: true, root: fresh, fsGroup: &g,
			policy: ownership.PolicyAlways, bulk: 300000},
		fidelityCase{name: "ext4-fresh/OnRootMismatch", ext4: true, root: fresh, fsGroup: &g,
			policy: ownership.PolicyOnRootMismatch},
		fidelityCase{name: "ext4-matching/OnRootMismatch", ext4: true, root: rootStates[0],
			fsGroup: &g, policy: ownership.PolicyOnRootMismatch},
		fidelityCase{name: "no-fsgroup/Always", root: rootStates[2],
			policy: ownership.PolicyAlways},
		fidelityCase{name: "mount-readonly/Always", root: rootStates[2], fsGroup: &g,
			policy: ownership.PolicyAlways, mountRO: true},
		fidelityCase{name: "mount-readonly/OnRootMismatch", root: rootStates[0], fsGroup: &g,
			policy: ownership.PolicyOnRootMismatch, mountRO: true},
		fidelityCase{name: "claim-readonly/Always", root: rootStates[2], fsGroup: &g,
			policy: ownership.PolicyAlways, claimRO: true, quirk: quirkLocalReadOnly},
		fidelityCase{name: "claim-readonly/OnRootMismatch", root: rootStates[3], fsGroup: &g,
			policy: ownership.PolicyOnRootMismatch, claimRO: true, quirk: quirkLocalReadOnly},
		fidelityCase{name: "shared-volume/Always", root: rootStates[2], fsGroup: &g,
			policy: ownership.PolicyAlways, shared: true, quirk: quirkLocalShared},
	)
	return cs
}

func policyName(p ownership.Policy) string {
	if p == ownership.PolicyUnset {
		return "unset"
	}
	return string(p)
}

// sampleTree is the tree every plain case starts from: offenders at several depths, entries
// that already comply, special bits, every entry type, symlinks inside, outside and dangling,
// a hard link, and a file owned by another user. outside is an absolute path outside the volume
// that one symlink points to.
func sampleTree(r rootState, outside string, bulk int) []Node {
	d, f, l, o := ownership.TypeDir, ownership.TypeFile, ownership.TypeSymlink, ownership.TypeOther
	nodes := []Node{
		{Path: ".", Type: d, Mode: r.mode, GID: r.gid},
		{Path: "a", Type: d, Mode: 0o755},
		{Path: "a/file", Type: f, Mode: 0o644},
		{Path: "a/exec.sh", Type: f, Mode: 0o755},
		{Path: "a/b", Type: d, Mode: 0o750},
		{Path: "a/b/c", Type: d, Mode: 0o700, UID: 1234, GID: 1234},
		{Path: "a/b/c/private", Type: f, Mode: 0o600, UID: 1234, GID: 1234},
		{Path: "a/b/c/d", Type: d, Mode: 0o2775, GID: fsGroup},
		{Path: "a/b/c/d/e", Type: d, Mode: 0o2770, GID: fsGroup},
		{Path: "a/b/c/d/e/deep-offender", Type: f, Mode: 0o640},
		{Path: "a/b/c/d/e/deep-compliant", Type: f, Mode: 0o660, GID: fsGroup},
		{Path: "setuid-exec", Type: f, Mode: 0o4755},
		{Path: "setgid-exec", Type: f, Mode: 0o2755},
		{Path: "setgid-noexec", Type: f, Mode: 0o2644},
		{Path: "sticky", Type: d, Mode: 0o1777},
		{Path: "zero", Type: f, Mode: 0},
		{Path: "compliant-dir", Type: d, Mode: 0o2770, GID: fsGroup},
		{Path: "compliant-dir/file", Type: f, Mode: 0o664, GID: fsGroup},
		{Path: "other-owner", Type: f, Mode: 0o644, UID: 1000, GID: 1000},
		{Path: "link-rel", Type: l, Target: "a/file"},
		{Path: "link-dangling", Type: l, Target: "missing"},
		{Path: "link-dir", Type: l, Target: "a"},
		{Path: "link-out", Type: l, Target: outside},
		{Path: "link-owned", Type: l, Target: "zero", UID: 1000, GID: 1000},
		{Path: "link-compliant", Type: l, Target: "zero", GID: fsGroup},
		{Path: "hardlink", Type: f, Target: "a/file"},
		{Path: "fifo", Type: o, Mode: 0o644, Special: "fifo"},
		{Path: "socket", Type: o, Mode: 0o755, Special: "socket"},
		{Path: "chardev", Type: o, Mode: 0o600, Special: "char"},
	}
	if bulk > 0 {
		nodes = append(nodes, Node{Path: "bulk", Type: d, Mode: 0o755})
	}
	for i := 0; i < bulk; i++ {
		sub := fmt.Sprintf("bulk/d%03d", i/1000)
		if i%1000 == 0 {
			nodes = append(nodes, Node{Path: sub, Type: d, Mode: 0o755})
		}
		nodes = append(nodes, Node{Path: fmt.Sprintf("%s/f%06d", sub, i), Type: f, Mode: 0o644})
	}
	return nodes
}
