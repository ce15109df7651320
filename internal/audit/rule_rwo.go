package audit

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/startlag/startlag/internal/ownership"
)

var ruleRWORollingUpdate = Rule{
	ID:       idRWORollingUpdate,
	Severity: Warning,
	Summary: "a Deployment or Rollout that surges new pods mounts a ReadWriteOnce claim, so " +
		"new pods wait for the old pod's volume",
	Explanation: "A RollingUpdate (the default when strategy is unset) or an Argo Rollouts " +
		"canary/blue-green update starts the new pod before the old one stops. A " +
		"ReadWriteOnce volume attaches to one node at a time: a new pod scheduled on another " +
		"node waits with a Multi-Attach error until the old pod is gone, and with " +
		"maxUnavailable 0 (what 25% rounds to for one replica) the rollout can deadlock. A " +
		"ReadWriteOncePod claim blocks the new pod even on the same node.",
	Fix: "Use strategy.type: Recreate for Deployments that mount ReadWriteOnce claims, or run " +
		"the workload as a StatefulSet with volumeClaimTemplates.",
	Doc:   docURL(idRWORollingUpdate),
	Check: checkRWORollingUpdate,
}

func checkRWORollingUpdate(t *target) []Finding {
	strategy, ok := surgingStrategy(t)
	if !ok {
		return nil
	}
	r := surge(t)
	sev := Warning
	if r.known && r.maxSurge == 0 {
		sev = Info // the wait is bounded by a detach, not an open-ended deadlock
	}
	var out []Finding
	for _, d := range t.decisions {
		if d.Kind != ownership.KindPVC || len(d.Mounts) == 0 {
			continue
		}
		var assumptions []string
		mode := corev1.ReadWriteOnce
		switch {
		case d.AccessModes == nil:
			assumptions = append(assumptions, fmt.Sprintf("PersistentVolumeClaim %s is not in "+
				"the input: assuming ReadWriteOnce, the most common access mode (ReadWriteMany "+
				"claims are not affected)", d.Claim))
		case d.HasAccessMode(corev1.ReadWriteOncePod):
			mode = corev1.ReadWriteOncePod
		case !d.HasAccessMode(corev1.ReadWriteOnce):
			continue
		}
		f := t.finding(idRWORollingUpdate, sev, d.Volume, "")
		f.Message = rwoMessage(t, d, strategy, mode, r)
		f.Fix = rwoFix(t)
		f.Assumptions = assumptions
		out = append(out, f)
	}
	return out
}

// surgingStrategy returns a description of the workload's update strategy when it starts new
// pods before old ones stop.
func surgingStrategy(t *target) (string, bool) {
	switch t.w.Kind {
	case "Deployment":
		switch t.w.Strategy {
		case "":
			return "the default RollingUpdate strategy", true
		case appsv1.RollingUpdateDeploymentStrategyType:
			return "strategy RollingUpdate", true
		}
	case "Rollout":
		if strings.HasPrefix(t.w.APIVersion, "argoproj.io/") {
			s := string(t.w.Strategy)
			if s == "" {
				s = "canary"
			}
			return "an Argo Rollouts " + s + " update", true
		}
	}
	return "", false
}

// rollingUpdate is a Deployment's maxSurge and maxUnavailable resolved for its replicas;
// known is false for kinds without those fields (Rollouts).
type rollingUpdate struct {
	maxSurge, maxUnavailable int
	known                    bool
}

// surge resolves them the way the Deployment controller does (percentages of replicas, surge
// rounded up, unavailability down; both 25% when unset).
func surge(t *target) rollingUpdate {
	rolling := t.w.Strategy == "" || t.w.Strategy == appsv1.RollingUpdateDeploymentStrategyType
	if t.w.Kind != "Deployment" || !rolling {
		return rollingUpdate{}
	}
	replicas := 1
	if t.w.Replicas != nil {
		replicas = int(*t.w.Replicas)
	}
	quarter := intstr.FromString("25%")
	s, u := &quarter, &quarter
	if ru := t.w.RollingUpdate; ru != nil {
		if ru.MaxSurge != nil {
			s = ru.MaxSurge
		}
		if ru.MaxUnavailable != nil {
			u = ru.MaxUnavailable
		}
	}
	ms, err1 := intstr.GetScaledValueFromIntOrPercent(s, replicas, true)
	mu, err2 := intstr.GetScaledValueFromIntOrPercent(u, replicas, false)
	if err1 != nil || err2 != nil {
		return rollingUpdate{}
	}
	return rollingUpdate{maxSurge: ms, maxUnavailable: mu, known: true}
}

func rwoMessage(t *target, d ownership.Decision, strategy string,
	mode corev1.PersistentVolumeAccessMode, r rollingUpdate) string {
	if r.known && r.maxSurge == 0 {
		return fmt.Sprintf("%s with maxSurge 0 stops an old pod before it starts a new one, but "+
			"the new pod may still be scheduled while the old one terminates and holds %s "+
			"claim %s: it then waits for the unmount and detach (a Multi-Attach error on "+
			"another node).", strategy, mode, d.Claim)
	}
	msg := fmt.Sprintf("%s starts the new pod while the old one still mounts %s claim %s", strategy,
		mode, d.Claim)
	switch {
	case mode == corev1.ReadWriteOncePod:
		msg += ": the new pod cannot start, even on the same node, until the old pod is gone"
	case r.known && r.maxUnavailable == 0:
		msg += fmt.Sprintf(": a new pod scheduled on another node waits with a Multi-Attach "+
			"error until the old pod is gone, and with maxSurge %d and maxUnavailable 0 the old "+
			"pod is kept until the new one is ready: the rollout deadlocks", r.maxSurge)
	default:
		msg += ": a new pod scheduled on another node waits with a Multi-Attach error until " +
			"the old pod is gone"
	}
	if n := t.w.Replicas; n != nil && *n > 1 {
		msg += fmt.Sprintf("; its %d replicas also share one ReadWriteOnce volume, which works "+
			"only while they all run on one node", *n)
	}
	return msg + "."
}

func rwoFix(t *target) string {
	if t.w.Kind == "Rollout" {
		return "Argo Rollouts has no Recreate strategy: move the claim to a StatefulSet's " +
			"volumeClaimTemplates, or use a ReadWriteMany volume."
	}
	return "Set spec.strategy.type: Recreate (and remove spec.strategy.rollingUpdate), or run " +
		"the workload as a StatefulSet with volumeClaimTemplates."
}
