package check

import (
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// steady returns n peers where peer 0 leads term 1 and entry 1 ("a") is committed and
// applied everywhere.
func steady(n int) *fake {
	f := newFake(n)
	var others []int
	for p := 1; p < n; p++ {
		others = append(others, p)
	}
	f.elect(0, 1, others...)
	f.propose(0, "a")
	f.send(0, 0, others...)
	f.commitTo(0, 1)
	f.send(0, 0, others...)
	f.apply(append([]int{0}, others...)...)
	return f
}

// figure8 plays Figure 8 of the Raft paper on 5 peers (S1..S5 are 0..4), up to (c): S1,
// leader of term 4, has replicated its entry 2 of term 2 to a majority. If commitOld, S1
// then (wrongly) commits it by counting replicas of an entry from an older term.
func figure8(commitOld bool) *fake {
	f := newFake(5)
	f.elect(0, 1, 1, 2, 3, 4)
	f.propose(0, "x")
	f.send(0, 0, 1, 2, 3, 4)
	f.commitTo(0, 1)
	f.send(0, 0, 1, 2, 3, 4)
	// (a) S1 leads term 2 and replicates entry 2 to S2 only.
	f.elect(0, 2, 1, 2)
	f.propose(0, "y")
	f.send(0, 0, 1)
	// (b) S1 crashes; S5 leads term 3 (votes of S3, S4) and takes a different entry 2.
	f.crash(0)
	f.elect(4, 3, 2, 3)
	f.propose(4, "z")
	// (c) S5 crashes; S1 restarts, leads term 4 and replicates entry 2 to S3.
	f.crash(4)
	f.restart(0)
	f.elect(0, 4, 1, 2)
	f.send(0, 0, 2)
	if commitOld {
		f.commitTo(0, 2) // the bug: entry 2 is from term 2, not the current term
	}
	f.propose(0, "w")
	// (d) S1 crashes; S5 restarts and leads term 5 (votes of S2, S3, S4: its last term 3
	// beats their 2), then overwrites entry 2 everywhere and commits a term-5 entry.
	f.crash(0)
	f.restart(4)
	f.elect(4, 5, 1, 2, 3)
	f.propose(4, "v")
	f.send(4, 0, 1, 2, 3)
	f.commitTo(4, 3)
	f.send(4, 0, 1, 2, 3)
	f.apply(1, 2, 3, 4)
	return f
}

// staleLeader plays a legal run on 5 peers where a peer wins an old term after an entry
// it lacks was committed in a later one, and then makes a stale follower drop its copy of
// that entry: peer 2 collects votes for term 2 from 1 and 3 (whose logs are as empty as
// its own) while peer 0 goes on to lead term 3 and commit entries 1 and 2; the votes'
// replies arrive late, so peer 2 leads term 2 and overwrites entry 1 on peer 4, which
// never left term 1.
func staleLeader() *fake {
	f := newFake(5)
	f.elect(0, 1)
	f.propose(0, "a")
	f.send(0, 0, 4)
	f.campaign(2, 2, 1, 3)
	f.elect(0, 3, 1, 3)
	f.send(0, 0, 1, 3)
	f.propose(0, "b")
	f.send(0, 0, 1, 3)
	f.commitTo(0, 2)
	f.win(2) // leader of term 2, with an empty log
	f.propose(2, "c")
	f.send(2, 0, 4)
	return f
}

func TestSafetyLegal(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
	}{
		{"steady", func() *fake { return steady(3) }},
		{"figure 8, entry of term 2 overwritten", func() *fake { return figure8(false) }},
		{"stale leader of an older term", staleLeader},
		{"partitioned stale leader while a newer leader commits", func() *fake {
			f := steady(5)
			f.fault(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {2, 3, 4}}})
			f.propose(0, "lost")
			f.send(0, 0, 1)
			f.elect(2, 2, 3, 4)
			f.propose(2, "kept")
			f.send(2, 0, 3, 4)
			f.commitTo(2, 2)
			f.send(2, 0, 3, 4)
			f.apply(2, 3, 4)
			f.fault(chaos.Fault{Kind: chaos.Heal})
			f.send(2, 0, 0, 1) // 0 and 1 drop "lost" for "kept"
			f.apply(0, 1)
			return f
		}},
		{"leader overwrites an uncommitted entry of an old term", func() *fake {
			f := steady(3)
			f.propose(0, "b") // only on 0
			f.elect(1, 2, 2)
			f.propose(1, "c")
			f.send(1, 0, 0, 2)
			f.commitTo(1, 2)
			f.send(1, 0, 0, 2)
			f.apply(0, 1, 2)
			return f
		}},
		{"restarts resume after the snapshot", func() *fake {
			f := steady(3)
			f.propose(0, "b", "c")
			f.send(0, 0, 1, 2)
			f.commitTo(0, 3)
			f.send(0, 0, 1, 2)
			f.apply(0, 1, 2)
			f.snapshot(1, 2)
			f.crash(1)
			f.restart(1)
			f.send(0, 0, 1)
			f.apply(1)
			f.crash(0, 1, 2)
			f.restart(0, 1, 2)
			f.elect(2, 2, 1)
			f.propose(2, "d")
			f.send(2, 0, 0, 1)
			f.commitTo(2, 4)
			f.send(2, 0, 0, 1)
			f.apply(0, 1, 2)
			return f
		}},
		{"snapshots installed on a lagging follower", func() *fake {
			f := steady(3)
			f.propose(0, "b", "c", "d")
			f.send(0, 0, 1)
			f.commitTo(0, 4)
			f.send(0, 0, 1)
			f.apply(0, 1)
			f.snapshot(0, 3)
			f.snapshot(1, 4)
			f.install(0, 2)
			f.send(0, 0, 2)
			f.apply(2)
			return f
		}},
		{"snapshot replaces a conflicting log", func() *fake {
			f := steady(3)
			f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
			f.propose(0, "stale1", "stale2") // entries 2, 3 of term 1 on 0 only
			f.elect(1, 2, 2)
			f.propose(1, "b", "c", "d")
			f.send(1, 0, 2)
			f.commitTo(1, 4)
			f.send(1, 0, 2)
			f.apply(1, 2)
			f.snapshot(1, 4)
			f.fault(chaos.Fault{Kind: chaos.Heal})
			f.install(1, 0) // 0's entries 2, 3 conflict: commit 2..4 comes before the install
			f.propose(1, "e")
			f.send(1, 0, 0, 2)
			f.commitTo(1, 5)
			f.send(1, 0, 0, 2)
			f.apply(0, 1, 2)
			return f
		}},
		{"same leader again in its term", func() *fake {
			f := steady(3)
			f.role[0] = raft.Follower // CheckQuorum: steps down, term unchanged
			f.emit(raft.Event{Kind: raft.EventRole, Peer: 0, Other: raft.None})
			f.role[0] = raft.Leader
			f.emit(raft.Event{Kind: raft.EventRole, Peer: 0, Other: 0})
			return f
		}},
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

func TestSafetyViolations(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
		skip []string
		want want
		also []string
	}{
		{
			name: "two leaders in a term",
			run: func() *fake {
				f := steady(3)
				f.elect(1, 1)
				return f
			},
			want: want{checker: ElectionSafety, peers: []int{0, 1}, terms: []int{1}},
		},
		{
			name: "a crashed leader still counts",
			run: func() *fake {
				f := steady(3)
				f.elect(2, 2, 1)
				f.crash(2)
				f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
				f.elect(1, 2)
				return f
			},
			want: want{checker: ElectionSafety, peers: []int{2, 1}, terms: []int{2}},
		},
		{
			name: "same index and term, different commands",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.log[1] = append(f.log[1], raft.Entry{Term: 1, Command: "B"})
				f.emit(raft.Event{Kind: raft.EventAppend, Peer: 1, Index: 2, LastIndex: 2, Entries: []raft.Entry{{Term: 1, Command: "B"}}, Other: 0})
				return f
			},
			want: want{checker: LogMatching, peers: []int{0, 1}, terms: []int{1}, indexes: []int{2}},
		},
		{
			name: "same index and term, different history",
			run: func() *fake {
				f := newFake(3)
				f.elect(0, 2, 1, 2)
				f.log[0] = []raft.Entry{{Term: 1, Command: "p"}}
				f.raw(raft.Event{Kind: raft.EventAppend, Peer: 0, Term: 2, Role: raft.Leader, Index: 1, LastIndex: 1, Entries: f.log[0], Other: 0})
				f.propose(0, "x")
				f.raw(raft.Event{Kind: raft.EventAppend, Peer: 1, Term: 2, Index: 1, LastIndex: 2, Entries: []raft.Entry{{Term: 2, Command: "q"}, {Term: 2, Command: "x"}}, Other: 0})
				return f
			},
			want: want{checker: LogMatching, peers: []int{0, 1}, terms: []int{2, 1, 2}, indexes: []int{2, 1}},
		},
		{
			name: "figure 8 with an old-term entry committed by counting replicas",
			run:  func() *fake { return figure8(true) },
			want: want{checker: LeaderCompleteness, peers: []int{4, 0}, terms: []int{5, 2}, indexes: []int{2}},
			also: []string{Durability},
		},
		{
			name: "new leader lacks a committed entry",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.send(0, 0, 1)
				f.commitTo(0, 2)
				f.elect(2, 2, 1)
				return f
			},
			skip: []string{Durability},
			want: want{checker: LeaderCompleteness, peers: []int{2, 0}, terms: []int{2, 1}, indexes: []int{2}},
		},
		{
			name: "new leader writes over a committed entry",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.send(0, 0, 1)
				f.commitTo(0, 2)
				f.elect(2, 2, 1)
				f.propose(2, "c")
				return f
			},
			skip: []string{LeaderCompleteness},
			want: want{checker: Durability, peers: []int{2, 0}, terms: []int{2, 1}, indexes: []int{2}},
		},
		{
			name: "follower removes an entry it committed",
			run: func() *fake {
				f := steady(3)
				f.emit(raft.Event{Kind: raft.EventTruncate, Peer: 1, Index: 1, LastIndex: 1, Other: 0})
				return f
			},
			want: want{checker: Durability, peers: []int{1, 0}, terms: []int{1, 1}, indexes: []int{1}},
		},
		{
			name: "two entries committed at one index",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.commitTo(0, 2) // alone: wrong, but it is the first word on index 2
				f.elect(1, 2, 2)
				f.log[1] = append(f.log[1], raft.Entry{Term: 2, Command: "c"}) // unseen
				f.send(1, 0, 2)
				f.commitTo(1, 2)
				f.send(1, 0, 2)
				return f
			},
			skip: []string{LeaderCompleteness},
			want: want{checker: Durability, peers: []int{2, 0}, terms: []int{2, 1}, indexes: []int{2}},
		},
		{
			name: "two peers apply different commands",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.commitTo(0, 2)
				f.apply(0)
				f.elect(1, 2, 2)
				f.propose(1, "c")
				f.send(1, 0, 2)
				f.commitTo(1, 2)
				f.send(1, 0, 2)
				f.apply(1, 2)
				return f
			},
			skip: []string{LeaderCompleteness, Durability},
			want: want{checker: StateMachineSafety, peers: []int{0, 1}, terms: []int{1, 2}, indexes: []int{2}},
		},
		{
			name: "installed snapshot disagrees with what was applied",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.commitTo(0, 2)
				f.apply(0)
				f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
				f.elect(1, 2, 2)
				f.propose(1, "c")
				f.snap[1] = 2 // as if 1 had committed and applied it alone (unseen)
				f.fault(chaos.Fault{Kind: chaos.Heal})
				f.install(1, 2)
				return f
			},
			skip: []string{LeaderCompleteness, Durability},
			want: want{checker: StateMachineSafety, peers: []int{0, 2}, terms: []int{1, 2}, indexes: []int{2}},
		},
		{
			name: "committed entry lost in an installed snapshot",
			run: func() *fake {
				f := steady(3)
				f.propose(0, "b")
				f.send(0, 0, 2)
				f.commitTo(0, 2)
				f.elect(1, 2)
				// As if 1 had, unseen, written, committed, applied and snapshotted entry 2.
				f.log[1] = append(f.log[1], raft.Entry{Term: 2, Command: "c"})
				f.snap[1] = 2
				f.install(1, 2)
				return f
			},
			skip: []string{LeaderCompleteness},
			want: want{checker: Durability, peers: []int{2, 0}, terms: []int{2, 1}, indexes: []int{2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.run()
			s := f.suite(t, Options{Skip: tt.skip})
			s.Finish(f.at)
			expect(t, s, tt.want, tt.also...)
		})
	}
}
