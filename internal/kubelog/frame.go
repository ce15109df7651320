package kubelog

import "bytes"

// stampKind says how a raw timestamp is written.
type stampKind uint8

const (
	stampNone   stampKind = iota
	stampKlog             // "0412 07:15:02.118230" (klog header without the level letter)
	stampSyslog           // "Apr 12 07:15:02"
	stampISO              // RFC 3339 and near variants ("2026-04-12T07:15:02+0000", "... 07:15:02.1")
	stampEpoch            // seconds since the epoch, decimal fraction ("1775978102.118")
	stampMicros           // microseconds since the epoch (journald __REALTIME_TIMESTAMP)
)

// stamp is a timestamp still in its raw bytes: lines are time-parsed only once recognised.
type stamp struct {
	kind stampKind
	raw  []byte
}

// bodyKind says how the message part of a line is encoded.
type bodyKind uint8

const (
	bodyNone    bodyKind = iota
	bodyKlog             // klog text after "] ": plain text, or "quoted msg" key=value...
	bodyJSON             // --logging-format=json object (the whole line)
	bodyLogrus           // containerd / CRI-O: time="..." level=... msg="..." key=...
	bodyJournal          // journalctl -o json object (the whole line)
	bodyPlain            // unframed text after a recognised prefix (kubectl logs, exports)
)

// frame is a line split into its framing parts. All slices alias the line.
type frame struct {
	outer stamp // the stamp of the wrapping layer (syslog, journald, CRI file), if any
	inner stamp // the stamp of the innermost layer (klog header, logrus time=, JSON ts)
	sev   byte  // 'I', 'W', 'E', 'F' or 0
	ident []byte
	body  bodyKind
	rest  []byte // the body: klog text after "] ", or the JSON/logrus line
	// msg is where the message text starts inside rest (after a leading quote for quoted
	// klog messages and inside the JSON/logrus msg string). The prefilter reads only msg.
	msg []byte
}

// maxFrameDepth bounds how many wrapping layers (remote syslog, syslog, CRI file) are peeled.
const maxFrameDepth = 4

// splitFrame recognises the framing of one line (no trailing newline or CR). It allocates
// nothing. ok is false when no framing is recognised (a garbage or continuation line).
func splitFrame(line []byte, f *frame) bool {
	*f = frame{}
	return splitLayer(line, f, 0)
}

func splitLayer(b []byte, f *frame, depth int) bool {
	if len(b) < 2 || depth > maxFrameDepth {
		return false
	}
	c := b[0]
	switch {
	case (c == 'I' || c == 'W' || c == 'E' || c == 'F') && splitKlog(b, f):
		return true
	case c == '{':
		return splitJSONLine(b, f)
	case (c == 't' || c == 'l') && splitLogrus(b, f):
		return true
	case c == '[':
		return splitExport(b, f)
	case isDigit(c) && (splitISOLayer(b, f, depth) || splitIPPrefix(b, f, depth)):
		return true
	case c >= 'A' && c <= 'Z' && splitSyslog(b, f, depth):
		return true
	}
	return splitExportAnywhere(b, f)
}

// splitKlog reads "Lmmdd hh:mm:ss.uuuuuu <pid> <file>:<line>] <msg>".
func splitKlog(b []byte, f *frame) bool {
	if len(b) < 22 || !isDigits(b[1:5]) || b[5] != ' ' || b[8] != ':' || b[11] != ':' {
		return false
	}
	end := 12
	for end < len(b) && (isDigit(b[end]) || b[end] == '.') {
		end++
	}
	limit := len(b)
	if limit > end+160 {
		limit = end + 160
	}
	i := bytes.IndexByte(b[end:limit], ']')
	if i < 0 {
		return false
	}
	i += end + 1
	if i < len(b) && b[i] == ' ' {
		i++
	}
	f.sev = b[0]
	f.inner = stamp{stampKlog, b[1:end]}
	setKlogBody(b[i:], f)
	return true
}

// setKlogBody sets the body to klog text; a structured message starts with a quote.
func setKlogBody(rest []byte, f *frame) {
	f.body = bodyKlog
	f.rest = rest
	f.msg = rest
	if len(rest) > 0 && rest[0] == '"' {
		f.msg = rest[1:]
	}
}

// splitExport reads a log-search export that kept only "[file.go:NN] msg".
func splitExport(b []byte, f *frame) bool {
	i := bytes.Index(b, []byte("] "))
	if i < 0 || !bytes.Contains(b[:i], []byte(".go:")) {
		return false
	}
	setKlogBody(b[i+2:], f)
	return true
}

// splitExportAnywhere accepts "<timestamp column> [file.go:NN] msg" with any separator.
func splitExportAnywhere(b []byte, f *frame) bool {
	i := bytes.Index(b, []byte(".go:"))
	if i < 0 || i > 200 {
		return false
	}
	open := bytes.LastIndexByte(b[:i], '[')
	if open < 0 || !splitExport(b[open:], f) {
		return false
	}
	col := bytes.Trim(b[:open], " \t,;|\"")
	if len(col) > 0 {
		f.inner = stamp{stampISO, col}
	}
	return true
}

// splitJSONLine tells a journalctl -o json object from a --logging-format=json one.
func splitJSONLine(b []byte, f *frame) bool {
	if bytes.Contains(b, []byte(`"MESSAGE":`)) {
		f.body = bodyJournal
		f.rest = b
		return true
	}
	i := bytes.Index(b, []byte(`"msg":"`))
	if i < 0 {
		return false
	}
	f.body = bodyJSON
	f.rest = b
	f.msg = b[i+len(`"msg":"`):]
	if j := bytes.Index(b, []byte(`"ts":`)); j >= 0 {
		f.inner = stamp{stampEpoch, numberAt(b[j+len(`"ts":`):])}
	}
	return true
}

// splitLogrus reads containerd/CRI-O logrus text: time="..." level=... msg="...".
func splitLogrus(b []byte, f *frame) bool {
	if !bytes.HasPrefix(b, []byte(`time="`)) && !bytes.HasPrefix(b, []byte("level=")) {
		return false
	}
	i := bytes.Index(b, []byte(` msg="`))
	if i < 0 {
		return false
	}
	if bytes.HasPrefix(b, []byte(`time="`)) {
		if end := bytes.IndexByte(b[6:], '"'); end >= 0 {
			f.inner = stamp{stampISO, b[6 : 6+end]}
		}
	}
	f.sev = logrusSeverity(b)
	f.body = bodyLogrus
	f.rest = b
	f.msg = b[i+len(` msg="`):]
	return true
}

func logrusSeverity(b []byte) byte {
	i := bytes.Index(b, []byte("level="))
	if i < 0 || i+6 >= len(b) {
		return 0
	}
	switch b[i+6] {
	case 'i', 'd', 't':
		return 'I'
	case 'w':
		return 'W'
	case 'e':
		return 'E'
	case 'f', 'p':
		return 'F'
	}
	return 0
}

// splitSyslog reads "Mmm dd hh:mm:ss host ident[pid]: inner".
func splitSyslog(b []byte, f *frame, depth int) bool {
	if len(b) < 20 || b[3] != ' ' || b[9] != ':' || b[12] != ':' || monthIndex(b[:3]) == 0 {
		return false
	}
	end := 15
	for end < len(b) && (isDigit(b[end]) || b[end] == '.') {
		end++
	}
	if end >= len(b) || b[end] != ' ' {
		return false
	}
	f.outer = stamp{stampSyslog, b[:end]}
	return splitHostIdent(b[end+1:], f, depth)
}

// splitHostIdent reads "host ident[pid]: inner" (the ident part of syslog and short-iso).
func splitHostIdent(b []byte, f *frame, depth int) bool {
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return false
	}
	rest := b[sp+1:]
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 || colon > 64 || bytes.IndexByte(rest[:colon], ' ') >= 0 {
		return false
	}
	ident := rest[:colon]
	if k := bytes.IndexByte(ident, '['); k > 0 {
		ident = ident[:k]
	}
	f.ident = ident
	inner := rest[colon+2:]
	if !splitLayer(inner, f, depth+1) {
		f.body = bodyPlain
		f.rest = inner
		f.msg = inner
	}
	return true
}

// splitISOLayer reads a line that starts with an ISO timestamp: journalctl -o short-iso, a CRI
// container log file ("<ts> stderr F <line>"), kubectl logs --timestamps, or an export.
func splitISOLayer(b []byte, f *frame, depth int) bool {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') {
		return false
	}
	end := isoEnd(b)
	if end < 0 {
		return false
	}
	f.outer = stamp{stampISO, b[:end]}
	rest := bytes.TrimLeft(b[end:], " \t")
	if cri := criPayload(rest); cri != nil {
		rest = cri
	} else if len(rest) > 0 && rest[0] == '[' {
		return splitExport(rest, f)
	} else if looksHostIdent(rest) {
		return splitHostIdent(rest, f, depth)
	}
	if !splitLayer(rest, f, depth+1) {
		f.body = bodyPlain
		f.rest = rest
		f.msg = rest
	}
	return true
}

// isoEnd returns where the ISO timestamp at the start of b ends, or -1.
func isoEnd(b []byte) int {
	i := 11
	for i < len(b) {
		c := b[i]
		if isDigit(c) || c == ':' || c == '.' || c == ',' || c == '+' || c == '-' || c == 'Z' {
			i++
			continue
		}
		break
	}
	if i < 19 {
		return -1
	}
	return i
}

// criPayload returns the log text of a CRI log line "stdout|stderr F|P text", else nil.
func criPayload(b []byte) []byte {
	for _, s := range [][]byte{[]byte("stderr "), []byte("stdout ")} {
		if bytes.HasPrefix(b, s) && len(b) >= 9 && (b[7] == 'F' || b[7] == 'P') && b[8] == ' ' {
			return b[9:]
		}
	}
	return nil
}

// looksHostIdent reports whether b starts "host ident[pid]: " (or "host ident: ").
func looksHostIdent(b []byte) bool {
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 || sp > 253 {
		return false
	}
	rest := b[sp+1:]
	colon := bytes.Index(rest, []byte(": "))
	return colon > 0 && colon <= 64 && bytes.IndexByte(rest[:colon], ' ') < 0
}

// splitIPPrefix peels a remote-syslog "<ip>: " prefix.
func splitIPPrefix(b []byte, f *frame, depth int) bool {
	i := 0
	for i < len(b) && i < 46 && (isDigit(b[i]) || b[i] == '.' || b[i] == ':' || isHex(b[i])) {
		i++
	}
	if i < 7 || i+2 > len(b) || b[i-1] != ':' || b[i] != ' ' {
		return false
	}
	return splitLayer(b[i+1:], f, depth+1)
}

// numberAt returns the JSON number at the start of b.
func numberAt(b []byte) []byte {
	i := 0
	for i < len(b) && (isDigit(b[i]) || b[i] == '.' || b[i] == 'e' || b[i] == 'E' || b[i] == '-' ||
		b[i] == '+') {
		i++
	}
	return b[:i]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

func isDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"}

// monthIndex returns 1..12 for a three-letter English month name, else 0.
func monthIndex(b []byte) int {
	for i, m := range months {
		if string(b) == m {
			return i + 1
		}
	}
	return 0
}
