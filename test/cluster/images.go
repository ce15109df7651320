package cluster

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Images the node holds without any registry. Pods must use imagePullPolicy Never (Pod does).
const (
	// PauseImage is containerd's sandbox image: the static Go program in internal/pause.
	PauseImage = "localhost/startlag/pause:1"
	// BusyboxImage holds Debian's static busybox at /bin/busybox, with applet links in /bin
	// and PATH=/bin; its entrypoint is /bin/sh.
	BusyboxImage = "localhost/startlag/busybox:1"
)

// busyboxApplets are linked into the busybox image's /bin.
var busyboxApplets = []string{
	"sh", "sleep", "ls", "stat", "id", "cat", "echo", "touch", "mkdir", "chmod", "find", "true",
}

// imageCacheDir holds the image archives, built once per machine.
func imageCacheDir() string { return filepath.Join(cacheDir(), "images", "v1") }

// ensureImages returns the paths of the pause and busybox docker-archive tarballs, building the
// missing ones into the cache.
func ensureImages() (pause, busybox string, err error) {
	dir := imageCacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("image cache: %w", err)
	}
	pause = filepath.Join(dir, "pause.tar")
	busybox = filepath.Join(dir, "busybox.tar")
	if !exists(pause) {
		if err := buildPauseImage(pause); err != nil {
			return "", "", err
		}
	}
	if !exists(busybox) {
		if err := buildBusyboxImage(busybox); err != nil {
			return "", "", err
		}
	}
	return pause, busybox, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// buildPauseImage compiles internal/pause statically and packs it as PauseImage.
func buildPauseImage(out string) error {
	tmp, err := os.MkdirTemp("", "startlag-pause-")
	if err != nil {
		return fmt.Errorf("build pause image: %w", err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "pause")
	if err := goBuild("test/cluster/internal/pause", bin); err != nil {
		return fmt.Errorf("build pause image: %w", err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("build pause image: %w", err)
	}
	files := []layerFile{{name: "pause", mode: 0o755, data: data}}
	return writeImage(out, PauseImage, []string{"/pause"}, files)
}

// goBuild compiles the startlag package at pkg (a path inside the module) statically into
// out. The calling process must run inside the startlag module, as tests do.
func goBuild(pkg, out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(gomod)), "go.mod") {
		return fmt.Errorf("run from inside the startlag module (go env GOMOD: %q, %v)",
			strings.TrimSpace(string(gomod)), err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out,
		"github.com/startlag/startlag/"+pkg)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w: %s", pkg, err, b)
	}
	return nil
}

// buildBusyboxImage packs the machine's static busybox (Debian busybox-static) as BusyboxImage.
func buildBusyboxImage(out string) error {
	path, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("build busybox image: %w (apt-get install busybox-static)", err)
	}
	if err := checkStatic(path); err != nil {
		return fmt.Errorf("build busybox image: %w (apt-get install busybox-static)", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("build busybox image: %w", err)
	}
	files := []layerFile{
		{name: "bin/", mode: 0o755},
		{name: "bin/busybox", mode: 0o755, data: data},
	}
	for _, a := range busyboxApplets {
		files = append(files, layerFile{name: "bin/" + a, link: "busybox"})
	}
	return writeImage(out, BusyboxImage, []string{"/bin/sh"}, files)
}

// checkStatic fails when the ELF file at path needs a dynamic loader.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// layerFile is one entry of an image layer: a directory (name ends in "/"), a regular file, or a
// symlink when link is set.
type layerFile struct {
	name string
	mode int64
	data []byte
	link string
}

// writeImage writes a docker-archive tarball (manifest.json, config.json, layer.tar) that
// `ctr images import` loads, atomically (a concurrent builder may race us).
func writeImage(out, ref string, entrypoint []string, files []layerFile) error {
	layer, err := tarBytes(files)
	if err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	sum := sha256.Sum256(layer)
	config, _ := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": entrypoint, "Env": []string{"PATH=/bin"}},
		"rootfs": map[string]any{"type": "layers",
			"diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}},
	})
	manifest, _ := json.Marshal([]map[string]any{
		{"Config": "config.json", "RepoTags": []string{ref}, "Layers": []string{"layer.tar"}},
	})
	archive, err := tarBytes([]layerFile{
		{name: "manifest.json", mode: 0o644, data: manifest},
		{name: "config.json", mode: 0o644, data: config},
		{name: "layer.tar", mode: 0o644, data: layer},
	})
	if err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}

	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	if err := os.WriteFile(tmp, archive, 0o644); err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	return nil
}

// tarBytes packs files, owned by root, into an in-memory tar.
func tarBytes(files []layerFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)),
			Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		switch {
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode, h.Size = tar.TypeSymlink, f.link, 0o777, 0
		case strings.HasSuffix(f.name, "/"):
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
