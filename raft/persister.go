package raft

import "sync"

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
}

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
	defer ps.mu.Unlock()
	ps.raftstate, ps.state, ps.snapshot = rs, nil, sn
}

// SaveStateAndSnapshot is the older name of Save.
func (ps *Persister) SaveStateAndSnapshot(raftstate, snapshot []byte) {
	ps.Save(raftstate, snapshot)
}

// SaveRaftState stores the Raft state and leaves the snapshot as it is.
func (ps *Persister) SaveRaftState(raftstate []byte) {
	rs := clone(raftstate)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate, ps.state = rs, nil
}

// SaveReady saves what a Node's Ready asks to: its State and, when non-nil, its Snapshot,
// together and atomically. It does nothing if rd.State is nil. Both are kept as they
// are, not copied (the Node never modifies them), so it costs O(1).
func (ps *Persister) SaveReady(rd Ready) {
	if rd.State == nil {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.raftstate, ps.state = nil, rd.State
	if rd.Snapshot != nil {
		ps.snapshot = rd.Snapshot
	}
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
