package kubelog

import (
	"slices"
	"strings"
)

// lineCtx is one line being turned into events.
type lineCtx struct {
	d     decoded
	ev    Event   // the event being built; Kind stays KindUnknown until a rule matches
	extra []Event // further events of the same line (several pods in one SyncLoop ADD)
	st    *state  // cross-line state; nil in ParseLine
}

// rule recognises messages starting with prefix. fn returns false when the message turns out
// not to be one it knows (the next rule with a matching prefix is tried).
type rule struct {
	prefix string
	fn     func(c *lineCtx, msg string) bool
}

// rules lists every message the package recognises, by the literal start of its text in any
// wording era. Order matters only among rules sharing a prefix.
var rules = []rule{
	// fsGroup ownership walk.
	{"Setting volume ownership for ", onSettingOwnership},
	{"SetVolumeOwnership for ", onDriverOwnership},
	{"Skipping permission and ownership change", onPath(KindOwnershipSkipped, "for volume ")},
	{"skipping permission and ownership change", onPath(KindOwnershipSkipped, "for volume ")},
	{"Perform recursive ownership change", onPath(KindOwnershipRecursive, "for ")},
	{"perform recursive ownership change", onPath(KindOwnershipRecursive, "for ")},
	{"Expected group ownership of volume", onGIDDiffers},
	{"expected group ownership of volume", onGIDDiffers},
	{"Performing recursive ownership change on", onRootCheck},
	{"performing recursive ownership change on", onRootCheck},
	{"Lchown failed", onOwnershipFailed},
	{"Chown failed on ", onOwnershipFailed},
	{"chmod failed", onOwnershipFailed},
	{"Chmod failed on ", onOwnershipFailed},
	{"Got nil stat_t for path", onOwnershipFailed},
	{"applyFSGroup failed for vol", onOwnershipFailed},
	{"kubernetes.io/csi: ", onCSIPrefix},
	{"mounter.SetupAt WARNING: skipping fsGroup", onFSGroupNotApplied},
	{"mounter.SetUpAt WARNING: skipping fsGroup", onFSGroupNotApplied},
	{"Driver ", onDelegated},

	// Attach and mount pipeline.
	{"operationExecutor.VerifyControllerAttachedVolume started", onVolume(KindVerifyAttachStarted)},
	{"Controller attach succeeded", onVolume(KindAttachSucceeded)},
	{"AttachVolume.Attach succeeded", onVolume(KindAttachSucceeded)},
	{"AttachVolume.Attach failed", onVolumeErr(KindMountFailed)},
	{"Multi-Attach error", onVolume(KindMultiAttach)},
	{"operationExecutor.MountVolume started", onVolume(KindMountStarted)},
	{"MountVolume.", onMountVolume},
	{"UnmountVolume.TearDown succeeded", onTearDown},
	{"Operation for ", onBackoff},
	{"Waiting for volumes to attach and mount for pod", onKind(KindVolumeWaitStarted)},
	{"All volumes are attached and mounted for pod", onKind(KindVolumesReady)},
	{"Unable to attach or mount volumes", onWait},
	{"Unable to mount volumes for pod", onWait},
	{"timeout expired waiting for volumes", onWait},
	{"Error syncing pod", onSyncError},

	// Pod lifecycle.
	{"SyncLoop ADD", onSyncLoop},
	{"SyncLoop (ADD", onSyncLoop},
	{"SyncLoop DELETE", onSyncLoop},
	{"SyncLoop (DELETE", onSyncLoop},
	{"SyncLoop REMOVE", onSyncLoop},
	{"SyncLoop (REMOVE", onSyncLoop},
	{"SyncLoop (PLEG)", onSyncLoop},
	{"No sandbox for pod can be found", onKind(KindNoSandbox)},
	{"Creating PodSandbox for pod", onKind(KindSandboxCreating)},
	{"Created PodSandbox for pod", onSandboxCreated},
	{"RunPodSandbox for ", onRunPodSandbox},
	{"Running pod sandbox: ", onCRIOSandbox(KindSandboxCreating)},
	{"Ran pod sandbox ", onCRIOSandbox(KindSandboxCreated)},
	{"Pulling image", onImage(KindImagePulling)},
	{"PullImage ", onPullImage},
	{"Pulled image", onImage(KindImagePulled)},
	{"Successfully pulled image", onImage(KindImagePulled)},
	{"Container image ", onImagePresent},
	{"Created container", onContainer(KindContainerCreated)},
	{"Container created", onContainer(KindContainerCreated)},
	{"Started container", onContainer(KindContainerStarted)},
	{"Container started", onContainer(KindContainerStarted)},
	{"Creating container: ", onContainer(KindContainerCreating)},
	{"Killing container", onContainer(KindContainerKilling)},
	{"Stopping container", onContainer(KindContainerKilling)},
	{"StartContainer for ", onStartContainer},
	{"CreateContainer within sandbox", onCreateContainer},
	{"CreateContainer in sandbox from runtime service failed", onCreateContainerFailed},
	{"Event occurred", onEventOccurred},
	{"Event(v1.ObjectReference", onOldEvent},
	{"Observed pod startup duration", onStartupObserved},

	// CSI node plugin.
	{"GRPC call: ", onGRPC},
	{"GRPC request: ", onGRPC},
	{"GRPC response: ", onGRPC},
	{"GRPC error: ", onGRPC},
}

// rulesByByte indexes rules by the first byte of their prefix: the prefilter.
var rulesByByte [256][]*rule

// headGroup is the rules whose prefixes share their first four bytes.
type headGroup struct {
	head  uint32
	rules []*rule
}

// firstTwo has a bit for every pair of first bytes that starts some rule's prefix.
var firstTwo [1 << 13]byte

// heads holds, per first byte, the rules grouped by their first four bytes, so the
// prefilter rejects most lines with one or two integer compares.
var heads [256][]headGroup

func init() {
	for i := range rules {
		r := &rules[i]
		if len(r.prefix) < 4 {
			continue // never matched by the prefilter; TestRulePrefixes keeps this from happening
		}
		c := r.prefix[0]
		two := uint16(c)<<8 | uint16(r.prefix[1])
		firstTwo[two>>3] |= 1 << (two & 7)
		rulesByByte[c] = append(rulesByByte[c], r)
		h := head4(r.prefix)
		k := slices.IndexFunc(heads[c], func(g headGroup) bool { return g.head == h })
		if k < 0 {
			heads[c] = append(heads[c], headGroup{head: h})
			k = len(heads[c]) - 1
		}
		heads[c][k].rules = append(heads[c][k].rules, r)
	}
}

func head4[T string | []byte](b T) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// mayMatch is the prefilter: whether some rule's prefix starts the raw message bytes. It
// reads a few bytes and allocates nothing; most lines of a busy log stop here.
func mayMatch(msg []byte) bool {
	if len(msg) < 4 {
		return false
	}
	if two := uint16(msg[0])<<8 | uint16(msg[1]); firstTwo[two>>3]&(1<<(two&7)) == 0 {
		return false
	}
	hs := heads[msg[0]]
	h := head4(msg)
	for i := range hs {
		if hs[i].head != h {
			continue
		}
		for _, r := range hs[i].rules {
			if len(msg) >= len(r.prefix) && string(msg[:len(r.prefix)]) == r.prefix {
				return true
			}
		}
		return false
	}
	return false
}

// recognise runs the rules on a decoded message.
func recognise(c *lineCtx, msg string) bool {
	if msg == "" {
		return false
	}
	for _, r := range rulesByByte[msg[0]] {
		if strings.HasPrefix(msg, r.prefix) && r.fn(c, msg) {
			return true
		}
	}
	return false
}

// onKind sets a kind whose only data are the pod fields.
func onKind(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, _ string) bool {
		c.ev.Kind = k
		return true
	}
}

// onPath sets a kind with a path from the path= field or the text after marker.
func onPath(k Kind, marker string) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		c.ev.Path = c.d.get("path")
		if c.ev.Path == "" {
			if v, ok := between(msg, marker, ""); ok {
				c.ev.Path = strings.TrimSpace(v)
			}
		}
		return true
	}
}

// onVolume sets a kind whose message names a volume the operation-generator way.
func onVolume(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		c.ev.Volume = specVolume(msg)
		return true
	}
}

// onVolumeErr is onVolume for failures: the error follows " : ".
func onVolumeErr(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		c.ev.Volume = specVolume(msg)
		c.ev.Err = firstNonEmpty(c.d.get("err"), afterColon(msg))
		c.ev.Detail = opName(msg)
		return true
	}
}

// opName returns the operation name that starts msg ("MountVolume.SetUp").
func opName(msg string) string {
	if i := strings.IndexAny(msg, " :"); i > 0 {
		return msg[:i]
	}
	return ""
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
