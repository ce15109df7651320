package timeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/startlag/startlag/internal/kubelog"
)

// objectHead is what every object says about itself.
type objectHead struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Items      []json.RawMessage `json:"items"`
	Spec       *struct {
		Template   *json.RawMessage `json:"template"`
		Containers *json.RawMessage `json:"containers"`
		// VolumeClaimTemplates name the claims a StatefulSet adds to each pod.
		VolumeClaimTemplates []struct {
			Metadata metav1.ObjectMeta `json:"metadata"`
		} `json:"volumeClaimTemplates"`
		JobTemplate *struct {
			Spec struct {
				Template *json.RawMessage `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
	Status *json.RawMessage `json:"status"`
}

// objDoc is one decoded document with its position.
type objDoc struct {
	json []byte
	line int // first line of the document
}

// parseObjects reads JSON or YAML Kubernetes objects (one JSON value, or YAML documents).
func (l *loader) parseObjects(path string, b []byte) (int, string, error) {
	li := newLineIndex(b)
	docs, splitErrs := splitDocs(b)
	n := 0
	var kinds []string
	var errs []error
	for _, e := range splitErrs {
		errs = append(errs, fmt.Errorf("%s:%w", path, e))
	}
	for _, d := range docs {
		c, k, err := l.object(path, li, d.json, d.line)
		var items itemErrors
		switch {
		case errors.As(err, &items):
			for _, ie := range items.errs {
				errs = append(errs, fmt.Errorf("%s:%d: %w", path, ie.line, ie.err))
			}
			if items.more > 0 {
				errs = append(errs, fmt.Errorf("%s: %d more list items could not be read",
					path, items.more))
			}
		case err != nil:
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, d.line, err))
		}
		n += c
		kinds = append(kinds, k...)
	}
	return n, summarizeKinds(kinds), errors.Join(errs...)
}

// itemErrors are the items of a List that could not be read, each at its line; the others
// were read. At most maxItemErrors are kept, the rest counted in more.
type itemErrors struct {
	errs []itemError
	more int
}

type itemError struct {
	line int
	err  error
}

const maxItemErrors = 10

func (e itemErrors) Error() string {
	return fmt.Sprintf("%d list items could not be read", len(e.errs)+e.more)
}

// splitDocs turns the input into JSON documents: the input itself when it is JSON, else each
// YAML document converted. A malformed YAML document is reported (as "LINE: malformed YAML:
// ...", LINE counted from the start of the input) and the documents after it are still read.
func splitDocs(b []byte) ([]objDoc, []error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return []objDoc{{json: trimmed, line: 1}}, nil
	}
	var out []objDoc
	var errs []error
	line, start := 1, 1
	var cur []string
	flush := func() {
		text := strings.Join(cur, "\n")
		cur = nil
		if strings.TrimSpace(stripComments(text)) == "" {
			return
		}
		j, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			errs = append(errs, yamlError(start, err))
			return
		}
		out = append(out, objDoc{json: j, line: start})
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimRight(l, " \r") == "---" {
			flush()
			start = line + 1
		} else {
			cur = append(cur, l)
		}
		line++
	}
	flush()
	return out, errs
}

// yamlLine matches the position the YAML parser puts in its messages, relative to the document.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError turns a YAML parser error of the document starting at line start into
// "LINE: malformed YAML: what", LINE counted from the start of the input.
func yamlError(start int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	line := start
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = start + n - 1
		}
		msg = msg[len(m[0]):]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return fmt.Errorf("%d: malformed YAML: %s", line, msg)
}

func stripComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// object reads one JSON object (recursing into lists) and returns how many items it used and
// their kinds.
func (l *loader) object(path string, li lineIndex, raw []byte, line int) (int, []string, error) {
	n, kinds, _, err := l.item(path, li, raw, line)
	return n, kinds, err
}

// item is object that also returns the line found for the object's name (line when none).
func (l *loader) item(path string, li lineIndex, raw []byte, line int) (int, []string, int,
	error) {
	var h objectHead
	if err := json.Unmarshal(raw, &h); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field == "" {
			err = fmt.Errorf("a %s where a Kubernetes object was expected", typeErr.Value)
		}
		return 0, nil, line, fmt.Errorf("decoding object: %w", err)
	}
	if h.Items != nil && (h.Kind == "" || strings.HasSuffix(h.Kind, "List")) {
		n, kinds, err := l.list(path, li, h.Items, line)
		return n, kinds, line, err
	}
	at := l.lineOfName(li, line, h.Metadata.Name)
	n, kinds, err := l.dispatch(h, raw, path, li, Evidence{File: path, Line: at}, line)
	return n, kinds, at, err
}

// dispatch reads one object by its kind; ev locates it, line is where its document starts.
func (l *loader) dispatch(h objectHead, raw []byte, path string, li lineIndex, ev Evidence,
	line int) (int, []string, error) {
	switch {
	case h.Kind == "Event" && strings.HasPrefix(h.APIVersion, "events.k8s.io"):
		return l.newEvent(raw, ev)
	case h.Kind == "Event":
		return l.coreEvent(raw, ev)
	case h.Kind == "Pod" || h.Kind == "" && h.Spec != nil && h.Spec.Template == nil &&
		h.Spec.JobTemplate == nil || h.Kind == "" && h.Spec == nil && h.Status != nil:
		return l.pod(raw, path, li, ev.Line)
	case h.Spec != nil && (h.Spec.Template != nil || h.Spec.JobTemplate != nil):
		return l.template(h, path, line)
	case h.Kind == "CSIDriver":
		return l.csiDriver(raw, path, line)
	case h.Kind == "PersistentVolume":
		return l.persistentVolume(raw, path, line)
	case h.Kind == "PersistentVolumeClaim" || h.Kind == "Node" || h.Kind == "StorageClass":
		return 1, []string{h.Kind}, nil
	}
	return 0, []string{orWord(h.Kind, "unknown")}, nil
}

func (l *loader) list(path string, li lineIndex, items []json.RawMessage,
	line int) (int, []string, error) {
	n := 0
	var kinds []string
	var bad itemErrors
	for _, it := range items {
		c, k, at, err := l.item(path, li, it, line)
		var inner itemErrors
		switch {
		case errors.As(err, &inner): // a list in the list
			bad.errs = append(bad.errs, inner.errs...)
			bad.more += inner.more
		case err != nil && len(bad.errs) < maxItemErrors:
			bad.errs = append(bad.errs, itemError{line: at, err: err})
		case err != nil:
			bad.more++
		}
		n += c
		kinds = append(kinds, k...)
		line = max(line, at) // items come in file order: the next one is further down
	}
	if len(bad.errs) > 0 {
		return n, kinds, bad
	}
	return n, kinds, nil
}

// lineOfName finds the line that names an object (its metadata.name) at or after from, or
// returns from.
func (l *loader) lineOfName(li lineIndex, from int, name string) int {
	if name == "" {
		return from
	}
	if n := li.findName(from, name); n > 0 {
		return n
	}
	return from
}

// coreEvent reads a core/v1 Event.
func (l *loader) coreEvent(raw []byte, ev Evidence) (int, []string, error) {
	var e corev1.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return 0, nil, fmt.Errorf("decoding Event: %w", err)
	}
	count := int(e.Count)
	var seriesLast time.Time
	if e.Series != nil {
		count = max(count, int(e.Series.Count))
		seriesLast = e.Series.LastObservedTime.Time
	}
	last := firstTime(e.LastTimestamp.Time, e.EventTime.Time, seriesLast, e.CreationTimestamp.Time)
	first := firstTime(e.FirstTimestamp.Time, e.EventTime.Time, e.CreationTimestamp.Time)
	ref := kubelog.PodRef{Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name,
		UID: string(e.InvolvedObject.UID)}
	l.addEvent(e.InvolvedObject.Kind, ref, e.Reason, e.Message, first, last, count, ev)
	return 1, []string{"Event"}, nil
}

// newEvent reads an events.k8s.io/v1 Event.
func (l *loader) newEvent(raw []byte, ev Evidence) (int, []string, error) {
	var e eventsv1.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		return 0, nil, fmt.Errorf("decoding Event: %w", err)
	}
	count := int(e.DeprecatedCount)
	var seriesLast time.Time
	if e.Series != nil {
		count = max(count, int(e.Series.Count))
		seriesLast = e.Series.LastObservedTime.Time
	}
	last := firstTime(e.DeprecatedLastTimestamp.Time, e.EventTime.Time, seriesLast,
		e.CreationTimestamp.Time)
	first := firstTime(e.DeprecatedFirstTimestamp.Time, e.EventTime.Time, e.CreationTimestamp.Time)
	ref := kubelog.PodRef{Namespace: e.Regarding.Namespace, Name: e.Regarding.Name,
		UID: string(e.Regarding.UID)}
	l.addEvent(e.Regarding.Kind, ref, e.Reason, e.Note, first, last, count, ev)
	return 1, []string{"Event"}, nil
}

// firstTime returns the first non-zero time.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// addEvent turns one (possibly aggregated) event into signals: one at the first occurrence and,
// when it repeated, one at the last.
func (l *loader) addEvent(kind string, ref kubelog.PodRef, reason, msg string,
	first, last time.Time, count int, ev Evidence) {
	if kind != "" && kind != "Pod" {
		return
	}
	s, ok := reasonSignal(reason, msg)
	if !ok || last.IsZero() {
		return
	}
	l.fillFromScheduled(&ref, reason, msg)
	s.pod, s.repeat, s.component = cleanRef(ref), count, "event"
	ev.Text = eventText(reason, msg, count)
	l.noteTime(last)
	if !first.IsZero() && first.Before(last) {
		f := s
		f.at, f.ev = first, ev
		f.ev.Time = first
		l.b.add(f)
	}
	s.at, s.ev = last, ev
	s.ev.Time = last
	l.b.add(s)
}

// fillFromScheduled completes the namespace from a Scheduled message and records the node.
func (l *loader) fillFromScheduled(ref *kubelog.PodRef, reason, msg string) {
	if reason != "Scheduled" {
		return
	}
	ns, name, node, ok := assignedPod(msg)
	if !ok {
		return
	}
	if ref.Namespace == "" && name == ref.Name {
		ref.Namespace = ns
	}
	if p := l.b.podFor(cleanRef(*ref)); p != nil && p.node == "" {
		p.node = node
	}
}

// eventText is the evidence text of an event.
func eventText(reason, msg string, count int) string {
	t := reason + ": " + msg
	if count > 1 {
		t += fmt.Sprintf(" (x%d)", count)
	}
	return shorten(t, 400)
}

// pod reads a Pod (or a pod excerpt without kind) with its status.
func (l *loader) pod(raw []byte, path string, li lineIndex, line int) (int, []string, error) {
	var p corev1.Pod
	if err := json.Unmarshal(raw, &p); err != nil {
		return 0, nil, fmt.Errorf("decoding Pod: %w", err)
	}
	if p.Name == "" {
		l.ctx.addTemplate(templateCtx{spec: p.Spec, from: "pod excerpt " + path, status: &p.Status,
			file: path, line: line})
		return 1, []string{"Pod (excerpt)"}, nil
	}
	ref := cleanRef(kubelog.PodRef{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID)})
	st := l.b.podFor(ref)
	if st == nil {
		return 0, nil, fmt.Errorf("pod without name or uid")
	}
	st.spec, st.specFrom = &p.Spec, "Pod "+path
	st.status = &p.Status
	if st.node == "" {
		st.node = p.Spec.NodeName
	}
	l.statusSignals(ref, &p.Status, Evidence{File: path}, li, line)
	return 1, []string{"Pod"}, nil
}

// statusSignals turns pod conditions and container statuses into signals.
func (l *loader) statusSignals(ref kubelog.PodRef, st *corev1.PodStatus, ev Evidence, li lineIndex,
	from int) {
	add := func(k sigKind, t time.Time, detail string, needles ...string) {
		if t.IsZero() {
			return
		}
		e := ev
		e.Line = li.find(from, needles...)
		e.Text, e.Time = li.text(e.Line), t
		l.noteTime(t)
		l.b.add(signal{kind: k, at: t, pod: ref, detail: detail, ev: e, component: "status"})
	}
	for _, c := range st.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		t := c.LastTransitionTime.Time
		switch c.Type {
		case corev1.PodScheduled:
			add(sigScheduled, t, "PodScheduled", string(c.Type))
		case "PodReadyToStartContainers", "PodHasNetwork":
			add(sigSandboxReady, t, string(c.Type), string(c.Type))
		case corev1.PodReady:
			add(sigReady, t, "Ready", `"Ready"`)
		}
	}
	for _, cs := range st.InitContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			add(sigInitStarted, t.StartedAt.Time, cs.Name, "startedAt")
			add(sigInitFinished, t.FinishedAt.Time, cs.Name, "finishedAt")
		} else if r := cs.State.Running; r != nil {
			add(sigInitStarted, r.StartedAt.Time, cs.Name, "startedAt")
		}
	}
	for _, cs := range st.ContainerStatuses {
		if r := cs.State.Running; r != nil {
			add(sigStarted, r.StartedAt.Time, cs.Name, `"startedAt"`, r.StartedAt.UTC().Format("15:04:05"))
		} else if t := cs.State.Terminated; t != nil {
			add(sigStarted, t.StartedAt.Time, cs.Name, "startedAt")
		}
	}
}

// template reads a workload's pod template as context for pods it created.
func (l *loader) template(h objectHead, path string, line int) (int, []string, error) {
	raw := h.Spec.Template
	if raw == nil && h.Spec.JobTemplate != nil {
		raw = h.Spec.JobTemplate.Spec.Template
	}
	if raw == nil {
		return 0, nil, nil
	}
	var t corev1.PodTemplateSpec
	if err := json.Unmarshal(*raw, &t); err != nil {
		return 0, nil, fmt.Errorf("decoding pod template: %w", err)
	}
	addClaimVolumes(&t.Spec, h)
	kind := orWord(h.Kind, "workload excerpt")
	l.ctx.addTemplate(templateCtx{name: h.Metadata.Name, namespace: h.Metadata.Namespace,
		spec: t.Spec, from: kind + " " + path, file: path, line: line})
	return 1, []string{kind}, nil
}

// addClaimVolumes adds the volumes a StatefulSet's controller gives each pod for its
// volumeClaimTemplates (a claim named after the template, the set and the ordinal), unless the
// template already has a volume of that name.
func addClaimVolumes(spec *corev1.PodSpec, h objectHead) {
	for _, vct := range h.Spec.VolumeClaimTemplates {
		name := vct.Metadata.Name
		if name == "" || slices.ContainsFunc(spec.Volumes, func(v corev1.Volume) bool {
			return v.Name == name
		}) {
			continue
		}
		claim := name + "-" + orWord(h.Metadata.Name, "?")
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: name,
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.
				PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	}
}

// csiDriver records a CSIDriver's fsGroupPolicy as context.
func (l *loader) csiDriver(raw []byte, path string, line int) (int, []string, error) {
	var d storagev1.CSIDriver
	if err := json.Unmarshal(raw, &d); err != nil {
		return 0, nil, fmt.Errorf("decoding CSIDriver: %w", err)
	}
	policy := "ReadWriteOnceWithFSType (default)"
	if d.Spec.FSGroupPolicy != nil {
		policy = string(*d.Spec.FSGroupPolicy)
	}
	note := fmt.Sprintf("CSIDriver %s has fsGroupPolicy %s (%s:%d)", d.Name, policy, path, line)
	if policy == string(storagev1.FileFSGroupPolicy) {
		note += ": the kubelet applies fsGroup to every volume of this driver"
	}
	l.ctx.notes = append(l.ctx.notes, note)
	return 1, []string{"CSIDriver"}, nil
}

// persistentVolume records network file systems as context (each chown is a round trip).
func (l *loader) persistentVolume(raw []byte, path string, line int) (int, []string, error) {
	var pv corev1.PersistentVolume
	if err := json.Unmarshal(raw, &pv); err != nil {
		return 0, nil, fmt.Errorf("decoding PersistentVolume: %w", err)
	}
	if nfs := pv.Spec.NFS; nfs != nil {
		l.ctx.notes = append(l.ctx.notes, fmt.Sprintf("PersistentVolume %s is NFS %s:%s (%s:%d): "+
			"every ownership change is a network round trip", pv.Name, nfs.Server, nfs.Path, path, line))
	}
	return 1, []string{"PersistentVolume"}, nil
}

// summarizeKinds renders "3 Event, 1 Pod".
func summarizeKinds(kinds []string) string {
	counts := map[string]int{}
	var order []string
	for _, k := range kinds {
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}
