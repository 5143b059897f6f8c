package chaos

import (
	"encoding/json"
	"testing"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// A course Raft's messages, spelled as course Rafts spell them.
type (
	courseEntry struct {
		Term    int
		Command interface{}
	}
	courseVoteArgs struct {
		Term         int
		CandidateId  int //nolint:revive // the course's spelling is the point
		LastLogIndex int
		LastLogTerm  int
	}
	courseVoteReply struct {
		Term        int
		VoteGranted bool
	}
	courseAppendArgs struct {
		Term         int
		LeaderId     int //nolint:revive // the course's spelling
		PrevLogIndex int
		PrevLogTerm  int
		Entries      []courseEntry
		LeaderCommit int
	}
	courseAppendReply struct {
		Term    int
		Success bool
		XTerm   int
		XIndex  int
		XLen    int
	}
	courseSnapArgs struct {
		Term              int
		LeaderId          int //nolint:revive // the course's spelling
		LastIncludedIndex int
		LastIncludedTerm  int
		Data              []byte
	}
	courseSnapReply struct{ Term int }
	// A Raft with its own words for things, and a pre-vote flag.
	otherVoteArgs struct {
		Term          int32
		Candidate_ID  int //nolint:revive // underscores are ignored
		Last_Log_Idx  int //nolint:revive
		Last_Log_Term int //nolint:revive
		IsPreVote     bool
	}
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name         string
		method       string
		args, reply  interface{}
		want, wantRe Msg
	}{
		{"miniraft vote", "Raft.RequestVote",
			&raftpb.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 7, LastLogTerm: 2}, &raftpb.RequestVoteReply{Term: 3, VoteGranted: true},
			Msg{Kind: MsgVote, Term: 3, LastLogIndex: 7, LastLogTerm: 2}, Msg{Kind: MsgVoteReply, Term: 3, Granted: true}},
		{"miniraft prevote", "Raft.RequestVote",
			&raftpb.RequestVoteArgs{Term: 4, LastLogIndex: 7, LastLogTerm: 2, PreVote: true}, &raftpb.RequestVoteReply{Term: 3},
			Msg{Kind: MsgPreVote, Term: 4, LastLogIndex: 7, LastLogTerm: 2}, Msg{Kind: MsgPreVoteReply, Term: 3}},
		{"miniraft append", "Raft.AppendEntries",
			&raftpb.AppendEntriesArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Entries: make([]raftpb.Entry, 4), LeaderCommit: 5},
			&raftpb.AppendEntriesReply{Term: 3, Success: false, ConflictTerm: 1, ConflictIndex: 2},
			Msg{Kind: MsgAppend, Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Entries: 4, Commit: 5},
			Msg{Kind: MsgAppendReply, Term: 3, ConflictTerm: 1, ConflictIndex: 2}},
		{"miniraft heartbeat by value", "Raft.AppendEntries",
			raftpb.AppendEntriesArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, LeaderCommit: 5},
			&raftpb.AppendEntriesReply{Term: 3, Success: true, ConflictTerm: -1},
			Msg{Kind: MsgHeartbeat, Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Commit: 5},
			Msg{Kind: MsgHeartbeatReply, Term: 3, Success: true}},
		{"miniraft snapshot", "Raft.InstallSnapshot",
			&raftpb.InstallSnapshotArgs{Term: 5, LastIncludedIndex: 100, LastIncludedTerm: 4, Data: make([]byte, 30)},
			&raftpb.InstallSnapshotReply{Term: 5},
			Msg{Kind: MsgSnapshot, Term: 5, SnapshotIndex: 100, SnapshotTerm: 4, SnapshotBytes: 30},
			Msg{Kind: MsgSnapshotReply, Term: 5}},
		{"course vote", "Raft.RequestVote",
			&courseVoteArgs{Term: 3, CandidateId: 1, LastLogIndex: 7, LastLogTerm: 2}, &courseVoteReply{Term: 4},
			Msg{Kind: MsgVote, Term: 3, LastLogIndex: 7, LastLogTerm: 2}, Msg{Kind: MsgVoteReply, Term: 4}},
		{"course append", "Raft.AppendEntries",
			&courseAppendArgs{Term: 3, LeaderId: 0, PrevLogIndex: 5, PrevLogTerm: 2, Entries: make([]courseEntry, 2), LeaderCommit: 4},
			&courseAppendReply{Term: 3, XTerm: 2, XIndex: 4, XLen: 9},
			Msg{Kind: MsgAppend, Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Entries: 2, Commit: 4},
			Msg{Kind: MsgAppendReply, Term: 3, ConflictTerm: 2, ConflictIndex: 4, ConflictLen: 9}},
		{"course heartbeat, success hides the hint", "Raft.AppendEntries",
			courseAppendArgs{Term: 3, PrevLogIndex: 5}, courseAppendReply{Term: 3, Success: true, XTerm: 7},
			Msg{Kind: MsgHeartbeat, Term: 3, PrevLogIndex: 5}, Msg{Kind: MsgHeartbeatReply, Term: 3, Success: true}},
		{"course snapshot", "Raft.InstallSnapshot",
			&courseSnapArgs{Term: 5, LastIncludedIndex: 10, LastIncludedTerm: 4, Data: []byte("abc")}, &courseSnapReply{Term: 6},
			Msg{Kind: MsgSnapshot, Term: 5, SnapshotIndex: 10, SnapshotTerm: 4, SnapshotBytes: 3}, Msg{Kind: MsgSnapshotReply, Term: 6}},
		{"other spellings, kind from the fields", "Node.Ask",
			&otherVoteArgs{Term: 9, Candidate_ID: 2, Last_Log_Idx: 3, Last_Log_Term: 8, IsPreVote: true}, &courseVoteReply{Term: 9, VoteGranted: true},
			Msg{Kind: MsgPreVote, Term: 9, LastLogIndex: 3, LastLogTerm: 8}, Msg{Kind: MsgPreVoteReply, Term: 9, Granted: true}},
		{"a separate pre-vote method", "Raft.PreVote",
			&courseVoteArgs{Term: 3, LastLogIndex: 1, LastLogTerm: 1}, &courseVoteReply{Term: 3},
			Msg{Kind: MsgPreVote, Term: 3, LastLogIndex: 1, LastLogTerm: 1}, Msg{Kind: MsgPreVoteReply, Term: 3}},
		{"a reply to an unknown request, kind from its fields", "Kv.Get",
			&struct{ Key string }{"k"}, &courseAppendReply{Term: 2, Success: true},
			Msg{Kind: MsgOther}, Msg{Kind: MsgAppendReply, Term: 2, Success: true}},
		{"not a struct", "Junk.Echo", 42, "x", Msg{Kind: MsgOther}, Msg{Kind: MsgOther}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DescribeRequest(tc.method, tc.args); got == nil || *got != tc.want {
				t.Errorf("DescribeRequest(%q, %#v) = %+v, want %+v", tc.method, tc.args, got, tc.want)
			}
			if got := DescribeReply(tc.method, tc.args, tc.reply); got == nil || *got != tc.wantRe {
				t.Errorf("DescribeReply(%q, %#v, %#v) = %+v, want %+v", tc.method, tc.args, tc.reply, got, tc.wantRe)
			}
		})
	}
	if DescribeRequest("Raft.RequestVote", nil) != nil || DescribeReply("Raft.RequestVote", nil, nil) != nil {
		t.Error("a nil message is described")
	}
}

// Every kind reads back from JSON as written, and replies answer their requests.
func TestMsgKindText(t *testing.T) {
	for k := MsgOther; k <= MsgSnapshotReply; k++ {
		b, err := json.Marshal(Msg{Kind: k})
		if err != nil {
			t.Fatal(err)
		}
		var m Msg
		if err := json.Unmarshal(b, &m); err != nil || m.Kind != k {
			t.Errorf("%v: %s reads back as %v, %v", k, b, m.Kind, err)
		}
		if k >= MsgVote && k <= MsgSnapshot && (!k.Reply().IsReply() || k.IsReply()) {
			t.Errorf("%v: reply kind %v", k, k.Reply())
		}
	}
	var k MsgKind
	if err := k.UnmarshalText([]byte("gossip")); err == nil {
		t.Error(`"gossip" read as a message kind`)
	}
}

func BenchmarkDescribe(b *testing.B) {
	mini := &raftpb.AppendEntriesArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Entries: make([]raftpb.Entry, 4), LeaderCommit: 5}
	course := &courseAppendArgs{Term: 3, PrevLogIndex: 5, PrevLogTerm: 2, Entries: make([]courseEntry, 4), LeaderCommit: 5}
	b.Run("miniraft", func(b *testing.B) {
		for b.Loop() {
			DescribeRequest("Raft.AppendEntries", mini)
		}
	})
	b.Run("course", func(b *testing.B) {
		for b.Loop() {
			DescribeRequest("Raft.AppendEntries", course)
		}
	})
}
