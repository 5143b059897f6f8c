package course

import (
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// Raft is MiniRaft's raft.Raft behind the course's interface and nothing more: no
// observer, no Status, no pause or clock controls. It is what an engine meets in a
// student's Raft, without building one: see Opaque. It is named Raft because labrpc names
// a service after its receiver's type, and peers call "Raft.AppendEntries". It is safe
// for concurrent use.
type Raft struct{ rf *raft.Raft }

// Start is the course's Start.
func (r *Raft) Start(cmd interface{}) (int, int, bool) { return r.rf.Start(cmd) }

// GetState is the course's GetState.
func (r *Raft) GetState() (int, bool) { return r.rf.GetState() }

// Snapshot is the course's Snapshot.
func (r *Raft) Snapshot(index int, snapshot []byte) { r.rf.Snapshot(index, snapshot) }

// Kill is the course's Kill.
func (r *Raft) Kill() { r.rf.Kill() }

// Wait waits for the peer's goroutines to end after Kill (a Waiter).
func (r *Raft) Wait() { r.rf.Wait() }

// RequestVote is the RequestVote handler.
func (r *Raft) RequestVote(a *raft.RequestVoteArgs, re *raft.RequestVoteReply) {
	r.rf.RequestVote(a, re)
}

// AppendEntries is the AppendEntries handler.
func (r *Raft) AppendEntries(a *raft.AppendEntriesArgs, re *raft.AppendEntriesReply) {
	r.rf.AppendEntries(a, re)
}

// InstallSnapshot is the InstallSnapshot handler.
func (r *Raft) InstallSnapshot(a *raft.InstallSnapshotArgs, re *raft.InstallSnapshotReply) {
	r.rf.InstallSnapshot(a, re)
}

// Opaque returns an Impl of Raft peers: MiniRaft's raft.Raft made with raft.Make, as a
// course tester makes it, seen only through the course's interface (and applying, as a
// course ApplyMsg does, no term with its commands). An engine must watch it from outside,
// exactly as it watches a student's Raft: it is how the engine's handling of foreign
// peers is tested without building one.
func Opaque() *Impl {
	return &Impl{
		Name:    "MiniRaft's raft.Raft seen from outside",
		Dir:     "/opaque",
		API:     "MiniRaft raft.Raft, course interface only",
		Package: "github.com/miniraft/miniraft/raft",
		Make: func(ends []*labrpc.ClientEnd, me int, ps Persister, tap *Tap) Peer {
			ch := make(chan raft.ApplyMsg)
			Forward(tap, ch, func(m raft.ApplyMsg) raft.ApplyMsg {
				m.CommandTerm = 0
				return m
			})
			return &Raft{raft.Make(ends, me, RaftPersister(ps), ch)}
		},
		MakePersister: func() Persister { return WrapRaftPersister(raft.MakePersister()) },
		Snapshots:     true,
	}
}
