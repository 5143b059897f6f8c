package raft

// Tests of raft.Node against the rules of the extended Raft paper (Figure 2 and sections
// 5.1-5.4 and 7), in the manner of etcd-io/raft's raft_paper_test.go: no goroutines, no
// clocks, no network. A test drives one Node through its inputs (Tick, Propose, Snapshot,
// the RPC handlers, StepReply, StepFailure) and reads its outputs (Ready, Status, events);
// tests that need several peers use simNet (simnet_test.go).

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// ---- Helpers ------------------------------------------------------------------------------

// ptNode is a Node under test with the events it reported and the state it last saved.
type ptNode struct {
	*Node
	tb     testing.TB
	events []Event
	state  []byte
	snap   []byte
}

// ptConfig is the configuration of single-node tests: heartbeats every 2 ticks, election
// timeouts of 10 to 20 ticks.
func ptConfig(id, peers int) Config { return simConfig(id, peers) }

// newPT starts a Node from a saved state and snapshot (nil for a new peer).
func newPT(tb testing.TB, cfg Config, state, snap []byte) *ptNode {
	tb.Helper()
	p := &ptNode{tb: tb, state: state, snap: snap}
	cfg.Observer = func(e Event) { p.events = append(p.events, e) }
	n, err := NewNode(cfg, state, snap)
	if err != nil {
		tb.Fatalf("NewNode: %v", err)
	}
	p.Node = n
	return p
}

// ptCmd is the command of the test entry at index with term: the same index and term
// always give the same command, as the Log Matching Property requires.
func ptCmd(term, index int) string { return fmt.Sprintf("t%d@%d", term, index) }

// ptLog returns entries with the given terms, the first at index from.
func ptLog(from int, terms ...int) []Entry {
	es := make([]Entry, len(terms))
	for i, t := range terms {
		es[i] = Entry{Term: t, Command: ptCmd(t, from+i)}
	}
	return es
}

// ptState encodes a persisted state.
func ptState(tb testing.TB, term, votedFor, snapIndex, snapTerm int, es []Entry) []byte {
	tb.Helper()
	var enc logEncoder
	if err := enc.append(es); err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return enc.state(term, votedFor, snapIndex, snapTerm)
}

// ptRestore starts peer id of peers in term with vote and a log of the given terms.
func ptRestore(tb testing.TB, id, peers, term, vote int, terms ...int) *ptNode {
	tb.Helper()
	return newPT(tb, ptConfig(id, peers), ptState(tb, term, vote, 0, 0, ptLog(1, terms...)), nil)
}

// ready takes the Node's Ready, saving its State and Snapshot.
func (p *ptNode) ready() Ready {
	rd := p.Ready()
	if rd.State != nil {
		p.state = rd.State.Bytes()
	}
	if rd.Snapshot != nil {
		p.snap = rd.Snapshot
	}
	return rd
}

// msgs returns the messages of the next Ready.
func (p *ptNode) msgs() []Message { return p.ready().Messages }

// takeEvents returns the events reported since the last call.
func (p *ptNode) takeEvents() []Event {
	es := p.events
	p.events = nil
	return es
}

// tickUntil ticks until the role is r, at most limit times, and returns the ticks taken.
func (p *ptNode) tickUntil(r Role, limit int) int {
	p.tb.Helper()
	for i := 1; i <= limit; i++ {
		p.Tick()
		if p.Role() == r {
			return i
		}
	}
	p.tb.Fatalf("peer %d still %v after %d ticks, want %v", p.ID(), p.Role(), limit, r)
	return 0
}

// campaign ticks a follower until it becomes a candidate and returns its RequestVotes.
func (p *ptNode) campaign() []Message {
	p.tb.Helper()
	p.tickUntil(Candidate, p.cfg.ElectionTicksMax+1)
	return p.msgs()
}

// elect makes the Node leader, granting every (pre-)vote it asks for, and returns the
// messages it sends on winning.
func (p *ptNode) elect() []Message {
	p.tb.Helper()
	for i := 0; p.Role() == Follower; i++ {
		if i > p.cfg.ElectionTicksMax {
			p.tb.Fatalf("peer %d does not campaign", p.ID())
		}
		p.Tick()
	}
	for range 2 {
		if p.Role() == Leader {
			return p.msgs()
		}
		for _, m := range p.msgs() {
			// A granted pre-vote carries the voter's term, which is not later than ours.
			p.StepReply(m, &RequestVoteReply{Term: p.Term(), VoteGranted: true})
		}
	}
	if p.Role() != Leader {
		p.tb.Fatalf("peer %d is %v after winning every vote", p.ID(), p.Role())
	}
	return p.msgs()
}

// ack answers AppendEntries m with success.
func (p *ptNode) ack(m Message) {
	p.tb.Helper()
	a := ptAE(p.tb, m)
	p.StepReply(m, &AppendEntriesReply{Term: a.Term, Success: true})
}

// ptSnap returns test snapshot data for a snapshot at index, or nil for none.
func ptSnap(index int) []byte {
	if index == 0 {
		return nil
	}
	return encodeSimSnap(index, 0)
}

func (p *ptNode) appendEntries(a *AppendEntriesArgs) *AppendEntriesReply {
	r := &AppendEntriesReply{}
	p.AppendEntries(a, r)
	return r
}

func (p *ptNode) requestVote(a *RequestVoteArgs) *RequestVoteReply {
	r := &RequestVoteReply{}
	p.RequestVote(a, r)
	return r
}

func (p *ptNode) installSnapshot(a *InstallSnapshotArgs) *InstallSnapshotReply {
	r := &InstallSnapshotReply{}
	p.InstallSnapshot(a, r)
	return r
}

// logTerms returns the terms of the entries after the snapshot.
func (p *ptNode) logTerms() []int {
	s := p.Status()
	var ts []int
	for _, e := range p.Entries(s.FirstIndex, s.LastIndex) {
		ts = append(ts, e.Term)
	}
	return ts
}

// ptTo returns the messages to peer to.
func ptTo(ms []Message, to int) []Message {
	var out []Message
	for _, m := range ms {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// ptAE returns the AppendEntries args of m, failing the test if m is something else.
func ptAE(tb testing.TB, m Message) *AppendEntriesArgs {
	tb.Helper()
	a, ok := m.Args.(*AppendEntriesArgs)
	if !ok {
		tb.Fatalf("message %v is not an AppendEntries", m)
	}
	return a
}

// ptRoles are the ways to put a 3-peer Node into each role in term 2 (the leader and the
// candidate with an empty log).
var ptRoles = []struct {
	name string
	make func(tb testing.TB) *ptNode
}{
	{"follower", func(tb testing.TB) *ptNode { return ptRestore(tb, 0, 3, 2, None) }},
	{"candidate", func(tb testing.TB) *ptNode {
		p := ptRestore(tb, 0, 3, 1, None)
		p.campaign()
		return p
	}},
	{"leader", func(tb testing.TB) *ptNode {
		p := ptRestore(tb, 0, 3, 1, None)
		p.elect()
		return p
	}},
}

// ---- All servers (Figure 2, "Rules for Servers") ------------------------------------------

// If an RPC request or response contains term T > currentTerm: set currentTerm = T and
// convert to follower (5.1).
func TestPaperUpdateTermFromRequest(t *testing.T) {
	requests := []struct {
		name string
		send func(p *ptNode) int // returns the reply's term
	}{
		{"RequestVote", func(p *ptNode) int {
			return p.requestVote(&RequestVoteArgs{Term: 5, CandidateID: 1}).Term
		}},
		{"AppendEntries", func(p *ptNode) int {
			return p.appendEntries(&AppendEntriesArgs{Term: 5, LeaderID: 1}).Term
		}},
		{"InstallSnapshot", func(p *ptNode) int {
			return p.installSnapshot(&InstallSnapshotArgs{Term: 5, LeaderID: 1, LastIncludedIndex: 3, LastIncludedTerm: 4, Data: []byte("s")}).Term
		}},
	}
	for _, role := range ptRoles {
		for _, rq := range requests {
			t.Run(role.name+"/"+rq.name, func(t *testing.T) {
				p := role.make(t)
				p.ready()
				if got := rq.send(p); got != 5 {
					t.Errorf("reply term = %d, want 5", got)
				}
				s := p.Status()
				if s.Term != 5 || s.Role != Follower {
					t.Errorf("after a request of term 5: term %d role %v, want term 5 follower", s.Term, s.Role)
				}
				wantVote, wantLeader := None, 1
				if rq.name == "RequestVote" {
					wantVote, wantLeader = 1, None // the empty log is up to date with ours
				}
				if s.VotedFor != wantVote || s.Leader != wantLeader {
					t.Errorf("votedFor %d leader %d, want %d and %d", s.VotedFor, s.Leader, wantVote, wantLeader)
				}
				if rd := p.ready(); rd.State == nil {
					t.Errorf("the new term is not in the next Ready's State")
				}
			})
		}
	}
}

func TestPaperUpdateTermFromReply(t *testing.T) {
	replies := []struct {
		name  string
		args  interface{}
		reply interface{}
	}{
		{"RequestVote", &RequestVoteArgs{Term: 2, CandidateID: 0}, &RequestVoteReply{Term: 5}},
		{"AppendEntries", &AppendEntriesArgs{Term: 2, LeaderID: 0}, &AppendEntriesReply{Term: 5}},
		{"InstallSnapshot", &InstallSnapshotArgs{Term: 2, LeaderID: 0}, &InstallSnapshotReply{Term: 5}},
	}
	for _, role := range ptRoles {
		for _, rp := range replies {
			t.Run(role.name+"/"+rp.name, func(t *testing.T) {
				p := role.make(t)
				p.ready()
				p.StepReply(Message{From: 0, To: 1, Args: rp.args}, rp.reply)
				s := p.Status()
				if s.Term != 5 || s.Role != Follower || s.VotedFor != None || s.Leader != None {
					t.Errorf("after a reply of term 5: term %d role %v vote %d leader %d, want term 5 follower, no vote, no leader",
						s.Term, s.Role, s.VotedFor, s.Leader)
				}
				if rd := p.ready(); rd.State == nil {
					t.Errorf("the new term is not in the next Ready's State")
				}
			})
		}
	}
}

// Reply false (and the current term, so the sender updates itself) to a request from an
// earlier term; change nothing.
func TestPaperRejectStaleRequest(t *testing.T) {
	for _, role := range ptRoles {
		t.Run(role.name, func(t *testing.T) {
			p := role.make(t)
			p.ready()
			before := p.Status()
			if r := p.requestVote(&RequestVoteArgs{Term: 1, CandidateID: 2, LastLogIndex: 9, LastLogTerm: 9}); r.VoteGranted || r.Term != 2 {
				t.Errorf("RequestVote of term 1: reply %+v, want not granted, term 2", r)
			}
			if r := p.appendEntries(&AppendEntriesArgs{Term: 1, LeaderID: 2, Entries: ptLog(1, 1)}); r.Success || r.Term != 2 {
				t.Errorf("AppendEntries of term 1: reply %+v, want no success, term 2", r)
			}
			if r := p.installSnapshot(&InstallSnapshotArgs{Term: 1, LeaderID: 2, LastIncludedIndex: 5, LastIncludedTerm: 1, Data: []byte("s")}); r.Term != 2 {
				t.Errorf("InstallSnapshot of term 1: reply %+v, want term 2", r)
			}
			if after := p.Status(); !reflect.DeepEqual(before, after) {
				t.Errorf("stale requests changed the status:\nbefore %+v\nafter  %+v", before, after)
			}
			if rd := p.ready(); rd.State != nil || len(rd.Apply) != 0 {
				t.Errorf("stale requests produced state or applies: %+v", rd)
			}
		})
	}
}

// A reply to a request of an earlier term counts for nothing.
func TestPaperIgnoreStaleReply(t *testing.T) {
	p := ptRestore(t, 0, 3, 1, None)
	old := p.campaign() // term 2
	for i := 0; p.Term() == 2 && i <= p.cfg.ElectionTicksMax; i++ {
		p.Tick()
	}
	if p.Term() != 3 {
		t.Fatalf("term %d after a second timeout, want 3", p.Term())
	}
	p.msgs()
	for _, m := range old {
		p.StepReply(m, &RequestVoteReply{Term: 2, VoteGranted: true})
	}
	if p.Role() != Candidate {
		t.Errorf("votes granted for term 2 made the term-3 candidate a %v", p.Role())
	}

	// A leader ignores success replies to AppendEntries of its earlier leadership.
	q := ptRestore(t, 0, 3, 1, None, 1, 1)
	hb := q.elect()                                  // term 2
	q.StepReply(hb[0], &AppendEntriesReply{Term: 3}) // deposed
	q.elect()                                        // term 4
	q.ack(hb[0])
	if pr := q.Status().Progress[hb[0].To]; pr.Match != 0 || pr.State != Probe {
		t.Errorf("a term-2 acknowledgement changed term-4 progress: %+v", pr)
	}
}

// ---- Followers (5.2) ----------------------------------------------------------------------

// If election timeout elapses without hearing from a leader or granting a vote: become a
// candidate: increment currentTerm, vote for self, reset the election timer, send
// RequestVote to all other servers. The term and vote are saved before the requests go.
func TestPaperFollowerStartsElection(t *testing.T) {
	p := ptRestore(t, 2, 5, 3, None, 1, 1, 3)
	ticks := p.tickUntil(Candidate, 20)
	if ticks < 10 || ticks > 20 {
		t.Errorf("election after %d ticks, want 10..20", ticks)
	}
	s := p.Status()
	if s.Term != 4 || s.VotedFor != 2 || s.Leader != None {
		t.Errorf("candidate has term %d vote %d leader %d, want term 4, vote 2, no leader", s.Term, s.VotedFor, s.Leader)
	}
	rd := p.ready()
	st, err := decodeState(rd.State.Bytes())
	if err != nil || st.term != 4 || st.votedFor != 2 {
		t.Errorf("Ready's State = term %d vote %d (%v), want term 4 vote 2", st.term, st.votedFor, err)
	}
	var to []int
	for _, m := range rd.Messages {
		a, ok := m.Args.(*RequestVoteArgs)
		if !ok {
			t.Fatalf("candidate sent %v", m)
		}
		want := RequestVoteArgs{Term: 4, CandidateID: 2, LastLogIndex: 3, LastLogTerm: 3}
		if *a != want {
			t.Errorf("RequestVote to %d = %+v, want %+v", m.To, *a, want)
		}
		to = append(to, m.To)
	}
	if want := []int{0, 1, 3, 4}; !slices.Equal(to, want) {
		t.Errorf("RequestVote sent to %v, want %v", to, want)
	}
}

// Election timeouts are chosen randomly from a fixed interval, afresh each time, and
// differ between seeds and between peers (5.2).
func TestPaperElectionTimeoutRandomized(t *testing.T) {
	timeout := func(seed int64, id int) int {
		cfg := ptConfig(id, 5)
		cfg.Seed = seed
		p := newPT(t, cfg, nil, nil)
		return p.tickUntil(Candidate, 100)
	}
	seen := map[int]bool{}
	for seed := int64(1); seed <= 200; seed++ {
		to := timeout(seed, 0)
		if to < 10 || to > 20 {
			t.Fatalf("seed %d: timeout %d ticks, want 10..20", seed, to)
		}
		seen[to] = true
	}
	if len(seen) < 8 {
		t.Errorf("200 seeds give only %d distinct timeouts in 10..20: %v", len(seen), seen)
	}
	if a, b := timeout(7, 0), timeout(7, 0); a != b {
		t.Errorf("the same seed gives different timeouts")
	}
	var byPeer []int
	for id := range 5 {
		byPeer = append(byPeer, timeout(1, id))
	}
	if slices.Min(byPeer) == slices.Max(byPeer) {
		t.Errorf("all peers with seed 1 time out after %d ticks", byPeer[0])
	}

	// Each reset draws again: a candidate's successive elections are spaced 10..20
	// ticks apart, not always by the same amount.
	p := newPT(t, ptConfig(0, 5), nil, nil)
	p.tickUntil(Candidate, 100)
	gaps := map[int]bool{}
	for range 100 {
		term := p.Term()
		n := 0
		for p.Term() == term && n <= 20 {
			p.Tick()
			n++
		}
		if n < 10 || n > 20 {
			t.Fatalf("next election after %d ticks, want 10..20", n)
		}
		gaps[n] = true
	}
	if len(gaps) < 5 {
		t.Errorf("100 elections use only %d distinct timeouts", len(gaps))
	}
}

// A follower stays one as long as it hears from the current leader, or grants a vote;
// requests from a stale leader and denied votes do not reset its timer.
func TestPaperFollowerTimerReset(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input func(p *ptNode)
		reset bool
	}{
		{"heartbeat", func(p *ptNode) { p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1}) }, true},
		{"snapshot", func(p *ptNode) {
			p.installSnapshot(&InstallSnapshotArgs{Term: 2, LeaderID: 1, LastIncludedIndex: 1, LastIncludedTerm: 1})
		}, true},
		{"granted vote", func(p *ptNode) {
			p.requestVote(&RequestVoteArgs{Term: 3, CandidateID: 2, LastLogIndex: 9, LastLogTerm: 2})
		}, true},
		{"stale heartbeat", func(p *ptNode) { p.appendEntries(&AppendEntriesArgs{Term: 1, LeaderID: 1}) }, false},
		{"denied vote", func(p *ptNode) { p.requestVote(&RequestVoteArgs{Term: 2, CandidateID: 2}) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The follower of leader 1 in term 2, with a log the empty candidate can't beat.
			p := ptRestore(t, 0, 3, 2, None, 1)
			p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1})
			// Feed the input every 9 ticks (less than any timeout) for 100 ticks.
			for i := 1; i <= 100; i++ {
				if i%9 == 0 {
					tc.input(p)
				}
				p.Tick()
				if p.Role() != Follower {
					if tc.reset {
						t.Fatalf("became %v after %d ticks despite the %s every 9 ticks", p.Role(), i, tc.name)
					}
					if i > 20 {
						t.Fatalf("became %v only after %d ticks", p.Role(), i)
					}
					return
				}
			}
			if !tc.reset {
				t.Errorf("a %s every 9 ticks kept the follower from campaigning", tc.name)
			}
		})
	}
}

// ---- Candidates (5.2) ---------------------------------------------------------------------

// A candidate wins with votes from a majority, loses when a majority deny it, and waits
// otherwise.
func TestPaperCandidateElectionOutcome(t *testing.T) {
	for _, tc := range []struct {
		peers  int
		votes  map[int]bool // peer -> granted
		want   Role
		reason string
	}{
		{1, nil, Leader, "a single peer elects itself"},
		{3, map[int]bool{1: true}, Leader, "2 of 3"},
		{3, map[int]bool{1: false}, Candidate, "1 of 3, 1 denied"},
		{3, map[int]bool{1: false, 2: false}, Follower, "2 of 3 denied"},
		{5, map[int]bool{1: true, 2: true}, Leader, "3 of 5"},
		{5, map[int]bool{1: true}, Candidate, "2 of 5"},
		{5, map[int]bool{1: true, 2: false, 3: false}, Candidate, "2 of 5, 2 denied"},
		{5, map[int]bool{1: false, 2: false, 3: false}, Follower, "3 of 5 denied"},
		{4, map[int]bool{1: true, 2: false}, Candidate, "split 2-2 in 4"},
		{4, map[int]bool{1: true, 2: true}, Leader, "3 of 4"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			p := newPT(t, ptConfig(0, tc.peers), nil, nil)
			p.tickUntil(map[bool]Role{true: Leader, false: Candidate}[tc.peers == 1], 20)
			for _, m := range p.msgs() {
				if g, ok := tc.votes[m.To]; ok {
					p.StepReply(m, &RequestVoteReply{Term: 1, VoteGranted: g})
				}
			}
			if p.Role() != tc.want || p.Term() != 1 {
				t.Errorf("%s: role %v term %d, want %v in term 1", tc.reason, p.Role(), p.Term(), tc.want)
			}
			if tc.want == Leader && p.Leader() != 0 {
				t.Errorf("leader's leader hint = %d, want itself", p.Leader())
			}
			if tc.want != Leader && p.Status().VotedFor != 0 {
				t.Errorf("lost candidate forgot its vote for itself: %d", p.Status().VotedFor)
			}
		})
	}
}

// While waiting for votes, a candidate that receives AppendEntries from a leader whose term
// is at least its own recognises it and returns to follower; an older term is rejected.
func TestPaperCandidateFallsBackOnAppendEntries(t *testing.T) {
	for _, tc := range []struct {
		term     int
		want     Role
		wantTerm int
	}{
		{2, Follower, 2}, // the same term: another peer won it
		{3, Follower, 3},
		{1, Candidate, 2},
	} {
		p := newPT(t, ptConfig(0, 3), ptState(t, 1, None, 0, 0, nil), nil)
		p.campaign() // term 2
		r := p.appendEntries(&AppendEntriesArgs{Term: tc.term, LeaderID: 2})
		if p.Role() != tc.want || p.Term() != tc.wantTerm || r.Success != (tc.want == Follower) {
			t.Errorf("AppendEntries of term %d: role %v term %d success %v, want %v term %d", tc.term, p.Role(), p.Term(), r.Success, tc.want, tc.wantTerm)
		}
		if tc.want == Follower && (p.Leader() != 2 || p.Status().VotedFor != map[bool]int{true: 0, false: None}[tc.term == 2]) {
			t.Errorf("term %d: leader %d vote %d, want leader 2 and the vote kept only in its own term", tc.term, p.Leader(), p.Status().VotedFor)
		}
	}
}

// If the election timeout elapses again, a candidate starts a new election, in a new term,
// after a freshly drawn timeout.
func TestPaperCandidateNewElectionOnTimeout(t *testing.T) {
	p := newPT(t, ptConfig(0, 3), nil, nil)
	p.campaign()
	for want := 2; want <= 5; want++ {
		ticks := 0
		for p.Term() < want && ticks <= 20 {
			p.Tick()
			ticks++
		}
		if ticks < 10 || ticks > 20 || p.Role() != Candidate || p.Status().VotedFor != 0 {
			t.Fatalf("election %d after %d ticks: role %v vote %d, want a candidate for itself after 10..20 ticks", want, ticks, p.Role(), p.Status().VotedFor)
		}
		ms := p.msgs()
		if len(ms) != 2 || ms[0].Args.(*RequestVoteArgs).Term != want {
			t.Fatalf("election %d sends %v, want 2 RequestVotes of term %d", want, ms, want)
		}
	}
}

// Two candidates that split the vote both fail in that term; a later election, with new
// random timeouts, elects one leader.
func TestPaperSplitVote(t *testing.T) {
	s := newSimNet(t, 5, nil)
	s.partition([]int{0, 2}, []int{1, 3}, []int{4})
	for i := 0; s.nodes[0].Role() == Follower || s.nodes[1].Role() == Follower; i++ {
		if i > 20 {
			t.Fatalf("peers 0 and 1 do not both campaign within 20 ticks")
		}
		if s.nodes[0].Role() == Follower {
			s.tick(0)
		}
		if s.nodes[1].Role() == Follower {
			s.tick(1)
		}
	}
	s.flush()
	for _, id := range []int{0, 1} {
		if n := s.nodes[id]; n.Role() != Candidate || n.Term() != 1 {
			t.Fatalf("peer %d is %v in term %d, want a candidate in term 1", id, n.Role(), n.Term())
		}
	}
	for id, want := range []int{0, 1, 0, 1, None} {
		if got := s.nodes[id].Status().VotedFor; got != want {
			t.Errorf("peer %d voted for %d, want %d", id, got, want)
		}
	}
	s.heal()
	l := s.electLeader()
	if term := s.nodes[l].Term(); term < 2 {
		t.Errorf("leader %d elected in term %d, want a term after the split one", l, term)
	}
	if _, ok := s.leaders[1]; ok {
		t.Errorf("term 1 had a leader despite the split vote: %d", s.leaders[1])
	}
}

// ---- Leaders (5.2, 5.3, 5.4) ----------------------------------------------------------------

// Upon election: send initial empty AppendEntries (heartbeat) to each server; repeat
// during idle periods to prevent election timeouts.
func TestPaperLeaderHeartbeats(t *testing.T) {
	p := ptRestore(t, 1, 3, 1, None, 1, 1)
	ms := p.elect()
	if len(ms) != 2 {
		t.Fatalf("new leader sends %v, want a heartbeat to each of 2 peers", ms)
	}
	for i, m := range ms {
		want := AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 1}
		if a := ptAE(t, m); m.To != []int{0, 2}[i] || !reflect.DeepEqual(*a, want) {
			t.Errorf("heartbeat %d: to %d %+v, want to %d %+v", i, m.To, *a, []int{0, 2}[i], want)
		}
	}
	// Acknowledge one peer, so heartbeats to both a replicating and a probing peer are
	// checked.
	p.ack(ms[0])
	p.msgs()
	for round := range 5 {
		p.Tick()
		if ms := p.msgs(); len(ms) != 0 {
			t.Fatalf("round %d: leader sends %v one tick after a heartbeat", round, ms)
		}
		p.Tick()
		ms := p.msgs()
		if len(ms) != 2 {
			t.Fatalf("round %d: %v after HeartbeatTicks, want a heartbeat to each peer", round, ms)
		}
		for _, m := range ms {
			if a := ptAE(t, m); len(a.Entries) != 0 || a.Term != 2 || a.PrevLogIndex != 2 {
				t.Errorf("round %d: heartbeat %+v, want an empty AppendEntries of term 2 at index 2", round, *a)
			}
		}
	}
	if p.Role() != Leader {
		t.Errorf("a leader without CheckQuorum stepped down: %v", p.Role())
	}
}

// If command received from client: append entry to local log, respond after entry applied.
// Propose returns the index and term the entry will have; the entry goes to each follower
// whose log is known to match.
func TestPaperLeaderAppendsProposal(t *testing.T) {
	p := ptRestore(t, 0, 3, 1, None, 1)
	if _, _, err := p.Propose("x"); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Propose on a follower: %v, want ErrNotLeader", err)
	}
	hb := p.elect()
	p.ack(hb[0]) // peer 1 matches; peer 2 has not answered its probe
	idx, term, err := p.Propose("x")
	if idx != 2 || term != 2 || err != nil {
		t.Fatalf("Propose = %d, %d, %v, want 2, 2, nil", idx, term, err)
	}
	if got := p.Entries(2, 2); len(got) != 1 || got[0].Command != "x" || got[0].Term != 2 {
		t.Errorf("log holds %v at 2, want x in term 2", got)
	}
	rd := p.ready()
	if st, _ := decodeState(rd.State.Bytes()); len(st.entries) != 2 {
		t.Errorf("the proposal's Ready saves %d entries, want 2", len(st.entries))
	}
	if len(rd.Messages) != 1 || rd.Messages[0].To != 1 {
		t.Fatalf("after Propose the leader sends %v, want one AppendEntries to peer 1", rd.Messages)
	}
	want := AppendEntriesArgs{Term: 2, LeaderID: 0, PrevLogIndex: 1, PrevLogTerm: 1, Entries: []Entry{{Term: 2, Command: "x"}}}
	if a := ptAE(t, rd.Messages[0]); !reflect.DeepEqual(*a, want) {
		t.Errorf("AppendEntries = %+v, want %+v", *a, want)
	}
	// The probing peer gets it once its probe is answered.
	p.ack(hb[1])
	if ms := p.msgs(); len(ms) != 1 || ms[0].To != 2 || len(ptAE(t, ms[0]).Entries) != 1 {
		t.Errorf("after peer 2 answers its probe the leader sends %v, want the new entry", ms)
	}
}

// A leader commits an entry of its term once a majority stores it, applies committed
// entries in index order, and tells followers the new commit index.
func TestPaperLeaderCommitsReplicated(t *testing.T) {
	p := newPT(t, ptConfig(0, 5), nil, nil)
	hb := p.elect()
	for _, m := range hb {
		p.ack(m)
	}
	for i := 1; i <= 3; i++ {
		p.Propose(i)
	}
	ms := p.msgs()
	if len(ms) != 4 {
		t.Fatalf("leader sends %v, want one AppendEntries with 3 entries to each of 4 peers", ms)
	}
	if rd := p.ready(); len(rd.Apply) != 0 || p.Status().CommitIndex != 0 {
		t.Fatalf("applied %v before any follower acknowledged", rd.Apply)
	}
	p.ack(ms[0])
	if c := p.Status().CommitIndex; c != 0 {
		t.Fatalf("committed %d with 2 of 5 copies", c)
	}
	p.ack(ms[1])
	out := p.msgs()
	if c := p.Status().CommitIndex; c != 3 {
		t.Fatalf("commit index %d with 3 of 5 copies, want 3", c)
	}
	// The followers that acknowledged learn the commit index at once; the others with
	// their next entries or heartbeat.
	var told []int
	for _, m := range out {
		if a := ptAE(t, m); a.LeaderCommit == 3 && a.PrevLogIndex == 3 && len(a.Entries) == 0 {
			told = append(told, m.To)
		}
	}
	if !slices.Equal(told, []int{1, 2}) {
		t.Errorf("commit index sent to %v (%v), want peers 1 and 2", told, out)
	}
	p.Tick()
	p.Tick()
	for _, m := range p.msgs() {
		if a := ptAE(t, m); a.LeaderCommit != 3 {
			t.Errorf("heartbeat to %d carries commit %d, want 3", m.To, a.LeaderCommit)
		}
	}

	// Committed entries are applied in index order, each once.
	p2 := newPT(t, ptConfig(0, 3), nil, nil)
	hb = p2.elect()
	p2.ack(hb[0])
	var applied []ApplyMsg
	take := func() []Message {
		rd := p2.ready()
		applied = append(applied, rd.Apply...)
		return rd.Messages
	}
	for i := 1; i <= 5; i++ {
		p2.Propose(i * 10)
		for _, m := range take() {
			if m.To == 1 {
				p2.ack(m)
			}
		}
	}
	take()
	var idx []int
	for _, a := range applied {
		idx = append(idx, a.CommandIndex)
		if a.Command != a.CommandIndex*10 || !a.CommandValid || a.CommandTerm != 1 {
			t.Errorf("apply %+v, want command %d of term 1", a, a.CommandIndex*10)
		}
	}
	if !slices.Equal(idx, []int{1, 2, 3, 4, 5}) {
		t.Errorf("applied indexes %v, want 1..5 in order", idx)
	}
}

// A leader never commits an entry from an earlier term by counting replicas; it commits
// such entries only by committing an entry of its own term after them (5.4.2).
func TestPaperLeaderCommitsOnlyCurrentTerm(t *testing.T) {
	p := ptRestore(t, 0, 3, 2, None, 1, 2) // index 2 from term 2
	hb := p.elect()                        // term 3
	for _, m := range hb {
		p.ack(m)
	}
	s := p.Status()
	if s.Progress[1].Match != 2 || s.Progress[2].Match != 2 {
		t.Fatalf("progress %+v, want every follower matching at 2", s.Progress)
	}
	if s.CommitIndex != 0 {
		t.Fatalf("commit index %d: entries of terms 1 and 2 committed by counting replicas", s.CommitIndex)
	}
	p.Propose("new")
	ms := p.msgs()
	p.ack(ms[0])
	if c := p.Status().CommitIndex; c != 3 {
		t.Fatalf("commit index %d after a majority stores the term-3 entry, want 3", c)
	}
	var got []string
	for _, a := range p.ready().Apply {
		got = append(got, fmt.Sprint(a.Command))
	}
	if want := []string{ptCmd(1, 1), ptCmd(2, 2), "new"}; !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
}

// When AppendEntries fails because of log inconsistency, the leader moves nextIndex back
// and retries; with the follower's conflict hint it skips a whole term per round trip.
func TestPaperLeaderFastBackup(t *testing.T) {
	leaderTerms := []int{1, 1, 1, 4, 4, 5, 5, 6, 6, 6} // Figure 7
	for _, tc := range []struct {
		name         string
		prev         int
		conflictTerm int
		conflictIdx  int
		wantPrev     int
	}{
		{"follower short by one", 10, None, 10, 9},
		{"follower short", 10, None, 5, 4},
		{"follower term unknown to leader", 10, 3, 7, 6},
		{"follower term known to leader", 7, 4, 4, 5},
		{"term known, follower's run starts later", 9, 5, 6, 7},
		{"hint past the probe", 10, None, 20, 9},
		{"hint of zero", 10, None, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ptRestore(t, 0, 3, 7, None, leaderTerms...)
			p.elect() // term 8
			m := Message{From: 0, To: 1, Args: &AppendEntriesArgs{Term: 8, LeaderID: 0, PrevLogIndex: tc.prev, PrevLogTerm: leaderTerms[tc.prev-1]}}
			p.StepReply(m, &AppendEntriesReply{Term: 8, ConflictTerm: tc.conflictTerm, ConflictIndex: tc.conflictIdx})
			ms := ptTo(p.msgs(), 1)
			if len(ms) != 1 {
				t.Fatalf("after a rejection the leader sends %v to the follower, want one probe", ms)
			}
			a := ptAE(t, ms[0])
			wantTerm := 0
			if tc.wantPrev > 0 {
				wantTerm = leaderTerms[tc.wantPrev-1]
			}
			if a.PrevLogIndex != tc.wantPrev || a.PrevLogTerm != wantTerm || len(a.Entries) != 10-tc.wantPrev {
				t.Errorf("probe at %d/%d with %d entries, want at %d/%d with %d", a.PrevLogIndex, a.PrevLogTerm, len(a.Entries), tc.wantPrev, wantTerm, 10-tc.wantPrev)
			}
			if pr := p.Status().Progress[1]; pr.State != Probe || pr.Next != tc.wantPrev+1 {
				t.Errorf("progress %+v, want probing with next %d", pr, tc.wantPrev+1)
			}
		})
	}
}

// The leader brings every follower's log in line with its own (Figure 7): it overwrites
// conflicting entries, fills in missing ones, and needs at most one round trip per term
// that differs.
func TestPaperLeaderSyncsFollowerLog(t *testing.T) {
	leader := []int{1, 1, 1, 4, 4, 5, 5, 6, 6, 6}
	for _, tc := range []struct {
		name   string
		terms  []int
		probes int // rejected probes: one per term that differs
	}{
		{"a", []int{1, 1, 1, 4, 4, 5, 5, 6, 6}, 1},
		{"b", []int{1, 1, 1, 4}, 1},
		{"c", []int{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 0},
		{"d", []int{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 0},
		{"e", []int{1, 1, 1, 4, 4, 4, 4}, 2},
		{"f", []int{1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 2},
		{"empty", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSimNetFrom(t, 3, nil, func(id int) ([]byte, []byte) {
				terms := leader
				if id == 1 {
					terms = tc.terms
				}
				return ptState(t, 7, None, 0, 0, ptLog(1, terms...)), nil
			})
			rejected := 0
			s.watch = func(p simPacket) {
				if r, ok := p.reply.(*AppendEntriesReply); ok && p.m.To == 1 && !r.Success {
					rejected++
				}
			}
			s.campaign(0) // term 8, with peer 2's vote
			if s.leader() != 0 {
				t.Fatalf("peer 0 not elected: %+v", s.nodes[0].Status())
			}
			for i := range 3 {
				s.propose(0, fmt.Sprint("new", i))
				s.flush()
			}
			if rejected != tc.probes {
				t.Errorf("%d rejected AppendEntries, want %d", rejected, tc.probes)
			}
			ls, fs := s.nodes[0].Status(), s.nodes[1].Status()
			if fs.CommitIndex != 13 || ls.CommitIndex != 13 {
				t.Errorf("commit index: leader %d follower %d, want 13", ls.CommitIndex, fs.CommitIndex)
			}
			if le, fe := s.nodes[0].Entries(1, 100), s.nodes[1].Entries(1, 100); !simEntriesEqual(le, fe) {
				t.Errorf("follower's log %v\nleader's log %v", fe, le)
			}
		})
	}
}

// ---- RequestVote receiver -----------------------------------------------------------------

// Reply false if term < currentTerm; grant if votedFor is null or candidateId and the
// candidate's log is at least as up to date as the receiver's; remember the vote.
func TestPaperVoteGranting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		term  int
		vote  int // votedFor before, in term 2
		cand  int
		cterm int
		want  bool
		voted int
	}{
		{"no vote yet", 2, None, 1, 2, true, 1},
		{"repeated request", 2, 1, 1, 2, true, 1},
		{"voted for another", 2, 1, 2, 2, false, 1},
		{"voted for itself", 2, 0, 2, 2, false, 0},
		{"new term forgets the vote", 2, 1, 2, 3, true, 2},
		{"stale term", 2, None, 1, 1, false, None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ptRestore(t, 0, 3, tc.term, tc.vote)
			r := p.requestVote(&RequestVoteArgs{Term: tc.cterm, CandidateID: tc.cand})
			if r.VoteGranted != tc.want || p.Status().VotedFor != tc.voted {
				t.Errorf("granted %v, votedFor %d; want %v, %d", r.VoteGranted, p.Status().VotedFor, tc.want, tc.voted)
			}
			if r.Term != max(tc.term, tc.cterm) {
				t.Errorf("reply term %d, want %d", r.Term, max(tc.term, tc.cterm))
			}
			rd := p.ready()
			if tc.want && tc.vote != tc.cand {
				st, err := decodeState(rd.State.Bytes())
				if err != nil || st.votedFor != tc.cand || st.term != tc.cterm {
					t.Errorf("granted vote not in the Ready's State (term %d vote %d, %v)", st.term, st.votedFor, err)
				}
			} else if tc.cterm <= tc.term && rd.State != nil {
				t.Errorf("Ready saves state although nothing persistent changed")
			}
			es := p.takeEvents()
			if len(es) == 0 || es[len(es)-1].Kind != EventVote {
				t.Fatalf("events %v, want a vote event last", es)
			}
			e := es[len(es)-1]
			if e.Other != tc.cand || e.Index != tc.cterm || e.Granted != tc.want || e.PreVote {
				t.Errorf("vote event %+v, want candidate %d term %d granted %v", e, tc.cand, tc.cterm, tc.want)
			}
		})
	}
}

// Section 5.4.1: the voter denies its vote if its own log is more up to date: a later last
// term wins, and with equal last terms the longer log wins.
func TestPaperVoteUpToDate(t *testing.T) {
	for _, tc := range []struct {
		name           string
		snapIdx, snapT int
		voter          []int
		lastIdx, lastT int
		want           bool
	}{
		{"equal", 0, 0, []int{1, 1, 2}, 3, 2, true},
		{"longer, same term", 0, 0, []int{1, 1, 2}, 4, 2, true},
		{"shorter, same term", 0, 0, []int{1, 1, 2}, 2, 2, false},
		{"shorter, later term", 0, 0, []int{1, 1, 2}, 1, 3, true},
		{"longer, earlier term", 0, 0, []int{1, 1, 2}, 9, 1, false},
		{"empty candidate", 0, 0, []int{1, 1, 2}, 0, 0, false},
		{"empty voter", 0, 0, nil, 0, 0, true},
		{"voter with only a snapshot, equal", 5, 2, nil, 5, 2, true},
		{"voter with only a snapshot, shorter", 5, 2, nil, 4, 2, false},
		{"voter with only a snapshot, later term", 5, 2, nil, 1, 3, true},
		{"voter with snapshot and log", 5, 2, []int{3}, 6, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := ptLog(tc.snapIdx+1, tc.voter...)
			p := newPT(t, ptConfig(0, 3), ptState(t, 3, None, tc.snapIdx, tc.snapT, es), ptSnap(tc.snapIdx))
			r := p.requestVote(&RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: tc.lastIdx, LastLogTerm: tc.lastT})
			if r.VoteGranted != tc.want {
				t.Errorf("candidate at %d/%d, voter %v after %d/%d: granted %v, want %v", tc.lastIdx, tc.lastT, tc.voter, tc.snapIdx, tc.snapT, r.VoteGranted, tc.want)
			}
			// Either way the voter adopts the term.
			if p.Term() != 4 || p.Role() != Follower {
				t.Errorf("voter in term %d as %v, want a follower in term 4", p.Term(), p.Role())
			}
		})
	}
}

// ---- AppendEntries receiver ---------------------------------------------------------------

// Reply false if term < currentTerm, or if the log doesn't contain an entry at
// prevLogIndex whose term matches prevLogTerm, with the fast-backup hint.
func TestPaperAppendEntriesRejects(t *testing.T) {
	for _, tc := range []struct {
		name             string
		snapIdx, snapT   int
		terms            []int
		args             AppendEntriesArgs
		wantTerm         int
		wantCTerm, wantC int
	}{
		{"stale term", 0, 0, []int{1, 1, 2, 2}, AppendEntriesArgs{Term: 1, PrevLogIndex: 4, PrevLogTerm: 2}, 2, None, 0},
		{"log too short", 0, 0, []int{1, 1, 2, 2}, AppendEntriesArgs{Term: 2, PrevLogIndex: 6, PrevLogTerm: 2}, 2, None, 5},
		{"term mismatch at the end", 0, 0, []int{1, 1, 2, 2}, AppendEntriesArgs{Term: 3, PrevLogIndex: 4, PrevLogTerm: 3}, 3, 2, 3},
		{"term mismatch at the start", 0, 0, []int{1, 1, 2, 2}, AppendEntriesArgs{Term: 3, PrevLogIndex: 2, PrevLogTerm: 2}, 3, 1, 1},
		{"empty log", 0, 0, nil, AppendEntriesArgs{Term: 2, PrevLogIndex: 1, PrevLogTerm: 1}, 2, None, 1},
		{"mismatch after a snapshot", 3, 1, []int{2, 2}, AppendEntriesArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 3}, 3, 2, 4},
		{"mismatch in a run crossing the snapshot", 3, 2, []int{2, 2}, AppendEntriesArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 3}, 3, 2, 4},
		{"too short after a snapshot", 3, 1, nil, AppendEntriesArgs{Term: 2, PrevLogIndex: 5, PrevLogTerm: 1}, 2, None, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, ptConfig(0, 3), ptState(t, 2, None, tc.snapIdx, tc.snapT, ptLog(tc.snapIdx+1, tc.terms...)), ptSnap(tc.snapIdx))
			before := p.Entries(0, 100)
			a := tc.args
			a.LeaderID = 1
			a.Entries = ptLog(a.PrevLogIndex+1, a.Term)
			a.LeaderCommit = 10
			r := p.appendEntries(&a)
			want := AppendEntriesReply{Term: tc.wantTerm, Success: false, ConflictTerm: tc.wantCTerm, ConflictIndex: tc.wantC}
			if *r != want {
				t.Errorf("reply %+v, want %+v", *r, want)
			}
			if after := p.Entries(0, 100); !simEntriesEqual(before, after) {
				t.Errorf("a rejected AppendEntries changed the log from %v to %v", before, after)
			}
			if c := p.Status().CommitIndex; c != tc.snapIdx {
				t.Errorf("a rejected AppendEntries moved the commit index to %d", c)
			}
		})
	}
}

// If an existing entry conflicts with a new one (same index, different terms), delete the
// existing entry and all that follow it; append any new entries not already in the log.
// Entries already present (a duplicate or an older, shorter message) change nothing.
func TestPaperAppendEntriesAppends(t *testing.T) {
	for _, tc := range []struct {
		name      string
		prev      int
		prevTerm  int
		entries   []int
		want      []int
		truncated [2]int // the truncate event's range, or zero
		appended  [2]int // the append event's range, or zero
	}{
		{"append at the end", 3, 2, []int{3}, []int{1, 1, 2, 3}, [2]int{}, [2]int{4, 4}},
		{"conflict at the end", 2, 1, []int{3}, []int{1, 1, 3}, [2]int{3, 3}, [2]int{3, 3}},
		{"conflict in the middle", 1, 1, []int{3, 3}, []int{1, 3, 3}, [2]int{2, 3}, [2]int{2, 3}},
		{"all present", 0, 0, []int{1, 1, 2}, []int{1, 1, 2}, [2]int{}, [2]int{}},
		{"present then new", 0, 0, []int{1, 1, 2, 3, 3}, []int{1, 1, 2, 3, 3}, [2]int{}, [2]int{4, 5}},
		{"older shorter message", 0, 0, []int{1}, []int{1, 1, 2}, [2]int{}, [2]int{}},
		{"heartbeat", 3, 2, nil, []int{1, 1, 2}, [2]int{}, [2]int{}},
		{"heartbeat behind the end", 1, 1, nil, []int{1, 1, 2}, [2]int{}, [2]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ptRestore(t, 0, 3, 3, None, 1, 1, 2)
			p.takeEvents()
			r := p.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 1, PrevLogIndex: tc.prev, PrevLogTerm: tc.prevTerm, Entries: ptLog(tc.prev+1, tc.entries...)})
			if !r.Success || r.Term != 3 {
				t.Fatalf("reply %+v, want success in term 3", *r)
			}
			if got := p.logTerms(); !slices.Equal(got, tc.want) {
				t.Errorf("log terms %v, want %v", got, tc.want)
			}
			for i, e := range p.Entries(1, 10) {
				if e.Command != ptCmd(e.Term, i+1) {
					t.Errorf("entry %d holds %v, want %v", i+1, e.Command, ptCmd(e.Term, i+1))
				}
			}
			var trunc, app [2]int
			for _, e := range p.takeEvents() {
				switch e.Kind {
				case EventTruncate:
					trunc = [2]int{e.Index, e.LastIndex}
				case EventAppend:
					app = [2]int{e.Index, e.LastIndex}
					if len(e.Entries) != e.LastIndex-e.Index+1 || e.Other != 1 {
						t.Errorf("append event %+v: want %d entries from leader 1", e, e.LastIndex-e.Index+1)
					}
				}
			}
			if trunc != tc.truncated || app != tc.appended {
				t.Errorf("truncated %v appended %v, want %v and %v", trunc, app, tc.truncated, tc.appended)
			}
			if rd := p.ready(); (rd.State != nil) != (tc.truncated != [2]int{} || tc.appended != [2]int{}) {
				t.Errorf("Ready has State %v, want it exactly when the log changed", rd.State != nil)
			}
		})
	}
}

// An AppendEntries that starts inside the follower's snapshot is checked from the
// snapshot on: what the snapshot covers is committed, so it matches.
func TestPaperAppendEntriesBehindSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prev     int
		prevTerm int
		entries  []int
		want     []int // the log after the snapshot at 3
		commit   int
	}{
		{"overlapping the snapshot", 1, 1, []int{1, 1, 2, 2, 2}, []int{2, 2, 2}, 6},
		{"entirely inside the snapshot", 0, 0, []int{1, 1}, []int{2, 2}, 3},
		{"heartbeat inside the snapshot", 1, 1, nil, []int{2, 2}, 3},
		{"ending at the snapshot", 0, 0, []int{1, 1, 1}, []int{2, 2}, 3},
		{"conflict after the snapshot", 2, 1, []int{1, 3, 3}, []int{3, 3}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPT(t, ptConfig(0, 3), ptState(t, 3, None, 3, 1, ptLog(4, 2, 2)), ptSnap(3))
			r := p.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 1, PrevLogIndex: tc.prev, PrevLogTerm: tc.prevTerm,
				Entries: ptLog(tc.prev+1, tc.entries...), LeaderCommit: 10})
			if !r.Success {
				t.Fatalf("reply %+v, want success", *r)
			}
			if got := p.logTerms(); !slices.Equal(got, tc.want) {
				t.Errorf("log after the snapshot %v, want %v", got, tc.want)
			}
			if c := p.Status().CommitIndex; c != tc.commit {
				t.Errorf("commit index %d, want %d", c, tc.commit)
			}
		})
	}
}

// Entries the follower cannot save (here, a command the encoding refuses) are entries it
// does not hold: it must not acknowledge them or commit past what it holds.
func TestPaperAppendEntriesUnsavable(t *testing.T) {
	p := ptRestore(t, 0, 3, 2, None, 1)
	r := p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1,
		Entries: []Entry{{Term: 2, Command: "ok"}, {Term: 2, Command: make(chan int)}}, LeaderCommit: 3})
	if r.Success {
		t.Errorf("reply %+v: acknowledged an entry it could not save", *r)
	}
	if s := p.Status(); s.LastIndex > 2 || s.CommitIndex > s.LastIndex {
		t.Errorf("status %+v: holds or commits what it could not save", s)
	}
}

// Reordered and duplicated AppendEntries never undo what a newer one appended.
func TestPaperAppendEntriesIdempotent(t *testing.T) {
	p := ptRestore(t, 0, 3, 2, None)
	short := &AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ptLog(1, 1, 2), LeaderCommit: 1}
	long := &AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ptLog(1, 1, 2, 2, 2), LeaderCommit: 3}
	mid := &AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 2, Entries: ptLog(3, 2), LeaderCommit: 2}
	for i, a := range []*AppendEntriesArgs{long, short, mid, long, short, mid, mid} {
		if r := p.appendEntries(a); !r.Success {
			t.Fatalf("message %d rejected: %+v", i, r)
		}
		if got := p.logTerms(); !slices.Equal(got, []int{1, 2, 2, 2}) {
			t.Fatalf("after message %d the log is %v, want [1 2 2 2]", i, got)
		}
		if rd := p.ready(); i > 0 && rd.State != nil {
			t.Errorf("message %d (old or duplicate) made the node save state", i)
		}
		if c := p.Status().CommitIndex; c != 3 {
			t.Errorf("after message %d commit index is %d, want 3 (never back)", i, c)
		}
	}
	for _, e := range p.events {
		if e.Kind == EventTruncate {
			t.Errorf("old messages truncated the log: %v", e)
		}
	}
}

// If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new
// entry): entries past what the message vouches for may still be stale.
func TestPaperAppendEntriesCommit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		commit  int // the follower's commit index before
		prev    int
		entries int // entries of term 2 after prev
		leaderC int
		want    int
	}{
		{"commit within the message", 0, 3, 2, 4, 4},
		{"commit past the message", 0, 3, 2, 9, 5},
		{"heartbeat cannot vouch for the stale tail", 0, 2, 0, 6, 2},
		{"no entries, commit at prev", 0, 6, 0, 6, 6},
		{"never decreases", 5, 6, 0, 3, 5},
		{"never decreases on a short heartbeat", 5, 2, 0, 6, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The follower's log 1..6 is all of term 2, but it does not know which of it is
			// the leader's.
			p := ptRestore(t, 0, 3, 2, None, 2, 2, 2, 2, 2, 2)
			if tc.commit > 0 {
				p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: tc.commit, PrevLogTerm: 2, LeaderCommit: tc.commit})
			}
			es := make([]int, tc.entries)
			for i := range es {
				es[i] = 2
			}
			p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: tc.prev, PrevLogTerm: 2, Entries: ptLog(tc.prev+1, es...), LeaderCommit: tc.leaderC})
			if c := p.Status().CommitIndex; c != tc.want {
				t.Errorf("commit index %d, want %d", c, tc.want)
			}
		})
	}
}

// ---- InstallSnapshot receiver (section 7) -------------------------------------------------

func TestPaperInstallSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name        string
		commit      int
		term        int
		lastIdx     int
		lastTerm    int
		installed   bool
		wantTerms   []int // the log after the snapshot
		wantSnapIdx int
		wantLast    int
	}{
		{"keeps the matching suffix", 0, 2, 3, 1, true, []int{2, 2}, 3, 5},
		{"discards a conflicting log", 0, 3, 4, 3, true, nil, 4, 4},
		{"covers the whole log", 0, 2, 5, 2, true, nil, 5, 5},
		{"beyond the log", 0, 2, 7, 2, true, nil, 7, 7},
		{"stale: already committed", 4, 2, 3, 1, false, []int{1, 1, 1, 2, 2}, 0, 5},
		{"stale: equal to commit", 3, 2, 3, 1, false, []int{1, 1, 1, 2, 2}, 0, 5},
		{"stale term", 0, 1, 5, 2, false, []int{1, 1, 1, 2, 2}, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ptRestore(t, 0, 3, 2, None, 1, 1, 1, 2, 2)
			if tc.commit > 0 {
				p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: tc.commit, PrevLogTerm: p.Status().TermAt(tc.commit), LeaderCommit: tc.commit})
			}
			p.ready()
			p.takeEvents()
			data := encodeSimSnap(tc.lastIdx, 42)
			r := p.installSnapshot(&InstallSnapshotArgs{Term: tc.term, LeaderID: 1, LastIncludedIndex: tc.lastIdx, LastIncludedTerm: tc.lastTerm, Data: data})
			if r.Term != max(2, tc.term) {
				t.Errorf("reply term %d, want %d", r.Term, max(2, tc.term))
			}
			s := p.Status()
			if got := p.logTerms(); !slices.Equal(got, tc.wantTerms) || s.SnapshotIndex != tc.wantSnapIdx || s.LastIndex != tc.wantLast {
				t.Errorf("log %v after snapshot %d, last %d; want %v after %d, last %d", got, s.SnapshotIndex, s.LastIndex, tc.wantTerms, tc.wantSnapIdx, tc.wantLast)
			}
			rd := p.ready()
			if !tc.installed {
				if rd.State != nil || rd.Snapshot != nil || len(rd.Apply) != 0 {
					t.Errorf("a stale snapshot produced %+v", rd)
				}
				for _, e := range p.takeEvents() {
					if e.Kind == EventInstallSnapshot {
						t.Errorf("stale snapshot reported installed: %v", e)
					}
				}
				return
			}
			if s.CommitIndex != tc.lastIdx || s.LastApplied != tc.lastIdx || s.SnapshotTerm != tc.lastTerm {
				t.Errorf("status %+v, want commit and applied at %d, snapshot term %d", s, tc.lastIdx, tc.lastTerm)
			}
			if rd.State == nil || !slices.Equal(rd.Snapshot, data) {
				t.Errorf("Ready saves state %v snapshot %x, want both, the snapshot %x", rd.State != nil, rd.Snapshot, data)
			}
			want := []ApplyMsg{{SnapshotValid: true, Snapshot: data, SnapshotTerm: tc.lastTerm, SnapshotIndex: tc.lastIdx}}
			if !reflect.DeepEqual(rd.Apply, want) {
				t.Errorf("Apply %+v, want %+v", rd.Apply, want)
			}
			if !slices.Equal(p.SnapshotData(), data) {
				t.Errorf("SnapshotData %x, want %x", p.SnapshotData(), data)
			}
			es := p.takeEvents()
			last := es[len(es)-1]
			if last.Kind != EventInstallSnapshot || last.LastIndex != tc.lastIdx || last.PrevTerm != tc.lastTerm || last.Other != 1 {
				t.Errorf("last event %v, want install through %d (term %d) from 1", last, tc.lastIdx, tc.lastTerm)
			}

			// Applying resumes at the index after the snapshot.
			term := max(2, tc.term)
			p.appendEntries(&AppendEntriesArgs{Term: term, LeaderID: 1, PrevLogIndex: s.LastIndex, PrevLogTerm: s.LastTerm,
				Entries: []Entry{{Term: term, Command: "after"}}, LeaderCommit: s.LastIndex + 1})
			got := p.ready().Apply
			if len(got) != s.LastIndex+1-tc.lastIdx || got[0].CommandIndex != tc.lastIdx+1 || got[len(got)-1].Command != "after" {
				t.Errorf("after the snapshot applies %+v, want %d..%d ending with the new entry", got, tc.lastIdx+1, s.LastIndex+1)
			}
		})
	}
}

// Entries committed but not yet handed to the service when a snapshot arrives are
// skipped: the service gets the snapshot, then what follows it, never the entries it
// covers.
func TestPaperInstallSnapshotOverPendingApplies(t *testing.T) {
	p := ptRestore(t, 0, 3, 2, None, 1, 1, 1, 2, 2)
	p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 1, LeaderCommit: 2})
	// Commit 1..2 is pending. A snapshot through 4 and a commit of 5 arrive.
	p.installSnapshot(&InstallSnapshotArgs{Term: 2, LeaderID: 1, LastIncludedIndex: 4, LastIncludedTerm: 2, Data: encodeSimSnap(4, 1)})
	p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 5, PrevLogTerm: 2, LeaderCommit: 5})
	var got []string
	for _, a := range p.ready().Apply {
		if a.SnapshotValid {
			got = append(got, fmt.Sprint("snapshot ", a.SnapshotIndex))
		} else {
			got = append(got, fmt.Sprint("command ", a.CommandIndex))
		}
	}
	if want := []string{"snapshot 4", "command 5"}; !slices.Equal(got, want) {
		t.Errorf("applies %v, want %v", got, want)
	}
}

// ---- Snapshots from the service (section 7) -----------------------------------------------

func TestPaperServiceSnapshot(t *testing.T) {
	p := newPT(t, ptConfig(0, 1), nil, nil)
	p.elect()
	for i := 1; i <= 5; i++ {
		p.Propose(i)
	}
	if n := len(p.ready().Apply); n != 5 {
		t.Fatalf("single peer applied %d entries, want 5", n)
	}
	p.Propose(6) // committed, not yet applied
	for _, idx := range []int{-1, 0, 6, 7} {
		if err := p.Snapshot(idx, []byte("x")); !errors.Is(err, ErrSnapshotIndex) {
			t.Errorf("Snapshot(%d) = %v, want ErrSnapshotIndex", idx, err)
		}
	}
	if err := p.Snapshot(3, []byte("s3")); err != nil {
		t.Fatalf("Snapshot(3): %v", err)
	}
	s := p.Status()
	if s.SnapshotIndex != 3 || s.SnapshotTerm != 1 || s.FirstIndex != 4 || s.LastIndex != 6 {
		t.Errorf("after Snapshot(3): %+v, want snapshot 3 (term 1), log 4..6", s)
	}
	if es := p.Entries(1, 10); len(es) != 3 || es[0].Command != 4 {
		t.Errorf("Entries(1, 10) = %v, want entries 4..6", es)
	}
	if ev := p.events[len(p.events)-1]; ev.Kind != EventSnapshot || ev.LastIndex != 3 || ev.PrevTerm != 1 {
		t.Errorf("event %v, want snapshot through 3 in term 1", ev)
	}
	rd := p.ready()
	if rd.State == nil || string(rd.Snapshot) != "s3" {
		t.Errorf("Ready saves state %v and snapshot %q, want both, s3", rd.State != nil, rd.Snapshot)
	}
	for _, idx := range []int{2, 3} {
		if err := p.Snapshot(idx, []byte("x")); !errors.Is(err, ErrSnapshotIndex) {
			t.Errorf("Snapshot(%d) after Snapshot(3) = %v, want ErrSnapshotIndex", idx, err)
		}
	}
	if err := p.Snapshot(6, []byte("s6")); err != nil {
		t.Errorf("Snapshot(6) of an applied index: %v", err)
	}
	if s := p.Status(); s.FirstIndex != 7 || s.LastIndex != 6 || s.LastTerm != 1 {
		t.Errorf("after Snapshot(6): %+v, want an empty log after 6, last term 1", s)
	}
	// The last snapshot survives a restart, and so does the empty log after it.
	rd = p.ready()
	q := newPT(t, ptConfig(0, 1), rd.State.Bytes(), rd.Snapshot)
	if s := q.Status(); s.SnapshotIndex != 6 || s.CommitIndex != 6 || s.LastApplied != 6 || string(q.SnapshotData()) != "s6" {
		t.Errorf("restarted: %+v snapshot %q, want everything at 6, s6", s, q.SnapshotData())
	}
	q.elect()
	if idx, _, err := q.Propose(7); idx != 7 || err != nil {
		t.Errorf("Propose after restart = %d, %v, want 7", idx, err)
	}
	if a := q.ready().Apply; len(a) != 1 || a[0].CommandIndex != 7 {
		t.Errorf("after restart applies %+v, want index 7 alone", a)
	}
}

// A leader whose log no longer holds what a follower needs sends its snapshot, and after
// the follower installs it carries on with the entries that follow.
func TestPaperLeaderSendsSnapshot(t *testing.T) {
	p := newPT(t, ptConfig(0, 3), ptState(t, 1, None, 5, 1, ptLog(6, 1, 1)), []byte("snap5"))
	hb := p.elect()
	m := ptTo(hb, 2)[0]
	p.StepReply(m, &AppendEntriesReply{Term: 2, ConflictTerm: None, ConflictIndex: 1})
	ms := ptTo(p.msgs(), 2)
	if len(ms) != 1 {
		t.Fatalf("leader sends %v to the follower behind its snapshot, want one InstallSnapshot", ms)
	}
	a, ok := ms[0].Args.(*InstallSnapshotArgs)
	want := InstallSnapshotArgs{Term: 2, LeaderID: 0, LastIncludedIndex: 5, LastIncludedTerm: 1, Data: []byte("snap5")}
	if !ok || !reflect.DeepEqual(*a, want) {
		t.Fatalf("sent %v, want InstallSnapshot %+v", ms[0], want)
	}
	if pr := p.Status().Progress[2]; pr.State != SnapshotState {
		t.Errorf("progress %+v, want snapshot state", pr)
	}
	// Nothing more goes to it while the snapshot is outstanding, even at a heartbeat.
	p.Propose("x")
	p.Tick()
	p.Tick()
	if ms := ptTo(p.msgs(), 2); len(ms) != 0 {
		t.Errorf("leader sends %v while a snapshot is outstanding", ms)
	}
	p.StepReply(ms[0], &InstallSnapshotReply{Term: 2})
	pr := p.Status().Progress[2]
	if pr.Match != 5 || pr.State != Probe {
		t.Errorf("after the snapshot's reply: %+v, want match 5, probing", pr)
	}
	next := ptTo(p.msgs(), 2)
	if len(next) != 1 {
		t.Fatalf("after the snapshot the leader sends %v, want the entries after it", next)
	}
	if a := ptAE(t, next[0]); a.PrevLogIndex != 5 || a.PrevLogTerm != 1 || len(a.Entries) != 3 {
		t.Errorf("AppendEntries %+v, want entries 6..8 after 5/1", *a)
	}
}

// ---- Figure 8 (5.4.2) -----------------------------------------------------------------------

// fig8 plays Figure 8 of the paper on five servers S1..S5 (peers 0..4) up to (c): S1 leads
// term 4 and has replicated index 2, from term 2, to a majority. It returns the network.
func fig8(t *testing.T) *simNet {
	t.Helper()
	s := newSimNet(t, 5, nil)
	const s1, s2, s3, s4, s5 = 0, 1, 2, 3, 4
	// Index 1 (term 1) everywhere, led by S2 in term 1.
	s.campaign(s2)
	s.propose(s2, "one")
	s.flush()
	// S1 takes term 2 (S2 is cut off long enough for S1 to time out).
	s.isolate(s2)
	s.campaign(s1)
	s.heal()
	s.flush()
	if s.leader() != s1 || s.nodes[s1].Term() != 2 {
		t.Fatalf("S1 does not lead term 2: %+v", s.nodes[s1].Status())
	}
	// (a) S1 replicates index 2 of term 2 to S2 only.
	s.partition([]int{s1, s2}, []int{s3, s4, s5})
	s.propose(s1, "a2")
	s.heartbeat(s1) // S2 has not answered since S1 took over: probe it

	for id, want := range []int{2, 2, 1, 1, 1} {
		if got := s.nodes[id].Status().LastIndex; got != want {
			t.Fatalf("(a) S%d's log ends at %d, want %d", id+1, got, want)
		}
	}
	// (b) S1 crashes; S5 is elected in term 3 by S3, S4 and itself, and accepts a
	// different entry at index 2, which it does not replicate.
	s.crash(s1)
	s.campaign(s5)
	if s.leader() != s5 || s.nodes[s5].Term() != 3 {
		t.Fatalf("(b) S5 does not lead term 3: %+v", s.nodes[s5].Status())
	}
	s.isolate(s5)
	s.propose(s5, "b3")
	s.flush()
	// (c) S5 crashes, S1 restarts and is elected (term 4, after one failed try against
	// S3, already in term 3) and replicates index 2 to S3; S4 is out of reach.
	s.crash(s5)
	s.restart(s1)
	s.partition([]int{s1, s2, s3})
	for i := 0; s.leader() != s1; i++ {
		if i == 3 {
			t.Fatalf("(c) S1 not elected in 3 tries: %+v", s.nodes[s1].Status())
		}
		s.campaign(s1)
	}
	if term := s.nodes[s1].Term(); term != 4 {
		t.Fatalf("(c) S1 leads term %d, want 4", term)
	}
	s.flush()
	for id, want := range []int{2, 2, 2, 1} {
		if st := s.nodes[id].Status(); st.LastIndex != want || want == 2 && st.TermAt(2) != 2 {
			t.Fatalf("(c) S%d: %+v, want a log to %d, index 2 of term 2", id+1, st, want)
		}
	}
	return s
}

// In (c) the term-2 entry is on a majority but S1 must not commit it by counting replicas:
// in (d) S5 can still be elected and overwrite it.
func TestPaperFigure8OldTermNotCommitted(t *testing.T) {
	s := fig8(t)
	const s1, s2, s3, s4, s5 = 0, 1, 2, 3, 4
	for id := range 4 {
		if c := s.nodes[id].Status().CommitIndex; c >= 2 {
			t.Fatalf("(c) S%d's commit index is %d: index 2 (term 2) committed by counting replicas", id+1, c)
		}
	}
	// (d) S1 crashes; S5 restarts, wins term 5 with votes from S2, S3 and S4 (its last
	// term 3 beats their 2), and overwrites index 2 everywhere.
	s.crash(s1)
	s.restart(s5)
	s.partition([]int{s2, s3, s4, s5})
	for i := 0; s.leader() != s5; i++ {
		if i == 3 {
			t.Fatalf("(d) S5 not elected in 3 tries: %+v", s.nodes[s5].Status())
		}
		s.campaign(s5)
	}
	if term := s.nodes[s5].Term(); term != 5 {
		t.Fatalf("(d) S5 leads term %d, want 5", term)
	}
	s.propose(s5, "d5")
	s.flush()
	for _, id := range []int{s2, s3, s4, s5} {
		st := s.nodes[id].Status()
		if st.TermAt(2) != 3 || st.CommitIndex != 3 {
			t.Errorf("(d) S%d: %+v, want index 2 of term 3 and commit 3", id+1, st)
		}
	}
	for _, id := range []int{s2, s3} {
		var truncated bool
		for _, e := range s.events[id] {
			truncated = truncated || e.Kind == EventTruncate && e.Index == 2 && e.Term == 5
		}
		if !truncated {
			t.Errorf("(d) S%d did not report the overwrite of index 2", id+1)
		}
	}
	for id := range 5 {
		if cmd, ok := s.commandsOf(id)[2]; ok && cmd != "b3" {
			t.Errorf("S%d applied %v at index 2", id+1, cmd)
		}
	}
}

// In (e), S1 replicates an entry of its own term 4 to a majority before crashing: that
// commits index 2 too, and S5 can no longer be elected.
func TestPaperFigure8CurrentTermCommits(t *testing.T) {
	s := fig8(t)
	const s1, s2, s3, s4, s5 = 0, 1, 2, 3, 4
	s.partition([]int{s1, s2, s3})
	s.propose(s1, "e4")
	s.flush()
	if c := s.nodes[s1].Status().CommitIndex; c != 3 {
		t.Fatalf("(e) S1's commit index is %d, want 3", c)
	}
	s.crash(s1)
	s.restart(s5)
	s.heal()
	for range 20 {
		s.campaign(s5)
		if s.nodes[s5].Role() == Leader {
			t.Fatalf("(e) S5 elected in term %d although a majority holds a later log", s.nodes[s5].Term())
		}
	}
	l := s.electLeader()
	if l != s2 && l != s3 {
		t.Fatalf("leader %d, want S2 or S3 (the only up-to-date logs)", l+1)
	}
	s.propose(l, "after")
	s.flush()
	for id := range 5 {
		if id == s1 {
			continue
		}
		got := s.commandsOf(id)
		if got[2] != "a2" || got[3] != "e4" {
			t.Errorf("S%d applied %v at 2 and %v at 3, want a2 and e4", id+1, got[2], got[3])
		}
	}
}
