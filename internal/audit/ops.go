package audit

import corev1 "k8s.io/api/core/v1"

// OwnershipOp is one recursive ownership or mode change that a container's command performs:
// `chown -R`, `chgrp -R`, `chmod -R`, or chown/chgrp/chmod run by `find -exec` or through
// `find | xargs`, each of which touches every entry of a tree.
type OwnershipOp struct {
	// Tool is "chown", "chgrp" or "chmod".
	Tool string
	// Text is the command as written in the container spec, for messages.
	Text string
	// Paths are the absolute start directories of the change (variables with literal values
	// expanded, relative paths resolved against workingDir; a glob such as /data/* names
	// /data).
	Paths []string
	// Guarded: the command runs only after a test of ownership, so a volume that already
	// matches is not walked.
	Guarded bool
	// Filtered: find selects entries (-user, -group, -perm, ...), so only mismatches change,
	// but every entry is still read.
	Filtered bool
}

// RecursiveOwnershipOps returns the recursive ownership and mode changes that container c runs
// (its command and args; the script of `sh -c` is read), in command order. It is the reader the
// chown-init-container rule uses. Commands it does not understand give no operation rather
// than a guess, so an empty result means "none recognised", not "none made".
func RecursiveOwnershipOps(c *corev1.Container) []OwnershipOp {
	argv := append(append([]string{}, c.Command...), c.Args...)
	var out []OwnershipOp
	for _, op := range commandOps(argv, containerEnv(c), c.WorkingDir) {
		if !op.Recursive {
			continue
		}
		o := OwnershipOp{Tool: op.Tool, Text: op.Text, Guarded: op.Guarded, Filtered: op.Filtered}
		for _, p := range op.Paths {
			o.Paths = append(o.Paths, p.Path)
		}
		out = append(out, o)
	}
	return out
}
