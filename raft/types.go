package raft

import "fmt"

// ApplyMsg is what a peer hands its service on the apply channel: either a committed
// command (CommandValid) or a snapshot to install (SnapshotValid). Commands arrive in index
// order with no gaps and no repeats; after a snapshot the next command is SnapshotIndex+1.
type ApplyMsg struct {
	CommandValid bool
	Command      interface{}
	CommandIndex int

	// For 2D:
	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int

	// CommandTerm is the term of the applied entry. The course's services ignore it.
	CommandTerm int
}

// Message is an RPC a Node asks its caller to send. Args is one of *RequestVoteArgs,
// *AppendEntriesArgs or *InstallSnapshotArgs. The caller delivers it to peer To, and then
// gives the Node the outcome with StepReply or StepFailure, passing the same Message.
// Args and everything it points to are read-only: the Node never changes them after
// handing them out, and neither may the caller.
type Message struct {
	From, To int
	Args     interface{}

	epoch uint32 // the sender's replication epoch for To when it was sent
}

// Method returns the labrpc method name of the message.
func (m Message) Method() string {
	switch m.Args.(type) {
	case *RequestVoteArgs:
		return MethodRequestVote
	case *AppendEntriesArgs:
		return MethodAppendEntries
	case *InstallSnapshotArgs:
		return MethodInstallSnapshot
	}
	return ""
}

// NewReply returns a zero reply of the type that answers m.
func (m Message) NewReply() interface{} {
	switch m.Args.(type) {
	case *RequestVoteArgs:
		return &RequestVoteReply{}
	case *AppendEntriesArgs:
		return &AppendEntriesReply{}
	case *InstallSnapshotArgs:
		return &InstallSnapshotReply{}
	}
	return nil
}

func (m Message) String() string {
	switch a := m.Args.(type) {
	case *RequestVoteArgs:
		kind := "RequestVote"
		if a.PreVote {
			kind = "PreVote"
		}
		return fmt.Sprintf("%d->%d %s{term %d last %d/%d}", m.From, m.To, kind, a.Term, a.LastLogIndex, a.LastLogTerm)
	case *AppendEntriesArgs:
		return fmt.Sprintf("%d->%d AppendEntries{term %d prev %d/%d n %d commit %d}", m.From, m.To, a.Term, a.PrevLogIndex, a.PrevLogTerm, len(a.Entries), a.LeaderCommit)
	case *InstallSnapshotArgs:
		return fmt.Sprintf("%d->%d InstallSnapshot{term %d at %d/%d, %d bytes}", m.From, m.To, a.Term, a.LastIncludedIndex, a.LastIncludedTerm, len(a.Data))
	}
	return fmt.Sprintf("%d->%d %T", m.From, m.To, m.Args)
}
