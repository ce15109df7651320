package kubelog

import (
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// onSettingOwnership covers the 30-s warning, the progress line and the event texts
// ("... is taking longer than expected", "..., processed N files."). A /globalmount path means a
// CSI driver walks the staging directory itself.
func onSettingOwnership(c *lineCtx, msg string) bool {
	rest := strings.TrimPrefix(msg, "Setting volume ownership for ")
	switch {
	case strings.Contains(rest, ", processed "):
		c.ev.Kind = KindOwnershipProgress
		c.ev.Path, _, _ = strings.Cut(rest, ", processed ")
		c.ev.Count, _ = processedCount(rest)
	case strings.Contains(rest, " and fsGroup set"):
		c.ev.Kind = KindOwnershipWarning
		c.ev.Path, _, _ = strings.Cut(rest, " and fsGroup set")
	case strings.Contains(rest, " is taking longer than expected"):
		c.ev.Kind = KindOwnershipWarning
		c.ev.Path, _, _ = strings.Cut(rest, " is taking longer than expected")
		c.ev.Detail = "event"
	default:
		return false
	}
	if pv, ok := ownership.ParsePodVolumePath(c.ev.Path); ok && pv.StagingPath {
		c.ev.Kind = KindDriverOwnership
	}
	return true
}

// onDriverOwnership covers drivers that report their own walk:
// "SetVolumeOwnership for volume(<id>) on <path> is still running (elapsed: 1m0s)".
func onDriverOwnership(c *lineCtx, msg string) bool {
	c.ev.Kind = KindDriverOwnership
	c.ev.Volume, _ = between(msg, "volume(", ")")
	if p, ok := between(msg, " on ", " "); ok {
		c.ev.Path = p
	}
	if e, ok := between(msg, "(elapsed: ", ")"); ok {
		c.ev.Detail = "elapsed " + e
	}
	return true
}

// onGIDDiffers: OnRootMismatch found the root's group differs from fsGroup.
func onGIDDiffers(c *lineCtx, msg string) bool {
	c.ev.Kind = KindOwnershipGIDDiffers
	c.ev.Path = c.d.get("path")
	if c.ev.Path == "" {
		c.ev.Path, _ = between(msg, "of volume ", " did not match")
	}
	if gid := c.d.get("GID"); gid != "" {
		c.ev.Detail = "gid " + gid
	} else if v, ok := between(msg, "did not match with: ", ""); ok {
		c.ev.Detail = "gid " + strings.TrimSpace(v)
	}
	return true
}

// onRootCheck: OnRootMismatch walks because of the root's mode or an unreadable root.
func onRootCheck(c *lineCtx, msg string) bool {
	switch {
	case strings.Contains(msg, "mismatching mode"):
		c.ev.Kind = KindOwnershipModeDiffer
	case strings.Contains(msg, "reading permissions of root volume failed"):
		c.ev.Kind = KindOwnershipRootStatFailed
		c.ev.Err = firstNonEmpty(c.d.get("err"), afterLast(msg, "failed: "))
	default:
		return false
	}
	c.ev.Path = c.d.get("path")
	if c.ev.Path == "" {
		c.ev.Path, _ = between(msg, "change on ", " because")
	}
	return true
}

// onOwnershipFailed: one file the walk could not change, or the whole walk failing.
func onOwnershipFailed(c *lineCtx, msg string) bool {
	c.ev.Kind = KindOwnershipFailed
	c.ev.Path = c.d.get("path")
	c.ev.Err = c.d.get("err")
	switch {
	case strings.HasPrefix(msg, "applyFSGroup failed for vol "):
		c.ev.Volume, _ = between(msg, "for vol ", ": ")
		c.ev.Err = firstNonEmpty(c.ev.Err, afterLast(msg, c.ev.Volume+": "))
		c.ev.Path = pathInText(c.ev.Err)
	case strings.HasPrefix(msg, "Got nil stat_t for path "):
		c.ev.Path, _ = between(msg, "for path ", " while")
	case c.ev.Path == "":
		if v, ok := between(msg, " failed on ", ": "); ok {
			c.ev.Path = v
			c.ev.Err = afterLast(msg, v+": ")
		}
	}
	return true
}

// pathInText returns the first absolute path in s, if any.
func pathInText(s string) string {
	i := strings.Index(s, "/")
	if i < 0 {
		return ""
	}
	end := strings.IndexAny(s[i:], " :\"")
	if end < 0 {
		return s[i:]
	}
	return s[i : i+end]
}

func afterLast(s, sep string) string {
	if sep == "" {
		return ""
	}
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return ""
}

// onCSIPrefix strips the "kubernetes.io/csi: " prefix of CSI plugin messages and recognises
// the rest.
func onCSIPrefix(c *lineCtx, msg string) bool {
	return recognise(c, strings.TrimPrefix(msg, "kubernetes.io/csi: "))
}

// onFSGroupNotApplied: the CSI mounter decided not to apply fsGroup (and why).
func onFSGroupNotApplied(c *lineCtx, msg string) bool {
	c.ev.Kind = KindFSGroupNotApplied
	c.ev.Detail, _ = between(msg, "skipping fsGroup, ", "")
	return true
}

// onDelegated: the driver has VOLUME_MOUNT_GROUP and gets fsGroup in NodeStage/NodePublish.
func onDelegated(c *lineCtx, msg string) bool {
	if !strings.Contains(msg, "Delegating FSGroup application") {
		return false
	}
	c.ev.Kind = KindFSGroupDelegated
	c.ev.Detail, _ = between(msg, "Driver ", " ")
	if strings.Contains(msg, "NodeStageVolume") {
		c.ev.Detail += " NodeStageVolume"
	} else if strings.Contains(msg, "NodePublishVolume") {
		c.ev.Detail += " NodePublishVolume"
	}
	return true
}
