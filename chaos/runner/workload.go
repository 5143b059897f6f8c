package runner

import (
	"slices"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// Workload is a client that proposes unique commands (the integers 1, 2, 3...) and
// follows each to its fate: committed (first applied by any peer, with the latency from
// proposal), lost (its index was applied with another command: the leader that took it
// fell before it committed), or still in flight. Use Observe as a bus sink. Safe for
// concurrent use.
type Workload struct {
	mu        sync.Mutex
	next      int
	pending   map[int]pendingProposal // by command
	byIndex   map[int][]int           // index -> commands proposed there, pending
	committed int
	lost      int
	refused   int             // proposals no leader took
	latencies []time.Duration // commit latencies; the first sorted of them are in order
	sorted    int
	commitsAt []time.Duration // when each commit happened, for summaries and reports
}

type pendingProposal struct {
	index int
	at    time.Duration
}

// NewWorkload returns a workload with nothing proposed.
func NewWorkload() *Workload {
	return &Workload{pending: map[int]pendingProposal{}, byIndex: map[int][]int{}}
}

// Propose hands the next command to c's leader, records it and publishes an
// EventPropose. It returns what the cluster said.
func (w *Workload) Propose(c chaos.Cluster) chaos.ProposeResult {
	w.mu.Lock()
	w.next++
	cmd := w.next
	w.mu.Unlock()
	at := c.Now()
	r := c.Propose(cmd)
	w.mu.Lock()
	if r.OK {
		w.pending[cmd] = pendingProposal{index: r.Index, at: at}
		w.byIndex[r.Index] = append(w.byIndex[r.Index], cmd)
	} else {
		w.refused++
	}
	w.mu.Unlock()
	c.Events().Publish(chaos.Event{Kind: chaos.EventPropose, Peer: r.Peer, Propose: &chaos.Proposal{Command: cmd, ProposeResult: r}})
	return r
}

// Observe follows applies. Use it as a bus sink.
func (w *Workload) Observe(e chaos.Event) {
	if e.Kind != chaos.EventRaft || e.Raft == nil || e.Raft.Kind != raft.EventApply {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, ent := range e.Raft.Entries {
		index := e.Raft.Index + i
		cmds, ok := w.byIndex[index]
		if !ok {
			continue
		}
		for _, cmd := range cmds {
			p, ok := w.pending[cmd]
			if !ok {
				continue
			}
			delete(w.pending, cmd)
			if chaos.SameCommand(ent.Command, cmd) {
				w.committed++
				w.latencies = append(w.latencies, e.At-p.at)
				w.commitsAt = append(w.commitsAt, e.At)
			} else {
				w.lost++
			}
		}
		delete(w.byIndex, index)
	}
}

// WorkloadStats summarise a workload.
type WorkloadStats struct {
	Proposed  int           `json:"proposed"`
	Committed int           `json:"committed"`
	Lost      int           `json:"lost"`
	InFlight  int           `json:"in_flight"`
	Refused   int           `json:"refused"`
	P50       time.Duration `json:"latency_p50"`
	P99       time.Duration `json:"latency_p99"`
}

// Stats returns the workload's figures so far.
func (w *Workload) Stats() WorkloadStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := WorkloadStats{
		Proposed:  w.committed + w.lost + len(w.pending),
		Committed: w.committed,
		Lost:      w.lost,
		InFlight:  len(w.pending),
		Refused:   w.refused,
	}
	if l := w.sortLatencies(); len(l) > 0 {
		s.P50 = l[len(l)/2]
		s.P99 = l[min(len(l)-1, len(l)*99/100)]
	}
	return s
}

// sortLatencies sorts the latencies that came since the last call and merges them into
// the sorted ones: quantiles asked for often (the TUI does, ten times a second) cost
// time in proportion to the latencies, not to the latencies times their logarithm.
// w.mu must be held.
func (w *Workload) sortLatencies() []time.Duration {
	l := w.latencies
	if w.sorted == len(l) {
		return l
	}
	fresh := l[w.sorted:]
	slices.Sort(fresh)
	merged := make([]time.Duration, 0, cap(l))
	i, j := 0, w.sorted
	for i < w.sorted && j < len(l) {
		if l[i] <= l[j] {
			merged = append(merged, l[i])
			i++
		} else {
			merged = append(merged, l[j])
			j++
		}
	}
	merged = append(append(merged, l[i:w.sorted]...), l[j:]...)
	w.latencies, w.sorted = merged, len(merged)
	return merged
}

// Committed returns the number of proposals committed so far.
func (w *Workload) Committed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed
}

// Lost returns the number of proposals lost so far.
func (w *Workload) Lost() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}

// CommitTimes returns when each commit happened, in order.
func (w *Workload) CommitTimes() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.commitsAt)
}
