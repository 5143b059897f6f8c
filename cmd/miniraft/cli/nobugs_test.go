//go:build !bugs

package cli

import "testing"

// --bug in a build without the deliberate bugs says how to get them, not "unknown
// flag".
func TestBugFlagInANormalBuild(t *testing.T) {
	for _, args := range [][]string{{"run", "--bug", "figure8", "leader-crash"}, {"fuzz", "--bug", "figure8"}} {
		wantUsageError(t, args, "miniraft "+args[0]+": --bug: this binary has no deliberate bugs; build one that has them with -tags bugs:\n  go build -tags bugs")
	}
}
