package manifest

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// templateRef is an Argo Rollouts spec.workloadRef: the pod template lives in another object.
type templateRef struct {
	APIVersion, Kind, Name string
}

// genericWorkload extracts the pod template of an object the client-go scheme cannot convert
// to a current typed workload: deprecated API versions of built-in kinds and CRDs. The object
// is decoded as unstructured and its template converted into a corev1.PodTemplateSpec.
func genericWorkload(data []byte, gvk schema.GroupVersionKind) (*Workload, error) {
	var m map[string]any
	if err := utiljson.Unmarshal(data, &m); err != nil { // integers as int64, as unstructured
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" { // an item of a typed List (RolloutList) carries no kind of its own
		u.SetGroupVersionKind(gvk)
	}

	w := &Workload{
		APIVersion:  u.GetAPIVersion(),
		Kind:        u.GetKind(),
		Namespace:   u.GetNamespace(),
		Name:        u.GetName(),
		Annotations: u.GetAnnotations(),
	}
	if err := genericTemplate(u, w); err != nil {
		return nil, err
	}
	if err := genericClaims(u, w); err != nil {
		return nil, err
	}
	genericReplicasAndStrategy(u, w)
	return w, nil
}

// genericTemplate fills w.Template from spec.template (spec.jobTemplate.spec.template for a
// CronJob), or records an Argo Rollouts workloadRef for Load to resolve.
func genericTemplate(u *unstructured.Unstructured, w *Workload) error {
	path := []string{"spec", "template"}
	if w.Kind == "CronJob" {
		path = []string{"spec", "jobTemplate", "spec", "template"}
	}
	m, found, err := unstructured.NestedMap(u.Object, path...)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dotted(path), err)
	}
	if !found {
		if ref, ok := rolloutRef(u); ok {
			w.ref = ref
		}
		return nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &w.Template); err != nil {
		return fmt.Errorf("decoding %s: %w", dotted(path), err)
	}
	return nil
}

// rolloutRef returns an Argo Rollout's spec.workloadRef.
func rolloutRef(u *unstructured.Unstructured) (*templateRef, bool) {
	if u.GetKind() != "Rollout" {
		return nil, false
	}
	ref, found, _ := unstructured.NestedStringMap(u.Object, "spec", "workloadRef")
	if !found {
		return nil, false
	}
	return &templateRef{APIVersion: ref["apiVersion"], Kind: ref["kind"], Name: ref["name"]}, true
}

// genericClaims fills w.VolumeClaimTemplates from spec.volumeClaimTemplates.
func genericClaims(u *unstructured.Unstructured, w *Workload) error {
	items, found, err := unstructured.NestedSlice(u.Object, "spec", "volumeClaimTemplates")
	if err != nil {
		return fmt.Errorf("reading spec.volumeClaimTemplates: %w", err)
	}
	if !found {
		return nil
	}
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("spec.volumeClaimTemplates[%d] is not an object", i)
		}
		var pvc corev1.PersistentVolumeClaim
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &pvc); err != nil {
			return fmt.Errorf("decoding spec.volumeClaimTemplates[%d]: %w", i, err)
		}
		w.VolumeClaimTemplates = append(w.VolumeClaimTemplates, pvc)
	}
	return nil
}

// genericReplicasAndStrategy fills w.Replicas and, for Deployments and Rollouts, w.Strategy.
// Both Rollout strategies (canary and blueGreen) start new pods while old ones still run, as a
// RollingUpdate Deployment does, so a Rollout reports RollingUpdate.
func genericReplicasAndStrategy(u *unstructured.Unstructured, w *Workload) {
	n, found, err := unstructured.NestedInt64(u.Object, "spec", "replicas")
	if found && err == nil {
		r := int32(n)
		w.Replicas = &r
	}

	switch w.Kind {
	case "Deployment":
		t, _, _ := unstructured.NestedString(u.Object, "spec", "strategy", "type")
		w.Strategy = appsv1.DeploymentStrategyType(t)
		if w.Strategy == "" {
			w.Strategy = appsv1.RollingUpdateDeploymentStrategyType
		}
	case "Rollout":
		w.Strategy = appsv1.RollingUpdateDeploymentStrategyType
	}
}

// resolveWorkloadRefs copies the pod template of a Deployment named by a Rollout's
// spec.workloadRef from the same input. A Rollout whose Deployment is not in the input cannot be
// audited: it is moved from Workloads to Skipped.
func resolveWorkloadRefs(set *Set) {
	kept := make([]Workload, 0, len(set.Workloads))
	for _, w := range set.Workloads {
		if w.ref == nil {
			kept = append(kept, w)
			continue
		}
		if d := findDeployment(set.Workloads, w.Namespace, w.ref); d != nil {
			w.Template = d.Template
			w.ref = nil
			kept = append(kept, w)
			continue
		}
		set.Skipped[w.APIVersion+"/"+w.Kind+" (workloadRef outside the input)"]++
	}
	set.Workloads = kept
}

// findDeployment returns the Deployment ref names in namespace, or nil.
//
// TODO: only Deployment references are resolved; a workloadRef naming another kind (or a
// Deployment in a file not given on the command line) leaves the Rollout unaudited.
func findDeployment(ws []Workload, namespace string, ref *templateRef) *Workload {
	for i := range ws {
		w := &ws[i]
		if w.Kind == ref.Kind && w.Kind == "Deployment" && w.Name == ref.Name &&
			w.Namespace == namespace && w.ref == nil {
			return w
		}
	}
	return nil
}

func dotted(path []string) string {
	s := path[0]
	for _, p := range path[1:] {
		s += "." + p
	}
	return s
}
