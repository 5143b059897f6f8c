package kv

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
)

// DefaultMaxRaftState is the size of a peer's persisted Raft state, in bytes, past which
// a Store asks for a snapshot: about three hundred kv commands.
const DefaultMaxRaftState = 8 << 10

// Store is the key-value state machine of one peer life: a chaos.Service (and a
// chaos.StateSizer). It applies the commands made by Op.Command in log order, each
// client's writes exactly once, and treats any other command as a no-op. It also keeps
// the requests its server is waiting on (Await), so that a clerk hears the outcome the
// moment its operation is applied. Safe for concurrent use: the engine applies on one
// goroutine while clerks read and wait on another.
type Store struct {
	maxRaftState int

	mu         sync.Mutex
	stateSize  func() int
	applied    int               // the last index applied (or restored)
	data       map[string]string // the key-value map
	dups       map[int]dup       // by client: its last request applied, and the result
	waits      map[int]wait      // by log index: a request the server waits on
	sizeAtSnap int               // the Raft state size when the last snapshot was asked for
	snapshots  int
}

// dup is the last request applied for a client, with its result (a Get's value).
type dup struct {
	seq   int
	value string
}

// wait is a request the server took at a log index and waits to see applied there.
type wait struct {
	client, seq int
	done        func(Reply)
}

// Reply is what a server answers a request it waited on.
type Reply struct {
	// OK says the request was applied; false means another command took its log index
	// (its leader lost leadership before committing it), so the clerk should try again
	// elsewhere.
	OK bool
	// Index is the log index the server waited on.
	Index int
	// Value is a Get's result.
	Value string
}

// NewStore returns an empty Store that asks for a snapshot whenever its peer's Raft
// state reaches maxRaftState bytes (never if maxRaftState is 0 or no engine tells it the
// size).
func NewStore(maxRaftState int) *Store {
	return &Store{
		maxRaftState: maxRaftState,
		data:         map[string]string{},
		dups:         map[int]dup{},
		waits:        map[int]wait{},
	}
}

// SetStateSize implements chaos.StateSizer.
func (s *Store) SetStateSize(size func() int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stateSize = size
}

// Apply applies the command committed at index, answers the request waiting on index if
// any, and returns a snapshot when the Raft state has grown past the Store's bound.
func (s *Store) Apply(index int, cmd interface{}) []byte {
	op, isKV := ParseCommand(cmd)
	s.mu.Lock()
	s.applied = index
	var result string
	if isKV {
		result = s.applyLocked(op)
	}
	w, waited := s.waits[index]
	if waited {
		delete(s.waits, index)
	}
	var snap []byte
	if s.maxRaftState > 0 && s.stateSize != nil {
		if n := s.stateSize(); n >= s.maxRaftState && n != s.sizeAtSnap {
			// Raft persists the compacted state only after Apply returns: until the size
			// changes, asking again would snapshot every command of the batch.
			s.sizeAtSnap = n
			s.snapshots++
			snap = s.encodeLocked()
		}
	}
	s.mu.Unlock()
	if waited {
		ok := isKV && (op.Client == w.client && op.Seq == w.seq || bugs.On(bugs.AnswerOtherOp)) // the bug: any command will do
		w.done(Reply{OK: ok, Index: index, Value: result})
	}
	return snap
}

// applyLocked applies op unless it is a duplicate, and returns its result. s.mu must be
// held.
func (s *Store) applyLocked(op Op) string {
	d := s.dups[op.Client]
	if op.Seq > d.seq || bugs.On(bugs.NoDupDetection) && op.Seq == d.seq { // the bug: a retry is applied again
		d = dup{seq: op.Seq}
		switch op.Kind {
		case Get:
			d.value = s.data[op.Key]
		case Put:
			s.data[op.Key] = op.Value
		case Append:
			s.data[op.Key] += op.Value
		}
		s.dups[op.Client] = d
	}
	if op.Seq == d.seq {
		return d.value
	}
	return "" // an older request of the client's: nobody waits for it any more
}

// SnapshotIndex returns the index a snapshot of the store runs through.
func (s *Store) SnapshotIndex(snap []byte) (int, error) {
	applied, _, _, err := decodeSnapshot(snap)
	return applied, err
}

// Restore replaces the state with a snapshot made by Apply, and answers the requests
// waiting on indexes the snapshot covers.
func (s *Store) Restore(index int, snap []byte) error {
	applied, data, dups, err := decodeSnapshot(snap)
	if err != nil {
		return err
	}
	if applied != index {
		return fmt.Errorf("%w: kv snapshot is through %d, raft says %d", chaos.ErrBadSnapshot, applied, index)
	}
	s.mu.Lock()
	s.applied, s.data, s.dups = applied, data, dups
	fire := s.settleLocked()
	s.mu.Unlock()
	for _, f := range fire {
		f()
	}
	return nil
}

// settleLocked answers, from the duplicate table, every wait on an index already applied,
// and returns the calls to make once s.mu is released. s.mu must be held.
func (s *Store) settleLocked() []func() {
	var settled []int
	for index := range s.waits {
		if index <= s.applied {
			settled = append(settled, index)
		}
	}
	slices.Sort(settled) // answer in log order, the same order every run
	fire := make([]func(), 0, len(settled))
	for _, index := range settled {
		w := s.waits[index]
		delete(s.waits, index)
		r := s.outcomeLocked(index, w.client, w.seq)
		fire = append(fire, func() { w.done(r) })
	}
	return fire
}

// outcomeLocked is the reply to request (client, seq), taken at an index already
// applied: applied if the duplicate table has it, else another command took the index.
// s.mu must be held.
func (s *Store) outcomeLocked(index, client, seq int) Reply {
	d := s.dups[client]
	if d.seq >= seq {
		r := Reply{OK: true, Index: index}
		if d.seq == seq {
			r.Value = d.value
		}
		return r
	}
	return Reply{Index: index}
}

// Await registers the server's wait for request (client, seq), which it put in its log at
// index: done is called, once and without the Store's lock held, when index is applied
// (or covered by a snapshot). If index is applied already, Await returns the reply
// instead, with true, and done is never called. A wait left on an index by an earlier
// request is answered as not applied: that request's entry was overwritten.
func (s *Store) Await(index, client, seq int, done func(Reply)) (Reply, bool) {
	s.mu.Lock()
	if index <= s.applied {
		r := s.outcomeLocked(index, client, seq)
		s.mu.Unlock()
		return r, true
	}
	old, had := s.waits[index]
	s.waits[index] = wait{client: client, seq: seq, done: done}
	s.mu.Unlock()
	if had {
		old.done(Reply{Index: index})
	}
	return Reply{}, false
}

// Cancel drops the wait on index, if it is still for (client, seq): the clerk gave up on
// this server.
func (s *Store) Cancel(index, client, seq int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.waits[index]; ok && w.client == client && w.seq == seq {
		delete(s.waits, index)
	}
}

// Read returns the value of key in this Store's state, however far it has applied: what
// a server that answers reads locally would say.
func (s *Store) Read(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[key]
}

// Applied returns the last index applied.
func (s *Store) Applied() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// Snapshots returns how many snapshots the Store has asked for.
func (s *Store) Snapshots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshots
}

// Data returns a copy of the key-value map.
func (s *Store) Data() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]string, len(s.data))
	for k, v := range s.data {
		m[k] = v
	}
	return m
}

// ---- Snapshots ------------------------------------------------------------------------------

// snapMagic starts every snapshot: the format is
//
//	"KV1" applied ndata (key value)* ndups (client seq value)*
//
// with uvarint numbers and uvarint-length-prefixed strings, keys and clients in
// ascending order, so that equal states give equal bytes.
const snapMagic = "KV1"

// encodeLocked makes a snapshot of the state. s.mu must be held.
func (s *Store) encodeLocked() []byte {
	keys := make([]string, 0, len(s.data))
	size := len(snapMagic) + 3*binary.MaxVarintLen64
	for k, v := range s.data {
		keys = append(keys, k)
		size += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(keys)
	clients := make([]int, 0, len(s.dups))
	for c, d := range s.dups {
		clients = append(clients, c)
		size += len(d.value) + 3*binary.MaxVarintLen64
	}
	slices.Sort(clients)
	if bugs.On(bugs.DupsNotInSnapshot) {
		clients = nil // the bug: a restored store has no duplicate table
	}
	b := make([]byte, 0, size)
	b = append(b, snapMagic...)
	b = binary.AppendUvarint(b, uint64(s.applied))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, s.data[k])
	}
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		d := s.dups[c]
		b = binary.AppendUvarint(b, uint64(c))
		b = binary.AppendUvarint(b, uint64(d.seq))
		b = appendString(b, d.value)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// snapReader decodes a snapshot, remembering the first problem.
type snapReader struct {
	b   []byte
	off int
	err error
}

func (r *snapReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: kv snapshot: bad %s at byte %d", chaos.ErrBadSnapshot, what, r.off)
	}
}

func (r *snapReader) uvarint(what string, limit uint64) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || v > limit {
		r.fail(what)
		return 0
	}
	r.off += n
	return int(v)
}

func (r *snapReader) str(what string) string {
	n := r.uvarint(what+" length", uint64(len(r.b)))
	if r.err != nil {
		return ""
	}
	if n > len(r.b)-r.off {
		r.fail(what)
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

// decodeSnapshot reads a snapshot made by encodeLocked.
func decodeSnapshot(b []byte) (applied int, data map[string]string, dups map[int]dup, err error) {
	if !strings.HasPrefix(string(b), snapMagic) {
		return 0, nil, nil, fmt.Errorf("%w: not a kv snapshot", chaos.ErrBadSnapshot)
	}
	r := &snapReader{b: b, off: len(snapMagic)}
	const maxInt = 1 << 62
	applied = r.uvarint("applied index", maxInt)
	n := r.uvarint("number of keys", uint64(len(b)))
	data = make(map[string]string, n)
	for range n {
		k := r.str("key")
		data[k] = r.str("value")
	}
	n = r.uvarint("number of clients", uint64(len(b)))
	dups = make(map[int]dup, n)
	for range n {
		c := r.uvarint("client", maxInt)
		seq := r.uvarint("sequence number", maxInt)
		dups[c] = dup{seq: seq, value: r.str("result")}
	}
	if r.err == nil && r.off != len(b) {
		r.fail("trailing data")
	}
	if r.err != nil {
		return 0, nil, nil, r.err
	}
	return applied, data, dups, nil
}

var (
	_ chaos.Service    = (*Store)(nil)
	_ chaos.StateSizer = (*Store)(nil)
)
