//go:build bugs

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugStaleReadRun runs the library's kv-stale-read with the stale-read bug: it fails
// (exit 1) with a linearizability violation and leaves porcupine's visualization beside
// the trace.
func TestBugStaleReadRun(t *testing.T) {
	if err := bugs.Set(bugs.StaleRead); err != nil {
		t.Fatal(err)
	}
	defer bugs.Set()
	dir := t.TempDir()
	trace := filepath.Join(dir, "stale.jsonl")
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--seed", "1", "--trace", trace, "kv-stale-read"}, &out, &errb); code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFail, out.String(), errb.String())
	}
	vis := filepath.Join(dir, "stale.porcupine.html")
	for _, want := range []string{"FAIL kv-stale-read", "linearizability: ", "from its local state", "porcupine's visualization of the history: " + vis} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(vis)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<html")) || !bytes.Contains(b, []byte("from its local state")) {
		t.Errorf("%s (%d bytes) is not porcupine's page about the local read", vis, len(b))
	}
}

// TestBugStaleReadKVFlag shows --kv turning a scenario written for the basic workload
// into a linearizability test: leader-isolation passes with --kv on a correct Raft, and
// fails with the stale-read bug, the isolated leader answering reads from its own state.
func TestBugStaleReadKVFlag(t *testing.T) {
	defer bugs.Set()
	tests := []struct {
		bug  bool
		code int
		want []string
	}{
		{false, exitPass, []string{"PASS leader-isolation", "linearizability: linearizable", "overridden on the command line: kv"}},
		{true, exitFail, []string{"FAIL leader-isolation", "is not linearizable", "from its local state"}},
	}
	for _, tt := range tests {
		if tt.bug {
			if err := bugs.Set(bugs.StaleRead); err != nil {
				t.Fatal(err)
			}
		} else {
			bugs.Set()
		}
		var out, errb bytes.Buffer
		code := run([]string{"run", "--kv", "--seed", "1", "leader-isolation"}, &out, &errb)
		if code != tt.code {
			t.Errorf("stale-read %v: exit %d, want %d\nstdout: %s\nstderr: %s", tt.bug, code, tt.code, out.String(), errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("stale-read %v: the output lacks %q:\n%s", tt.bug, w, out.String())
			}
		}
	}
}
