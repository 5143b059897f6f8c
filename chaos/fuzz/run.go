package fuzz

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// Outcome is what one run of a scenario gave.
type Outcome struct {
	*runner.Result
	// Events is the number of events of the run, message events included (they are
	// numbered even when nobody traces them).
	Events uint64
}

// Checker returns the name of the checker behind the run's first failure, or "" for a
// run that passed.
func (o Outcome) Checker() string {
	if o.Failure == nil {
		return ""
	}
	return o.Failure.Checker
}

// KVCheckBudget bounds the linearizability check of each run with a kv workload: a
// history it cannot settle within it counts as no failure (and is rare at the rates the
// generator uses).
const KVCheckBudget = 2 * time.Second

// Run runs sc once on the sim engine, to its end or its first failure. The scenario
// should carry its seed; seed is used if it does not. trace, when non-nil, receives the
// run's trace and tool names the program in its header.
func Run(ctx context.Context, sc *scenario.Scenario, seed int64, trace io.Writer, tool string) (Outcome, error) {
	r, err := runner.New(sc, runner.Options{Engine: "sim", Seed: seed, Trace: trace, Tool: tool, CheckBudget: KVCheckBudget})
	if err != nil {
		return Outcome{}, err
	}
	res, err := r.Run(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if res.Interrupted != nil {
		// Cut short (the campaign's time is up, or it was interrupted): not a result.
		return Outcome{}, fmt.Errorf("run interrupted %s: %w", res.Interrupted, context.Cause(ctx))
	}
	return Outcome{Result: res, Events: r.Cluster().Events().Seq()}, nil
}
