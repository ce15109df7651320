package ownership

// SquashID is the uid and gid an NFS server with root_squash (its default) gives requests from
// root: the kubelet's walk then runs as this unprivileged user ("nobody").
const SquashID = 65534

// Squashed is what the kubelet's walk can do with an entry when its root is squashed.
type Squashed struct {
	// CannotOpen: a directory the walk cannot list (no read and search permission for
	// SquashID). The walk stops there with "permission denied": SetUp fails and the pod does
	// not start (FailedMount ... applyFSGroup failed).
	CannotOpen bool
	// CannotChange: an entry the walk must change but may not (only the owner may chmod, and
	// chgrp also needs membership of the group). These failures are logged and skipped.
	CannotChange bool
}

// SquashedWalk applies the root_squash rules to e for a walk with fsGroup (see Squashed).
func SquashedWalk(e Entry, fsGroup int64, readOnly bool) Squashed {
	var s Squashed
	if e.Type == TypeDir && squashedPerm(e)&0o5 != 0o5 {
		s.CannotOpen = true
	}
	c := WalkChange(e, fsGroup, readOnly)
	if c.Differs() && (e.UID != SquashID || c.Chgrp && fsGroup != SquashID) {
		s.CannotChange = true
	}
	return s
}

// squashedPerm returns the three permission bits that apply to SquashID: the owner's, the
// group's or the others'.
func squashedPerm(e Entry) uint32 {
	switch {
	case e.UID == SquashID:
		return e.Mode >> 6 & 0o7
	case e.GID == SquashID:
		return e.Mode >> 3 & 0o7
	}
	return e.Mode & 0o7
}
