package foreign

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureTests is the part of MiniRaft's course-format suite (raft/test_test.go) that
// TestFixturePassesCourseTests runs against the fixture: a test or two of each part,
// about a minute in all. MINIRAFT_FIXTURE_TESTS overrides it (a -run pattern; "." runs
// the whole suite, about seven minutes).
const fixtureTests = `^Test(InitialElection2A|ReElection2A|BasicAgree2B|RPCBytes2B|FailAgree2B|ConcurrentStarts2B|Rejoin2B|Count2B|Persist12C|UnreliableAgree2C|SnapshotBasic2D|SnapshotInit2D)$`

// TestFixturePassesCourseTests proves the fixture Raft works, through the machinery
// that builds it: MiniRaft's course-format tests (raft/test_test.go, with the tester of
// raft/harness_test.go, as the course's test_test.go and config.go would be) are put
// beside the copy of the fixture in the generated module and run there.
func TestFixturePassesCourseTests(t *testing.T) {
	slow(t)
	res, err := Build(t.Context(), Options{Dir: fixture(t, "raft"), Cache: t.TempDir(), Main: MainSmoke})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	harness, err := os.ReadFile(filepath.Join(repoRoot(t), "raft", "harness_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(repoRoot(t), "raft", "test_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The tester waits for each of MiniRaft's peers to end its goroutines (Wait); the
	// fixture's end on their own soon after Kill, which goleak's retries allow for.
	patched := edit(t, string(harness), "\t\trf.Wait()\n", "\t\t_ = rf // the fixture's goroutines end on their own after Kill\n", 1)
	writeTree(t, res.Package, map[string]string{"harness_test.go": patched, "test_test.go": string(tests)})

	run := fixtureTests
	if p := os.Getenv("MINIRAFT_FIXTURE_TESTS"); p != "" {
		run = p
	}
	args := []string{"test", "-count=1", "-timeout=20m", "-run", run, "-v"}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir, cmd.Env = res.Package, Env()
	out, err := cmd.CombinedOutput()
	passed := regexp.MustCompile(`(?m)^--- PASS: (\S+) \(([0-9.]+)s\)`).FindAllStringSubmatch(string(out), -1)
	if err != nil || len(passed) == 0 {
		t.Fatalf("go test %s: %v\n%s", strings.Join(args[1:], " "), err, out)
	}
	for _, p := range passed {
		t.Logf("%s passed in %ss", p[1], p[2])
	}
}
