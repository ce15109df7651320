package cluster

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// The tokens file grants the admin user system:masters, and the kubelet its node identity plus
// system:masters (authorization is RBAC only; the Node authorizer is not enabled).
const (
	adminUser = "startlag-admin"
	nodeUser  = "kubelet"
)

// preparePKI picks free ports and writes the service-account key pair, the token file and the
// admin and kubelet kubeconfigs.
func (c *Cluster) preparePKI() error {
	var err error
	for _, p := range []*int{&c.ports.etcdClient, &c.ports.etcdPeer, &c.ports.apiserver,
		&c.ports.kubelet} {
		if *p, err = freePort(); err != nil {
			return err
		}
	}
	c.APIServer = fmt.Sprintf("https://127.0.0.1:%d", c.ports.apiserver)
	c.KubeletPort = c.ports.kubelet

	if err := writeSAKeys(filepath.Join(c.Dir, "pki")); err != nil {
		return err
	}
	adminToken, nodeToken := randomToken(), randomToken()
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", adminToken, adminUser, adminUser) +
		fmt.Sprintf("%s,system:node:%s,%s,\"system:nodes,system:masters\"\n",
			nodeToken, c.NodeName, nodeUser)
	if err := writeFile(filepath.Join(c.Dir, "pki", "tokens.csv"), tokens, 0o600); err != nil {
		return err
	}

	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := writeFile(c.Kubeconfig, kubeconfig(c.APIServer, adminToken), 0o600); err != nil {
		return err
	}
	nodeKC := filepath.Join(c.Dir, "kubelet", "kubeconfig")
	if err := writeFile(nodeKC, kubeconfig(c.APIServer, nodeToken), 0o600); err != nil {
		return err
	}
	return c.makeClient(adminToken)
}

// kubeconfig renders a kubeconfig with bearer-token auth and no server verification (the
// apiserver's certificate is self-signed and only ever reached on 127.0.0.1).
func kubeconfig(server, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: startlag
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: startlag
  user: {token: %q}
contexts:
- name: startlag
  context: {cluster: startlag, user: startlag}
current-context: startlag
`, server, token)
}

// writeSAKeys writes the service-account signing key (sa.key) and its public half (sa.pub).
func writeSAKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := writeFile(filepath.Join(dir, "sa.key"), string(priv), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "sa.pub"), string(pub), 0o644)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort returns a TCP port free on 127.0.0.1 at the time of the call.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeFile(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
