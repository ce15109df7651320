package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

var ruleOnRootMismatchDefeated = Rule{
	ID:       idORMDefeated,
	Severity: Warning,
	Summary: "fsGroupChangePolicy: OnRootMismatch is set, but something resets the volume " +
		"root so the kubelet walks the whole volume at every start anyway",
	Explanation: "OnRootMismatch skips the recursive walk only when the volume root has group " +
		"fsGroup, the group read-write-execute bits and the setgid bit. The test looks at the " +
		"root directory alone. An init container that runs chmod or chown on the root after " +
		"the kubelet (chmod 700, a numeric chmod that clears setgid, chown to another group) " +
		"leaves it mismatched, and so does a second workload mounting the same claim with a " +
		"different fsGroup: every start then walks the volume as if the policy were Always.",
	Fix: "Keep the volume root at group fsGroup with g+rwx and setgid: drop the resetting " +
		"command, make it skip the root, or point the application at a subdirectory. Give " +
		"every workload sharing a claim the same fsGroup.",
	Doc:   docURL(idORMDefeated),
	Check: checkOnRootMismatchDefeated,
}

func checkOnRootMismatchDefeated(t *target) []Finding {
	fg := t.fsGroup()
	if fg == nil || t.policy() != ownership.PolicyOnRootMismatch {
		return nil
	}
	out := rootResets(t, *fg)
	return append(out, sharedClaimFlips(t, *fg)...)
}

// rootSim replays the root-touching commands of the init containers on the root the kubelet
// leaves, with GNU and busybox chmod semantics.
type rootSim struct {
	gnu, bb     ownership.Entry
	containers  []string
	cmds        []string
	assumptions []string
	unknown     bool
}

func (s *rootSim) apply(h initHit) {
	op := h.op
	switch op.Tool {
	case "chmod":
		g := applyChmod(s.gnu, op.Spec, op.Busybox)
		b := applyChmod(s.bb, op.Spec, true)
		if !g.known || !b.known {
			s.unknown = true
			return
		}
		s.gnu.Mode, s.bb.Mode = g.mode, b.mode
	default:
		gid, changes, known := groupOf(op.Tool, op.Spec)
		if !changes {
			return
		}
		if !known {
			s.assumptions = append(s.assumptions, fmt.Sprintf("%s %s sets a group by name: "+
				"assuming it is not GID %d", op.Tool, op.Spec, s.gnu.GID))
			gid = s.gnu.GID + 1
		}
		s.gnu.GID, s.bb.GID = gid, gid
	}
	if !contains(s.containers, h.container) {
		s.containers = append(s.containers, h.container)
	}
	s.cmds = append(s.cmds, quoteCmd(op.Text))
}

func rootResets(t *target, fg int64) []Finding {
	sims := map[string]*rootSim{}
	var order []string
	for _, h := range initHits(t) {
		d, ok := t.decision(h.volume)
		if !ok || !h.root || d.Walks == ownership.WalksNo || !d.SkipsWhenRootMatches() {
			continue
		}
		s := sims[h.volume]
		if s == nil {
			s = &rootSim{gnu: rootAfterWalk(fg), bb: rootAfterWalk(fg)}
			sims[h.volume] = s
			order = append(order, h.volume)
		}
		s.apply(h)
	}
	var out []Finding
	for _, v := range order {
		if f, ok := rootResetFinding(t, fg, v, sims[v]); ok {
			out = append(out, f)
		}
	}
	return out
}

func rootResetFinding(t *target, fg int64, volume string, s *rootSim) (Finding, bool) {
	m := ownership.CheckRoot(s.gnu, fg, false)
	assumptions := s.assumptions
	if m == 0 {
		m = ownership.CheckRoot(s.bb, fg, false)
		if m == 0 || len(s.cmds) == 0 {
			return Finding{}, false
		}
		assumptions = append(assumptions, busyboxNote)
	}
	d, _ := t.decision(volume)
	f := t.finding(idORMDefeated, Warning, volume, strings.Join(s.containers, ", "))
	f.Message = fmt.Sprintf("fsGroupChangePolicy: OnRootMismatch, but init %s %s %s %s on the "+
		"root of %s after the kubelet's root test; it leaves the root mismatched (%s), so the "+
		"next start's test fails and the kubelet walks the whole volume again, every start.",
		plural(len(s.containers), "container", "containers"), strings.Join(s.containers, ", "),
		plural(len(s.containers), "runs", "run"), strings.Join(s.cmds, " and "), volumeLabel(d), m)
	f.Fix = fmt.Sprintf("Keep the root of %s at group %d with g+rwx and setgid: drop the "+
		"command, apply it only below the root (find -mindepth 1), use a mode such as 2770, or "+
		"move the data the application protects into a subdirectory.", volume, fg)
	f.Assumptions = append(assumptions, d.Assumptions...)
	return f, true
}

// sharedClaimFlips finds claims this workload shares with a workload of another fsGroup.
func sharedClaimFlips(t *target, fg int64) []Finding {
	var out []Finding
	for _, d := range t.decisions {
		if d.Kind != ownership.KindPVC || d.Walks == ownership.WalksNo || !persistentData(d) {
			continue
		}
		for _, p := range t.peers {
			other, ofg, ok := sharesClaim(t, p, d)
			if !ok || ofg == fg {
				continue
			}
			f := t.finding(idORMDefeated, Warning, d.Volume, "")
			f.Message = fmt.Sprintf("PersistentVolumeClaim %s is also mounted by %s with "+
				"fsGroup %d (this workload: %d): each mount finds the root group the other left, "+
				"fails the OnRootMismatch test and re-owns the whole volume, back and forth.",
				d.Claim, other, ofg, fg)
			f.Fix = fmt.Sprintf("Give every workload mounting %s the same fsGroup (or use "+
				"supplementalGroups for the second one).", d.Claim)
			f.Assumptions = append(slices.Clone(d.Assumptions), namespaceAssumption(t, p)...)
			out = append(out, f)
		}
	}
	return out
}

// namespaceAssumption says which namespace a pairing of two workloads takes for granted when
// one of them has none in the input (claims are namespaced: both must run in the same one).
func namespaceAssumption(t, p *target) []string {
	if t.ref.Namespace == p.ref.Namespace {
		return nil
	}
	without, with := t, p
	if p.ref.Namespace == "" {
		without, with = p, t
	}
	return []string{fmt.Sprintf("%s has no namespace in the input: assuming it is deployed "+
		"to namespace %s, beside %s", without.ref.display(), with.ref.Namespace,
		with.ref.display())}
}

// sharesClaim reports whether peer p mounts the claim of d (walked) and with which fsGroup.
func sharesClaim(t, p *target, d ownership.Decision) (string, int64, bool) {
	if p == t || p.fsGroup() == nil {
		return "", 0, false
	}
	if !(t.ref.Namespace == "" || p.ref.Namespace == "" || t.ref.Namespace == p.ref.Namespace) {
		return "", 0, false
	}
	for _, pd := range p.decisions {
		if pd.Kind == ownership.KindPVC && pd.Claim == d.Claim && pd.Walks != ownership.WalksNo {
			return p.ref.display(), *p.fsGroup(), true
		}
	}
	return "", 0, false
}
