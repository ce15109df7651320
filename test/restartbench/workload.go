package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

const (
	namespace = "default"
	// pollEvery is how often pod state is read while waiting; it bounds the timing error.
	pollEvery = 50 * time.Millisecond
)

// workload is the thing restarted: a one-replica StatefulSet (when the controller manager
// runs) or a bare Pod recreated by the benchmark.
type workload struct {
	client kubernetes.Interface
	name   string
	claim  string
	spec   corev1.PodSpec
	sts    bool
	// deletePod force-deletes a bare pod and waits for its teardown (the harness's DeletePod).
	deletePod func(ctx context.Context, ns, name string) error
	// podDir is the kubelet's directory of a pod (the harness's PodDir).
	podDir func(uid types.UID) string
}

func (w *workload) podName() string {
	if w.sts {
		return w.name + "-0"
	}

	return w.name
}

// start creates the workload and waits for its pod to be Ready.
func (w *workload) start(ctx context.Context, timeout time.Duration) error {
	if err := w.create(ctx); err != nil {
		return err
	}
	_, err := w.waitReady(ctx, "", timeout)

	return err
}

func (w *workload) create(ctx context.Context) error {
	labels := map[string]string{"app": w.name}
	meta := metav1.ObjectMeta{Name: w.name, Namespace: namespace, Labels: labels}

	if !w.sts {
		pod := &corev1.Pod{ObjectMeta: meta, Spec: w.spec}
		_, err := w.client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
		return wrap("create pod "+w.name, err)
	}

	one := int32(1)
	sts := &appsv1.StatefulSet{
		ObjectMeta: meta,
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &one,
			ServiceName: w.name,
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       w.spec,
			},
		},
	}
	_, err := w.client.AppsV1().StatefulSets(namespace).Create(ctx, sts, metav1.CreateOptions{})

	return wrap("create statefulset "+w.name, err)
}

// restart stops the running pod and measures until its replacement is Ready. A StatefulSet
// is scaled to zero and back to one; a bare Pod is deleted and created again by the
// benchmark. Either way the new pod starts only after the kubelet has unmounted the old pod's
// volume: the kubelet's local-volume plugin applies fsGroup ownership only when no other
// pod's mount of the volume exists (pkg/volume/local/local.go, "Volume owner will be written
// only once on the first volume mount"), so a replacement that mounts while the old bind
// mount is still there would skip the walk.
func (w *workload) restart(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	pods := w.client.CoreV1().Pods(namespace)
	old, err := pods.Get(ctx, w.podName(), metav1.GetOptions{})
	if err != nil {
		return 0, wrap("get pod "+w.podName(), err)
	}

	start := time.Now()
	if err := w.stop(ctx, old, timeout); err != nil {
		return 0, err
	}
	if w.sts {
		err = w.scale(ctx, 1)
	} else {
		err = w.create(ctx)
	}
	if err != nil {
		return 0, err
	}

	ready, err := w.waitReady(ctx, old.UID, timeout)
	if err != nil {
		return 0, err
	}

	return ready.Sub(start), nil
}

// stop removes the pod old and waits until it is gone and its volumes are unmounted.
func (w *workload) stop(ctx context.Context, old *corev1.Pod, timeout time.Duration) error {
	if !w.sts {
		return w.deletePod(ctx, namespace, old.Name)
	}

	if err := w.scale(ctx, 0); err != nil {
		return err
	}
	if err := w.waitGone(ctx, old.UID, timeout); err != nil {
		return err
	}

	return w.waitUnmounted(ctx, old.UID, timeout)
}

func (w *workload) scale(ctx context.Context, replicas int) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))
	_, err := w.client.AppsV1().StatefulSets(namespace).Patch(ctx, w.name,
		types.MergePatchType, patch, metav1.PatchOptions{})

	return wrap(fmt.Sprintf("scale statefulset %s to %d", w.name, replicas), err)
}

// waitUnmounted polls until nothing is mounted below the kubelet's directory of pod uid.
func (w *workload) waitUnmounted(ctx context.Context, uid types.UID,
	timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	dir := w.podDir(uid) + "/"
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		mounted, err := mountedUnder(dir)
		if err != nil {
			return err
		}
		if !mounted {
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("volumes of pod %s still mounted after %v: %w", uid, timeout,
				ctx.Err())
		case <-tick.C:
		}
	}
}

// waitReady polls until a pod named podName() whose UID is not oldUID is Ready, and returns
// the time it was first seen Ready.
func (w *workload) waitReady(ctx context.Context, oldUID types.UID,
	timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		pod, err := w.client.CoreV1().Pods(namespace).Get(ctx, w.podName(), metav1.GetOptions{})
		now := time.Now()
		if err == nil && pod.UID != oldUID && isReady(pod) {
			return now, nil
		}
		if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
			return time.Time{}, wrap("get pod "+w.podName(), err)
		}

		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("pod %s not Ready within %v: %w",
				w.podName(), timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// waitGone polls until the pod with UID uid no longer exists.
func (w *workload) waitGone(ctx context.Context, uid types.UID, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		pod, err := w.client.CoreV1().Pods(namespace).Get(ctx, w.podName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && pod.UID != uid) {
			return nil
		}

		select {
		case <-ctx.Done():
			return fmt.Errorf("pod %s still there after %v: %w", w.podName(), timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// remove deletes the workload and waits until its pod is gone and the kubelet has unmounted
// its volumes (so the volume is free).
func (w *workload) remove(ctx context.Context, timeout time.Duration) error {
	pod, err := w.client.CoreV1().Pods(namespace).Get(ctx, w.podName(), metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return wrap("get pod "+w.podName(), err)
	}

	if w.sts {
		err := w.client.AppsV1().StatefulSets(namespace).Delete(ctx, w.name,
			metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return wrap("delete statefulset "+w.name, err)
		}
	}
	if pod == nil || apierrors.IsNotFound(err) {
		return nil
	}

	err = w.client.CoreV1().Pods(namespace).Delete(ctx, w.podName(), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return wrap("delete pod "+w.podName(), err)
	}

	if err := w.waitGone(ctx, pod.UID, timeout); err != nil {
		return err
	}

	return w.waitUnmounted(ctx, pod.UID, timeout)
}

func isReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}

	return false
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}

	return fmt.Errorf("%s: %w", what, err)
}
