package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/internal/bugs"
)

// TestSettings checks that the settings name bugs of the catalog and that the quick subset
// is small and runs on the engine fuzz has.
func TestSettings(t *testing.T) {
	quick := 0
	for name, s := range settings {
		b, ok := bugs.Lookup(name)
		if !ok {
			t.Errorf("settings[%q]: no such bug", name)
			continue
		}
		if s.quick {
			quick++
			if b.Live {
				t.Errorf("%s is in the quick subset but needs the live engine", name)
			}
		}
	}
	if quick == 0 || quick > 6 {
		t.Errorf("the quick subset has %d bugs, want 1 to 6 (CI runs it)", quick)
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		names   string
		quick   bool
		want    []string // nil: every bug of the catalog
		wantErr string
	}{
		{names: "", want: nil},
		{names: "figure8, quorum-half", want: []string{"figure8", "quorum-half"}},
		{names: "figure8", quick: true, want: []string{"figure8"}},
		{names: "figure8,no-such-bug", wantErr: `unknown bug "no-such-bug"`},
	}
	for _, tt := range tests {
		got, err := choose(tt.names, tt.quick)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("choose(%q): error %v, want one saying %s", tt.names, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("choose(%q): %v", tt.names, err)
			continue
		}
		want := tt.want
		if want == nil {
			want = bugs.Known
		}
		if g := names(got); strings.Join(g, ",") != strings.Join(want, ",") {
			t.Errorf("choose(%q, %v) = %v, want %v", tt.names, tt.quick, g, want)
		}
	}
	quick, err := choose("", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range quick {
		if !settings[b.Name].quick {
			t.Errorf("choose(quick) gave %s, which is not in the quick subset", b.Name)
		}
	}
	if len(quick) == 0 {
		t.Error("choose(quick) gave no bug")
	}
}

func names(bs []bugs.Bug) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return out
}

// TestUsage checks that bad flags exit 2 with a message, before anything is built.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-budget", "0"},
		{"-workers", "0"},
		{"-bugs", "no-such-bug"},
		{"extra"},
		{"-no-such-flag"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("mutants %v: exit %d, want 2", args, code)
		}
		if errb.Len() == 0 {
			t.Errorf("mutants %v: no message", args)
		}
	}
}

func TestMarkdown(t *testing.T) {
	rows := []Row{
		{Bug: "figure8", Layer: bugs.Core, Engine: "sim", Verdict: "caught", Runs: 12, After: 1500 * time.Millisecond,
			Checker: "durability", Steps: 4, Peers: 3, File: "f.chaos"},
		{Bug: "truncate-matching", Layer: bugs.Core, Engine: "sim", Verdict: "caught", Runs: 2, After: 20 * time.Millisecond,
			Checker: "durability", Steps: 1, Peers: 3, File: "f.chaos"},
		{Bug: "stale-match", Layer: bugs.Core, Engine: "sim", Verdict: "missed", Runs: 9000},
		{Bug: "second-applier", Layer: bugs.Wrapper, Engine: "live", Verdict: "pending", Message: "needs a | live engine"},
		{Bug: "reply-before-save", Layer: bugs.Persistence, Engine: "live", Verdict: "unattributed", Runs: 2, After: 200 * time.Millisecond,
			Checker: "term-monotonic", Message: "the correct code fails term-monotonic too (1 run of the baseline)"},
	}
	var b bytes.Buffer
	writeMarkdown(&b, rows, options{budget: time.Minute, liveBudget: 5 * time.Minute, workers: 2})
	lines := strings.Split(b.String(), "\n")
	want := []string{
		"| bug | layer | engine | verdict | first failure | checker | shrunk to | runs |",
		"| --- | --- | --- | --- | --- | --- | --- | --- |",
		"| `figure8` | core | sim | caught | 1.5s | `durability` | 4 steps, 3 peers | 12 |",
		"| `truncate-matching` | core | sim | caught | 0.0s | `durability` | 1 step, 3 peers | 2 |",
		"| `stale-match` | core | sim | missed | - | - | - | 9000 |",
		"| `second-applier` | wrapper | live | pending | - | needs a \\| live engine | - | 0 |",
		"| `reply-before-save` | persistence | live | unattributed | 0.2s | the correct code fails term-monotonic too (1 run of the baseline) | - | 2 |",
		"",
	}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Fatalf("line %d:\ngot  %q\nwant %q\nwhole:\n%s", i, lines[min(i, len(lines)-1)], w, b.String())
		}
	}
	if !strings.Contains(b.String(), "2 of 5 bugs caught by fuzzing (budget 1m0s per bug on the sim engine") {
		t.Errorf("no summary line:\n%s", b.String())
	}
}

func TestReadLibrary(t *testing.T) {
	data := []byte(`{"pass": false, "results": [
		{"name": "bridge", "scenario": "peers 5\n...", "pass": true},
		{"name": "soak", "scenario": "peers 5\n...", "pass": false, "failure": {"checker": "delivery", "message": "skipped"}},
		{"name": "zz", "pass": false}]}`)
	var l Library
	if err := readLibrary(data, &l); err != nil {
		t.Fatal(err)
	}
	if want := (Library{Failed: 2, Scenarios: 3, First: "soak", Checker: "delivery"}); l != want {
		t.Errorf("readLibrary = %+v, want %+v", l, want)
	}
	if err := readLibrary([]byte("{"), &l); err == nil {
		t.Error("readLibrary of broken JSON: no error")
	}
}
