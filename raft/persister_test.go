package raft

import (
	"bytes"
	"fmt"
	"testing"
)

// persistLeader returns a single-peer leader whose log holds n int commands, every Ready
// saved to ps.
func persistLeader(tb testing.TB, n int, ps *Persister) *Node {
	tb.Helper()
	nd, err := NewNode(Config{ID: 0, Peers: 1, Seed: 1}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for nd.Role() != Leader {
		nd.Tick()
		ps.SaveReady(nd.Ready())
	}
	for i := range n {
		if _, _, err := nd.Propose(i); err != nil {
			tb.Fatal(err)
		}
		if i%1024 == 0 {
			ps.SaveReady(nd.Ready())
		}
	}
	ps.SaveReady(nd.Ready())
	return nd
}

// What SaveReady keeps reads back, through the course's API, as the state the Node
// would encode in full, and a Node restored from it has the same log.
func TestPersisterSaveReadyRoundTrip(t *testing.T) {
	ps := MakePersister()
	nd := persistLeader(t, 100, ps)
	nd.Propose("last")
	rd := nd.Ready()
	ps.SaveReady(rd)
	got := ps.ReadRaftState()
	if want := nd.enc.state(nd.term, nd.votedFor, nd.log.snapIndex, nd.log.snapTerm); !bytes.Equal(got, want) {
		t.Fatalf("ReadRaftState after SaveReady differs from the full encoding:\n got %x\nwant %x", got, want)
	}
	if ps.RaftStateSize() != len(got) || rd.State.Size() != len(got) {
		t.Errorf("RaftStateSize %d, State.Size %d, want len(ReadRaftState) %d", ps.RaftStateSize(), rd.State.Size(), len(got))
	}
	back, err := NewNode(Config{ID: 0, Peers: 1}, got, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := back.Status(), nd.Status(); g.LastIndex != w.LastIndex || g.Term != w.Term || g.VotedFor != w.VotedFor {
		t.Errorf("restored %+v, want last index %d term %d vote %d", g, w.LastIndex, w.Term, w.VotedFor)
	}
	if es := back.Entries(101, 101); len(es) != 1 || es[0].Command != "last" {
		t.Errorf("restored entry 101 = %v, want \"last\"", es)
	}
}

// A saved state never changes afterwards, whatever the Node does to its log: appends,
// a truncation followed by appends over the same indexes, a compaction. A Copy of the
// Persister keeps what it copied while the original saves on.
func TestPersisterSavedStateIsStable(t *testing.T) {
	ps := MakePersister()
	nd := persistLeader(t, 50, ps)
	saved := ps.ReadRaftState()
	cp := ps.Copy()

	// Make the leader a follower of a later term whose leader overwrites 41..50.
	var reply AppendEntriesReply
	es := make([]Entry, 20)
	for i := range es {
		es[i] = Entry{Term: 5, Command: fmt.Sprint("new", i)}
	}
	nd.AppendEntries(&AppendEntriesArgs{Term: 5, LeaderID: 1, PrevLogIndex: 40, PrevLogTerm: 1, Entries: es, LeaderCommit: 40}, &reply)
	if !reply.Success {
		t.Fatalf("AppendEntries over 41..60 failed: %+v", reply)
	}
	if nd.log.lastIndex() != 60 {
		t.Fatalf("log ends at %d, want 60", nd.log.lastIndex())
	}
	if got := cp.ReadRaftState(); !bytes.Equal(got, saved) {
		t.Fatalf("before the next save, the saved state changed with the log")
	}
	if got := ps.ReadRaftState(); !bytes.Equal(got, saved) {
		t.Fatalf("before the next save, the Persister's state changed with the log")
	}
	rd := nd.Ready()
	ps.SaveReady(rd)
	after := ps.ReadRaftState()
	if err := nd.Snapshot(40, []byte("snap")); err != nil {
		t.Fatal(err)
	}
	nd.Ready() // not saved
	if got := cp.ReadRaftState(); !bytes.Equal(got, saved) {
		t.Errorf("the Copy's state changed after the original saved more")
	}
	if got := ps.ReadRaftState(); !bytes.Equal(got, after) {
		t.Errorf("a saved state changed after a compaction that was not saved")
	}
	st, err := decodeState(after)
	if err != nil || len(st.entries) != 60 || st.entries[59].Command != "new19" || st.term != 5 {
		t.Errorf("saved state after the overwrite: %d entries, term %d, %v", len(st.entries), st.term, err)
	}
}

// The course's API and SaveReady replace each other's state; the snapshot is kept unless
// replaced.
func TestPersisterCourseAPIAndSaveReady(t *testing.T) {
	ps := &Persister{}
	if ps.ReadRaftState() != nil || ps.RaftStateSize() != 0 {
		t.Fatalf("a zero Persister has state")
	}
	nd := persistLeader(t, 3, ps)
	ps.Save([]byte("course"), []byte("snap"))
	if got := ps.ReadRaftState(); string(got) != "course" || ps.RaftStateSize() != 6 {
		t.Errorf("after Save: %q (size %d), want \"course\"", got, ps.RaftStateSize())
	}
	nd.Propose(4)
	rd := nd.Ready()
	ps.SaveReady(rd)
	if got := ps.ReadRaftState(); !bytes.Equal(got, rd.State.Bytes()) {
		t.Errorf("after SaveReady: %x, want %x", got, rd.State.Bytes())
	}
	if got := ps.ReadSnapshot(); string(got) != "snap" {
		t.Errorf("SaveReady without a snapshot lost the snapshot: %q", got)
	}
	ps.SaveRaftState([]byte("again"))
	if got := ps.ReadRaftState(); string(got) != "again" {
		t.Errorf("after SaveRaftState: %q", got)
	}
	ps.SaveReady(Ready{})
	if got := ps.ReadRaftState(); string(got) != "again" {
		t.Errorf("SaveReady of an empty Ready changed the state to %q", got)
	}
	var nilState *PersistentState
	if nilState.Bytes() != nil || nilState.Size() != 0 {
		t.Errorf("a nil PersistentState is not empty")
	}
}

// persistFollower returns follower 1 of 3 whose log holds n int commands of term 1, from
// leader 0, every Ready saved to ps.
func persistFollower(tb testing.TB, n int, ps *Persister) *Node {
	tb.Helper()
	nd, err := NewNode(Config{ID: 1, Peers: 3, Seed: 1}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	es := make([]Entry, 1024)
	var reply AppendEntriesReply
	for last := 0; last < n; last += len(es) {
		k := min(len(es), n-last)
		for i := range k {
			es[i] = Entry{Term: 1, Command: last + i}
		}
		nd.AppendEntries(&AppendEntriesArgs{Term: 1, PrevLogIndex: last, PrevLogTerm: min(last, 1), Entries: es[:k]}, &reply)
		if !reply.Success {
			tb.Fatalf("AppendEntries after %d: %+v", last, reply)
		}
		ps.SaveReady(nd.Ready())
	}
	return nd
}

// BenchmarkPersist measures the cost of a save with logs of 1k, 10k and 100k entries;
// flat means O(new entries). "save" is the persistence path alone: encode one new entry
// into the log's encoding, take the state to save, and save it. "follower" is a whole
// follower step: take an AppendEntries of one new entry and save the Ready it causes
// (which must be saved before the reply is released), so it also pays for the in-memory
// log, whose array grows by doubling and which the garbage collector scans. The log is
// rebuilt (off the clock) each time it has doubled, so its length stays in [n, 2n).
func BenchmarkPersist(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("save/log=%dk", n/1000), func(b *testing.B) {
			build := func() (*Persister, *logEncoder) {
				enc := &logEncoder{}
				for i := range n {
					if err := enc.append([]Entry{{Term: 1, Command: i}}); err != nil {
						b.Fatal(err)
					}
				}
				return MakePersister(), enc
			}
			ps, enc := build()
			es := make([]Entry, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i > 0 && i%n == 0 {
					b.StopTimer()
					ps, enc = build()
					b.StartTimer()
				}
				es[0] = Entry{Term: 1, Command: i}
				if err := enc.append(es); err != nil {
					b.Fatal(err)
				}
				ps.SaveReady(Ready{State: enc.persistent(1, None, 0, 0)})
			}
		})
	}
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("follower/log=%dk", n/1000), func(b *testing.B) {
			ps := MakePersister()
			nd := persistFollower(b, n, ps)
			args := &AppendEntriesArgs{Term: 1, PrevLogTerm: 1, Entries: make([]Entry, 1)}
			var reply AppendEntriesReply
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i > 0 && i%n == 0 {
					b.StopTimer()
					ps = MakePersister()
					nd = persistFollower(b, n, ps)
					b.StartTimer()
				}
				args.PrevLogIndex = n + i%n
				args.Entries[0] = Entry{Term: 1, Command: i}
				nd.AppendEntries(args, &reply)
				ps.SaveReady(nd.Ready())
			}
			if !reply.Success {
				b.Fatalf("AppendEntries failed: %+v", reply)
			}
		})
	}
}

// An armed persister tears a save made in two writes, in either order and through
// either API, between the two: the first write stays, the second and every later one
// are lost, and torn is called once, before the second write returns. A save in one
// write is never torn, however many there are.
func TestPersisterTear(t *testing.T) {
	s1, s2 := []byte("state 1"), []byte("state 2")
	snap1, snap2 := []byte("snap 1"), []byte("snap 2")
	tests := []struct {
		name       string
		writes     func(ps *Persister)
		torn       bool
		state, snp string // what the disk holds at the end
	}{
		{"state, then snapshot (course API)", func(ps *Persister) { ps.SaveRaftState(s2); ps.Save(s2, snap2) }, true, "state 2", "snap 1"},
		{"state, then snapshot (Save twice)", func(ps *Persister) { ps.Save(s2, snap1); ps.Save(s2, snap2) }, true, "state 2", "snap 1"},
		{"snapshot, then state", func(ps *Persister) { ps.Save(s1, snap2); ps.SaveRaftState(s2) }, true, "state 1", "snap 2"},
		{"the writes after the torn one are lost too", func(ps *Persister) { ps.SaveRaftState(s2); ps.Save(s2, snap2); ps.Save([]byte("later"), snap2) }, true, "state 2", "snap 1"},
		{"one atomic save", func(ps *Persister) { ps.Save(s2, snap2) }, false, "state 2", "snap 2"},
		{"state saves, then an atomic save", func(ps *Persister) {
			ps.SaveRaftState([]byte("a"))
			ps.SaveRaftState([]byte("b"))
			ps.Save(s2, snap2)
			ps.SaveRaftState([]byte("c"))
		}, false, "c", "snap 2"},
		{"an unchanged rewrite", func(ps *Persister) { ps.SaveRaftState(s2); ps.Save(s2, snap1); ps.Save(s2, snap1) }, false, "state 2", "snap 1"},
	}
	for _, tt := range tests {
		ps := MakePersister()
		ps.Save(s1, snap1)
		calls := 0
		ps.Tear(func() {
			calls++
			if !ps.mu.TryLock() {
				t.Errorf("%s: torn called with the persister's lock held", tt.name)
			} else {
				ps.mu.Unlock()
			}
		})
		tt.writes(ps)
		if want := map[bool]int{true: 1, false: 0}[tt.torn]; calls != want {
			t.Errorf("%s: torn called %d times, want %d", tt.name, calls, want)
		}
		if got := string(ps.ReadRaftState()); got != tt.state {
			t.Errorf("%s: state %q, want %q", tt.name, got, tt.state)
		}
		if got := string(ps.ReadSnapshot()); got != tt.snp {
			t.Errorf("%s: snapshot %q, want %q", tt.name, got, tt.snp)
		}
		if cp := ps.Copy(); tt.torn {
			cp.SaveRaftState([]byte("next life"))
			if got := string(cp.ReadRaftState()); got != "next life" {
				t.Errorf("%s: a copy of a torn persister does not take writes: %q", tt.name, got)
			}
		}
	}
}

// Raft's saves (SaveReady) are never torn; the same Ready's state saved alone first,
// then with its snapshot, is.
func TestPersisterTearSaveReady(t *testing.T) {
	ps := MakePersister()
	nd := persistLeader(t, 10, ps)
	torn := 0
	ps.Tear(func() { torn++ })
	for i := range 5 {
		nd.Propose(i)
		ps.SaveReady(nd.Ready())
	}
	if err := nd.Snapshot(12, []byte("snap")); err != nil {
		t.Fatal(err)
	}
	rd := nd.Ready()
	if rd.Snapshot == nil || rd.State == nil {
		t.Fatalf("a snapshot's Ready has state %v, snapshot %v", rd.State != nil, rd.Snapshot != nil)
	}
	before := ps.ReadRaftState()
	ps.SaveReady(Ready{State: rd.State})
	ps.SaveReady(rd)
	if torn != 1 {
		t.Fatalf("torn called %d times, want 1", torn)
	}
	if got := ps.ReadSnapshot(); len(got) != 0 {
		t.Errorf("the torn save's snapshot %q reached the disk", got)
	}
	if bytes.Equal(ps.ReadRaftState(), before) {
		t.Error("the first write of the torn save did not reach the disk")
	}
}
