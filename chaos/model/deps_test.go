package model_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The views (the run model, replay, report, the TUI) read Raft's values and the event
// stream, never run Raft: they link no engine, no network, no Raft and no kv workload.
func TestViewsLinkNoEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	const mod = "github.com/miniraft/miniraft/"
	forbidden := map[string]string{"chaos/sim": "an engine", "chaos/live": "an engine", "chaos/runner": "the engines",
		"labrpc": "the network", "raft": "Raft (raftpb holds its values)", "chaos/check": "the checkers"}
	for _, view := range []string{"chaos/model", "chaos/replay", "chaos/report", "tui"} {
		out, err := exec.Command("go", "list", "-deps", mod+view).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", view, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if why, bad := forbidden[strings.TrimPrefix(dep, mod)]; bad {
				t.Errorf("%s links %s, %s", view, dep, why)
			}
		}
		if view == "chaos/replay" && strings.Contains(string(out), mod+"chaos/kv\n") {
			t.Errorf("chaos/replay links the kv workload")
		}
	}
}
