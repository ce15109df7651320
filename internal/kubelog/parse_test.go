package kubelog

import (
	"slices"
	"testing"
	"time"
)

// opts2026 completes year-less stamps; the corpus cases are set in 2026.
var opts2026 = Options{Year: 2026}

// want is what a test expects of one parsed line; zero fields are not checked.
type want struct {
	kind      Kind
	time      string // RFC 3339 with fraction, UTC
	sev       byte
	component string
	ns, name  string
	uid       string
	volume    string
	path      string
	count     int64
	err       string
	detail    string
	volumes   []string
}

type lineCase struct {
	name string
	line string
	want want
}

func (w want) check(t *testing.T, ev Event) {
	t.Helper()
	if ev.Kind != w.kind {
		t.Errorf("kind = %v, want %v", ev.Kind, w.kind)
	}
	if w.time != "" {
		if got := ev.Time.UTC().Format(time.RFC3339Nano); got != w.time {
			t.Errorf("time = %s, want %s", got, w.time)
		}
	}
	checkStr(t, "component", ev.Component, w.component)
	checkStr(t, "namespace", ev.Pod.Namespace, w.ns)
	checkStr(t, "name", ev.Pod.Name, w.name)
	checkStr(t, "uid", ev.Pod.UID, w.uid)
	checkStr(t, "volume", ev.Volume, w.volume)
	checkStr(t, "path", ev.Path, w.path)
	checkStr(t, "err", ev.Err, w.err)
	checkStr(t, "detail", ev.Detail, w.detail)
	if w.sev != 0 && ev.Severity != w.sev {
		t.Errorf("severity = %q, want %q", ev.Severity, w.sev)
	}
	if w.count != 0 && ev.Count != w.count {
		t.Errorf("count = %d, want %d", ev.Count, w.count)
	}
	if w.volumes != nil && !slices.Equal(ev.Volumes, w.volumes) {
		t.Errorf("volumes = %q, want %q", ev.Volumes, w.volumes)
	}
}

func checkStr(t *testing.T, what, got, want string) {
	t.Helper()
	if want != "" && got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func runLineCases(t *testing.T, cases []lineCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := ParseLine([]byte(tc.line), opts2026)
			if !ok {
				if tc.want.kind != KindUnknown {
					t.Fatalf("not recognised, want %v", tc.want.kind)
				}
				return
			}
			tc.want.check(t, ev)
		})
	}
}

// Lines from case01 (klog structured, ≥1.28) and the real v1.37.2 kubelet.
func TestParseKlogStructured(t *testing.T) {
	runLineCases(t, []lineCase{
		{"wait timeout (case01)",
			`E0412 09:04:14.422118    2817 pod_workers.go:1301] "Error syncing pod, skipping" ` +
				`err="unmounted volumes=[runner-data], unattached volumes=[], failed to process ` +
				`volumes=[]: context deadline exceeded" pod="platform-ci/tfrunner-0" ` +
				`podUID="dc377f51-f97f-4fb7-9489-2b3bbaa703ff"`,
			want{kind: KindVolumeWaitTimeout, time: "2026-04-12T09:04:14.422118Z", sev: 'E',
				component: "kubelet", ns: "platform-ci", name: "tfrunner-0",
				uid: "dc377f51-f97f-4fb7-9489-2b3bbaa703ff", volumes: []string{"runner-data"},
				detail: "unmounted=[runner-data] unattached=[] failed=[]"}},
		{"MountDevice succeeded (case01)",
			`I0412 09:02:21.812118    2817 operation_generator.go:664] "MountVolume.MountDevice ` +
				`succeeded for volume \"pvc-8c8c951d-0326-4586-8155-225eb767a3e5\" (UniqueName: ` +
				`\"kubernetes.io/csi/rbd.csi.ceph.com^0001-0009-ceph-nvme-0000000000000003-` +
				`a61d7575-7d1a-4663-8a67-d3f59d5367f8\") pod \"tfrunner-0\" (UID: ` +
				`\"dc377f51-f97f-4fb7-9489-2b3bbaa703ff\") device mount path \"/var/lib/kubelet/` +
				`plugins/kubernetes.io/csi/rbd.csi.ceph.com/3b8beefd375f42f0b9d1dcf2a524d8b48aba9` +
				`16845864bebb3e4f07c04925e4a/globalmount\"" pod="platform-ci/tfrunner-0"`,
			want{kind: KindMountDeviceSucceeded, time: "2026-04-12T09:02:21.812118Z",
				ns: "platform-ci", name: "tfrunner-0", uid: "dc377f51-f97f-4fb7-9489-2b3bbaa703ff",
				volume: "pvc-8c8c951d-0326-4586-8155-225eb767a3e5",
				path: "/var/lib/kubelet/plugins/kubernetes.io/csi/rbd.csi.ceph.com/3b8beefd375f4" +
					"2f0b9d1dcf2a524d8b48aba916845864bebb3e4f07c04925e4a/globalmount"}},
		{"SyncLoop ADD (case01)",
			`I0412 09:02:11.452118    2817 kubelet.go:2425] "SyncLoop ADD" source="api" ` +
				`pods=["platform-ci/tfrunner-0"]`,
			want{kind: KindSyncLoopAdd, ns: "platform-ci", name: "tfrunner-0", detail: "api"}},
		{"No sandbox (case01)",
			`I0412 09:04:14.426118    2817 util.go:30] "No sandbox for pod can be found. Need to ` +
				`start a new one" pod="platform-ci/tfrunner-0"`,
			want{kind: KindNoSandbox, ns: "platform-ci", name: "tfrunner-0"}},
		{"PLEG ContainerStarted (case01)",
			`I0412 09:29:45.302118    2817 kubelet.go:2457] "SyncLoop (PLEG): event for pod" ` +
				`pod="platform-ci/tfrunner-0" event={"ID":"dc377f51-f97f-4fb7-9489-2b3bbaa703ff",` +
				`"Type":"ContainerStarted","Data":"5da1238c38b34cf0a143cc700e9ea348afa2e39df81647` +
				`6aa2e3a1468326255b"}`,
			want{kind: KindContainerStarted, uid: "dc377f51-f97f-4fb7-9489-2b3bbaa703ff",
				name: "tfrunner-0"}},
		{"recursive walk (real 1.37.2)",
			`I1203 18:22:35.235403    4394 volume_linux.go:185] "Perform recursive ownership ` +
				`change for directory" path="/var/lib/kubelet/pods/d7bbc475-5d53-43b5-8b77-` +
				`f186a5c93ac2/volumes/kubernetes.io~local-volume/local-pv-2"`,
			want{kind: KindOwnershipRecursive, time: "2026-12-03T18:22:35.235403Z",
				uid: "d7bbc475-5d53-43b5-8b77-f186a5c93ac2", volume: "local-pv-2",
				path: "/var/lib/kubelet/pods/d7bbc475-5d53-43b5-8b77-f186a5c93ac2/volumes/" +
					"kubernetes.io~local-volume/local-pv-2"}},
		{"skip (real 1.37.2)",
			`I1203 18:21:34.475623    4394 volume_linux.go:77] "Skipping permission and ` +
				`ownership change for volume" path="/var/lib/kubelet/pods/9d8594dd-ff92-4c16-97be-` +
				`154380d06597/volumes/kubernetes.io~local-volume/local-pv-1"`,
			want{kind: KindOwnershipSkipped, uid: "9d8594dd-ff92-4c16-97be-154380d06597",
				volume: "local-pv-1"}},
		{"event: VolumePermissionChangeInProgress (real 1.37.2)",
			`I1203 18:23:05.235927    4394 event.go:395] "Event occurred" object="default/` +
				`fsgroup-always-4m" fieldPath="" kind="Pod" apiVersion="v1" type="Warning" ` +
				`reason="VolumePermissionChangeInProgress" message="Setting volume ownership for ` +
				`d7bbc475-5d53-43b5-8b77-f186a5c93ac2/volumes/kubernetes.io~local-volume/local-pv-2` +
				` is taking longer than expected, consider using OnRootMismatch - https://` +
				`kubernetes.io/docs/tasks/configure-pod-container/security-context/#configure-` +
				`volume-permission-and-ownership-change-policy-for-pods"`,
			want{kind: KindOwnershipWarning, ns: "default", name: "fsgroup-always-4m",
				uid: "d7bbc475-5d53-43b5-8b77-f186a5c93ac2", volume: "local-pv-2",
				detail: "event"}},
		{"event: Pulled already present (real 1.37.2)",
			`I1203 18:23:53.577037    4394 event.go:395] "Event occurred" object="default/` +
				`fsgroup-always-4m" fieldPath="spec.containers{c}" kind="Pod" apiVersion="v1" ` +
				`type="Normal" reason="Pulled" message="Container image \"docker.io/library/` +
				`busybox:k8sprobe\" already present on machine and can be accessed by the pod"`,
			want{kind: KindImagePulled, name: "fsgroup-always-4m",
				detail: "docker.io/library/busybox:k8sprobe already present"}},
		{"event: Created (real 1.37.2)",
			`I1203 18:23:53.595813    4394 event.go:395] "Event occurred" object="default/` +
				`fsgroup-always-4m" fieldPath="spec.containers{c}" kind="Pod" apiVersion="v1" ` +
				`type="Normal" reason="Created" message="Container created"`,
			want{kind: KindContainerCreated, name: "fsgroup-always-4m", detail: "c"}},
		{"Created PodSandbox (real 1.37.2)",
			`I1203 18:23:53.574469    4394 kuberuntime_manager.go:1755] "Created PodSandbox for ` +
				`pod" podSandboxID="79dce4d9d3526b7b3032bf6d78aec0ba3835f628fcc6988520e484d72e2b7b61"` +
				` pod="default/fsgroup-always-4m"`,
			want{kind: KindSandboxCreated, name: "fsgroup-always-4m",
				detail: "79dce4d9d3526b7b3032bf6d78aec0ba3835f628fcc6988520e484d72e2b7b61"}},
		{"noise is not recognised",
			`I1203 18:22:36.809958    4394 kubelet.go:2854] "SyncLoop (housekeeping)"`, want{}},
		{"noise: computePodActions mentions volumes",
			`I1203 18:22:35.811567    4394 kuberuntime_manager.go:1587] "computePodActions got ` +
				`for pod" podActions="KillPod: false, VolumesToUpsize: []" pod="default/x"`, want{}},
	})
}

// Lines from case02 (journald + 1.18 unstructured klog) and older wording eras.
func TestParseJournaldUnstructured(t *testing.T) {
	runLineCases(t, []lineCase{
		{"1.18 ownership warning on a secret (case02)",
			`Feb 03 14:20:05 node-a3 kubelet[1187]: W0203 14:20:05.718004    1187 ` +
				`volume_linux.go:49] Setting volume ownership for /var/lib/kubelet/pods/45449165-` +
				`6ae3-4e05-9c2c-ff286716483a/volumes/kubernetes.io~secret/reporting-api-token-8hd2c` +
				` and fsGroup set. If the volume has a lot of files then setting volume ownership ` +
				`could be slow, see https://github.com/kubernetes/kubernetes/issues/69699`,
			want{kind: KindOwnershipWarning, time: "2026-02-03T14:20:05.718004Z", sev: 'W',
				component: "kubelet", uid: "45449165-6ae3-4e05-9c2c-ff286716483a",
				volume: "reporting-api-token-8hd2c",
				path: "/var/lib/kubelet/pods/45449165-6ae3-4e05-9c2c-ff286716483a/volumes/" +
					"kubernetes.io~secret/reporting-api-token-8hd2c"}},
		{"1.18 Controller attach (case02)",
			`Feb 03 14:20:09 node-a3 kubelet[1187]: I0203 14:20:09.018004    1187 ` +
				`operation_generator.go:1348] Controller attach succeeded for volume "pvc-ca5e4432-` +
				`cb70-4793-8fa9-2ed8cba4b22b" (UniqueName: "kubernetes.io/aws-ebs/aws://eu-central-` +
				`1b/vol-0a1b2c3d4e5f60718") pod "reporting-api-6d9c7f5b8-k2xwq" (UID: "45449165-` +
				`6ae3-4e05-9c2c-ff286716483a") device path: "/dev/xvdbk"`,
			want{kind: KindAttachSucceeded, name: "reporting-api-6d9c7f5b8-k2xwq",
				uid:    "45449165-6ae3-4e05-9c2c-ff286716483a",
				volume: "pvc-ca5e4432-cb70-4793-8fa9-2ed8cba4b22b"}},
		{"≤1.16 wait timeout, old pod rendering",
			`E0412 07:17:05.004511    4411 pod_workers.go:190] Error syncing pod 1b2c3d4e-0000-` +
				`4000-8000-000000000001 ("web-0_shop(1b2c3d4e-0000-4000-8000-000000000001)"), ` +
				`skipping: timeout expired waiting for volumes to attach or mount for pod ` +
				`"shop"/"web-0". list of unmounted volumes=[data]. list of unattached volumes=` +
				`[data default-token-abcde]`,
			want{kind: KindVolumeWaitTimeout, ns: "shop", name: "web-0",
				uid: "1b2c3d4e-0000-4000-8000-000000000001", volumes: []string{"data"}}},
		{"1.17–1.27 wait timeout",
			`E0412 07:17:05.004511    4411 kubelet.go:1760] "Unable to attach or mount volumes ` +
				`for pod; skipping pod" err="unmounted volumes=[data], unattached volumes=[data ` +
				`kube-api-access-x]: timed out waiting for the condition" pod="shop/web-0"`,
			want{kind: KindVolumeWaitTimeout, ns: "shop", name: "web-0", volumes: []string{"data"},
				detail: "unmounted=[data] unattached=[data kube-api-access-x]"}},
		{"wait canceled",
			`E0412 07:17:05.004511    4411 pod_workers.go:1301] "Error syncing pod, skipping" ` +
				`err="unmounted volumes=[data], unattached volumes=[], failed to process volumes=[]` +
				`: context canceled" pod="shop/web-0" podUID="1b2c3d4e-0000-4000-8000-000000000001"`,
			want{kind: KindVolumeWaitCanceled, volumes: []string{"data"}}},
		{"old SyncLoop ADD with two pods (first)",
			`I0412 07:15:00.000000    4411 kubelet.go:1908] SyncLoop (ADD, "api"): "web-0_shop(` +
				`1b2c3d4e-0000-4000-8000-000000000001), web-1_shop(1b2c3d4e-0000-4000-8000-` +
				`000000000002)"`,
			want{kind: KindSyncLoopAdd, ns: "shop", name: "web-0",
				uid: "1b2c3d4e-0000-4000-8000-000000000001", detail: "api"}},
		{"old GID mismatch",
			`I0412 07:15:00.000000    4411 volume_linux.go:110] expected group ownership of ` +
				`volume /var/lib/kubelet/pods/1b2c3d4e-0000-4000-8000-000000000001/volumes/` +
				`kubernetes.io~csi/pvc-1/mount did not match with: 0`,
			want{kind: KindOwnershipGIDDiffers, uid: "1b2c3d4e-0000-4000-8000-000000000001",
				volume: "pvc-1", detail: "gid 0"}},
		{"structured mode mismatch",
			`I0412 07:15:00.000000    4411 volume_linux.go:183] "Performing recursive ownership ` +
				`change on rootDir because of mismatching mode" path="/var/lib/kubelet/pods/` +
				`1b2c3d4e-0000-4000-8000-000000000001/volumes/kubernetes.io~csi/pvc-1/mount"`,
			want{kind: KindOwnershipModeDiffer, volume: "pvc-1"}},
		{"Lchown failed",
			`E0412 07:15:00.000000    4411 volume_linux.go:140] "Lchown failed" err="lchown /x: ` +
				`operation not permitted" path="/var/lib/kubelet/pods/1b2c3d4e-0000-4000-8000-` +
				`000000000001/volumes/kubernetes.io~nfs/share/x"`,
			want{kind: KindOwnershipFailed, err: "lchown /x: operation not permitted",
				volume: "share"}},
		{"SetUp failed with applyFSGroup (case15 wording)",
			`E0412 07:15:00.000000    4411 nestedpendingoperations.go:348] Operation for ` +
				`"{volumeName:kubernetes.io/csi/nfs.csi.k8s.io^h#e#pvc-1## podName:1b2c3d4e-0000-` +
				`4000-8000-000000000001 nodeName:}" failed. No retries permitted until 2026-04-12 ` +
				`07:15:00.5 +0000 UTC m=+1.0 (durationBeforeRetry 500ms). Error: MountVolume.SetUp ` +
				`failed for volume "pvc-1" (UniqueName: "kubernetes.io/csi/nfs.csi.k8s.io^h#e#pvc-` +
				`1##") pod "app-0" (UID: "1b2c3d4e-0000-4000-8000-000000000001") : applyFSGroup ` +
				`failed for vol h#e#pvc-1##: open /var/lib/kubelet/pods/1b2c3d4e-0000-4000-8000-` +
				`000000000001/volumes/kubernetes.io~csi/pvc-1/mount/raft: permission denied`,
			want{kind: KindSetUpFailed, volume: "pvc-1", name: "app-0",
				uid: "1b2c3d4e-0000-4000-8000-000000000001"}},
		{"short-iso journal",
			`2026-04-12T07:15:02+0200 node-7 kubelet[4411]: W0412 07:15:02.118230    4411 ` +
				`volume_linux.go:49] Setting volume ownership for /var/lib/kubelet/pods/1b2c3d4e-` +
				`0000-4000-8000-000000000001/volumes/kubernetes.io~csi/pvc-1/mount and fsGroup set.`,
			want{kind: KindOwnershipWarning, time: "2026-04-12T05:15:02.11823Z", volume: "pvc-1"}},
		{"docker-wrapped kubelet",
			`Apr 12 07:15:02 node-7 docker[800]: I0412 07:15:02.118230    4411 ` +
				`util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="a/b"`,
			want{kind: KindNoSandbox, component: "kubelet", name: "b"}},
		{"k3s-embedded kubelet",
			`Apr 12 07:15:02 node-7 k3s[800]: E0412 07:15:02.118230    800 pod_workers.go:1301] ` +
				`"Error syncing pod, skipping" err="unmounted volumes=[data], unattached volumes=[]` +
				`, failed to process volumes=[]: context deadline exceeded" pod="a/b" podUID="u"`,
			want{kind: KindVolumeWaitTimeout, component: "kubelet", volumes: []string{"data"}}},
		{"kubelet-wrapper (CoreOS), 1.9 wait wording",
			`Apr 12 07:15:02 node-7 kubelet-wrapper[800]: E0412 07:15:02.118230    800 ` +
				`kubelet.go:1594] Unable to mount volumes for pod "web-0_shop(1b2c3d4e-0000-4000-` +
				`8000-000000000001)": timeout expired waiting for volumes to attach/mount for pod ` +
				`"shop"/"web-0". list of unattached/unmounted volumes=[data]`,
			want{kind: KindVolumeWaitTimeout, component: "kubelet", ns: "shop", name: "web-0",
				volumes: []string{"data"}}},
		{"pod startup observed",
			`I0412 09:29:46.000000    2817 pod_startup_latency_tracker.go:104] "Observed pod ` +
				`startup duration" pod="platform-ci/tfrunner-0" podStartSLOduration=1654.1 ` +
				`podStartE2EDuration="27m34.5s" podCreationTimestamp="2026-04-12 09:02:11 +0000 UTC"`,
			want{kind: KindPodStartupObserved, name: "tfrunner-0",
				detail: "podStartE2EDuration=27m34.5s podStartSLOduration=1654.1"}},
		{"old event log line: Pulling",
			`I0412 07:15:00.000000    4411 event.go:291] Event(v1.ObjectReference{Kind:"Pod", ` +
				`Namespace:"shop", Name:"web-0", UID:"1b2c3d4e-0000-4000-8000-000000000001", ` +
				`APIVersion:"v1"}): type: 'Normal' reason: 'Pulling' pulling image "busybox:1"`,
			want{kind: KindImagePulling, ns: "shop", name: "web-0"}},
		{"multi-attach event (FailedAttachVolume)",
			`I0412 07:15:00.000000    4411 event.go:395] "Event occurred" object="shop/web-1" ` +
				`kind="Pod" type="Warning" reason="FailedAttachVolume" message="Multi-Attach error ` +
				`for volume \"pvc-1\" Volume is already used by pod(s) web-0"`,
			want{kind: KindMultiAttach, ns: "shop", name: "web-1", volume: "pvc-1"}},
		{"TearDown of the old pod",
			`I0412 07:15:00.000000    4411 operation_generator.go:803] UnmountVolume.TearDown ` +
				`succeeded for volume "kubernetes.io/csi/x^y" (OuterVolumeSpecName: "data") pod ` +
				`"1b2c3d4e-0000-4000-8000-000000000001" (UID: "1b2c3d4e-0000-4000-8000-` +
				`000000000001"). InnerVolumeSpecName "pvc-1". PluginName "kubernetes.io/csi"`,
			want{kind: KindTearDownSucceeded, uid: "1b2c3d4e-0000-4000-8000-000000000001",
				volume: "pvc-1"}},
		{"kubenswrapper (OpenShift)",
			`Apr 12 07:15:02 node-7 kubenswrapper[4411]: I0412 07:15:02.118230    4411 ` +
				`util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="a/b"`,
			want{kind: KindNoSandbox, component: "kubelet", ns: "a", name: "b"}},
		{"remote syslog ip prefix",
			`10.0.0.5: Apr 12 07:15:02 node-7 kubelet[4411]: I0412 07:15:02.118230    4411 ` +
				`util.go:30] "No sandbox for pod can be found. Need to start a new one" pod="a/b"`,
			want{kind: KindNoSandbox, time: "2026-04-12T07:15:02.11823Z", name: "b"}},
		{"export without timestamp",
			`[volume_linux.go:49] Setting volume ownership for /var/lib/kubelet/pods/1b2c3d4e-` +
				`0000-4000-8000-000000000001/volumes/kubernetes.io~csi/pvc-1/mount and fsGroup set.`,
			want{kind: KindOwnershipWarning, volume: "pvc-1"}},
		{"export with a timestamp column",
			`2026-04-12 07:15:02.118	[volume_linux.go:49] Setting volume ownership for /var/` +
				`lib/kubelet/pods/1b2c3d4e-0000-4000-8000-000000000001/volumes/kubernetes.io~csi/` +
				`pvc-1/mount and fsGroup set.`,
			want{kind: KindOwnershipWarning, time: "2026-04-12T07:15:02.118Z", volume: "pvc-1"}},
		{"CRI log file wrapping klog",
			`2026-04-12T07:15:02.118230000Z stderr F W0412 07:15:02.118230       1 ` +
				`volume_linux.go:49] Setting volume ownership for /var/lib/kubelet/plugins/` +
				`kubernetes.io/csi/blob.csi.azure.com/abc/globalmount and fsGroup set.`,
			want{kind: KindDriverOwnership, time: "2026-04-12T07:15:02.11823Z",
				component: "csi-plugin"}},
	})
}

// Lines from case05 (--logging-format=json).
func TestParseJSON(t *testing.T) {
	runLineCases(t, []lineCase{
		{"progress (case05)",
			`{"ts":1783528903.55,"caller":"volume/volume_linux.go:140","msg":"Setting volume ` +
				`ownership for 3af44ddd-854b-4b4a-b82a-affcaed11153/volumes/kubernetes.io~csi/` +
				`pvc-dec72dc6-fe0f-4960-8649-bdf714fd2a0a/mount, processed 96935 files.","v":0}`,
			want{kind: KindOwnershipProgress, time: "2026-07-08T16:41:43.55Z", count: 96935,
				uid:    "3af44ddd-854b-4b4a-b82a-affcaed11153",
				volume: "pvc-dec72dc6-fe0f-4960-8649-bdf714fd2a0a"}},
		{"wait timeout with pod object (case05)",
			`{"ts":1783528935.65,"caller":"kubelet/pod_workers.go:1301","msg":"Error syncing ` +
				`pod, skipping","pod":{"name":"media-indexer-7c9d5-xq7mb","namespace":"media"},` +
				`"podUID":"3af44ddd-854b-4b4a-b82a-affcaed11153","err":"unmounted volumes=` +
				`[library], unattached volumes=[], failed to process volumes=[]: context deadline ` +
				`exceeded"}`,
			want{kind: KindVolumeWaitTimeout, sev: 'E', ns: "media",
				name: "media-indexer-7c9d5-xq7mb", uid: "3af44ddd-854b-4b4a-b82a-affcaed11153",
				volumes: []string{"library"}}},
		{"SyncLoop ADD (case05)",
			`{"ts":1783528812.25,"caller":"kubelet/kubelet.go:2425","msg":"SyncLoop ADD","v":2,` +
				`"source":"api","pods":["media/media-indexer-7c9d5-xq7mb"]}`,
			want{kind: KindSyncLoopAdd, ns: "media", name: "media-indexer-7c9d5-xq7mb"}},
		{"noise",
			`{"ts":1783528813.35,"caller":"csi/csi_attacher.go:380","msg":"kubernetes.io/csi: ` +
				`attacher.MountDevice STAGE_UNSTAGE_VOLUME capability not set. Skipping ` +
				`MountDevice...","v":4}`, want{}},
		{"journalctl -o json",
			`{"__REALTIME_TIMESTAMP":"1775978102118230","_SYSTEMD_UNIT":"kubelet.service",` +
				`"SYSLOG_IDENTIFIER":"kubelet","MESSAGE":"W0412 07:15:02.118230    4411 ` +
				`volume_linux.go:49] Setting volume ownership for /var/lib/kubelet/pods/1b2c3d4e-` +
				`0000-4000-8000-000000000001/volumes/kubernetes.io~csi/pvc-1/mount and fsGroup ` +
				`set."}`,
			want{kind: KindOwnershipWarning, time: "2026-04-12T07:15:02.11823Z", sev: 'W',
				volume: "pvc-1"}},
		{"journalctl -o json, structured message",
			`{"MESSAGE":"I0412 07:15:02.118230    4411 util.go:30] \"No sandbox for pod can be ` +
				`found. Need to start a new one\" pod=\"a/b\"","__REALTIME_TIMESTAMP":` +
				`"1775978102118230","SYSLOG_IDENTIFIER":"kubelet"}`,
			want{kind: KindNoSandbox, ns: "a", name: "b"}},
	})
}

// Lines from case13 (journald-wrapped containerd logrus) and CRI-O shapes.
func TestParseLogrus(t *testing.T) {
	runLineCases(t, []lineCase{
		{"RunPodSandbox returns (case13)",
			`Sep 01 21:40:06 rhel-wk-09 containerd[1422]: time="2026-09-01T21:40:06.751200000Z" ` +
				`level=info msg="RunPodSandbox for &PodSandboxMetadata{Name:notebook-jdoe-0,Uid:` +
				`17c35dd5-a13c-4c50-9d82-b68a96de673c,Namespace:research,Attempt:0,} returns ` +
				`sandbox id \"d3bb6cf20e74462882dda104663eabca17113a0607d6436b85fe7a401c06f999\""`,
			want{kind: KindSandboxCreated, time: "2026-09-01T21:40:06.7512Z", sev: 'I',
				component: "containerd", ns: "research", name: "notebook-jdoe-0",
				uid:    "17c35dd5-a13c-4c50-9d82-b68a96de673c",
				detail: "d3bb6cf20e74462882dda104663eabca17113a0607d6436b85fe7a401c06f999"}},
		{"CreateContainer request (case13)",
			`Sep 01 21:40:06 rhel-wk-09 containerd[1422]: time="2026-09-01T21:40:06.951200000Z" ` +
				`level=info msg="CreateContainer within sandbox \"d3bb6cf20e74462882dda104663eabca` +
				`17113a0607d6436b85fe7a401c06f999\" for container &ContainerMetadata{Name:notebook,` +
				`Attempt:0,}"`,
			want{kind: KindContainerCreating, detail: "notebook"}},
		{"name reserved (case13)",
			`Sep 01 21:42:19 rhel-wk-09 containerd[1422]: time="2026-09-01T21:42:19.601200000Z" ` +
				`level=error msg="CreateContainer within sandbox \"d3bb6cf2\" for &ContainerMetadata` +
				`{Name:notebook,Attempt:0,} failed" error="failed to reserve container name ` +
				`\"notebook_notebook-jdoe-0_research_17c35dd5-a13c-4c50-9d82-b68a96de673c_0\": name ` +
				`\"notebook_notebook-jdoe-0_research_17c35dd5-a13c-4c50-9d82-b68a96de673c_0\" is ` +
				`reserved for \"82c0ae47851e4a539e7a762926c7efe6022e1726031a47e9894a9d0f73fe74de\""`,
			want{kind: KindNameReserved, sev: 'E', detail: "notebook"}},
		{"CreateContainer returns (case13)",
			`Sep 01 22:03:10 rhel-wk-09 containerd[1422]: time="2026-09-01T22:03:10.851200000Z" ` +
				`level=info msg="CreateContainer within sandbox \"d3bb6cf2\" for &ContainerMetadata` +
				`{Name:notebook,Attempt:0,} returns container id \"0bb8d15d8db24db0a5f610feef8509ab\""`,
			want{kind: KindContainerCreated, time: "2026-09-01T22:03:10.8512Z"}},
		{"relabel failure",
			`time="2026-09-01T22:03:10.851200000Z" level=error msg="CreateContainer within ` +
				`sandbox \"d3bb6cf2\" for &ContainerMetadata{Name:notebook,Attempt:0,} failed" ` +
				`error="failed to generate container \"x\" spec: failed to apply OCI options: ` +
				`relabel \"/var/lib/kubelet/pods/u/volumes/v\" with \"system_u:object_r:` +
				`container_file_t:s0:c1,c2\" failed: operation not supported"`,
			want{kind: KindSELinuxRelabel, component: "runtime"}},
		{"kubelet CreateContainer failed (case13)",
			`Sep 01 21:42:06 rhel-wk-09 kubelet[2290]: E0901 21:42:06.951200    2290 log.go:32] ` +
				`"CreateContainer in sandbox from runtime service failed" err="rpc error: code = ` +
				`DeadlineExceeded desc = context deadline exceeded" podSandboxID="d3bb6cf2"`,
			want{kind: KindCreateContainerErr, component: "kubelet",
				err: "rpc error: code = DeadlineExceeded desc = context deadline exceeded"}},
		{"pod sync error is not a volume wait (case13)",
			`Sep 01 21:42:07 rhel-wk-09 kubelet[2290]: E0901 21:42:07.051200    2290 ` +
				`pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \"StartContainer\"` +
				` for \"notebook\" with CreateContainerError: \"context deadline exceeded\"" ` +
				`pod="research/notebook-jdoe-0" podUID="17c35dd5-a13c-4c50-9d82-b68a96de673c"`,
			want{kind: KindCreateContainerErr, detail: "notebook", name: "notebook-jdoe-0"}},
		{"CRI-O created container",
			`Apr 12 07:15:03 node-7 crio[900]: time="2026-04-12 07:15:03.5Z" level=info ` +
				`msg="Created container 0123abcd: shop/web-0/app" id=x ` +
				`name=/runtime.v1.RuntimeService/CreateContainer`,
			want{kind: KindContainerCreated, component: "crio", ns: "shop", name: "web-0",
				detail: "app"}},
		{"CRI-O started container",
			`time="2026-04-12 07:15:04.5Z" level=info msg="Started container" PID=1234 ` +
				`containerID=0123abcd description=shop/web-0/app id=y`,
			want{kind: KindContainerStarted, ns: "shop", name: "web-0", detail: "app"}},
		{"containerd pull done",
			`time="2026-04-12T07:15:04.5Z" level=info msg="PullImage \"busybox:1\" returns ` +
				`image reference \"sha256:abc\""`,
			want{kind: KindImagePulled, detail: "busybox:1"}},
		{"CRI-O sandbox",
			`Apr 12 07:15:02 node-7 crio[900]: time="2026-04-12 07:15:02.118230000Z" level=info ` +
				`msg="Ran pod sandbox 0123abcd with infra container: shop/web-0/POD" id=x`,
			want{kind: KindSandboxCreated, component: "crio", ns: "shop", name: "web-0",
				detail: "0123abcd"}},
	})
}

// Lines from case18 (CSI node plugin klog).
func TestParseCSIPlugin(t *testing.T) {
	runLineCases(t, []lineCase{
		{"GRPC call (case18)",
			`I0619 04:00:00.120000       1 utils.go:104] GRPC call: /csi.v1.Node/NodeStageVolume`,
			want{kind: KindNodeStageStarted, time: "2026-06-19T04:00:00.12Z",
				component: "csi-plugin"}},
		{"driver-side walk (case18)",
			`W0619 04:00:30.530000       1 volume_linux.go:49] Setting volume ownership for /var/` +
				`lib/kubelet/plugins/kubernetes.io/csi/blob.csi.azure.com/65727ee49275447f955bb55e0` +
				`192ad41328d88535fcb49f6a22c02c6c540b01d/globalmount and fsGroup set. If the volume ` +
				`has a lot of files then setting volume ownership could be slow, see https://` +
				`github.com/kubernetes/kubernetes/issues/69699`,
			want{kind: KindDriverOwnership, component: "csi-plugin", sev: 'W'}},
		{"response without a call is not recognised",
			`I0619 04:28:33.020000       1 utils.go:111] GRPC response: {}`, want{}},
		{"delegation",
			`I0412 07:15:00.000000    4411 csi_mounter.go:360] kubernetes.io/csi: Driver ` +
				`file.csi.azure.com supports applying FSGroup (has VOLUME_MOUNT_GROUP node ` +
				`capability). Delegating FSGroup application to the driver through ` +
				`NodeStageVolume.`,
			want{kind: KindFSGroupDelegated, detail: "file.csi.azure.com NodeStageVolume"}},
		{"fsGroup not applied",
			`I0412 07:15:00.000000    4411 csi_mounter.go:300] kubernetes.io/csi: mounter.SetupAt ` +
				`WARNING: skipping fsGroup, fsType not provided`,
			want{kind: KindFSGroupNotApplied, detail: "fsType not provided"}},
	})
}

func TestReaderCSIContext(t *testing.T) {
	evs := readCorpusFile(t, "cases/case18.csi-node-plugin.log")
	kinds := eventKinds(evs)
	wantKinds := []Kind{KindNodeStageStarted, KindNodeStageRequest, KindDriverOwnership,
		KindNodeStageDone}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("kinds = %v, want %v", kinds, wantKinds)
	}
	if d := evs[1].Detail; d != "volume_mount_group=2000" {
		t.Errorf("request detail = %q", d)
	}
	if got := evs[3].Time.Format("15:04:05.00"); got != "04:28:33.02" {
		t.Errorf("stage done at %s, want 04:28:33.02", got)
	}
}

func eventKinds(evs []Event) []Kind {
	out := make([]Kind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// Every rule prefix must be at least four bytes (the prefilter compares four) and unique.
func TestRulePrefixes(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules {
		if len(r.prefix) < 4 || seen[r.prefix] {
			t.Errorf("rule prefix %q is shorter than 4 bytes or repeated", r.prefix)
		}
		seen[r.prefix] = true
		if !mayMatch([]byte(r.prefix + " x")) {
			t.Errorf("prefilter rejects %q", r.prefix)
		}
	}
}
