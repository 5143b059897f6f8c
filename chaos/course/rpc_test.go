package course

import (
	"testing"

	"github.com/miniraft/miniraft/raft"
)

// The argument and reply types of a typical course Raft, as students name them.
type studentVoteArgs struct {
	Term, CandidateId, LastLogIndex, LastLogTerm int
}

type studentVoteReply struct {
	Term        int
	VoteGranted bool
}

type studentEntry struct {
	Term    int
	Command interface{}
}

type studentAppendArgs struct {
	Term, LeaderId, PrevLogIndex, PrevLogTerm int
	Entries                                   []studentEntry
	LeaderCommit                              int
}

type studentAppendReply struct {
	Term                int
	Success             bool
	XTerm, XIndex, XLen int
}

type otherNames struct {
	Current_Term  int32
	Leader        uint
	Logs          [3]int
	CommitIndex   int
	ConflictTerm  int
	ConflictIndex int
	secret        int // unexported: labrpc does not carry it, so neither is it read
}

type pingArgs struct{ Nonce string }

func TestDescribe(t *testing.T) {
	tests := []struct {
		name   string
		method string
		v      interface{}
		reply  bool
		want   string
		kind   Kind
	}{
		{"student RequestVote", "Raft.RequestVote", &studentVoteArgs{Term: 3, CandidateId: 1, LastLogIndex: 7, LastLogTerm: 2}, false,
			"RequestVote{term 3 candidate 1 last 7/2}", KindRequestVote},
		{"student vote reply", "Raft.RequestVote", &studentVoteReply{Term: 3, VoteGranted: true}, true,
			"RequestVote reply{term 3 granted}", KindRequestVote},
		{"student AppendEntries", "Raft.AppendEntries", studentAppendArgs{Term: 4, LeaderId: 2, PrevLogIndex: 5, PrevLogTerm: 3, Entries: make([]studentEntry, 2), LeaderCommit: 5}, false,
			"AppendEntries{term 4 leader 2 prev 5/3 n 2 commit 5}", KindAppendEntries},
		{"student append reply with fast backup", "Raft.AppendEntries", &studentAppendReply{Term: 4, XTerm: -1, XIndex: 0, XLen: 3}, true,
			"AppendEntries reply{term 4 failure xterm -1 xindex 0 xlen 3}", KindAppendEntries},
		{"MiniRaft PreVote", raft.MethodRequestVote, &raft.RequestVoteArgs{Term: 5, CandidateID: 0, PreVote: true}, false,
			"PreVote{term 5 candidate 0 last 0/0}", KindPreVote},
		{"MiniRaft append reply", raft.MethodAppendEntries, &raft.AppendEntriesReply{Term: 2, ConflictTerm: 1, ConflictIndex: 4}, true,
			"AppendEntries reply{term 2 failure xterm 1 xindex 4}", KindAppendEntries},
		{"MiniRaft InstallSnapshot", raft.MethodInstallSnapshot, &raft.InstallSnapshotArgs{Term: 6, LeaderID: 3, LastIncludedIndex: 40, LastIncludedTerm: 5, Data: make([]byte, 100)}, false,
			"InstallSnapshot{term 6 leader 3 at 40/5 100 bytes}", KindInstallSnapshot},
		{"other names and types", "Raft.Heartbeat", &otherNames{Current_Term: 9, Leader: 1, CommitIndex: 3, secret: 5}, false,
			"AppendEntries{term 9 leader 1 n 3 commit 3}", KindAppendEntries},
		{"unknown fields", "Raft.Ping", &pingArgs{"x"}, false,
			"Raft.Ping(*course.pingArgs)", KindOther},
		{"not a struct", "KV.Get", "key", false, "KV.Get(string)", KindOther},
		{"nil pointer", "Raft.AppendEntries", (*studentAppendArgs)(nil), false,
			"Raft.AppendEntries(*course.studentAppendArgs)", KindAppendEntries},
		{"nil", "Raft.RequestVote", nil, true, "Raft.RequestVote()", KindRequestVote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.method, tt.v, tt.reply)
			if s := got.String(); s != tt.want {
				t.Errorf("Describe(%q, %#v).String() = %q, want %q", tt.method, tt.v, s, tt.want)
			}
			if got.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v", got.Kind, tt.kind)
			}
			if got.Reply != tt.reply || got.Method != tt.method {
				t.Errorf("Reply, Method = %v, %q; want %v, %q", got.Reply, got.Method, tt.reply, tt.method)
			}
		})
	}
}

func TestDescribeFields(t *testing.T) {
	got := Describe("Raft.AppendEntries", &otherNames{ConflictTerm: 2, ConflictIndex: 7, Logs: [3]int{}}, true)
	want := RPC{
		Method: "Raft.AppendEntries", Kind: KindAppendEntries, Reply: true, Type: "*course.otherNames",
		Term: Int{0, true}, LeaderID: Int{0, true}, Entries: Int{3, true}, LeaderCommit: Int{0, true},
		XTerm: Int{2, true}, XIndex: Int{7, true},
	}
	if got != want {
		t.Errorf("Describe:\n got %+v\nwant %+v", got, want)
	}
}

func TestKindOfMethod(t *testing.T) {
	for method, want := range map[string]Kind{
		"Raft.RequestVote": KindRequestVote, "Raft.RequestPreVote": KindPreVote, "Raft.HandleVote": KindRequestVote,
		"Raft.AppendEntries": KindAppendEntries, "Raft.Heartbeat": KindAppendEntries,
		"Raft.InstallSnapshot": KindInstallSnapshot, "KVServer.Get": KindOther, "noDot": KindOther,
	} {
		if got := kindOfMethod(method); got != want {
			t.Errorf("kindOfMethod(%q) = %v, want %v", method, got, want)
		}
	}
}

func BenchmarkDescribe(b *testing.B) {
	args := &studentAppendArgs{Term: 4, LeaderId: 2, Entries: make([]studentEntry, 2)}
	for b.Loop() {
		_ = Describe("Raft.AppendEntries", args, false)
	}
}
