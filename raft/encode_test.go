package raft

import (
	"bytes"
	"encoding/gob"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// encodeTestCmd is a struct command, registered with gob as services register theirs.
type encodeTestCmd struct {
	Key   string
	Value int
	Tags  []string
}

// encodeUnregistered is a struct command nobody registered.
type encodeUnregistered struct{ X int }

func init() { gob.Register(encodeTestCmd{}) }

// encodeCommands are commands of every kind the encoding knows, and some gob handles.
var encodeCommands = []interface{}{
	nil,
	0, 1, -1, math.MaxInt, math.MinInt, 1 << 40,
	"", "hello", "naïve ☃", string([]byte{0, 0xff, 0x80}),
	[]byte{}, []byte{0, 1, 2, 255},
	encodeTestCmd{Key: "k", Value: 7, Tags: []string{"a", "b"}},
	encodeTestCmd{},
	true, 3.5, int64(-9), uint8(200),
}

// encodeLog returns entries holding encodeCommands, with nondecreasing terms.
func encodeLog() []Entry {
	es := make([]Entry, len(encodeCommands))
	for i, c := range encodeCommands {
		es[i] = Entry{Term: 1 + i/4, Command: c}
	}
	return es
}

func encodeState(t testing.TB, term, vote, snapIndex, snapTerm int, es []Entry) []byte {
	t.Helper()
	var enc logEncoder
	if err := enc.append(es); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return enc.state(term, vote, snapIndex, snapTerm)
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		term, vote, snapIdx, snapT int
		entries                    []Entry
	}{
		{"empty", 0, None, 0, 0, nil},
		{"vote for peer 0", 1, 0, 0, 0, nil},
		{"every command kind", 7, 3, 0, 0, encodeLog()},
		{"after a snapshot", 9, None, 1000, 8, encodeLog()},
		{"large numbers", 1 << 40, 4, 1 << 50, 1 << 39, []Entry{{Term: 1 << 40, Command: "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeState(t, tc.term, tc.vote, tc.snapIdx, tc.snapT, tc.entries)
			st, err := decodeState(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if st.term != tc.term || st.votedFor != tc.vote || st.snapIndex != tc.snapIdx || st.snapTerm != tc.snapT {
				t.Errorf("decoded term %d vote %d snapshot %d/%d, want %d %d %d/%d", st.term, st.votedFor, st.snapIndex, st.snapTerm, tc.term, tc.vote, tc.snapIdx, tc.snapT)
			}
			if len(st.entries) != len(tc.entries) {
				t.Fatalf("decoded %d entries, want %d", len(st.entries), len(tc.entries))
			}
			for i, e := range tc.entries {
				got := st.entries[i]
				if got.Term != e.Term || !reflect.DeepEqual(got.Command, e.Command) {
					t.Errorf("entry %d: %#v (term %d), want %#v (term %d)", i, got.Command, got.Term, e.Command, e.Term)
				}
			}
			// Re-encoding what was decoded gives the same bytes.
			again := newLogEncoder(st.encoded, st.offsets)
			if b2 := again.state(st.term, st.votedFor, st.snapIndex, st.snapTerm); !bytes.Equal(b, b2) {
				t.Errorf("re-encoded state differs:\n%x\n%x", b, b2)
			}
		})
	}
	// A nil []byte comes back empty but not nil: the encoding does not tell them apart.
	st, err := decodeState(encodeState(t, 1, None, 0, 0, []Entry{{Term: 1, Command: []byte(nil)}}))
	if b, ok := st.entries[0].Command.([]byte); err != nil || !ok || len(b) != 0 {
		t.Errorf("[]byte(nil) decoded as %#v (%v)", st.entries[0].Command, err)
	}
}

// The encoder keeps the encoding in step with the log through truncations and drops.
func TestEncodeTruncateAndDrop(t *testing.T) {
	es := encodeLog()
	var enc logEncoder
	if err := enc.append(es); err != nil {
		t.Fatal(err)
	}
	enc.truncate(10)
	enc.drop(3)
	if err := enc.append([]Entry{{Term: 9, Command: "new"}}); err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(enc.state(9, None, 3, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]Entry(nil), es[3:10]...), Entry{Term: 9, Command: "new"})
	if len(st.entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(st.entries), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(st.entries[i], want[i]) {
			t.Errorf("entry %d: %#v, want %#v", i, st.entries[i], want[i])
		}
	}
	enc.drop(100)
	enc.truncate(5)
	if st, err := decodeState(enc.state(9, None, 20, 9)); err != nil || len(st.entries) != 0 {
		t.Errorf("after dropping everything: %d entries, %v", len(st.entries), err)
	}
	// A state handed out is a fresh buffer that later changes leave alone.
	s1 := enc.state(1, None, 0, 0)
	keep := bytes.Clone(s1)
	enc.append(es)
	enc.truncate(1)
	enc.append([]Entry{{Term: 1, Command: "overwrite"}})
	if !bytes.Equal(s1, keep) {
		t.Errorf("a handed-out state changed")
	}
}

// A batch with an entry that cannot be encoded leaves the encoder as it was: none of the
// batch is encoded, so the encoding stays in step with the log, which appends none of it.
func TestEncodeFailedBatchLeavesNoTrace(t *testing.T) {
	var enc logEncoder
	if err := enc.append(ptLog(1, 1, 1)); err != nil {
		t.Fatal(err)
	}
	before := enc.state(1, None, 0, 0)
	err := enc.append([]Entry{{Term: 2, Command: "fine"}, {Term: 2, Command: make(chan int)}, {Term: 2, Command: "never"}})
	if err == nil {
		t.Fatal("encoding a channel succeeded")
	}
	if after := enc.state(1, None, 0, 0); !bytes.Equal(before, after) {
		st, _ := decodeState(after)
		t.Errorf("a failed batch left %d entries encoded, want 2", len(st.entries))
	}
}

// A command the encoding cannot handle is an error from Propose, not a panic, and leaves
// the log and the persisted state as they were.
func TestEncodeUnencodableProposal(t *testing.T) {
	p := newPT(t, ptConfig(0, 1), nil, nil)
	p.elect()
	p.Propose("ok")
	p.ready()
	for _, cmd := range []interface{}{encodeUnregistered{1}, make(chan int), func() {}} {
		idx, _, err := p.Propose(cmd)
		if err == nil || errors.Is(err, ErrNotLeader) || idx != -1 {
			t.Errorf("Propose(%T) = %d, %v; want -1 and an encoding error", cmd, idx, err)
		}
	}
	if s := p.Status(); s.LastIndex != 1 || s.CommitIndex != 1 {
		t.Errorf("after failed proposals: %+v, want the log and commit at 1", s)
	}
	if rd := p.ready(); !rd.IsEmpty() {
		t.Errorf("failed proposals produced %+v", rd)
	}
	if idx, _, err := p.Propose("next"); idx != 2 || err != nil {
		t.Errorf("Propose after failures = %d, %v; want 2", idx, err)
	}
}

// Every truncation of a valid state, and every other corruption, is an error wrapping
// ErrCorruptState, never a panic.
func TestEncodeCorruptState(t *testing.T) {
	good := encodeState(t, 7, 2, 5, 1, encodeLog())
	for i := 1; i < len(good); i++ {
		if _, err := decodeState(good[:i]); !errors.Is(err, ErrCorruptState) {
			t.Fatalf("state cut to %d of %d bytes: %v, want ErrCorruptState", i, len(good), err)
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"no header", []byte("XYZ")},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"huge term", append([]byte("MR1"), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)},
		{"varint overflow", append([]byte("MR1"), bytes.Repeat([]byte{0xff}, 11)...)},
		{"count past the data", append([]byte("MR1"), 1, 0, 0, 0, 100, 1, 0)},
		{"unknown tag", append([]byte("MR1"), 1, 0, 0, 0, 1, 1, 99)},
		{"string longer than the data", append([]byte("MR1"), 1, 0, 0, 0, 1, 1, tagString, 50, 'a')},
		{"bad gob", append([]byte("MR1"), 1, 0, 0, 0, 1, 1, tagGob, 3, 1, 2, 3)},
		{"bad int", append([]byte("MR1"), 1, 0, 0, 0, 1, 1, tagInt, 0x80)},
	} {
		if _, err := decodeState(tc.b); !errors.Is(err, ErrCorruptState) {
			t.Errorf("%s: %v, want ErrCorruptState", tc.name, err)
		}
	}
	// Flipping any byte to any value either decodes or fails cleanly.
	for i := range good {
		for _, v := range []byte{0, 1, 0x7f, 0x80, 0xff, good[i] ^ 0x40} {
			b := bytes.Clone(good)
			b[i] = v
			checkDecodeState(t, b)
		}
	}
}

// checkDecodeState checks what FuzzDecodeState checks: decoding b either fails with
// ErrCorruptState or gives a state that re-encodes to an equal state, and a Node started
// from it neither panics nor misbehaves for a few election timeouts.
func checkDecodeState(t *testing.T, b []byte) {
	t.Helper()
	st, err := decodeState(b)
	if err != nil {
		if !errors.Is(err, ErrCorruptState) {
			t.Fatalf("decodeState(%x): %v, want ErrCorruptState", b, err)
		}
		return
	}
	if len(st.offsets) != len(st.entries) {
		t.Fatalf("decodeState(%x): %d entries with %d offsets", b, len(st.entries), len(st.offsets))
	}
	enc := newLogEncoder(st.encoded, st.offsets)
	st2, err := decodeState(enc.state(st.term, st.votedFor, st.snapIndex, st.snapTerm))
	if err != nil || st2.term != st.term || st2.votedFor != st.votedFor || st2.snapIndex != st.snapIndex || st2.snapTerm != st.snapTerm || !simEntriesEqual(st2.entries, st.entries) {
		t.Fatalf("decodeState(%x) does not survive re-encoding: %v", b, err)
	}
	n, err := NewNode(Config{ID: 0, Peers: 5, HeartbeatTicks: 1, ElectionTicksMin: 2, ElectionTicksMax: 3}, b, nil)
	if err != nil {
		if !errors.Is(err, ErrCorruptState) {
			t.Fatalf("NewNode(%x): %v, want ErrCorruptState", b, err)
		}
		return
	}
	for range 10 {
		n.Tick()
		for _, m := range n.Ready().Messages {
			switch a := m.Args.(type) {
			case *RequestVoteArgs:
				n.StepReply(m, &RequestVoteReply{Term: n.Term(), VoteGranted: true})
			case *AppendEntriesArgs:
				n.StepReply(m, &AppendEntriesReply{Term: a.Term, ConflictTerm: None, ConflictIndex: 1})
			default:
				n.StepFailure(m)
			}
		}
	}
	n.Propose("x")
	n.Ready()
	_ = n.Status()
}

// FuzzDecodeState feeds decodeState (and a Node restored from its result) arbitrary
// bytes; its seed corpus of valid and damaged states runs with go test.
func FuzzDecodeState(f *testing.F) {
	for _, b := range fuzzDecodeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeState(t, b) })
}

func fuzzDecodeSeeds(tb testing.TB) [][]byte {
	good := encodeState(tb, 7, 2, 5, 1, encodeLog())
	return [][]byte{
		nil,
		[]byte("MR1"),
		encodeState(tb, 0, None, 0, 0, nil),
		encodeState(tb, 3, 1, 0, 0, ptLog(1, 1, 2, 3)),
		good,
		good[:len(good)/2],
		append([]byte("MR1"), 1, 0, 0, 0, 1, 1, tagGob, 3, 1, 2, 3),
		append([]byte("MR1"), 5, 0, 0, 0, 2, 9, tagInt, 2, 3, tagNil), // terms going down
		append([]byte("MR1"), 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 0, 0),
	}
}

// TestEncodeFuzzSeeds runs FuzzDecodeState's seeds under a name the Encode pattern selects.
func TestEncodeFuzzSeeds(t *testing.T) {
	for _, b := range fuzzDecodeSeeds(t) {
		checkDecodeState(t, b)
	}
}

// The chunked encoding stays equal to a fresh encoding of the same entries through any
// sequence of appends, truncations and drops, across chunk boundaries and with entries
// larger than a chunk; and every state handed out along the way keeps its bytes.
func TestEncodeChunksMatchFreshEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var enc logEncoder
	var log []Entry
	type handed struct {
		ps   *PersistentState
		want []byte
	}
	var kept []handed
	fresh := func(es []Entry) []byte {
		var f logEncoder
		if err := f.append(es); err != nil {
			t.Fatal(err)
		}
		return f.state(1, None, 0, 0)
	}
	for step := range 300 {
		switch op := r.IntN(10); {
		case op < 6:
			es := make([]Entry, 1+r.IntN(50))
			for i := range es {
				size := r.IntN(300)
				if r.IntN(1000) == 0 {
					size = maxChunk + r.IntN(1000) // larger than a chunk
				}
				es[i] = Entry{Term: 1, Command: strings.Repeat(string(rune('a'+i%26)), size)}
			}
			if err := enc.append(es); err != nil {
				t.Fatal(err)
			}
			log = append(log, es...)
		case op < 8 && len(log) > 0:
			n := r.IntN(len(log))
			enc.truncate(n)
			log = slices.Clone(log[:n])
		case len(log) > 0:
			n := r.IntN(len(log) + 1)
			enc.drop(n)
			log = slices.Clone(log[n:])
		}
		ps := enc.persistent(1, None, 0, 0)
		got := ps.Bytes()
		if want := fresh(log); !bytes.Equal(got, want) {
			t.Fatalf("step %d: the chunked encoding of %d entries differs from a fresh one (%d vs %d bytes)", step, len(log), len(got), len(want))
		}
		if ps.Size() != len(got) {
			t.Fatalf("step %d: Size %d, want %d", step, ps.Size(), len(got))
		}
		if step%10 == 0 {
			kept = append(kept, handed{ps, got})
		}
	}
	for i, h := range kept {
		if !bytes.Equal(h.ps.Bytes(), h.want) {
			t.Errorf("state %d handed out earlier changed", i)
		}
	}
}
