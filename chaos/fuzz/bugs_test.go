//go:build bugs

package fuzz

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugFuzzFindsAndShrinks switches on each deliberate Raft bug in turn and checks
// that a campaign finds it, shrinks it to at most 10 steps, and writes a scenario that
// fails the same way every time it runs, and passes once the bug is off again. The seed
// ranges start a little before a failing seed, to keep the test short; the campaign
// would find the bugs from seed 1 too (see /work/notes/fuzz.md for the figures).
func TestBugFuzzFindsAndShrinks(t *testing.T) {
	tests := []struct {
		bug     string
		from    int64
		checker []string // any of these
	}{
		{bugs.Figure8, 2270, []string{"leader-completeness", "durability", "state-machine-safety"}},
		{bugs.ForgetVote, 1300, []string{"election-safety"}},
	}
	defer bugs.Set()
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			if err := bugs.Set(tt.bug); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			c := &Campaign{SeedStart: tt.from, Runs: 3000, StopAfter: 1, ShrinkEach: 1, Out: dir, Tool: "bug test"}
			rep, err := c.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Failed == 0 || len(rep.Minimal) != 1 {
				t.Fatalf("%d runs from seed %d: %d failed, %d shrunk; want a failure, shrunk", rep.Runs, tt.from, rep.Failed, len(rep.Minimal))
			}
			m := rep.Minimal[0]
			if !contains(tt.checker, m.Checker) {
				t.Errorf("found a %s violation, want one of %v", m.Checker, tt.checker)
			}
			if m.StepsAfter > 10 {
				t.Errorf("shrunk to %d steps, want at most 10:\n%s", m.StepsAfter, m.Scenario.Source)
			}
			t.Logf("%s: seed %d after %d runs, shrunk %d -> %d steps in %d runs:\n%s", tt.bug, m.Seed, rep.Runs, m.StepsBefore, m.StepsAfter, m.Runs, m.Scenario.Source)

			// The file alone repeats the failure; the trace records it.
			src, err := os.ReadFile(m.File)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				o, err := Run(context.Background(), parse(t, string(src)), 0, nil, "")
				if err != nil {
					t.Fatal(err)
				}
				if o.Checker() != m.Checker {
					t.Fatalf("running %s: %q, want %q", m.File, o.Checker(), m.Checker)
				}
			}
			tr, err := os.ReadFile(m.Trace)
			if err != nil {
				t.Fatal(err)
			}
			h, events, err := chaos.ReadTrace(bytes.NewReader(tr))
			if err != nil {
				t.Fatal(err)
			}
			if h.Scenario != string(src) || h.Tool != "bug test" {
				t.Errorf("trace header: tool %q, scenario kept %v", h.Tool, h.Scenario == string(src))
			}
			found := false
			for _, e := range events {
				found = found || e.Kind == chaos.EventViolation && e.Violation.Checker == m.Checker
			}
			if !found {
				t.Errorf("the trace holds no %s violation", m.Checker)
			}

			// Without the bug, the same file passes: it is the bug that fails.
			bugs.Set()
			o, err := Run(context.Background(), parse(t, string(src)), 0, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if o.Failure != nil {
				t.Errorf("without the bug the shrunk scenario still fails: %v", o.Failure)
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
