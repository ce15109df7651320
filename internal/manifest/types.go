// Package manifest reads Kubernetes manifests from files, directories and standard input,
// decodes them into k8s.io/api types with the file, line and column of every object, and
// extracts the pod templates of workloads (built-in kinds and known CRDs).
package manifest

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// Position locates an object in its input. Line and Column are 1-based; File is "-" for stdin.
type Position struct {
	File   string
	Line   int
	Column int
}

// String renders the position as file:line:column.
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Workload is an object that carries a pod template: a Pod, a built-in controller or a known
// CRD (Argo Rollouts Rollout, OpenKruise CloneSet and Advanced StatefulSet/DaemonSet).
type Workload struct {
	APIVersion string
	Kind       string
	Namespace  string // as written; empty when the manifest leaves it to the client
	Name       string
	Pos        Position
	// Source is the template path of the "# Source:" comment helm template writes before each
	// document (e.g. "vault/templates/server-statefulset.yaml"); empty for other input.
	Source string
	// Annotations are the workload object's own annotations (suppressions live there).
	Annotations map[string]string
	// Template is the pod template: metadata and spec. For a Pod it is the Pod itself.
	Template corev1.PodTemplateSpec
	// VolumeClaimTemplates are set for StatefulSets and CloneSets.
	VolumeClaimTemplates []corev1.PersistentVolumeClaim
	// Strategy is the Deployment (or Rollout) update strategy type, empty for other kinds.
	// An unset Deployment strategy is reported as RollingUpdate, the API default.
	Strategy appsv1.DeploymentStrategyType
	// RollingUpdate is a Deployment's spec.strategy.rollingUpdate (maxSurge, maxUnavailable),
	// nil when unset (the API defaults both to 25%).
	RollingUpdate *appsv1.RollingUpdateDeployment
	// Replicas is spec.replicas where the kind has it (nil when unset or not applicable).
	Replicas *int32

	// ref is an Argo Rollouts spec.workloadRef, pending resolution within the input.
	ref *templateRef
}

// Storage holds the storage objects found in the same input. The ownership model uses them to
// resolve a volume's CSI driver, fsType and access modes.
type Storage struct {
	PVCs           []*corev1.PersistentVolumeClaim
	PVs            []*corev1.PersistentVolume
	StorageClasses []*storagev1.StorageClass
	CSIDrivers     []*storagev1.CSIDriver
}

// Set is everything read from one audit's inputs.
type Set struct {
	Workloads []Workload
	Storage   Storage
	// Files counts the files (and standard input) read.
	Files int
	// Objects counts every decoded object; Skipped counts those that are neither workloads nor
	// storage objects, by "apiVersion/kind". Two keys are not kinds: "(no kind)" counts mappings
	// without apiVersion or kind, and "argoproj.io/v1alpha1/Rollout (workloadRef outside the
	// input)" counts Rollouts whose pod template lives in a Deployment the input lacks.
	Objects int
	Skipped map[string]int
	// Errors are per-file or per-document problems (malformed YAML, binary input, ...). Each
	// names the file and, where known, the line. Reading continues after them.
	Errors []error
}

// KindedObjects counts the objects that have an apiVersion and a kind: zero means the input
// held no Kubernetes object at all (an empty stream, a values file, a failed helm template).
func (s *Set) KindedObjects() int { return s.Objects - s.Skipped[noKind] }
