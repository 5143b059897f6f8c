package raft

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
)

// The persisted Raft state is a header followed by the log entries after the snapshot:
//
//	"MR1" term votedFor+1 snapIndex snapTerm count   (uvarints)
//	count times: term (uvarint), tag (byte), payload
//
// Commands of the common types (nil, int, string, []byte) are written directly; anything
// else is a self-contained gob stream of the interface value (so, as with labrpc, a
// struct command must be registered with gob.Register). Each entry is encoded once, when
// it is appended, and kept, so persisting costs a copy rather than a re-encoding of the
// whole log.

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

// logEncoder keeps the encoding of the log's entries in step with the log.
// Not safe for concurrent use.
type logEncoder struct {
	buf     []byte
	offsets []int // offsets[i] is where the i-th entry after the snapshot starts
}

// append encodes es after the entries already encoded: all of them, or on an error none.
func (e *logEncoder) append(es []Entry) error {
	n, size := len(e.offsets), len(e.buf)
	for _, ent := range es {
		e.offsets = append(e.offsets, len(e.buf))
		e.buf = binary.AppendUvarint(e.buf, uint64(ent.Term))
		var err error
		if e.buf, err = encodeCommand(e.buf, ent.Command); err != nil {
			e.buf, e.offsets = e.buf[:size], e.offsets[:n]
			return err
		}
	}
	return nil
}

// truncate keeps the first n entries.
func (e *logEncoder) truncate(n int) {
	if n >= len(e.offsets) {
		return
	}
	e.buf = e.buf[:e.offsets[n]]
	e.offsets = e.offsets[:n]
}

// drop removes the first n entries.
func (e *logEncoder) drop(n int) {
	if n <= 0 {
		return
	}
	if n >= len(e.offsets) {
		e.buf, e.offsets = e.buf[:0], e.offsets[:0]
		return
	}
	base := e.offsets[n]
	e.buf = append([]byte(nil), e.buf[base:]...)
	offs := make([]int, len(e.offsets)-n)
	for i := range offs {
		offs[i] = e.offsets[n+i] - base
	}
	e.offsets = offs
}

// state returns a fresh buffer holding the whole persisted state.
func (e *logEncoder) state(term, votedFor, snapIndex, snapTerm int) []byte {
	b := make([]byte, 0, len(stateMagic)+5*binary.MaxVarintLen64+len(e.buf))
	b = append(b, stateMagic...)
	b = binary.AppendUvarint(b, uint64(term))
	b = binary.AppendUvarint(b, uint64(votedFor+1))
	b = binary.AppendUvarint(b, uint64(snapIndex))
	b = binary.AppendUvarint(b, uint64(snapTerm))
	b = binary.AppendUvarint(b, uint64(len(e.offsets)))
	return append(b, e.buf...)
}
