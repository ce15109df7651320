// Package kubelog turns node logs (kubelet in every framing startlag knows, containerd, CRI-O and
// CSI node plugins) into typed events. Each framing has a small pure parser; messages are
// recognised by their text, never by file:line, across the kubelet's wording eras (1.9 to 1.37).
//
// # Reading a log
//
//	r := kubelog.NewReader(f, "kubelet.log", kubelog.Options{Year: 2026})
//	for {
//		ev, ok := r.Next()
//		if !ok {
//			break
//		}
//		...
//	}
//	if err := r.Err(); err != nil { ... }   // read errors; damaged gzip is only a warning
//	st := r.Stats()                         // line counts and the first warnings (file:line)
//
// Call r.Close() when stopping before Next returns false (it ends the read-ahead). Events come
// in input order; Event.Src gives file and line, Event.Text the evidence line. ReadAll reads
// everything at once. Kind.String gives stable names ("OwnershipWarning") for output.
//
// The reader sniffs gzip by its magic bytes (not the file name), tolerates CRLF, invalid UTF-8
// and garbage lines (counted in Stats), and skips lines longer than MaxLineBytes (counted). It
// reads ahead in a goroutine (files, pipes, gzip) into two bounded blocks, rejects most lines
// by their first message bytes without decoding them, and allocates only for the lines it
// recognises, so memory stays flat (about 20 MiB) on multi-gigabyte logs. A line may yield
// more than one event ("SyncLoop ADD" naming several pods); the same fact reported twice within DedupWindow (a log line and its event echo, or the
// two wait-loop errors of older kubelets) yields one event.
//
// # Framings
//
// Detected per line: klog text (I/W/E/F header, unstructured or structured "msg" key=value),
// syslog/journald prefixes (kubelet[pid]:, kubenswrapper, kubelet-wrapper, k3s, docker,
// containerd, crio; an optional remote "<ip>: " prefix), journalctl -o short-iso, journalctl -o
// json (MESSAGE, __REALTIME_TIMESTAMP, SYSLOG_IDENTIFIER/_SYSTEMD_UNIT), log-search exports
// that keep only "[file.go:NN] msg" (with or without a leading timestamp column), CRI container
// log files and kubectl logs --timestamps, --logging-format=json, and containerd/CRI-O logrus.
//
// # Time
//
// klog and syslog stamps carry neither year nor zone: Options.Year (0 means the current year)
// and Options.Location (nil means UTC) complete them, and a December-to-January step inside
// one stream advances the year. Framings with a full stamp (short-iso, logrus, JSON) are exact;
// when a full outer stamp wraps a klog stamp, the klog microseconds are kept in the outer zone.
//
// # Messages
//
// Each kind's fields: Pod (namespace/name and UID, from pod="ns/name" podUID=, the old
// "name_ns(uid)" rendering, `pod "name" (UID: "uid")`, or a kubelet pod volume path), Volume
// (the spec name: PV name or pod volume name), Path (walk root or device mount path), Count
// (files processed, progress lines), Err (error text of failures and wait ends), Detail
// (kind-specific: wait volume lists "unmounted=[a] unattached=[] failed=[]", image, container,
// sandbox id, CSI method, "event" for the event form of the ownership warning) and Volumes
// (the unmounted volumes of a wait). A /globalmount ownership path is KindDriverOwnership:
// the CSI driver walks the staging directory, not the kubelet.
//
// ParseLine recognises one line without context. The Reader adds three small pieces of
// state: the CSI GRPC call a "GRPC request/response" line belongs to, the pod a runtime
// sandbox id belongs to, and de-duplication.
package kubelog
