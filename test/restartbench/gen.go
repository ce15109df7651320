package main

import "github.com/startlag/startlag/internal/volscan/treegen"

// generateTree fills root with entries entries shaped like a Terraform automation server's
// volume (deterministic for seed).
func generateTree(root string, entries int, seed int64) error {
	return treegen.Generate(root, entries, seed)
}
