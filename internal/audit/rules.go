package audit

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DocBase is where the rule pages (docs/rules/<id>.md) are published.
const DocBase = "https://github.com/startlag/startlag/blob/main/docs/rules/"

// Rule is one static check. Rules are values in the Rules list; a rule's ID is a public
// contract (suppression annotations and --ignore name it) and never changes.
type Rule struct {
	// ID is a stable lower-case hyphenated name, e.g. "fsgroup-walk".
	ID string
	// Severity is the severity of the rule's hazard findings. A check may report a finding
	// at a lower severity when the instance is harmless (for example on an emptyDir).
	Severity Severity
	// Summary is one line saying what the rule finds.
	Summary string
	// Explanation says why it matters, in a few sentences.
	Explanation string
	// Fix says what to change in general; findings carry a fix specific to the workload.
	Fix string
	// Doc is the URL of the rule's page.
	Doc string
	// Check returns the rule's findings for one workload. It never prints.
	Check func(t *target) []Finding
}

// Rule ids: the public contract of suppression annotations, --ignore and reports.
const (
	idFSGroupWalk      = "fsgroup-walk"
	idChownInit        = "chown-init-container"
	idORMDefeated      = "onrootmismatch-defeated"
	idSELinuxRelabel   = "selinux-relabel"
	idRWORollingUpdate = "rwo-rolling-update"
)

// Rules lists every rule, in the order findings are reported for a workload.
var Rules = []Rule{
	ruleFSGroupWalk,
	ruleChownInit,
	ruleOnRootMismatchDefeated,
	ruleSELinuxRelabel,
	ruleRWORollingUpdate,
}

var ruleIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate checks a rule list: well-formed unique ids, a summary on one line, an explanation,
// a fix, a documentation URL naming the id, a known severity and a check function.
func Validate(rules []Rule) error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range rules {
		name := r.ID
		if name == "" {
			name = fmt.Sprintf("rule #%d", i)
		}
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
		}
		if !ruleIDPattern.MatchString(r.ID) {
			bad("id %q is not lower-case-hyphenated", r.ID)
		}
		if seen[r.ID] {
			bad("duplicate id")
		}
		seen[r.ID] = true
		if r.Summary == "" || strings.Contains(r.Summary, "\n") {
			bad("summary must be one non-empty line")
		}
		if r.Explanation == "" || r.Fix == "" {
			bad("explanation and fix must not be empty")
		}
		if !strings.HasSuffix(r.Doc, r.ID+".md") {
			bad("doc %q does not name %s.md", r.Doc, r.ID)
		}
		if r.Severity < Info || r.Severity > Error {
			bad("unknown severity %d", int(r.Severity))
		}
		if r.Check == nil {
			bad("no check function")
		}
	}
	return errors.Join(errs...)
}

// RuleByID returns the rule with the given id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

func docURL(id string) string { return DocBase + id + ".md" }
