package audit

import (
	"fmt"
	"strings"

	"github.com/startlag/startlag/internal/manifest"
)

// IgnoreAnnotation suppresses findings of one workload. It may sit on the workload object or on
// its pod template. Its value lists entries "rule-id: reason", separated by newlines or commas
// (so a reason cannot contain either), for example:
//
//	startlag.dev/ignore: "fsgroup-walk: volume holds < 1000 files"
//	startlag.dev/ignore: |
//	  fsgroup-walk: volume holds < 1000 files
//	  chown-init-container: runs once per node, image is tiny
//
// An entry without a reason, or naming an unknown rule, suppresses nothing: the findings are
// kept and carry a warning, so a typo never hides a hazard silently.
const IgnoreAnnotation = "startlag.dev/ignore"

// suppression is the parsed annotation of one workload.
type suppression struct {
	reasons  map[string]string
	problems []problem
}

// problem is a malformed entry; rule is set when the entry names a known rule.
type problem struct {
	rule string
	text string
}

// workloadSuppression reads the annotation from the workload and from its pod template.
func workloadSuppression(w *manifest.Workload) suppression {
	s := suppression{reasons: map[string]string{}}
	own := w.Annotations[IgnoreAnnotation]
	tmpl := w.Template.Annotations[IgnoreAnnotation]
	s.parse(own, "metadata.annotations")
	if tmpl != "" && tmpl != own {
		s.parse(tmpl, "pod template annotations")
	}
	return s
}

// parseIgnore parses an annotation value; where names it in problem texts.
func parseIgnore(value string) suppression {
	s := suppression{reasons: map[string]string{}}
	s.parse(value, "annotation")
	return s
}

func (s *suppression) parse(value, where string) {
	for _, line := range strings.Split(value, "\n") {
		for _, entry := range strings.Split(line, ",") {
			s.entry(strings.TrimSpace(entry), where)
		}
	}
}

func (s *suppression) entry(e, where string) {
	if e == "" {
		return
	}
	id, reason, hasColon := strings.Cut(e, ":")
	id, reason = strings.TrimSpace(id), strings.TrimSpace(reason)
	_, known := RuleByID(id)
	bad := func(rule, format string, args ...any) {
		text := fmt.Sprintf("%s %s entry %q: %s; nothing suppressed", IgnoreAnnotation, where, e,
			fmt.Sprintf(format, args...))
		s.problems = append(s.problems, problem{rule: rule, text: text})
	}
	switch {
	case !known:
		bad("", "unknown rule id %q (known: %s)", id, strings.Join(ruleIDs(), ", "))
	case !hasColon || reason == "":
		bad(id, "a reason is required (write %q)", id+": why this is safe")
	default:
		s.reasons[id] = reason
	}
}

func ruleIDs() []string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	return ids
}
