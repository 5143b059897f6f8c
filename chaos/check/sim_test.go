package check_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/chaos/live"
	"github.com/miniraft/miniraft/chaos/sim"
	"github.com/miniraft/miniraft/raft"
)

// TestSimRandomFaults runs the real Raft on the sim engine under random faults, with a
// steady workload and snapshots, and checks that no checker reports anything: every
// run of a correct Raft is a legal stream, whatever the faults, so a report here is a
// false alarm (or a Raft bug, which the report would name).
func TestSimRandomFaults(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 2
	}
	for seed := range seeds {
		for _, peers := range []int{3, 5} {
			t.Run(fmt.Sprintf("seed%d/peers%d", seed, peers), func(t *testing.T) {
				t.Parallel()
				runSim(t, int64(seed), peers, 120*time.Second, 5+seed*20)
			})
		}
	}
}

// runSim runs peers peers of the sim engine for length of virtual time under random
// faults, their services snapshotting every snapEvery commands, fails on any violation,
// and returns the stream.
func runSim(t *testing.T, seed int64, peers int, length time.Duration, snapEvery int) []chaos.Event {
	cfg := chaos.ClusterConfig{Peers: peers, Seed: seed, Raft: raft.Config{PreVote: seed%2 == 0, CheckQuorum: seed%3 == 0},
		NewService: func(int) chaos.Service { return chaos.NewDigest(snapEvery) }}
	c, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return runChaos(t, c, seed, length, check.Options{})
}

// runChaos drives c for length of its time: random faults every 0.2 to 3.2 seconds, a
// proposal every 20ms, then 8 healthy seconds. It checks the whole stream with a Suite
// (serialised with a mutex, as a live cluster delivers from its own goroutines), fails
// on any violation, and returns the stream.
func runChaos(t *testing.T, c chaos.Cluster, seed int64, length time.Duration, opts check.Options) []chaos.Event {
	defer c.Stop()
	peers := c.Config().Peers
	s, err := check.New(peers, opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []chaos.Event
	c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		s.Observe(e)
	}, check.EventKinds()...)
	advance := func() {
		now := c.Now()
		mu.Lock()
		defer mu.Unlock()
		s.Advance(now)
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	ctx := context.Background()
	next := 0
	propose := func() {
		next++
		r := c.Propose(next)
		c.Events().Publish(chaos.Event{Kind: chaos.EventPropose, Peer: r.Peer, Propose: &chaos.Proposal{Command: next, ProposeResult: r}})
	}
	pick := func() []int {
		k := 1 + rng.IntN((peers-1)/2+1)
		return rng.Perm(peers)[:k]
	}
	faultAt := time.Duration(0)
	for c.Now() < length {
		if c.Now() >= faultAt {
			var f chaos.Fault
			switch rng.IntN(10) {
			case 0, 9:
				f = chaos.Fault{Kind: chaos.Crash, Peers: pick()}
			case 1:
				f = chaos.Fault{Kind: chaos.Restart, Peers: all(peers)}
			case 2:
				f = chaos.Fault{Kind: chaos.Isolate, Peers: pick()}
			case 3:
				p := rng.Perm(peers)
				cut := 1 + rng.IntN(peers-1)
				f = chaos.Fault{Kind: chaos.Partition, Groups: [][]int{p[:cut], p[cut:]}}
			case 4:
				f = chaos.Fault{Kind: chaos.Loss, P: 0.2}
			case 5:
				f = chaos.Fault{Kind: chaos.Pause, Peers: pick()}
			case 6:
				f = chaos.Fault{Kind: chaos.Resume, Peers: all(peers)}
			default:
				f = chaos.Fault{Kind: chaos.Reset}
			}
			if err := c.Do(f); err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			faultAt = c.Now() + time.Duration(200+rng.IntN(3000))*time.Millisecond
		}
		propose()
		if err := c.RunFor(ctx, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		advance()
	}
	// Heal, and let it settle: liveness must hold at the end.
	for _, f := range []chaos.Fault{{Kind: chaos.Reset}, {Kind: chaos.Restart, Peers: all(peers)}, {Kind: chaos.Resume, Peers: all(peers)}} {
		if err := c.Do(f); err != nil {
			t.Fatal(err)
		}
	}
	for range 400 { // 8s: a leader must come within 5s, and commits after it
		propose()
		if err := c.RunFor(ctx, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		advance()
	}
	end := c.Now()
	c.Stop()
	mu.Lock()
	defer mu.Unlock()
	s.Finish(end)
	st := s.Stats()
	t.Logf("stats %+v", st)
	for _, v := range s.Violations() {
		t.Errorf("#%d at %v: %v", v.Seq, v.At, v)
	}
	if st.Elections == 0 || st.CommitIndex == 0 || st.Faults == 0 {
		t.Errorf("stats = %+v: the run did too little to test anything", st)
	}
	return events
}

// TestLiveRandomFaults runs the real Raft on the live engine (goroutines, real time)
// under random faults: the checkers' assumptions about the stream (each peer's events
// in order, restarts from what was persisted) must hold there too. Liveness is left out:
// real time on a loaded machine under the race detector has no bound to promise.
func TestLiveRandomFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 12 seconds of real time")
	}
	for seed := range int64(4) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			cfg := chaos.ClusterConfig{Peers: 3, Seed: seed, NewService: func(int) chaos.Service { return chaos.NewDigest(10) }}
			c, err := live.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			runChaos(t, c, seed, 4*time.Second, check.Options{Skip: []string{check.Liveness}})
		})
	}
}

// TestSimMutations takes a real run's stream and breaks it in the ways buggy Rafts do,
// one at a time, and checks that the right checker notices.
func TestSimMutations(t *testing.T) {
	events := runSim(t, 3, 3, 60*time.Second, 20)
	find := func(from int, ok func(r *raft.Event) bool) int {
		for k := from; k < len(events); k++ {
			if r := events[k].Raft; r != nil && ok(r) {
				return k
			}
		}
		t.Fatal("the run has no event to mutate")
		return 0
	}
	// edit returns the stream with event k's raft content changed by fn.
	edit := func(k int, fn func(r *raft.Event)) []chaos.Event {
		es := slices.Clone(events)
		r := *es[k].Raft
		r.Entries = slices.Clone(r.Entries)
		fn(&r)
		es[k].Raft = &r
		return es
	}
	insert := func(k int, e chaos.Event) []chaos.Event {
		return slices.Insert(slices.Clone(events), k, e)
	}
	restarted := map[int]bool{}
	tests := []struct {
		name   string
		stream func() []chaos.Event
		want   string
	}{
		{"follower appends another command", func() []chaos.Event {
			k := find(0, func(r *raft.Event) bool { return r.Kind == raft.EventAppend && r.Other != r.Peer })
			return edit(k, func(r *raft.Event) { r.Entries[0].Command = "evil" })
		}, check.LogMatching},
		{"follower applies another command", func() []chaos.Event {
			k := find(len(events)/2, func(r *raft.Event) bool { return r.Kind == raft.EventApply && r.Role != raft.Leader })
			return edit(k, func(r *raft.Event) { r.Entries[0].Command = "evil" })
		}, check.StateMachineSafety},
		{"restart loses the term", func() []chaos.Event {
			k := find(0, func(r *raft.Event) bool {
				if r.Kind != raft.EventBoot {
					return false
				}
				seen := restarted[r.Peer]
				restarted[r.Peer] = true
				return seen && r.Term > 0
			})
			return edit(k, func(r *raft.Event) { r.Term = 0 })
		}, check.TermMonotonic},
		{"apply repeated", func() []chaos.Event {
			k := find(len(events)/2, func(r *raft.Event) bool { return r.Kind == raft.EventApply })
			return insert(k+1, events[k])
		}, check.ApplyOrder},
		{"second leader in a term", func() []chaos.Event {
			k := find(len(events)/2, func(r *raft.Event) bool { return r.Kind == raft.EventRole && r.Role == raft.Leader })
			e := events[k]
			r := *e.Raft
			r.Peer = (r.Peer + 1) % 3
			e.Peer, e.Raft = r.Peer, &r
			return insert(k+1, e)
		}, check.ElectionSafety},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := check.New(3, check.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range tt.stream() {
				s.Observe(e)
			}
			vs := s.Violations()
			for _, v := range vs {
				t.Logf("#%d %v", v.Seq, v)
			}
			if !slices.ContainsFunc(vs, func(v chaos.Violation) bool { return v.Checker == tt.want }) {
				t.Errorf("got %d violations, none from %s", len(vs), tt.want)
			}
		})
	}
}

func all(n int) []int {
	ps := make([]int, n)
	for i := range ps {
		ps[i] = i
	}
	return ps
}

// withDeliveries returns events with what the services received, as the sim engine
// reports it: each command of an apply event and each installed snapshot, right after
// the core's event. A stream that has deliveries already is returned as it is.
func withDeliveries(events []chaos.Event) []chaos.Event {
	if slices.ContainsFunc(events, func(e chaos.Event) bool { return e.Kind == chaos.EventDeliver }) {
		return events
	}
	var out []chaos.Event
	add := func(e chaos.Event) {
		e.Seq = uint64(len(out) + 1)
		out = append(out, e)
	}
	for _, e := range events {
		add(e)
		r := e.Raft
		switch {
		case r == nil:
		case r.Kind == raft.EventApply:
			for k, en := range r.Entries {
				add(chaos.Event{At: e.At, Kind: chaos.EventDeliver, Peer: r.Peer, Deliver: &chaos.Delivery{Index: r.Index + k, Term: en.Term, Command: en.Command}})
			}
		case r.Kind == raft.EventInstallSnapshot:
			add(chaos.Event{At: e.At, Kind: chaos.EventDeliver, Peer: r.Peer, Deliver: &chaos.Delivery{Index: r.LastIndex, Term: r.PrevTerm, Snapshot: true}})
		}
	}
	return out
}

// TestSimDeliveries checks the delivery checker on a real run: a correct run's
// deliveries raise nothing, and each way a wrapper can get them wrong is caught.
func TestSimDeliveries(t *testing.T) {
	events := withDeliveries(runSim(t, 5, 3, 60*time.Second, 20))
	deliveries := func(from int, ok func(d *chaos.Delivery) bool) int {
		for k := from; k < len(events); k++ {
			if d := events[k].Deliver; d != nil && ok(d) {
				return k
			}
		}
		t.Fatal("the run has no delivery to mutate")
		return 0
	}
	command := func(d *chaos.Delivery) bool { return !d.Snapshot }
	mid := len(events) / 2
	tests := []struct {
		name   string
		stream func() []chaos.Event
	}{
		{"as they were", func() []chaos.Event { return events }},
		{"a command lost", func() []chaos.Event {
			return slices.Delete(slices.Clone(events), deliveries(mid, command), deliveries(mid, command)+1)
		}},
		{"a command twice", func() []chaos.Event {
			k := deliveries(mid, command)
			return slices.Insert(slices.Clone(events), k+1, events[k])
		}},
		{"two commands swapped", func() []chaos.Event {
			es := slices.Clone(events)
			k := deliveries(mid, command)
			j := k + 1
			for es[j].Kind != chaos.EventDeliver || es[j].Peer != es[k].Peer {
				j++
			}
			es[k], es[j] = es[j], es[k]
			return es
		}},
		{"another command", func() []chaos.Event {
			es := slices.Clone(events)
			k := deliveries(mid, command)
			d := *es[k].Deliver
			d.Command = "evil"
			es[k].Deliver = &d
			return es
		}},
		{"a snapshot twice", func() []chaos.Event {
			k := deliveries(0, func(d *chaos.Delivery) bool { return d.Snapshot })
			return slices.Insert(slices.Clone(events), k+1, events[k])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := check.New(3, check.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range tt.stream() {
				s.Observe(e)
			}
			vs := s.Violations()
			for _, v := range vs {
				t.Logf("#%d %v", v.Seq, v)
			}
			want := []string{check.Delivery}
			if tt.name == "as they were" {
				want = nil
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Checker)
			}
			if !slices.Equal(got, want) {
				t.Errorf("checkers that reported: got %v, want %v", got, want)
			}
		})
	}
}
