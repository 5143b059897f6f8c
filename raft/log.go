package raft

import (
	"slices"

	"github.com/miniraft/miniraft/internal/bugs"
)

// raftLog is the part of the log after the snapshot, with the snapshot's index and term.
//
// Entries handed out by slice are shared, not copied, with messages and events, so the log
// keeps one rule: an element of a backing array, once written, is never written again.
// Appends write only past the end of every slice handed out (slices are handed out with
// their capacity capped), and truncation and compaction move to a new array.
//
// It also keeps the terms of its entries as runs, so status and fast backup need not scan.
// Not safe for concurrent use.
type raftLog struct {
	snapIndex int
	snapTerm  int
	entries   []Entry   // entries[i] has index snapIndex+1+i
	runs      []TermRun // runs of equal terms over entries, in index order
}

func (l *raftLog) firstIndex() int { return l.snapIndex + 1 }
func (l *raftLog) lastIndex() int  { return l.snapIndex + len(l.entries) }

func (l *raftLog) lastTerm() int {
	if len(l.entries) == 0 {
		return l.snapTerm
	}
	return l.entries[len(l.entries)-1].Term
}

// term returns the term of the entry at i, and false when i is outside
// snapIndex..lastIndex (the snapshot's own index has the snapshot's term).
func (l *raftLog) term(i int) (int, bool) {
	switch {
	case i == l.snapIndex:
		return l.snapTerm, true
	case i < l.snapIndex || i > l.lastIndex():
		return 0, false
	}
	return l.entries[i-l.snapIndex-1].Term, true
}

// slice returns entries lo..hi-1 (lo > snapIndex, hi <= lastIndex+1), shared and with its
// capacity capped so no one can append into the log's array through it.
func (l *raftLog) slice(lo, hi int) []Entry {
	a, b := lo-l.snapIndex-1, hi-l.snapIndex-1
	return l.entries[a:b:b]
}

func (l *raftLog) append(es ...Entry) {
	if n := len(l.entries) + len(es); n > cap(l.entries) {
		// Grow by doubling, not by append's quarter for large slices: a long log is
		// copied less often, so an append costs about the same at any length.
		l.entries = slices.Grow(l.entries, max(n, 2*cap(l.entries))-len(l.entries))
	}
	for _, e := range es {
		if len(l.runs) == 0 || l.runs[len(l.runs)-1].Term != e.Term {
			l.runs = append(l.runs, TermRun{Index: l.lastIndex() + 1, Term: e.Term})
		}
		l.entries = append(l.entries, e)
	}
}

// truncateFrom removes entries i..lastIndex (i > snapIndex).
func (l *raftLog) truncateFrom(i int) {
	keep := i - l.snapIndex - 1
	fresh := make([]Entry, keep, max(2*keep, 16))
	copy(fresh, l.entries[:keep])
	l.entries = fresh
	r := len(l.runs)
	for r > 0 && l.runs[r-1].Index >= i {
		r--
	}
	l.runs = append([]TermRun(nil), l.runs[:r]...)
}

// compact drops everything through index, which becomes the snapshot index with the given
// term. Entries after index are kept if the log holds index with that term; otherwise
// the whole log is discarded.
func (l *raftLog) compact(index, term int) {
	var rest []Entry
	if t, ok := l.term(index); ok && t == term && index <= l.lastIndex() {
		rest = l.entries[index-l.snapIndex:]
	}
	fresh := make([]Entry, len(rest), max(2*len(rest), 16))
	copy(fresh, rest)
	l.snapIndex, l.snapTerm, l.entries = index, term, fresh
	var runs []TermRun
	for k, r := range l.runs {
		if len(fresh) == 0 {
			break
		}
		end := l.lastIndex() + 1 // an exclusive bound on this run
		if k+1 < len(l.runs) {
			end = l.runs[k+1].Index
		}
		if end <= index+1 {
			continue
		}
		if r.Index <= index {
			r.Index = index + 1
		}
		runs = append(runs, r)
	}
	l.runs = runs
}

// firstIndexOfTerm returns the first index in the log (after the snapshot) whose entry
// has the term of the entry at i, which must be in the log.
func (l *raftLog) firstIndexOfTerm(i int) int {
	first := l.firstIndex()
	for k := len(l.runs) - 1; k >= 0; k-- {
		if l.runs[k].Index <= i {
			return max(l.runs[k].Index, first)
		}
	}
	return first
}

// lastIndexOfTerm returns the last index holding term t, or 0 if the log has none.
func (l *raftLog) lastIndexOfTerm(t int) int {
	for k := len(l.runs) - 1; k >= 0; k-- {
		if l.runs[k].Term == t {
			if k+1 < len(l.runs) {
				return l.runs[k+1].Index - 1
			}
			return l.lastIndex()
		}
		if l.runs[k].Term < t {
			break
		}
	}
	if t == l.snapTerm && l.snapIndex > 0 && (len(l.runs) == 0 || l.runs[0].Term != t) {
		return l.snapIndex
	}
	return 0
}

// isUpToDate reports whether a log ending at (index, term) is at least as up to date as
// this one (section 5.4.1).
func (l *raftLog) isUpToDate(index, term int) bool {
	if bugs.On(bugs.UpToDateByLength) {
		return index >= l.lastIndex() // the bug: the longer log wins, whatever its terms
	}
	lt := l.lastTerm()
	return term > lt || (term == lt && index >= l.lastIndex())
}

// termRuns returns a copy of the runs.
func (l *raftLog) termRuns() []TermRun {
	return append([]TermRun(nil), l.runs...)
}
