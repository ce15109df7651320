package audit

import (
	"path"
	"strconv"
	"strings"
)

// This file reads container commands (argv, or the script of `sh -c`) far enough to find the
// ownership and mode changes they make: chown, chgrp and chmod, directly, through `find ...
// -exec` or through `find ... | xargs`. It is a recogniser for the idioms found in real charts,
// not a shell: anything it does not understand is left out rather than guessed.

// permOp is one chown, chgrp or chmod a container command performs.
type permOp struct {
	Tool string // "chown", "chgrp" or "chmod"
	// Spec is the owner[:group] (chown), group (chgrp) or mode (chmod); empty with --reference.
	Spec  string
	Paths []operand
	// Recursive: the change reaches the whole tree under each path (-R, or a find walk).
	Recursive bool
	// ViaFind: driven by find, which reads every entry of the tree.
	ViaFind bool
	// Filtered: find selects entries (-user, -group, -perm, ...), so only mismatches change.
	Filtered bool
	// SkipsRoot: find's -mindepth 1 (or -type f) leaves the start directory itself alone.
	SkipsRoot bool
	// DirsOnly / FilesOnly: find -type d / -type f.
	DirsOnly, FilesOnly bool
	// Guarded: runs only after a test of ownership (e.g. `[ "$(stat ...)" = ... ] || chown`).
	Guarded bool
	// Busybox: run as `busybox chmod` / `toybox chmod`, whose numeric modes clear setgid.
	Busybox bool
	// Text is the command as written, for messages.
	Text string
}

// operand is one path operand. Children means a glob such as /data/* (the entries under the
// path, not the path itself). Unknown paths (unexpanded variables, relative paths without a
// working directory) are dropped.
type operand struct {
	Path     string
	Children bool
}

// commandOps returns the ownership and mode changes of a container's command and args.
// env holds the container's literal environment values; workDir its workingDir.
func commandOps(argv []string, env map[string]string, workDir string) []permOp {
	p := &opParser{env: env, workDir: workDir}
	p.argv(argv, false, nil, 0)
	return p.ops
}

// opParser collects permOps; depth bounds nested `sh -c` scripts.
type opParser struct {
	env     map[string]string
	workDir string
	ops     []permOp
}

const maxShellDepth = 4

// argv handles one simple command; prev is the command piped into it, if any.
func (p *opParser) argv(argv []string, guarded bool, prev []string, depth int) {
	argv, busybox := unwrap(argv)
	if len(argv) == 0 {
		return
	}
	name := path.Base(argv[0])
	if script, ok := shellScript(argv); ok {
		if depth < maxShellDepth {
			p.script(script, guarded, depth+1)
		}
		return
	}
	text := strings.Join(argv, " ")
	switch name {
	case "chown", "chgrp", "chmod":
		if op, ok := p.tool(name, argv[1:], nil); ok {
			op.Guarded, op.Busybox, op.Text = guarded, busybox, text
			p.ops = append(p.ops, op)
		}
	case "find":
		p.find(argv[1:], guarded, busybox, text)
	case "xargs":
		p.xargs(argv[1:], guarded, prev, text)
	}
}

// script splits a shell script into simple commands and handles each.
func (p *opParser) script(s string, guarded bool, depth int) {
	for _, c := range splitCommands(tokenize(s)) {
		argv := p.expandAll(c.argv)
		var prev []string
		if c.pipeFrom != nil {
			prev = p.expandAll(c.pipeFrom)
		}
		p.argv(argv, guarded || c.guarded, prev, depth)
	}
}

func (p *opParser) expandAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = expandVars(w, p.env)
	}
	return out
}

// tool parses chown/chgrp/chmod operands. fill replaces "{}" placeholders (find -exec).
func (p *opParser) tool(name string, args []string, fill []operand) (permOp, bool) {
	op := permOp{Tool: name}
	var operands []string
	flags := true
	specDone := false
	for _, a := range args {
		switch {
		case flags && a == "--":
			flags = false
		case flags && strings.HasPrefix(a, "--"):
			if a == "--recursive" {
				op.Recursive = true
			}
			if strings.HasPrefix(a, "--reference") {
				specDone = true
			}
		case flags && isShortFlags(name, a):
			if strings.ContainsRune(a, 'R') {
				op.Recursive = true
			}
		case !specDone:
			op.Spec, specDone = a, true
		default:
			operands = append(operands, a)
		}
	}
	for _, o := range operands {
		if o == "{}" {
			op.Paths = append(op.Paths, fill...)
			continue
		}
		if t, ok := p.target(o); ok {
			op.Paths = append(op.Paths, t)
		}
	}
	return op, specDone && len(op.Paths) > 0
}

// isShortFlags tells an option cluster from an operand. For chmod, "-w" or "-x" is a mode.
func isShortFlags(tool, a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	allowed := "RcfvhHLP"
	if tool == "chmod" {
		allowed = "Rcfv"
	}
	for _, r := range a[1:] {
		if !strings.ContainsRune(allowed, r) {
			return false
		}
	}
	return true
}

// target turns an operand into an absolute, cleaned path.
func (p *opParser) target(o string) (operand, bool) {
	t := operand{Path: o}
	if i := strings.IndexAny(o, "*?["); i >= 0 {
		dir := o[:i]
		if !strings.HasSuffix(dir, "/") {
			return operand{}, false // a glob inside a name: cannot tell which entries
		}
		t = operand{Path: dir, Children: true}
	}
	if strings.ContainsAny(t.Path, "$`") || t.Path == "" {
		return operand{}, false
	}
	if !path.IsAbs(t.Path) {
		if p.workDir == "" || !path.IsAbs(p.workDir) {
			return operand{}, false
		}
		t.Path = path.Join(p.workDir, t.Path)
	}
	t.Path = path.Clean(t.Path)
	return t, true
}

// find handles `find PATH... EXPR` with -exec/-execdir/-ok running chown, chgrp or chmod.
func (p *opParser) find(args []string, guarded, busybox bool, text string) {
	roots, rest := findRoots(args)
	var starts []operand
	for _, r := range roots {
		if t, ok := p.target(r); ok {
			starts = append(starts, t)
		}
	}
	f := parseFindExpr(rest)
	for _, ex := range f.execs {
		if len(ex) == 0 {
			continue
		}
		name := path.Base(ex[0])
		if name != "chown" && name != "chgrp" && name != "chmod" {
			continue
		}
		op, ok := p.tool(name, ex[1:], starts)
		if !ok {
			continue
		}
		f.apply(&op)
		op.Guarded, op.Busybox, op.Text = guarded, busybox, text
		p.ops = append(p.ops, op)
	}
}

// xargs handles `find ... | xargs [opts] chown ...`: the paths are find's start paths.
func (p *opParser) xargs(args []string, guarded bool, prev []string, text string) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if xargsTakesValue(args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return
	}
	cmd, busybox := unwrap(args[i:])
	if len(cmd) == 0 || len(prev) == 0 || path.Base(prev[0]) != "find" {
		return
	}
	name := path.Base(cmd[0])
	if name != "chown" && name != "chgrp" && name != "chmod" {
		return
	}
	roots, rest := findRoots(prev[1:])
	var starts []operand
	for _, r := range roots {
		if t, ok := p.target(r); ok {
			starts = append(starts, t)
		}
	}
	op, ok := p.tool(name, append(cmd[1:], "{}"), starts)
	if !ok {
		return
	}
	parseFindExpr(rest).apply(&op)
	op.Guarded, op.Busybox = guarded, busybox
	op.Text = strings.Join(prev, " ") + " | " + text
	p.ops = append(p.ops, op)
}

func xargsTakesValue(a string) bool {
	switch a {
	case "-n", "-I", "-P", "-L", "-d", "-E", "-s", "-a":
		return true
	}
	return false
}

// findRoots splits find's arguments into start paths and the expression.
func findRoots(args []string) ([]string, []string) {
	i := 0
	for i < len(args) && (args[i] == "-H" || args[i] == "-L" || args[i] == "-P") {
		i++
	}
	start := i
	for i < len(args) && !strings.HasPrefix(args[i], "-") && args[i] != "(" && args[i] != "!" {
		i++
	}
	return args[start:i], args[i:]
}

// findExpr is what matters of a find expression.
type findExpr struct {
	execs    [][]string
	maxDepth int // -1 when unset
	minDepth int
	filtered bool
	typ      string
}

func parseFindExpr(args []string) findExpr {
	f := findExpr{maxDepth: -1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch a {
		case "-exec", "-execdir", "-ok", "-okdir":
			j := i + 1
			for j < len(args) && args[j] != ";" && args[j] != "+" {
				j++
			}
			f.execs = append(f.execs, args[i+1:j])
			i = j
		case "-maxdepth", "-mindepth":
			if i+1 < len(args) {
				n, err := strconv.Atoi(args[i+1])
				if err == nil && a == "-maxdepth" {
					f.maxDepth = n
				} else if err == nil {
					f.minDepth = n
				}
				i++
			}
		case "-type":
			if i+1 < len(args) {
				f.typ = args[i+1]
				i++
			}
		case "-user", "-group", "-uid", "-gid", "-nouser", "-nogroup", "-perm", "-newer":
			f.filtered = true
		}
	}
	return f
}

// apply folds the find expression into op: find walks the whole tree unless -maxdepth stops
// it at the first level.
func (f findExpr) apply(op *permOp) {
	op.ViaFind = true
	if f.maxDepth < 0 || f.maxDepth > 1 {
		op.Recursive = true
	}
	op.Filtered = f.filtered
	op.SkipsRoot = f.minDepth >= 1 || f.typ == "f"
	op.DirsOnly = f.typ == "d"
	op.FilesOnly = f.typ == "f"
}

// shells are the interpreters whose -c script is read.
var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true,
	"ksh": true, "mksh": true}

// shellScript returns the script of `sh [-options] -c SCRIPT`.
func shellScript(argv []string) (string, bool) {
	if !shells[path.Base(argv[0])] {
		return "", false
	}
	hasC := false
	i := 1
	for i < len(argv) && len(argv[i]) > 1 && (argv[i][0] == '-' || argv[i][0] == '+') {
		if argv[i] == "-o" || argv[i] == "+o" {
			i += 2
			continue
		}
		if argv[i] == "--" {
			i++
			break
		}
		if !strings.HasPrefix(argv[i], "--") && strings.ContainsRune(argv[i], 'c') {
			hasC = true
		}
		i++
	}
	if !hasC || i >= len(argv) {
		return "", false
	}
	return argv[i], true
}

// unwrap strips variable assignments and command prefixes (exec, sudo, env, nice, busybox,
// gosu, su-exec, timeout, ...) and reports whether busybox or toybox runs the command.
func unwrap(argv []string) ([]string, bool) {
	busybox := false
	for steps := 0; steps < 8 && len(argv) > 0; steps++ {
		for len(argv) > 0 && isAssignment(argv[0]) {
			argv = argv[1:]
		}
		if len(argv) == 0 {
			break
		}
		switch path.Base(argv[0]) {
		case "exec", "command", "nohup", "time", "builtin", "stdbuf":
			argv = skipFlags(argv[1:], nil)
		case "sudo", "doas":
			argv = skipFlags(argv[1:], map[string]bool{"-u": true, "-g": true, "-C": true})
		case "env":
			argv = skipFlags(argv[1:], map[string]bool{"-u": true, "-C": true})
		case "nice", "ionice":
			argv = skipFlags(argv[1:], map[string]bool{"-n": true, "-c": true})
		case "timeout":
			argv = skipFlags(argv[1:], map[string]bool{"-s": true, "-k": true})
			if len(argv) > 0 {
				argv = argv[1:]
			}
		case "gosu", "su-exec":
			if len(argv) < 2 {
				return nil, busybox
			}
			argv = argv[2:]
		case "busybox", "toybox":
			busybox = true
			argv = argv[1:]
		default:
			return argv, busybox
		}
	}
	return argv, busybox
}

func skipFlags(argv []string, withValue map[string]bool) []string {
	for len(argv) > 0 && strings.HasPrefix(argv[0], "-") {
		if withValue[argv[0]] && len(argv) > 1 {
			argv = argv[1:]
		}
		argv = argv[1:]
	}
	return argv
}

func isAssignment(w string) bool {
	i := strings.IndexByte(w, '=')
	if i <= 0 {
		return false
	}
	for j, r := range w[:i] {
		letter := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		if !letter && (j == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// expandVars replaces $NAME and ${NAME} with values from env; unknown variables stay.
func expandVars(w string, env map[string]string) string {
	if !strings.Contains(w, "$") || len(env) == 0 {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			b.WriteByte(w[i])
			continue
		}
		name, end := varName(w, i+1)
		v, ok := env[name]
		if name == "" || !ok {
			b.WriteByte(w[i])
			continue
		}
		b.WriteString(v)
		i = end - 1
	}
	return b.String()
}

// varName reads a variable name at w[i:] ("NAME" or "{NAME}") and returns it with the index
// just past it.
func varName(w string, i int) (string, int) {
	if w[i] == '{' {
		j := strings.IndexByte(w[i:], '}')
		if j < 0 {
			return "", i
		}
		return w[i+1 : i+j], i + j + 1
	}
	j := i
	for j < len(w) && (w[j] == '_' || w[j] >= 'A' && w[j] <= 'Z' || w[j] >= 'a' && w[j] <= 'z' ||
		j > i && w[j] >= '0' && w[j] <= '9') {
		j++
	}
	return w[i:j], j
}
