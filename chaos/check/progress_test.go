package check

import (
	"testing"

	"github.com/miniraft/miniraft/raft"
)

// tracking is a run on 3 peers with the leaders' progress events: peer 0 leads term 1
// and has replicated "a" and "b" to peers 1 and 2.
func tracking() *fake {
	f := newFake(3)
	f.progress = true
	f.elect(0, 1, 1, 2)
	f.propose(0, "a", "b")
	f.send(0, 0, 1, 2)
	f.commitTo(0, 2)
	return f
}

// progress makes leader l report follower p's match and next as they are.
func (f *fake) progressOf(l, p, match, next int) {
	f.emit(raft.Event{Kind: raft.EventProgress, Peer: l, Other: p, Index: match, LastIndex: next})
}

func TestProgressViolations(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
		want want
		also []string
	}{
		{
			name: "match goes back within a leadership",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 1, 1, 2)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 1}, terms: []int{1}, indexes: []int{2, 1}},
		},
		{
			name: "next not above match",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 2, 2, 2)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{1}, indexes: []int{2, 2}},
		},
		{
			name: "match beyond the leader's log",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 2, 3, 4)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{1}, indexes: []int{3, 2}},
		},
		{
			name: "next beyond the leader's log",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 2, 2, 7)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{1}, indexes: []int{7, 2}},
		},
		{
			name: "match beyond the follower's log",
			run: func() *fake {
				f := tracking()
				f.propose(0, "c")
				f.send(0, 0, 1)
				f.progressOf(0, 2, 3, 4)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{1}, indexes: []int{3, 2}},
		},
		{
			// The planted bug: a leader re-elected keeps its earlier leadership's match
			// indexes, for a follower that has not even reached the new term.
			name: "a new leadership keeps the old match, follower in an earlier term",
			run: func() *fake {
				f := tracking()
				f.setTerm(0, 2)
				f.elect(0, 3, 1)
				f.progressOf(0, 2, 2, 3)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{3, 1}, indexes: []int{2}},
		},
		{
			// The same bug, harmful: meanwhile a leader of term 2 rewrote the follower's
			// log, and the old leader, re-elected, counts the follower for an entry it
			// no longer holds.
			name: "a new leadership keeps the old match, follower's log rewritten",
			run: func() *fake {
				f := newFake(5)
				f.progress = true
				f.elect(0, 1, 1, 2, 3, 4)
				f.propose(0, "a", "b")
				f.send(0, 0, 1, 2, 3, 4)
				f.propose(0, "c")
				f.send(0, 0, 2)     // 0's match for 2 is 3: "c" of term 1
				f.elect(1, 2, 3, 4) // 1 never got "c"
				f.propose(1, "x")
				f.send(1, 0, 2)     // 2 drops "c" for "x" of term 2
				f.elect(0, 3, 3, 4) // 0's log is the longest of term 1
				f.setTerm(2, 3)     // 0's first AppendEntries reaches 2
				f.progressOf(0, 2, 3, 4)
				return f
			},
			want: want{checker: Progress, peers: []int{0, 2}, terms: []int{3, 1, 2}, indexes: []int{3}},
		},
		{
			name: "progress of no peer",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 5, 1, 2)
				return f
			},
			want: want{checker: EventStream, peers: []int{0, 5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.run()
			s := f.suite(t, Options{})
			s.Finish(f.at)
			expect(t, s, tt.want, tt.also...)
		})
	}
}

func TestProgressClean(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
	}{
		{
			name: "a leader's leadership, a follower catching up by snapshot, the next leader",
			run: func() *fake {
				f := tracking()
				f.propose(0, "c", "d")
				f.send(0, 0, 1)
				f.commitTo(0, 4)
				f.apply(0)
				f.snapshot(0, 4)
				f.install(0, 2)
				f.progressOf(0, 2, 4, 5) // a probe setting next back, match kept
				f.elect(1, 2, 2)
				f.propose(1, "e")
				f.send(1, 0, 0, 2)
				return f
			},
		},
		{
			// A late answer raises an old leader's match after the follower has moved on
			// and a newer leader rewrote its log: legal, and not judged.
			name: "a late answer from a follower now in a later term",
			run: func() *fake {
				f := tracking()
				f.propose(0, "c")
				f.send(0, 0, 1)
				f.campaign(2, 2, 1) // 2 has no "c": 1 votes for it anyway in this story
				f.win(2)
				f.send(2, 0, 1) // 1 drops "c" for term 2's log
				f.progressOf(0, 1, 3, 4)
				return f
			},
		},
		{
			name: "a re-elected leader starting from 0",
			run: func() *fake {
				f := tracking()
				f.setTerm(0, 2)
				f.elect(0, 3, 1)
				f.send(0, 0, 1, 2)
				return f
			},
		},
		{
			name: "a leader's own progress",
			run: func() *fake {
				f := tracking()
				f.progressOf(0, 0, 2, 3)
				return f
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.run()
			s := f.suite(t, Options{})
			s.Finish(f.at)
			clean(t, s)
		})
	}
}
