package raft

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// progressView is a leader's view of its followers as its EventProgress events tell it,
// the way a reader of the event stream (the run model, a checker) rebuilds it.
type progressView struct {
	leading bool
	prs     map[int]Event // follower -> its last progress event
	seen    int           // events of the peer folded so far
}

// fold reads the peer's events from v.seen on.
func (v *progressView) fold(t *testing.T, id int, es []Event) {
	t.Helper()
	for _, e := range es[v.seen:] {
		switch {
		case e.Kind == EventBoot:
			v.leading, v.prs = false, nil
		case e.Kind == EventRole:
			v.leading, v.prs = e.Role == Leader, map[int]Event{}
		case e.Kind == EventProgress:
			if !v.leading || e.Role != Leader {
				t.Errorf("peer %d: %v from a peer that does not lead", id, e)
			}
			if e.Other == id || e.Other < 0 {
				t.Errorf("peer %d: %v about no follower", id, e)
			}
			if v.prs != nil {
				v.prs[e.Other] = e
			}
		}
	}
	v.seen = len(es)
}

// Every leader's match index and replication state for each follower, as its progress
// events tell them, are what Status says after every step of a run under random faults;
// so is its next index, but while entries stream (Replicate), when the events only say
// where streaming started.
func TestNodeProgressEvents(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 1000
	}
	for seed := range 4 {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			s := newSimNet(t, 5, func(c *Config) {
				c.Seed, c.MaxEntriesPerMessage, c.MaxInflight, c.PreVote = int64(seed), 2, 2, seed%2 == 0
			})
			c := &simChaos{s: s, rng: rand.New(rand.NewPCG(uint64(seed), 7)), crashes: true, snapshots: true, dupReplies: true}
			views := make([]progressView, len(s.nodes))
			events, states := 0, map[ProgressState]bool{}
			for step := range steps {
				c.step()
				for id, n := range s.nodes {
					v := &views[id]
					v.fold(t, id, s.events[id])
					if n == nil || n.Role() != Leader {
						continue
					}
					for f, want := range n.Status().Progress {
						if f == id {
							continue
						}
						got, ok := v.prs[f]
						switch {
						case !ok:
							t.Fatalf("step %d: leader %d has told nothing of follower %d (%+v)", step, id, f, want)
						case got.Index != want.Match || got.State != want.State:
							t.Fatalf("step %d: leader %d's events say follower %d has match %d, %v; Status says %+v", step, id, f, got.Index, got.State, want)
						case want.State != Replicate && got.LastIndex != want.Next:
							t.Fatalf("step %d: leader %d's events say follower %d has next %d; Status says %+v", step, id, f, got.LastIndex, want)
						case got.LastIndex > want.Next:
							t.Fatalf("step %d: leader %d's events say follower %d has next %d, past Status's %+v", step, id, f, got.LastIndex, want)
						}
						events++
						states[want.State] = true
					}
				}
			}
			if events == 0 || !states[Probe] || !states[Replicate] || !states[SnapshotState] {
				t.Errorf("the run checked %d progress views in states %v: too few to mean anything", events, states)
			}
		})
	}
}
