package kubelog

import (
	"strconv"
	"strings"

	"github.com/startlag/startlag/internal/ownership"
)

// between returns the text of s after the first `start` and before the next `end`
// (to the end of s when end is empty or absent).
func between(s, start, end string) (string, bool) {
	i := strings.Index(s, start)
	if i < 0 {
		return "", false
	}
	s = s[i+len(start):]
	if end != "" {
		if j := strings.Index(s, end); j >= 0 {
			s = s[:j]
		}
	}
	return s, true
}

// quotedAfter returns the double-quoted text that follows marker in s
// (`for volume "x"` gives x).
func quotedAfter(s, marker string) string {
	v, ok := between(s, marker+`"`, `"`)
	if !ok {
		return ""
	}
	return v
}

// specVolume returns the volume spec name of an operation message
// (`... for volume "pvc-..." (UniqueName: ...)`).
func specVolume(s string) string {
	return quotedAfter(s, "for volume ")
}

// podFromFields reads the pod of a structured line: pod="ns/name" (or a JSON object already
// flattened to that), podUID, object= (events), pods=[...] (first entry).
func podFromFields(d *decoded, p *PodRef) {
	if v := d.get("pod"); v != "" {
		setNSName(p, v)
	} else if v := d.get("object"); v != "" && strings.Contains(v, "/") {
		setNSName(p, v)
	} else if v := d.get("pods"); v != "" {
		if list := splitList(v); len(list) > 0 {
			setNSName(p, list[0])
		}
	}
	if v := d.get("podUID"); v != "" && p.UID == "" {
		p.UID = v
	}
}

func setNSName(p *PodRef, v string) {
	if ns, name, ok := strings.Cut(v, "/"); ok {
		p.Namespace, p.Name = ns, name
		return
	}
	if name, ns, uid, ok := parsePodTriple(v); ok {
		p.Name, p.Namespace, p.UID = name, ns, uid
		return
	}
	p.Name = v
}

// splitList splits a ["a","b"] or [a b] rendering into its items.
func splitList(v string) []string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "[")
	v = strings.TrimSuffix(v, "]")
	sep := " "
	if strings.Contains(v, ",") {
		sep = ","
	}
	var out []string
	for _, it := range strings.Split(v, sep) {
		it = strings.Trim(strings.TrimSpace(it), `"`)
		if it != "" {
			out = append(out, it)
		}
	}
	return out
}

// podFromText reads the pod from message text in the older renderings:
// "name_ns(uid)", `pod "name" (UID: "uid")`, podName:uid, klog.KObj-less paths.
func podFromText(s string, p *PodRef) {
	if p.Name != "" && p.UID != "" {
		return
	}
	if p.Name == "" && strings.IndexByte(s, '_') >= 0 {
		if name, ns, uid, ok := parsePodTriple(s); ok {
			p.Name, p.Namespace = name, ns
			if p.UID == "" {
				p.UID = uid
			}
		}
	}
	if p.Name == "" {
		switch v := quotedAfter(s, "pod "); {
		case looksUID(v): // TearDown names the pod by its UID
			p.UID = firstNonEmpty(p.UID, v)
		case v != "" && !strings.Contains(v, " "):
			setNSName(p, v)
		}
	}
	if p.UID == "" {
		if v := quotedAfter(s, "(UID: "); looksUID(v) {
			p.UID = v
		}
	}
	if p.UID == "" {
		if v, ok := between(s, "podName:", " "); ok && looksUID(v) {
			p.UID = v
		}
	}
}

// parsePodTriple finds the first "name_namespace(uid)" in s.
func parsePodTriple(s string) (name, ns, uid string, ok bool) {
	for off := 0; off < len(s); {
		i := strings.IndexByte(s[off:], '(')
		if i < 0 {
			return "", "", "", false
		}
		i += off
		j := strings.IndexByte(s[i:], ')')
		if j > 0 && looksUID(s[i+1:i+j]) {
			start := strings.LastIndexAny(s[:i], " \"'(:,[{") + 1
			if n, ns, found := strings.Cut(s[start:i], "_"); found && n != "" && ns != "" {
				return n, ns, s[i+1 : i+j], true
			}
		}
		off = i + 1
	}
	return "", "", "", false
}

// looksUID reports whether s is a UID: 36 characters of hex and dashes (a static pod's
// 32-character hash is accepted too).
func looksUID(s string) bool {
	if len(s) != 36 && len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// fromVolumePath completes the pod UID and volume from a kubelet pod volume path.
func fromVolumePath(ev *Event) {
	if ev.Path == "" {
		return
	}
	pv, ok := ownership.ParsePodVolumePath(ev.Path)
	if !ok || pv.StagingPath {
		return
	}
	if ev.Pod.UID == "" {
		ev.Pod.UID = pv.PodUID
	}
	if ev.Volume == "" {
		ev.Volume = pv.Volume
	}
}

// waitLists reads the volume lists of a wait-loop error, in all wording eras:
// "unmounted volumes=[a b], unattached volumes=[...], failed to process volumes=[...]",
// "list of unmounted volumes=[a]. list of unattached volumes=[a b]",
// "list of unattached/unmounted volumes=[a]".
func waitLists(s string) (unmounted []string, detail string, ok bool) {
	for _, key := range []string{"unmounted volumes=", "unattached/unmounted volumes="} {
		if v, found := between(s, key, "]"); found {
			unmounted = splitList(v + "]")
			ok = true
			break
		}
	}
	if !ok {
		return nil, "", false
	}
	var parts []string
	for _, key := range []string{"unmounted volumes=", "unattached volumes=",
		"failed to process volumes=", "unattached/unmounted volumes="} {
		if v, found := between(s, key, "]"); found && !strings.Contains(v, "=") {
			name := strings.TrimSuffix(strings.Fields(key)[0], "/unmounted")
			if key == "failed to process volumes=" {
				name = "failed"
			}
			parts = append(parts, name+"=["+strings.TrimPrefix(v, "[")+"]")
		}
	}
	return unmounted, strings.Join(parts, " "), true
}

// waitOutcome classifies the error that ended one volume wait.
func waitOutcome(s string) (Kind, bool) {
	switch {
	case strings.Contains(s, "context canceled"):
		return KindVolumeWaitCanceled, true
	case strings.Contains(s, "context deadline exceeded"),
		strings.Contains(s, "timed out waiting for the condition"),
		strings.Contains(s, "timeout expired waiting for volumes"):
		return KindVolumeWaitTimeout, true
	}
	return KindUnknown, false
}

// processedCount reads N from "processed N files".
func processedCount(s string) (int64, bool) {
	v, ok := between(s, "processed ", " files")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

// afterColon returns the error part of an operation message: the text after " : " (detailed
// form) or after the last ": " when no such separator exists.
func afterColon(s string) string {
	if i := strings.Index(s, " : "); i >= 0 {
		return strings.TrimSpace(s[i+3:])
	}
	if i := strings.Index(s, ": "); i >= 0 {
		return strings.TrimSpace(s[i+2:])
	}
	return ""
}

// metaField reads Key:value from a Go struct rendering such as
// &PodSandboxMetadata{Name:x,Uid:y,Namespace:z,Attempt:0,}.
func metaField(s, key string) string {
	v, ok := between(s, key+":", ",")
	if !ok || strings.ContainsAny(v, "{}") {
		return ""
	}
	return v
}
