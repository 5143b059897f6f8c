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
type workload struct {
	pending                  map[int][]pending // by index
	inFlight                 int
	proposed                 int
	committed, lost, refused int
	lat                      chaos.Latencies
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

func (w *workload) propose(at time.Duration, pr chaos.Proposal) {
	if !pr.OK {
		w.refused++
		return
	}
	w.proposed++
	w.inFlight++
	w.pending[pr.Index] = append(w.pending[pr.Index], pending{cmd: pr.Command, at: at})
}

// applied settles the proposals waiting at the indexes r applied.
func (m *Run) applied(at time.Duration, r *raftpb.Event) {
	w := &m.wl
	if len(w.pending) == 0 {
		return
	}
	for i, e := range r.Entries {
		ps, ok := w.pending[r.Index+i]
		if !ok {
			continue
		}
		for _, p := range ps {
			ok := chaos.SameCommand(p.cmd, e.Command)
			if ok {
				w.committed++
				w.lat.Add(at - p.at)
				m.committedAt(at)
			} else {
				w.lost++
			}
			m.settled = append(m.settled, Settled{Proposed: p.at, Done: at, Committed: ok})
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
}

func (k kvFold) clone() kvFold {
	k.lat = k.lat.Clone()
	k.clients, k.keys = maps.Clone(k.clients), maps.Clone(k.keys)
	return k
}

func (k *kvFold) add(o chaos.ClientOp) {
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
