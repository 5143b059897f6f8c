package check

import (
	"fmt"
	"reflect"
	"time"

	"github.com/miniraft/miniraft/raft"
)

// unknown is the term of an entry the Suite has not seen (real terms are >= 0; index 0
// has term 0).
const unknown = -1

// maxGap bounds how far past its end a window grows to hold one index. In a stream seen
// from the start, indexes only ever continue a log, so a jump larger than this comes from
// a malformed stream or a Suite attached late; it starts the window afresh rather than
// allocating for the gap.
const maxGap = 1 << 12

// window holds one value per index for the consecutive indexes base..end()-1. Not safe
// for concurrent use.
type window[T any] struct {
	base int
	s    []T
}

func (w *window[T]) end() int { return w.base + len(w.s) }

// get returns the value at index i, or nil when the window does not hold i.
func (w *window[T]) get(i int) *T {
	if i < w.base || i >= w.end() {
		return nil
	}
	return &w.s[i-w.base]
}

// at returns the value at index i, growing the window with zero values to hold it, or
// nil when i is below base (dropped).
func (w *window[T]) at(i int) *T {
	if i < w.base {
		return nil
	}
	if i-w.end() >= maxGap {
		w.s, w.base = nil, i
	}
	if i >= w.end() {
		w.s = append(w.s, make([]T, i-w.end()+1)...)
	}
	return &w.s[i-w.base]
}

// push appends v at index end().
func (w *window[T]) push(v T) { w.s = append(w.s, v) }

// cut removes the values at indexes >= i.
func (w *window[T]) cut(i int) {
	k := max(i-w.base, 0)
	if k >= len(w.s) {
		return
	}
	clear(w.s[k:]) // release what the values point to
	w.s = w.s[:k]
}

// dropBelow removes the values at indexes < i; base becomes at least i.
func (w *window[T]) dropBelow(i int) {
	k := i - w.base
	switch {
	case k <= 0:
		return
	case k >= len(w.s):
		w.s, w.base = nil, i
	default:
		clear(w.s[:k]) // release what the values point to; append reallocates later
		w.s, w.base = w.s[k:], i
	}
}

// reset empties the window; its next index is base.
func (w *window[T]) reset(base int) { w.s, w.base = nil, base }

// record is an entry (index, term) as first seen in any log: the command, and the term
// of the entry before it in that log. Raft creates each (index, term) once, so every log
// that holds it must agree with this record.
type record struct {
	term     int
	prevTerm int // unknown when the log that first held it did not show its predecessor
	peer     int
	cmd      interface{}
	seq      uint64
	at       time.Duration
}

// commitMark is what is known of the committed entry at an index.
type commitMark struct {
	term int // the committed entry's term; 0 when nothing is known committed here
	// inTerm is the lowest term of a peer seen committing the index: the entry was
	// committed in a term no later than this, so every leader of a later term must hold it.
	inTerm int
	peer   int // the peer first seen committing it
	seq    uint64
	at     time.Duration
}

// applyMark is the first thing applied at an index: a command, or the last entry of a
// snapshot (whose command is not known).
type applyMark struct {
	term   int // 0: nothing applied here yet
	hasCmd bool
	cmd    interface{}
	peer   int
	seq    uint64
	at     time.Duration
	how    string // "applied", "installed a snapshot through", ...
}

// deliverMark is the first thing any peer's service received at an index: a command (of
// term 0 when its peer does not report terms) or the last entry of a snapshot.
type deliverMark struct {
	set    bool
	hasCmd bool
	term   int // 0: not known
	cmd    interface{}
	peer   int
	seq    uint64
	at     time.Duration
}

// slot is everything the Suite keeps about one log index across the cluster (but what
// services received: see Suite.delivered).
type slot struct {
	hasRec bool
	rec    record   // the first entry seen at this index, if hasRec
	more   []record // entries of other terms seen at this index (rare: conflicts)
	commit commitMark
	apply  applyMark
}

// find returns the record of the entry of term t at this index, or nil.
func (s *slot) find(t int) *record {
	if s.hasRec && s.rec.term == t {
		return &s.rec
	}
	for k := range s.more {
		if s.more[k].term == t {
			return &s.more[k]
		}
	}
	return nil
}

// add records r, the first entry of its term seen here.
func (s *slot) add(r record) {
	if !s.hasRec {
		s.rec, s.hasRec = r, true
		return
	}
	s.more = append(s.more, r)
}

// peerModel is what the Suite knows of one peer, from its events.
type peerModel struct {
	role raft.Role
	term int
	// termKnown is false until the Suite has seen the peer's term (when attached to a
	// running cluster), so that no decrease is reported against a guess.
	termKnown bool

	// The log: logKnown says whether the Suite knows where the log ends. When it does,
	// terms holds the terms of entries first..last (first = terms.base), and prev is the
	// term at first-1 (the snapshot's term, or unknown). Entries below first are in the
	// snapshot or were never seen.
	logKnown bool
	terms    window[int]
	prev     int

	snapIndex, snapTerm int

	// commit and applied are commitIndex and lastApplied in this life, when known.
	commit, applied           int
	commitKnown, appliedKnown bool

	// pending is a commit this follower reported whose entries' terms are read from its
	// log at its next event: when that event is the snapshot install that caused the
	// commit (the Node reports the commit first), the log to read is the installed one.
	pending pendingCommit // none when hi is 0

	seen bool // some event of the peer was observed
	// roleKnown says the Suite knows the peer's role: from Options.Initial or from one of
	// its raft events. A peer whose core reports nothing could be leading unseen.
	roleKnown bool
	// coreLog says the peer's core reports its log (boot, append, commit, apply or
	// snapshot events), as raft.Node does; a peer seen only through its deliveries and
	// sampled state does not.
	coreLog bool
	// changes counts the changes of the peer's role or term, so that a check can tell
	// whether anything happened to it between two moments.
	changes uint64
}

// pendingCommit is an EventCommit waiting to be recorded (see peerModel.pending).
type pendingCommit struct {
	lo, hi int
	term   int // the peer's term when it committed
	seq    uint64
	at     time.Duration
}

func (p *peerModel) first() int { return p.terms.base }
func (p *peerModel) last() int  { return p.terms.end() - 1 }

// termAt returns the term of the peer's entry at index i, or unknown.
func (p *peerModel) termAt(i int) int {
	if !p.logKnown {
		return unknown
	}
	if i == p.first()-1 {
		return p.prev
	}
	if t := p.terms.get(i); t != nil {
		return *t
	}
	return unknown
}

// resync makes the log model say: the log ends at last, and nothing of it is known
// (beyond the term prev of the entry at last).
func (p *peerModel) resync(last, prev int) {
	p.logKnown = true
	p.terms.reset(last + 1)
	p.prev = prev
}

// compact moves the log's start past index, whose term is term, as raft.Node does: the
// entries after index are kept if the log holds index with that term, else all are
// dropped. own says the peer's service took the snapshot (from the peer's own log, so
// the entries are always kept) rather than installing one from a leader.
func (p *peerModel) compact(index, term int, own bool) {
	p.snapIndex, p.snapTerm = index, term
	if !p.logKnown {
		return
	}
	switch t := p.termAt(index); {
	case index > p.last() || (t != unknown && t != term):
		p.resync(index, term) // the Node discards its whole log
	case t == term || own:
		if index >= p.first()-1 { // else the snapshot ends in the part not seen
			p.terms.dropBelow(index + 1)
			p.prev = term
		}
	default:
		p.logKnown = false // whether the Node kept its entries depends on a term not seen
	}
}

// reboot adjusts the log model for a boot from persisted state: a snapshot through snap
// (term snapTerm) and a log ending at last. The persisted log is the one the events
// described, cut to last, unless the events did not show it all.
func (p *peerModel) reboot(snap, snapTerm, last int) {
	p.snapIndex, p.snapTerm = snap, snapTerm
	if !p.logKnown || last > p.last() || last < p.first()-1 {
		prev := unknown
		if last == snap {
			prev = snapTerm
		}
		p.resync(last, prev)
		return
	}
	p.terms.cut(last + 1)
	if snap >= p.first()-1 {
		p.terms.dropBelow(snap + 1)
		p.prev = snapTerm
	}
}

// sameCommand reports whether two commands are the same, without panicking on
// uncomparable ones.
func sameCommand(a, b interface{}) bool {
	switch x := a.(type) {
	case int:
		y, ok := b.(int)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	}
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) {
		return false
	}
	if ta.Comparable() {
		if same, ok := tryEqual(a, b); ok {
			return same
		}
	}
	return reflect.DeepEqual(a, b)
}

// tryEqual compares a and b with ==, reporting ok false if that panics (a comparable
// type holding an uncomparable value in an interface field).
func tryEqual(a, b interface{}) (same, ok bool) {
	defer func() {
		if recover() != nil {
			same, ok = false, false
		}
	}()
	return a == b, true
}

// describe renders a command for a message, shortened.
func describe(cmd interface{}) string {
	var s string
	if str, ok := cmd.(string); ok {
		s = fmt.Sprintf("%q", str)
	} else {
		s = fmt.Sprintf("%v", cmd)
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return s
}

// when renders an event's place in the stream for a message.
func when(seq uint64, at time.Duration) string {
	return fmt.Sprintf("#%d at %.3fs", seq, at.Seconds())
}
