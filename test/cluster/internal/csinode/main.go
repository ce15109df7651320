// Command csinode is a minimal CSI node plugin for the test node: it lets a real kubelet mount
// CSI volumes without any storage system, so that tests can watch the kubelet's CSI code path
// (fsGroupPolicy, fsType and access-mode checks, VOLUME_MOUNT_GROUP delegation) at work.
//
// It serves the CSI Identity and Node services on -csi-socket and the kubelet's plugin
// registration service on -registration-socket (a socket in the kubelet's plugins_registry
// directory, which the kubelet watches). NodePublishVolume bind-mounts the directory named by
// the volume attribute "source" onto the target path, read-only when asked; the plugin has no
// controller service and no NodeStageVolume, so CSIDriver objects for it set attachRequired
// false. Each NodePublishVolume request is appended as one JSON line to -requests.
//
//	csinode -name NAME -csi-socket PATH -registration-socket PATH -node-id NODE
//	        [-volume-mount-group] [-requests FILE]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"

	"github.com/startlag/startlag/test/cluster/internal/csinode/publish"
)

// SourceAttribute is the volume attribute naming the directory a volume bind-mounts.
const SourceAttribute = "source"

type config struct {
	name, csiSocket, regSocket, nodeID, requests string
	mountGroup                                   bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.name, "name", "", "CSI driver name")
	flag.StringVar(&cfg.csiSocket, "csi-socket", "", "socket of the CSI services")
	flag.StringVar(&cfg.regSocket, "registration-socket", "", "socket in plugins_registry")
	flag.StringVar(&cfg.nodeID, "node-id", "", "node ID reported by NodeGetInfo")
	flag.StringVar(&cfg.requests, "requests", "", "file receiving NodePublishVolume requests")
	flag.BoolVar(&cfg.mountGroup, "volume-mount-group", false,
		"report the VOLUME_MOUNT_GROUP node capability (the driver applies fsGroup)")
	flag.Parse()
	if cfg.name == "" || cfg.csiSocket == "" || cfg.regSocket == "" || cfg.nodeID == "" {
		flag.Usage()
		os.Exit(2)
	}

	if err := run(cfg); err != nil {
		log.Fatalf("csinode %s: %v", cfg.name, err)
	}
}

// run serves both sockets until SIGTERM or SIGINT.
func run(cfg config) error {
	drv := &driver{cfg: cfg}
	csiSrv, err := serve(cfg.csiSocket, func(s *grpc.Server) {
		csi.RegisterIdentityServer(s, drv)
		csi.RegisterNodeServer(s, drv)
	})
	if err != nil {
		return err
	}
	defer csiSrv.Stop()
	regSrv, err := serve(cfg.regSocket, func(s *grpc.Server) {
		registerapi.RegisterRegistrationServer(s, &registration{cfg: cfg})
	})
	if err != nil {
		return err
	}
	defer regSrv.Stop()
	log.Printf("serving %s on %s, registration on %s", cfg.name, cfg.csiSocket, cfg.regSocket)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	_ = os.Remove(cfg.regSocket)
	return nil
}

// serve listens on a fresh unix socket at path and serves the services register adds.
func serve(path string, register func(*grpc.Server)) (*grpc.Server, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	s := grpc.NewServer()
	register(s)
	go func() {
		if err := s.Serve(l); err != nil {
			log.Printf("serve %s: %v", path, err)
		}
	}()
	return s, nil
}

// registration answers the kubelet's plugin watcher.
type registration struct {
	registerapi.UnimplementedRegistrationServer
	cfg config
}

func (r *registration) GetInfo(context.Context, *registerapi.InfoRequest) (
	*registerapi.PluginInfo, error) {
	return &registerapi.PluginInfo{Type: registerapi.CSIPlugin, Name: r.cfg.name,
		Endpoint: r.cfg.csiSocket, SupportedVersions: []string{"1.0.0"}}, nil
}

func (r *registration) NotifyRegistrationStatus(_ context.Context,
	st *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if st.PluginRegistered {
		log.Printf("registered with the kubelet")
	} else {
		log.Printf("registration failed: %s", st.Error)
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}

// driver implements the CSI Identity and Node services.
type driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedNodeServer
	cfg config
	mu  sync.Mutex // serialises appends to cfg.requests
}

func (d *driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (
	*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: d.cfg.name, VendorVersion: "1"}, nil
}

func (d *driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (
	*csi.GetPluginCapabilitiesResponse, error) {
	return &csi.GetPluginCapabilitiesResponse{}, nil
}

func (d *driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

func (d *driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (
	*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.cfg.nodeID}, nil
}

func (d *driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (
	*csi.NodeGetCapabilitiesResponse, error) {
	resp := &csi.NodeGetCapabilitiesResponse{}
	if d.cfg.mountGroup {
		resp.Capabilities = append(resp.Capabilities, &csi.NodeServiceCapability{
			Type: &csi.NodeServiceCapability_Rpc{Rpc: &csi.NodeServiceCapability_RPC{
				Type: csi.NodeServiceCapability_RPC_VOLUME_MOUNT_GROUP}}})
	}
	return resp, nil
}

func (d *driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (
	*csi.NodePublishVolumeResponse, error) {
	src := req.GetVolumeContext()[SourceAttribute]
	if !filepath.IsAbs(src) {
		return nil, status.Errorf(codes.InvalidArgument,
			"volume attribute %q must be an absolute directory, got %q", SourceAttribute, src)
	}
	target := req.GetTargetPath()
	if target == "" {
		return nil, status.Error(codes.InvalidArgument, "no target path")
	}
	d.record(publishRequest(req, src))

	if err := bindMount(src, target, req.GetReadonly()); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &csi.NodePublishVolumeResponse{}, nil
}

func publishRequest(req *csi.NodePublishVolumeRequest, src string) publish.Request {
	r := publish.Request{VolumeID: req.GetVolumeId(), TargetPath: req.GetTargetPath(), Source: src,
		ReadOnly: req.GetReadonly()}
	if m := req.GetVolumeCapability().GetMount(); m != nil {
		r.FSType = m.GetFsType()
		r.VolumeMountGroup = m.GetVolumeMountGroup()
	}
	r.AccessMode = req.GetVolumeCapability().GetAccessMode().GetMode().String()
	return r
}

// bindMount mounts src on target (created if missing), read-only when ro. A target that is
// already a mount of src is left as it is (NodePublishVolume must be idempotent).
func bindMount(src, target string, ro bool) error {
	if err := os.MkdirAll(target, 0o750); err != nil {
		return err
	}
	var st, tt unix.Stat_t
	if unix.Stat(src, &st) == nil && unix.Stat(target, &tt) == nil &&
		st.Dev == tt.Dev && st.Ino == tt.Ino {
		return nil
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, target, err)
	}
	if !ro {
		return nil
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		_ = unix.Unmount(target, 0)
		return fmt.Errorf("remount %s read-only: %w", target, err)
	}
	return nil
}

func (d *driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (
	*csi.NodeUnpublishVolumeResponse, error) {
	target := req.GetTargetPath()
	err := unix.Unmount(target, 0)
	if err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return nil, status.Errorf(codes.Internal, "unmount %s: %v", target, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, status.Errorf(codes.Internal, "remove %s: %v", target, err)
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}

// record appends r to the requests file, if one was named.
func (d *driver) record(r publish.Request) {
	if d.cfg.requests == "" {
		return
	}
	b, _ := json.Marshal(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := os.OpenFile(d.cfg.requests, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Printf("record request: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		log.Printf("record request: %v", err)
	}
}
