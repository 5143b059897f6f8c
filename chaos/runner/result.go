package runner

import (
	"math"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/model"
)

func mathFloat64bits(f float64) uint64     { return math.Float64bits(f) }
func mathFloat64frombits(b uint64) float64 { return math.Float64frombits(b) }

// The run's plain values live in package model, where views import them without
// linking the engines; these names keep them reachable from here.
type (
	State         = model.State
	StepState     = model.StepState
	StepStatus    = model.StepStatus
	WorkloadStats = model.WorkloadStats
	Recovery      = model.Recovery
)

// The step statuses.
const (
	StepPending = model.StepPending
	StepRunning = model.StepRunning
	StepDone    = model.StepDone
	StepSkipped = model.StepSkipped
	StepFailed  = model.StepFailed
)

// outcome names a step status as an EventStep's Outcome does.
func outcome(s StepStatus) string {
	switch s {
	case StepSkipped:
		return chaos.StepSkipped
	case StepFailed:
		return chaos.StepFailed
	}
	return chaos.StepDone
}

// Result is the outcome of a run: the run model's at the end (the verdict and every
// figure, the same a report or a replay rebuilds from the run's trace), and what only
// the run itself has: the real time it took, and a kv workload's history with its
// linearizability check (which can draw porcupine's visualization).
type Result struct {
	model.Result
	// KV is the kv workload's result: its figures, the check and the history. Nil
	// without a kv workload.
	KV *kv.Result `json:"kv,omitempty"`
}

// State returns the run's progress as of now.
func (r *Runner) State() State {
	r.modelMu.Lock()
	st := r.model.State()
	r.modelMu.Unlock()
	st.Now = r.c.Now()
	st.Paused = r.Paused()
	st.Speed = r.Speed()
	st.Done = r.done.Load()
	return st
}

func (r *Runner) progress(now time.Duration) {
	if r.opts.Progress == nil || time.Since(r.lastProgress) < 200*time.Millisecond {
		return
	}
	r.lastProgress = time.Now()
	r.opts.Progress(r.State())
}

// result is the model's result at the end, with the wall time and the kv workload's.
func (r *Runner) result(end, wall time.Duration) *Result {
	r.modelMu.Lock()
	res := &Result{Result: r.model.Result()}
	r.modelMu.Unlock()
	res.Duration, res.Wall, res.Paused = end, wall, min(r.pausedTime(), wall)
	r.mu.Lock()
	res.KV = r.kvResult
	r.mu.Unlock()
	if res.KV != nil {
		res.KVCheckTook = res.KV.Check.Elapsed
	}
	return res
}
