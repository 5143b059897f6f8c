//go:build bugs

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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

// A live run in a worker process runs the bug switched on here, as fuzz's reruns do:
// the schedule live fuzzing shrank reply-before-save to (a vote replied before it is
// saved, and a crash right after the vote) fails when run again. The workers ran
// correct code before, and the shrunk file passed every rerun.
func TestBugLiveRunInWorkerHasTheBug(t *testing.T) {
	defer bugs.Set()
	file := filepath.Join(t.TempDir(), "vote.chaos")
	src := "peers 4\nseed 2\nduration 379ms\n\nat 0s on vote 3 crash 3\nat 379ms restart crashed\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"run", "--engine", "live", "--vtime", "--repeat", "5", "--bug", "reply-before-save", "-q", file}, &out, &errb)
	m := regexp.MustCompile(`failed (\d) of 5 runs \(term-monotonic`).FindStringSubmatch(out.String())
	if code != exitFail || m == nil || m[1] == "0" {
		t.Fatalf("exit %d, output:\n%s\nstderr: %s\nwant exit %d and term-monotonic failures", code, out.String(), errb.String(), exitFail)
	}
}
