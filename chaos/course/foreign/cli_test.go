package foreign

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/scripts"
)

// TestFixtureRunsTheLibrary is what README's "Test your own Raft" promises, on the
// fixture: miniraft run --raft testdata/course/raft --vtime all passes every built-in
// scenario but those it says a Raft of your own may not support (PreVote, CheckQuorum,
// clock skew), and those are a minority.
func TestFixtureRunsTheLibrary(t *testing.T) {
	slow(t)
	code, stdout, stderr := outerWithin(t, 10*time.Minute, t.TempDir(), nil, "run", "--raft", fixture(t, "raft"), "--vtime", "-q", "all")
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	n := len(scripts.Names())
	m := regexp.MustCompile(`(?m)^(\d+) of (\d+) scenarios passed, (\d+) skipped`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no tally in the output:\n%s", stdout)
	}
	passed, _ := strconv.Atoi(m[1])
	skipped, _ := strconv.Atoi(m[3])
	if m[2] != strconv.Itoa(n) || passed+skipped != n || skipped > n/3 {
		t.Errorf("%s of %s passed, %d skipped; want all %d run or skipped, at most a third skipped\n%s", m[1], m[2], skipped, n, stdout)
	}
	if got := len(regexp.MustCompile(`(?m)^SKIP `).FindAllString(stdout, -1)); got != skipped {
		t.Errorf("%d SKIP lines for %d skipped scenarios:\n%s", got, skipped, stdout)
	}
}

// TestFixtureForgetVoteFound: fuzzing the fixture's copy that forgets its vote across
// a restart finds two leaders in one term (election-safety) within a bounded campaign,
// in virtual time on the live engine.
func TestFixtureForgetVoteFound(t *testing.T) {
	slow(t)
	out := t.TempDir()
	start := time.Now()
	code, stdout, stderr := outerWithin(t, 8*time.Minute, t.TempDir(), nil, "fuzz", "--raft", fixture(t, "raft-forgetvote"),
		"--time", "4m", "--stop-after", "1", "--shrink", "0", "--out", out, "-q")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a failure found)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rec, err := fuzz.ReadRecord(out)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Failed != 1 || rec.Violations["election-safety"] != 1 {
		t.Errorf("%d failed runs by checker %v, want one election-safety violation (two leaders in a term)\n%s", rec.Failed, rec.Violations, stdout)
	}
	t.Logf("found after %d runs (%v of cluster time) in %v", rec.Runs, rec.Virtual, time.Since(start).Round(time.Second))
}
