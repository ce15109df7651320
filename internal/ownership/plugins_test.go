package ownership

import "testing"

func TestFreshEachPod(t *testing.T) {
	cases := map[string]bool{
		"kubernetes.io/empty-dir":    true,
		"kubernetes.io~secret":       true,
		"kubernetes.io~projected":    true,
		"kubernetes.io/configmap":    true,
		"kubernetes.io~csi":          false,
		"kubernetes.io/local-volume": false,
		"":                           false,
	}
	for plugin, want := range cases {
		if got := FreshEachPod(plugin); got != want {
			t.Errorf("FreshEachPod(%q) = %v, want %v", plugin, got, want)
		}
	}
}

func TestParsePodVolumePath(t *testing.T) {
	const uid = "d7bbc475-5d53-43b5-8b77-f186a5c93ac2"
	cases := []struct {
		in   string
		want PodVolumePath
		ok   bool
	}{
		// The path of the real v1.37.2 kubelet log (corpus/real-kubelet-v1.37.2).
		{"/var/lib/kubelet/pods/" + uid + "/volumes/kubernetes.io~local-volume/local-pv-2",
			PodVolumePath{PodUID: uid, Plugin: PluginLocal, Volume: "local-pv-2"}, true},
		// The form of the VolumePermissionChangeInProgress event, from the pod UID on.
		{uid + "/volumes/kubernetes.io~csi/pvc-1/mount",
			PodVolumePath{PodUID: uid, Plugin: PluginCSI, Volume: "pvc-1"}, true},
		{"/var/snap/microk8s/common/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount",
			PodVolumePath{PodUID: "u", Plugin: PluginCSI, Volume: "pv"}, true},
		// A "pods" directory inside the volume must not be taken for the kubelet's.
		{"/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount/app/pods/x/y/z",
			PodVolumePath{PodUID: "u", Plugin: PluginCSI, Volume: "pv"}, true},
		{"/var/lib/kubelet/plugins/kubernetes.io/csi/rbd.csi.ceph.com/abc/globalmount",
			PodVolumePath{Plugin: PluginCSI, StagingPath: true}, true},
		{"/var/lib/kubelet/pods/u/etc-hosts", PodVolumePath{}, false},
		{"/data/files", PodVolumePath{}, false},
		{"", PodVolumePath{}, false},
	}
	for _, c := range cases {
		got, ok := ParsePodVolumePath(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParsePodVolumePath(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func FuzzParsePodVolumePath(f *testing.F) {
	f.Add("/var/lib/kubelet/pods/u/volumes/kubernetes.io~csi/pv/mount")
	f.Add("u/volumes/a/b")
	f.Add("pods/pods/volumes/volumes/x")
	f.Fuzz(func(t *testing.T, p string) {
		v, ok := ParsePodVolumePath(p)
		if !ok {
			return
		}
		if !v.StagingPath && (v.PodUID == "" || v.Volume == "" || v.Plugin == "") {
			t.Errorf("ParsePodVolumePath(%q) = %+v with empty parts", p, v)
		}
	})
}
