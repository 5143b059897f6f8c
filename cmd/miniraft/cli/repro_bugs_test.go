//go:build bugs

package cli

import (
	"testing"

	"github.com/miniraft/miniraft/internal/bugs"
)

// A run with a deliberate bug switched on says so in every record, and its printed
// command switches it on again: the run repeats, byte for byte.
func TestBugPrintedCommandRepeatsTheRun(t *testing.T) {
	defer bugs.Set()
	testRepro(t, reproCase{args: []string{"--bug", "forget-vote", "--seed", "3"}, arg: "crash-restart-all", code: -1,
		want: []string{`"bugs":["forget-vote"]`, "--bug forget-vote", "with bugs forget-vote"},
		page: []string{"deliberate bugs switched on</dt><dd>forget-vote"}})
}
