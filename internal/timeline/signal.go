package timeline

import (
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// sigKind is what one input item (log line, event, condition) tells about a pod. It is a superset
// of kubelog.Kind: events and pod status add kinds no log line carries.
type sigKind uint8

const (
	sigNone sigKind = iota
	sigScheduled
	sigKubeletSaw // SyncLoop ADD
	sigVerifyAttach
	sigAttached
	sigMultiAttach
	sigAttachFailed
	sigMountStarted
	sigMountDevice
	sigMountDeviceFailed
	sigSetUp
	sigSetUpFailed
	sigWaitTimeout
	sigWaitCanceled
	sigOwnWarning
	sigOwnProgress
	sigOwnSkipped
	sigOwnRecursive
	sigOwnFailed
	sigFSGroupDelegated
	sigNoSandbox
	sigSandboxReady
	sigSandboxFailed
	sigPulling
	sigPulled
	sigCreated
	sigStarted
	sigCreateErr
	sigNameReserved
	sigSELinuxRelabel
	sigStageStarted
	sigStageDone
	sigDriverOwnership
	sigInitStarted
	sigInitFinished
	sigReady
	sigKilling
	sigDeleted
	sigCount // number of kinds; keep last
)

// fromLogKind maps a kubelog kind to a signal kind (sigNone for kinds explain does not use).
var fromLogKind = map[kubelog.Kind]sigKind{
	kubelog.KindOwnershipWarning:       sigOwnWarning,
	kubelog.KindOwnershipProgress:      sigOwnProgress,
	kubelog.KindOwnershipSkipped:       sigOwnSkipped,
	kubelog.KindOwnershipRecursive:     sigOwnRecursive,
	kubelog.KindOwnershipGIDDiffers:    sigOwnRecursive,
	kubelog.KindOwnershipModeDiffer:    sigOwnRecursive,
	kubelog.KindOwnershipFailed:        sigOwnFailed,
	kubelog.KindFSGroupDelegated:       sigFSGroupDelegated,
	kubelog.KindVerifyAttachStarted:    sigVerifyAttach,
	kubelog.KindAttachSucceeded:        sigAttached,
	kubelog.KindMultiAttach:            sigMultiAttach,
	kubelog.KindMountStarted:           sigMountStarted,
	kubelog.KindMountDeviceSucceeded:   sigMountDevice,
	kubelog.KindMountDeviceFailed:      sigMountDeviceFailed,
	kubelog.KindSetUpSucceeded:         sigSetUp,
	kubelog.KindSetUpFailed:            sigSetUpFailed,
	kubelog.KindVolumeWaitTimeout:      sigWaitTimeout,
	kubelog.KindVolumeWaitCanceled:     sigWaitCanceled,
	kubelog.KindSyncLoopAdd:            sigKubeletSaw,
	kubelog.KindSyncLoopDelete:         sigDeleted,
	kubelog.KindNoSandbox:              sigNoSandbox,
	kubelog.KindSandboxCreated:         sigSandboxReady,
	kubelog.KindImagePulling:           sigPulling,
	kubelog.KindImagePulled:            sigPulled,
	kubelog.KindContainerCreated:       sigCreated,
	kubelog.KindContainerStarted:       sigStarted,
	kubelog.KindCreateContainerErr:     sigCreateErr,
	kubelog.KindNameReserved:           sigNameReserved,
	kubelog.KindSELinuxRelabel:         sigSELinuxRelabel,
	kubelog.KindNodeStageStarted:       sigStageStarted,
	kubelog.KindNodeStageDone:          sigStageDone,
	kubelog.KindDriverOwnership:        sigDriverOwnership,
	kubelog.KindWaitForAttachSucceeded: sigAttached,
}

// signal is one normalised input item.
type signal struct {
	kind sigKind
	at   time.Time
	// prec is how coarse at is (0 for exact timestamps, a second or a minute for relative
	// ages).
	prec   time.Duration
	pod    kubelog.PodRef
	volume string
	path   string
	detail string
	err    string
	count  int64
	// repeat is the number of times an aggregated event occurred (count/series), 0 or 1 if once.
	repeat int
	ev     Evidence
	// unstructured is true for log lines in the pre-structured kubelet wording (≤1.19 era).
	unstructured bool
	component    string
}

// fromLog turns a kubelog event into a signal; ok is false when explain has no use for it.
func fromLog(e kubelog.Event) (signal, bool) {
	k, ok := fromLogKind[e.Kind]
	if !ok {
		return signal{}, false
	}
	s := signal{
		kind: k, at: e.Time, pod: cleanRef(e.Pod), volume: e.Volume, path: e.Path,
		detail: e.Detail, err: e.Err, count: e.Count, component: e.Component,
		ev: Evidence{File: e.Src.File, Line: e.Src.Line, Text: e.Text, Time: e.Time},
	}
	s.unstructured = isUnstructuredKubelet(e.Text)
	if k == sigOwnWarning && isStagingPath(e.Path) {
		s.kind = sigDriverOwnership
	}
	return s, true
}

// cleanRef drops identifiers that are placeholders rather than names ("...", "<uid>").
func cleanRef(r kubelog.PodRef) kubelog.PodRef {
	if !looksLikeUID(r.UID) {
		r.UID = ""
	}
	if !looksLikeName(r.Name) {
		r.Name = ""
	}
	if !looksLikeName(r.Namespace) {
		r.Namespace = ""
	}
	return r
}

// looksLikeUID reports whether s has the shape of a Kubernetes UID (36 hex digits and dashes).
func looksLikeUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		dash := i == 8 || i == 13 || i == 18 || i == 23
		if dash != (c == '-') {
			return false
		}
		if !dash && !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// looksLikeName reports whether s can be a DNS-1123 object name (lenient: no validation of the
// exact rules, only that it is not empty or a placeholder).
func looksLikeName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' ||
			c >= 'A' && c <= 'Z' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
