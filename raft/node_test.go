package raft

// Tests of raft.Node beyond the paper's rules: PreVote and CheckQuorum, flow control,
// persistence and the Ready contract, events, and long runs under random faults.

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func ptPreVote(id, peers int) Config {
	c := ptConfig(id, peers)
	c.PreVote = true
	return c
}

// ---- PreVote (dissertation 9.6) ------------------------------------------------------------

// A pre-candidate asks for pre-votes for term+1 without raising its own term or voting,
// so it saves nothing; with a majority of pre-votes it starts the real election.
func TestNodePreVoteCampaign(t *testing.T) {
	p := newPT(t, ptPreVote(0, 3), ptState(t, 3, None, 0, 0, ptLog(1, 1, 3)), nil)
	p.tickUntil(PreCandidate, 20)
	s := p.Status()
	if s.Term != 3 || s.VotedFor != None {
		t.Errorf("pre-candidate has term %d vote %d, want 3 and none", s.Term, s.VotedFor)
	}
	rd := p.ready()
	if rd.State != nil {
		t.Errorf("a pre-vote saves state")
	}
	if len(rd.Messages) != 2 {
		t.Fatalf("pre-candidate sends %v, want 2 pre-votes", rd.Messages)
	}
	for _, m := range rd.Messages {
		want := RequestVoteArgs{Term: 4, CandidateID: 0, LastLogIndex: 2, LastLogTerm: 3, PreVote: true}
		if a := m.Args.(*RequestVoteArgs); *a != want {
			t.Errorf("pre-vote %+v, want %+v", *a, want)
		}
	}
	pre := rd.Messages
	p.StepReply(pre[0], &RequestVoteReply{Term: 3, VoteGranted: true})
	if s := p.Status(); s.Role != Candidate || s.Term != 4 || s.VotedFor != 0 {
		t.Fatalf("after a majority of pre-votes: %v term %d vote %d, want a candidate in term 4 voting for itself", s.Role, s.Term, s.VotedFor)
	}
	rd = p.ready()
	if rd.State == nil || len(rd.Messages) != 2 || rd.Messages[0].Args.(*RequestVoteArgs).PreVote {
		t.Errorf("candidate's Ready: state %v messages %v, want state and 2 real RequestVotes", rd.State != nil, rd.Messages)
	}
	// The late pre-vote reply from peer 2 is for a finished pre-election: it counts for
	// nothing now.
	p.StepReply(pre[1], &RequestVoteReply{Term: 3, VoteGranted: true})
	if p.Role() != Candidate {
		t.Errorf("a pre-vote counted as a vote: %v", p.Role())
	}
}

// A pre-candidate that hears nothing tries pre-voting again; it never raises its term on
// its own, so a peer cut off from the others keeps its term however long it waits.
func TestNodePreVotePartitionedPeerKeepsTerm(t *testing.T) {
	p := newPT(t, ptPreVote(0, 3), ptState(t, 3, None, 0, 0, nil), nil)
	prevotes := 0
	for range 50 * 20 {
		p.Tick()
		for _, m := range p.msgs() {
			a := m.Args.(*RequestVoteArgs)
			if !a.PreVote || a.Term != 4 {
				t.Fatalf("isolated peer sends %v %+v", m, *a)
			}
			prevotes++
			p.StepFailure(m)
		}
	}
	if s := p.Status(); s.Term != 3 || s.Role != PreCandidate {
		t.Errorf("after 1000 ticks alone: %v in term %d, want a pre-candidate in term 3", s.Role, s.Term)
	}
	if prevotes < 2*50 {
		t.Errorf("%d pre-votes in 1000 ticks, want a round every election timeout", prevotes)
	}

	// In a cluster: a follower cut off from the others rejoins without disturbing them.
	s := newSimNet(t, 3, func(c *Config) { c.PreVote = true })
	l := s.electLeader()
	term := s.nodes[l].Term()
	f := (l + 1) % 3
	s.isolate(f)
	for range 30 * 20 {
		s.round()
	}
	if got := s.nodes[f].Term(); got != term {
		t.Errorf("isolated follower's term went from %d to %d", term, got)
	}
	s.heal()
	for range 10 * 20 {
		s.round()
	}
	if s.leader() != l || s.nodes[l].Term() != term {
		t.Errorf("after the follower rejoined: leader %d in term %d, want %d still leading term %d", s.leader(), s.nodes[s.leader()].Term(), l, term)
	}
	if st := s.nodes[f].Status(); st.Role != Follower || st.Leader != l {
		t.Errorf("rejoined peer %+v, want a follower of %d", st, l)
	}
}

// A pre-vote is granted if the candidate's term would be later than ours, its log is up to
// date, and we have not heard from a leader within the minimum election timeout. Granting
// it changes nothing on the voter.
func TestNodePreVoteGranting(t *testing.T) {
	for _, tc := range []struct {
		name     string
		leader   bool // heard from leader 2 just now
		idle     int  // ticks since
		term     int  // the pre-vote's term (the voter is in term 3)
		lastIdx  int
		lastTerm int
		want     bool
	}{
		{"up to date, no leader", false, 0, 4, 2, 2, true},
		{"term not later", false, 0, 3, 2, 2, false},
		{"log behind", false, 0, 4, 1, 2, false},
		{"log later", false, 0, 4, 1, 3, true},
		{"leader heard from", true, 0, 4, 2, 2, false},
		{"leader heard from, still in lease", true, 9, 4, 2, 2, false},
		{"leader silent for an election timeout", true, 10, 4, 2, 2, true},
		{"far later term, leader heard from", true, 0, 9, 9, 9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ptPreVote(0, 3)
			cfg.ElectionTicksMin, cfg.ElectionTicksMax = 10, 1000 // no campaign of its own
			p := newPT(t, cfg, ptState(t, 3, 1, 0, 0, ptLog(1, 1, 2)), nil)
			if tc.leader {
				p.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 2, PrevLogTerm: 2})
			}
			for range tc.idle {
				p.Tick()
			}
			p.ready()
			before := p.Status()
			r := p.requestVote(&RequestVoteArgs{Term: tc.term, CandidateID: 1, LastLogIndex: tc.lastIdx, LastLogTerm: tc.lastTerm, PreVote: true})
			if r.VoteGranted != tc.want || r.Term != 3 {
				t.Errorf("reply %+v, want granted %v in term 3", *r, tc.want)
			}
			if after := p.Status(); !reflect.DeepEqual(before, after) {
				t.Errorf("a pre-vote changed the voter:\nbefore %+v\nafter  %+v", before, after)
			}
			if rd := p.ready(); !rd.IsEmpty() {
				t.Errorf("a pre-vote produced %+v", rd)
			}
			if e := p.events[len(p.events)-1]; e.Kind != EventVote || !e.PreVote || e.Granted != tc.want || e.Index != tc.term {
				t.Errorf("event %v, want a pre-vote event for term %d, granted %v", e, tc.term, tc.want)
			}
		})
	}
	// A leader denies pre-votes: it is its own recent leader.
	p := newPT(t, ptPreVote(0, 3), nil, nil)
	p.elect()
	if r := p.requestVote(&RequestVoteArgs{Term: p.Term() + 1, CandidateID: 1, LastLogIndex: 5, LastLogTerm: 5, PreVote: true}); r.VoteGranted {
		t.Errorf("leader granted a pre-vote")
	}
}

// A pre-candidate that a majority refuses goes back to being a follower; a refusal carrying
// a later term makes it adopt that term.
func TestNodePreVoteRefused(t *testing.T) {
	p := newPT(t, ptPreVote(0, 3), ptState(t, 3, None, 0, 0, nil), nil)
	p.tickUntil(PreCandidate, 20)
	ms := p.msgs()
	p.StepReply(ms[0], &RequestVoteReply{Term: 3})
	if p.Role() != PreCandidate {
		t.Errorf("one refusal of 3: %v, want still a pre-candidate", p.Role())
	}
	p.StepReply(ms[1], &RequestVoteReply{Term: 3})
	if s := p.Status(); s.Role != Follower || s.Term != 3 {
		t.Errorf("refused by a majority: %v in term %d, want a follower in term 3", s.Role, s.Term)
	}

	q := newPT(t, ptPreVote(0, 3), ptState(t, 3, None, 0, 0, nil), nil)
	q.tickUntil(PreCandidate, 20)
	q.StepReply(q.msgs()[0], &RequestVoteReply{Term: 7})
	if s := q.Status(); s.Role != Follower || s.Term != 7 || s.VotedFor != None {
		t.Errorf("refused from term 7: %v in term %d vote %d, want a follower in term 7 without a vote", s.Role, s.Term, s.VotedFor)
	}
}

// ---- CheckQuorum and leader stickiness -----------------------------------------------------

func ptCheckQuorum(id, peers int) Config {
	c := ptConfig(id, peers)
	c.CheckQuorum = true
	return c
}

// With CheckQuorum a leader that has not heard from a majority within the minimum election
// timeout steps down; one that hears from enough followers stays.
func TestNodeCheckQuorumLeaderStepsDown(t *testing.T) {
	p := newPT(t, ptCheckQuorum(0, 5), nil, nil)
	p.elect()
	term := p.Term()
	for i := 1; i <= 10; i++ {
		p.Tick()
		for _, m := range p.msgs() {
			p.StepFailure(m)
		}
		if p.Role() != Leader {
			if i != 10 {
				t.Errorf("stepped down after %d ticks, want 10 (ElectionTicksMin)", i)
			}
			break
		}
	}
	if s := p.Status(); s.Role != Follower || s.Term != term || s.Leader != None {
		t.Fatalf("isolated leader: %+v, want a follower in term %d without a leader", s, term)
	}

	// Two of four followers answering keep a 5-peer leader in place.
	q := newPT(t, ptCheckQuorum(0, 5), nil, nil)
	for _, m := range q.elect() {
		if m.To <= 2 {
			q.ack(m)
		}
	}
	for i := range 200 {
		q.Tick()
		for _, m := range q.msgs() {
			if m.To <= 2 {
				q.ack(m)
			} else {
				q.StepFailure(m)
			}
		}
		if q.Role() != Leader {
			t.Fatalf("leader with a majority stepped down after %d ticks", i+1)
		}
	}
	// One is not enough.
	for range 20 {
		q.Tick()
		for _, m := range q.msgs() {
			if m.To == 1 {
				q.ack(m)
			}
		}
		if q.Role() != Leader {
			return
		}
	}
	t.Errorf("leader hearing from 1 of 4 followers kept leading for 20 ticks")
}

// In a cluster, an isolated leader with CheckQuorum steps down by itself, and the majority
// elects another.
func TestNodeCheckQuorumIsolatedLeader(t *testing.T) {
	s := newSimNet(t, 5, func(c *Config) { c.CheckQuorum = true })
	l := s.electLeader()
	s.isolate(l)
	for i := 0; s.nodes[l].Role() == Leader; i++ {
		if i > 2*s.cfgs[l].ElectionTicksMin {
			t.Fatalf("isolated leader still leads after %d rounds", i)
		}
		s.round()
	}
	nl := s.electLeader()
	if nl == l {
		t.Fatalf("the isolated peer leads again")
	}
	s.heal()
	for range 100 {
		s.round()
	}
	if st := s.nodes[l].Status(); st.Role != Follower || st.Leader != nl {
		t.Errorf("old leader after healing: %+v, want a follower of %d", st, nl)
	}
}

// With CheckQuorum a follower that heard from its leader within the minimum election
// timeout ignores requests to vote in a later term (leader stickiness); without it, or
// once the leader is silent, it votes.
func TestNodeLeaderStickiness(t *testing.T) {
	for _, tc := range []struct {
		name        string
		checkQuorum bool
		idle        int
		want        bool
	}{
		{"sticky", true, 0, false},
		{"sticky until the timeout", true, 9, false},
		{"leader gone", true, 10, true},
		{"without CheckQuorum", false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ptConfig(0, 3)
			cfg.CheckQuorum = tc.checkQuorum
			cfg.ElectionTicksMax = 1000
			p := newPT(t, cfg, ptState(t, 2, None, 0, 0, nil), nil)
			p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1})
			for range tc.idle {
				p.Tick()
			}
			r := p.requestVote(&RequestVoteArgs{Term: 3, CandidateID: 2})
			if r.VoteGranted != tc.want {
				t.Errorf("granted %v, want %v", r.VoteGranted, tc.want)
			}
			wantTerm := 2
			if tc.want {
				wantTerm = 3
			}
			if p.Term() != wantTerm || r.Term != wantTerm {
				t.Errorf("term %d, reply term %d, want %d", p.Term(), r.Term, wantTerm)
			}
		})
	}
}

// With PreVote and CheckQuorum a peer returning from a partition cannot depose a leader
// that a majority still follows.
func TestNodePreVoteCheckQuorumRejoin(t *testing.T) {
	s := newSimNet(t, 5, func(c *Config) { c.PreVote, c.CheckQuorum = true, true })
	l := s.electLeader()
	term := s.nodes[l].Term()
	f := (l + 2) % 5
	s.isolate(f)
	for i := range 200 {
		s.round()
		s.propose(l, i)
	}
	s.heal()
	for range 200 {
		s.round()
	}
	if s.leader() != l || s.nodes[l].Term() != term {
		t.Errorf("leader %d term %d, want %d still leading term %d", s.leader(), s.nodes[s.leader()].Term(), l, term)
	}
	if a, b := s.nodes[f].Status().LastApplied, s.nodes[l].Status().LastApplied; a != b || a < 200 {
		t.Errorf("rejoined peer applied %d, leader %d; want both at 200 or more", a, b)
	}
}

// ---- Flow control ------------------------------------------------------------------------

// ptReplicating returns a 3-peer leader in term 1 whose followers both replicate.
func ptReplicating(t *testing.T, opt func(*Config)) *ptNode {
	t.Helper()
	cfg := ptConfig(0, 3)
	if opt != nil {
		opt(&cfg)
	}
	p := newPT(t, cfg, nil, nil)
	for _, m := range p.elect() {
		p.ack(m)
	}
	if ms := p.msgs(); len(ms) != 0 {
		t.Fatalf("idle leader sends %v", ms)
	}
	return p
}

// Entries proposed between two Readies go out together: one AppendEntries per follower,
// split at MaxEntriesPerMessage, at most MaxInflight of them outstanding.
func TestNodeBatching(t *testing.T) {
	for _, tc := range []struct {
		maxEntries, maxInflight int
		proposals               int
		want                    []int // entries per message to each follower
	}{
		{0, 0, 100, []int{100}},
		{4, 2, 10, []int{4, 4}},
		{4, 3, 10, []int{4, 4, 2}},
		{1, 2, 10, []int{1, 1}},
		{512, 1, 600, []int{512}},
	} {
		t.Run(fmt.Sprint(tc.maxEntries, "x", tc.maxInflight), func(t *testing.T) {
			p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = tc.maxEntries, tc.maxInflight })
			for i := range tc.proposals {
				p.Propose(i)
			}
			ms := p.msgs()
			for _, to := range []int{1, 2} {
				var got []int
				next := 1
				for _, m := range ptTo(ms, to) {
					a := ptAE(t, m)
					if a.PrevLogIndex != next-1 {
						t.Errorf("message to %d starts after %d, want after %d", to, a.PrevLogIndex, next-1)
					}
					next += len(a.Entries)
					got = append(got, len(a.Entries))
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("entries per message to %d: %v, want %v", to, got, tc.want)
				}
			}
			if pr := p.Status().Progress[1]; pr.Inflight != len(tc.want) {
				t.Errorf("progress %+v, want %d in flight", pr, len(tc.want))
			}
			// Each acknowledgement frees room for one more message.
			sent := 0
			for _, n := range tc.want {
				sent += n
			}
			if sent < tc.proposals {
				p.ack(ptTo(ms, 1)[0])
				more := ptTo(p.msgs(), 1)
				if len(more) != 1 || ptAE(t, more[0]).PrevLogIndex != sent {
					t.Errorf("after one acknowledgement the leader sends %v, want one message after %d", more, sent)
				}
			}
		})
	}
}

// MaxInflight holds however many Readies pass without replies.
func TestNodeMaxInflight(t *testing.T) {
	p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 1, 2 })
	var out []Message
	for i := range 10 {
		p.Propose(i)
		out = append(out, ptTo(p.msgs(), 1)...)
	}
	if len(out) != 2 {
		t.Fatalf("%d messages to a silent follower, want MaxInflight = 2", len(out))
	}
	for i := range 8 {
		p.ack(out[i])
		more := ptTo(p.msgs(), 1)
		var entries []Message
		for _, m := range more {
			if len(ptAE(t, m).Entries) > 0 {
				entries = append(entries, m)
			}
		}
		if len(entries) != 1 {
			t.Fatalf("acknowledgement %d: leader sends %v, want exactly one more entry", i, more)
		}
		out = append(out, entries...)
		if pr := p.Status().Progress[1]; pr.Inflight != 2 || pr.Match != i+1 {
			t.Errorf("acknowledgement %d: %+v, want 2 in flight and match %d", i, pr, i+1)
		}
	}
}

// A follower whose log position is unknown is probed with one message at a time: nothing
// more until it answers or the next heartbeat, when the probe is sent again.
func TestNodeProbe(t *testing.T) {
	p := newPT(t, ptConfig(0, 3), ptState(t, 1, None, 0, 0, ptLog(1, 1, 1, 1)), nil)
	hb := p.elect()
	probe := ptTo(hb, 1)[0]
	for i := range 5 {
		p.Propose(i)
		if ms := ptTo(p.msgs(), 1); len(ms) != 0 {
			t.Fatalf("leader sends %v while a probe is outstanding", ms)
		}
	}
	for round := range 3 {
		p.Tick()
		p.Tick()
		ms := ptTo(p.msgs(), 1)
		if len(ms) != 1 {
			t.Fatalf("heartbeat %d: %v to the probed follower, want one probe", round, ms)
		}
		if a := ptAE(t, ms[0]); a.PrevLogIndex != 3 || len(a.Entries) != 5 {
			t.Errorf("heartbeat %d: probe %+v, want the entries after 3", round, *a)
		}
		probe = ms[0]
	}
	// A rejection probes again at once, further back.
	p.StepReply(probe, &AppendEntriesReply{Term: 2, ConflictTerm: None, ConflictIndex: 2})
	ms := ptTo(p.msgs(), 1)
	if len(ms) != 1 || ptAE(t, ms[0]).PrevLogIndex != 1 {
		t.Fatalf("after a rejection: %v, want one probe after index 1", ms)
	}
	// Success switches to replicating everything that is left.
	p.ack(ms[0])
	if pr := p.Status().Progress[1]; pr.State != Replicate || pr.Match != 8 || pr.Next != 9 {
		t.Errorf("after the probe succeeded: %+v, want replicating with match 8", pr)
	}
}

// StepFailure: a lost message of entries to a replicating follower makes the leader resend
// from what is known at once; lost heartbeats, probes and snapshots wait for the next
// heartbeat; outcomes of messages the leader no longer trusts, or of another
// term, are ignored.
func TestNodeStepFailure(t *testing.T) {
	t.Run("entries", func(t *testing.T) {
		p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 2 })
		for i := range 4 {
			p.Propose(i)
		}
		ms := ptTo(p.msgs(), 1) // 1..2 and 3..4
		p.ack(ms[0])
		p.StepFailure(ms[1])
		if pr := p.Status().Progress[1]; pr.State != Probe || pr.Next != 3 || pr.Match != 2 {
			t.Errorf("after a lost message: %+v, want probing from 3", pr)
		}
		re := ptTo(p.msgs(), 1)
		if len(re) != 1 || ptAE(t, re[0]).PrevLogIndex != 2 || len(ptAE(t, re[0]).Entries) != 2 {
			t.Fatalf("leader resends %v, want entries 3..4", re)
		}
		// The failure of a message sent before the fall back to probing changes nothing.
		before := p.Status().Progress[1]
		p.StepFailure(ms[0])
		if got := p.Status().Progress[1]; got != before {
			t.Errorf("a stale failure changed %+v to %+v", before, got)
		}
	})
	t.Run("heartbeat", func(t *testing.T) {
		p := ptReplicating(t, nil)
		p.Tick()
		p.Tick()
		hb := ptTo(p.msgs(), 1)[0]
		p.StepFailure(hb)
		if pr := p.Status().Progress[1]; pr.State != Replicate {
			t.Errorf("a lost heartbeat: %+v, want still replicating", pr)
		}
		if ms := p.msgs(); len(ms) != 0 {
			t.Errorf("a lost heartbeat makes the leader send %v", ms)
		}
	})
	t.Run("probe", func(t *testing.T) {
		p := newPT(t, ptConfig(0, 3), nil, nil)
		hb := p.elect()
		p.StepFailure(hb[0])
		if ms := p.msgs(); len(ms) != 0 {
			t.Errorf("a lost probe is resent at once: %v", ms)
		}
		p.Tick()
		p.Tick()
		if ms := ptTo(p.msgs(), hb[0].To); len(ms) != 1 {
			t.Errorf("at the heartbeat: %v, want the probe again", ms)
		}
	})
	t.Run("snapshot", func(t *testing.T) {
		p := newPT(t, ptConfig(0, 3), ptState(t, 1, None, 5, 1, nil), []byte("snap"))
		hb := p.elect()
		p.StepReply(hb[0], &AppendEntriesReply{Term: 2, ConflictTerm: None, ConflictIndex: 1})
		is := p.msgs()
		if len(is) != 1 || is[0].Method() != MethodInstallSnapshot {
			t.Fatalf("leader sends %v, want a snapshot", is)
		}
		p.StepFailure(is[0])
		if again := p.msgs(); len(again) != 0 {
			t.Errorf("after a lost snapshot: %v at once, want it again at the next heartbeat", again)
		}
		// A lost snapshot goes again at the next heartbeat; one with no news every other
		// heartbeat, not every one.
		var sent []int
		for i := 1; i <= 12; i++ {
			p.Tick()
			for _, m := range ptTo(p.msgs(), hb[0].To) {
				if m.Method() == MethodInstallSnapshot {
					sent = append(sent, i)
				}
			}
		}
		if !slices.Equal(sent, []int{2, 6, 10}) {
			t.Errorf("snapshot resent at ticks %v, want at the next heartbeat, then every 2 heartbeats (2 6 10)", sent)
		}
	})
	t.Run("other term or role", func(t *testing.T) {
		p := ptReplicating(t, nil)
		p.Propose("x")
		ms := ptTo(p.msgs(), 1)
		p.StepReply(ms[0], &AppendEntriesReply{Term: 5})
		p.StepFailure(ms[0]) // a follower now
		if rd := p.ready(); len(rd.Messages) != 0 {
			t.Errorf("a follower reacts to a failure with %v", rd.Messages)
		}
		p.elect()
		before := p.Status().Progress[1]
		p.StepFailure(ms[0])
		if got := p.Status().Progress[1]; got != before {
			t.Errorf("the failure of a term-1 message changed %+v to %+v in term %d", before, got, p.Term())
		}
		rv := Message{From: 0, To: 1, Args: &RequestVoteArgs{Term: p.Term(), CandidateID: 0}}
		p.StepFailure(rv)
		if p.Role() != Leader {
			t.Errorf("a lost vote request deposed the leader")
		}
	})
}

// Replies that come late, out of order or twice never move matchIndex back or nextIndex to
// or below it.
func TestNodeStaleReplies(t *testing.T) {
	p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 4 })
	for i := range 8 {
		p.Propose(i)
	}
	ms := ptTo(p.msgs(), 1) // four messages: 1..2, 3..4, 5..6, 7..8
	if len(ms) != 4 {
		t.Fatalf("leader sends %v, want 4 messages", ms)
	}
	check := func(step string, match, next int) {
		t.Helper()
		if pr := p.Status().Progress[1]; pr.Match != match || pr.Next != next || pr.State != Replicate {
			t.Errorf("%s: %+v, want replicating with match %d next %d", step, pr, match, next)
		}
	}
	p.ack(ms[2])
	check("ack of 5..6 first", 6, 9)
	p.ack(ms[0])
	check("then of 1..2", 6, 9)
	p.ack(ms[2])
	check("ack of 5..6 again", 6, 9)
	p.StepReply(ms[1], &AppendEntriesReply{Term: 1, ConflictTerm: None, ConflictIndex: 1})
	check("a rejection of 3..4, older than what is matched", 6, 9)
	p.ack(ms[3])
	check("ack of 7..8", 8, 9)
	p.ack(ms[1])
	check("late ack of 3..4", 8, 9)
	if c := p.Status().CommitIndex; c != 8 {
		t.Errorf("commit index %d, want 8", c)
	}
	// A duplicated rejection in a later probe round cannot move Next below Match+1.
	p.StepReply(Message{From: 0, To: 1, Args: &AppendEntriesArgs{Term: 1, LeaderID: 0, PrevLogIndex: 8, PrevLogTerm: 1}},
		&AppendEntriesReply{Term: 1, ConflictTerm: None, ConflictIndex: 1})
	if pr := p.Status().Progress[1]; pr.Match != 8 || pr.Next != 9 {
		t.Errorf("after a rejection at the match point: %+v, want match 8, next 9", pr)
	}
}

// Regression: a follower in SnapshotState that acknowledges entries sent before the
// snapshot must not be left with nextIndex <= matchIndex.
func TestNodeSnapshotStateAck(t *testing.T) {
	p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 1 })
	for i := range 6 {
		p.Propose(i)
	}
	to1 := ptTo(p.msgs(), 1) // 1..2 to peer 1; peer 2 gets 1..2 too
	p.msgs()
	// Peer 2 catches up fully, so 1..6 commit; the leader snapshots at 6.
	catchUp(t, p, 2, 6)
	p.ready()
	if err := p.Snapshot(6, []byte("s")); err != nil {
		t.Fatal(err)
	}
	p.Tick()
	p.Tick()
	ms := ptTo(p.msgs(), 1)
	if len(ms) != 1 || ms[0].Method() != MethodInstallSnapshot {
		t.Fatalf("leader sends %v to the lagging follower, want its snapshot", ms)
	}
	// The old acknowledgement of 1..2 arrives now.
	p.ack(to1[0])
	if pr := p.Status().Progress[1]; pr.Match != 2 || pr.Next <= pr.Match {
		t.Errorf("after a late ack in snapshot state: %+v, want match 2 and next past it", pr)
	}
}

// Regression: HasReady must say exactly whether Ready has something, including for a
// follower whose match is below the leader's snapshot, and one that must now be sent the
// snapshot although its inflight window is full.
func TestNodeHasReadyAgreesWithReady(t *testing.T) {
	agree := func(p *ptNode, step string) Ready {
		t.Helper()
		has := p.HasReady()
		rd := p.ready()
		if has == rd.IsEmpty() {
			t.Errorf("%s: HasReady() = %v, Ready() = %+v", step, has, rd)
		}
		if p.HasReady() {
			t.Errorf("%s: HasReady() after Ready", step)
		}
		return rd
	}
	t.Run("match below snapshot", func(t *testing.T) {
		p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 2 })
		for i := range 4 {
			p.Propose(i)
		}
		rd := agree(p, "propose")
		to1 := ptTo(rd.Messages, 1) // 1..2, 3..4
		for _, m := range ptTo(rd.Messages, 2) {
			p.ack(m)
		}
		agree(p, "commit")
		if err := p.Snapshot(4, []byte("s")); err != nil {
			t.Fatal(err)
		}
		agree(p, "snapshot")
		p.ack(to1[0]) // peer 1 now matches 2 < 4, with commit 4 unsent
		agree(p, "ack below the snapshot")
		p.ack(to1[1])
		rd = agree(p, "ack at the snapshot")
		if ms := ptTo(rd.Messages, 1); len(ms) != 1 || ptAE(t, ms[0]).LeaderCommit != 4 {
			t.Errorf("peer 1 is told %v, want the commit index 4", ms)
		}
	})
	t.Run("full window behind snapshot", func(t *testing.T) {
		p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 1 })
		for i := range 4 {
			p.Propose(i)
		}
		rd := agree(p, "propose") // 1..2 to each
		p.ack(ptTo(rd.Messages, 2)[0])
		rd = agree(p, "peer 2 acks")
		p.ack(ptTo(rd.Messages, 2)[0])
		agree(p, "peer 2 acks again")
		if err := p.Snapshot(4, []byte("s")); err != nil {
			t.Fatal(err)
		}
		rd = agree(p, "snapshot past peer 1's next")
		if ms := ptTo(rd.Messages, 1); len(ms) != 1 || ms[0].Method() != MethodInstallSnapshot {
			t.Errorf("peer 1 is sent %v, want the snapshot", ms)
		}
	})
}

// A follower that missed what the others compacted catches up through the leader's
// snapshot: its service gets the snapshot, then the commands after it, in order; and a
// restarted peer resumes applying after its own snapshot.
func TestNodeSnapshotCatchUp(t *testing.T) {
	// PreVote keeps the returning follower from forcing an election, after which the
	// entry proposed below could commit only with a later one (there is no no-op entry).
	s := newSimNet(t, 3, func(c *Config) { c.PreVote = true })
	l := s.electLeader()
	f := (l + 1) % 3
	s.isolate(f)
	for i := range 30 {
		s.propose(l, i)
		s.round()
	}
	for id := range 3 {
		if id != f {
			if err := s.snapshot(id); err != nil {
				t.Fatalf("peer %d: %v", id, err)
			}
		}
	}
	snapIdx := s.nodes[l].Status().SnapshotIndex
	if snapIdx < 30 {
		t.Fatalf("leader's snapshot at %d, want at least 30", snapIdx)
	}
	s.heal()
	s.propose(l, "after")
	for range 20 {
		s.round()
	}
	var got []string
	for _, a := range s.applied[f] {
		if a.SnapshotValid {
			got = append(got, fmt.Sprint("snapshot ", a.SnapshotIndex))
		} else {
			got = append(got, fmt.Sprint(a.CommandIndex))
		}
	}
	want := []string{fmt.Sprint("snapshot ", snapIdx), fmt.Sprint(snapIdx + 1)}
	if !slices.Equal(got, want) {
		t.Errorf("follower applied %v, want %v", got, want)
		for id := range 3 {
			t.Logf("peer %d: %+v", id, s.nodes[id].Status())
		}
	}
	installs := 0
	for _, e := range s.events[f] {
		if e.Kind == EventInstallSnapshot {
			installs++
		}
	}
	if installs != 1 {
		t.Errorf("follower installed %d snapshots, want 1", installs)
	}

	// A restart resumes after the saved snapshot.
	s.crash(f)
	s.propose(l, "while down")
	s.round()
	s.restart(f)
	before := len(s.applied[f])
	for range 20 {
		s.round()
	}
	if a := s.applied[f][before:]; len(a) == 0 || a[0].CommandIndex != snapIdx+1 {
		t.Errorf("after restarting, the follower applies %+v first, want index %d", a, snapIdx+1)
	}
}

// ---- Persistence and the Ready contract ----------------------------------------------------

// A Node restored from the last State and Snapshot its Readies handed out has the same
// term, vote, log and snapshot; volatile state starts over at the snapshot.
func TestNodeRestoreFromReady(t *testing.T) {
	s := newSimNet(t, 3, nil)
	c := &simChaos{s: s, rng: rand.New(rand.NewPCG(1, 2)), snapshots: true}
	for range 3000 {
		c.step()
	}
	s.heal()
	s.flush()
	for id, n := range s.nodes {
		if n == nil {
			continue
		}
		r, err := NewNode(s.cfgs[id], s.disks[id].state, s.disks[id].snap)
		if err != nil {
			t.Fatalf("peer %d: %v", id, err)
		}
		live, back := n.Status(), r.Status()
		if back.Role != Follower || back.Leader != None || back.CommitIndex != back.SnapshotIndex || back.LastApplied != back.SnapshotIndex {
			t.Errorf("peer %d restored: %+v, want a follower with commit and applied at the snapshot", id, back)
		}
		live.Role, live.Leader, live.CommitIndex, live.LastApplied, live.Progress = back.Role, back.Leader, back.CommitIndex, back.LastApplied, nil
		if !reflect.DeepEqual(live, back) {
			t.Errorf("peer %d:\nlive     %+v\nrestored %+v", id, live, back)
		}
		if !simEntriesEqual(n.Entries(0, live.LastIndex), r.Entries(0, live.LastIndex)) || !bytes.Equal(n.SnapshotData(), r.SnapshotData()) {
			t.Errorf("peer %d: restored log or snapshot differs", id)
		}
		if live.SnapshotIndex == 0 || live.LastIndex < 20 {
			t.Errorf("peer %d: the run made log %d snapshot %d; want something to restore", id, live.LastIndex, live.SnapshotIndex)
		}
	}
}

// A crash between Readies loses exactly what was not yet saved: the Node's changes since
// the last Ready, none of which anyone else has seen.
func TestNodeCrashLosesOnlyUnsaved(t *testing.T) {
	t.Run("proposal", func(t *testing.T) {
		p := newPT(t, ptConfig(0, 3), nil, nil)
		p.elect()
		p.Propose("saved")
		p.ready()
		p.Propose("lost")
		r := newPT(t, ptConfig(0, 3), p.state, p.snap)
		if es := r.Entries(1, 10); len(es) != 1 || es[0].Command != "saved" || r.Term() != 1 || r.Status().VotedFor != 0 {
			t.Errorf("restored log %v term %d vote %d, want only the saved entry in term 1 voting 0", es, r.Term(), r.Status().VotedFor)
		}
	})
	t.Run("vote", func(t *testing.T) {
		p := newPT(t, ptConfig(0, 3), ptState(t, 4, None, 0, 0, nil), nil)
		if !p.requestVote(&RequestVoteArgs{Term: 5, CandidateID: 1}).VoteGranted {
			t.Fatal("vote not granted")
		}
		// Crash before the Ready: the reply was never released, and the vote is gone.
		r := newPT(t, ptConfig(0, 3), p.state, nil)
		if s := r.Status(); s.Term != 4 || s.VotedFor != None {
			t.Errorf("restored term %d vote %d, want 4 and none", s.Term, s.VotedFor)
		}
		// After the Ready the vote holds: the restored peer refuses another candidate.
		p.ready()
		r = newPT(t, ptConfig(0, 3), p.state, nil)
		if s := r.Status(); s.Term != 5 || s.VotedFor != 1 {
			t.Errorf("restored term %d vote %d, want 5 and 1", s.Term, s.VotedFor)
		}
		if r.requestVote(&RequestVoteArgs{Term: 5, CandidateID: 2}).VoteGranted {
			t.Errorf("restarted peer voted twice in term 5")
		}
	})
	t.Run("appended entries", func(t *testing.T) {
		p := ptRestore(t, 0, 3, 2, None, 1, 1)
		p.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ptLog(2, 2, 2)})
		r := newPT(t, ptConfig(0, 3), p.state, nil)
		if got := r.logTerms(); !slices.Equal(got, []int{1, 1}) {
			t.Errorf("crash before Ready: restored log %v, want the old [1 1]", got)
		}
		p.ready()
		r = newPT(t, ptConfig(0, 3), p.state, nil)
		if got := r.logTerms(); !slices.Equal(got, []int{1, 2, 2}) {
			t.Errorf("crash after Ready: restored log %v, want [1 2 2]", got)
		}
	})
	t.Run("installed snapshot", func(t *testing.T) {
		p := ptRestore(t, 0, 3, 2, None, 1, 1)
		p.installSnapshot(&InstallSnapshotArgs{Term: 2, LeaderID: 1, LastIncludedIndex: 5, LastIncludedTerm: 2, Data: []byte("five")})
		r := newPT(t, ptConfig(0, 3), p.state, p.snap)
		if s := r.Status(); s.SnapshotIndex != 0 || s.LastIndex != 2 {
			t.Errorf("crash before Ready: %+v, want the old log", s)
		}
		p.ready()
		r = newPT(t, ptConfig(0, 3), p.state, p.snap)
		if s := r.Status(); s.SnapshotIndex != 5 || s.SnapshotTerm != 2 || s.LastIndex != 5 || string(r.SnapshotData()) != "five" {
			t.Errorf("crash after Ready: %+v %q, want the snapshot through 5", s, r.SnapshotData())
		}
	})
}

// Ready hands out state to save together with, never after, the messages and applies that
// depend on it. A single peer commits its own proposals at once, so its Ready carries the
// entry both to save and to apply: the caller saves first.
func TestNodeReadyOrder(t *testing.T) {
	p := newPT(t, ptConfig(0, 1), nil, nil)
	p.elect()
	for i := range 5 {
		p.Propose(i)
		if i%2 == 1 {
			continue // two proposals in one Ready
		}
		rd := p.ready()
		st, err := decodeState(rd.State.Bytes())
		if err != nil {
			t.Fatalf("Ready's State: %v", err)
		}
		for _, a := range rd.Apply {
			if a.CommandIndex > st.snapIndex+len(st.entries) {
				t.Errorf("applies %d before it is saved (state saves through %d)", a.CommandIndex, st.snapIndex+len(st.entries))
			}
		}
		if len(rd.Apply) == 0 {
			t.Errorf("single peer did not apply its proposal")
		}
	}
	// The candidate's vote for itself and its term go out with its RequestVotes.
	q := newPT(t, ptConfig(0, 3), nil, nil)
	q.tickUntil(Candidate, 20)
	rd := q.ready()
	if st, err := decodeState(rd.State.Bytes()); err != nil || st.term != 1 || st.votedFor != 0 || len(rd.Messages) != 2 {
		t.Errorf("candidate's Ready: term %d vote %d (%v) with %d messages, want term 1, vote 0, 2 messages", st.term, st.votedFor, err, len(rd.Messages))
	}
	// A Ready that is not taken accumulates: the next one has everything.
	q.StepReply(rd.Messages[0], &RequestVoteReply{Term: 1, VoteGranted: true})
	q.Propose("a")
	q.Propose("b")
	rd = q.ready()
	if st, _ := decodeState(rd.State.Bytes()); len(st.entries) != 2 || len(rd.Messages) != 2 {
		t.Errorf("leader's Ready saves %d entries and sends %v, want both entries and 2 heartbeats", len(st.entries), rd.Messages)
	}
	if !q.ready().IsEmpty() {
		t.Errorf("a second Ready repeats the first")
	}
}

// NewNode refuses a bad config or a corrupt state with a clear error, never a panic.
func TestNodeNewErrors(t *testing.T) {
	good := ptState(t, 3, 1, 0, 0, ptLog(1, 1, 2))
	for _, tc := range []struct {
		name  string
		cfg   Config
		state []byte
		want  error
	}{
		{"no peers", Config{}, nil, ErrConfig},
		{"id out of range", Config{ID: 3, Peers: 3}, nil, ErrConfig},
		{"negative id", Config{ID: -1, Peers: 3}, nil, ErrConfig},
		{"election not above heartbeat", Config{Peers: 3, HeartbeatTicks: 10, ElectionTicksMin: 10}, nil, ErrConfig},
		{"election range reversed", Config{Peers: 3, ElectionTicksMin: 40, ElectionTicksMax: 35}, nil, ErrConfig},
		{"negative inflight", Config{Peers: 3, MaxInflight: -1}, nil, ErrConfig},
		{"garbage", Config{Peers: 3}, []byte("hello"), ErrCorruptState},
		{"truncated", Config{Peers: 3}, good[:len(good)-1], ErrCorruptState},
		{"vote for a peer that does not exist", Config{Peers: 1}, good, ErrCorruptState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NewNode(tc.cfg, tc.state, nil)
			if !errors.Is(err, tc.want) || n != nil {
				t.Errorf("NewNode = %v, %v; want nil and an error wrapping %v", n, err, tc.want)
			}
		})
	}
	if _, err := NewNode(Config{ID: 1, Peers: 3}, good, nil); err != nil {
		t.Errorf("NewNode of a good state: %v", err)
	}
}

// Status and Entries are copies: changing them changes nothing in the Node.
func TestNodeStatusIsACopy(t *testing.T) {
	p := ptRestore(t, 0, 3, 1, None, 1, 1)
	p.elect()
	s := p.Status()
	s.Terms[0].Term = 99
	s.Progress[1].Match = 99
	es := p.Entries(1, 2)
	es[0].Term, es[0].Command = 99, "changed"
	s2 := p.Status()
	if s2.Terms[0].Term != 1 || s2.Progress[1].Match != 0 {
		t.Errorf("changing a Status changed the Node: %+v", s2)
	}
	if got := p.Entries(1, 2); got[0].Term != 1 || got[0].Command != ptCmd(1, 1) {
		t.Errorf("changing Entries' result changed the log: %v", got)
	}
	if got := p.Entries(3, 9); got != nil {
		t.Errorf("Entries past the log = %v, want nil", got)
	}
	if f := p.Status().Progress; f == nil || ptRestore(t, 0, 3, 1, None).Status().Progress != nil {
		t.Errorf("Progress should be set for leaders only")
	}
}

// ---- Events --------------------------------------------------------------------------------

// The Observer sees every event in order, with the fields event.go documents and the
// peer's state after the event.
func TestNodeEvents(t *testing.T) {
	type ev struct {
		Kind                   EventKind
		Term                   int
		Role                   Role
		Other, Index, Last, PT int
		Granted                bool
	}
	simplify := func(es []Event) []ev {
		var out []ev
		for _, e := range es {
			if e.Peer != 0 {
				t.Errorf("event %v for peer %d, want 0", e, e.Peer)
			}
			out = append(out, ev{e.Kind, e.Term, e.Role, e.Other, e.Index, e.LastIndex, e.PrevTerm, e.Granted})
		}
		return out
	}
	check := func(step string, got []Event, want ...ev) {
		t.Helper()
		if g := simplify(got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s: events\n%v\nwant\n%v", step, g, want)
		}
	}
	F, C, L := Follower, Candidate, Leader

	p := newPT(t, ptConfig(0, 3), ptState(t, 1, None, 2, 1, ptLog(3, 1)), []byte("s"))
	check("boot", p.takeEvents(), ev{EventBoot, 1, F, None, 2, 3, 1, false})

	p.tickUntil(Candidate, 20)
	check("campaign", p.takeEvents(),
		ev{EventTerm, 2, F, None, 0, 0, 1, false},
		ev{EventRole, 2, C, None, 0, 0, 0, false})

	p.StepReply(p.msgs()[0], &RequestVoteReply{Term: 2, VoteGranted: true})
	check("win", p.takeEvents(), ev{EventRole, 2, L, 0, 0, 0, 0, false},
		ev{EventProgress, 2, L, 1, 0, 4, 0, false},
		ev{EventProgress, 2, L, 2, 0, 4, 0, false})

	hb := p.msgs()
	p.Propose("x")
	p.ack(hb[0])
	p.ack(p.msgs()[0])
	check("propose and commit", p.takeEvents(),
		ev{EventAppend, 2, L, 0, 4, 4, 0, false},
		ev{EventProgress, 2, L, 1, 3, 4, 0, false}, // the probe matched at 3: replicate from 4
		ev{EventProgress, 2, L, 1, 4, 5, 0, false}, // the entry matched
		ev{EventCommit, 2, L, 0, 3, 4, 0, false})
	p.ready()
	check("apply", p.takeEvents(), ev{EventApply, 2, L, None, 3, 4, 0, false})

	if err := p.Snapshot(4, []byte("s4")); err != nil {
		t.Fatal(err)
	}
	check("snapshot", p.takeEvents(), ev{EventSnapshot, 2, L, None, 0, 4, 2, false})

	p.requestVote(&RequestVoteArgs{Term: 3, CandidateID: 2, LastLogIndex: 1, LastLogTerm: 1})
	check("vote denied in a new term", p.takeEvents(),
		ev{EventTerm, 3, L, None, 0, 0, 2, false},
		ev{EventRole, 3, F, None, 0, 0, 0, false},
		ev{EventVote, 3, F, 2, 3, 0, 0, false})
	p.requestVote(&RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 4, LastLogTerm: 2})
	check("vote granted", p.takeEvents(), ev{EventVote, 3, F, 1, 3, 0, 0, true})

	p.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 1, PrevLogIndex: 4, PrevLogTerm: 2, Entries: ptLog(5, 3, 3, 3), LeaderCommit: 5})
	check("follow and append", p.takeEvents(),
		ev{EventRole, 3, F, 1, 0, 0, 0, false},
		ev{EventAppend, 3, F, 1, 5, 7, 0, false},
		ev{EventCommit, 3, F, 1, 5, 5, 0, false})

	p.appendEntries(&AppendEntriesArgs{Term: 4, LeaderID: 2, PrevLogIndex: 5, PrevLogTerm: 3, Entries: ptLog(6, 4), LeaderCommit: 5})
	check("new leader overwrites", p.takeEvents(),
		ev{EventTerm, 4, F, None, 0, 0, 3, false},
		ev{EventRole, 4, F, 2, 0, 0, 0, false},
		ev{EventTruncate, 4, F, 2, 6, 7, 0, false},
		ev{EventAppend, 4, F, 2, 6, 6, 0, false})

	p.installSnapshot(&InstallSnapshotArgs{Term: 4, LeaderID: 2, LastIncludedIndex: 9, LastIncludedTerm: 4, Data: []byte("s9")})
	check("install", p.takeEvents(),
		ev{EventCommit, 4, F, 2, 6, 9, 0, false},
		ev{EventInstallSnapshot, 4, F, 2, 0, 9, 4, false})
	p.ready()
	if es := p.takeEvents(); len(es) != 0 {
		t.Errorf("handing out an installed snapshot reports %v, want nothing more", es)
	}

	// Entries carried by events are the entries, and never change afterwards.
	q := ptRestore(t, 0, 3, 2, None)
	q.appendEntries(&AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ptLog(1, 1, 1, 2)})
	var app Event
	for _, e := range q.takeEvents() {
		if e.Kind == EventAppend {
			app = e
		}
	}
	if app.Kind != EventAppend || !simEntriesEqual(app.Entries, ptLog(1, 1, 1, 2)) {
		t.Fatalf("append event %v with %v", app, app.Entries)
	}
	kept := slices.Clone(app.Entries)
	q.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ptLog(2, 3, 3, 3), LeaderCommit: 4})
	q.ready()
	q.Snapshot(3, []byte("x"))
	q.appendEntries(&AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 4, PrevLogTerm: 3, Entries: ptLog(5, 3, 3)})
	if !simEntriesEqual(app.Entries, kept) {
		t.Errorf("an event's entries changed from %v to %v", kept, app.Entries)
	}
}

// simEventChecker checks a peer's event stream for internal consistency.
type simEventChecker struct {
	term, commit, applied, last int
	role                        Role
}

func checkEventStream(t *testing.T, id int, es []Event) {
	t.Helper()
	var c simEventChecker
	bad := func(e Event, format string, args ...interface{}) {
		t.Helper()
		t.Errorf("peer %d: %v: %s", id, e, fmt.Sprintf(format, args...))
	}
	for _, e := range es {
		if e.Peer != id {
			bad(e, "wrong peer")
		}
		if e.Kind != EventBoot && (e.Term != c.term || e.Role != c.role) && e.Kind != EventTerm && e.Kind != EventRole {
			bad(e, "term %d role %v, but the last term and role events said %d %v", e.Term, e.Role, c.term, c.role)
		}
		switch e.Kind {
		case EventBoot:
			if e.Term < c.term {
				bad(e, "rebooted in term %d after %d", e.Term, c.term)
			}
			c = simEventChecker{term: e.Term, commit: e.Index, applied: e.Index, last: e.LastIndex, role: e.Role}
		case EventTerm:
			if e.PrevTerm != c.term || e.Term <= e.PrevTerm {
				bad(e, "after term %d", c.term)
			}
			c.term = e.Term
		case EventRole:
			c.role = e.Role
			if e.Role == Leader && e.Other != id {
				bad(e, "leader names %d as leader", e.Other)
			}
		case EventAppend:
			if c.last >= 0 && e.Index != c.last+1 {
				bad(e, "appends at %d to a log ending at %d", e.Index, c.last)
			}
			if len(e.Entries) != e.LastIndex-e.Index+1 {
				bad(e, "carries %d entries", len(e.Entries))
			}
			c.last = e.LastIndex
		case EventTruncate:
			if c.last >= 0 && e.LastIndex != c.last || e.Index <= c.commit {
				bad(e, "truncates a log ending at %d, commit %d", c.last, c.commit)
			}
			c.last = e.Index - 1
		case EventCommit:
			if e.Index != c.commit+1 || e.LastIndex < e.Index {
				bad(e, "after commit %d", c.commit)
			}
			c.commit = e.LastIndex
		case EventApply:
			if e.Index != c.applied+1 || e.LastIndex > c.commit || len(e.Entries) != e.LastIndex-e.Index+1 {
				bad(e, "after applying %d, commit %d", c.applied, c.commit)
			}
			c.applied = e.LastIndex
		case EventSnapshot:
			if e.LastIndex > c.applied {
				bad(e, "snapshot past applied %d", c.applied)
			}
		case EventInstallSnapshot:
			if e.LastIndex != c.commit || e.LastIndex <= c.applied {
				bad(e, "install with commit %d applied %d", c.commit, c.applied)
			}
			c.applied = e.LastIndex
			c.last = -1 // the log after it may or may not be kept
		}
	}
}

// ---- Long runs under random faults --------------------------------------------------------

// Random schedules of delivery, loss, duplication, reordering, partitions, crashes and
// snapshots keep every invariant simNet checks, every peer's events stay consistent, and
// once the faults stop the cluster makes progress.
func TestNodeChaos(t *testing.T) {
	seeds, steps := 12, 3000
	if testing.Short() {
		seeds, steps = 3, 1000
	}
	for _, tc := range []struct {
		name  string
		peers int
		opt   func(*Config)
	}{
		{"3 peers", 3, nil},
		{"5 peers small messages", 5, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 3 }},
		{"5 peers PreVote", 5, func(c *Config) { c.PreVote = true }},
		{"5 peers CheckQuorum", 5, func(c *Config) { c.CheckQuorum = true }},
		{"4 peers PreVote CheckQuorum", 4, func(c *Config) { c.PreVote, c.CheckQuorum, c.MaxEntriesPerMessage = true, true, 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range seeds {
				s := newSimNet(t, tc.peers, func(c *Config) {
					c.Seed = int64(seed)
					if tc.opt != nil {
						tc.opt(c)
					}
				})
				c := &simChaos{s: s, rng: rand.New(rand.NewPCG(uint64(seed), 99)), crashes: true, snapshots: true, dupReplies: true}
				for range steps {
					c.step()
				}
				c.settle(fmt.Sprint("final", seed))
				for id := range s.nodes {
					checkEventStream(t, id, s.events[id])
				}
				if t.Failed() {
					t.Fatalf("seed %d", seed)
				}
			}
		})
	}
}

// ---- Determinism ---------------------------------------------------------------------------

// Two clusters with the same seeds given the same inputs produce the same outputs, message
// for message, byte for byte: every message and reply, every saved state and snapshot,
// every apply and every event, over thousands of steps of random faults. A different Node
// seed with the same inputs gives a different run.
func TestDeterminism(t *testing.T) {
	steps := 20000
	if testing.Short() {
		steps = 3000
	}
	run := func(nodeSeed int64, faultSeed uint64) []string {
		s := newSimNet(t, 5, func(c *Config) {
			c.Seed, c.PreVote, c.CheckQuorum, c.MaxEntriesPerMessage = nodeSeed, true, true, 4
		})
		s.tracing = true
		c := &simChaos{s: s, rng: rand.New(rand.NewPCG(faultSeed, 5)), crashes: true, snapshots: true, dupReplies: true}
		for range steps {
			c.step()
		}
		c.settle("end")
		return s.trace
	}
	a, b := run(3, 3), run(3, 3)
	if len(a) < steps {
		t.Fatalf("the run traced only %d lines in %d steps", len(a), steps)
	}
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			t.Fatalf("runs differ at line %d of %d:\n%s\n%s", i, len(a), a[i], b[i])
		}
	}
	if len(a) != len(b) {
		t.Fatalf("runs traced %d and %d lines", len(a), len(b))
	}
	var kinds = map[string]bool{}
	for _, l := range a {
		for _, k := range []string{"send", "deliver", "ready", "apply", "event"} {
			if len(l) > len(k) && l[:len(k)] == k {
				kinds[k] = true
			}
		}
	}
	if len(kinds) != 5 {
		t.Errorf("the trace covers only %v", kinds)
	}
	if c := run(4, 3); slices.Equal(a, c) {
		t.Errorf("Node seeds 3 and 4 give identical runs")
	}
}

// A killed peer's handlers return without answering, and labrpc hands the caller the zero
// reply as if it were one: a zero InstallSnapshotReply must not count as the follower
// holding the snapshot (issue 13).
func TestNodeZeroReplyIsNoReply(t *testing.T) {
	t.Run("InstallSnapshot", func(t *testing.T) {
		p := ptReplicating(t, func(c *Config) { c.MaxEntriesPerMessage, c.MaxInflight = 2, 1 })
		for i := range 6 {
			p.Propose(i)
		}
		p.msgs() // peer 1 never answers these
		catchUp(t, p, 2, 6)
		p.ready()
		if err := p.Snapshot(6, []byte("s")); err != nil {
			t.Fatal(err)
		}
		var snap []Message
		for i := 0; len(snap) == 0; i++ {
			if i > 50 {
				t.Fatal("the leader never sends peer 1 its snapshot")
			}
			p.Tick()
			for _, m := range ptTo(p.msgs(), 1) {
				if m.Method() == MethodInstallSnapshot {
					snap = append(snap, m)
				}
			}
		}
		before := p.Status().Progress[1]
		p.StepReply(snap[0], &InstallSnapshotReply{})
		if got := p.Status().Progress[1]; got.Match != before.Match || got.Match >= 6 {
			t.Errorf("after a zero InstallSnapshotReply: %+v (before %+v), want match unchanged below 6", got, before)
		}
		p.StepReply(snap[0], &InstallSnapshotReply{Term: 1})
		if got := p.Status().Progress[1]; got.Match != 6 {
			t.Errorf("after a real InstallSnapshotReply: %+v, want match 6", got)
		}
	})
}

// catchUp has leader p's messages to peer acknowledged, ticking when there are none,
// until p's match for peer reaches index; it fails t if that takes over 20 rounds.
func catchUp(t *testing.T, p *ptNode, peer, index int) {
	t.Helper()
	for i := 0; p.Status().Progress[peer].Match < index; i++ {
		if i > 20 {
			t.Fatalf("peer %d does not catch up: %+v", peer, p.Status().Progress[peer])
		}
		progressed := false
		for _, m := range ptTo(p.msgs(), peer) {
			p.ack(m)
			progressed = true
		}
		if !progressed {
			p.Tick()
		}
	}
}
