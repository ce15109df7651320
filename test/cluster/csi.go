package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/startlag/startlag/test/cluster/internal/csinode/publish"
)

// CSISourceAttribute is the volume attribute that names the directory a volume of the test CSI
// driver bind-mounts (internal/csinode reads it).
const CSISourceAttribute = "source"

// csiPrefix starts the process names of CSI drivers (logs/csi-NAME.log, pids/csi-NAME).
const csiPrefix = "csi-"

// maxSocketPath is the longest path a unix socket address holds (sun_path, with its NUL).
const maxSocketPath = 107

// CSIDriverOptions configure a test CSI driver.
type CSIDriverOptions struct {
	// Name is the driver name (a DNS subdomain, such as "file.csi.startlag.test").
	Name string
	// VolumeMountGroup makes the node plugin report the VOLUME_MOUNT_GROUP capability, so that
	// the kubelet passes fsGroup to NodePublishVolume instead of walking the volume itself.
	VolumeMountGroup bool
}

// CSIDriver is a running node plugin of the test CSI driver, registered with the kubelet.
//
// The plugin (internal/csinode) has no controller and no storage: NodePublishVolume bind-mounts
// the directory in the volume attribute CSISourceAttribute onto the kubelet's target path. The
// CSIDriver API object is the caller's to create, with attachRequired false and the
// fsGroupPolicy under test; the kubelet reads it when it mounts a volume.
type CSIDriver struct {
	Name     string
	requests string
}

// CSIPublish is one NodePublishVolume call the plugin received.
type CSIPublish = publish.Request

// CSIVolumeAttributes returns the volume attributes of a test CSI volume that mounts dir.
func CSIVolumeAttributes(dir string) map[string]string {
	return map[string]string{CSISourceAttribute: dir}
}

// StartCSIDriver builds and starts a node plugin of the test CSI driver and waits until the
// kubelet has registered it (the node's CSINode lists it). It needs a cluster with a kubelet.
// The plugin is stopped with the cluster, after the kubelet.
func (c *Cluster) StartCSIDriver(ctx context.Context, opts CSIDriverOptions) (*CSIDriver,
	error) {
	if c.KubeletRoot == "" {
		return nil, errors.New("start CSI driver: the cluster has no kubelet")
	}
	if !volumeName.MatchString(opts.Name) {
		return nil, fmt.Errorf("CSI driver name %q: want lower-case letters, digits, '.' and "+
			"'-'", opts.Name)
	}
	reg, sock := c.csiSockets(opts.Name)
	for _, s := range []string{reg, sock} {
		if len(s) > maxSocketPath {
			return nil, fmt.Errorf("CSI driver %s: socket path %s is longer than %d bytes: "+
				"use a shorter TMPDIR or driver name", opts.Name, s, maxSocketPath)
		}
	}
	bin, err := c.csiBinary()
	if err != nil {
		return nil, err
	}

	d := &CSIDriver{Name: opts.Name,
		requests: filepath.Join(c.Dir, "logs", csiPrefix+opts.Name+".requests")}
	p, err := c.startProcess(csiPrefix+opts.Name, bin, c.csiArgs(opts, d.requests)...)
	if err != nil {
		return nil, err
	}
	if err := c.waitCSIRegistered(ctx, opts.Name, p); err != nil {
		return nil, err
	}
	return d, nil
}

// csiBinary compiles internal/csinode into the work directory once per cluster.
func (c *Cluster) csiBinary() (string, error) {
	bin := filepath.Join(c.Dir, "bin", "csinode")
	if exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("build CSI driver: %w", err)
	}
	if err := goBuild("test/cluster/internal/csinode", bin); err != nil {
		return "", fmt.Errorf("build CSI driver: %w", err)
	}
	return bin, nil
}

// csiSockets are where the kubelet looks for a plugin's sockets: the registration socket in
// <root>/plugins_registry, the CSI socket in <root>/plugins/<name>.
func (c *Cluster) csiSockets(name string) (reg, sock string) {
	return filepath.Join(c.KubeletRoot, "plugins_registry", name+"-reg.sock"),
		filepath.Join(c.KubeletRoot, "plugins", name, "csi.sock")
}

func (c *Cluster) csiArgs(opts CSIDriverOptions, requests string) []string {
	reg, sock := c.csiSockets(opts.Name)
	args := []string{"-name", opts.Name, "-csi-socket", sock, "-registration-socket", reg,
		"-node-id", c.NodeName, "-requests", requests}
	if opts.VolumeMountGroup {
		args = append(args, "-volume-mount-group")
	}
	return args
}

// waitCSIRegistered waits up to a minute for the node's CSINode object to list driver.
func (c *Cluster) waitCSIRegistered(ctx context.Context, driver string, p *process) error {
	err := poll(ctx, time.Minute, func() (bool, error) {
		if gone, how := p.exited(); gone {
			return false, fmt.Errorf("the plugin exited (%s)", how)
		}
		n, err := c.Client.StorageV1().CSINodes().Get(ctx, c.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return slices.ContainsFunc(n.Spec.Drivers, func(d storagev1.CSINodeDriver) bool {
			return d.Name == driver
		}), nil
	})
	if err != nil {
		return fmt.Errorf("CSI driver %s not registered with the kubelet: %w; its log:\n%s",
			driver, err, c.logTail(csiPrefix+driver, 20))
	}
	return nil
}

// Publishes returns the NodePublishVolume calls the driver received so far, oldest first.
func (d *CSIDriver) Publishes() ([]CSIPublish, error) {
	f, err := os.Open(d.requests)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("CSI driver %s requests: %w", d.Name, err)
	}
	defer f.Close()

	var out []CSIPublish
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p CSIPublish
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s: %w", d.requests, err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// csiProcesses lists the CSI driver processes recorded in dir/pids.
func csiProcesses(dir string) []string {
	ents, _ := os.ReadDir(filepath.Join(dir, "pids"))
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), csiPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}
