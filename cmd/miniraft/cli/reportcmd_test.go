package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// wallTime matches what a page says of the real time a run took, which a trace does not
// hold, and the note that says so.
var wallTime = regexp.MustCompile(`(?m)( in [0-9.]+m?s of real time(, [0-9.]+m?s of it paused)? \([0-9.]+x\)| in [0-9.]+s( \([0-9.]+s of it paused\))?, [0-9.]+x real time|<div class="notes">\n<p>Made from a trace[^\n]*\n</div>)`)

// samePage checks that miniraft report makes, from trace, the page at page but for the
// real time the run took.
func samePage(t *testing.T, page, trace string) {
	t.Helper()
	fromTrace := filepath.Join(t.TempDir(), "from-trace.html")
	var out, errb bytes.Buffer
	if code := run([]string{"report", trace, "-o", fromTrace}, &out, &errb); code != exitPass {
		t.Fatalf("miniraft report %s: exit %d\n%s", trace, code, errb.String())
	}
	if want := "report: " + fromTrace + "\n"; out.String() != want {
		t.Errorf("miniraft report says %q, want %q", out.String(), want)
	}
	norm := func(path string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "><", ">\n<")
		return strings.Split(wallTime.ReplaceAllString(s, ""), "\n")
	}
	a, b := norm(page), norm(fromTrace)
	if len(a) != len(b) {
		t.Errorf("the page of %s has %d lines, the page of the run %d", trace, len(b), len(a))
	}
	for i := range min(len(a), len(b)) {
		if strings.TrimSpace(a[i]) != strings.TrimSpace(b[i]) {
			t.Errorf("the page of %s differs from the page of the run at line %d:\n%s\nnot\n%s", trace, i+1, b[i], a[i])
			break
		}
	}
}

// miniraft report makes, from a run's trace, the page miniraft run --report made of the
// run, whether it passed or failed, but for the real time it took.
func TestReportFromTrace(t *testing.T) {
	for _, args := range [][]string{
		{"--seed", "1", "leader-crash"},
		{"--seed", "1", "--prevote=false", "disruptive-rejoin"},
	} {
		dir := t.TempDir()
		trace, page := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.html")
		var out, errb bytes.Buffer
		if code := run(append([]string{"run", "--trace", trace, "--report", page}, args...), &out, &errb); code == exitUsage {
			t.Fatalf("miniraft run %v: exit %d\n%s", args, code, errb.String())
		}
		samePage(t, page, trace)
	}
}

// Without -o the page goes beside the trace; a window after the run's end is warned of.
func TestReportBesideTheTrace(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "lc.jsonl")
	var out, errb bytes.Buffer
	if code := run([]string{"run", "-q", "--seed", "1", "--trace", trace, "leader-crash"}, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"report", "--report-window", "30s-40s", trace}, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	page := filepath.Join(dir, "lc.html")
	if want := "report: " + page + "\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if !strings.Contains(errb.String(), "--report-window 30s-40s: the run ended at 4.2s, before the window") {
		t.Errorf("no warning of the window after the run: %q", errb.String())
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("is outside the run")) {
		t.Errorf("the page does not say the window is outside the run")
	}
}

func TestReportBadUsage(t *testing.T) {
	dir := t.TempDir()
	notTrace := filepath.Join(dir, "x.chaos")
	if err := os.WriteFile(notTrace, []byte("peers 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "name one trace file (got 0 arguments)"},
		{[]string{"report", "a.jsonl", "b.jsonl"}, "name one trace file (got 2 arguments)"},
		{[]string{"report", filepath.Join(dir, "none.jsonl")}, "no such file"},
		{[]string{"report", notTrace}, "not a miniraft trace"},
		{[]string{"report", "--report-window", "4s-2s", notTrace}, "--report-window"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.html")); !os.IsNotExist(err) {
		t.Errorf("a page was left for a file that is no trace: %v", err)
	}
}

// A window inside the scenario's bound but after the run's end is run, and warned of.
func TestRunWarnsOfAWindowAfterTheEnd(t *testing.T) {
	page := filepath.Join(t.TempDir(), "w.html")
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--seed", "1", "--report", page, "--report-window", "30s-40s", "leader-crash"}, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if want := "miniraft run: warning: --report-window 30s-40s: leader-crash ended at 4.2s, before the window: its report shows no messages\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte("is outside the run, which ended at 4.155 s")) {
		t.Errorf("the page does not say the window is outside the run (%v)", err)
	}
}
