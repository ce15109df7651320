package loggen

import "strconv"

// Steps of one pod start-up, in order. Slow pods walk their volume for minutes: they add the
// ownership warning, progress lines and wait timeouts.
const (
	stAdd = iota
	stVerify
	stMountStarted
	stMountDevice
	stRecursive
	stWarning  // slow only
	stProgress // slow only, three times
	stTimeout  // slow only, twice
	stSetUp
	stNoSandbox
	stSandbox
	stPulled
	stCreated
	stStarted
)

// interesting advances one random pod by one start-up step.
func (g *gen) interesting() {
	p := g.anyPod()
	if !p.slow && p.step >= stWarning && p.step <= stTimeout {
		p.step = stSetUp
	}
	g.step(p)
	g.stats.Interesting++
	p.files++
	if p.files < repeats(p.step) {
		return
	}
	p.files = 0
	if p.step == stStarted {
		p.step = stAdd
		g.stats.PodStarts++
		return
	}
	p.step++
}

// repeats is how many lines a step writes before the next step.
func repeats(step int) int64 {
	switch step {
	case stProgress:
		return 3
	case stTimeout:
		return 2
	}
	return 1
}

func (g *gen) step(p *pod) {
	switch p.step {
	case stAdd:
		g.podText("kubelet.go:2760", `"SyncLoop ADD" source="api" pods=["`, p, `"]`)
	case stVerify:
		g.volumeOp("reconciler_common.go:251",
			"operationExecutor.VerifyControllerAttachedVolume started", p, "")
	case stMountStarted:
		g.volumeOp("reconciler_common.go:225", "operationExecutor.MountVolume started", p, "")
	case stMountDevice:
		g.volumeOp("operation_generator.go:560", "MountVolume.MountDevice succeeded", p,
			` device mount path \"/var/lib/kubelet/plugins/kubernetes.io/csi/rbd.csi.ceph.com/`+
				g.hex(64)+`/globalmount\"`)
	case stRecursive:
		g.line('I', "volume_linux.go:185", func(b []byte) []byte {
			b = append(b, `"Perform recursive ownership change for directory" path="`...)
			return append(g.volPath(b, p, true), '"')
		})
	case stWarning:
		g.stats.Ownership++
		g.line('W', "volume_linux.go:93", func(b []byte) []byte {
			b = append(b, "Setting volume ownership for "...)
			b = g.volPath(b, p, true)
			return append(b, " and fsGroup set. If the volume has a lot of files then setting "+
				"volume ownership could be slow, see "+
				"https://github.com/kubernetes/kubernetes/issues/69699"...)
		})
	case stProgress:
		g.stats.Ownership++
		g.line('W', "volume_linux.go:140", func(b []byte) []byte {
			b = append(b, "Setting volume ownership for "...)
			b = g.volPath(b, p, false)
			b = append(b, ", processed "...)
			b = strconv.AppendInt(b, (p.files+1)*97000, 10)
			return append(b, " files."...)
		})
	case stTimeout:
		g.stats.WaitTimeout++
		g.line('E', "pod_workers.go:1301", func(b []byte) []byte {
			b = append(b, `"Error syncing pod, skipping" err="unmounted volumes=[data], unattached `+
				`volumes=[], failed to process volumes=[]: context deadline exceeded" pod="`...)
			b = append(b, p.ns...)
			b = append(b, '/')
			b = append(b, p.name...)
			b = append(b, `" podUID="`...)
			b = append(b, p.uid...)
			return append(b, '"')
		})
	default:
		g.lateStep(p)
	}
}

// lateStep writes the steps after the volume is set up.
func (g *gen) lateStep(p *pod) {
	switch p.step {
	case stSetUp:
		g.volumeOp("operation_generator.go:620", "MountVolume.SetUp succeeded", p, "")
	case stNoSandbox:
		g.podText("util.go:35", `"No sandbox for pod can be found. Need to start a new one" pod="`,
			p, `"`)
	case stSandbox:
		g.podText("kuberuntime_manager.go:1755", `"Created PodSandbox for pod" podSandboxID="`+
			g.hex(64)+`" pod="`, p, `"`)
	case stPulled:
		g.event(p, "Pulled", `Container image \"docker.io/library/busybox:k8sprobe\" already `+
			`present on machine and can be accessed by the pod`)
	case stCreated:
		g.event(p, "Created", "Container created")
	default:
		g.event(p, "Started", "Container started")
	}
}

func (g *gen) event(p *pod, reason, msg string) {
	g.podText("event.go:395", `"Event occurred" object="`, p, `" fieldPath="spec.containers{c}" `+
		`kind="Pod" apiVersion="v1" type="Normal" reason="`+reason+`" message="`+msg+`"`)
}

// volumeOp writes an operation-generator message about the pod's PV.
func (g *gen) volumeOp(file, prefix string, p *pod, suffix string) {
	g.line('I', file, func(b []byte) []byte {
		b = append(b, '"')
		b = append(b, prefix...)
		b = append(b, ` for volume \"`...)
		b = append(b, p.pv...)
		b = append(b, `\" (UniqueName: \"kubernetes.io/csi/rbd.csi.ceph.com^0001-0009-ceph-`...)
		b = append(b, p.uid...)
		b = append(b, `\") pod \"`...)
		b = append(b, p.name...)
		b = append(b, `\" (UID: \"`...)
		b = append(b, p.uid...)
		b = append(b, `\")`...)
		b = append(b, suffix...)
		b = append(b, `" pod="`...)
		b = append(b, p.ns...)
		b = append(b, '/')
		b = append(b, p.name...)
		return append(b, '"')
	})
}

// volPath appends the pod's CSI volume directory (full, or from the UID on as progress lines
// print it).
func (g *gen) volPath(b []byte, p *pod, full bool) []byte {
	if full {
		b = append(b, "/var/lib/kubelet/pods/"...)
	}
	b = append(b, p.uid...)
	b = append(b, "/volumes/kubernetes.io~csi/"...)
	b = append(b, p.pv...)
	return append(b, "/mount"...)
}
