package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// VolumeOptions describes the backing storage of a local volume.
type VolumeOptions struct {
	// Ext4 backs the volume with a fresh ext4 file system (an image file on a loop device,
	// mounted at the volume path; its root holds lost+found). Otherwise the volume is a plain
	// directory in the work directory.
	Ext4 bool
	// SizeMiB is the image size for Ext4; 64 when zero. The image is sparse.
	SizeMiB int
	// Inodes is the inode count for Ext4 (mkfs.ext4 -N); mkfs's default when zero.
	Inodes int
}

// volume is backing storage created by NewVolumeDir.
type volume struct {
	path  string
	image string
	loop  string
}

var volumeName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,62}$`)

// NewVolumeDir creates the backing storage of a local volume called name (a DNS label) and
// returns the path of its root directory, owned by root with mode 0755. The storage is
// released by ReleaseVolumeDir or when the cluster stops.
func (c *Cluster) NewVolumeDir(name string, opts VolumeOptions) (string, error) {
	if !volumeName.MatchString(name) {
		return "", fmt.Errorf("volume name %q: want lower-case letters, digits, '.' and '-'", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.volumes[name]; dup {
		return "", fmt.Errorf("volume %s already exists", name)
	}

	v := &volume{path: filepath.Join(c.Dir, "volumes", name)}
	if err := os.Mkdir(v.path, 0o755); err != nil {
		return "", fmt.Errorf("volume %s: %w", name, err)
	}
	c.volumes[name] = v
	if !opts.Ext4 {
		return v.path, nil
	}
	if err := makeExt4(v, opts); err != nil {
		return "", fmt.Errorf("volume %s: %w", name, err)
	}
	return v.path, nil
}

// makeExt4 creates the image, attaches it to a loop device and mounts it at v.path.
func makeExt4(v *volume, opts VolumeOptions) error {
	size := opts.SizeMiB
	if size == 0 {
		size = 64
	}
	v.image = v.path + ".img"
	f, err := os.Create(v.image)
	if err != nil {
		return err
	}
	err = f.Truncate(int64(size) << 20)
	f.Close()
	if err != nil {
		return err
	}

	args := []string{"-q", "-F"}
	if opts.Inodes > 0 {
		args = append(args, "-N", strconv.Itoa(opts.Inodes))
	}
	if _, err := run("mkfs.ext4", append(args, v.image)...); err != nil {
		return err
	}
	out, err := run("losetup", "--find", "--show", v.image)
	if err != nil {
		return err
	}
	v.loop = strings.TrimSpace(out)
	if err := unix.Mount(v.loop, v.path, "ext4", 0, ""); err != nil {
		return fmt.Errorf("mount %s on %s: %w", v.loop, v.path, err)
	}
	return nil
}

// ReleaseVolumeDir unmounts and detaches the storage of volume name and deletes it. The volume
// must no longer be used by a pod.
func (c *Cluster) ReleaseVolumeDir(name string) error {
	c.mu.Lock()
	v, ok := c.volumes[name]
	delete(c.volumes, name)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("volume %s unknown", name)
	}

	if v.loop != "" {
		if err := unix.Unmount(v.path, 0); err != nil {
			return fmt.Errorf("unmount %s: %w", v.path, err)
		}
		if _, err := run("losetup", "-d", v.loop); err != nil {
			return err
		}
		if err := os.Remove(v.image); err != nil {
			return fmt.Errorf("volume %s: %w", name, err)
		}
	}
	if mps, _ := mountsUnder(v.path); len(mps) > 0 {
		return fmt.Errorf("volume %s: still mounted: %v", name, mps)
	}
	return os.RemoveAll(v.path)
}

// LocalPV describes a PersistentVolume on the cluster's node and its claim: a `local` volume
// at Path, or, when CSI is set, a volume of that CSI driver (see StartCSIDriver).
type LocalPV struct {
	// Name is the PersistentVolume's name.
	Name string
	// Path is the volume root on the node (from NewVolumeDir, or any directory).
	Path string
	// Namespace and Claim name the PersistentVolumeClaim; "default" and Name when empty.
	Namespace string
	Claim     string
	// Capacity is the PV capacity and claim request; "1Gi" when empty.
	Capacity string
	// AccessModes are the PV's and the claim's access modes; ReadWriteOnce when empty.
	AccessModes []corev1.PersistentVolumeAccessMode
	// CSI, when set, replaces the local source; Path is then unused (a volume of the test
	// CSI driver names its directory in CSI.VolumeAttributes, see CSIVolumeAttributes).
	CSI *corev1.CSIPersistentVolumeSource
}

func (pv *LocalPV) defaults() {
	if pv.Namespace == "" {
		pv.Namespace = metav1.NamespaceDefault
	}
	if pv.Claim == "" {
		pv.Claim = pv.Name
	}
	if pv.Capacity == "" {
		pv.Capacity = "1Gi"
	}
	if len(pv.AccessModes) == 0 {
		pv.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
}

// CreateLocalPV creates a claim and its PersistentVolume (`local`, or pv.CSI) pre-bound to each
// other. Without a controller manager both are marked Bound by hand (claimRef with the claim's
// UID, volumeName, status phases); with one, the PV controller completes the binding and this
// waits for it.
func (c *Cluster) CreateLocalPV(ctx context.Context, pv LocalPV) error {
	pv.defaults()
	qty, err := resource.ParseQuantity(pv.Capacity)
	if err != nil {
		return fmt.Errorf("pv %s capacity: %w", pv.Name, err)
	}
	pvc, err := c.Client.CoreV1().PersistentVolumeClaims(pv.Namespace).Create(ctx,
		claimObject(pv, qty), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create pvc %s/%s: %w", pv.Namespace, pv.Claim, err)
	}
	vol, err := c.Client.CoreV1().PersistentVolumes().Create(ctx,
		c.volumeObject(pv, qty, pvc.UID), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create pv %s: %w", pv.Name, err)
	}
	if c.opts.ControllerManager {
		return c.waitClaimBound(ctx, pv)
	}

	vol.Status.Phase = corev1.VolumeBound
	if _, err := c.Client.CoreV1().PersistentVolumes().UpdateStatus(ctx, vol,
		metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("bind pv %s: %w", pv.Name, err)
	}
	pvc.Status = corev1.PersistentVolumeClaimStatus{
		Phase:       corev1.ClaimBound,
		AccessModes: pv.AccessModes,
		Capacity:    corev1.ResourceList{corev1.ResourceStorage: qty},
	}
	if _, err := c.Client.CoreV1().PersistentVolumeClaims(pv.Namespace).UpdateStatus(ctx, pvc,
		metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("bind pvc %s/%s: %w", pv.Namespace, pv.Claim, err)
	}
	return nil
}

func claimObject(pv LocalPV, qty resource.Quantity) *corev1.PersistentVolumeClaim {
	noClass := ""
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: pv.Claim, Namespace: pv.Namespace},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: pv.AccessModes,
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: qty},
			},
			StorageClassName: &noClass,
			VolumeName:       pv.Name,
		},
	}
}

func (c *Cluster) volumeObject(pv LocalPV, qty resource.Quantity,
	claimUID types.UID) *corev1.PersistentVolume {
	fs := corev1.PersistentVolumeFilesystem
	vol := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pv.Name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: qty},
			AccessModes:                   pv.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			VolumeMode:                    &fs,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pv.Namespace, Name: pv.Claim, UID: claimUID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				Local: &corev1.LocalVolumeSource{Path: pv.Path},
			},
			NodeAffinity: c.nodeAffinity(),
		},
	}
	if pv.CSI != nil {
		vol.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{CSI: pv.CSI}
	}
	return vol
}

// nodeAffinity pins a local volume to the cluster's node (the API server requires it).
func (c *Cluster) nodeAffinity() *corev1.VolumeNodeAffinity {
	req := corev1.NodeSelectorRequirement{Key: "kubernetes.io/hostname",
		Operator: corev1.NodeSelectorOpIn, Values: []string{c.NodeName}}
	term := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{req}}
	return &corev1.VolumeNodeAffinity{
		Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}},
	}
}

// waitClaimBound waits until the PV controller has bound the claim.
func (c *Cluster) waitClaimBound(ctx context.Context, pv LocalPV) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		pvc, err := c.Client.CoreV1().PersistentVolumeClaims(pv.Namespace).Get(ctx, pv.Claim,
			metav1.GetOptions{})
		if err == nil && pvc.Status.Phase == corev1.ClaimBound {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pvc %s/%s not bound: %w", pv.Namespace, pv.Claim, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// DeleteLocalPV deletes the claim and the volume (dropping their protection finalizers, which
// only a controller manager would remove) and waits until both are gone. The backing storage
// is left alone.
func (c *Cluster) DeleteLocalPV(ctx context.Context, pv LocalPV) error {
	pv.defaults()
	pvcs := c.Client.CoreV1().PersistentVolumeClaims(pv.Namespace)
	pvs := c.Client.CoreV1().PersistentVolumes()
	dropFinalizers := []byte(`{"metadata":{"finalizers":null}}`)

	var errs []error
	_, err := pvcs.Patch(ctx, pv.Claim, types.MergePatchType, dropFinalizers, metav1.PatchOptions{})
	errs = append(errs, ignoreNotFound(err))
	errs = append(errs, ignoreNotFound(pvcs.Delete(ctx, pv.Claim, metav1.DeleteOptions{})))
	_, err = pvs.Patch(ctx, pv.Name, types.MergePatchType, dropFinalizers, metav1.PatchOptions{})
	errs = append(errs, ignoreNotFound(err))
	errs = append(errs, ignoreNotFound(pvs.Delete(ctx, pv.Name, metav1.DeleteOptions{})))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete pv %s: %w", pv.Name, err)
	}

	return poll(ctx, 30*time.Second, func() (bool, error) {
		_, e1 := pvcs.Get(ctx, pv.Claim, metav1.GetOptions{})
		_, e2 := pvs.Get(ctx, pv.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(e1) && apierrors.IsNotFound(e2), nil
	})
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// poll calls cond every 100 ms until it returns true or an error, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
