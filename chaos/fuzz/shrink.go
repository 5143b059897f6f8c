package fuzz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// DefaultShrinkRuns bounds the runs one Shrink makes.
const DefaultShrinkRuns = 2000

// ErrNoFailure is returned by Shrink for a scenario that does not fail as asked.
var ErrNoFailure = errors.New("the scenario does not fail")

// Shrunk is a failing scenario made small.
type Shrunk struct {
	// Scenario is the smallest failing scenario found. It carries its seed.
	Scenario *scenario.Scenario
	// Failure is its first failure: the same checker as the original's.
	Failure chaos.Violation
	// Steps and Peers before and after shrinking.
	StepsBefore, StepsAfter int
	PeersBefore, PeersAfter int
	// Runs is how many runs shrinking took.
	Runs int
	// AsFound says the scenario is the one given, not shrunk: on an engine that is not
	// exactly repeatable (Tries above 1), it did not fail again in its first
	// EstablishTries runs, so no smaller one could be judged. Failure is then zero.
	AsFound bool
}

// EstablishTries is how many times a scenario given to Shrink runs at most, on an engine
// that is not exactly repeatable, before shrinking starts: it failed once, and a rare
// failure needs more than a candidate's Tries to show again.
const EstablishTries = 10

// Shrinker reduces a failing scenario. The zero value is ready to use. A Shrinker is a
// plain value, safe for concurrent use; each Shrink is independent.
type Shrinker struct {
	// MaxRuns bounds the runs one Shrink makes (default DefaultShrinkRuns).
	MaxRuns int
	// Seed is used for scenarios that carry no seed (generated ones always do).
	Seed int64
	// Run runs a candidate (default: Run, on the sim engine).
	Run func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error)
	// Tries is how many times a candidate runs at most (default 1): on an engine that
	// is not exactly repeatable, a candidate fails if any of its runs fails as wanted.
	Tries int
}

// shrink is the state of one Shrink.
type shrink struct {
	ctx     context.Context
	checker string
	seed    int64
	runs    int
	max     int
	best    *scenario.Scenario
	failure chaos.Violation
	run     func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error)
	tries   int
}

var errBudget = errors.New("out of runs")

// Shrink reduces sc while its first failure stays a violation of checker (as
// Outcome.Checker names it): it drops steps (in ever smaller chunks, as delta debugging
// does), removes peers, brings steps earlier, and lowers counts, rates, probabilities,
// delays and durations, until no single change keeps the failure or the run budget is
// spent. The result runs the same way every time on the sim engine, since a run is fixed
// by its scenario and seed; on an engine that is not exactly repeatable (Run and Tries
// set), it failed so at least once. sc is not modified.
func (s Shrinker) Shrink(ctx context.Context, sc *scenario.Scenario, checker string) (*Shrunk, error) {
	sh := &shrink{ctx: ctx, checker: checker, seed: s.Seed, max: s.MaxRuns, run: s.Run, tries: max(s.Tries, 1)}
	if sh.max <= 0 {
		sh.max = DefaultShrinkRuns
	}
	if sh.run == nil {
		sh.run = func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error) {
			return Run(ctx, sc, seed, nil, "")
		}
	}
	start := clone(sc)
	if !start.Header.HasSeed {
		start.Header.Seed, start.Header.HasSeed = s.Seed, true
	}
	tries := sh.tries
	if tries > 1 {
		sh.tries = max(EstablishTries, tries)
	}
	ok, err := sh.try(start)
	sh.tries = tries
	if err != nil && !errors.Is(err, errBudget) {
		return nil, err
	}
	if !ok && tries > 1 {
		// Not exactly repeatable, and it did not fail again: keep it as it was found,
		// for its reruns to say how often it fails.
		return &Shrunk{Scenario: start, AsFound: true,
			StepsBefore: len(sc.Steps), StepsAfter: len(start.Steps),
			PeersBefore: sc.Header.Peers, PeersAfter: start.Header.Peers, Runs: sh.runs}, nil
	}
	if !ok {
		return nil, fmt.Errorf("%w with a %s violation", ErrNoFailure, checker)
	}
	for {
		changed, err := sh.pass()
		if err == nil && !changed {
			// Stuck: a step may go under another seed (other election timeouts, other
			// message delays) where it cannot under this one.
			changed, err = sh.reseed()
		}
		if errors.Is(err, errBudget) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !changed {
			break
		}
	}
	// The result as its text reads: steps at their lines, as a run of the file reports
	// them. One more run confirms it and gives the failure as that run words it.
	out, err := reparse(sh.best)
	if err != nil {
		return nil, err
	}
	failure := sh.failure
	for k := 0; ; k++ {
		o, err := sh.run(ctx, out, sh.seed)
		if err != nil {
			return nil, err
		}
		if o.Checker() == checker {
			failure = *o.Failure
			break
		}
		if k+1 >= sh.tries {
			if sh.tries > 1 {
				break // not exactly repeatable: it failed so before, as its reruns will say
			}
			return nil, fmt.Errorf("fuzz: the shrunk scenario read back from its text fails with %q, not %q (a bug)", o.Checker(), checker)
		}
	}
	return &Shrunk{
		Scenario:    out,
		Failure:     failure,
		StepsBefore: len(sc.Steps), StepsAfter: len(out.Steps),
		PeersBefore: sc.Header.Peers, PeersAfter: out.Header.Peers,
		Runs: sh.runs,
	}, nil
}

// try runs cand and, if it fails the same way, makes it the best so far.
func (sh *shrink) try(cand *scenario.Scenario) (bool, error) {
	if err := sh.ctx.Err(); err != nil {
		return false, err
	}
	if sh.runs >= sh.max {
		return false, errBudget
	}
	if cand.Validate() != nil {
		return false, nil // a change that breaks the rules (a peer id beyond a smaller cluster)
	}
	for range sh.tries {
		if sh.runs >= sh.max {
			return false, errBudget
		}
		sh.runs++
		o, err := sh.run(sh.ctx, cand, sh.seed)
		if err != nil {
			if sh.ctx.Err() != nil {
				return false, sh.ctx.Err()
			}
			return false, nil
		}
		if o.Checker() == sh.checker {
			sh.best, sh.failure = cand, *o.Failure
			return true, nil
		}
	}
	return false, nil
}

// pass tries every kind of reduction once, reporting whether any was kept.
func (sh *shrink) pass() (bool, error) {
	changed := false
	for _, f := range []func() (bool, error){sh.dropSteps, sh.fewerPeers, sh.simplifyHeader, sh.simplifySteps, sh.earlier} {
		ok, err := f()
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// dropSteps removes steps by delta debugging: chunks of half the steps, then quarters,
// and so on down to single steps. The steps after the failure go first, for free.
func (sh *shrink) dropSteps() (bool, error) {
	changed := false
	// Nothing after the failure ran: not the steps due later, nor the rest of the
	// duration.
	end := roundUp(sh.failure.At, 100*time.Millisecond)
	if cut := sh.dueBy(sh.failure.At); cut < len(sh.best.Steps) || sh.best.Header.Duration > end {
		cand := clone(sh.best)
		cand.Steps = cand.Steps[:cut]
		cand.Header.Duration = min(cand.Header.Duration, end)
		ok, err := sh.try(cand)
		if err != nil {
			return changed, err
		}
		changed = changed || ok
	}
	n := 2
	for len(sh.best.Steps) > 0 {
		steps := sh.best.Steps
		chunk := (len(steps) + n - 1) / n
		removed := false
		for lo := 0; lo < len(steps); lo += chunk {
			hi := min(lo+chunk, len(steps))
			cand := clone(sh.best)
			cand.Steps = slices.Delete(cand.Steps, lo, hi)
			ok, err := sh.try(cand)
			if err != nil {
				return changed, err
			}
			if ok {
				changed, removed = true, true
				break
			}
		}
		switch {
		case removed:
			n = max(n-1, 2)
		case chunk == 1:
			return changed, nil
		default:
			n = min(2*n, len(steps))
		}
	}
	return changed, nil
}

// reseedTries is how many other seeds reseed tries for each step.
const reseedTries = 8

// reseed tries to drop each step under other seeds, keeping the first that still fails.
func (sh *shrink) reseed() (bool, error) {
	seed := sh.best.Header.Seed
	for i := range sh.best.Steps {
		for k := int64(1); k <= reseedTries; k++ {
			cand := clone(sh.best)
			cand.Steps = slices.Delete(cand.Steps, i, i+1)
			cand.Header.Seed = seed + k*1_000_003
			ok, err := sh.try(cand)
			if ok || err != nil {
				return ok, err
			}
		}
	}
	return false, nil
}

// dueBy returns how many leading steps are due by time t, when the steps are all at
// absolute times in order (as generated ones are); otherwise every step.
func (sh *shrink) dueBy(t time.Duration) int {
	for i, st := range sh.best.Steps {
		if st.When.Kind != scenario.Absolute || st.Every != nil || i > 0 && st.When.At < sh.best.Steps[i-1].When.At {
			return len(sh.best.Steps)
		}
	}
	for i, st := range sh.best.Steps {
		if st.When.At > t {
			return i
		}
	}
	return len(sh.best.Steps)
}

// fewerPeers tries smaller clusters, as small as one peer.
func (sh *shrink) fewerPeers() (bool, error) {
	changed := false
	for n := 1; n < sh.best.Header.Peers; n++ {
		cand := clone(sh.best)
		cand.Header.Peers = n
		ok, err := sh.try(cand)
		if err != nil {
			return changed, err
		}
		if ok {
			changed = true
			break
		}
	}
	return changed, nil
}

// simplifyHeader lowers the workload's rate, turns it off, and switches Raft options
// off.
func (sh *shrink) simplifyHeader() (bool, error) {
	var cands []func(h *scenario.Header) bool
	cands = append(cands,
		func(h *scenario.Header) bool { ok := h.Workload != nil; h.Workload = nil; return ok },
		func(h *scenario.Header) bool {
			if h.Workload == nil {
				return false
			}
			r := math.Floor(h.Workload.Rate() / 2)
			if r < 1 {
				return false
			}
			h.Workload = withRate(h.Workload, r)
			return true
		},
		func(h *scenario.Header) bool { ok := h.PreVote; h.PreVote = false; return ok },
		func(h *scenario.Header) bool { ok := h.CheckQuorum; h.CheckQuorum = false; return ok },
	)
	changed := false
	for _, f := range cands {
		ok, err := sh.repeat(func(cand *scenario.Scenario) bool { return f(&cand.Header) })
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// simplifySteps makes each step smaller in turn: fewer proposals, a lower rate or
// probability, a shorter delay, sleep or wait, a clock closer to true, fewer repetitions.
func (sh *shrink) simplifySteps() (bool, error) {
	changed := false
	for i := 0; i < len(sh.best.Steps); i++ {
		ok, err := sh.repeat(func(cand *scenario.Scenario) bool { return smaller(&cand.Steps[i]) })
		changed = changed || ok
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// repeat applies change to a copy of the best scenario so far, again and again, for as
// long as change finds something to change and the result still fails the same way.
// It reports whether any change was kept.
func (sh *shrink) repeat(change func(cand *scenario.Scenario) bool) (bool, error) {
	changed := false
	for {
		cand := clone(sh.best)
		if !change(cand) {
			return changed, nil
		}
		ok, err := sh.try(cand)
		if err != nil || !ok {
			return changed, err
		}
		changed = true
	}
}

// smaller changes st into a smaller step, reporting false if it has none.
func smaller(st *scenario.Step) bool {
	if e := st.Every; e != nil && e.Times > 1 {
		e2 := *e
		e2.Times /= 2
		st.Every = &e2
		return true
	}
	switch c := st.Cmd.(type) {
	case scenario.ProposeCmd:
		if c.N > 1 {
			st.Cmd = scenario.ProposeCmd{N: c.N / 2}
			return true
		}
	case scenario.WorkloadCmd:
		if c.Spec != nil {
			if r := math.Floor(c.Spec.Rate() / 2); r >= 1 {
				st.Cmd = scenario.WorkloadCmd{Spec: withRate(c.Spec, r)}
				return true
			}
		}
	case scenario.SleepCmd:
		if d := halve(c.D); d != c.D {
			st.Cmd = scenario.SleepCmd{D: d}
			return true
		}
	case scenario.WaitCmd:
		if d := halve(c.Within); d != c.Within && d > 0 {
			c.Within = d
			st.Cmd = c
			return true
		}
	case scenario.ExpectCmd:
		if d := halve(c.For); d != c.For && d > 0 {
			c.For = d
			st.Cmd = c
			return true
		}
	case scenario.FaultCmd:
		if smallerFault(&c) {
			st.Cmd = c
			return true
		}
	case scenario.OnCmd:
		if c.Times > 1 {
			c.Times /= 2
			st.Cmd = c
			return true
		}
		if smallerFault(&c.Cmd) {
			st.Cmd = c
			return true
		}
	}
	return false
}

// smallerFault makes c smaller by the shape of its arguments (chaos.FaultArgs): a lower
// probability, a shorter delay, a clock closer to true. It reports false if it has
// nothing smaller.
func smallerFault(c *scenario.FaultCmd) bool {
	spec, _ := c.Kind.Spec()
	switch spec.Args {
	case chaos.ArgsProb:
		if p := math.Floor(c.P*50) / 100; p >= 0.01 && p < c.P {
			c.P = p
			return true
		}
	case chaos.ArgsDelay:
		if c.Min > 0 {
			c.Min = 0
			return true
		}
		if d := halve(c.Max); d != c.Max && d > 0 {
			c.Max = d
			return true
		}
	case chaos.ArgsPeersRate:
		if r := math.Round((c.Rate+1)/2*100) / 100; r != c.Rate && math.Abs(r-1) >= 0.05 {
			c.Rate = r
			return true
		}
	}
	return false
}

// halve halves d, to whole milliseconds.
func halve(d time.Duration) time.Duration {
	return (d / 2).Round(time.Millisecond)
}

// earlier brings steps at absolute times earlier: each gap between one step and the
// next (or the start) is closed, or else halved, moving every later step with it.
func (sh *shrink) earlier() (bool, error) {
	changed := false
	for i := 0; i < len(sh.best.Steps); i++ {
		if sh.best.Steps[i].When.Kind != scenario.Absolute {
			continue
		}
		prev := time.Duration(0)
		if i > 0 {
			if sh.best.Steps[i-1].When.Kind != scenario.Absolute {
				continue
			}
			prev = sh.best.Steps[i-1].When.At
		}
		gap := sh.best.Steps[i].When.At - prev
		for _, by := range []time.Duration{gap, halve(gap)} {
			if by <= 0 {
				continue
			}
			cand := clone(sh.best)
			for j := i; j < len(cand.Steps); j++ {
				if w := &cand.Steps[j].When; w.Kind == scenario.Absolute {
					w.At = max(w.At-by, 0)
				}
			}
			if cand.Header.Duration > 0 {
				cand.Header.Duration = max(cand.Header.Duration-by, time.Millisecond)
			}
			ok, err := sh.try(cand)
			if err != nil {
				return changed, err
			}
			if ok {
				changed = true
				break
			}
		}
	}
	return changed, nil
}

func roundUp(d, to time.Duration) time.Duration {
	return (d + to - 1) / to * to
}

// clone copies sc deeply enough that changing a copy's header, steps and their Every
// leaves sc alone (commands are values; their slices are never changed in place). The
// copy has no Source: sc's text no longer says what the copy is once it changes, and a
// run in a worker process takes the text (scenario.Format writes it from the copy).
func clone(sc *scenario.Scenario) *scenario.Scenario {
	c := *sc
	c.Source = ""
	c.Steps = slices.Clone(sc.Steps)
	if w := sc.Header.Workload; w != nil {
		w2 := *w
		w2.Params = slices.Clone(w.Params)
		c.Header.Workload = &w2
	}
	return &c
}
