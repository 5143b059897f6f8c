package course

import (
	"log"

	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// Mini returns MiniRaft's own raft.Raft as an Impl. config, if not nil, gives the
// configuration of each peer's incarnations (MakeWithConfig sets its ID and Peers);
// otherwise peers take the defaults, as with raft.Make.
func Mini(config func(me int) raft.Config) *Impl {
	return &Impl{
		Name:    "MiniRaft",
		API:     "MiniRaft raft.Raft",
		Package: "github.com/miniraft/miniraft/raft",
		Make: func(ends []*labrpc.ClientEnd, me int, persister Persister, apply *Tap) Peer {
			ch := make(chan raft.ApplyMsg)
			Forward(apply, ch, func(m raft.ApplyMsg) raft.ApplyMsg { return m })
			var cfg raft.Config
			if config != nil {
				cfg = config(me)
			}
			rf, err := raft.MakeWithConfig(ends, me, RaftPersister(persister), ch, cfg)
			if err != nil {
				log.Printf("raft: peer %d cannot start: %v", me, err)
			}
			return rf
		},
		MakePersister: func() Persister { return WrapRaftPersister(raft.MakePersister()) },
		Snapshots:     true,
	}
}

// raftPersister is a raft.Persister as a Persister.
type raftPersister struct {
	*raft.Persister
}

// WrapRaftPersister returns p, MiniRaft's persister (also the course tester's from 2025
// on), as a Persister.
func WrapRaftPersister(p *raft.Persister) Persister { return raftPersister{p} }

// RaftPersister returns the raft.Persister inside p, which must come from
// WrapRaftPersister; it panics otherwise, as a MakeFunc given another Impl's persister
// cannot go on.
func RaftPersister(p Persister) *raft.Persister { return p.(raftPersister).Persister }

func (p raftPersister) Copy() Persister { return raftPersister{p.Persister.Copy()} }
