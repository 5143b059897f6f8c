package raft

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// logOf returns a raftLog after a snapshot at snapIndex (term snapTerm) holding entries of
// the given terms.
func logOf(snapIndex, snapTerm int, terms ...int) *raftLog {
	l := &raftLog{snapIndex: snapIndex, snapTerm: snapTerm}
	l.append(ptLog(snapIndex+1, terms...)...)
	return l
}

func TestLogIndexesAndTerms(t *testing.T) {
	l := logOf(3, 2, 2, 3, 3)
	if l.firstIndex() != 4 || l.lastIndex() != 6 || l.lastTerm() != 3 {
		t.Errorf("first %d last %d last term %d, want 4, 6, 3", l.firstIndex(), l.lastIndex(), l.lastTerm())
	}
	for _, tc := range []struct {
		i, term int
		ok      bool
	}{{2, 0, false}, {3, 2, true}, {4, 2, true}, {5, 3, true}, {6, 3, true}, {7, 0, false}, {-1, 0, false}} {
		if term, ok := l.term(tc.i); term != tc.term || ok != tc.ok {
			t.Errorf("term(%d) = %d, %v; want %d, %v", tc.i, term, ok, tc.term, tc.ok)
		}
	}
	empty := logOf(5, 4)
	if empty.lastIndex() != 5 || empty.lastTerm() != 4 || empty.firstIndex() != 6 {
		t.Errorf("log of just a snapshot: last %d/%d first %d, want 5/4 first 6", empty.lastIndex(), empty.lastTerm(), empty.firstIndex())
	}
	if zero := (raftLog{}); zero.lastIndex() != 0 || zero.lastTerm() != 0 {
		t.Errorf("zero log: last %d/%d, want 0/0", zero.lastIndex(), zero.lastTerm())
	}
}

func TestLogTermRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    *raftLog
		want []TermRun
	}{
		{"empty", logOf(0, 0), nil},
		{"one run", logOf(0, 0, 1, 1, 1), []TermRun{{Index: 1, Term: 1}}},
		{"several", logOf(0, 0, 1, 1, 3, 4, 4), []TermRun{{Index: 1, Term: 1}, {Index: 3, Term: 3}, {Index: 4, Term: 4}}},
		{"after a snapshot", logOf(10, 2, 2, 5), []TermRun{{Index: 11, Term: 2}, {Index: 12, Term: 5}}},
	} {
		if got := tc.l.termRuns(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: runs %v, want %v", tc.name, got, tc.want)
		}
	}
	l := logOf(0, 0, 1, 2)
	r := l.termRuns()
	r[0].Term = 9
	if l.termRuns()[0].Term != 1 {
		t.Errorf("termRuns shares its result with the log")
	}
}

func TestLogTruncate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		l     *raftLog
		from  int
		terms []int
		runs  []TermRun
	}{
		{"whole log", logOf(0, 0, 1, 1, 2), 1, nil, nil},
		{"within a run", logOf(0, 0, 1, 1, 2, 2), 4, []int{1, 1, 2}, []TermRun{{Index: 1, Term: 1}, {Index: 3, Term: 2}}},
		{"at a run boundary", logOf(0, 0, 1, 1, 2, 2), 3, []int{1, 1}, []TermRun{{Index: 1, Term: 1}}},
		{"last entry", logOf(0, 0, 1, 2, 3), 3, []int{1, 2}, []TermRun{{Index: 1, Term: 1}, {Index: 2, Term: 2}}},
		{"after a snapshot", logOf(5, 1, 1, 2, 3), 7, []int{1}, []TermRun{{Index: 6, Term: 1}}},
	} {
		tc.l.truncateFrom(tc.from)
		var got []int
		for _, e := range tc.l.entries {
			got = append(got, e.Term)
		}
		if !slices.Equal(got, tc.terms) || !slices.Equal(tc.l.runs, tc.runs) {
			t.Errorf("%s: log %v runs %v, want %v and %v", tc.name, got, tc.l.runs, tc.terms, tc.runs)
		}
	}
}

func TestLogCompact(t *testing.T) {
	for _, tc := range []struct {
		name        string
		index, term int
		terms       []int
		runs        []TermRun
	}{
		{"keeps the suffix", 3, 2, []int{2, 3}, []TermRun{{Index: 4, Term: 2}, {Index: 5, Term: 3}}},
		{"at a run boundary", 2, 1, []int{2, 2, 3}, []TermRun{{Index: 3, Term: 2}, {Index: 5, Term: 3}}},
		{"everything", 5, 3, nil, nil},
		{"term mismatch discards", 3, 3, nil, nil},
		{"past the end discards", 8, 3, nil, nil},
		{"at the old snapshot", 0, 0, []int{1, 1, 2, 2, 3}, []TermRun{{Index: 1, Term: 1}, {Index: 3, Term: 2}, {Index: 5, Term: 3}}},
	} {
		l := logOf(0, 0, 1, 1, 2, 2, 3)
		l.compact(tc.index, tc.term)
		var got []int
		for _, e := range l.entries {
			got = append(got, e.Term)
		}
		if !slices.Equal(got, tc.terms) || !slices.Equal(l.runs, tc.runs) || l.snapIndex != tc.index || l.snapTerm != tc.term {
			t.Errorf("%s: snapshot %d/%d log %v runs %v, want %d/%d %v %v", tc.name, l.snapIndex, l.snapTerm, got, l.runs, tc.index, tc.term, tc.terms, tc.runs)
		}
		for i, e := range l.entries {
			if want := ptCmd(e.Term, tc.index+1+i); e.Command != want {
				t.Errorf("%s: entry %d holds %v, want %v", tc.name, tc.index+1+i, e.Command, want)
			}
		}
	}
}

func TestLogIndexOfTerm(t *testing.T) {
	// Snapshot through 3 (term 2); then 4:2 5:2 6:4 7:4 8:5.
	l := logOf(3, 2, 2, 2, 4, 4, 5)
	for _, tc := range []struct{ i, want int }{{4, 4}, {5, 4}, {6, 6}, {7, 6}, {8, 8}} {
		if got := l.firstIndexOfTerm(tc.i); got != tc.want {
			t.Errorf("firstIndexOfTerm(%d) = %d, want %d", tc.i, got, tc.want)
		}
	}
	for _, tc := range []struct{ term, want int }{{1, 0}, {2, 5}, {3, 0}, {4, 7}, {5, 8}, {6, 0}} {
		if got := l.lastIndexOfTerm(tc.term); got != tc.want {
			t.Errorf("lastIndexOfTerm(%d) = %d, want %d", tc.term, got, tc.want)
		}
	}
	s := logOf(3, 2, 4)
	for _, tc := range []struct{ term, want int }{{2, 3}, {1, 0}, {4, 4}, {3, 0}} {
		if got := s.lastIndexOfTerm(tc.term); got != tc.want {
			t.Errorf("snapshot 3/2 then [4]: lastIndexOfTerm(%d) = %d, want %d", tc.term, got, tc.want)
		}
	}
	if got := (&raftLog{}).lastIndexOfTerm(0); got != 0 {
		t.Errorf("empty log: lastIndexOfTerm(0) = %d, want 0", got)
	}
}

func TestLogIsUpToDate(t *testing.T) {
	l := logOf(0, 0, 1, 2, 2)
	for _, tc := range []struct {
		index, term int
		want        bool
	}{{3, 2, true}, {4, 2, true}, {2, 2, false}, {1, 3, true}, {9, 1, false}, {0, 0, false}} {
		if got := l.isUpToDate(tc.index, tc.term); got != tc.want {
			t.Errorf("isUpToDate(%d, %d) = %v, want %v", tc.index, tc.term, got, tc.want)
		}
	}
}

// Slices handed out by the log are shared with messages and events, so once handed out
// they never change: not by appends (whatever the capacity), truncations or compactions,
// and appending to one does not write into the log.
func TestLogSlicesNeverChange(t *testing.T) {
	l := logOf(0, 0, 1, 1, 1)
	s := l.slice(1, 4)
	keep := slices.Clone(s)
	// Whoever holds s may append to it; what they get must be theirs alone, whatever
	// spare capacity the log's array has.
	theirs := append(s, Entry{Term: 9, Command: "theirs"})
	l.append(ptLog(4, 2)...)
	if theirs[3].Command != "theirs" {
		t.Errorf("the log's append overwrote an entry appended to a handed-out slice: %v", theirs[3])
	}
	if e, _ := l.term(4); e != 2 || l.entries[3].Command != ptCmd(2, 4) {
		t.Errorf("appending to a handed-out slice wrote into the log: %v", l.entries)
	}
	l.truncateFrom(2)
	l.append(ptLog(2, 3, 3, 3)...)
	l.compact(3, 3)
	l.append(ptLog(5, 4)...)
	if !simEntriesEqual(s, keep) {
		t.Errorf("a handed-out slice changed from %v to %v", keep, s)
	}
}

// A random sequence of appends, truncations and compactions agrees with a plain model of
// the log, and no slice handed out along the way ever changes.
func TestLogModel(t *testing.T) {
	for seed := range 50 {
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		l := &raftLog{}
		var model []Entry // model[i] has index i+1; model[:snapIndex] is compacted
		snapIndex, snapTerm, term := 0, 0, 1
		type handed struct{ got, want []Entry }
		var out []handed
		for step := range 300 {
			last := snapIndex + len(model[snapIndex:])
			switch k := r.IntN(10); {
			case k < 5:
				n := r.IntN(5)
				var es []Entry
				for i := range n {
					if r.IntN(4) == 0 {
						term++
					}
					es = append(es, Entry{Term: term, Command: ptCmd(term, last+1+i)})
				}
				l.append(es...)
				model = append(model, es...)
			case k < 7 && last > snapIndex:
				from := snapIndex + 1 + r.IntN(last-snapIndex)
				l.truncateFrom(from)
				model = model[:from-1]
				term++
			case k < 9:
				// Compact at a held index with its term, or (as an installed snapshot
				// may) anywhere with a new term.
				idx := snapIndex + r.IntN(last-snapIndex+3)
				t2 := term
				if idx <= last && r.IntN(3) > 0 {
					t2 = snapTerm
					if idx > snapIndex {
						t2 = model[idx-1].Term
					}
				}
				l.compact(idx, t2)
				keepSuffix := idx <= last && (idx == snapIndex && t2 == snapTerm || idx > snapIndex && model[idx-1].Term == t2)
				if !keepSuffix {
					model = model[:0:0]
					for i := 0; i < idx; i++ {
						model = append(model, Entry{Term: -1}) // compacted
					}
				} else {
					for len(model) < idx {
						model = append(model, Entry{Term: -1})
					}
				}
				snapIndex, snapTerm = idx, t2
				term = max(term, t2)
			default:
				if last > snapIndex {
					lo := snapIndex + 1 + r.IntN(last-snapIndex)
					hi := lo + r.IntN(last-lo+2)
					s := l.slice(lo, hi)
					out = append(out, handed{s, slices.Clone(s)})
				}
			}
			// Check against the model.
			if l.snapIndex != snapIndex || l.snapTerm != snapTerm || l.lastIndex() != snapIndex+len(model)-snapIndex {
				t.Fatalf("seed %d step %d: log %d/%d..%d, model %d/%d..%d", seed, step, l.snapIndex, l.snapTerm, l.lastIndex(), snapIndex, snapTerm, len(model))
			}
			if !simEntriesEqual(l.entries, model[snapIndex:]) {
				t.Fatalf("seed %d step %d: entries %v, model %v", seed, step, l.entries, model[snapIndex:])
			}
			var runs []TermRun
			for i, e := range model[snapIndex:] {
				if len(runs) == 0 || runs[len(runs)-1].Term != e.Term {
					runs = append(runs, TermRun{Index: snapIndex + 1 + i, Term: e.Term})
				}
			}
			if !slices.Equal(l.runs, runs) {
				t.Fatalf("seed %d step %d: runs %v, want %v", seed, step, l.runs, runs)
			}
			for tt := 0; tt <= term+1; tt++ {
				want := 0
				for i := len(model); i > snapIndex; i-- {
					if model[i-1].Term == tt {
						want = i
						break
					}
				}
				if want == 0 && tt == snapTerm && snapIndex > 0 {
					want = snapIndex
				}
				if got := l.lastIndexOfTerm(tt); got != want {
					t.Fatalf("seed %d step %d: lastIndexOfTerm(%d) = %d, want %d (snapshot %d/%d, runs %v)", seed, step, tt, got, want, snapIndex, snapTerm, runs)
				}
			}
			for i := snapIndex + 1; i <= len(model); i++ {
				want := i
				for want > snapIndex+1 && model[want-2].Term == model[i-1].Term {
					want--
				}
				if got := l.firstIndexOfTerm(i); got != want {
					t.Fatalf("seed %d step %d: firstIndexOfTerm(%d) = %d, want %d", seed, step, i, got, want)
				}
			}
			for _, h := range out {
				if !simEntriesEqual(h.got, h.want) {
					t.Fatalf("seed %d step %d: a handed-out slice changed from %v to %v", seed, step, h.want, h.got)
				}
			}
		}
	}
}
