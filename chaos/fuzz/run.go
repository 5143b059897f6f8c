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
	// Leaked, on the live engine in virtual time, says what goroutines of a Raft other
	// than MiniRaft's were left behind once its peers were killed: not a failure (course
	// Rafts' goroutines often outlive Kill), but worth knowing.
	Leaked string
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
	res, events, err := run(ctx, sc, runner.Options{Seed: seed, Trace: trace, Tool: tool})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Result: res, Events: events}, nil
}

// run runs sc once on the sim engine with opts (the kv check within KVCheckBudget), and
// returns its result and how many events it made. A run cut short (the campaign's time is
// up, or it was interrupted) is not a result: its error says so.
func run(ctx context.Context, sc *scenario.Scenario, opts runner.Options) (*runner.Result, uint64, error) {
	opts.Engine, opts.CheckBudget = "sim", KVCheckBudget
	r, err := runner.New(sc, opts)
	if err != nil {
		return nil, 0, err
	}
	res, err := r.Run(ctx)
	if err != nil {
		return nil, 0, err
	}
	if res.Interrupted != nil {
		return nil, 0, fmt.Errorf("run %s: %w", res.Interrupted, context.Cause(ctx))
	}
	return res, r.Cluster().Events().Seq(), nil
}
