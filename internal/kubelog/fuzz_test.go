package kubelog

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are one line per framing, taken from the corpus shapes.
var fuzzSeeds = []string{
	`E0412 09:04:14.422118    2817 pod_workers.go:1301] "Error syncing pod, skipping" ` +
		`err="unmounted volumes=[runner-data], unattached volumes=[], failed to process ` +
		`volumes=[]: context deadline exceeded" pod="platform-ci/tfrunner-0" podUID="dc377f51"`,
	`Feb 03 14:20:05 node-a3 kubelet[1187]: W0203 14:20:05.718004    1187 volume_linux.go:49] ` +
		`Setting volume ownership for /var/lib/kubelet/pods/u/volumes/kubernetes.io~secret/t ` +
		`and fsGroup set.`,
	`{"ts":1783528903.55,"caller":"volume/volume_linux.go:140","msg":"Setting volume ` +
		`ownership for u/volumes/kubernetes.io~csi/p/mount, processed 96935 files.","v":0}`,
	`{"ts":1783528935.65,"msg":"Error syncing pod, skipping","pod":{"name":"m","namespace":` +
		`"media"},"err":"unmounted volumes=[library]: context deadline exceeded"}`,
	`Sep 01 21:42:19 h containerd[1422]: time="2026-09-01T21:42:19.601200000Z" level=error ` +
		`msg="CreateContainer within sandbox \"d3\" for &ContainerMetadata{Name:n,Attempt:0,} ` +
		`failed" error="failed to reserve container name \"x\""`,
	`{"__REALTIME_TIMESTAMP":"1775978102118230","SYSLOG_IDENTIFIER":"kubelet","MESSAGE":` +
		`"I0412 07:15:02.118230    4411 util.go:30] \"No sandbox for pod can be found\""}`,
	`{"__REALTIME_TIMESTAMP":"1","MESSAGE":[73,48,52,49,50,32,255]}`,
	`2026-04-12T07:15:02+0200 node-7 kubelet[4411]: I0412 07:15:02.118230    4411 ` +
		`kubelet.go:2425] "SyncLoop ADD" source="api" pods=["a/b","c/d"]`,
	`10.0.0.5: Apr 12 07:15:02 n kubelet[1]: I0412 07:15:02.1 1 x.go:1] "SyncLoop (PLEG): ` +
		`event for pod" event={"ID":"u","Type":"ContainerStarted","Data":"c"}`,
	`2026-04-12 07:15:02.118	[volume_linux.go:49] Setting volume ownership for /x and fsGroup set.`,
	`2026-04-12T07:15:02.118230000Z stderr F I0412 07:15:02.118230 1 utils.go:104] GRPC call: ` +
		`/csi.v1.Node/NodeStageVolume`,
	`I0412 07:15:00.000000    4411 kubelet.go:1908] SyncLoop (ADD, "api"): "web-0_shop(` +
		`1b2c3d4e-0000-4000-8000-000000000001)"`,
	`I0412 07:15:00.000000    4411 event.go:291] Event(v1.ObjectReference{Kind:"Pod", ` +
		`Namespace:"a", Name:"b", UID:"u"}): type: 'Normal' reason: 'Pulling' Pulling image "x"`,
	`I1203 18:23:05.235927    4394 event.go:395] "Event occurred" object="default/p" ` +
		`reason="VolumePermissionChangeInProgress" message="Setting volume ownership for u/v ` +
		`is taking longer than expected"`,
	`E0412 07:15:00.000000 1 x.go:1] Operation for "{volumeName:v podName:u nodeName:}" failed. ` +
		`No retries permitted until t (durationBeforeRetry 500ms). Error: MountVolume.SetUp failed`,
	`I0412 07:15:00.000000 1 x.go:1] "Observed pod startup duration" pod="a/b" ` +
		`podStartSLOduration=1.5 podStartE2EDuration="2m3s"`,
}

// checkEvent states what every event must satisfy whatever the input.
func checkEvent(t *testing.T, ev Event) {
	t.Helper()
	if ev.Kind == KindUnknown || ev.Kind >= kindCount {
		t.Fatalf("event with kind %v", ev.Kind)
	}
	if len(ev.Text) > MaxTextBytes+3*4 || !utf8.ValidString(ev.Text) {
		t.Fatalf("bad evidence text (%d bytes, valid %v)", len(ev.Text), utf8.ValidString(ev.Text))
	}
}

// FuzzParseLine covers every framing parser and every message rule: no panic, and every
// event is well formed.
func FuzzParseLine(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if ev, ok := ParseLine(line, opts2026); ok {
			checkEvent(t, ev)
		}
		var fr frame
		if splitFrame(line, &fr) {
			decodeBody(&fr) // must not panic on any framed line
		}
	})
}

// FuzzKlogPairs covers the quoted-string and key=value scanner of structured klog lines.
func FuzzKlogPairs(f *testing.F) {
	f.Add([]byte(`"msg \"q\" \\ \u00e9" a="b" c=[1,"]"] d={"e":"}"} f=g`))
	f.Add([]byte(`"unterminated`))
	f.Add([]byte(`"x" k="\xff\x00"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _ := decodeKlog(b)
		for _, k := range []string{"a", "c", "pod", "err", ""} {
			d.get(k)
		}
		if _, n, ok := readQuoted(b); ok && (n < 2 || n > len(b)) {
			t.Fatalf("readQuoted length %d of %d", n, len(b))
		}
		if !utf8.Valid(b) {
			return
		}
		q := strconv.Quote(string(b)) // klog quotes messages the same way
		got, n, ok := readQuoted([]byte(q + ` k="v"`))
		if !ok || got != string(b) || n != len(q) {
			t.Fatalf("round trip of %q: got %q, %d of %d bytes, ok %v", b, got, n, len(q), ok)
		}
	})
}

// FuzzReader feeds arbitrary bytes (plain or gzip-wrapped) to a Reader: no panic, no error
// for in-memory input (damaged gzip is a warning), counts consistent. Run it with a short
// -fuzzminimizetime: minimizing the multi-line seeds otherwise eats the whole fuzz time.
func FuzzReader(f *testing.F) {
	var all bytes.Buffer
	for _, s := range fuzzSeeds {
		all.WriteString(s + "\n")
	}
	f.Add(all.Bytes(), false)
	f.Add(all.Bytes(), true)
	f.Add([]byte("\x1f\x8b\x08\x00garbage"), false)
	f.Add([]byte("a\r\nb\n\n\x00\xff"), false)
	f.Fuzz(func(t *testing.T, data []byte, zip bool) {
		if zip {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write(data)
			w.Close()
			data = b.Bytes()
		}
		evs, st, err := ReadAll(bytes.NewReader(data), "fuzz.log", opts2026)
		if err != nil {
			t.Fatalf("in-memory read failed: %v", err)
		}
		for _, ev := range evs {
			checkEvent(t, ev)
			if ev.Src.Line < 1 || int64(ev.Src.Line) > st.Lines {
				t.Fatalf("line %d of %d", ev.Src.Line, st.Lines)
			}
		}
		if st.Recognised > st.Lines || st.Events != int64(len(evs)) {
			t.Fatalf("stats %+v for %d events", st, len(evs))
		}
	})
}
