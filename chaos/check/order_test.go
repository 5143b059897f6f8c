package check

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

func TestOrderViolations(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
		want want
		also []string
	}{
		{
			name: "term lost at restart",
			run: func() *fake {
				f := steady(3)
				f.setTerm(1, 3)
				f.crash(1)
				f.term[1] = 2 // the persisted term was 2
				f.restart(1)
				return f
			},
			want: want{checker: TermMonotonic, peers: []int{1}, terms: []int{3, 2}},
		},
		{
			name: "term falls within a life",
			run: func() *fake {
				f := steady(3)
				f.setTerm(2, 4)
				f.raw(raft.Event{Kind: raft.EventVote, Peer: 2, Term: 3, Other: 1, Index: 3})
				return f
			},
			want: want{checker: TermMonotonic, peers: []int{2}, terms: []int{4, 3}},
		},
		{
			name: "commitIndex falls",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.send(0, 0, 1)
				f.commitTo(0, 3)
				f.send(0, 0, 1)
				f.emit(raft.Event{Kind: raft.EventCommit, Peer: 1, Index: 3, LastIndex: 3})
				return f
			},
			want: want{checker: IndexMonotonic, peers: []int{1}, indexes: []int{3, 2}},
		},
		{
			name: "lastApplied falls",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.commitTo(0, 2)
				f.apply(0)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 0, Index: 1, LastIndex: 1, Entries: f.log[0][:1]})
				return f
			},
			want: want{checker: IndexMonotonic, peers: []int{0}, indexes: []int{2, 1}},
			also: []string{ApplyOrder},
		},
		{
			name: "installed snapshot takes lastApplied back",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.send(0, 0, 1)
				f.commitTo(0, 3)
				f.send(0, 0, 1)
				f.apply(0, 1)
				f.emit(raft.Event{Kind: raft.EventInstallSnapshot, Peer: 1, LastIndex: 2, PrevTerm: 1, Other: 0})
				return f
			},
			want: want{checker: IndexMonotonic, peers: []int{1}, indexes: []int{3, 2}},
		},
		{
			name: "apply skips an index",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.commitTo(0, 3)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 0, Index: 3, LastIndex: 3, Entries: f.log[0][2:3]})
				return f
			},
			want: want{checker: ApplyOrder, peers: []int{0}, indexes: []int{2, 2}},
		},
		{
			name: "apply repeats an index",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.commitTo(0, 3)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 0, Index: 1, LastIndex: 3, Entries: f.log[0][0:3]})
				return f
			},
			want: want{checker: ApplyOrder, peers: []int{0}, indexes: []int{1, 1}},
		},
		{
			name: "apply beyond commitIndex",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.commitTo(0, 2)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 0, Index: 2, LastIndex: 3, Entries: f.log[0][1:3]})
				return f
			},
			want: want{checker: ApplyOrder, peers: []int{0}, indexes: []int{3, 3}},
		},
		{
			name: "apply after a restart does not resume after the snapshot",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c", "d")
				f.send(0, 0, 1)
				f.commitTo(0, 4)
				f.send(0, 0, 1)
				f.apply(1)
				f.snapshot(1, 2)
				f.crash(1)
				f.restart(1)
				f.commitTo(1, 4)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 1, Index: 4, LastIndex: 4, Entries: f.log[1][3:4]})
				return f
			},
			want: want{checker: ApplyOrder, peers: []int{1}, indexes: []int{3, 3}},
		},
		{
			name: "apply after an installed snapshot repeats its last entry",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b", "c")
				f.commitTo(0, 3)
				f.apply(0)
				f.snapshot(0, 3)
				f.install(0, 2)
				f.emit(raft.Event{Kind: raft.EventApply, Peer: 2, Index: 3, LastIndex: 3, Entries: f.log[2][2:3]})
				return f
			},
			want: want{checker: ApplyOrder, peers: []int{2}, indexes: []int{3, 3}},
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

func TestEventStreamViolations(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
		want want
	}{
		{
			name: "append past the end of the log",
			run: func() *fake {
				f := steady(3)
				f.emit(raft.Event{Kind: raft.EventAppend, Peer: 1, Index: 3, LastIndex: 3, Entries: []raft.Entry{{Term: 1, Command: "x"}}, Other: 0})
				return f
			},
			want: want{checker: EventStream, peers: []int{1}, indexes: []int{3, 1}},
		},
		{
			name: "append without its entries",
			run: func() *fake {
				f := steady(3)
				f.emit(raft.Event{Kind: raft.EventAppend, Peer: 1, Index: 2, LastIndex: 3, Entries: []raft.Entry{{Term: 1, Command: "x"}}, Other: 0})
				return f
			},
			want: want{checker: EventStream, peers: []int{1}, indexes: []int{2, 3}},
		},
		{
			name: "truncate beyond the log",
			run: func() *fake {
				f := steady(3)
				f.emit(raft.Event{Kind: raft.EventTruncate, Peer: 2, Index: 2, LastIndex: 4, Other: 0})
				return f
			},
			want: want{checker: EventStream, peers: []int{2}, indexes: []int{2, 4}},
		},
		{
			name: "no such peer",
			run: func() *fake {
				f := steady(3)
				f.raw(raft.Event{Kind: raft.EventRole, Peer: 3, Term: 1, Role: raft.Leader})
				return f
			},
			want: want{checker: EventStream, peers: []int{3}},
		},
		{
			name: "invalid fault",
			run: func() *fake {
				f := steady(3)
				f.crash(5)
				return f
			},
			want: want{checker: EventStream, peers: []int{5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.run()
			s := f.suite(t, Options{})
			s.Finish(f.at)
			expect(t, s, tt.want)
		})
	}
}

// TestAttachedLate checks a Suite attached to a running cluster: what it did not see is
// unknown, so the first events after attaching (appends far into the log, commits and
// applies from the middle, a leader it never saw elected) raise nothing, and what follows
// is checked as usual.
func TestAttachedLate(t *testing.T) {
	f := steady(3)
	f.propose(0, "b", "c", "d")
	f.send(0, 0, 1, 2)
	f.commitTo(0, 4)
	f.send(0, 0, 1, 2)
	f.apply(0, 1, 2)
	f.snapshot(0, 3)
	seen := len(f.events)
	f.propose(0, "e")
	f.send(0, 0, 1)
	f.commitTo(0, 5)
	f.send(0, 0, 1, 2)
	f.apply(0, 1, 2)
	f.elect(1, 2, 2)
	f.propose(1, "f")
	f.send(1, 0, 0, 2)
	f.commitTo(1, 6)
	f.send(1, 0, 0, 2)
	f.apply(0, 1, 2)

	initial := make([]chaos.PeerStatus, 3)
	for p := range initial {
		initial[p].Role, initial[p].Term, initial[p].State = f.role[p], 1, chaos.Up
	}
	initial[0].Role = raft.Leader
	s, err := New(3, Options{Initial: initial})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.events[seen:] {
		s.Observe(e)
	}
	s.Finish(f.at)
	clean(t, s)

	// Then a violation is still caught: peer 2 skips an index.
	s.Observe(chaos.Event{Seq: uint64(len(f.events) + 1), At: f.at, Kind: chaos.EventRaft, Peer: 2,
		Raft: &raft.Event{Kind: raft.EventApply, Peer: 2, Term: 2, Index: 8, LastIndex: 8, Entries: []raft.Entry{{Term: 2, Command: "h"}}}})
	expect(t, s, want{checker: ApplyOrder, peers: []int{2}, indexes: []int{7, 7}})
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name  string
		peers int
		opts  Options
	}{
		{"no peers", 0, Options{}},
		{"too many peers", MaxPeers + 1, Options{}},
		{"negative bound", 3, Options{LeaderBound: -1}},
		{"unknown checker", 3, Options{Skip: []string{"leader-safety"}}},
		{"statuses for another cluster", 3, Options{Initial: make([]chaos.PeerStatus, 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.peers, tt.opts); err == nil {
				t.Fatalf("New(%d, %+v) = nil error, want one", tt.peers, tt.opts)
			} else {
				t.Log(err)
			}
		})
	}
}

// TestGarbageStream feeds nonsense (bad peers, negative and huge indexes, empty and
// mismatched entries, faults for peers that do not exist) and checks the Suite neither
// panics nor grows without bound: bad input is reported, never fatal.
func TestGarbageStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s *Suite
	reported := 0
	num := func() int {
		switch rng.IntN(4) {
		case 0:
			return rng.IntN(7) - 2
		case 1:
			return rng.IntN(1 << 30)
		}
		return rng.IntN(20)
	}
	kinds := []raft.EventKind{raft.EventBoot, raft.EventRole, raft.EventTerm, raft.EventVote, raft.EventAppend,
		raft.EventTruncate, raft.EventCommit, raft.EventApply, raft.EventSnapshot, raft.EventInstallSnapshot, 99}
	for k := range 200_000 {
		if k%500 == 0 { // a fresh Suite now and then, so no checker stays stopped
			if s != nil {
				s.Finish(time.Hour)
				reported += len(s.Violations())
				if n := len(s.slots.s); n > 2*maxGap {
					t.Fatalf("the Suite holds %d indexes after nonsense, want a bounded window", n)
				}
			}
			var err error
			if s, err = New(3, Options{}); err != nil {
				t.Fatal(err)
			}
		}
		e := chaos.Event{Seq: uint64(k + 1), At: time.Duration(k) * time.Millisecond, Kind: chaos.EventRaft}
		switch rng.IntN(10) {
		case 0:
			f := chaos.Fault{Kind: chaos.FaultKind(rng.IntN(17)), Peers: []int{num()}, Groups: [][]int{{num()}, {num()}, {num()}}}
			e.Kind, e.Fault = chaos.EventFault, &f
		case 1:
			e.Kind, e.Propose = chaos.EventPropose, &chaos.Proposal{ProposeResult: chaos.ProposeResult{Peer: num(), Index: num(), Term: num(), OK: true}}
		case 2:
			e.Kind = chaos.EventRaft // without content
		default:
			r := &raft.Event{Kind: kinds[rng.IntN(len(kinds))], Peer: rng.IntN(4) - rng.IntN(2), Term: num(), Role: raft.Role(rng.IntN(5)),
				Other: num(), Index: num(), LastIndex: num(), PrevTerm: num()}
			for range rng.IntN(4) {
				r.Entries = append(r.Entries, raft.Entry{Term: num(), Command: []int{num()}})
			}
			if rng.IntN(2) == 0 && r.Kind == raft.EventAppend {
				r.LastIndex = r.Index + len(r.Entries) - 1
			}
			e.Raft = r
		}
		s.Observe(e)
		if k%1000 == 0 {
			s.Advance(e.At)
		}
	}
	if reported < 400 {
		t.Errorf("nonsense raised %d violations in 400 suites, want at least one each", reported)
	}
}
