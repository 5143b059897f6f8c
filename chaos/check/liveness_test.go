package check

import (
	"slices"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

const sec = time.Second

func TestLiveness(t *testing.T) {
	tests := []struct {
		name  string
		peers int // default 3
		run   func(f *fake)
		end   time.Duration // when the run ends (Finish)
		want  want
	}{
		{
			name: "no leader ever",
			run:  func(f *fake) {},
			end:  6 * sec,
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}},
		},
		{
			name: "leader in time",
			run: func(f *fake) {
				f.wait(4 * sec)
				f.elect(0, 1, 1)
			},
			end: 60 * sec,
		},
		{
			name: "no leader while partitioned, one soon after healing",
			run: func(f *fake) {
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0}, {1}, {2}}})
				f.wait(30 * sec)
				f.fault(chaos.Fault{Kind: chaos.Heal})
				f.wait(4 * sec)
				f.elect(1, 3, 2)
			},
			end: 60 * sec,
		},
		{
			name: "no leader within the bound after healing",
			run: func(f *fake) {
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0}, {1}, {2}}})
				f.wait(30 * sec)
				f.fault(chaos.Fault{Kind: chaos.Heal})
				f.wait(6 * sec)
				f.elect(1, 3, 2)
			},
			end:  60 * sec,
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}},
		},
		{
			name: "no leader on a lossy network",
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Loss, P: 0.5})
				f.wait(30 * sec)
			},
			end: 30 * sec,
		},
		{
			// Without CheckQuorum, a leader that reaches its followers but cannot hear
			// them keeps them from standing: Raft promises no progress then.
			name: "no leader is owed while a deposed leader still reaches the majority one way",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Cut, From: []int{1, 2}, To: []int{0}})
				f.wait(30 * sec)
			},
			end: 30 * sec,
		},
		{
			name: "a leader is owed once the one-way link is cut too",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Cut, From: []int{1, 2}, To: []int{0}})
				f.wait(30 * sec)
				f.fault(chaos.Fault{Kind: chaos.Cut, From: []int{0}, To: []int{1, 2}})
			},
			end:  40 * sec,
			want: want{checker: Liveness, peers: []int{1, 2}, terms: []int{1}},
		},
		{
			name: "a minority's stale leader is no leader",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
			},
			end:  10 * sec,
			want: want{checker: Liveness, peers: []int{1, 2}, terms: []int{1}},
		},
		{
			name: "new leader after the leader crashes",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.crash(0)
				f.wait(4 * sec)
				f.elect(1, 2, 2)
			},
			end: 30 * sec,
		},
		{
			name: "no new leader after the leader crashes",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.crash(0)
			},
			end:  10 * sec,
			want: want{checker: Liveness, peers: []int{1, 2}, terms: []int{1}},
		},
		{
			name: "paused majority, no bound",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.fault(chaos.Fault{Kind: chaos.Pause, Peers: []int{0, 1}})
				f.wait(30 * sec)
				f.fault(chaos.Fault{Kind: chaos.Resume, Peers: []int{0, 1}})
			},
			end: 31 * sec,
		},
		{
			name: "slow clocks on a majority, no bound",
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Skew, Peers: []int{0, 1}, Rate: 0.1})
				f.wait(30 * sec)
			},
			end: 30 * sec,
		},
		{
			name:  "bridged network: each side and the middle are a connected majority",
			peers: 5,
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{0, 1}, {2}, {3, 4}}})
				f.wait(3 * sec)
				f.elect(2, 1, 0, 1)
			},
			end: 30 * sec,
		},
		{
			name: "proposal committed in time",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.propose(0, "a")
				f.wait(4 * sec)
				f.send(0, 0, 1)
				f.commitTo(0, 1)
			},
			end: 30 * sec,
		},
		{
			name: "proposal never committed",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.wait(sec)
				f.propose(0, "a")
				f.send(0, 0, 1)
			},
			end:  30 * sec,
			want: want{checker: Liveness, peers: []int{0}, terms: []int{1}, indexes: []int{1}},
		},
		{
			name: "proposal lost with its leader",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.propose(0, "a")
				f.wait(sec)
				f.elect(1, 2, 2)
				f.wait(sec)
				f.propose(1, "b")
				f.send(1, 0, 0, 2)
				f.commitTo(1, 1)
			},
			end: 30 * sec,
		},
		{
			name: "proposal made during a partition",
			run: func(f *fake) {
				f.elect(0, 1, 1, 2)
				f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
				f.propose(0, "a")
				f.wait(sec)
				f.elect(1, 2, 2)
			},
			end: 30 * sec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(max(tt.peers, 3))
			tt.run(f)
			s := f.suite(t, Options{})
			s.Finish(tt.end)
			expect(t, s, tt.want)
		})
	}
}

// TestLivenessAdvance checks that the bounds fire from Advance when no event comes, at
// the time the bound passed, and that the violation names the bound's end.
func TestLivenessAdvance(t *testing.T) {
	f := newFake(3)
	f.elect(0, 1, 1, 2)
	f.wait(2 * sec)
	f.crash(0)
	crashed := f.at - time.Microsecond
	s := f.suite(t, Options{LeaderBound: 3 * sec})
	s.Advance(crashed + 3*sec)
	if v := s.First(); v != nil {
		t.Fatalf("at the bound: got %v, want nothing yet", v)
	}
	s.Advance(crashed + 3*sec + time.Millisecond)
	v := s.First()
	if v == nil || v.Checker != Liveness {
		t.Fatalf("after the bound: got %v, want a liveness violation", v)
	}
	if v.At != crashed+3*sec {
		t.Errorf("violation At = %v, want the bound's end %v", v.At, crashed+3*sec)
	}
	if st := s.Stats(); st.Elections != 1 || st.MaxTerm != 1 || st.Faults != 1 {
		t.Errorf("stats = %+v, want 1 election, max term 1, 1 fault", st)
	}
}

// TestLivenessStats checks the recovery figures: the longest leaderless stretch while a
// majority could talk, and the longest commit wait.
func TestLivenessStats(t *testing.T) {
	f := newFake(3)
	f.wait(300 * time.Millisecond)
	f.elect(0, 1, 1, 2)
	f.propose(0, "a")
	f.wait(40 * time.Millisecond)
	f.send(0, 0, 1)
	f.commitTo(0, 1)
	f.wait(sec)
	f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}}) // leader lost: clock starts
	f.wait(700 * time.Millisecond)
	f.elect(1, 2, 2)
	s := f.suite(t, Options{})
	s.Finish(f.at + sec)
	clean(t, s)
	st := s.Stats()
	if d := st.LongestLeaderless; d < 700*time.Millisecond || d > 710*time.Millisecond {
		t.Errorf("LongestLeaderless = %v, want about 700ms", d)
	}
	if d := st.MaxCommitWait; d < 40*time.Millisecond || d > 41*time.Millisecond {
		t.Errorf("MaxCommitWait = %v, want about 40ms", d)
	}
	if st.Proposals != 1 || st.Committed != 1 || st.Elections != 2 || st.CommitIndex != 1 {
		t.Errorf("stats = %+v, want 1 proposal committed, 2 elections, commit index 1", st)
	}
}

func TestLivenessInitialState(t *testing.T) {
	// Attached while peer 0 leads and 2 is crashed: quiet, no false alarm.
	initial := []chaos.PeerStatus{
		{Status: raft.Status{Role: raft.Leader, Term: 4}, State: chaos.Up},
		{Status: raft.Status{Role: raft.Follower, Term: 4}, State: chaos.Up},
		{Status: raft.Status{Role: raft.Follower, Term: 3}, State: chaos.Crashed},
	}
	s, err := New(3, Options{Initial: initial})
	if err != nil {
		t.Fatal(err)
	}
	s.Advance(100 * sec)
	s.Advance(200 * sec)
	s.Finish(300 * sec)
	clean(t, s)

	// The same with the network cut: 0 is isolated, so nobody can lead.
	net := chaos.NewNetState(3)
	net.Apply(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
	s, err = New(3, Options{Initial: initial, Network: &net})
	if err != nil {
		t.Fatal(err)
	}
	s.Finish(300 * sec)
	clean(t, s)
}

func TestBigCliques(t *testing.T) {
	full := func(n int) []uint64 {
		adj := make([]uint64, n)
		for a := range n {
			for b := range n {
				if a != b {
					adj[a] |= 1 << b
				}
			}
		}
		return adj
	}
	cut := func(adj []uint64, a, b int) []uint64 {
		adj[a] &^= 1 << b
		adj[b] &^= 1 << a
		return adj
	}
	tests := []struct {
		name string
		adj  []uint64
		cand uint64
		k    int
		want uint64
	}{
		{"all connected", full(5), 0b11111, 3, 0b11111},
		{"one peer", full(1), 0b1, 1, 0b1},
		{"down to a minority", full(5), 0b00011, 3, 0},
		{"bridge", cut(cut(cut(cut(full(5), 0, 3), 0, 4), 1, 3), 1, 4), 0b11111, 3, 0b11111},
		{"ring of four: no triangle", cut(cut(full(4), 0, 2), 1, 3), 0b1111, 3, 0},
		{"isolated peer left out", cut(cut(full(3), 0, 1), 0, 2), 0b111, 2, 0b110},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bigCliques(tt.adj, tt.cand, tt.k); got != tt.want {
				t.Errorf("bigCliques = %b, want %b", got, tt.want)
			}
		})
	}
}

// churn plays leaders that each take a proposal and fall before committing it: for terms
// terms after the highest term so far, peer term mod n leads for each, with the votes of
// everyone else, proposes, and replicates to nobody.
func churn(f *fake, terms int, each time.Duration) {
	n := len(f.term)
	from := slices.Max(f.term) + 1
	for k := from; k < from+terms; k++ {
		l := (k - 1) % n
		var voters []int
		for p := range n {
			if p != l {
				voters = append(voters, p)
			}
		}
		f.elect(l, k, voters...)
		f.propose(l, k)
		f.wait(each)
	}
}

func TestLivenessStricter(t *testing.T) {
	tests := []struct {
		name  string
		peers int // default 3
		run   func(f *fake)
		end   time.Duration
		want  want
	}{
		{
			name: "leaders keep changing and nothing commits",
			run:  func(f *fake) { churn(f, 8, sec) },
			end:  8 * sec,
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{1, 5}, indexes: []int{0, 1}},
		},
		{
			name: "leaders keep changing and commits come now and then",
			run: func(f *fake) {
				for range 4 {
					churn(f, 3, sec)
					l := len(f.term) - 1
					f.send(l, 0, 0, 1)
					f.commitTo(l, len(f.log[l]))
				}
			},
			end: 13 * sec,
		},
		{
			name: "proposals lost with their leaders, then none",
			run: func(f *fake) {
				churn(f, 3, sec)
				f.elect(0, 4, 1, 2)
				f.wait(30 * sec)
			},
			end: 40 * sec,
		},
		{
			name: "a partition in between starts the account afresh",
			run: func(f *fake) {
				churn(f, 4, sec)
				f.fault(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0}, {1}, {2}}})
				f.wait(sec)
				f.fault(chaos.Fault{Kind: chaos.Heal})
				churn(f, 4, sec)
			},
			end: 9 * sec,
		},
		{
			// A bridge inside the majority: the peers on either side miss the leader on the
			// other side and depose it; only the old rules apply.
			name:  "leaders keep changing across a bridge",
			peers: 5,
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{0, 1}, {2}, {3, 4}}})
				churn(f, 10, 900*time.Millisecond)
			},
			end: 9 * sec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(max(tt.peers, 3))
			tt.run(f)
			s := f.suite(t, Options{})
			s.Finish(tt.end)
			expect(t, s, tt.want)
		})
	}
}

// TestLivenessBridgeLivelock checks the excuse for a peer outside the majority that
// raises its term through the peer bridging it to the majority: Raft without PreVote
// owes no leader then; with PreVote, the outsider cannot raise its term, and a leader is
// owed again.
func TestLivenessBridgeLivelock(t *testing.T) {
	bridge := chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{3}, {2}, {0, 1}}}
	tests := []struct {
		name    string
		preVote bool
		leader  bool // peer 3 leads term 1 when the bridge forms
		more    []chaos.Fault
		want    want
	}{
		{name: "without PreVote"},
		{
			// With PreVote (and without CheckQuorum), peer 2 hears the stale leader and
			// refuses the pre-votes peers 0 and 1 need.
			name: "with PreVote and a stale leader outside", preVote: true, leader: true,
		},
		{
			name: "with PreVote and a stale leader outside, until it crashes", preVote: true, leader: true,
			more: []chaos.Fault{{Kind: chaos.Crash, Peers: []int{3}}},
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{1}},
		},
		{name: "with PreVote", preVote: true, want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}}},
		{name: "outsider crashed", more: []chaos.Fault{{Kind: chaos.Crash, Peers: []int{3}}}, want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}}},
		{
			// A slow peer that hears every peer of the majority hears any leader: it does
			// not time out, so it disturbs nothing.
			name: "a slow outsider that hears everyone",
			more: []chaos.Fault{{Kind: chaos.Heal}, {Kind: chaos.Skew, Peers: []int{3}, Rate: 0.1}},
			want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(4)
			if tt.preVote {
				f.emit(raft.Event{Kind: raft.EventVote, Peer: 0, Other: 1, Index: 1, PreVote: true})
			}
			if tt.leader {
				f.elect(3, 1, 0, 1, 2)
			}
			f.fault(bridge)
			for _, fl := range tt.more {
				f.fault(fl)
			}
			s := f.suite(t, Options{})
			s.Finish(30 * sec)
			expect(t, s, tt.want)
		})
	}
}

// TestLivenessMuteOutsider checks the excuse for a peer outside the majority that hears
// all of it but is heard by only part of it (a one-way cut from it): without PreVote it
// raises its term through the peers it reaches and takes their votes, so Raft owes no
// leader; with PreVote it cannot gather a majority of pre-votes, and a leader is owed.
// The shape of fuzz seed 501569, shrunk (see liveness).
func TestLivenessMuteOutsider(t *testing.T) {
	mute := chaos.Fault{Kind: chaos.Cut, From: []int{3}, To: []int{1, 2}}
	tests := []struct {
		name    string
		preVote bool
		more    []chaos.Fault
		want    want
	}{
		{name: "without PreVote"},
		{name: "with PreVote", preVote: true, want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}}},
		{name: "outsider crashed", more: []chaos.Fault{{Kind: chaos.Crash, Peers: []int{3}}}, want: want{checker: Liveness, peers: []int{0, 1, 2}, terms: []int{0}}},
		{name: "healed", more: []chaos.Fault{{Kind: chaos.Heal}}, want: want{checker: Liveness, peers: []int{0, 1, 2, 3}, terms: []int{0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(4)
			if tt.preVote {
				f.emit(raft.Event{Kind: raft.EventVote, Peer: 0, Other: 1, Index: 1, PreVote: true})
			}
			f.fault(mute)
			for _, fl := range tt.more {
				f.fault(fl)
			}
			s := f.suite(t, Options{})
			s.Finish(30 * sec)
			expect(t, s, tt.want)
		})
	}
}

func TestLivenessCandidate(t *testing.T) {
	// Peer 1 stands for term 2; peer 0 wins it with peer 2's vote.
	split := func(f *fake) {
		f.campaign(1, 2)
		f.elect(0, 2, 2)
	}
	tests := []struct {
		name string
		run  func(f *fake)
		want want
	}{
		{
			name: "the candidate ignores the leader",
			run:  func(f *fake) { split(f); f.wait(300 * time.Millisecond) },
			want: want{checker: Liveness, peers: []int{1, 0}, terms: []int{2, 2}},
		},
		{
			name: "a pre-candidate of an earlier term ignores the leader",
			run: func(f *fake) {
				f.role[1] = raft.PreCandidate
				f.emit(raft.Event{Kind: raft.EventRole, Peer: 1, Other: raft.None})
				f.elect(0, 2, 2)
				f.wait(300 * time.Millisecond)
			},
			want: want{checker: Liveness, peers: []int{1, 0}, terms: []int{0, 2}},
		},
		{
			name: "the candidate follows the leader",
			run:  func(f *fake) { split(f); f.wait(2 * time.Millisecond); f.send(0, 0, 1); f.wait(sec) },
		},
		{
			name: "the candidate moves on to the next term before the leader reaches it",
			run:  func(f *fake) { split(f); f.wait(time.Millisecond); f.campaign(1, 3); f.wait(sec) },
		},
		{
			name: "a fault in between",
			run: func(f *fake) {
				split(f)
				f.fault(chaos.Fault{Kind: chaos.Loss, P: 0.1})
				f.wait(sec)
			},
		},
		{
			name: "the leader cannot reach the candidate",
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Cut, From: []int{0}, To: []int{1}})
				split(f)
				f.wait(sec)
			},
		},
		{
			name: "the candidate is paused",
			run: func(f *fake) {
				f.fault(chaos.Fault{Kind: chaos.Pause, Peers: []int{1}})
				split(f)
				f.wait(sec)
			},
		},
		{
			name: "a candidate of a later term",
			run:  func(f *fake) { f.campaign(1, 3); f.elect(0, 2, 2); f.wait(sec) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(3)
			tt.run(f)
			s := f.suite(t, Options{})
			s.Finish(f.at)
			expect(t, s, tt.want)
		})
	}
}
