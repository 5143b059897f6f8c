package foreign

import (
	"os/exec"
	"testing"
)

// BenchmarkFirstBuild measures the first build of a user's Raft from a checkout whose
// packages the go command has compiled before (go run ./cmd/miniraft did): a new cache
// directory each time, the miniraft binary with its whole command line.
func BenchmarkFirstBuild(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command")
	}
	dir := fixture(b, "raft")
	for b.Loop() {
		res, err := Build(b.Context(), Options{Dir: dir, Cache: b.TempDir()})
		if err != nil || res.Cached {
			b.Fatalf("Build: %v (cached %v)", err, res != nil && res.Cached)
		}
	}
}

// BenchmarkFirstBuildNoCheckout measures the first build where no usable source tree
// exists: MiniRaft's sources are written out from the binary and all of its packages
// compiled from there (once per cache directory; later builds reuse them).
func BenchmarkFirstBuildNoCheckout(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command")
	}
	defer func(c func(string) []string) { candidates = c }(candidates)
	candidates = func(string) []string { return nil }
	dir := fixture(b, "raft")
	for b.Loop() {
		res, err := Build(b.Context(), Options{Dir: dir, Cache: b.TempDir()})
		if err != nil || res.Cached {
			b.Fatalf("Build: %v (cached %v)", err, res != nil && res.Cached)
		}
	}
}
