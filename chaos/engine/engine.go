// Package engine holds what the chaos engines (live, sim, and engines of peers the
// harness does not own) share beyond the chaos.Cluster contract: how a peer's lives are
// seeded, how its service's deliveries and failures are reported. It is for engines
// only: views never import it.
package engine

import (
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// PeerSeed returns the seed of life (0 for the first) of peer id in a cluster seeded
// with seed: different for every peer and life, the same in every engine, and never
// zero (which would make Raft pick a random one).
func PeerSeed(seed int64, id, life int) int64 {
	s := seed*1_000_003 + int64(id)*7919 + int64(life)
	if s == 0 {
		s = 1
	}
	return s
}

// ServiceViolation publishes on bus that peer's service failed (msg says how), at time
// at, as a violation of the "service" checker.
func ServiceViolation(bus *chaos.Bus, peer int, at time.Duration, msg string) {
	bus.Publish(chaos.Event{Kind: chaos.EventViolation, Peer: peer, Violation: &chaos.Violation{
		Checker: "service", Message: msg, Peers: []int{peer}, At: at,
	}})
}

// Delivery returns what an EventDeliver says of the message m a peer's service was
// handed: a snapshot when m.SnapshotValid, else a command.
func Delivery(m raft.ApplyMsg) *chaos.Delivery {
	if m.SnapshotValid {
		return &chaos.Delivery{Index: m.SnapshotIndex, Term: m.SnapshotTerm, Snapshot: true}
	}
	return &chaos.Delivery{Index: m.CommandIndex, Term: m.CommandTerm, Command: m.Command}
}

// Restore hands a restarting peer's service the snapshot its persister holds, which Raft
// says runs through index. It fails, saying how, when what Raft persisted does not hold
// together (a save torn between its state and its snapshot, say): a snapshot the
// service cannot take at that index, or none at all where Raft's state says one was
// taken. The engines report that as a violation: the peer cannot come back.
func Restore(svc chaos.Service, peer, index int, snap []byte) error {
	switch {
	case len(snap) > 0:
		if err := svc.Restore(index, snap); err != nil {
			return fmt.Errorf("peer %d cannot restart: restore snapshot through %d (Raft's persisted state says): %w", peer, index, err)
		}
	case index > 0:
		return fmt.Errorf("peer %d cannot restart: restore snapshot through %d (Raft's persisted state says): no snapshot was persisted", peer, index)
	}
	return nil
}
