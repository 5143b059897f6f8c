package raftpb

import "fmt"

// Entry is one log entry. Its index is implied by its position in the log.
type Entry struct {
	Term    int         `json:"term"`
	Command interface{} `json:"command"`
}

// Role is a peer's role in the protocol.
type Role uint8

// The roles. PreCandidate is used only with Config.PreVote.
const (
	Follower Role = iota
	PreCandidate
	Candidate
	Leader
)

var roleNames = [...]string{"follower", "precandidate", "candidate", "leader"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("Role(%d)", r)
}

// None is the peer id meaning "nobody", as in VotedFor or a leader hint.
const None = -1

// RequestVoteArgs is the RequestVote RPC request (Figure 2). With PreVote set it is a
// pre-vote (Raft dissertation 9.6): Term is the term the candidate would campaign in, and
// granting it changes nothing on the receiver.
type RequestVoteArgs struct {
	Term         int
	CandidateID  int
	LastLogIndex int
	LastLogTerm  int
	PreVote      bool
}

// RequestVoteReply is the RequestVote RPC reply.
type RequestVoteReply struct {
	Term        int
	VoteGranted bool
}

// AppendEntriesArgs is the AppendEntries RPC request (Figure 2). It is a heartbeat when
// Entries is empty.
type AppendEntriesArgs struct {
	Term         int
	LeaderID     int
	PrevLogIndex int
	PrevLogTerm  int
	Entries      []Entry
	LeaderCommit int
}

// AppendEntriesReply is the AppendEntries RPC reply. On a rejection caused by a log
// mismatch it carries a hint for fast backup: ConflictTerm is the term of the follower's
// entry at PrevLogIndex and ConflictIndex the first index the follower holds with that
// term; when the follower's log is too short, ConflictTerm is None and ConflictIndex is
// one past its last index.
type AppendEntriesReply struct {
	Term          int
	Success       bool
	ConflictTerm  int
	ConflictIndex int
}

// InstallSnapshotArgs is the InstallSnapshot RPC request (section 7), sent whole.
type InstallSnapshotArgs struct {
	Term              int
	LeaderID          int
	LastIncludedIndex int
	LastIncludedTerm  int
	Data              []byte
}

// InstallSnapshotReply is the InstallSnapshot RPC reply.
type InstallSnapshotReply struct {
	Term int
}

// RPC method names, as labrpc.MakeService registers them.
const (
	MethodRequestVote     = "Raft.RequestVote"
	MethodAppendEntries   = "Raft.AppendEntries"
	MethodInstallSnapshot = "Raft.InstallSnapshot"
)
