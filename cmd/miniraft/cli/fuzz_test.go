package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos/fuzz"
)

func TestFuzzBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fuzz", "extra"}, `unexpected argument "extra"`},
		{[]string{"fuzz", "--shard", "4/4"}, `--shard "4/4": want i/n with 0 <= i < n`},
		{[]string{"fuzz", "--shard", "x"}, `--shard "x"`},
		{[]string{"fuzz", "--faults", "crash,meteor"}, `unknown fault kind "meteor"`},
		{[]string{"fuzz", "--runs", "0"}, "--runs 0: want at least 1"},
		{[]string{"fuzz", "--rate", "-3"}, "--rate -3"},
		{[]string{"fuzz", "--peers", "40"}, "40 peers"},
		{[]string{"fuzz", "--duration", "10ms"}, "duration 10ms"},
		{[]string{"fuzz", "--workers", "-2"}, "--workers -2"},
		{[]string{"fuzz", "--shrink-runs", "0"}, "--shrink-runs"},
		{[]string{"fuzz", "--kv", "1.5"}, "--kv 1.5: want a share from 0 to 1"},
		{[]string{"fuzz", "--kv", "-0.1"}, "--kv -0.1"},
		{[]string{"fuzz", "--swarm=maybe"}, "--swarm"},
		{[]string{"fuzz", "--nope"}, "unknown flag: --nope"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
}

func TestFuzzPasses(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	var out, errb bytes.Buffer
	args := []string{"fuzz", "--runs", "12", "--seed-start", "40", "--shard", "1/2", "--peers", "3", "--duration", "2s",
		"--faults", "crash,partition,loss,trigger", "--kv", "0.5", "--swarm=false", "--workers", "2", "--out", filepath.Join(dir, "failures"), "--json", report}
	if code := run(args, &out, &errb); code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitPass, out.String(), errb.String())
	}
	for _, want := range []string{"runs", "(seeds 41..51, shard 1/2)", "no violations", "virtual time", "x real time"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs, Failed int
		Shards       []string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Runs != 6 || doc.Failed != 0 || len(doc.Shards) != 1 || doc.Shards[0] != "1/2" {
		t.Errorf("JSON report: %+v, want 6 runs, none failed, shards [1/2]", doc)
	}
}

func TestParseShard(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		arg     string
		getenv  func(string) string
		i, n    int
		wantErr string
	}{
		{"0/4", env(), 0, 4, ""},
		{"3/4", env(), 3, 4, ""},
		{"4/4", env(), 0, 0, "want i/n"},
		{"auto", env("JOB_COMPLETION_INDEX", "2", "MINIRAFT_SHARDS", "8"), 2, 8, ""},
		{"auto/5", env("JOB_COMPLETION_INDEX", "4"), 4, 5, ""},
		{"auto/5", env("JOB_COMPLETION_INDEX", "5"), 0, 0, "want 0 <= JOB_COMPLETION_INDEX < shards"},
		{"auto", env("JOB_COMPLETION_INDEX", "1"), 0, 0, "MINIRAFT_SHARDS is not set"},
		{"auto/3", env(), 0, 0, "JOB_COMPLETION_INDEX is not set"},
		{"auto", env("JOB_COMPLETION_INDEX", "x", "MINIRAFT_SHARDS", "2"), 0, 0, "want 0 <="},
	}
	for _, tt := range tests {
		i, n, err := parseShard(tt.arg, tt.getenv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseShard(%q) error = %v, want one saying %q", tt.arg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || i != tt.i || n != tt.n {
			t.Errorf("parseShard(%q) = %d, %d, %v; want %d, %d", tt.arg, i, n, err, tt.i, tt.n)
		}
	}
}

// TestFuzzShardsMerge runs a campaign as a two-pod Indexed Job would (--shard auto with
// the pod's environment), then merges the two output directories.
func TestFuzzShardsMerge(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	var dirs []string
	for i := range 2 {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		dirs = append(dirs, out)
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, isTerminal: func(io.Writer) bool { return false },
			getenv: func(k string) string {
				return map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), "MINIRAFT_SHARDS": "2"}[k]
			}}
		args := []string{"--runs", "8", "--seed-start", "40", "--shard", "auto", "--peers", "3", "--duration", "2s",
			"--faults", "crash,partition", "--workers", "2", "--out", out}
		if code := runCommand(e, cmdFuzz, args); code != exitPass {
			t.Fatalf("shard %d: exit %d\nstdout: %s\nstderr: %s", i, code, stdout.String(), stderr.String())
		}
		if want := fmt.Sprintf("shard %d/2", i); !strings.Contains(stdout.String(), want) {
			t.Errorf("shard %d's summary does not say %q:\n%s", i, want, stdout.String())
		}
	}
	merged := filepath.Join(dir, "merged.json")
	var out, errb bytes.Buffer
	if code := run(append([]string{"fuzz", "merge", "--json", merged}, dirs...), &out, &errb); code != exitPass {
		t.Fatalf("merge: exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"(seeds 40..47, shards 0/2 1/2)", "no violations"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("merged summary lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs   int
		Shards []string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^runs +8 `).MatchString(out.String()) {
		t.Errorf("merged summary does not count 8 runs:\n%s", out.String())
	}
	if doc.Runs != 8 || strings.Join(doc.Shards, " ") != "0/2 1/2" {
		t.Errorf("merged JSON: %+v, want 8 runs over shards 0/2 1/2", doc)
	}
	// One shard alone: the summary says which shard is missing.
	out.Reset()
	run([]string{"fuzz", "merge", dirs[1]}, &out, &errb)
	if !strings.Contains(out.String(), "no record of shards 0/2") {
		t.Errorf("merging one of two shards does not name the missing one:\n%s", out.String())
	}
}

func TestFuzzMergeBadUsage(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fuzz", "merge"}, "no directories"},
		{[]string{"fuzz", "merge", empty}, "no record.json"},
		{[]string{"fuzz", "merge", "--runs", "5", empty}, "--runs: not a merge flag"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
}

func TestHelpListsFuzz(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"help"}, &out, &errb)
	if !strings.Contains(out.String(), "fuzz") {
		t.Errorf("help does not list fuzz:\n%s", out.String())
	}
}

// Without a terminal (a CI log), fuzz prints a progress line every few seconds: runs,
// their rate, failures, the time gone and the time left.
func TestFuzzProgressLines(t *testing.T) {
	var w bytes.Buffer
	b := &fuzzBar{w: &w, lines: true, total: 1000}
	for _, p := range []fuzz.Progress{
		{Runs: 10, Total: 1000, Elapsed: time.Second},
		{Runs: 200, Total: 1000, Elapsed: 5 * time.Second, Failed: 1},
		{Runs: 210, Total: 1000, Elapsed: 6 * time.Second, Failed: 1},
		{Runs: 500, Total: 1000, Elapsed: 10 * time.Second, Failed: 2, Shrinking: 1},
	} {
		b.update(p)
	}
	want := "fuzz: 200 of 1000 runs (40/s), 1 failed, 5s elapsed, about 20s left\n" +
		"fuzz: 500 of 1000 runs (50/s), 2 failed, shrinking 1, 10s elapsed, about 10s left\n"
	if w.String() != want {
		t.Errorf("got\n%s\nwant\n%s", w.String(), want)
	}
	w.Reset()
	b = &fuzzBar{w: &w, lines: true, budget: time.Minute}
	b.update(fuzz.Progress{Runs: 300, Total: -1, Elapsed: 6 * time.Second})
	if want := "fuzz: 300 runs (50/s), 0 failed, 6s elapsed, 54s left\n"; w.String() != want {
		t.Errorf("got %q, want %q", w.String(), want)
	}
}

// A campaign that is not on a terminal says how it goes, on stderr.
func TestFuzzShowsProgressWithoutATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes for 5.5s of real time")
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, isTerminal: func(io.Writer) bool { return false }, getenv: func(string) string { return "" }}
	args := []string{"--time", "5500ms", "--peers", "3", "--duration", "2s", "--workers", "1", "--out", t.TempDir()}
	if code := runCommand(e, cmdFuzz, args); code != exitPass {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !regexp.MustCompile(`(?m)^fuzz: \d+ runs \([0-9.]+/s\), 0 failed, 5(\.\d)?s elapsed, [01]s left$`).MatchString(errb.String()) {
		t.Errorf("no progress line on stderr:\n%s", errb.String())
	}
}

// On a terminal the bar gives its unit, the rate and the time left.
func TestFuzzBarOnATerminal(t *testing.T) {
	old := barThrottle
	barThrottle = 0
	defer func() { barThrottle = old }()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, isTerminal: func(io.Writer) bool { return true }}
	b := newFuzzBar(e, &fuzzOptions{}, &fuzz.Campaign{Runs: 30})
	b.update(fuzz.Progress{Runs: 5, Total: 30, Elapsed: time.Second})
	if got := b.bar.String(); !regexp.MustCompile(`fuzzing, 0 failed .*\(5/30, \d+ runs/s\) \[\d+s:\d+s\]`).MatchString(got) {
		t.Errorf("by runs: %q", got)
	}
	b = newFuzzBar(e, &fuzzOptions{}, &fuzz.Campaign{Time: time.Minute})
	b.update(fuzz.Progress{Runs: 5, Total: -1, Elapsed: 3 * time.Second})
	if got := b.bar.String(); !strings.Contains(got, "fuzzing: 5 runs (1.7/s), 0 failed, 57s left") {
		t.Errorf("by time: %q", got)
	}
}
