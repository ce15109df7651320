package manifest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// Input limits. They hold any real rendered chart or kustomization while bounding memory.
const (
	// MaxFileBytes caps one file (or standard input).
	MaxFileBytes = 128 << 20
	// MaxDocumentBytes caps one YAML document.
	MaxDocumentBytes = 32 << 20
)

// StdinName is the file name given to standard input in positions and errors.
const StdinName = "-"

// manifestExts are the file name extensions read when walking a directory.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// source is one file to read (standard input when stdin is set), or a path that yields only
// errors (unreadable, or a directory without manifests), kept in place to report in order.
type source struct {
	name  string
	stdin bool
	errs  []error
}

// Load reads Kubernetes manifests from paths and returns what it found.
//
// Each path is a file (read whatever its extension), a directory (walked recursively in lexical
// order; files ending in .yaml, .yml or .json are read; directories whose name starts with "."
// are skipped) or "-" for stdin. Files are multi-document YAML or JSON streams; "List" kinds are
// flattened; empty and comment-only documents are skipped silently.
//
// Workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
// CronJob, their deprecated API versions, and the CRDs Argo Rollouts Rollout, OpenKruise
// CloneSet, Advanced StatefulSet and Advanced DaemonSet) go to Set.Workloads in input order,
// each with the position of its first key (usually apiVersion). PVCs, PVs, StorageClasses and
// CSIDrivers go to Set.Storage. Every other object is counted in Set.Skipped by
// "apiVersion/kind" (documents without a kind under "(no kind)"). Objects of kinds that are not
// audited are recognised from their top-level lines when the document is plain block YAML and
// are then not parsed further, so a syntax error inside such an object goes unreported.
//
// Problems never stop loading: every unreadable path, binary or non-UTF-8 file, malformed or
// oversized document and undecodable workload is recorded in Set.Errors as an *InputError
// naming the file and, where known, the line; loading continues with the next document or file.
// Files are read concurrently but the result does not depend on scheduling. When ctx is
// cancelled, Load stops starting new files and records ctx.Err() in Set.Errors.
func Load(ctx context.Context, paths []string, stdin io.Reader) *Set {
	set := &Set{Skipped: map[string]int{}}
	sources := expandPaths(paths)

	results := make([]*Set, len(sources))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(sources), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = loadSource(sources[i], stdin)
			}
		}()
	}
	feed(ctx, work, len(sources))
	wg.Wait()

	for _, r := range results {
		if r != nil {
			set.merge(r)
		}
	}
	if err := ctx.Err(); err != nil {
		set.Errors = append(set.Errors, fmt.Errorf("loading manifests: %w", err))
	}
	resolveWorkloadRefs(set)
	return set
}

// feed sends 0..n-1 to work until done or ctx is cancelled, then closes work.
func feed(ctx context.Context, work chan<- int, n int) {
	defer close(work)
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
			return
		}
	}
}

// merge appends what r found to s.
func (s *Set) merge(r *Set) {
	s.Files += r.Files
	s.Objects += r.Objects
	s.Workloads = append(s.Workloads, r.Workloads...)
	s.Storage.PVCs = append(s.Storage.PVCs, r.Storage.PVCs...)
	s.Storage.PVs = append(s.Storage.PVs, r.Storage.PVs...)
	s.Storage.StorageClasses = append(s.Storage.StorageClasses, r.Storage.StorageClasses...)
	s.Storage.CSIDrivers = append(s.Storage.CSIDrivers, r.Storage.CSIDrivers...)
	for k, n := range r.Skipped {
		s.Skipped[k] += n
	}
	s.Errors = append(s.Errors, r.Errors...)
}

// expandPaths turns the command-line paths into the files to read, in order. Unusable paths
// become sources that carry only their errors. A file named twice is read once.
func expandPaths(paths []string) []source {
	var out []source
	seen := map[string]bool{}
	add := func(s source) {
		if !seen[s.name] {
			seen[s.name] = true
			out = append(out, s)
		}
	}
	failed := func(p string, err error) {
		ie := &InputError{Pos: Position{File: p}, Err: err}
		out = append(out, source{name: p, errs: []error{ie}})
	}

	for _, p := range paths {
		if p == StdinName {
			add(source{name: StdinName, stdin: true})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			failed(p, err)
			continue
		}
		if !info.IsDir() {
			add(source{name: p})
			continue
		}
		files, errs := walkDir(p)
		for _, f := range files {
			add(source{name: f})
		}
		for _, err := range errs {
			failed(errPath(err, p))
		}
		if len(errs) == 0 && len(files) == 0 {
			failed(p, errors.New("no .yaml, .yml or .json files in directory"))
		}
	}
	return out
}

// walkDir lists the manifest files under dir in lexical order, skipping hidden directories.
// dir itself may be a symlink to a directory; symlinks to directories below it are not
// followed (a link loop would never end).
// Only regular files (or symlinks to them) are listed: a fifo, socket or device named like a
// manifest would block the read or never end, as `find -type f` leaves them out too.
func walkDir(dir string) ([]string, []error) {
	var files []string
	var errs []error
	root := dir
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		root = dir + string(filepath.Separator) // a symlinked argument is followed
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExts[strings.ToLower(filepath.Ext(path))] && isRegular(path, d) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return files, errs
}

// errPath splits a walk error into the path it names (an unreadable subdirectory) and the
// cause; an error without a path stays with dir.
func errPath(err error, dir string) (string, error) {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path != "" {
		return pe.Path, fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return dir, err
}

// loadSource reads and decodes one file (or stdin) into a fresh Set.
func loadSource(src source, stdin io.Reader) *Set {
	set := &Set{Skipped: map[string]int{}}
	if len(src.errs) > 0 {
		set.Errors = src.errs
		return set
	}
	data, err := readSource(src, stdin)
	if err != nil {
		set.Errors = append(set.Errors, err)
		return set
	}
	set.Files = 1
	data = loneCRToLF(bytes.TrimPrefix(data, []byte("\ufeff")))

	d := newDecoder(src.name, set)
	chunks, ok := splitJSONValues(data)
	if !ok {
		chunks = splitChunks(data)
	}
	for _, c := range chunks {
		d.decodeChunk(c)
	}
	return set
}

// isRegular reports whether the directory entry d at path is a regular file, following a
// symlink. A dangling symlink counts as regular so that reading it reports the error.
func isRegular(path string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err != nil || info.Mode().IsRegular()
}

// readSource reads a whole file or stdin, refusing more than MaxFileBytes.
func readSource(src source, stdin io.Reader) ([]byte, error) {
	pos := Position{File: src.name}
	r := stdin
	if !src.stdin {
		f, err := os.Open(src.name)
		if err != nil {
			return nil, &InputError{Pos: pos, Err: err}
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() &&
			info.Size() > MaxFileBytes {
			return nil, inputErrorf(pos, "larger than %d MiB; split the input",
				MaxFileBytes>>20)
		}
		r = f
	} else if r == nil {
		return nil, inputErrorf(pos, "no standard input")
	}

	data, err := readAll(r)
	if err != nil {
		return nil, &InputError{Pos: pos, Err: fmt.Errorf("reading: %w", err)}
	}
	if len(data) > MaxFileBytes {
		return nil, inputErrorf(pos, "larger than %d MiB; split the input", MaxFileBytes>>20)
	}
	return data, nil
}

// readAll reads r up to MaxFileBytes+1 bytes, sizing the buffer from the file size when r is a
// regular file.
func readAll(r io.Reader) ([]byte, error) {
	size := 512
	if f, ok := r.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
			size = int(min(info.Size(), MaxFileBytes)) + bytes.MinRead
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err := buf.ReadFrom(io.LimitReader(r, MaxFileBytes+1))
	return buf.Bytes(), err
}

// checkText rejects a document holding binary data (NUL bytes) or bytes that are not UTF-8,
// naming the file line of the first offending byte. Each document is checked on its own, so
// one bad document leaves the others of its file to be audited.
func checkText(name string, c chunk) error {
	data := c.data
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return inputErrorf(Position{File: name, Line: c.line - 1 + lineOf(data, i)},
			"binary data (NUL byte); not a YAML or JSON manifest")
	}
	if utf8.Valid(data) {
		return nil
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return inputErrorf(Position{File: name, Line: c.line - 1 + lineOf(data, i)},
				"invalid UTF-8 (byte 0x%02x); manifests must be UTF-8 text", data[i])
		}
		i += size
	}
	return nil
}

// lineOf returns the 1-based line of byte offset i.
func lineOf(data []byte, i int) int { return bytes.Count(data[:i], []byte("\n")) + 1 }
