// Package timeline builds per-pod start-up timelines from kubelet and runtime log events,
// Kubernetes events, `kubectl describe pod` text and pod status, and names the phase that ate
// the time and its cause.
//
// # Inputs
//
// Load reads any mix of inputs and detects each one by content: kubectl get events (-o json/yaml,
// core/v1 and events.k8s.io/v1), the `kubectl events` table, `kubectl describe pod` text, pod
// objects with status, workload and storage objects (context), kubelet metrics text, and log files
// (handed to a LogReader). Files ending in .gz are decompressed; "-" is standard input.
//
// # Memory
//
// State grows with the number of pods and volumes, not with the size of the logs: every phase keeps
// a bounded number of evidence lines (the first and the last ones seen).
package timeline

import (
	"strings"
	"time"
)

// Evidence is one input line that supports a phase or a diagnosis.
type Evidence struct {
	File string
	// Line is 1-based; 0 when the input has no meaningful line.
	Line int
	Text string
	// Time is the moment the line speaks of; zero when it has none.
	Time time.Time
	// line locates Text in its file while it is not held in memory (see lineRef).
	line lineRef
}

// PhaseName identifies a start-up phase. The names are part of the JSON output.
type PhaseName string

// Start-up phases in the order the kubelet goes through them.
const (
	PhaseScheduled       PhaseName = "scheduled"
	PhaseAttach          PhaseName = "attach"
	PhaseDeviceMount     PhaseName = "device-mount"
	PhaseVolumeSetup     PhaseName = "volume-setup"
	PhaseSandbox         PhaseName = "sandbox"
	PhaseImagePull       PhaseName = "image-pull"
	PhaseInitContainers  PhaseName = "init-containers"
	PhaseContainerCreate PhaseName = "container-create"
	PhaseContainerStart  PhaseName = "container-start"
	PhaseReady           PhaseName = "ready"
)

// phaseLabels are the human names of the phases.
var phaseLabels = map[PhaseName]string{
	PhaseScheduled:       "scheduled",
	PhaseAttach:          "attach wait",
	PhaseDeviceMount:     "device mount (stage)",
	PhaseVolumeSetup:     "volume SetUp + walk",
	PhaseSandbox:         "sandbox + network",
	PhaseImagePull:       "image pull",
	PhaseInitContainers:  "init containers",
	PhaseContainerCreate: "container create",
	PhaseContainerStart:  "container start",
	PhaseReady:           "until ready",
}

// Label returns the human name of the phase.
func (n PhaseName) Label() string {
	if l, ok := phaseLabels[n]; ok {
		return l
	}
	return string(n)
}

// Phase is one step of a pod's start-up.
type Phase struct {
	Name  PhaseName
	Start time.Time
	// End is when the phase finished. When Open is true the phase had not finished by the end of
	// the input and End is the last moment the input shows it still going.
	End  time.Time
	Open bool
	// Inferred is true when a bound comes from a neighbouring phase or a pod condition rather
	// than from a line that marks it; the duration is then an upper bound.
	Inferred bool
	Volume   string // the volume that took longest, for volume phases
	Detail   string
	Evidence []Evidence
}

// Duration is End − Start (never negative).
func (p Phase) Duration() time.Duration {
	if p.End.Before(p.Start) {
		return 0
	}
	return p.End.Sub(p.Start)
}

// Walk describes one recursive fsGroup ownership change seen in the input.
type Walk struct {
	Volume string
	Path   string
	Plugin string
	Start  time.Time // zero when unknown
	End    time.Time // zero when the walk had not ended by the end of the input
	// WarnedAt is the time of the "Setting volume ownership ... and fsGroup set" warning (30 s
	// into the walk on kubelets ≥1.20).
	WarnedAt time.Time
	// Files is the highest "processed N files" count seen; FilesPerSecond the rate between the
	// first and the last progress report (0 when fewer than two).
	Files          int64
	FilesPerSecond float64
	// DriverSide is true when the CSI driver, not the kubelet, walked (staging path).
	DriverSide bool
	Failed     bool
	Evidence   []Evidence
}

// Duration of the walk; 0 when its start or end is unknown.
func (w Walk) Duration() time.Duration {
	if w.Start.IsZero() || w.End.IsZero() || w.End.Before(w.Start) {
		return 0
	}
	return w.End.Sub(w.Start)
}

// Pod is one pod instance (one UID) and what the input shows of its start-up.
type Pod struct {
	Namespace string
	Name      string
	UID       string
	Node      string
	// Start is the first moment of the start-up (scheduling or the kubelet seeing the pod);
	// End the last phase end. Both zero when the input shows no start-up.
	Start, End time.Time
	Phases     []Phase
	Walks      []Walk
	Diagnosis  Diagnosis
	// Notes are facts about the pod the reader should know (context objects used, anchors).
	Notes []string
}

// PhaseLabel is the human name of ph in this pod: volume SetUp is "volume SetUp + walk" only
// when an ownership walk is seen or diagnosed.
func (p Pod) PhaseLabel(ph Phase) string {
	if ph.Name != PhaseVolumeSetup || len(p.Walks) > 0 ||
		strings.HasPrefix(string(p.Diagnosis.Cause), "fsgroup-walk") {
		return ph.Name.Label()
	}
	return "volume SetUp"
}

// Key is "namespace/name", or the UID when the name is unknown.
func (p Pod) Key() string {
	switch {
	case p.Name != "" && p.Namespace != "":
		return p.Namespace + "/" + p.Name
	case p.Name != "":
		return p.Name
	}
	return p.UID
}

// SlowStep is the length from which a start-up step is worth a look: a pod whose slowest step
// is shorter started normally, whatever its cause label.
const SlowStep = 10 * time.Second

// Slow reports whether the pod's start-up has a step of SlowStep or more.
func (p Pod) Slow() bool { return len(p.Phases) > 0 && p.Diagnosis.Delay >= SlowStep }

// Total is the span of the start-up the input shows.
func (p Pod) Total() time.Duration {
	if p.Start.IsZero() || p.End.Before(p.Start) {
		return 0
	}
	return p.End.Sub(p.Start)
}

// Result is everything explain found in its inputs.
type Result struct {
	// Pods are sorted slowest start-up first; pods whose start-up the input does not show come
	// last.
	Pods   []Pod
	Inputs []InputSummary
	// Problems are inputs (or parts) that could not be read; the rest was still explained.
	Problems []error
	// RestartsPerMonth is the --restarts-per-month value used for costs (0: no cost computed).
	RestartsPerMonth float64
	// Warnings are facts about the inputs that do not stop the explanation (e.g. a file in
	// which no line was recognised).
	Warnings []string
	// Unselected are the pods Options.Pod left out, as "namespace/name" (or the UID).
	Unselected []string
}

// InputSummary says what one input was taken for.
type InputSummary struct {
	File   string
	Kind   InputKind
	Items  int // events, objects or recognised log lines read from it
	Detail string
}
