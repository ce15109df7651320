package kubelog

import "strings"

// eventReasons maps event reasons to kinds when the event's message is not recognised.
var eventReasons = map[string]Kind{
	"Pulling": KindImagePulling, "Pulled": KindImagePulled, "Created": KindContainerCreated,
	"Started": KindContainerStarted, "Killing": KindContainerKilling,
	"SuccessfulAttachVolume": KindAttachSucceeded, "SuccessfulMountVolume": KindSetUpSucceeded,
	"FailedMount": KindSetUpFailed, "VolumePermissionChangeInProgress": KindOwnershipWarning,
}

// onEventOccurred: the kubelet's own log of an event it records ("Event occurred" object=
// reason= message=). The message is recognised like a log line.
func onEventOccurred(c *lineCtx, _ string) bool {
	return recogniseEvent(c, c.d.get("reason"), c.d.get("message"))
}

// onOldEvent: pre-structured event logs:
// Event(v1.ObjectReference{Kind:"Pod", Namespace:"ns", Name:"x", UID:"u", ...}): type:
// 'Normal' reason: 'Pulling' Pulling image "x".
func onOldEvent(c *lineCtx, msg string) bool {
	c.ev.Pod = PodRef{Namespace: quotedAfter(msg, "Namespace:"), Name: quotedAfter(msg, "Name:"),
		UID: quotedAfter(msg, "UID:")}
	reason, _ := between(msg, "reason: '", "'")
	text := afterFirst(msg, "reason: '"+reason+"' ")
	return recogniseEvent(c, reason, text)
}

func recogniseEvent(c *lineCtx, reason, text string) bool {
	pod := c.ev.Pod
	if recognise(c, text) {
		if c.ev.Pod.Name == "" {
			c.ev.Pod.Name, c.ev.Pod.Namespace = pod.Name, pod.Namespace
		}
		return true
	}
	switch {
	case reason == "Failed" && strings.Contains(text, "failed to reserve container name"):
		c.ev.Kind = KindNameReserved
	case reason == "Failed" && strings.HasPrefix(text, "Error: "):
		c.ev.Kind = KindCreateContainerErr
	case reason == "Failed" && strings.Contains(text, "Failed to pull image"):
		c.ev.Kind = KindImagePullFailed
	default:
		k, ok := eventReasons[reason]
		if !ok {
			return false
		}
		c.ev.Kind = k
	}
	c.ev.Err = text
	return true
}

// onStartupObserved: pod_startup_latency_tracker's summary line.
func onStartupObserved(c *lineCtx, _ string) bool {
	c.ev.Kind = KindPodStartupObserved
	var parts []string
	for _, k := range []string{"podStartE2EDuration", "podStartSLOduration",
		"totalImagesPullingTime", "firstStartedPulling", "lastFinishedPulling"} {
		if v := c.d.get(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	c.ev.Detail = strings.Join(parts, " ")
	return true
}

// onGRPC: CSI sidecar-style logging in node plugins ("GRPC call: /csi.v1.Node/NodeStageVolume",
// then request, response or error). Request and response lines are tied to the last call seen
// in the same stream; without that context they are not recognised.
func onGRPC(c *lineCtx, msg string) bool {
	c.ev.Component = "csi-plugin"
	if m, ok := strings.CutPrefix(msg, "GRPC call: "); ok {
		m = strings.TrimSpace(m)
		c.st.setGRPC(m)
		return grpcKind(c, m, true)
	}
	method := c.st.grpcMethod()
	switch {
	case strings.HasPrefix(msg, "GRPC request: "):
		if !strings.HasSuffix(method, "/NodeStageVolume") {
			return false
		}
		c.ev.Kind = KindNodeStageRequest
		c.ev.Path = jsonStr(msg, "staging_target_path")
		c.ev.Volume = jsonStr(msg, "volume_id")
		if g := jsonStr(msg, "volume_mount_group"); g != "" {
			c.ev.Detail = "volume_mount_group=" + g
		}
		return true
	case strings.HasPrefix(msg, "GRPC error: "):
		c.ev.Err = strings.TrimPrefix(msg, "GRPC error: ")
	}
	return grpcKind(c, method, false)
}

// grpcKind sets the NodeStage/NodePublish start or end kind for a method.
func grpcKind(c *lineCtx, method string, start bool) bool {
	switch {
	case strings.HasSuffix(method, "/NodeStageVolume") && start:
		c.ev.Kind = KindNodeStageStarted
	case strings.HasSuffix(method, "/NodeStageVolume"):
		c.ev.Kind = KindNodeStageDone
	case strings.HasSuffix(method, "/NodePublishVolume") && start:
		c.ev.Kind = KindNodePublishStarted
	case strings.HasSuffix(method, "/NodePublishVolume"):
		c.ev.Kind = KindNodePublishDone
	default:
		return false
	}
	c.ev.Detail = firstNonEmpty(c.ev.Detail, method)
	return true
}

// jsonStr reads "key":"value" from JSON text without decoding the whole object.
func jsonStr(s, key string) string {
	return quotedAfter(s, `"`+key+`":`)
}
