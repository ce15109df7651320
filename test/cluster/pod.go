package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pod returns a pod that runs on this cluster's node as it is: one busybox container "c"
// sleeping for an hour, host network (no CNI plugin is installed), no service-account token
// (nothing publishes the root CA without a controller manager), imagePullPolicy Never,
// spec.nodeName set when there is no scheduler, and a toleration for the not-ready node.
// Callers add volumes, mounts and a security context.
func (c *Cluster) Pod(namespace, name string) *corev1.Pod {
	no := false
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{
			HostNetwork:                   true,
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: new(int64),
			Tolerations: []corev1.Toleration{{
				Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists,
			}},
			Containers: []corev1.Container{{
				Name: "c", Image: BusyboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sleep", "3600"},
			}},
		},
	}
	if !c.opts.Scheduler {
		p.Spec.NodeName = c.NodeName
	}
	return p
}

// RunPod creates pod and waits until it is Ready; see WaitPodReady.
func (c *Cluster) RunPod(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	_, err := c.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return c.WaitPodReady(ctx, pod.Namespace, pod.Name, 2*time.Minute)
}

// WaitPodReady waits up to timeout for the pod's Ready condition. On failure the error holds
// the pod's phase, container states and events.
func (c *Cluster) WaitPodReady(ctx context.Context, ns, name string,
	timeout time.Duration) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := poll(ctx, timeout, func() (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		pod = p
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("pod ended in phase %s", p.Status.Phase)
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return pod, fmt.Errorf("pod %s/%s not ready: %w\n%s", ns, name, err,
			c.describePod(ctx, ns, name, pod))
	}
	return pod, nil
}

// describePod summarises a pod's state and events for error messages.
func (c *Cluster) describePod(ctx context.Context, ns, name string, pod *corev1.Pod) string {
	var b strings.Builder
	if pod != nil {
		fmt.Fprintf(&b, "phase %s", pod.Status.Phase)
		for _, cs := range pod.Status.ContainerStatuses {
			fmt.Fprintf(&b, "; container %s: %+v", cs.Name, cs.State)
		}
		b.WriteString("\n")
	}
	evs, err := c.Events(ctx, ns, name)
	if err == nil {
		for _, e := range evs {
			fmt.Fprintf(&b, "event %s %s: %s\n", e.Type, e.Reason, e.Message)
		}
	}
	return b.String()
}

// DeletePod force-deletes a pod and waits until it is gone from the API and the kubelet has torn
// down its volumes (no mount left under the pod's directory). A missing pod is not an error.
func (c *Cluster) DeletePod(ctx context.Context, ns, name string) error {
	pods := c.Client.CoreV1().Pods(ns)
	pod, err := pods.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get pod %s/%s: %w", ns, name, err)
	}
	zero := int64(0)
	err = pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s/%s: %w", ns, name, err)
	}

	err = poll(ctx, 2*time.Minute, func() (bool, error) {
		_, err := pods.Get(ctx, name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		if c.KubeletRoot == "" {
			return true, nil
		}
		mps, err := mountsUnder(c.PodDir(pod.UID))
		return len(mps) == 0, err
	})
	if err != nil {
		return fmt.Errorf("pod %s/%s not torn down: %w", ns, name, err)
	}
	return nil
}

// PodDir is the kubelet's directory of the pod with uid.
func (c *Cluster) PodDir(uid types.UID) string {
	return filepath.Join(c.KubeletRoot, "pods", string(uid))
}

// PodVolumeDir is where the kubelet mounts a pod's volume: plugin is the plugin name (for example
// "kubernetes.io/local-volume"), volume the PV name or the pod's volume name.
func (c *Cluster) PodVolumeDir(uid types.UID, plugin, volume string) string {
	return filepath.Join(c.PodDir(uid), "volumes", strings.ReplaceAll(plugin, "/", "~"), volume)
}
