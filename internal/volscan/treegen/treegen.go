// Package treegen builds test volumes shaped like a Terraform automation server's data
// volume (an Atlantis-style layout), for scan benchmarks and for filling a real volume before
// a restart benchmark.
//
// Layout: repos/<org>/<repo>/<pr>/default holds git checkouts (HEAD, config, hooks, refs,
// packs and loose objects in 2-hex fan-out directories .git/objects/XX/) and a worktree of
// .tf files; envs/<env>/svcN holds .tf files, .terraform/providers trees whose provider
// binaries are 70% symlinks into plugin-cache/ and 30% sparse files, and .terraform/modules
// copies; plugin-cache/ holds sparse provider binaries; atlantis.db sits at the top. The mix
// is about 86% files, 12% directories and 1% symlinks, 8–9 entries per directory.
//
// Files are empty or sparse (the walk's cost depends on the entry count, not on bytes), so a
// 1M-entry tree needs about 1.1M inodes and little data. Generation is deterministic for a
// seed.
package treegen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Config controls Generate. The zero value of each field means the default.
type Config struct {
	// Entries is the number of entries to create below root (files, directories, symlinks).
	Entries int
	Seed    int64
	// GID, when positive, is the group given to every entry (else the creating process's).
	GID int
	// DifferFraction is the share of entries left as a process with umask 022 would create
	// them (files 0644, loose objects 0444, directories 0755), so a kubelet walk would
	// change them. The others already look walked (files 0664, directories 02775).
	DifferFraction float64
}

// Generate creates a tree of entries entries below root (created if missing) with seed,
// already consistent with the kubelet's walk for the process's group.
func Generate(root string, entries int, seed int64) error {
	return GenerateConfig(root, Config{Entries: entries, Seed: seed, GID: -1})
}

// errDone stops generation once the entry budget is spent.
var errDone = errors.New("entry budget spent")

type gen struct {
	cfg  Config
	rng  *rand.Rand
	left int
}

// GenerateConfig is Generate with every knob.
func GenerateConfig(root string, cfg Config) error {
	if cfg.Entries < 0 {
		return fmt.Errorf("treegen: negative entry count %d", cfg.Entries)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)), left: cfg.Entries}
	if err := g.fix(root, true, false); err != nil {
		return err
	}
	err := g.top(root)
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

// top fills the volume in rounds until the budget is spent.
func (g *gen) top(root string) error {
	if err := g.file(filepath.Join(root, "atlantis.db"), 0); err != nil {
		return err
	}
	cache := filepath.Join(root, "plugin-cache")
	if err := g.dir(cache); err != nil {
		return err
	}
	var cached []string
	for round := 0; ; round++ {
		p, err := g.pluginCache(cache, round)
		if err != nil {
			return err
		}
		cached = append(cached, p...)
		if err := g.env(root, round, cached); err != nil {
			return err
		}
		if err := g.repo(root, round); err != nil {
			return err
		}
	}
}

func (g *gen) take() error {
	if g.left <= 0 {
		return errDone
	}
	g.left--
	return nil
}

// differ decides whether this entry keeps an un-walked mode.
func (g *gen) differ() bool {
	return g.cfg.DifferFraction > 0 && g.rng.Float64() < g.cfg.DifferFraction
}

func (g *gen) fix(path string, isDir, readonly bool) error {
	mode := os.FileMode(0o664)
	switch {
	case isDir && g.differ():
		mode = 0o755
	case isDir:
		mode = 0o775 | os.ModeSetgid
	case g.differ() && readonly:
		mode = 0o444
	case g.differ():
		mode = 0o644
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	if g.cfg.GID > 0 {
		if err := os.Lchown(path, -1, g.cfg.GID); err != nil {
			return fmt.Errorf("treegen: %w", err)
		}
	}
	return nil
}

func (g *gen) dir(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return nil
	}
	if err := g.take(); err != nil {
		return err
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	return g.fix(path, true, false)
}

// file creates an empty file, or a sparse one of size bytes.
func (g *gen) file(path string, size int64) error {
	return g.fileMode(path, size, false)
}

func (g *gen) fileMode(path string, size int64, readonly bool) error {
	if err := g.take(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	if size > 0 {
		err = f.Truncate(size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	return g.fix(path, false, readonly)
}

func (g *gen) symlink(target, path string) error {
	if err := g.take(); err != nil {
		return err
	}
	if err := os.Symlink(target, path); err != nil && !os.IsExist(err) {
		return fmt.Errorf("treegen: %w", err)
	}
	if g.cfg.GID > 0 {
		if err := os.Lchown(path, -1, g.cfg.GID); err != nil {
			return fmt.Errorf("treegen: %w", err)
		}
	}
	return nil
}

// dirs creates each path in order.
func (g *gen) dirs(paths ...string) error {
	for _, p := range paths {
		if err := g.dir(p); err != nil {
			return err
		}
	}
	return nil
}
