package kubelog

import (
	"bytes"
	"strings"
)

// MaxTextBytes bounds Event.Text, the evidence copy of the line.
const MaxTextBytes = 4096

// state is what recognition carries from line to line within one stream. A nil *state is
// valid and remembers nothing.
type state struct {
	grpc      string            // method of the last "GRPC call:" line
	sandboxes map[string]PodRef // runtime sandbox id -> pod
	ctx       lineCtx           // reused per line: recognised lines then allocate only strings
	out       []Event           // reused result slice, valid until the next line
}

// maxSandboxes bounds the sandbox map; beyond it, the map is cleared (old sandboxes matter
// less than memory).
const maxSandboxes = 4096

func (s *state) setGRPC(m string) {
	if s != nil {
		s.grpc = m
	}
}

func (s *state) grpcMethod() string {
	if s == nil {
		return ""
	}
	return s.grpc
}

func (s *state) rememberSandbox(id string, p PodRef) {
	if s == nil || id == "" || p.Name == "" {
		return
	}
	if s.sandboxes == nil || len(s.sandboxes) >= maxSandboxes {
		s.sandboxes = make(map[string]PodRef)
	}
	s.sandboxes[id] = p
}

func (s *state) sandboxPod(id string) PodRef {
	if s == nil || id == "" {
		return PodRef{}
	}
	return s.sandboxes[id]
}

// ParseLine recognises one log line in any supported framing (see the package doc). line must
// not hold the trailing newline; a trailing CR is ignored. ok is false for lines that carry
// no recognised message. It keeps no state: CSI "GRPC request/response" lines, which need the
// preceding call, are recognised only by a Reader.
func ParseLine(line []byte, opts Options) (Event, bool) {
	evs := parseLine(line, opts, nil)
	if len(evs) == 0 {
		return Event{}, false
	}
	return evs[0], true
}

// parseLine returns the events of one line (usually none, at most one per pod named). With a
// state, the result slice is reused by the next call.
func parseLine(line []byte, opts Options, st *state) []Event {
	evs, _ := parseLineFramed(line, opts, st)
	return evs
}

// parseLineFramed is parseLine that also reports whether the line had a known framing.
func parseLineFramed(line []byte, opts Options, st *state) ([]Event, bool) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	var f frame
	if !splitFrame(line, &f) {
		return nil, false
	}
	return parseFramed(line, &f, opts, st), true
}

// parseFramed runs the prefilter, then decodes and recognises a framed line.
func parseFramed(line []byte, f *frame, opts Options, st *state) []Event {
	if f.body == bodyJournal {
		return parseJournal(line, opts, st)
	}
	if !mayMatch(f.msg) && !runtimeSpecial(f) {
		return nil
	}
	d, ok := decodeBody(f)
	if !ok {
		return nil
	}
	var c *lineCtx
	if st != nil {
		c = &st.ctx // reused: allocating a context per line cost more than the parse
	} else {
		c = &lineCtx{}
	}
	d.spans = c.d.spans[:0] // the raw pairs alias the line only: their slice can be reused
	*c = lineCtx{d: d, st: st, extra: c.extra[:0]}
	c.ev.Severity = f.sev
	if f.body == bodyJSON && c.d.get("err") != "" && c.d.get("v") == "" {
		c.ev.Severity = 'E' // JSON lines carry only v for info; errors add err and drop v
	}
	podFromFields(&c.d, &c.ev.Pod)
	if !recognise(c, d.msg) && !recogniseRuntime(c, f) {
		return nil
	}
	finish(&c.ev, c, line, f, opts)
	for i := range c.extra {
		finish(&c.extra[i], c, line, f, opts)
	}
	if st == nil {
		return append([]Event{c.ev}, c.extra...)
	}
	st.out = append(append(st.out[:0], c.ev), c.extra...)
	return st.out
}

// runtimeSpecial lets runtime (logrus) lines that mention a relabel through the prefilter:
// their wording is not fixed enough for a prefix.
func runtimeSpecial(f *frame) bool {
	return f.body == bodyLogrus && bytes.Contains(f.rest, []byte("elabel"))
}

// recogniseRuntime recognises a runtime line about an SELinux relabel.
func recogniseRuntime(c *lineCtx, f *frame) bool {
	if f.body != bodyLogrus {
		return false
	}
	all := c.d.msg + " " + c.d.get("error")
	if !strings.Contains(strings.ToLower(all), "relabel") {
		return false
	}
	c.ev.Kind = KindSELinuxRelabel
	c.ev.Err = c.d.get("error")
	c.ev.Path = pathInText(c.d.msg)
	return true
}

// finish completes an event with what every kind shares: time, component, pod from the text
// and the path, source text.
func finish(ev *Event, c *lineCtx, line []byte, f *frame, opts Options) {
	ev.Time, ev.YearAssumed = lineTime(f, opts)
	if ev.Severity == 0 {
		ev.Severity = f.sev
	}
	if ev.Component == "" {
		ev.Component = component(f, ev.Kind)
	}
	if ev.Err == "" && isFailure(ev.Kind) {
		ev.Err = c.d.get("err")
	}
	podFromText(c.d.msg, &ev.Pod)
	fromVolumePath(ev)
	ev.Text = clean(line, MaxTextBytes)
}

func isFailure(k Kind) bool {
	switch k {
	case KindOwnershipFailed, KindMountDeviceFailed, KindSetUpFailed, KindMountFailed,
		KindCreateContainerErr, KindNameReserved, KindPodSyncError:
		return true
	}
	return false
}

// component names the program that wrote the line: the syslog identifier for runtime lines,
// "kubelet" for klog text unless the message is a CSI plugin's.
func component(f *frame, k Kind) string {
	switch k {
	case KindNodeStageStarted, KindNodeStageDone, KindNodeStageRequest, KindNodePublishStarted,
		KindNodePublishDone, KindDriverOwnership:
		return "csi-plugin"
	}
	id := string(f.ident)
	switch {
	case f.body == bodyLogrus && id == "":
		return "runtime"
	case f.body == bodyLogrus && strings.HasPrefix(id, "crio"):
		return "crio"
	case f.body == bodyLogrus:
		return id
	case id == "containerd" || strings.HasPrefix(id, "crio"):
		return id
	}
	return "kubelet"
}

// parseJournal unwraps a journalctl -o json line and parses its MESSAGE.
func parseJournal(line []byte, opts Options, st *state) []Event {
	msg, realtime, ident, ok := decodeJournal(line)
	if !ok {
		return nil
	}
	var f frame
	if !splitLayer(msg, &f, 1) {
		f = frame{body: bodyPlain, rest: msg, msg: msg}
	}
	f.outer = stamp{stampMicros, []byte(realtime)}
	if len(f.ident) == 0 {
		f.ident = []byte(ident)
	}
	evs := parseFramed(msg, &f, opts, st)
	for i := range evs {
		evs[i].Text = clean(line, MaxTextBytes)
	}
	return evs
}
