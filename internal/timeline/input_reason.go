package timeline

import (
	"regexp"
	"strconv"
	"strings"
)

// reasonSignal maps a Kubernetes event (reason and message) to a signal kind and the fields the
// message carries. ok is false for events explain does not use.
func reasonSignal(reason, msg string) (signal, bool) {
	s := signal{detail: msg}
	switch reason {
	case "Scheduled":
		s.kind = sigScheduled
	case "SuccessfulAttachVolume":
		s.kind, s.volume = sigAttached, firstQuoted(msg)
	case "FailedAttachVolume":
		s.kind, s.volume = sigAttachFailed, firstQuoted(msg)
		if strings.Contains(msg, "Multi-Attach") {
			s.kind = sigMultiAttach
		}
	case "FailedMount":
		s = failedMount(msg)
	case "VolumePermissionChangeInProgress":
		s = permissionProgress(msg)
	case "Pulling":
		s.kind, s.detail = sigPulling, firstQuoted(msg)
	case "Pulled":
		s.kind, s.detail = sigPulled, firstQuoted(msg)
	case "Created":
		s.kind = sigCreated
	case "Started":
		s.kind = sigStarted
	case "Killing":
		s.kind = sigKilling
	case "FailedCreatePodSandBox":
		s.kind = sigSandboxFailed
	case "Failed":
		return failedContainer(msg)
	default:
		return signal{}, false
	}
	s.err = s.detail
	return s, s.kind != sigNone
}

// failedMount classifies a FailedMount message.
func failedMount(msg string) signal {
	s := signal{detail: msg, volume: firstQuoted(msg), err: msg}
	switch {
	case isOwnershipError(msg) || strings.Contains(msg, "MountVolume.SetUp failed") &&
		strings.Contains(msg, "permission denied"):
		s.kind = sigOwnFailed
		s.path = mountPathIn(msg)
	case strings.Contains(msg, "context canceled"):
		s.kind, s.volume = sigWaitCanceled, ""
	case strings.Contains(msg, "Unable to attach or mount volumes") ||
		strings.Contains(msg, "Unable to mount volumes") ||
		strings.Contains(msg, "timeout expired waiting for volumes"):
		s.kind, s.volume = sigWaitTimeout, ""
	case strings.Contains(msg, "MountDevice failed"):
		s.kind = sigMountDeviceFailed
	default:
		s.kind = sigSetUpFailed
	}
	return s
}

var processedRe = regexp.MustCompile(`Setting volume ownership for (\S+), processed (\d+) files`)
var slowOwnershipRe = regexp.MustCompile(`Setting volume ownership for (\S+) is taking longer`)

// permissionProgress reads a VolumePermissionChangeInProgress message: the first one says the
// walk runs for 30 s, later ones count processed files.
func permissionProgress(msg string) signal {
	if m := processedRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		return signal{kind: sigOwnProgress, path: m[1], count: n, detail: msg}
	}
	s := signal{kind: sigOwnWarning, detail: msg}
	if m := slowOwnershipRe.FindStringSubmatch(msg); m != nil {
		s.path = m[1]
	}
	return s
}

// failedContainer classifies a "Failed" event: CreateContainerError variants.
func failedContainer(msg string) (signal, bool) {
	switch {
	case strings.Contains(msg, "failed to reserve container name"):
		return signal{kind: sigNameReserved, detail: msg, err: msg}, true
	case strings.Contains(msg, "context deadline exceeded"):
		return signal{kind: sigCreateErr, detail: msg, err: msg}, true
	case strings.Contains(msg, "relabel"):
		return signal{kind: sigSELinuxRelabel, detail: msg, err: msg}, true
	}
	return signal{}, false
}

// firstQuoted returns the first "double-quoted" part of s, or "".
func firstQuoted(s string) string {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return ""
	}
	return s[i+1 : i+1+j]
}

var podPathRe = regexp.MustCompile(`\S*/pods/[0-9a-fA-F-]{36}/volumes/[^/\s]+/[^/\s:]+`)

// mountPathIn returns the first pod volume path in s, or "".
func mountPathIn(s string) string { return podPathRe.FindString(s) }

var assignedRe = regexp.MustCompile(`Successfully assigned ([^/\s]+)/(\S+) to (\S+)`)

// assignedPod reads "Successfully assigned ns/name to node".
func assignedPod(msg string) (ns, name, node string, ok bool) {
	m := assignedRe.FindStringSubmatch(msg)
	if m == nil {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}
