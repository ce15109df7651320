package report

import (
	"runtime/debug"
	"sync"
)

// ToolVersion is startlag's version as the Go toolchain recorded it in the binary: the module
// version for `go install …@vX`, else "devel", followed by the commit (and "+dirty") when the
// binary was built from a git checkout.
var ToolVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + dirty + ")"
	}
	return v
})
