package loggen

// noiseKinds weights the everyday lines by how often a -v=4 kubelet prints them.
var noiseWeights = []int{
	13, // Retrieved pods from runtime
	8,  // eviction observations
	5,  // container runtime status
	5,  // runtime network not ready
	26, // housekeeping + clean up
	30, // interface lookups
	3,  // cadvisor process stats
	2,  // network stats for sandbox
	2,  // container log rotation
	2,  // status for pod (long JSON)
	1,  // SyncLoop RECONCILE
	3,  // pod worker processing / SyncPod enter / exit
}

var noiseTotal = func() int {
	t := 0
	for _, w := range noiseWeights {
		t += w
	}
	return t
}()

// noise writes one everyday line.
func (g *gen) noise() {
	r := g.rnd.IntN(noiseTotal)
	k := 0
	for ; r >= noiseWeights[k]; k++ {
		r -= noiseWeights[k]
	}
	switch k {
	case 0:
		g.text('I', "kuberuntime_manager.go:484", `"Retrieved pods from runtime" all=true`)
	case 1:
		g.line('I', "helpers.go:977", func(b []byte) []byte {
			b = append(b, `"Eviction manager:" log="observations" signal="nodefs.inodesFree" `+
				`resourceName="inodes" available="159168`...)
			b = appendInt(b, g.rnd.IntN(100), 2)
			return append(b, `" capacity="16777216" time="2026-12-03 18:22:37.427085987 +0000 UTC `+
				`m=+181.242886390"`...)
		})
	case 2:
		g.text('I', "kubelet.go:3336", `"Container runtime status" status="Runtime Conditions: `+
			`RuntimeReady=true reason: message:, NetworkReady=true reason: message:; Handlers: , `+
			`Features: nil"`)
	case 3:
		g.text('I', "kubelet.go:3343", `"Container runtime network not ready" networkReady=`+
			`"NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns `+
			`error: cni plugin not initialized"`)
	case 4:
		g.housekeeping()
	case 5:
		g.interfaces()
	case 6:
		g.line('I', "handler.go:182", func(b []byte) []byte {
			b = append(b, "Unable to get Process Stats: couldn't open cpu cgroup procs file "+
				"/sys/fs/cgroup/cpu/process_api/"...)
			id := g.hex(32)
			b = append(b, id...)
			b = append(b, "/cgroup.procs : open /sys/fs/cgroup/cpu/process_api/"...)
			b = append(b, id...)
			return append(b, "/cgroup.procs: no such file or directory"...)
		})
	case 7:
		g.line('I', "cri_stats_provider.go:579", func(b []byte) []byte {
			b = append(b, `"Unable to find network stats for sandbox" sandboxID="`...)
			return append(append(b, g.hex(64)...), '"')
		})
	case 8:
		p := g.anyPod()
		g.line('I', "container_log_manager.go:211", func(b []byte) []byte {
			b = append(b, `"Adding new entry to the queue for processing" id="`...)
			b = append(b, g.hex(64)...)
			b = append(b, `" name="c" labels={"io.kubernetes.container.name":"c",`+
				`"io.kubernetes.pod.name":"`...)
			b = append(b, p.name...)
			b = append(b, `","io.kubernetes.pod.namespace":"`...)
			b = append(b, p.ns...)
			b = append(b, `","io.kubernetes.pod.uid":"`...)
			b = append(b, p.uid...)
			return append(b, `"}`...)
		})
	case 9:
		g.podStatus(g.anyPod())
	case 10:
		p := g.anyPod()
		g.podText("kubelet.go:2773", `"SyncLoop RECONCILE" source="api" pods=["`, p, `"]`)
	default:
		p := g.anyPod()
		g.line('I', "pod_workers.go:1265", func(b []byte) []byte {
			b = append(b, `"Processing pod event" pod="`...)
			b = append(b, p.ns...)
			b = append(b, '/')
			b = append(b, p.name...)
			b = append(b, `" podUID="`...)
			b = append(b, p.uid...)
			return append(b, `" updateType="sync"`...)
		})
	}
}

func (g *gen) text(sev byte, file, msg string) {
	g.line(sev, file, func(b []byte) []byte { return append(b, msg...) })
}

// podText writes before + "ns/name" + after.
func (g *gen) podText(file, before string, p *pod, after string) {
	g.line('I', file, func(b []byte) []byte {
		b = append(b, before...)
		b = append(b, p.ns...)
		b = append(b, '/')
		b = append(b, p.name...)
		return append(b, after...)
	})
}

func (g *gen) housekeeping() {
	switch g.rnd.IntN(4) {
	case 0:
		g.text('I', "kubelet.go:2854", `"SyncLoop (housekeeping)"`)
	case 1:
		g.text('I', "kubelet_pods.go:1256", `"Clean up pod workers for terminated pods"`)
	case 2:
		g.text('I', "kubelet_pods.go:1327", `"Clean up orphaned pod directories"`)
	default:
		g.line('I', "kubelet.go:2862", func(b []byte) []byte {
			b = append(b, `"SyncLoop (housekeeping) end" duration="`...)
			b = appendInt(b, 1+g.rnd.IntN(9), 1)
			return append(b, `ms"`...)
		})
	}
}

func (g *gen) interfaces() {
	switch g.rnd.IntN(5) {
	case 0:
		g.text('I', "interface.go:443", `"Looking for default routes with IP addresses" IPVersion=4`)
	case 1:
		g.text('I', "interface.go:448", `"Default route transits interface" interface="eth0"`)
	case 2:
		g.text('I', "interface.go:257", `"Found addresses for interface" interface="eth0" `+
			`numAddresses=3 addresses=[{"IP":"192.0.2.2","Mask":"////AA=="},{"IP":"fd00::2",`+
			`"Mask":"//////////8AAAAAAAAAAA=="},{"IP":"fe80::fc:ff:fe00:1","Mask":`+
			`"//////////8AAAAAAAAAAA=="}]`)
	case 3:
		g.text('I', "interface.go:224", `"Checking for matching global IP" address="192.0.2.2/24"`)
	default:
		g.text('I', "interface.go:454", `"Found active IP" IP="192.0.2.2"`)
	}
}

// podStatus writes the long status line a -v=4 kubelet prints on every status change.
func (g *gen) podStatus(p *pod) {
	g.line('I', "status_manager.go:1286", func(b []byte) []byte {
		b = append(b, `"Status for pod updated successfully" pod="`...)
		b = append(b, p.ns...)
		b = append(b, '/')
		b = append(b, p.name...)
		b = append(b, `" statusVersion=2 status={"observedGeneration":1,"phase":"Running",`+
			`"conditions":[{"type":"PodReadyToStartContainers","observedGeneration":1,"status":`+
			`"True","lastProbeTime":null,"lastTransitionTime":"2026-12-03T18:21:34Z"},{"type":`+
			`"Initialized","observedGeneration":1,"status":"True","lastProbeTime":null,`+
			`"lastTransitionTime":"2026-12-03T18:21:34Z"},{"type":"Ready","observedGeneration":1,`+
			`"status":"True","lastProbeTime":null,"lastTransitionTime":"2026-12-03T18:21:34Z"}],`+
			`"hostIP":"192.0.2.2","podIP":"192.0.2.2","startTime":"2026-12-03T18:21:34Z",`+
			`"containerStatuses":[{"name":"c","state":{"running":{"startedAt":`+
			`"2026-12-03T18:21:34Z"}},"lastState":{},"ready":true,"restartCount":0,"image":`+
			`"docker.io/library/busybox:k8sprobe","imageID":"sha256:`...)
		b = append(b, g.hex(64)...)
		return append(b, `","started":true,"volumeMounts":[{"name":"d","mountPath":"/data"}]}],`+
			`"qosClass":"BestEffort"}`...)
	})
}
