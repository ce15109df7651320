package kubelog

import "time"

// Source locates an evidence line: the input file, the 1-based line number in it, and the byte
// offset of the line's first byte in the stream the Reader was given (for a gzip stream, in the
// decompressed bytes).
type Source struct {
	File   string
	Line   int
	Offset int64
}

// PodRef names a pod as far as a log line tells it. Any field may be empty.
type PodRef struct {
	Namespace string
	Name      string
	UID       string
}

// Kind is the meaning of a recognised message.
type Kind uint16

// Event is one recognised log line.
type Event struct {
	Kind Kind
	// Time is the line's timestamp. For framings without a year (klog, syslog) the year comes
	// from the parser's options; for framings without a zone the parser's location is used.
	Time time.Time
	// YearAssumed is true when Time's year came from the options, not from the line.
	YearAssumed bool
	// Severity is 'I', 'W', 'E', 'F', or 0 when the framing carries none.
	Severity  byte
	Component string // "kubelet", "containerd", "crio", "csi-plugin", ...
	Pod       PodRef
	Volume    string // the volume's spec name (PV name or pod volume name) when the line names one
	Path      string // a file system path the line names (ownership walk root, mount path)
	Count     int64  // files processed, for ownership progress lines
	Err       string // the error text, for error lines
	Detail    string // other kind-specific text (image name, container name, duration, ...)
	// Volumes lists the volumes still unmounted, for volume wait lines (KindVolumeWaitTimeout,
	// KindVolumeWaitCanceled): the pod's volume names from "unmounted volumes=[...]".
	Volumes []string
	Src     Source
	// Text is the original line (without trailing newline), cut to a bounded length, kept as
	// evidence.
	Text string
}
