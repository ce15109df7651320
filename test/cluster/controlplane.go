package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// makeClient builds the admin REST config and clientset.
func (c *Cluster) makeClient(token string) error {
	c.RESTConfig = &rest.Config{
		Host:            c.APIServer,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             200,
		Burst:           400,
		Timeout:         30 * time.Second,
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.Client = cs
	return nil
}

// startControlPlane starts etcd and kube-apiserver, waits until the apiserver is ready, creates
// the default service account, then starts the controller manager and scheduler if asked.
func (c *Cluster) startControlPlane(ctx context.Context) error {
	if err := c.startEtcd(); err != nil {
		return err
	}
	if err := c.startAPIServer(); err != nil {
		return err
	}
	if err := c.waitAPIServer(ctx); err != nil {
		return err
	}
	if err := c.EnsureNamespace(ctx, metav1.NamespaceDefault); err != nil {
		return err
	}
	if c.opts.ControllerManager {
		if err := c.startControllerManager(); err != nil {
			return err
		}
	}
	if c.opts.Scheduler {
		return c.startScheduler()
	}
	return nil
}

func (c *Cluster) startEtcd() error {
	client := fmt.Sprintf("http://127.0.0.1:%d", c.ports.etcdClient)
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.ports.etcdPeer)
	_, err := c.startProcess("etcd", filepath.Join(c.bin, "etcd"),
		"--name=startlag",
		"--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+client,
		"--advertise-client-urls="+client,
		"--listen-peer-urls="+peer,
		"--initial-advertise-peer-urls="+peer,
		"--initial-cluster=startlag="+peer,
		"--unsafe-no-fsync", // a throwaway cluster: durability is not wanted, speed is
		"--log-level=warn",
	)
	return err
}

func (c *Cluster) startAPIServer() error {
	pki := filepath.Join(c.Dir, "pki")
	_, err := c.startProcess("kube-apiserver", filepath.Join(c.bin, "kube-apiserver"),
		"--etcd-servers="+fmt.Sprintf("http://127.0.0.1:%d", c.ports.etcdClient),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(c.ports.apiserver),
		"--cert-dir="+filepath.Join(c.Dir, "pki", "apiserver"),
		"--token-auth-file="+filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/24",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(pki, "sa.key"),
		"--endpoint-reconciler-type=none",
	)
	return err
}

// waitAPIServer polls /readyz until it answers ok, failing early when etcd or the apiserver
// exits.
func (c *Cluster) waitAPIServer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		for _, name := range []string{"etcd", "kube-apiserver"} {
			if gone, how := c.procs[name].exited(); gone {
				return fmt.Errorf("%s exited (%s); log tail:\n%s", name, how, c.logTail(name, 20))
			}
		}
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready: %v; log tail:\n%s", err,
				c.logTail("kube-apiserver", 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) startControllerManager() error {
	_, err := c.startProcess("kube-controller-manager",
		filepath.Join(c.bin, "kube-controller-manager"),
		"--kubeconfig="+c.Kubeconfig,
		"--controllers=*,-node-ipam-controller,-node-lifecycle-controller",
		"--service-account-private-key-file="+filepath.Join(c.Dir, "pki", "sa.key"),
		"--use-service-account-credentials=false",
		"--leader-elect=false",
		"--secure-port=0",
	)
	return err
}

func (c *Cluster) startScheduler() error {
	_, err := c.startProcess("kube-scheduler", filepath.Join(c.bin, "kube-scheduler"),
		"--kubeconfig="+c.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	)
	return err
}

// EnsureNamespace creates namespace ns (if missing) and its "default" service account, which
// the ServiceAccount admission plugin requires for every pod and which nothing creates without
// a controller manager.
func (c *Cluster) EnsureNamespace(ctx context.Context, ns string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
	_, err = c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create service account %s/default: %w", ns, err)
	}
	return nil
}
