package kubelog

import "strings"

// onMountVolume covers the MountVolume.* operation results.
func onMountVolume(c *lineCtx, msg string) bool {
	c.ev.Volume = specVolume(msg)
	switch {
	case strings.HasPrefix(msg, "MountVolume.WaitForAttach succeeded"):
		c.ev.Kind = KindWaitForAttachSucceeded
	case strings.HasPrefix(msg, "MountVolume.MountDevice succeeded"):
		c.ev.Kind = KindMountDeviceSucceeded
		c.ev.Path = quotedAfter(msg, "device mount path ")
	case strings.HasPrefix(msg, "MountVolume.SetUp succeeded"):
		c.ev.Kind = KindSetUpSucceeded
	case strings.HasPrefix(msg, "MountVolume.MountDevice failed"),
		strings.HasPrefix(msg, "MountVolume.WaitForAttach failed"):
		return onVolumeErr(KindMountDeviceFailed)(c, msg)
	case strings.HasPrefix(msg, "MountVolume.SetUp failed"),
		strings.HasPrefix(msg, "MountVolume.Setup failed"):
		return onVolumeErr(KindSetUpFailed)(c, msg)
	case strings.Contains(msg, " failed"):
		return onVolumeErr(KindMountFailed)(c, msg)
	default:
		return false
	}
	return true
}

// onTearDown: the first quoted name is the unique name; the spec name comes last.
func onTearDown(c *lineCtx, msg string) bool {
	c.ev.Kind = KindTearDownSucceeded
	c.ev.Volume = firstNonEmpty(quotedAfter(msg, "InnerVolumeSpecName "), specVolume(msg))
	return true
}

// onBackoff: nestedpendingoperations' "Operation for "{volumeName:... podName:<uid> ...}"
// failed. No retries permitted until ... Error: <operation error>". A MountVolume error inside
// is reported as that failure.
func onBackoff(c *lineCtx, msg string) bool {
	if !strings.Contains(msg, "No retries permitted until") {
		return false
	}
	inner := afterLast(msg, "Error: ")
	if inner != "" && strings.HasPrefix(inner, "MountVolume.") && onMountVolume(c, inner) &&
		c.ev.Err != "" {
		return true
	}
	c.ev.Kind = KindOperationBackoff
	c.ev.Err = inner
	c.ev.Volume = specVolume(inner)
	if d, ok := between(msg, "(durationBeforeRetry ", ")"); ok {
		c.ev.Detail = "retry in " + d
	}
	if uid, ok := between(msg, "podName:", " "); ok && looksUID(uid) {
		c.ev.Pod.UID = uid
	}
	return true
}

// onWait: a volume wait ended without all volumes mounted (any wording era).
func onWait(c *lineCtx, msg string) bool {
	text := firstNonEmpty(c.d.get("err"), msg)
	if !strings.Contains(text, "volumes") && !strings.Contains(msg, "volumes") {
		return false
	}
	k, ok := waitOutcome(text)
	if !ok {
		k, ok = waitOutcome(msg)
	}
	if !ok {
		return false
	}
	c.ev.Kind = k
	c.ev.Err = waitErrText(text)
	c.ev.Volumes, c.ev.Detail, _ = waitLists(text)
	return true
}

// waitErrText trims an event-style "Unable to attach or mount volumes: <error>" or an old
// "..., skipping: <error>" to the error itself.
func waitErrText(s string) string {
	for _, p := range []string{"mount volumes: ", "skipping: "} {
		if v, ok := between(s, p, ""); ok {
			return v
		}
	}
	return s
}

// onSyncError: the pod worker's "Error syncing pod, skipping" in every era; the error tells a
// volume wait, a container creation failure or anything else.
func onSyncError(c *lineCtx, msg string) bool {
	errText := c.d.get("err")
	if errText == "" {
		errText = afterFirst(msg, "skipping: ")
	}
	if onWait(c, errText) {
		return true
	}
	c.ev.Err = errText
	switch {
	case strings.Contains(errText, "failed to reserve container name"):
		c.ev.Kind = KindNameReserved
	case strings.Contains(errText, "CreateContainerError"):
		c.ev.Kind = KindCreateContainerErr
	case strings.Contains(errText, "ErrImagePull"), strings.Contains(errText, "ImagePullBackOff"):
		c.ev.Kind = KindImagePullFailed
	default:
		c.ev.Kind = KindPodSyncError
	}
	c.ev.Detail = quotedAfter(errText, `"StartContainer" for `)
	return true
}

func afterFirst(s, sep string) string {
	if _, v, ok := strings.Cut(s, sep); ok {
		return v
	}
	return ""
}
