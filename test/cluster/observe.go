package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// KubeletMetrics returns the kubelet's /metrics page (Prometheus text format).
func (c *Cluster) KubeletMetrics(ctx context.Context) (string, error) {
	return c.kubeletGet(ctx, "/metrics")
}

// kubeletGet fetches a path from the kubelet's HTTPS server (self-signed, anonymous access).
func (c *Cluster) kubeletGet(ctx context.Context, path string) (string, error) {
	if c.KubeletPort == 0 || c.KubeletRoot == "" {
		return "", fmt.Errorf("kubelet %s: this cluster has no kubelet", path)
	}
	url := fmt.Sprintf("https://127.0.0.1:%d%s", c.KubeletPort, path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("kubelet %s: %w", path, err)
	}
	client := &http.Client{
		Timeout: 30 * time.Second,
		// The kubelet's serving certificate is self-signed and only reached on 127.0.0.1.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("kubelet %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("kubelet %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("kubelet %s: %s: %s", path, resp.Status, body)
	}
	return string(body), nil
}

// ContainerLog returns a container's log through the kubelet (kubectl logs does not work: the
// apiserver would dial the node by name).
func (c *Cluster) ContainerLog(ctx context.Context, ns, pod, container string) (string, error) {
	return c.kubeletGet(ctx, fmt.Sprintf("/containerLogs/%s/%s/%s", ns, pod, container))
}

// Events returns the events of namespace ns, oldest first; only those about the object named
// involved when it is not empty.
func (c *Cluster) Events(ctx context.Context, ns, involved string) ([]corev1.Event, error) {
	opts := metav1.ListOptions{}
	if involved != "" {
		opts.FieldSelector = fields.OneTermEqualSelector("involvedObject.name", involved).String()
	}
	list, err := c.Client.CoreV1().Events(ns).List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("list events in %s: %w", ns, err)
	}
	evs := list.Items
	sort.SliceStable(evs, func(i, j int) bool {
		return evs[i].LastTimestamp.Before(&evs[j].LastTimestamp)
	})
	return evs, nil
}

// KubeletLogOffset returns the kubelet log's current size: pass it to KubeletLogSince to read
// only what the kubelet wrote after this point.
func (c *Cluster) KubeletLogOffset() (int64, error) {
	st, err := os.Stat(c.KubeletLog)
	if err != nil {
		return 0, fmt.Errorf("kubelet log: %w", err)
	}
	return st.Size(), nil
}

// KubeletLogSince returns the kubelet log from byte offset on.
func (c *Cluster) KubeletLogSince(offset int64) (string, error) {
	f, err := os.Open(c.KubeletLog)
	if err != nil {
		return "", fmt.Errorf("kubelet log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "", fmt.Errorf("kubelet log %s: %w", c.KubeletLog, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("kubelet log %s: %w", c.KubeletLog, err)
	}
	return string(b), nil
}
