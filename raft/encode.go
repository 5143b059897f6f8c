package raft

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
)

// The persisted Raft state is a header followed by the log entries after the snapshot:
//
//	"MR1" term votedFor+1 snapIndex snapTerm count   (uvarints)
//	count times: term (uvarint), tag (byte), payload
//
// Commands of the common types (nil, int, string, []byte) are written directly; anything
// else is a self-contained gob stream of the interface value (so, as with labrpc, a
// struct command must be registered with gob.Register). Each entry is encoded once, when
// it is appended, into a buffer that is extended and never rewritten (a truncation caps
// it, so the next append moves to a new array), so a save shares the encoded log with
// the Node instead of re-encoding or copying it: see PersistentState.

const stateMagic = "MR1"

const (
	tagNil byte = iota
	tagInt
	tagString
	tagBytes
	tagGob
)

// ErrCorruptState is wrapped by errors decoding a persisted state.
var ErrCorruptState = errors.New("corrupt raft state")

// encodeCommand appends the encoding of cmd to b.
func encodeCommand(b []byte, cmd interface{}) ([]byte, error) {
	switch c := cmd.(type) {
	case nil:
		return append(b, tagNil), nil
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(c)), nil
	case string:
		b = binary.AppendUvarint(append(b, tagString), uint64(len(c)))
		return append(b, c...), nil
	case []byte:
		b = binary.AppendUvarint(append(b, tagBytes), uint64(len(c)))
		return append(b, c...), nil
	}
	return encodeGob(b, cmd)
}

// sizeHint guesses the size of cmd's encoding.
func sizeHint(cmd interface{}) int {
	switch c := cmd.(type) {
	case string:
		return len(c)
	case []byte:
		return len(c)
	}
	return 64
}

// encodeGob appends cmd as a self-contained gob stream. It is apart from encodeCommand
// so that only commands of other types escape to the heap.
func encodeGob(b []byte, cmd interface{}) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&cmd); err != nil {
		return b, fmt.Errorf("encode command of type %T: %w", cmd, err)
	}
	b = binary.AppendUvarint(append(b, tagGob), uint64(buf.Len()))
	return append(b, buf.Bytes()...), nil
}

// stateDecoder reads a persisted state.
type stateDecoder struct {
	b   []byte
	err error
}

func (d *stateDecoder) fail(format string, args ...interface{}) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]interface{}{ErrCorruptState}, args...)...)
	}
}

func (d *stateDecoder) uvarint(what string) int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > 1<<62 {
		d.fail("bad %s", what)
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *stateDecoder) bytes(what string) []byte {
	n := d.uvarint(what + " length")
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.fail("%s of %d bytes overruns the state", what, n)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *stateDecoder) command() interface{} {
	if d.err != nil {
		return nil
	}
	if len(d.b) == 0 {
		d.fail("missing command")
		return nil
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNil:
		return nil
	case tagInt:
		v, n := binary.Varint(d.b)
		if n <= 0 {
			d.fail("bad int command")
			return nil
		}
		d.b = d.b[n:]
		return int(v)
	case tagString:
		return string(d.bytes("string command"))
	case tagBytes:
		return bytes.Clone(d.bytes("[]byte command"))
	case tagGob:
		p := d.bytes("gob command")
		if d.err != nil {
			return nil
		}
		var v interface{}
		if err := gob.NewDecoder(bytes.NewReader(p)).Decode(&v); err != nil {
			d.fail("gob command: %v", err)
			return nil
		}
		return v
	}
	d.fail("unknown command tag %d", tag)
	return nil
}

// persistentState is what Figure 2 says to persist, plus the snapshot's index and term.
type persistentState struct {
	term, votedFor      int
	snapIndex, snapTerm int
	entries             []Entry
	encoded             []byte // the encoding of entries, as appended
	offsets             []int  // offsets[i] is where entries[i] starts in encoded
}

func decodeState(b []byte) (persistentState, error) {
	var st persistentState
	if len(b) == 0 {
		st.votedFor = None
		return st, nil
	}
	if !bytes.HasPrefix(b, []byte(stateMagic)) {
		return st, fmt.Errorf("%w: no %q header", ErrCorruptState, stateMagic)
	}
	d := &stateDecoder{b: b[len(stateMagic):]}
	st.term = d.uvarint("term")
	st.votedFor = d.uvarint("votedFor") - 1
	st.snapIndex = d.uvarint("snapshot index")
	st.snapTerm = d.uvarint("snapshot term")
	count := d.uvarint("entry count")
	if d.err != nil {
		return st, d.err
	}
	if count > len(d.b) {
		return st, fmt.Errorf("%w: %d entries in %d bytes", ErrCorruptState, count, len(d.b))
	}
	body := d.b
	st.entries = make([]Entry, 0, count)
	st.offsets = make([]int, 0, count)
	for i := 0; i < count && d.err == nil; i++ {
		st.offsets = append(st.offsets, len(body)-len(d.b))
		t := d.uvarint("entry term")
		st.entries = append(st.entries, Entry{Term: t, Command: d.command()})
	}
	if d.err != nil {
		return st, d.err
	}
	if len(d.b) != 0 {
		return st, fmt.Errorf("%w: %d trailing bytes", ErrCorruptState, len(d.b))
	}
	st.encoded = append([]byte(nil), body...)
	return st, nil
}

// Chunk sizes of the encoded log: a chunk is filled and then left as it is, never grown
// by copying, so appending to a long log moves no old bytes (and a garbage collector
// never waits on a copy of a whole log). The first chunk is small; each new one is twice
// the last, up to maxChunk.
const (
	minChunk = 256
	maxChunk = 1 << 20
)

// logEncoder keeps the encoding of the log's entries in step with the log, in chunks.
// Bytes handed out (see persistent) are never written again: chunks in full are never
// changed once there, and the tail is only appended to past what was handed out (a
// truncation caps it, so the next append starts a new chunk). Not safe for concurrent
// use.
type logEncoder struct {
	full    [][]byte // complete chunks, in order; an element is never changed once set
	tail    []byte   // the chunk being filled
	size    int      // the encoding's length: len of every chunk in full, plus len(tail)
	offsets []int    // offsets[i] is where the i-th entry after the snapshot starts
}

// newLogEncoder returns an encoder holding encoded, whose entries start at offsets.
func newLogEncoder(encoded []byte, offsets []int) logEncoder {
	return logEncoder{tail: encoded[:len(encoded):len(encoded)], size: len(encoded), offsets: offsets}
}

// reserve makes room for need more bytes in the tail, starting a new chunk if it has
// too little.
func (e *logEncoder) reserve(need int) {
	if cap(e.tail)-len(e.tail) >= need {
		return
	}
	next := minChunk
	if len(e.tail) > 0 {
		e.full = append(e.full, e.tail[:len(e.tail):len(e.tail)])
		next = min(2*cap(e.tail), maxChunk)
	}
	e.tail = make([]byte, 0, max(next, need))
}

// append encodes es after the entries already encoded: all of them, or on an error none.
func (e *logEncoder) append(es []Entry) error {
	n, size, nfull, tail := len(e.offsets), e.size, len(e.full), e.tail
	if cap(e.offsets)-n < len(es) {
		e.offsets = slices.Grow(e.offsets, max(len(es), cap(e.offsets)))
	}
	for _, ent := range es {
		e.reserve(2*binary.MaxVarintLen64 + sizeHint(ent.Command))
		e.offsets = append(e.offsets, e.size)
		before := len(e.tail)
		e.tail = binary.AppendUvarint(e.tail, uint64(ent.Term))
		var err error
		if e.tail, err = encodeCommand(e.tail, ent.Command); err != nil {
			// Only bytes past what was ever handed out were written.
			e.offsets, e.size, e.full, e.tail = e.offsets[:n], size, e.full[:nfull], tail
			return err
		}
		e.size += len(e.tail) - before
	}
	return nil
}

// appendEncoded appends an entry of term whose command encodeProposal encoded.
func (e *logEncoder) appendEncoded(term int, cmd []byte) {
	e.reserve(binary.MaxVarintLen64 + len(cmd))
	e.offsets = append(e.offsets, e.size)
	before := len(e.tail)
	e.tail = binary.AppendUvarint(e.tail, uint64(term))
	e.tail = append(e.tail, cmd...)
	e.size += len(e.tail) - before
}

// encodeProposal encodes cmd as the log will hold it, for a caller that wants the work,
// and any error, outside the Node: nil for the types the Node encodes at no cost (nil,
// int, string, []byte), else the encoding.
func encodeProposal(cmd interface{}) ([]byte, error) {
	switch cmd.(type) {
	case nil, int, string, []byte:
		return nil, nil
	}
	return encodeGob(nil, cmd)
}

// truncate keeps the first n entries. The kept bytes stay where they are; the chunk the
// cut falls in becomes the tail with its capacity capped, so the next append starts a
// new chunk rather than writing over bytes a PersistentState may hold.
func (e *logEncoder) truncate(n int) {
	if n >= len(e.offsets) {
		return
	}
	off := e.offsets[n]
	e.offsets, e.size = e.offsets[:n], off
	start := 0
	for k, ch := range e.full {
		if off < start+len(ch) {
			keep := off - start
			// A new list: the old one's elements may be shared with handed-out states.
			e.full = append([][]byte(nil), e.full[:k]...)
			e.tail = ch[:keep:keep]
			return
		}
		start += len(ch)
	}
	keep := off - start
	e.tail = e.tail[:keep:keep]
}

// drop removes the first n entries. It moves no encoded bytes: chunks before the cut
// are let go, and the one it falls in is sliced.
func (e *logEncoder) drop(n int) {
	if n <= 0 {
		return
	}
	if n >= len(e.offsets) {
		e.full, e.tail, e.size, e.offsets = nil, nil, 0, e.offsets[:0]
		return
	}
	base := e.offsets[n]
	start, k := 0, 0
	for k < len(e.full) && start+len(e.full[k]) <= base {
		start += len(e.full[k])
		k++
	}
	if k < len(e.full) {
		full := make([][]byte, 0, len(e.full)-k+1)
		full = append(full, e.full[k][base-start:])
		e.full = append(full, e.full[k+1:]...)
	} else {
		e.full, e.tail = nil, e.tail[base-start:]
	}
	offs := make([]int, len(e.offsets)-n)
	for i := range offs {
		offs[i] = e.offsets[n+i] - base
	}
	e.offsets, e.size = offs, e.size-base
}

// persistent returns the persistent state with the log as encoded now, sharing the
// encoded entries (which are never written again) rather than copying them.
func (e *logEncoder) persistent(term, votedFor, snapIndex, snapTerm int) *PersistentState {
	ps := &PersistentState{
		term: term, votedFor: votedFor, snapIndex: snapIndex, snapTerm: snapTerm,
		count: len(e.offsets),
		full:  e.full[:len(e.full):len(e.full)],
		tail:  e.tail[:len(e.tail):len(e.tail)],
	}
	ps.size = ps.headerSize() + e.size
	return ps
}

// state returns a fresh buffer holding the whole persisted state.
func (e *logEncoder) state(term, votedFor, snapIndex, snapTerm int) []byte {
	return e.persistent(term, votedFor, snapIndex, snapTerm).Bytes()
}

// PersistentState is the state a Node asks its caller to save (see Ready): Figure 2's
// currentTerm, votedFor and log, with the snapshot's index and term. Saving it costs
// O(1) whatever the log's length: it shares the Node's encoding of the log, which the
// Node extends but never rewrites (each entry is encoded once, when it is appended), so
// a PersistentState is read-only and may be kept as it is. Bytes gives the whole encoding,
// the form the course's Persister API reads and writes and NewNode restores from; it
// costs O(log). A PersistentState is safe for concurrent use; a nil one is empty.
type PersistentState struct {
	term, votedFor      int
	snapIndex, snapTerm int
	count               int      // entries encoded in full and tail
	full                [][]byte // the entries after the snapshot, encoded, in chunks,
	tail                []byte   // then the last chunk; shared with the Node, read-only
	size                int      // len(Bytes())
}

func (ps *PersistentState) headerSize() int {
	n := len(stateMagic)
	for _, v := range [...]int{ps.term, ps.votedFor + 1, ps.snapIndex, ps.snapTerm, ps.count} {
		n += uvarintLen(uint64(v))
	}
	return n
}

// uvarintLen returns the length of the uvarint encoding of v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// Size returns the length of the whole encoding, len(ps.Bytes()), in O(1).
func (ps *PersistentState) Size() int {
	if ps == nil {
		return 0
	}
	return ps.size
}

// Bytes returns the whole encoded state in a fresh buffer: what NewNode restores from and
// Persister.ReadRaftState returns after the state is saved. A nil state gives nil.
func (ps *PersistentState) Bytes() []byte {
	if ps == nil {
		return nil
	}
	b := make([]byte, 0, ps.size)
	b = append(b, stateMagic...)
	b = binary.AppendUvarint(b, uint64(ps.term))
	b = binary.AppendUvarint(b, uint64(ps.votedFor+1))
	b = binary.AppendUvarint(b, uint64(ps.snapIndex))
	b = binary.AppendUvarint(b, uint64(ps.snapTerm))
	b = binary.AppendUvarint(b, uint64(ps.count))
	for _, ch := range ps.full {
		b = append(b, ch...)
	}
	return append(b, ps.tail...)
}
