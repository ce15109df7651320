package treegen

import (
	"fmt"
	"path/filepath"
)

var providers = []string{"aws", "google", "azurerm", "kubernetes", "helm", "random", "null",
	"tls", "vault", "datadog"}

var hooks = []string{"applypatch-msg", "commit-msg", "fsmonitor-watchman", "post-update",
	"pre-applypatch", "pre-commit", "pre-merge-commit", "pre-push", "pre-rebase",
	"pre-receive", "prepare-commit-msg", "push-to-checkout", "update"}

// pluginCache adds one provider version to the cache and returns the binaries' paths.
func (g *gen) pluginCache(cache string, round int) ([]string, error) {
	p := providers[round%len(providers)]
	ver := fmt.Sprintf("%d.%d.%d", 1+round/len(providers), g.rng.IntN(60), g.rng.IntN(10))
	base := filepath.Join(cache, "registry.terraform.io", "hashicorp", p, ver)
	if err := g.dirs(filepath.Join(cache, "registry.terraform.io"),
		filepath.Join(cache, "registry.terraform.io", "hashicorp"),
		filepath.Join(cache, "registry.terraform.io", "hashicorp", p), base,
		filepath.Join(base, "linux_amd64")); err != nil {
		return nil, err
	}
	bin := filepath.Join(base, "linux_amd64", "terraform-provider-"+p+"_v"+ver)
	return []string{bin}, g.file(bin, g.sparseSize())
}

// sparseSize is a provider binary's apparent size, 20–620 MB.
func (g *gen) sparseSize() int64 { return int64(20+g.rng.IntN(600)) << 20 }

// repo adds one pull-request checkout: repos/<org>/<repo>/<pr>/default.
func (g *gen) repo(root string, round int) error {
	org := fmt.Sprintf("org%d", round%7)
	repo := fmt.Sprintf("infra-%d", round%23)
	pr := fmt.Sprintf("%d", 1000+round)
	co := filepath.Join(root, "repos", org, repo, pr, "default")
	if err := g.dirs(filepath.Join(root, "repos"), filepath.Join(root, "repos", org),
		filepath.Join(root, "repos", org, repo), filepath.Join(root, "repos", org, repo, pr),
		co); err != nil {
		return err
	}
	if err := g.gitDir(filepath.Join(co, ".git")); err != nil {
		return err
	}
	return g.worktree(co)
}

func (g *gen) gitDir(git string) error {
	if err := g.dirs(git, filepath.Join(git, "hooks"), filepath.Join(git, "refs"),
		filepath.Join(git, "refs", "heads"), filepath.Join(git, "refs", "tags"),
		filepath.Join(git, "objects"), filepath.Join(git, "objects", "pack"),
		filepath.Join(git, "objects", "info"), filepath.Join(git, "info")); err != nil {
		return err
	}
	for _, f := range []string{"HEAD", "config", "description", "index", "packed-refs",
		"FETCH_HEAD", "ORIG_HEAD", "info/exclude", "refs/heads/main"} {
		if err := g.file(filepath.Join(git, f), 0); err != nil {
			return err
		}
	}
	for _, h := range hooks {
		if err := g.file(filepath.Join(git, "hooks", h+".sample"), 0); err != nil {
			return err
		}
	}
	pack := fmt.Sprintf("pack-%040x", g.rng.Uint64())
	for _, ext := range []string{".idx", ".pack", ".rev"} {
		if err := g.fileMode(filepath.Join(git, "objects", "pack", pack+ext), 0, true); err != nil {
			return err
		}
	}
	return g.looseObjects(filepath.Join(git, "objects"))
}

// looseObjects adds 1.2k–4.8k read-only objects spread over 2-hex fan-out directories.
func (g *gen) looseObjects(objects string) error {
	n := 1200 + g.rng.IntN(3600)
	made := map[string]bool{}
	for range n {
		fan := fmt.Sprintf("%02x", g.rng.IntN(256))
		dir := filepath.Join(objects, fan)
		if !made[fan] {
			if err := g.dir(dir); err != nil {
				return err
			}
			made[fan] = true
		}
		name := fmt.Sprintf("%016x%016x%06x", g.rng.Uint64(), g.rng.Uint64(), g.rng.IntN(1<<24))
		if err := g.fileMode(filepath.Join(dir, name), 0, true); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) worktree(co string) error {
	mods := 2 + g.rng.IntN(6)
	if err := g.dir(filepath.Join(co, "modules")); err != nil {
		return err
	}
	for i := range mods {
		m := filepath.Join(co, "modules", fmt.Sprintf("mod%d", i))
		if err := g.tfFiles(m); err != nil {
			return err
		}
	}
	for _, f := range []string{"README.md", "atlantis.yaml", ".gitignore", "main.tf"} {
		if err := g.file(filepath.Join(co, f), 0); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) tfFiles(dir string) error {
	if err := g.dir(dir); err != nil {
		return err
	}
	for _, f := range []string{"main.tf", "variables.tf", "outputs.tf", "versions.tf"} {
		if err := g.file(filepath.Join(dir, f), 0); err != nil {
			return err
		}
	}
	return nil
}

// env adds envs/<env>/svcN with its .terraform directory.
func (g *gen) env(root string, round int, cached []string) error {
	env := []string{"dev", "staging", "prod"}[round%3]
	svc := filepath.Join(root, "envs", env, fmt.Sprintf("svc%d", round))
	if err := g.dirs(filepath.Join(root, "envs"), filepath.Join(root, "envs", env)); err != nil {
		return err
	}
	if err := g.tfFiles(svc); err != nil {
		return err
	}
	tf := filepath.Join(svc, ".terraform")
	if err := g.dirs(tf, filepath.Join(tf, "providers"), filepath.Join(tf, "modules")); err != nil {
		return err
	}
	if err := g.file(filepath.Join(svc, ".terraform.lock.hcl"), 0); err != nil {
		return err
	}
	for i := range 1 + g.rng.IntN(4) {
		if err := g.provider(tf, i, cached); err != nil {
			return err
		}
	}
	for i := range 1 + g.rng.IntN(3) {
		if err := g.tfFiles(filepath.Join(tf, "modules", fmt.Sprintf("m%d", i))); err != nil {
			return err
		}
	}
	return nil
}

// provider adds one provider binary: 70% a symlink into the cache, 30% a sparse copy.
func (g *gen) provider(tf string, i int, cached []string) error {
	p := providers[i%len(providers)]
	dir := filepath.Join(tf, "providers", "registry.terraform.io", "hashicorp", p, "1.0.0",
		"linux_amd64")
	parts := []string{filepath.Join(tf, "providers", "registry.terraform.io")}
	parts = append(parts, filepath.Join(parts[0], "hashicorp"))
	parts = append(parts, filepath.Join(parts[1], p), filepath.Join(parts[1], p, "1.0.0"), dir)
	if err := g.dirs(parts...); err != nil {
		return err
	}
	bin := filepath.Join(dir, "terraform-provider-"+p)
	if g.rng.IntN(10) < 7 && len(cached) > 0 {
		target, err := filepath.Rel(dir, cached[g.rng.IntN(len(cached))])
		if err != nil {
			return err
		}
		return g.symlink(target, bin)
	}
	return g.file(bin, g.sparseSize())
}
