// Package miniraft carries MiniRaft's own source code inside every binary that links it,
// so that miniraft can build a user's Raft into a copy of itself (miniraft run --raft DIR,
// see chaos/course/foreign) wherever it runs: from a checkout, from a binary installed
// with go install, or from one copied to a machine with no MiniRaft sources at all.
package miniraft

import (
	"embed"
	"path/filepath"
	"runtime"
)

// Source holds the module's files: go.mod, go.sum and every package directory, tests
// and test data included (go:embed cannot leave them out; package foreign skips them).
// A test checks that every package of the module is in it.
//
//go:embed go.mod go.sum *.go chaos cmd internal labgob labrpc raft scripts tui
var Source embed.FS

// Dir returns the directory this package was compiled from, the root of the MiniRaft
// module the binary was built from, or "" if the binary does not know it (it was built
// with -trimpath). The directory may have changed, or gone, since.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(file)
}
