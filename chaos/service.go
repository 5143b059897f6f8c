package chaos

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// Service is the state machine a peer runs on top of Raft: it is handed every committed
// command in order, and snapshots it asks for are passed to raft's Snapshot. An engine
// makes one Service per peer life (a restarted peer gets a fresh one, restored from its
// persisted snapshot). A Service is used by one goroutine at a time.
type Service interface {
	// Apply applies the command committed at index. If the service wants Raft to
	// compact its log, it returns a snapshot of its state through index; else nil.
	Apply(index int, cmd interface{}) (snapshot []byte)
	// Restore replaces the state with a snapshot taken through index (installed from the
	// leader, or found in the persister at restart).
	Restore(index int, snapshot []byte) error
}

// StateSizer is a Service that wants to know how big its peer's persisted Raft state is,
// to ask for a snapshot when the log grows past a bound (as the course's kvraft servers
// compare persister.RaftStateSize with maxraftstate). An engine calls SetStateSize once
// per life, before the first Apply or Restore, with a function that returns the size in
// bytes of the state the peer last persisted; the service may call it only from Apply
// and Restore.
type StateSizer interface {
	SetStateSize(size func() int)
}

// SnapshotIndexer is a Service that can read the index its own snapshot runs through.
// An engine that restarts a peer whose Raft it cannot see into (a course Raft, which
// keeps its snapshot index to itself) uses it to restore the service from the snapshot
// the peer persisted, as a course service decodes its own state from the persister.
type SnapshotIndexer interface {
	SnapshotIndex(snapshot []byte) (int, error)
}

// DefaultSnapshotEvery is how many commands the default service applies between
// snapshots.
const DefaultSnapshotEvery = 100

// Digest is the default Service: it keeps the number of commands applied and a running
// hash of them, and snapshots every Every commands (never when Every is 0). It is small,
// so it exercises log compaction and InstallSnapshot without costing much.
type Digest struct {
	Every   int
	Index   int    // the last index applied
	Applied int    // commands applied
	Hash    uint64 // FNV-1a over the commands applied, in order
}

// NewDigest returns a Digest that snapshots every every commands.
func NewDigest(every int) *Digest { return &Digest{Every: every, Hash: fnvOffset} }

const fnvOffset = 14695981039346656037

// Apply folds cmd into the digest.
func (d *Digest) Apply(index int, cmd interface{}) []byte {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], d.Hash)
	h.Write(b[:])
	fmt.Fprint(h, cmd)
	d.Hash = h.Sum64()
	d.Index, d.Applied = index, d.Applied+1
	if d.Every > 0 && d.Applied%d.Every == 0 {
		return d.snapshot()
	}
	return nil
}

func (d *Digest) snapshot() []byte {
	b := make([]byte, 0, 3*binary.MaxVarintLen64)
	b = binary.AppendUvarint(b, uint64(d.Index))
	b = binary.AppendUvarint(b, uint64(d.Applied))
	return binary.LittleEndian.AppendUint64(b, d.Hash)
}

// ErrBadSnapshot is wrapped by Restore errors.
var ErrBadSnapshot = errors.New("bad snapshot")

// SnapshotIndex returns the index a snapshot made by Apply runs through.
func (d *Digest) SnapshotIndex(snap []byte) (int, error) {
	i, n := binary.Uvarint(snap)
	if n <= 0 {
		return 0, fmt.Errorf("%w: no index", ErrBadSnapshot)
	}
	return int(i), nil
}

// Restore loads a snapshot made by Apply.
func (d *Digest) Restore(index int, snap []byte) error {
	i, n1 := binary.Uvarint(snap)
	if n1 <= 0 {
		return fmt.Errorf("%w: no index", ErrBadSnapshot)
	}
	a, n2 := binary.Uvarint(snap[n1:])
	if n2 <= 0 || len(snap[n1+n2:]) != 8 {
		return fmt.Errorf("%w: truncated", ErrBadSnapshot)
	}
	if int(i) != index {
		return fmt.Errorf("%w: snapshot is through %d, raft says %d", ErrBadSnapshot, i, index)
	}
	d.Index, d.Applied, d.Hash = int(i), int(a), binary.LittleEndian.Uint64(snap[n1+n2:])
	return nil
}
