package cli

import (
	"bytes"
	"strings"
	"testing"
)

// --raft and --engine: bad combinations are usage errors (exit 2) that say why.
func TestEngineFlagsBadUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--raft", "testdata/x", "--engine", "sim", "leader-crash"}, "drop --engine sim"},
		{[]string{"run", "--raft", "/nowhere/raft", "leader-crash"}, "does not carry that Raft"},
		{[]string{"run", "--engine", "warp", "leader-crash"}, `--engine "warp": want sim or live`},
		{[]string{"run", "--vtime", "leader-crash"}, "--vtime runs the live engine"},
		{[]string{"run", "--repeat", "0", "leader-crash"}, "--repeat 0"},
		{[]string{"fuzz", "--realtime"}, "--realtime runs the live engine in real time"},
		{[]string{"fuzz", "--raft", "/nowhere/raft"}, "does not carry that Raft"},
		{[]string{"tui", "--raft", "/nowhere/raft"}, "does not carry that Raft"},
	} {
		wantUsageError(t, tt.args, tt.want)
	}
}

// A live run goes to a worker process (this test binary again): a panic or a deadlock of
// the Raft ends that process, not miniraft. In virtual time it takes a moment.
func TestRunLiveInWorker(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"run", "--engine", "live", "--vtime", "--seed", "3", "-q", "leader-crash", "partition-majority-minority"}, &out, &errb)
	if code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitPass, out.String(), errb.String())
	}
	for _, want := range []string{"PASS leader-crash (seed 3)", "PASS partition-majority-minority (seed 3)", "2 of 2 scenarios passed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// --repeat says how often a scenario failed.
func TestRunRepeat(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"run", "--engine", "live", "--vtime", "--repeat", "3", "-q", "leader-crash"}, &out, &errb)
	if code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitPass, out.String(), errb.String())
	}
	if got := strings.Count(out.String(), "PASS leader-crash"); got != 3 || !strings.Contains(out.String(), "leader-crash: failed 0 of 3 runs") {
		t.Errorf("output:\n%s\nwant three passing runs and their tally", out.String())
	}
}
