package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunKV(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "kv.jsonl")
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--seed", "2", "--check-budget", "30s", "--trace", trace, "kv-stale-read"}, &out, &errb); code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitPass, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "linearizability: linearizable") {
		t.Errorf("output lacks the check's outcome:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "kv.porcupine.html")); !os.IsNotExist(err) {
		t.Errorf("a visualization was written for a linearizable history (%v)", err)
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"run", "--check-budget", "soon", "kv-stale-read"}, &out, &errb); code != exitUsage {
		t.Errorf("--check-budget soon: exit %d, want %d", code, exitUsage)
	}
}
