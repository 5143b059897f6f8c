package raft

import (
	"bytes"
	"sync"
)

// Persister holds a peer's durable state: the Raft state and the service's snapshot. It
// stands in for a disk: a peer that crashes and restarts is given (a copy of) the
// Persister it wrote to. Its zero value is ready to use, and it is safe for concurrent use.
//
// Raft saves through SaveReady, which keeps the Node's PersistentState as it is: O(1) per
// save, whatever the log's length. The course's API (Save, ReadRaftState...) works on the
// whole encoding, which ReadRaftState builds from a saved PersistentState when asked.
type Persister struct {
	mu        sync.Mutex
	raftstate []byte           // saved through the course's API; nil when state is set
	state     *PersistentState // saved through SaveReady; read-only
	snapshot  []byte
	// Tearing (see Tear): the function to call at a torn write, what the last write
	// changed when it changed one part alone, and whether a write was torn (the disk
	// takes no more).
	tear func()
	half half
	torn bool
}

// half is what a write changed when it changed one part of the disk alone.
type half uint8

const (
	bothOrNone half = iota
	stateOnly
	snapshotOnly
)

// MakePersister returns an empty Persister.
func MakePersister() *Persister {
	return &Persister{}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// Copy returns a new Persister holding the same state and snapshot.
func (ps *Persister) Copy() *Persister {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return &Persister{raftstate: ps.raftstate, state: ps.state, snapshot: ps.snapshot}
}

// Save stores the Raft state and the snapshot together, atomically. It keeps copies, so
// the caller may reuse its buffers.
func (ps *Persister) Save(raftstate, snapshot []byte) {
	rs, sn := clone(raftstate), clone(snapshot)
	ps.mu.Lock()
	torn, ok := ps.writeLocked(rs, nil, sn, true)
	if ok {
		ps.raftstate, ps.state, ps.snapshot = rs, nil, sn
	}
	ps.mu.Unlock()
	if torn != nil {
		torn()
	}
}

// SaveStateAndSnapshot is the older name of Save.
func (ps *Persister) SaveStateAndSnapshot(raftstate, snapshot []byte) {
	ps.Save(raftstate, snapshot)
}

// SaveRaftState stores the Raft state and leaves the snapshot as it is.
func (ps *Persister) SaveRaftState(raftstate []byte) {
	rs := clone(raftstate)
	ps.mu.Lock()
	torn, ok := ps.writeLocked(rs, nil, nil, false)
	if ok {
		ps.raftstate, ps.state = rs, nil
	}
	ps.mu.Unlock()
	if torn != nil {
		torn()
	}
}

// SaveReady saves what a Node's Ready asks to: its State and, when non-nil, its Snapshot,
// together and atomically. It does nothing if rd.State is nil. Both are kept as they
// are, not copied (the Node never modifies them), so it costs O(1).
func (ps *Persister) SaveReady(rd Ready) {
	if rd.State == nil {
		return
	}
	ps.mu.Lock()
	torn, ok := ps.writeLocked(nil, rd.State, rd.Snapshot, rd.Snapshot != nil)
	if ok {
		ps.raftstate, ps.state = nil, rd.State
		if rd.Snapshot != nil {
			ps.snapshot = rd.Snapshot
		}
	}
	ps.mu.Unlock()
	if torn != nil {
		torn()
	}
}

// Tear arms the persister to tear the next save that is made in two writes: when a
// write changes only the Raft state and the next one only the snapshot (or the
// reverse), the second write is dropped, and so is every later one, as if the machine
// had died between the two, and torn is called before the second write returns, on its
// goroutine, without the persister's lock: it is the moment to stop the peer. A save
// made in one write (Save, SaveStateAndSnapshot, or SaveReady, as Raft saves) is never
// torn, so an armed persister is an ordinary one to a Raft that saves atomically. Only
// writes after Tear count. Tear(nil) disarms; a Copy is never armed.
func (ps *Persister) Tear(torn func()) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.tear, ps.half = torn, bothOrNone
}

// writeLocked decides the fate of a write of the state (raftstate, or st for SaveReady)
// and, when withSnap, of snapshot: ok if it is to be stored, and the function to call
// once the lock is released if it tears the disk. ps.mu must be held.
func (ps *Persister) writeLocked(raftstate []byte, st *PersistentState, snapshot []byte, withSnap bool) (torn func(), ok bool) {
	if ps.torn {
		return nil, false // the machine is dead: nothing reaches its disk
	}
	if ps.tear == nil {
		return nil, true
	}
	stateChanged := !(st != nil && st == ps.state ||
		st == nil && ps.state == nil && bytes.Equal(raftstate, ps.raftstate))
	snapChanged := withSnap && !bytes.Equal(snapshot, ps.snapshot)
	h := bothOrNone
	switch {
	case stateChanged && !snapChanged:
		h = stateOnly
	case snapChanged && !stateChanged:
		h = snapshotOnly
	}
	if ps.half != bothOrNone && h != bothOrNone && h != ps.half {
		torn, ps.tear, ps.torn = ps.tear, nil, true
		return torn, false
	}
	ps.half = h
	return nil, true
}

// ReadRaftState returns a copy of the stored Raft state.
func (ps *Persister) ReadRaftState() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.state != nil {
		return ps.state.Bytes()
	}
	return clone(ps.raftstate)
}

// ReadSnapshot returns a copy of the stored snapshot.
func (ps *Persister) ReadSnapshot() []byte {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return clone(ps.snapshot)
}

// RaftStateSize returns the size in bytes of the stored Raft state.
func (ps *Persister) RaftStateSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.state != nil {
		return ps.state.Size()
	}
	return len(ps.raftstate)
}

// SnapshotSize returns the size in bytes of the stored snapshot.
func (ps *Persister) SnapshotSize() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.snapshot)
}
