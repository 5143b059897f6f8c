package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

// traceRun runs sc on the sim engine with seed (when sc sets none) and returns its
// trace.
func traceRun(sc *scenario.Scenario, seed int64) ([]byte, error) {
	var b bytes.Buffer
	r, err := runner.New(sc, runner.Options{Engine: "sim", Seed: seed, Trace: &b, Tool: "determinism test"})
	if err != nil {
		return nil, err
	}
	if _, err := r.Run(context.Background()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// firstDifference describes where two traces part, for a failure message.
func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one is a prefix of the other (%d and %d lines)", len(la), len(lb))
}

// TestDeterminism runs every library scenario on the sim engine and checks that a seed
// fixes the whole run: a second run with the same seed, rebuilt from nothing but the
// first run's trace header and made while another run shares the process, writes the
// same trace byte for byte, a run with another seed does not, and a run without a trace
// numbers its events as the traced one did.
func TestDeterminism(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, name := range scripts.Names() {
		t.Run(name, func(t *testing.T) {
			src, err := scripts.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Parse(name+scripts.Ext, src)
			if err != nil {
				t.Fatal(err)
			}
			const seed = 7
			// The first run, and one with another seed alongside it.
			var first, other []byte
			var errFirst, errOther error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); first, errFirst = traceRun(sc, seed) }()
			go func() { defer wg.Done(); other, errOther = traceRun(sc, seed+1) }()
			wg.Wait()
			if errFirst != nil || errOther != nil {
				t.Fatalf("runs failed: %v, %v", errFirst, errOther)
			}

			// The second run, from the trace header alone.
			h, events, err := chaos.ReadTrace(bytes.NewReader(first))
			if err != nil {
				t.Fatal(err)
			}
			if h.Engine != "sim" || h.Seed != seed || h.Peers != sc.Header.Peers || h.Scenario != string(src) {
				t.Fatalf("header = engine %q seed %d peers %d, scenario text kept %v; want sim, %d, %d, true",
					h.Engine, h.Seed, h.Peers, h.Scenario == string(src), seed, sc.Header.Peers)
			}
			if len(events) == 0 {
				t.Fatal("the trace holds no events")
			}
			again, err := scenario.Parse(h.Name+scripts.Ext, []byte(h.Scenario))
			if err != nil {
				t.Fatalf("the header's scenario does not parse: %v", err)
			}
			second, err := traceRun(again, h.Seed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) {
				t.Errorf("two runs with seed %d differ at %s", seed, firstDifference(first, second))
			}
			if bytes.Equal(first, other) {
				t.Errorf("runs with seeds %d and %d wrote the same trace: the seed is not used", seed, seed+1)
			}

			// Without a trace, nobody wants message events and the sim does not build
			// them, but it numbers the events alike: a violation's "#seq" means the same
			// event in the trace as in the report of an untraced run.
			r, err := runner.New(again, runner.Options{Engine: "sim", Seed: h.Seed})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, want := r.Cluster().Events().Seq(), events[len(events)-1].Seq; got != want {
				t.Errorf("an untraced run numbered %d events, the traced one %d", got, want)
			}
		})
	}
}
