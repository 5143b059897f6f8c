package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every output path is checked before anything runs: a bad one, or an ambiguous one,
// is bad usage (exit 2) and nothing runs.
func TestRunRefusesBadOutputPaths(t *testing.T) {
	dir := t.TempDir()
	in := func(name string) string { return filepath.Join(dir, name) }
	if err := os.Mkdir(in("adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--json", in("missing/r.json"), "leader-crash"}, "--json: open " + in("missing/r.json")},
		{[]string{"run", "--json", in("adir"), "leader-crash"}, "--json " + in("adir") + ": a directory"},
		{[]string{"run", "--report", in("one.html"), "leader-crash", "leader-isolation"}, "--report " + in("one.html") + ": 2 scenarios write a .html file each: name a directory for them (as --report " + in("one") + "/)"},
		{[]string{"run", "--trace", in("t.jsonl"), "leader-crash", "leader-isolation"}, "name a directory"},
		{[]string{"run", "--trace", in("same"), "--report", in("same"), "leader-crash"}, "--trace and --report both name " + in("same")},
		{[]string{"run", "--trace", in("d") + "/", "leader-crash", "leader-crash"}, "--trace: two scenarios of one name would both write " + filepath.Join(in("d"), "leader-crash.jsonl")},
		{[]string{"run", "--peers", "0", "leader-crash"}, "--peers 0: want 1..15"},
		{[]string{"tui", "--peers", "0"}, "--peers 0: want 1..15"},
		{[]string{"run", "--report", in("w.html"), "--report-window", "100s-200s", "leader-crash"}, "--report-window 100s-200s: leader-crash runs"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		cmd := "miniraft " + strings.Join(tt.args, " ")
		if code := run(tt.args, &out, &errb); code != exitUsage {
			t.Errorf("%s: exit %d, want %d\n%s", cmd, code, exitUsage, errb.String())
		}
		if !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%s: stderr %q, want it to say %q", cmd, errb.String(), tt.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: something ran:\n%s", cmd, out.String())
		}
	}
	if _, err := os.Stat(in("one.html")); err == nil {
		t.Errorf("--report one.html with two scenarios made %s", in("one.html"))
	}
}

// The summary says where each file went; an existing directory takes NAME.ext for one
// scenario too.
func TestRunSaysWhereFilesWent(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"run", "--seed", "2", "--trace", dir, "--report", filepath.Join(dir, "pages") + "/", "--json", filepath.Join(dir, "r.json"), "leader-crash"}
	if code := run(args, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, f := range []string{filepath.Join(dir, "leader-crash.jsonl"), filepath.Join(dir, "pages", "leader-crash.html"), filepath.Join(dir, "r.json")} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, want := range []string{
		"  trace: " + filepath.Join(dir, "leader-crash.jsonl") + "\n",
		"  report: " + filepath.Join(dir, "pages", "leader-crash.html") + "\n",
		"results (JSON): " + filepath.Join(dir, "r.json") + "\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
}

// -q keeps the tally of several scenarios; an empty scenario file runs, with a warning
// that it has no steps; "1 peer", not "1 peers".
func TestRunQuietTallyAndEmptyFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.chaos")
	if err := os.WriteFile(empty, []byte("# nothing yet\npeers 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"run", "-q", "--seed", "1", empty, "leader-crash"}, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "\n2 of 2 scenarios passed\n") {
		t.Errorf("-q drops the tally:\n%s", out.String())
	}
	if want := "warning: " + empty + " has no steps: its run ends at once"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr %q, want it to say %q", errb.String(), want)
	}
	out.Reset()
	if code := run([]string{"run", empty}, &out, &errb); code != exitPass || !strings.Contains(out.String(), "1 peer)") {
		t.Errorf("exit %d, output:\n%s", code, out.String())
	}
}
