package timeline

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/startlag/startlag/internal/kubelog"
)

// FuzzParseInputs feeds arbitrary bytes to every non-log parser and builds the pods: nothing may
// panic, whatever the input.
func FuzzParseInputs(f *testing.F) {
	f.Add([]byte("LAST SEEN   TYPE     REASON      OBJECT            MESSAGE\n" +
		"28m         Normal   Scheduled   Pod/p-0   Successfully assigned ns/p-0 to n\n" +
		"3m (x2 over 5m)   Warning   FailedMount   Pod/p-0   MountVolume.SetUp failed\n"))
	f.Add([]byte("Name:  p\nNamespace:  ns\nContainers:\n  c:\n    Started:  Tue, 03 Feb 2026 " +
		"14:26:44 +0000\nEvents:\n  Type  Reason  Age  From  Message\n  ----  ------  ---  ----  " +
		"-------\n  Normal  Pulled  26s  kubelet, n  Successfully pulled image \"x\"\n"))
	f.Add([]byte(`{"kind":"List","items":[{"kind":"Event",` +
		`"involvedObject":{"kind":"Pod","name":"p"},` +
		`"reason":"FailedMount","message":"applyFSGroup failed","count":3,` +
		`"lastTimestamp":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte("apiVersion: v1\nkind: Pod\n" +
		"metadata: {name: p, uid: 11111111-2222-3333-4444-555555555555}\n" +
		"status:\n  conditions:\n  - {type: PodScheduled, status: \"True\", " +
		"lastTransitionTime: \"2026-01-01T00:00:00Z\"}\n"))
	f.Add([]byte("storage_operation_duration_seconds_sum{operation_name=\"volume_apply_access_control\"," +
		"status=\"success\",volume_plugin=\"p\"} 2.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []InputKind{InputObjects, InputEventsTable, InputDescribe, InputMetrics,
			detect(data)} {
			l := &loader{b: newBuilder(), result: &Result{}, years: map[int]int{},
				mtimes: map[string]time.Time{}, opts: Options{Now: func() time.Time { return t0 }}}
			l.parse(kind, "fuzz", data)
			l.anchorRelative()
			l.finish()
		}
	})
}

// fuzzKinds are the log kinds the model uses.
var fuzzKinds = []kubelog.Kind{
	kubelog.KindSyncLoopAdd, kubelog.KindVerifyAttachStarted, kubelog.KindAttachSucceeded,
	kubelog.KindMultiAttach, kubelog.KindMountStarted, kubelog.KindMountDeviceSucceeded,
	kubelog.KindOwnershipWarning, kubelog.KindOwnershipProgress, kubelog.KindOwnershipRecursive,
	kubelog.KindOwnershipFailed, kubelog.KindOwnershipSkipped, kubelog.KindSetUpSucceeded,
	kubelog.KindSetUpFailed, kubelog.KindVolumeWaitTimeout, kubelog.KindNoSandbox,
	kubelog.KindSandboxCreated, kubelog.KindImagePulling, kubelog.KindImagePulled,
	kubelog.KindContainerCreated, kubelog.KindContainerStarted, kubelog.KindCreateContainerErr,
	kubelog.KindNodeStageStarted, kubelog.KindNodeStageDone, kubelog.KindDriverOwnership,
}

// FuzzModel builds pods from arbitrary event sequences (any order, any times, two pods, paths):
// phases and diagnosis must never panic, and durations must never be negative.
func FuzzModel(f *testing.F) {
	f.Add([]byte{0, 0, 1, 5, 10, 2, 6, 20, 11, 200, 3})
	f.Add([]byte{20, 1, 5, 3, 255, 7, 9, 9, 9, 1, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newBuilder()
		paths := []string{"", "/var/lib/kubelet/pods/" + uidA + "/volumes/kubernetes.io~csi/pv/mount",
			"/var/lib/kubelet/plugins/kubernetes.io/csi/d/h/globalmount",
			uidA + "/volumes/kubernetes.io~secret/tok"}
		refs := []kubelog.PodRef{{}, {Namespace: "ns", Name: "a"}, {Namespace: "ns", Name: "a", UID: uidA},
			{Name: "b", UID: "99999999-2222-3333-4444-555555555555"}}
		for len(data) >= 4 {
			k := fuzzKinds[int(data[0])%len(fuzzKinds)]
			at := time.Duration(binary.BigEndian.Uint16(data[1:3])) * time.Second
			e := kubelog.Event{Kind: k, Time: t0.Add(at), Pod: refs[int(data[3])%len(refs)],
				Path: paths[int(data[3]>>2)%len(paths)], Volume: []string{"", "pv", "tok"}[int(data[3]>>4)%3],
				Count: int64(data[2]) * 1000, Text: "x"}
			if s, ok := fromLog(e); ok {
				b.add(s)
			}
			data = data[4:]
		}
		for _, st := range b.merged() {
			l := &loader{opts: Options{RestartsPerMonth: 3}}
			p := l.explain(st, nil)
			for _, ph := range p.Phases {
				if ph.Duration() < 0 {
					t.Fatalf("negative phase %s", ph.Name)
				}
			}
			if p.Diagnosis.Delay < 0 {
				t.Fatalf("negative delay %s", p.Diagnosis.Delay)
			}
		}
	})
}
