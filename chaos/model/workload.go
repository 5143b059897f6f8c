package model

import (
	"maps"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// workload follows the client workload's proposals to their fate: committed when first
// applied at their index with their command, lost when another command is. It keeps
// only the proposals in flight, and the latencies in a bounded histogram.
//
// A proposal's event may come after its entry was applied: on the sim engine a lone
// peer commits and applies a proposal within the call that makes it, before the
// proposal's event says which index it got. So the first entry applied at each of the
// last recentApplied indexes is kept, and a proposal for an index already applied is
// settled at once.
type workload struct {
	pending                  map[int][]pending // by index
	inFlight                 int
	proposed                 int
	committed, lost, refused int
	lat                      chaos.Latencies
	recent                   [recentApplied]appliedEntry // by index mod recentApplied
}

// recentApplied is how many of the latest applied indexes a workload remembers, for the
// proposals whose events come after their entries were applied (within one call).
const recentApplied = 64

// appliedEntry is the first entry applied at an index, and when.
type appliedEntry struct {
	index int // 0: none
	cmd   interface{}
	at    time.Duration
}

type pending struct {
	cmd interface{}
	at  time.Duration
}

func (w workload) clone() workload {
	w.pending = maps.Clone(w.pending)
	for k, v := range w.pending {
		w.pending[k] = slices.Clone(v)
	}
	w.lat = w.lat.Clone()
	return w
}

// propose follows a proposal of the workload to its fate; one whose entry was applied
// already is settled at once.
func (m *Run) propose(at time.Duration, pr chaos.Proposal) {
	w := &m.wl
	if !pr.OK {
		w.refused++
		return
	}
	w.proposed++
	if e := w.recent[pr.Index%recentApplied]; pr.Index > 0 && e.index == pr.Index {
		m.settle(pending{cmd: pr.Command, at: at}, e.cmd, max(at, e.at))
		return
	}
	w.inFlight++
	w.pending[pr.Index] = append(w.pending[pr.Index], pending{cmd: pr.Command, at: at})
}

// settle decides the fate of proposal p, whose index was first applied with command cmd
// at time at.
func (m *Run) settle(p pending, cmd interface{}, at time.Duration) {
	w := &m.wl
	ok := chaos.SameCommand(p.cmd, cmd)
	if ok {
		w.committed++
		w.lat.Add(at - p.at)
		m.committedAt(at)
	} else {
		w.lost++
	}
	m.settled = append(m.settled, Settled{Proposed: p.at, Done: at, Committed: ok})
}

// applied remembers the entries r applied first at their indexes, and settles the
// proposals waiting there.
func (m *Run) applied(at time.Duration, r *raftpb.Event) {
	w := &m.wl
	for i, e := range r.Entries {
		idx := r.Index + i
		if slot := &w.recent[idx%recentApplied]; idx > slot.index {
			*slot = appliedEntry{index: idx, cmd: e.Command, at: at}
		}
	}
	if len(w.pending) == 0 {
		return
	}
	for i, e := range r.Entries {
		ps, ok := w.pending[r.Index+i]
		if !ok {
			continue
		}
		for _, p := range ps {
			m.settle(p, e.Command, at)
		}
		w.inFlight -= len(ps)
		delete(w.pending, r.Index+i)
	}
}

// committedAt settles the recoveries waiting for a commit.
func (m *Run) committedAt(at time.Duration) {
	if m.waitCom == 0 {
		return
	}
	for i := range m.recov {
		if r := &m.recov[i]; r.Commit < 0 {
			r.Commit = at - r.At
		}
	}
	m.waitCom = 0
}

func (w *workload) stats() WorkloadStats {
	return WorkloadStats{Proposed: w.proposed, Committed: w.committed, Lost: w.lost, InFlight: w.inFlight,
		Refused: w.refused, P50: w.lat.Percentile(50), P99: w.lat.Percentile(99)}
}

// kvFold follows a kv workload's operations as its clients saw them.
type kvFold struct {
	ops, ok, timedOut, unfinished int
	reads, writes, localReads     int
	retries                       int
	first, last                   time.Duration
	lat                           chaos.Latencies
	clients                       map[int]bool
	keys                          map[string]bool
	check                         *chaos.KVCheck
	checkAt                       time.Duration
	// pending are the operations invoked and not yet ended, by client (a client has one
	// at a time).
	pending map[int]chaos.ClientOp
	// recent are the last operations ended, oldest first.
	recent []chaos.ClientOp
	// answered counts the operations answered in each of the last rateBuckets spans of
	// rateSpan, by the span's number (cluster time / rateSpan) modulo rateBuckets.
	answered     [rateBuckets]int
	answeredSpan [rateBuckets]int64
}

// How a kv fold measures the operations answered per second now: over the last
// rateBuckets*rateSpan of cluster time.
const (
	rateSpan    = 100 * time.Millisecond
	rateBuckets = 10
	// maxRecent is how many ended operations a kv fold keeps for views.
	maxRecent = 8
)

func (k kvFold) clone() kvFold {
	k.lat = k.lat.Clone()
	k.clients, k.keys = maps.Clone(k.clients), maps.Clone(k.keys)
	k.pending = maps.Clone(k.pending)
	k.recent = slices.Clone(k.recent)
	return k
}

// call notes an operation invoked.
func (k *kvFold) call(o chaos.ClientOp) {
	if k.pending == nil {
		k.pending = map[int]chaos.ClientOp{}
	}
	k.pending[o.Client] = o
}

// rate returns the operations answered per second over the last second of cluster time
// before now.
func (k *kvFold) rate(now time.Duration) float64 {
	cur := int64(now / rateSpan)
	n := 0
	for i, span := range k.answeredSpan {
		if span > cur-rateBuckets && span <= cur {
			n += k.answered[i]
		}
	}
	return float64(n) / (rateBuckets * rateSpan).Seconds()
}

func (k *kvFold) add(o chaos.ClientOp) {
	if p, ok := k.pending[o.Client]; ok && p.Seq <= o.Seq {
		delete(k.pending, o.Client)
	}
	if len(k.recent) == maxRecent {
		k.recent = append(k.recent[:0], k.recent[1:]...)
	}
	k.recent = append(k.recent, o)
	if k.ops == 0 || o.Call < k.first {
		k.first = o.Call
	}
	k.ops++
	if k.clients == nil {
		k.clients, k.keys = map[int]bool{}, map[string]bool{}
	}
	k.clients[o.Client], k.keys[o.Key] = true, true
	if o.Op == "get" {
		k.reads++
	} else {
		k.writes++
	}
	if o.Tries > 1 {
		k.retries += o.Tries - 1
	}
	switch o.Status {
	case chaos.ClientOK:
		k.ok++
		k.lat.Add(o.Return - o.Call)
		span := int64(o.Return / rateSpan)
		if i := span % rateBuckets; k.answeredSpan[i] != span {
			k.answeredSpan[i], k.answered[i] = span, 1
		} else {
			k.answered[i]++
		}
		k.last = max(k.last, o.Return)
		if o.Index == 0 && o.Peer >= 0 {
			k.localReads++
		}
	case chaos.ClientTimeout:
		k.timedOut++
	default:
		k.unfinished++
	}
}

func (k *kvFold) stats() KVStats {
	s := KVStats{Operations: k.ops, OK: k.ok, TimedOut: k.timedOut, Unfinished: k.unfinished,
		Clients: len(k.clients), Keys: len(k.keys), Reads: k.reads, Writes: k.writes, LocalReads: k.localReads, Retries: k.retries}
	if k.ok > 0 {
		s.P50, s.P99, s.Max = k.lat.Percentile(50), k.lat.Percentile(99), k.lat.Max()
		if span := k.last - k.first; span > 0 {
			s.Throughput = float64(k.ok) / span.Seconds()
		}
	}
	return s
}

// clients returns what the kv workload's clients are doing at now.
func (k *kvFold) clientsAt(now time.Duration, rate float64) *KVClients {
	c := &KVClients{Rate: rate, Answering: k.rate(now), Pending: len(k.pending), Recent: slices.Clone(k.recent), CheckAt: k.checkAt}
	for _, p := range k.pending {
		if c.Oldest == 0 || p.Call < c.Oldest {
			c.Oldest = p.Call
		}
	}
	if k.check != nil {
		ch := *k.check
		c.Check = &ch
	}
	return c
}
