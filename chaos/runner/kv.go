package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// usesKV reports whether any workload line of sc, in its header or its steps, is a kv
// workload: then every peer runs the kv service from the start.
func usesKV(sc *scenario.Scenario) bool {
	isKV := func(w *scenario.WorkloadSpec) bool { return w != nil && w.Kind == scenario.KVWorkloadKind }
	if isKV(sc.Header.Workload) {
		return true
	}
	for _, st := range sc.Steps {
		if c, ok := st.Cmd.(scenario.WorkloadCmd); ok && isKV(c.Spec) {
			return true
		}
	}
	return false
}

// setupKV makes the kv workload, and the peers' services its Stores, if the scenario
// uses it. The scenario's snapshot off turns the Stores' snapshots off.
func (r *Runner) setupKV(cfg *chaos.ClusterConfig) {
	if !usesKV(r.sc) {
		return
	}
	kc := kv.Config{Peers: cfg.Peers, Seed: cfg.Seed}
	if r.sc.Header.SnapshotEvery == 0 {
		kc.MaxRaftState = -1
	}
	r.kv = kv.New(kc)
	cfg.NewService = r.kv.NewService
}

// errNoKV refuses a kv workload typed into a run whose peers do not run the kv service.
var errNoKV = errors.New("the peers of this run do not run the kv service: name a kv workload in the scenario to use one")

// setWorkload switches the client workload to spec (nil: off). The basic workload and
// the kv one exclude each other; a kv workload's outstanding operations go on until
// answered or timed out.
func (r *Runner) setWorkload(spec *scenario.WorkloadSpec) error {
	if spec != nil && spec.Kind == scenario.KVWorkloadKind {
		if r.kv == nil {
			return errNoKV
		}
		p, err := kv.ParseParams(spec.Get)
		if err == nil {
			err = r.kv.Set(p)
		}
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.rate = 0
		r.mu.Unlock()
		return nil
	}
	if r.kv != nil {
		r.kv.Off()
	}
	r.mu.Lock()
	r.rate = 0
	if spec != nil {
		r.rate = spec.Rate()
	}
	r.nextWork = r.c.Now()
	r.mu.Unlock()
	return nil
}

// kvWoken reports whether the kv clerks have something to do now (an answer came).
func (r *Runner) kvWoken() bool { return r.kv != nil && r.kv.Woken() }

// finishKV ends the kv workload at cluster time end and checks its history: a history
// that is not linearizable is published as a violation, the other outcomes as a note. It
// returns the check's outcome for the run's end event, or nil without a kv workload.
// When ctx has ended (the run was interrupted), the check gets no time: its outcome is
// unknown unless it is immediate.
func (r *Runner) finishKV(ctx context.Context, end time.Duration) *chaos.KVCheck {
	if r.kv == nil {
		return nil
	}
	budget := r.opts.CheckBudget
	if ctx.Err() != nil {
		budget = time.Nanosecond
	}
	if r.opts.DeferKVCheck {
		res := r.kv.FinishUnchecked(end)
		r.mu.Lock()
		r.kvResult = res
		r.mu.Unlock()
		return nil
	}
	res := r.kv.Finish(end, budget)
	r.mu.Lock()
	r.kvResult = res
	r.mu.Unlock()
	c := res.Check
	check := &chaos.KVCheck{Outcome: string(c.Outcome), Message: c.Message, Key: c.Key, Operations: c.Operations}
	r.mu.Lock()
	reported := r.kvReported
	r.mu.Unlock()
	if v := res.Violation(); v != nil {
		if !reported { // when the timeline ended, the history was already not linearizable
			r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: firstOr(v.Peers, -1), Violation: v})
		}
		return check
	}
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1,
		Text: fmt.Sprintf("linearizability: %s: %s", c.Outcome, c.Message)})
	return check
}

// checkKVSoFar checks the kv workload's history so far, when a held-open run's
// timeline is over (the run goes on, but the scenario's verdict is due): a history that
// is not linearizable is published as a violation (and not again at the end); the
// outcome goes in a note (Event.KV) either way.
func (r *Runner) checkKVSoFar() {
	if r.kv == nil {
		return
	}
	h := r.kv.History()
	if len(h) == 0 {
		return
	}
	c := kv.Check(h, r.opts.CheckBudget)
	if v := c.Violation(); v != nil {
		r.mu.Lock()
		r.kvReported = true
		r.mu.Unlock()
		r.c.Events().Publish(chaos.Event{Kind: chaos.EventViolation, Peer: firstOr(v.Peers, -1), Violation: v})
	}
	r.c.Events().Publish(chaos.Event{Kind: chaos.EventNote, Peer: -1,
		KV:   &chaos.KVCheck{Outcome: string(c.Outcome), Message: c.Message, Key: c.Key, Operations: c.Operations},
		Text: "the timeline is over: kv history checked: " + c.Message})
}

// KV returns the kv workload's result once Run has returned, or nil (no kv workload, or
// still running). Result.KV holds the same.
func (r *Runner) KV() *kv.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kvResult
}

// CheckKV checks the history of a run made with Options.DeferKVCheck, with the given
// budget (0: kv.DefaultBudget), and makes a history that is not linearizable the run's
// failure if it had none. It does nothing to a run without a kv workload or one whose
// history was checked already.
func CheckKV(res *Result, budget time.Duration) {
	if res == nil || res.KV == nil || res.KV.Check.Outcome != "" {
		return
	}
	res.KV.Check = kv.Check(res.KV.History, budget)
	c := res.KV.Check
	res.KVCheckTook = c.Elapsed
	res.KVCheck = &chaos.KVCheck{Outcome: string(c.Outcome), Message: c.Message, Key: c.Key, Operations: c.Operations}
	if v := res.KV.Violation(); v != nil && res.Failure == nil {
		res.Pass, res.Failure = false, v
	}
}
