package kubelog

import "strings"

// onSyncLoop: ADD / DELETE / REMOVE in both renderings and PLEG ContainerStarted.
func onSyncLoop(c *lineCtx, msg string) bool {
	rest := strings.TrimPrefix(msg, "SyncLoop ")
	switch {
	case strings.HasPrefix(rest, "ADD"), strings.HasPrefix(rest, "(ADD"):
		c.ev.Kind = KindSyncLoopAdd
	case strings.HasPrefix(rest, "DELETE"), strings.HasPrefix(rest, "(DELETE"),
		strings.HasPrefix(rest, "REMOVE"), strings.HasPrefix(rest, "(REMOVE"):
		c.ev.Kind = KindSyncLoopDelete
	case strings.HasPrefix(rest, "(PLEG)"):
		return onPLEG(c, msg)
	default:
		return false
	}
	pods := syncLoopPods(c, msg)
	for i, p := range pods {
		if i == 0 {
			c.ev.Pod = p
			continue
		}
		e := c.ev
		e.Pod = p
		c.extra = append(c.extra, e)
	}
	c.ev.Detail = firstNonEmpty(c.d.get("source"), quotedAfter(msg, ", "))
	return true
}

// syncLoopPods lists the pods of a SyncLoop line: pods=["ns/a","ns/b"] or
// `SyncLoop (ADD, "api"): "a_ns(uid), b_ns(uid)"`.
func syncLoopPods(c *lineCtx, msg string) []PodRef {
	var out []PodRef
	if v := c.d.get("pods"); v != "" {
		for _, it := range splitList(v) {
			var p PodRef
			setNSName(&p, it)
			out = append(out, p)
		}
		return out
	}
	_, list, _ := strings.Cut(msg, "): ")
	for _, it := range strings.Split(strings.Trim(list, `"`), ", ") {
		if name, ns, uid, ok := parsePodTriple(it); ok {
			out = append(out, PodRef{Namespace: ns, Name: name, UID: uid})
		}
	}
	return out
}

// onPLEG: a ContainerStarted pod lifecycle event (container or sandbox started).
func onPLEG(c *lineCtx, msg string) bool {
	ev := firstNonEmpty(c.d.get("event"), afterFirst(msg, "event: "))
	if !strings.Contains(ev, "ContainerStarted") {
		return false
	}
	c.ev.Kind = KindContainerStarted
	uid := firstNonEmpty(quotedAfter(ev, `"ID":`), quotedAfter(ev, "ID:"))
	if looksUID(uid) {
		c.ev.Pod.UID = uid
	}
	c.ev.Detail = "pleg " + firstNonEmpty(quotedAfter(ev, `"Data":`), quotedAfter(ev, "Data:"))
	return true
}

// onSandboxCreated: kubelet "Created PodSandbox for pod" podSandboxID=...
func onSandboxCreated(c *lineCtx, _ string) bool {
	c.ev.Kind = KindSandboxCreated
	c.ev.Detail = c.d.get("podSandboxID")
	return true
}

// onRunPodSandbox: containerd "RunPodSandbox for &PodSandboxMetadata{...}" and its
// "... returns sandbox id \"<id>\"".
func onRunPodSandbox(c *lineCtx, msg string) bool {
	c.ev.Kind = KindSandboxCreating
	c.ev.Pod = PodRef{Name: metaField(msg, "Name"), Namespace: metaField(msg, "Namespace"),
		UID: metaField(msg, "Uid")}
	if strings.Contains(msg, "returns sandbox id") {
		c.ev.Kind = KindSandboxCreated
		c.ev.Detail = quotedAfter(msg, "returns sandbox id ")
		c.st.rememberSandbox(c.ev.Detail, c.ev.Pod)
	} else if strings.Contains(msg, " failed") {
		c.ev.Kind = KindPodSyncError
		c.ev.Err = c.d.get("error")
	}
	return true
}

// onCRIOSandbox: CRI-O "Running pod sandbox: ns/name/POD", "Ran pod sandbox <id> with infra
// container: ns/name/POD".
func onCRIOSandbox(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		ref := afterLast(msg, ": ")
		if parts := strings.Split(ref, "/"); len(parts) >= 2 {
			c.ev.Pod.Namespace, c.ev.Pod.Name = parts[0], parts[1]
		}
		if k == KindSandboxCreated {
			c.ev.Detail, _ = between(msg, "Ran pod sandbox ", " ")
		}
		return true
	}
}

// onImage: image pull start/end in kubelet event, containerd and CRI-O wording.
func onImage(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		c.ev.Detail = firstNonEmpty(quotedAfter(msg, "image "), afterFirst(msg, "image: "))
		if d, ok := between(msg, `" in `, " "); ok && k == KindImagePulled {
			c.ev.Detail += " in " + strings.TrimSuffix(d, ".")
		}
		return true
	}
}

// onPullImage: containerd `PullImage "x"` and `PullImage "x" returns image reference ...`.
func onPullImage(c *lineCtx, msg string) bool {
	c.ev.Kind = KindImagePulling
	if strings.Contains(msg, " returns image reference") {
		c.ev.Kind = KindImagePulled
	}
	c.ev.Detail = quotedAfter(msg, "PullImage ")
	return true
}

// onImagePresent: `Container image "x" already present on machine`.
func onImagePresent(c *lineCtx, msg string) bool {
	if !strings.Contains(msg, "already present on machine") {
		return false
	}
	c.ev.Kind = KindImagePulled
	c.ev.Detail = quotedAfter(msg, "Container image ") + " already present"
	return true
}

// onContainer: container created/started/killing texts; Detail is the container name.
func onContainer(k Kind) func(*lineCtx, string) bool {
	return func(c *lineCtx, msg string) bool {
		c.ev.Kind = k
		fp, _ := between(c.d.get("fieldPath"), "{", "}")
		c.ev.Detail = firstNonEmpty(c.d.get("containerName"), containerNameIn(msg), fp)
		criORef(c, firstNonEmpty(c.d.get("description"), afterLast(msg, ": ")))
		return true
	}
}

// criORef reads the pod of a CRI-O "namespace/pod/container" reference.
func criORef(c *lineCtx, ref string) {
	parts := strings.Split(strings.TrimSpace(ref), "/")
	if len(parts) != 3 || c.ev.Pod.Name != "" || strings.ContainsAny(ref, " \"") {
		return
	}
	c.ev.Pod.Namespace, c.ev.Pod.Name = parts[0], parts[1]
	c.ev.Detail = parts[2]
}

// containerNameIn reads the container of "Created container: x", "Started container x",
// "Creating container: ns/pod/x", "Killing container with ...".
func containerNameIn(msg string) string {
	_, rest, ok := strings.Cut(msg, "ontainer")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, ": ")
	if strings.HasPrefix(rest, "with ") || strings.HasPrefix(rest, "created") ||
		strings.HasPrefix(rest, "started") {
		return ""
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return ""
	}
	name := f[len(f)-1]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.Trim(name, `".`)
}

// onStartContainer: containerd `StartContainer for "<id>" returns successfully`.
func onStartContainer(c *lineCtx, msg string) bool {
	if !strings.Contains(msg, "returns successfully") {
		return false
	}
	c.ev.Kind = KindContainerStarted
	c.ev.Detail = quotedAfter(msg, "StartContainer for ")
	return true
}

// onCreateContainer: containerd's CreateContainer request, result and failure. The time
// between request and result includes the runtime's SELinux relabel of the mounts.
func onCreateContainer(c *lineCtx, msg string) bool {
	sandbox := quotedAfter(msg, "within sandbox ")
	c.ev.Pod = c.st.sandboxPod(sandbox)
	c.ev.Detail = metaField(msg, "&ContainerMetadata{Name")
	errText := c.d.get("error")
	switch {
	case strings.Contains(msg, "returns container id"):
		c.ev.Kind = KindContainerCreated
	case strings.HasSuffix(msg, " failed") || errText != "":
		c.ev.Err = errText
		c.ev.Kind = createErrKind(errText)
	default:
		c.ev.Kind = KindContainerCreating
	}
	if c.ev.Detail == "" {
		c.ev.Detail = sandbox
	}
	return true
}

// createErrKind classifies a CreateContainer error.
func createErrKind(err string) Kind {
	switch {
	case strings.Contains(err, "failed to reserve container name"):
		return KindNameReserved
	case strings.Contains(err, "relabel"):
		return KindSELinuxRelabel
	}
	return KindCreateContainerErr
}

// onCreateContainerFailed: kubelet "CreateContainer in sandbox from runtime service failed".
func onCreateContainerFailed(c *lineCtx, _ string) bool {
	c.ev.Err = c.d.get("err")
	c.ev.Kind = createErrKind(c.ev.Err)
	sandbox := c.d.get("podSandboxID")
	c.ev.Pod = c.st.sandboxPod(sandbox)
	c.ev.Detail = sandbox
	return true
}
