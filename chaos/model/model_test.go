package model_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/sim"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// samePeer says how a peer the model rebuilt from the events differs from what the
// engine reports, or "". A leader's next index for a follower it streams entries to
// moves without events, so the model's may lag (never lead) the engine's then.
func samePeer(got, want chaos.PeerStatus) string {
	g, w := got.Status, want.Status
	gp, wp := g.Progress, w.Progress
	g.Progress, w.Progress = nil, nil
	if got.State != want.State || got.ClockRate != want.ClockRate || fmt.Sprint(g) != fmt.Sprint(w) {
		return fmt.Sprintf("model %v %gx %+v\nengine %v %gx %+v", got.State, got.ClockRate, g, want.State, want.ClockRate, w)
	}
	if (gp == nil) != (wp == nil) || len(gp) != len(wp) {
		return fmt.Sprintf("model progress %v, engine %v", gp, wp)
	}
	for i := range gp {
		if i == g.ID {
			continue // a leader's own entry says nothing (the engine never moves its next)
		}
		a, b := gp[i], wp[i]
		if a.Match != b.Match || a.State != b.State || a.Next > b.Next || b.State != raftpb.Replicate && a.Next != b.Next {
			return fmt.Sprintf("progress of %d: model %+v, engine %+v", i, a, b)
		}
	}
	return ""
}

// The model, fed a sim cluster's events, shows every peer as the engine reports it,
// every millisecond of a run under random faults (crashes and restarts, partitions,
// pauses, skew, loss) with proposals and snapshots; and the network as the engine has it.
func TestModelFollowsTheEngine(t *testing.T) {
	seeds, d := 4, 20*time.Second
	if testing.Short() {
		seeds, d = 2, 8*time.Second
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			m := model.New(model.Info{Peers: 5})
			var mu sync.Mutex
			c, err := sim.New(chaos.ClusterConfig{Peers: 5, Seed: int64(seed + 1),
				NewService: func(int) chaos.Service { return chaos.NewDigest(20) },
				Observers:  []func(chaos.Event){func(e chaos.Event) { mu.Lock(); m.Apply(e); mu.Unlock() }}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			rng := rand.New(rand.NewPCG(uint64(seed), 9))
			faults := []func() chaos.Fault{
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Crash, Peers: []int{rng.IntN(5)}} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Restart, Peers: []int{0, 1, 2, 3, 4}} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{rng.IntN(5)}}} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Heal} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Pause, Peers: []int{rng.IntN(5)}} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Resume, Peers: []int{0, 1, 2, 3, 4}} },
				func() chaos.Fault {
					return chaos.Fault{Kind: chaos.Skew, Peers: []int{rng.IntN(5)}, Rate: 0.5 + rng.Float64()}
				},
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Loss, P: 0.2 * rng.Float64()} },
				func() chaos.Fault { return chaos.Fault{Kind: chaos.Reset} },
			}
			checks, leaders, installs := 0, 0, 0
			for c.Now() < d {
				if rng.IntN(300) == 0 {
					if err := c.Do(faults[rng.IntN(len(faults))]()); err != nil {
						t.Fatal(err)
					}
				}
				if rng.IntN(3) == 0 {
					c.Propose(rng.IntN(1000))
				}
				if err := c.RunFor(context.Background(), time.Millisecond); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				got, gotNet := m.Peers(), m.Net()
				installs = m.Figures().Installs
				mu.Unlock()
				want := c.Peers()
				for i := range want {
					if diff := samePeer(got[i], want[i]); diff != "" {
						t.Fatalf("at %v, peer %d:\n%s", c.Now(), i, diff)
					}
					if want[i].Role == raftpb.Leader && want[i].State == chaos.Up {
						leaders++
					}
				}
				if wn := c.Network(); fmt.Sprint(gotNet) != fmt.Sprint(wn) {
					t.Fatalf("at %v: network\n%v\nwant\n%v", c.Now(), gotNet, wn)
				}
				checks++
			}
			if leaders == 0 || installs == 0 {
				t.Errorf("%d checks saw %d leaders and %d snapshots installed: too little happened to mean much", checks, leaders, installs)
			}
		})
	}
}

// A clone goes its own way: events applied to the original leave it as it was.
func TestModelClone(t *testing.T) {
	m := model.New(model.Info{Peers: 3})
	apply := func(m *model.Run, e raftpb.Event) {
		m.Apply(chaos.Event{Kind: chaos.EventRaft, Peer: e.Peer, Raft: &e})
	}
	apply(m, raftpb.Event{Kind: raftpb.EventBoot, Peer: 0, Other: raftpb.None})
	apply(m, raftpb.Event{Kind: raftpb.EventRole, Peer: 0, Term: 1, Role: raftpb.Leader, Other: 0})
	apply(m, raftpb.Event{Kind: raftpb.EventAppend, Peer: 0, Term: 1, Role: raftpb.Leader, Index: 1, LastIndex: 2,
		Entries: []raftpb.Entry{{Term: 1}, {Term: 1}}})
	c := m.Clone()
	before := fmt.Sprint(c.Peers())
	apply(m, raftpb.Event{Kind: raftpb.EventAppend, Peer: 0, Term: 1, Role: raftpb.Leader, Index: 3, LastIndex: 3, Entries: []raftpb.Entry{{Term: 1}}})
	apply(m, raftpb.Event{Kind: raftpb.EventProgress, Peer: 0, Term: 1, Role: raftpb.Leader, Other: 1, Index: 3, LastIndex: 4, State: raftpb.Replicate})
	if after := fmt.Sprint(c.Peers()); after != before {
		t.Errorf("the clone changed with the original:\n%s\nwas\n%s", after, before)
	}
	if got := m.Peers()[0]; got.LastIndex != 3 || got.Progress[1].Match != 3 {
		t.Errorf("the original: %+v", got.Status)
	}
}

// Proposals are followed to their fate, and the latency percentiles are what a sort of
// the latencies prints.
func TestModelWorkload(t *testing.T) {
	m := model.New(model.Info{Peers: 1})
	rng := rand.New(rand.NewPCG(1, 2))
	var want []time.Duration
	for i := 1; i <= 500; i++ {
		at := time.Duration(i) * time.Millisecond
		m.Apply(chaos.Event{Kind: chaos.EventPropose, At: at, Propose: &chaos.Proposal{Command: i, ProposeResult: chaos.ProposeResult{Index: i, OK: true}}})
		m.Apply(chaos.Event{Kind: chaos.EventPropose, At: at, Propose: &chaos.Proposal{Command: "kv", Source: "kv", ProposeResult: chaos.ProposeResult{Index: i, OK: true}}})
		lat := time.Duration(rng.IntN(3000)) * time.Microsecond
		cmd := interface{}(i)
		if i%50 == 0 {
			cmd = -1 // another command took the index
		} else {
			want = append(want, lat)
		}
		eff := m.Apply(chaos.Event{Kind: chaos.EventRaft, At: at + lat, Raft: &raftpb.Event{
			Kind: raftpb.EventApply, Index: i, LastIndex: i, Entries: []raftpb.Entry{{Term: 1, Command: cmd}}}})
		if len(eff.Settled) != 1 || eff.Settled[0].Committed != (i%50 != 0) || eff.Settled[0].Done != at+lat {
			t.Fatalf("apply %d settled %+v", i, eff.Settled)
		}
		if i%7 == 0 {
			sorted := slices.Sorted(slices.Values(want))
			if got, p50 := m.Workload().P50, sorted[len(sorted)/2]; chaos.FormatDuration(got) != chaos.FormatDuration(p50) {
				t.Fatalf("after %d: P50 = %v, want %v as printed", i, got, p50)
			}
		}
	}
	m.Apply(chaos.Event{Kind: chaos.EventPropose, Propose: &chaos.Proposal{Command: 0, ProposeResult: chaos.ProposeResult{Peer: -1}}})
	got := m.Workload()
	sorted := slices.Sorted(slices.Values(want))
	if got.Proposed != 500 || got.Committed != 490 || got.Lost != 10 || got.InFlight != 0 || got.Refused != 1 {
		t.Errorf("workload %+v, want 500 proposed: 490 committed, 10 lost, 0 in flight; 1 refused", got)
	}
	if p99 := sorted[len(sorted)*99/100]; chaos.FormatDuration(got.P99) != chaos.FormatDuration(p99) {
		t.Errorf("P99 = %v, want %v as printed", got.P99, p99)
	}
}

// A run's end that says it was interrupted makes its result neither a pass nor a
// failure, and says where the run stood; the step it was in stays running.
func TestInterruptedResult(t *testing.T) {
	steps := []model.StepState{{Text: "wait leader within 5s", Line: 2}, {Text: "crash leader", Line: 3}, {Text: "sleep 2s", Line: 4}}
	tests := []struct {
		name    string
		events  []chaos.Event
		verdict string
		where   string
	}{
		{"in a step", []chaos.Event{
			{Kind: chaos.EventStep, Line: 2, Text: "wait leader within 5s"},
			{Kind: chaos.EventStep, Line: 2, Outcome: chaos.StepDone},
			{Kind: chaos.EventStep, Line: 3, Text: "crash leader"},
			{Kind: chaos.EventStep, Line: 3, Outcome: chaos.StepDone},
			{Kind: chaos.EventStep, Line: 4, Text: "sleep 2s"},
			{Kind: chaos.EventEnd, End: &chaos.RunEnd{Interrupted: true}},
		}, "INTERRUPTED", "interrupted at step 3 of 3 (sleep 2s)"},
		{"between steps", []chaos.Event{
			{Kind: chaos.EventStep, Line: 2, Text: "wait leader within 5s"},
			{Kind: chaos.EventStep, Line: 2, Outcome: chaos.StepDone},
			{Kind: chaos.EventEnd, End: &chaos.RunEnd{Interrupted: true}},
		}, "INTERRUPTED", "interrupted after step 1 of 3 (wait leader within 5s)"},
		{"before the first step", []chaos.Event{
			{Kind: chaos.EventEnd, End: &chaos.RunEnd{Interrupted: true}},
		}, "INTERRUPTED", "interrupted before step 1 of 3"},
		{"after a failure", []chaos.Event{
			{Kind: chaos.EventStep, Line: 2, Text: "wait leader within 5s"},
			{Kind: chaos.EventViolation, Violation: &chaos.Violation{Checker: "election-safety", Message: "two leaders"}},
			{Kind: chaos.EventEnd, End: &chaos.RunEnd{Interrupted: true}},
		}, "FAIL", "interrupted at step 1 of 3 (wait leader within 5s)"},
		{"to the end", []chaos.Event{
			{Kind: chaos.EventStep, Line: 2, Text: "wait leader within 5s"},
			{Kind: chaos.EventEnd, End: &chaos.RunEnd{}},
		}, "PASS", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := model.New(model.Info{Name: "x", Peers: 3, Steps: steps})
			for i, e := range tt.events {
				e.Seq, e.Peer = uint64(i+1), -1
				m.Apply(e)
			}
			res := m.Result()
			if got := res.Verdict(); got != tt.verdict {
				t.Errorf("verdict %s, want %s", got, tt.verdict)
			}
			if res.Pass != (tt.verdict == "PASS") {
				t.Errorf("pass %v with verdict %s", res.Pass, tt.verdict)
			}
			where := ""
			if res.Interrupted != nil {
				where = res.Interrupted.String()
			}
			if where != tt.where {
				t.Errorf("interruption %q, want %q", where, tt.where)
			}
			st := m.State()
			if tt.where != "" && st.Current >= 0 && st.Steps[st.Current].Status == model.StepDone && !res.Interrupted.Finished {
				t.Errorf("the step the run was stopped in shows done")
			}
		})
	}
}

// The model follows a kv workload's clients: the operations pending (invoked, not yet
// ended), the last ones ended, the answers per second over the last second, and the
// latest linearizability check.
func TestKVClients(t *testing.T) {
	ms := time.Millisecond
	op := func(client, seq int, status string, call, ret time.Duration) *chaos.ClientOp {
		return &chaos.ClientOp{Client: client, Seq: seq, Op: "get", Key: "k0", Status: status, Call: call, Return: ret, Peer: -1}
	}
	m := model.New(model.Info{Peers: 3, KVRate: 50})
	var seq uint64
	apply := func(e chaos.Event) {
		seq++
		e.Seq, e.Peer = seq, -1
		m.Apply(e)
	}
	// Client 0 answers every 100ms for 2s; client 1 calls at 1.5s and waits.
	for i := range 20 {
		at := time.Duration(i) * 100 * ms
		apply(chaos.Event{Kind: chaos.EventCall, At: at, Client: op(0, i+1, chaos.ClientPending, at, 0)})
		if i == 15 {
			apply(chaos.Event{Kind: chaos.EventCall, At: at, Client: op(1, 1, chaos.ClientPending, at, 0)})
		}
		apply(chaos.Event{Kind: chaos.EventClient, At: at + 50*ms, Client: op(0, i+1, chaos.ClientOK, at, at+50*ms)})
	}
	c := m.State().Clients
	if c == nil {
		t.Fatal("no clients in the state")
	}
	if c.Pending != 1 || c.Oldest != 1500*ms {
		t.Errorf("pending %d, oldest %v; want 1 since 1.5s", c.Pending, c.Oldest)
	}
	if c.Answering < 9 || c.Answering > 11 {
		t.Errorf("answering %.1f/s, want about 10", c.Answering)
	}
	if c.Rate != 50 {
		t.Errorf("rate %g, want the workload's 50", c.Rate)
	}
	if len(c.Recent) != 8 || c.Recent[7].Seq != 20 {
		t.Errorf("recent: %d operations, the last %+v; want the last 8", len(c.Recent), c.Recent[len(c.Recent)-1])
	}
	if c.Check != nil {
		t.Errorf("a check before one ran: %+v", c.Check)
	}
	apply(chaos.Event{Kind: chaos.EventNote, At: 2 * time.Second, Text: "linearizability...", KV: &chaos.KVCheck{Outcome: "linearizable", Operations: 20}})
	if c := m.State().Clients; c.Check == nil || c.Check.Outcome != "linearizable" || c.CheckAt != 2*time.Second {
		t.Errorf("check %+v at %v", c.Check, c.CheckAt)
	}
	// A second later, nothing answered in the last second.
	apply(chaos.Event{Kind: chaos.EventClient, At: 3500 * ms, Client: op(1, 1, chaos.ClientTimeout, 1500*ms, 3500*ms)})
	if c := m.State().Clients; c.Answering != 0 || c.Pending != 0 {
		t.Errorf("after a quiet second: answering %.1f/s, pending %d; want 0 and 0", c.Answering, c.Pending)
	}
	// A clone keeps its own.
	cl := m.Clone()
	apply(chaos.Event{Kind: chaos.EventCall, At: 4 * time.Second, Client: op(2, 1, chaos.ClientPending, 4*time.Second, 0)})
	if cl.State().Clients.Pending != 0 || m.State().Clients.Pending != 1 {
		t.Errorf("the clone shares the pending operations")
	}
}

// A peer seen from outside (its raft events Sampled, as the live engine reports a course
// Raft) is shown from its sampled boots, roles and terms, and from what its service
// received: its log, commit and applies; its proposals settle when delivered.
func TestModelSampledPeer(t *testing.T) {
	m := model.New(model.Info{Peers: 2})
	seq := uint64(0)
	apply := func(at time.Duration, e chaos.Event) {
		seq++
		e.Seq, e.At = seq, at
		m.Apply(e)
	}
	raft := func(at time.Duration, r raftpb.Event) {
		apply(at, chaos.Event{Kind: chaos.EventRaft, Peer: r.Peer, Raft: &r, Sampled: true})
	}
	deliver := func(at time.Duration, p int, d chaos.Delivery) {
		apply(at, chaos.Event{Kind: chaos.EventDeliver, Peer: p, Deliver: &d})
	}
	for p := range 2 {
		raft(0, raftpb.Event{Kind: raftpb.EventBoot, Peer: p, Role: raftpb.Follower})
	}
	raft(time.Millisecond, raftpb.Event{Kind: raftpb.EventTerm, Peer: 0, Term: 1, Role: raftpb.Follower})
	raft(time.Millisecond, raftpb.Event{Kind: raftpb.EventRole, Peer: 0, Term: 1, Role: raftpb.Leader, Other: 0})
	raft(2*time.Millisecond, raftpb.Event{Kind: raftpb.EventTerm, Peer: 1, Term: 1, Role: raftpb.Follower})
	raft(2*time.Millisecond, raftpb.Event{Kind: raftpb.EventRole, Peer: 1, Term: 1, Role: raftpb.Follower, Other: 0})
	pr := chaos.Proposal{Command: "a", ProposeResult: chaos.ProposeResult{Peer: 0, Index: 1, Term: 1, OK: true}}
	apply(3*time.Millisecond, chaos.Event{Kind: chaos.EventPropose, Peer: 0, Propose: &pr})
	deliver(5*time.Millisecond, 0, chaos.Delivery{Index: 1, Command: "a"})
	deliver(6*time.Millisecond, 1, chaos.Delivery{Index: 1, Command: "a"})
	deliver(7*time.Millisecond, 1, chaos.Delivery{Index: 9, Term: 1, Snapshot: true})

	ps := m.Peers()
	for i, want := range []struct {
		role                       raftpb.Role
		leader, last, commit, snap int
	}{{raftpb.Leader, 0, 1, 1, 0}, {raftpb.Follower, 0, 9, 9, 9}} {
		p := ps[i]
		if !p.Sampled || p.State != chaos.Up || p.Role != want.role || p.Term != 1 || p.Leader != want.leader ||
			p.LastIndex != want.last || p.CommitIndex != want.commit || p.LastApplied != want.commit || p.SnapshotIndex != want.snap {
			t.Errorf("peer %d = %+v (sampled %v, %v), want sampled, up, %v of term 1 led by %d, last %d, commit and applied %d, snapshot %d",
				i, p.Status, p.Sampled, p.State, want.role, want.leader, want.last, want.commit, want.snap)
		}
	}
	if o := m.Observation(); func() bool { id, _ := o.Leader(); return id != 0 }() || o.CommitIndex() != 1 {
		id, term := o.Leader()
		t.Errorf("observation: leader %d (term %d), commit %d; want leader 0, commit 1 (both have it)", id, term, o.CommitIndex())
	}
	if w := m.Workload(); w.Committed != 1 || w.InFlight != 0 {
		t.Errorf("workload %+v, want the proposal committed", w)
	}
}
