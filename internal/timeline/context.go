package timeline

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// templateCtx is a pod spec known from a workload template or a pod excerpt without a name.
type templateCtx struct {
	name, namespace string
	spec            corev1.PodSpec
	status          *corev1.PodStatus
	from            string
	file            string
	line            int
}

// contextObjects are inputs that do not describe a start-up but explain one.
type contextObjects struct {
	templates []templateCtx
	notes     []string
}

func (c *contextObjects) addTemplate(t templateCtx) { c.templates = append(c.templates, t) }

// apply gives pods without a spec the spec of the template that created them: a template whose
// workload name prefixes the pod name, or the only template when there is one pod to explain.
func (c *contextObjects) apply(pods []*podState) {
	for _, p := range pods {
		if t, ok := c.templateFor(p, pods); ok && p.spec == nil {
			spec := t.spec
			p.spec, p.specFrom = &spec, t.from
			if p.status == nil {
				p.status = t.status
			}
			p.notes = append(p.notes, fmt.Sprintf("pod spec taken from %s (%s:%d)", t.from, t.file,
				t.line))
		}
		p.notes = append(p.notes, c.notes...)
	}
}

// templateFor finds the template that belongs to p.
func (c *contextObjects) templateFor(p *podState, pods []*podState) (templateCtx, bool) {
	for _, t := range c.templates {
		if t.name != "" && strings.HasPrefix(p.ref.Name, t.name+"-") &&
			(t.namespace == "" || p.ref.Namespace == "" || t.namespace == p.ref.Namespace) {
			return t, true
		}
	}
	if len(c.templates) == 1 && onlyStartingPod(pods) == p {
		return c.templates[0], true
	}
	return templateCtx{}, false
}
