package audit

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

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
		f := t.finding(idRWORollingUpdate, Warning, d.Volume, "")
		f.Message = rwoMessage(t, d, strategy, mode)
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

func rwoMessage(t *target, d ownership.Decision, strategy string,
	mode corev1.PersistentVolumeAccessMode) string {
	msg := fmt.Sprintf("%s starts the new pod while the old one still mounts %s claim %s", strategy,
		mode, d.Claim)
	if mode == corev1.ReadWriteOncePod {
		msg += ": the new pod cannot start, even on the same node, until the old pod is gone"
	} else {
		msg += ": a new pod scheduled on another node waits with a Multi-Attach error until " +
			"the old pod is gone, and with maxUnavailable 0 the rollout deadlocks"
	}
	if r := t.w.Replicas; r != nil && *r > 1 {
		msg += fmt.Sprintf("; its %d replicas also share one ReadWriteOnce volume, which works "+
			"only while they all run on one node", *r)
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
