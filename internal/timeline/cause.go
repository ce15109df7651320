package timeline

import (
	"fmt"
	"time"
)

// CauseID names why a start-up was slow. The ids are a public contract: they appear in the JSON
// output and each has a page docs/causes/<id>.md.
type CauseID string

// Cause ids.
const (
	CauseFSGroupWalk        CauseID = "fsgroup-walk"
	CauseFSGroupWalkFailed  CauseID = "fsgroup-walk-failed"
	CauseCSIDriverWalk      CauseID = "csi-driver-walk"
	CauseSELinuxRelabel     CauseID = "selinux-relabel"
	CauseChownInitContainer CauseID = "chown-init-container"
	CauseVolumeAttachWait   CauseID = "volume-attach-wait"
	CauseImagePull          CauseID = "image-pull"
	CauseAppStart           CauseID = "app-start"
	CauseUnknown            CauseID = "unknown"
)

// Confidence of a diagnosis.
type Confidence string

// Confidence levels: high = a line names the cause, or the pod spec states it (an explicit
// fsGroupChangePolicy: Always and the time spent where the walk runs); medium = timing plus
// context point to it; low = timing alone.
const (
	ConfidenceHigh   Confidence = "high"
	ConfidenceMedium Confidence = "medium"
	ConfidenceLow    Confidence = "low"
)

// causeInfo is the fixed text of a cause.
type causeInfo struct {
	Title string
	Fix   string
}

// causes holds the title and the standard fix of every cause id.
var causes = map[CauseID]causeInfo{
	CauseFSGroupWalk: {
		Title: "recursive fsGroup ownership change (kubelet walks every file at every mount)",
		Fix: "set spec.securityContext.fsGroupChangePolicy: OnRootMismatch (GA since 1.23), " +
			"after checking with `startlag scan` that the volume already matches; or drop fsGroup " +
			"when runAsUser/runAsGroup already own the data",
	},
	CauseFSGroupWalkFailed: {
		Title: "the fsGroup ownership walk fails (permission denied, e.g. NFS root_squash)",
		Fix: "make the volume root pass the OnRootMismatch test once on the server " +
			"(chgrp <fsGroup> . && chmod 2770 .) and use OnRootMismatch, or remove fsGroup, or set " +
			"the CSIDriver fsGroupPolicy: None (cluster-wide), or export with no_root_squash",
	},
	CauseCSIDriverWalk: {
		Title: "the CSI driver walks the volume itself during NodeStageVolume (globalmount)",
		Fix: "fsGroupChangePolicy does not reach this path: remove fsGroup from the pod (or stop " +
			"requesting a mount group), or use the driver's own option to skip ownership changes",
	},
	CauseSELinuxRelabel: {
		Title: "recursive SELinux relabel of a volume inside CreateContainer",
		Fix: "give the pod a fixed securityContext.seLinuxOptions.level and mount with -o context " +
			"(CSIDriver seLinuxMount: true / SELinuxMount, or seLinuxChangePolicy: MountOption); on " +
			"CRI-O the TrySkipVolumeSELinuxLabel annotation",
	},
	CauseChownInitContainer: {
		Title: "an init container changes ownership recursively (chown -R) at every start",
		Fix: "make the init container conditional and non-recursive (only when the top directory " +
			"is wrong), or fix ownership once on the storage and drop the init container",
	},
	CauseVolumeAttachWait: {
		Title: "waiting for the volume to be attached to the node (Multi-Attach, slow attach)",
		Fix: "use strategy.type: Recreate (or a StatefulSet) for workloads that mount " +
			"ReadWriteOnce volumes; for a dead node use the node.kubernetes.io/out-of-service taint",
	},
	CauseImagePull: {
		Title: "pulling the container image",
		Fix:   "pre-pull or slim the image, or use a registry mirror close to the nodes",
	},
	CauseAppStart: {
		Title: "the application itself (start-up until ready), not volume setup",
		Fix:   "look at the application's start-up and readiness probe; volumes are not the cause",
	},
	CauseUnknown: {
		Title: "not determined from the inputs",
		Fix: "add the kubelet log of the node (-v=2 or more), the pod's events and " +
			"`kubectl get pod -o yaml` to the inputs",
	},
}

// Title returns the one-line description of the cause.
func (c CauseID) Title() string { return causes[c].Title }

// DocPath is the cause's documentation page, relative to the repository root.
func (c CauseID) DocPath() string { return "docs/causes/" + string(c) + ".md" }

// AllCauses lists every cause id, in a stable order.
func AllCauses() []CauseID {
	return []CauseID{
		CauseFSGroupWalk, CauseFSGroupWalkFailed, CauseCSIDriverWalk, CauseSELinuxRelabel,
		CauseChownInitContainer, CauseVolumeAttachWait, CauseImagePull, CauseAppStart, CauseUnknown,
	}
}

// Diagnosis names the phase that ate the time and why.
type Diagnosis struct {
	Cause CauseID
	Phase PhaseName
	// Delay is the time the cause cost. UpperBound is true when it also contains neighbouring
	// steps the input cannot separate.
	Delay      time.Duration
	UpperBound bool
	// DelayUnknown is true when the input cannot date the end of the slow phase (Delay is
	// then 0 and there is no cost).
	DelayUnknown bool
	Confidence   Confidence
	// Summary is one or two sentences in plain words.
	Summary  string
	Evidence []Evidence
	Fix      string
	// RuledOut lists misleading signals in the input and why they are not the cause.
	RuledOut []string
	// FilesPerSecond and Files come from ownership progress reports, when present.
	FilesPerSecond float64
	Files          int64
	Cost           *Cost
}

// Cost turns the delay into engineer time.
type Cost struct {
	RestartsPerMonth float64
	HoursPerYear     float64
	Formula          string
}

// costOf computes the yearly cost of delay for restartsPerMonth restarts: delay × restarts × 12 /
// 3600 hours. It returns nil when restartsPerMonth is not positive.
func costOf(delay time.Duration, restartsPerMonth float64) *Cost {
	if restartsPerMonth <= 0 {
		return nil
	}
	secs := delay.Seconds()
	hours := secs * restartsPerMonth * 12 / 3600
	return &Cost{
		RestartsPerMonth: restartsPerMonth,
		HoursPerYear:     hours,
		Formula: fmt.Sprintf("%.0f s × %g restarts/month × 12 / 3600 = %.1f h/year",
			secs, restartsPerMonth, hours),
	}
}
