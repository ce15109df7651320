package kubelog

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// field is one key=value pair of a structured line.
type field struct {
	key, val string
}

// decoded is a recognised-prefix line with its message and fields decoded. Klog key=value
// pairs stay raw and are decoded on demand (a handler reads only a few of them).
type decoded struct {
	msg    string
	fields []field
	pairs  []byte    // raw ` key=value ...` text of a structured klog line
	spans  []rawPair // pairs split once, on the first get
	split  bool
}

// rawPair is one undecoded key=value of a klog line.
type rawPair struct {
	key, val []byte
}

func (d *decoded) get(key string) string {
	for _, f := range d.fields {
		if f.key == key {
			return f.val
		}
	}
	if len(d.pairs) == 0 {
		return ""
	}
	if !d.split {
		d.spans, d.split = splitPairs(d.spans[:0], d.pairs), true
	}
	for _, p := range d.spans {
		if string(p.key) == key {
			v, _ := readValue(p.val)
			return v
		}
	}
	return ""
}

// splitPairs splits raw klog pairs without decoding them, skipping quoted and bracketed
// values so that text inside them is never taken for a key.
func splitPairs(out []rawPair, b []byte) []rawPair {
	for {
		b = bytes.TrimLeft(b, " ")
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 || bytes.IndexByte(b[:eq], ' ') >= 0 {
			return out
		}
		n := valueLen(b[eq+1:])
		out = append(out, rawPair{b[:eq], b[eq+1 : eq+1+n]})
		b = b[eq+1+n:]
	}
}

// valueLen is the length of the value at the start of b, without decoding it.
func valueLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '"':
		if end := closingQuote(b); end > 0 {
			return end + 1
		}
	case '[', '{':
		if n := groupEnd(b); n > 0 {
			return n
		}
	}
	n := bytes.IndexByte(b, ' ')
	if n < 0 {
		n = len(b)
	}
	return n
}

// decodeBody decodes the message and fields of a framed line. ok is false when the body is
// malformed (an unterminated quote, invalid JSON).
func decodeBody(f *frame) (decoded, bool) {
	switch f.body {
	case bodyKlog:
		return decodeKlog(f.rest)
	case bodyJSON:
		return decodeJSON(f.rest)
	case bodyLogrus:
		return decodeLogrus(f.rest)
	case bodyPlain:
		return decoded{msg: string(f.rest)}, true
	}
	return decoded{}, false
}

// decodeKlog decodes klog text: a plain message, or a quoted message then key=value pairs.
func decodeKlog(rest []byte) (decoded, bool) {
	if len(rest) == 0 || rest[0] != '"' {
		return decoded{msg: string(rest)}, true
	}
	msg, n, ok := readQuoted(rest)
	if !ok {
		return decoded{msg: string(rest)}, true
	}
	return decoded{msg: msg, pairs: rest[n:]}, true
}

// readQuoted reads a Go-quoted string at the start of b and returns it unquoted and the
// number of bytes it took.
func readQuoted(b []byte) (string, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", 0, false
	}
	end := closingQuote(b)
	if end < 0 {
		return "", 0, false
	}
	body := b[1:end]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), end + 1, true
	}
	return unescape(body), end + 1, true
}

// closingQuote returns the index of the quote closing the string that starts b[0], or -1.
func closingQuote(b []byte) int {
	for i := 1; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		k := i - 1
		for k > 0 && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 { // an even number of backslashes: the quote is not escaped
			return i
		}
		i++
	}
	return -1
}

// unescape undoes Go quoting; the common escapes are handled inline, anything else goes
// through strconv (and is kept raw if invalid).
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 || i+j+1 == len(b) {
			out = append(out, b[i:]...)
			break
		}
		out = append(out, b[i:i+j]...)
		i += j + 1
		switch b[i] {
		case '"', '\\', '\'':
			out = append(out, b[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		default:
			s, err := strconv.Unquote(`"` + string(b) + `"`)
			if err != nil {
				return string(b)
			}
			return s
		}
	}
	return string(out)
}

// readPairs reads ` key=value` pairs: quoted strings, [..] / {..} groups or bare words.
func readPairs(b []byte) []field {
	var out []field
	for {
		b = bytes.TrimLeft(b, " ")
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 || bytes.IndexByte(b[:eq], ' ') >= 0 {
			return out
		}
		key := string(b[:eq])
		val, n := readValue(b[eq+1:])
		out = append(out, field{key, val})
		b = b[eq+1+n:]
	}
}

// readValue reads one value and returns it (unquoted) and its length in b.
// TODO: klog renders multi-line string values as `key=<` followed by tab-indented lines and a
// closing " >"; the value is then only "<" here, since the Reader works line by line.
func readValue(b []byte) (string, int) {
	if len(b) == 0 {
		return "", 0
	}
	switch b[0] {
	case '"':
		if s, n, ok := readQuoted(b); ok {
			return s, n
		}
	case '[', '{':
		if n := groupEnd(b); n > 0 {
			return string(b[:n]), n
		}
	}
	n := bytes.IndexByte(b, ' ')
	if n < 0 {
		n = len(b)
	}
	return string(b[:n]), n
}

// groupEnd returns the length of the bracketed group at the start of b (quotes respected).
func groupEnd(b []byte) int {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// decodeJSON decodes a --logging-format=json line. Objects {"name","namespace"} (klog.KObj)
// become "namespace/name"; other non-string values keep their JSON text.
func decodeJSON(b []byte) (decoded, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return decoded{}, false
	}
	d := decoded{}
	for k, raw := range m {
		v := jsonValue(raw)
		if k == "msg" {
			d.msg = v
			continue
		}
		d.fields = append(d.fields, field{k, v})
	}
	return d, true
}

func jsonValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct{ Name, Namespace string }
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &obj) == nil && obj.Name != "" {
		if obj.Namespace == "" {
			return obj.Name
		}
		return obj.Namespace + "/" + obj.Name
	}
	return string(raw)
}

// decodeLogrus decodes time="..." level=... msg="..." key=... text.
func decodeLogrus(b []byte) (decoded, bool) {
	d := decoded{}
	for _, f := range readPairs(b) {
		if f.key == "msg" {
			d.msg = f.val
			continue
		}
		d.fields = append(d.fields, f)
	}
	return d, d.msg != ""
}

// journalEntry is the part of a journalctl -o json object the reader needs.
type journalEntry struct {
	Message  json.RawMessage `json:"MESSAGE"`
	Realtime string          `json:"__REALTIME_TIMESTAMP"`
	Ident    string          `json:"SYSLOG_IDENTIFIER"`
	Unit     string          `json:"_SYSTEMD_UNIT"`
}

// decodeJournal unwraps a journalctl -o json line into its MESSAGE text (a string, or an array
// of bytes for messages journald did not store as UTF-8), stamp and identifier.
func decodeJournal(b []byte) (msg []byte, realtime, ident string, ok bool) {
	var e journalEntry
	if err := json.Unmarshal(b, &e); err != nil || len(e.Message) == 0 {
		return nil, "", "", false
	}
	var s string
	if err := json.Unmarshal(e.Message, &s); err == nil {
		msg = []byte(s)
	} else {
		var arr []byte
		var nums []int
		if json.Unmarshal(e.Message, &nums) != nil {
			return nil, "", "", false
		}
		for _, n := range nums {
			arr = append(arr, byte(n))
		}
		msg = arr
	}
	ident = e.Ident
	if ident == "" {
		ident = strings.TrimSuffix(e.Unit, ".service")
	}
	return bytes.TrimRight(msg, "\r\n"), e.Realtime, ident, true
}

// clean returns s as valid UTF-8 (invalid bytes become U+FFFD) and cut to max bytes.
func clean(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
