package kv

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Stats summarise a history.
type Stats struct {
	// Operations started, and how they ended.
	Operations int `json:"operations"`
	OK         int `json:"ok"`
	TimedOut   int `json:"timed_out"`
	Unfinished int `json:"unfinished"`
	// Reads and Writes split Operations by kind.
	Reads  int `json:"reads"`
	Writes int `json:"writes"`
	// LocalReads were answered by a server from its own state, without the log (only
	// with the stale-read bug).
	LocalReads int `json:"local_reads,omitempty"`
	// Retries counts requests sent to another server after a refusal, a timeout or a
	// lost leadership.
	Retries int `json:"retries"`
	// Throughput is answered operations per second of cluster time, from the first call
	// to the last answer.
	Throughput float64 `json:"throughput"`
	// Latency of answered operations, from call to answer.
	P50 time.Duration `json:"latency_p50"`
	P99 time.Duration `json:"latency_p99"`
	Max time.Duration `json:"latency_max"`
}

// Summarize computes a history's Stats.
func Summarize(history []Operation) Stats {
	var s Stats
	var lat []time.Duration
	var first, last time.Duration = -1, 0
	for _, h := range history {
		s.Operations++
		if h.Op == "get" {
			s.Reads++
		} else {
			s.Writes++
		}
		if h.Tries > 1 {
			s.Retries += h.Tries - 1
		}
		if first < 0 || h.Call < first {
			first = h.Call
		}
		switch h.Status {
		case chaos.ClientOK:
			s.OK++
			lat = append(lat, h.Return-h.Call)
			last = max(last, h.Return)
			if h.Index == 0 && h.Peer >= 0 {
				s.LocalReads++
			}
		case chaos.ClientTimeout:
			s.TimedOut++
		default:
			s.Unfinished++
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		s.P50 = lat[len(lat)/2]
		s.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
		s.Max = lat[len(lat)-1]
		if span := last - first; span > 0 {
			s.Throughput = float64(s.OK) / span.Seconds()
		}
	}
	return s
}

// Stats returns the figures of the history so far.
func (w *Workload) Stats() Stats {
	w.mu.Lock()
	h := slices.Clone(w.history)
	w.mu.Unlock()
	return Summarize(h)
}

// Completed returns the number of operations answered so far.
func (w *Workload) Completed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.answered
}

// History returns a copy of the history so far. Operations not yet finished have an
// empty Status.
func (w *Workload) History() []Operation {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.history)
}

// Result is what a kv workload leaves after a run: its parameters, figures, the
// linearizability check and the history itself. It is not modified after Finish
// returns: safe for concurrent reads.
type Result struct {
	Params Params      `json:"params"`
	Stats  Stats       `json:"stats"`
	Check  CheckResult `json:"check"`
	// History is every operation, in the order they were invoked.
	History []Operation `json:"history"`
}

// Finish ends the workload at cluster time end: the clerks stop, operations still
// waiting are recorded as unfinished (and published), and the history is checked with
// the given budget (0: DefaultBudget). Call it once the cluster no longer runs, or at
// least after the last Step.
func (w *Workload) Finish(end time.Duration, budget time.Duration) *Result {
	res := w.FinishUnchecked(end)
	res.Check = Check(res.History, budget)
	return res
}

// FinishUnchecked is Finish without the check: its Result's Check is the zero value
// until the caller checks the history (Check), which can then happen elsewhere: outside
// a synctest bubble, where porcupine's time budget cannot fire (it is a timer of the
// bubble's clock, which CPU-bound work does not advance).
func (w *Workload) FinishUnchecked(end time.Duration) *Result {
	w.mu.Lock()
	w.finished, w.on = true, false
	var left []Operation
	for _, k := range w.clerks {
		if k.busy {
			left = append(left, w.finishLocked(k, end, chaos.ClientUnfinished, -1, 0, ""))
		}
	}
	res := &Result{Params: w.params, History: slices.Clone(w.history)}
	w.mu.Unlock()
	for _, op := range left {
		w.publish(op)
	}
	res.Stats = Summarize(res.History)
	return res
}

// Violation returns the linearizability violation, or nil.
func (r *Result) Violation() *chaos.Violation {
	if r == nil {
		return nil
	}
	return r.Check.Violation()
}

// WriteVisualization writes porcupine's HTML visualization of a history that is not
// linearizable; see CheckResult.Visualize.
func (r *Result) WriteVisualization(w io.Writer) error { return r.Check.Visualize(w) }

// WriteSummary writes two lines about the workload: its figures and the check.
func (r *Result) WriteSummary(w io.Writer) {
	s := r.Stats
	fmt.Fprintf(w, "  kv: %d operations (%d reads, %d writes) by %d clients on %d keys: %d ok, %d timed out, %d unfinished",
		s.Operations, s.Reads, s.Writes, r.Params.Clients, r.Params.Keys, s.OK, s.TimedOut, s.Unfinished)
	if s.OK > 0 {
		fmt.Fprintf(w, "; %.0f ops/s, latency p50 %s p99 %s", s.Throughput, chaos.FormatDuration(s.P50), chaos.FormatDuration(s.P99))
	}
	if s.LocalReads > 0 {
		fmt.Fprintf(w, "; %d reads answered locally", s.LocalReads)
	}
	fmt.Fprintln(w)
	c := r.Check
	switch c.Outcome {
	case NotLinearizable:
		// The run's failure line says what; say where to look.
		where := ""
		if c.Key != "" {
			where = ", key " + c.Key
		}
		fmt.Fprintf(w, "  linearizability: not linearizable%s (%d operations checked in %s)\n", where, c.Operations, chaos.FormatDuration(c.Elapsed))
	default:
		fmt.Fprintf(w, "  linearizability: %s: %s (in %s)\n", c.Outcome, c.Message, chaos.FormatDuration(c.Elapsed))
	}
}
