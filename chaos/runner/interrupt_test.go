package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/report"
)

// A run whose context ends (a signal came: miniraft run's context is a signal's) is
// interrupted like a stopped one: Run returns its result, not the context's error, and
// its trace says so, so that a report made from the trace says so too.
func TestRunInterruptedByItsContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, cancel := range []bool{true, false} {
		sc := parseScenario(t, "interrupt", "peers 3\nwait leader within 5s\npropose 2\nsleep 1h\nexpect leader\n")
		ctx, stopCtx := context.WithCancel(context.Background())
		var trace bytes.Buffer
		r, err := New(sc, Options{Seed: 1, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		r.Cluster().Events().Observe(func(e chaos.Event) {
			if e.Line == 4 && e.Outcome == "" { // the sleep starts
				if cancel {
					stopCtx()
				} else {
					r.Stop() // step events come from the run's goroutine, under no lock
				}
			}
		}, chaos.EventStep)
		res, err := r.Run(ctx)
		stopCtx()
		if err != nil {
			t.Fatalf("cancel %v: Run: %v, want the interrupted run's result", cancel, err)
		}
		if res.Verdict() != "INTERRUPTED" || res.Interrupted == nil || res.Interrupted.String() != "interrupted at step 3 of 4 (sleep 1h0m0s)" {
			t.Fatalf("cancel %v: verdict %s, interrupted %v; want INTERRUPTED at step 3 of 4", cancel, res.Verdict(), res.Interrupted)
		}
		d, err := report.FromTrace(&trace)
		if err != nil {
			t.Fatal(err)
		}
		var page bytes.Buffer
		if err := report.Write(&page, d); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{">INTERRUPTED<", "interrupted at step 3 of 4 (sleep 1h0m0s). Neither a pass nor a failure"} {
			if !strings.Contains(page.String(), w) {
				t.Errorf("cancel %v: the report made from the trace lacks %q", cancel, w)
			}
		}
	}
}
