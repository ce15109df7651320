package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// class says how an object is decoded.
type class int

const (
	classOther   class = iota // counted in Set.Skipped
	classTyped                // decoded into k8s.io/api types through the client-go scheme
	classGeneric              // pod template read from unstructured (old API versions, CRDs)
)

// kinds maps "apiVersion/kind" to its class. The generic entries are API versions the scheme
// decodes into types that have no conversion to apps/v1 or batch/v1 outside the API server,
// and CRDs with a known pod template path.
var kinds = map[string]class{
	"v1/Pod":                         classTyped,
	"v1/ReplicationController":       classTyped,
	"v1/PersistentVolumeClaim":       classTyped,
	"v1/PersistentVolume":            classTyped,
	"apps/v1/Deployment":             classTyped,
	"apps/v1/StatefulSet":            classTyped,
	"apps/v1/DaemonSet":              classTyped,
	"apps/v1/ReplicaSet":             classTyped,
	"batch/v1/Job":                   classTyped,
	"batch/v1/CronJob":               classTyped,
	"storage.k8s.io/v1/StorageClass": classTyped,
	"storage.k8s.io/v1/CSIDriver":    classTyped,

	"apps/v1beta1/Deployment":             classGeneric,
	"apps/v1beta1/StatefulSet":            classGeneric,
	"apps/v1beta2/Deployment":             classGeneric,
	"apps/v1beta2/StatefulSet":            classGeneric,
	"apps/v1beta2/DaemonSet":              classGeneric,
	"apps/v1beta2/ReplicaSet":             classGeneric,
	"extensions/v1beta1/Deployment":       classGeneric,
	"extensions/v1beta1/DaemonSet":        classGeneric,
	"extensions/v1beta1/ReplicaSet":       classGeneric,
	"batch/v1beta1/CronJob":               classGeneric,
	"argoproj.io/v1alpha1/Rollout":        classGeneric,
	"apps.kruise.io/v1alpha1/CloneSet":    classGeneric,
	"apps.kruise.io/v1alpha1/StatefulSet": classGeneric,
	"apps.kruise.io/v1beta1/StatefulSet":  classGeneric,
	"apps.kruise.io/v1alpha1/DaemonSet":   classGeneric,
}

// classify returns how to decode an object of apiVersion and kind.
func classify(apiVersion, kind string) class { return kinds[apiVersion+"/"+kind] }

// add decodes a workload or storage object given as JSON and adds it to the Set. gvk is the
// object's group, version and kind, which the JSON of a typed List's item leaves out.
func (d *decoder) add(c class, data []byte, gvk schema.GroupVersionKind, pos Position,
	source string) error {
	if c == classGeneric {
		w, err := genericWorkload(data, gvk)
		if err != nil {
			return err
		}
		w.Pos, w.Source = pos, source
		d.set.Workloads = append(d.set.Workloads, *w)
		return nil
	}

	obj, _, err := deserializer.Decode(data, &gvk, nil)
	if err != nil {
		return plainTypeError(err)
	}
	if d.addStorage(obj) {
		return nil
	}
	w, err := typedWorkload(obj)
	if err != nil {
		return err
	}
	w.Pos, w.Source = pos, source
	d.set.Workloads = append(d.set.Workloads, *w)
	return nil
}

// addStorage adds obj to Set.Storage if it is a storage object.
func (d *decoder) addStorage(obj runtime.Object) bool {
	s := &d.set.Storage
	switch o := obj.(type) {
	case *corev1.PersistentVolumeClaim:
		s.PVCs = append(s.PVCs, o)
	case *corev1.PersistentVolume:
		s.PVs = append(s.PVs, o)
	case *storagev1.StorageClass:
		s.StorageClasses = append(s.StorageClasses, o)
	case *storagev1.CSIDriver:
		s.CSIDrivers = append(s.CSIDrivers, o)
	default:
		return false
	}
	return true
}

// plainTypeError words a JSON type mismatch by the manifest's field path ("spec.securityContext.
// fsGroup: a string where an int64 is expected") instead of Go's struct and field names.
func plainTypeError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return err
	}
	return &typeError{msg: fmt.Sprintf("%s: %s %s where %s is expected", te.Field,
		article(te.Value), te.Value, te.Type), te: te}
}

// typeError words a type mismatch; it unwraps to the decoder's error, whose offset places it.
type typeError struct {
	msg string
	te  *json.UnmarshalTypeError
}

func (e *typeError) Error() string { return e.msg }
func (e *typeError) Unwrap() error { return e.te }

// article is "an" before a vowel ("an object", "an array"), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// typedWorkload extracts the pod template of a built-in workload.
func typedWorkload(obj runtime.Object) (*Workload, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		t := corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}
		return newWorkload("v1", "Pod", o.ObjectMeta, t, nil), nil
	case *corev1.ReplicationController:
		w := newWorkload("v1", "ReplicationController", o.ObjectMeta, deref(o.Spec.Template), nil)
		w.Replicas = o.Spec.Replicas
		return w, nil
	case *appsv1.Deployment:
		w := newWorkload("apps/v1", "Deployment", o.ObjectMeta, o.Spec.Template, nil)
		w.Replicas = o.Spec.Replicas
		w.Strategy = o.Spec.Strategy.Type
		w.RollingUpdate = o.Spec.Strategy.RollingUpdate
		if w.Strategy == "" {
			w.Strategy = appsv1.RollingUpdateDeploymentStrategyType
		}
		return w, nil
	case *appsv1.StatefulSet:
		vcts := o.Spec.VolumeClaimTemplates
		w := newWorkload("apps/v1", "StatefulSet", o.ObjectMeta, o.Spec.Template, vcts)
		w.Replicas = o.Spec.Replicas
		return w, nil
	case *appsv1.DaemonSet:
		return newWorkload("apps/v1", "DaemonSet", o.ObjectMeta, o.Spec.Template, nil), nil
	case *appsv1.ReplicaSet:
		w := newWorkload("apps/v1", "ReplicaSet", o.ObjectMeta, o.Spec.Template, nil)
		w.Replicas = o.Spec.Replicas
		return w, nil
	case *batchv1.Job:
		return newWorkload("batch/v1", "Job", o.ObjectMeta, o.Spec.Template, nil), nil
	case *batchv1.CronJob:
		t := o.Spec.JobTemplate.Spec.Template
		return newWorkload("batch/v1", "CronJob", o.ObjectMeta, t, nil), nil
	}
	return nil, fmt.Errorf("decoded into unexpected type %T", obj)
}

// newWorkload builds a Workload from an object's metadata and pod template.
func newWorkload(apiVersion, kind string, meta metav1.ObjectMeta, t corev1.PodTemplateSpec,
	vcts []corev1.PersistentVolumeClaim) *Workload {
	return &Workload{
		APIVersion:           apiVersion,
		Kind:                 kind,
		Namespace:            meta.Namespace,
		Name:                 meta.Name,
		Annotations:          meta.Annotations,
		Template:             t,
		VolumeClaimTemplates: vcts,
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
