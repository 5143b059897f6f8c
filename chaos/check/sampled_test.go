package check

import (
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// sampled emits r marked as made up from outside the peer (chaos.Event.Sampled), as the
// live engine reports a course Raft.
func (f foreign) sampled(r raft.Event) {
	f.add(chaos.Event{Kind: chaos.EventRaft, Peer: r.Peer, Raft: &r, Sampled: true})
}

// lead makes peer p leader of term t, as samples would show it.
func (f foreign) lead(p, t int) {
	f.sampled(raft.Event{Kind: raft.EventTerm, Peer: p, Term: t, PrevTerm: f.term[p], Role: raft.Follower})
	f.term[p] = t
	f.sampled(raft.Event{Kind: raft.EventRole, Peer: p, Term: t, Role: raft.Leader, Other: p})
}

// propose has peer p accept command cmd at index in term t.
func (f foreign) propose(p, index, t int, cmd string) {
	pr := chaos.Proposal{Command: cmd, ProposeResult: chaos.ProposeResult{Peer: p, Index: index, Term: t, OK: true}}
	f.add(chaos.Event{Kind: chaos.EventPropose, Peer: p, Propose: &pr})
}

// TestSampledPeers checks the checkers that work on peers seen from outside: roles and
// terms sampled (election-safety, term-monotonic, liveness) and deliveries (delivery,
// and the commits the liveness checker waits for), and that nothing else speaks up.
func TestSampledPeers(t *testing.T) {
	boot := func(f foreign, p, term, snap int) {
		f.sampled(raft.Event{Kind: raft.EventBoot, Peer: p, Term: term, Role: raft.Follower, Index: snap, LastIndex: snap})
		f.term[p] = term
	}
	tests := []struct {
		name string
		run  func(f foreign)
		want want
	}{
		{
			name: "a healthy run: a leader, commits seen through deliveries, a restart from a snapshot",
			run: func(f foreign) {
				for p := range 3 {
					boot(f, p, 0, 0)
				}
				f.lead(0, 1)
				for i := 1; i <= 20; i++ {
					f.propose(0, i, 1, "c"+string(rune('0'+i%10)))
					f.serve(i, i, 0, 1, 2)
					f.wait(100 * time.Millisecond)
				}
				f.fault(chaos.Fault{Kind: chaos.Crash, Peers: []int{2}})
				f.wait(time.Second)
				f.restart(2)
				boot(f, 2, 1, 10)
				f.serve(11, 20, 2)
				f.wait(time.Minute)
			},
		},
		{
			name: "two leaders of one term, sampled",
			run: func(f foreign) {
				f.lead(0, 2)
				f.lead(1, 2)
			},
			want: want{checker: ElectionSafety, peers: []int{0, 1}, terms: []int{2}},
		},
		{
			name: "a restart that forgot its term",
			run: func(f foreign) {
				f.lead(0, 3)
				f.fault(chaos.Fault{Kind: chaos.Crash, Peers: []int{0}})
				f.restart(0)
				boot(f, 0, 0, 0)
			},
			want: want{checker: TermMonotonic, peers: []int{0}, terms: []int{3, 0}},
		},
		{
			name: "a restart that resumes before its snapshot",
			run: func(f foreign) {
				f.serve(1, 8, 0)
				f.fault(chaos.Fault{Kind: chaos.Crash, Peers: []int{0}})
				f.restart(0)
				boot(f, 0, 0, 5)
				f.serve(3, 3, 0)
			},
			want: want{checker: Delivery, peers: []int{0}, indexes: []int{3, 5}},
		},
		{
			name: "a proposal that never commits under a steady leader",
			run: func(f foreign) {
				for p := range 3 {
					boot(f, p, 0, 0)
				}
				f.lead(0, 1)
				f.propose(0, 1, 1, "c1")
				f.serve(1, 1, 0, 1, 2)
				f.propose(0, 2, 1, "c2")
				f.wait(10 * time.Second)
			},
			want: want{checker: Liveness, peers: []int{0}, terms: []int{1}, indexes: []int{2}},
		},
		{
			name: "no leader at all",
			run: func(f foreign) {
				for p := range 3 {
					boot(f, p, 0, 0)
				}
				f.wait(10 * time.Second)
			},
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newForeign(3)
			tt.run(f)
			s := f.suite(t, Options{})
			s.Finish(f.at)
			expect(t, s, tt.want)
		})
	}
}
