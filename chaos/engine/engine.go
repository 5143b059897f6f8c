// Package engine holds what the chaos engines (live, sim, and engines of peers the
// harness does not own) share beyond the chaos.Cluster contract: how a peer's lives are
// seeded, which peer a proposal goes to, how a delivery reaches the service and a
// restart restores it, how the service's deliveries and failures are reported. It is
// for engines only: views never import it.
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

// Serve hands the message m Raft delivered to peer's service: a snapshot to restore, or
// a command to apply. When the service asks to compact after a command, Serve calls
// snapshot with the command's index and the service's snapshot. It returns what went
// wrong, for the engine to report as a ServiceViolation, or "".
func Serve(svc chaos.Service, peer int, m raft.ApplyMsg, snapshot func(index int, snap []byte)) string {
	switch {
	case m.SnapshotValid:
		if err := svc.Restore(m.SnapshotIndex, m.Snapshot); err != nil {
			return fmt.Sprintf("peer %d could not restore the snapshot through %d it was sent: %v", peer, m.SnapshotIndex, err)
		}
	case m.CommandValid:
		if snap := svc.Apply(m.CommandIndex, m.Command); snap != nil {
			snapshot(m.CommandIndex, snap)
		}
	}
	return ""
}

// Leader returns the peer a proposal goes to: of the n peers, the one that believes it
// leads (state says whether peer i is up and, if so, its term and whether it leads) with
// the highest term, the lowest id among equals; raft.None if none does.
func Leader(n int, state func(i int) (term int, leader, up bool)) int {
	best, bestTerm := raft.None, 0
	for i := range n {
		term, leader, up := state(i)
		if up && leader && (best == raft.None || term > bestTerm) {
			best, bestTerm = i, term
		}
	}
	return best
}
