package chaos

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// A version-1 trace (testdata/v1-sim.jsonl, written by the sim engine before version 2)
// still reads: its raft events keep their indexes and terms, its commands come back as
// ints, and its messages' summaries become descriptions.
func TestReadTraceV1(t *testing.T) {
	f, err := os.Open("testdata/v1-sim.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, events, err := ReadTrace(f)
	if err != nil {
		t.Fatalf("ReadTrace: %v", err)
	}
	if h.Version != 1 || h.Name != "small" || h.Peers != 3 || len(events) != 152 {
		t.Fatalf("header %+v and %d events, want version 1 of small, 3 peers, 152 events", h, len(events))
	}
	kinds := map[MsgKind]int{}
	appends, commands := 0, 0
	for _, e := range events {
		switch {
		case e.Raft != nil && e.Raft.Kind == raftpb.EventAppend:
			appends++
			if e.Raft.LastIndex < e.Raft.Index || len(e.Raft.Entries) != e.Raft.LastIndex-e.Raft.Index+1 {
				t.Errorf("append %v: indexes %d..%d for %d entries", e, e.Raft.Index, e.Raft.LastIndex, len(e.Raft.Entries))
			}
			for _, en := range e.Raft.Entries {
				if _, ok := en.Command.(int); !ok || en.Term < 1 {
					t.Errorf("append %v: entry %+v, want an int command and a term", e, en)
				}
			}
		case e.Raft != nil && e.Raft.Kind == raftpb.EventTerm:
			if e.Raft.PrevTerm != e.Raft.Term-1 {
				t.Errorf("term %v: from %d", e, e.Raft.PrevTerm)
			}
		case e.Propose != nil:
			if _, ok := e.Propose.Command.(int); !ok {
				t.Errorf("proposal %v: command %T, want int", e, e.Propose.Command)
			}
			commands++
		case e.Net != nil && e.Net.Kind == NetSent:
			if e.Net.Msg == nil || e.Net.Msg.Term < 1 {
				t.Errorf("message %v: no description", e)
				continue
			}
			kinds[e.Net.Msg.Kind]++
		}
	}
	if appends == 0 || commands == 0 || kinds[MsgVote] == 0 || kinds[MsgHeartbeat] == 0 || kinds[MsgAppend] == 0 {
		t.Errorf("%d appends, %d proposals, messages %v: want some of each", appends, commands, kinds)
	}
}

// What a version-2 trace holds reads back the same: events with every kind of payload,
// commands of several types included.
func TestTraceRoundTrip(t *testing.T) {
	events := []Event{
		{Kind: EventRaft, Peer: 1, At: time.Millisecond, Raft: &raftpb.Event{Kind: raftpb.EventAppend, Peer: 1, Term: 2, Role: raftpb.Follower,
			Other: 0, Index: 3, LastIndex: 5, Entries: []raftpb.Entry{{Term: 2, Command: 7}, {Term: 2, Command: "put k v"}, {Term: 2, Command: int64(9)}}}},
		{Kind: EventRaft, Peer: 0, At: time.Millisecond, Raft: &raftpb.Event{Kind: raftpb.EventProgress, Term: 2, Role: raftpb.Leader, Other: 1, Index: 5, LastIndex: 6, State: raftpb.Replicate}},
		{Kind: EventNet, Peer: 0, Net: &NetEvent{Kind: NetSent, ID: 4, From: 0, To: 2, Method: "Raft.AppendEntries", Bytes: 90,
			Msg: &Msg{Kind: MsgAppend, Term: 2, PrevLogIndex: 2, PrevLogTerm: 1, Entries: 3, Commit: 2}}},
		{Kind: EventNet, Peer: 0, Net: &NetEvent{Kind: NetReplied, ID: 4, From: 0, To: 2, Method: "Raft.AppendEntries", Latency: time.Millisecond,
			Msg: &Msg{Kind: MsgAppendReply, Term: 2, ConflictTerm: -1, ConflictIndex: 2}}},
		{Kind: EventFault, Peer: -1, Fault: &Fault{Kind: Delay, Min: time.Millisecond, Max: 3 * time.Millisecond, From: []int{0}, To: []int{1, 2}}, Text: "delay"},
		{Kind: EventPropose, Peer: 0, Propose: &Proposal{Command: 11, ProposeResult: ProposeResult{Peer: 0, Index: 6, Term: 2, OK: true}}},
		{Kind: EventPropose, Peer: -1, Propose: &Proposal{Command: []byte("raw"), ProposeResult: ProposeResult{Peer: -1}}},
		{Kind: EventDeliver, Peer: 2, Deliver: &Delivery{Index: 6, Term: 2, Command: 11}},
		{Kind: EventDeliver, Peer: 2, Deliver: &Delivery{Index: 9, Term: 2, Snapshot: true}},
		{Kind: EventViolation, Peer: 1, Violation: &Violation{Checker: "durability", Message: "lost", Peers: []int{1}, At: time.Second, Seq: 3}},
		{Kind: EventClient, Peer: 1, Client: &ClientOp{Client: 1, Seq: 1, Op: "get", Key: "k", Output: "v", Status: ClientOK, Call: 1, Return: 2, Peer: 1, Index: 6}},
		{Kind: EventExpect, Peer: -1, Text: "wait leader within 5s: peer 0 leads", Line: 3, OK: true},
	}
	var b bytes.Buffer
	tw, err := NewTraceWriter(&b, TraceHeader{RunConfig: RunConfig{Name: "x", Engine: "sim", Seed: 1, Peers: 3}})
	if err != nil {
		t.Fatal(err)
	}
	bus := NewBus(nil)
	bus.Observe(tw.Observe)
	for _, e := range events {
		bus.Publish(e)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	h, got, err := ReadTrace(&b)
	if err != nil || h.Version != TraceVersion || len(got) != len(events) {
		t.Fatalf("ReadTrace: version %d, %d events, %v", h.Version, len(got), err)
	}
	for i := range events {
		want := events[i]
		want.Seq = uint64(i + 1)
		if g, w := got[i].String(), want.String(); g != w {
			t.Errorf("event %d reads back as\n%s\nwant\n%s", i, g, w)
		}
	}
	if c := got[6].Propose.Command; !SameCommand(c, []byte("raw")) {
		t.Errorf("a []byte command reads back as %#v", c)
	}
	if c := got[0].Raft.Entries[2].Command; !SameCommand(c, int64(9)) || SameCommand(c, 9) {
		t.Errorf("an int64 command reads back as %#v (%T)", c, c)
	}
}

// Traces this program cannot read say why.
func TestReadTraceErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "not a miniraft trace: empty input"},
		{`{"format":"other"}`, "not a miniraft trace"},
		{`{"format":"miniraft-trace"}`, "gives no trace version"},
		{`{"format":"miniraft-trace","version":9}`, "trace version 9 is newer than this program reads (1 to 2)"},
		{"{\"format\":\"miniraft-trace\",\"version\":2}\n{\"seq\":1,\"kind\":\"gossip\"}", "trace line 2: unknown event kind \"gossip\""},
		{"{\"format\":\"miniraft-trace\",\"version\":2}\n{\"seq\":1,\"kind\":\"propose\",\"propose\":{\"command\":{\"type\":\"int8\",\"value\":999}}}", "trace line 2: command of type int8"},
	} {
		_, _, err := ReadTrace(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadTrace(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}
