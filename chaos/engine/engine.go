// Package engine holds what the chaos engines (live, sim, and engines of peers the
// harness does not own) share beyond the chaos.Cluster contract: how a peer's service
// deliveries are reported. It is for engines only: views never import it.
package engine

import (
	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// Delivery returns what an EventDeliver says of the message m a peer's service was
// handed: a snapshot when m.SnapshotValid, else a command.
func Delivery(m raft.ApplyMsg) *chaos.Delivery {
	if m.SnapshotValid {
		return &chaos.Delivery{Index: m.SnapshotIndex, Term: m.SnapshotTerm, Snapshot: true}
	}
	return &chaos.Delivery{Index: m.CommandIndex, Term: m.CommandTerm, Command: m.Command}
}
