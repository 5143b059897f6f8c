package check

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// fake is a scripted cluster for tests: its methods change the peers' state as raft.Node
// would and record the events a Node reports, so a test writes a run as a story ("peer 0
// leads term 1, proposes a, replicates to 1") and gets a consistent stream. The raw
// method emits any event, for the streams that must be wrong. Logs are kept whole (a
// snapshot only moves snap), which is all the events need.
//
// With deliveries set, each apply and install is followed by what the service receives
// (chaos.EventDeliver), as the sim engine reports it; with progress set, leaders report
// their bookkeeping of followers (raft.EventProgress) as raft.Node does.
type fake struct {
	events []chaos.Event
	at     time.Duration

	deliveries, progress bool
	match                map[[2]int]int // (leader, follower) -> the match index the leader reported

	term    []int
	role    []raft.Role
	log     [][]raft.Entry // log[p][i-1] is entry i
	snap    []int
	commit  []int
	applied []int
}

func newFake(n int) *fake {
	f := &fake{term: make([]int, n), role: make([]raft.Role, n), log: make([][]raft.Entry, n),
		snap: make([]int, n), commit: make([]int, n), applied: make([]int, n)}
	for p := range n {
		f.boot(p)
	}
	return f
}

// add appends e to the stream, numbered and timed.
func (f *fake) add(e chaos.Event) {
	e.Seq = uint64(len(f.events) + 1)
	e.At = f.at
	f.events = append(f.events, e)
	f.at += time.Microsecond
}

// wait lets d pass.
func (f *fake) wait(d time.Duration) { f.at += d }

// emit reports r as peer r.Peer's event, with its current term and role, as Node.emit.
func (f *fake) emit(r raft.Event) {
	r.Term, r.Role = f.term[r.Peer], f.role[r.Peer]
	f.raw(r)
}

// raw reports r as it is.
func (f *fake) raw(r raft.Event) {
	f.add(chaos.Event{Kind: chaos.EventRaft, Peer: r.Peer, Raft: &r})
}

func (f *fake) fault(fl chaos.Fault) {
	f.add(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &fl, Text: fl.String()})
}

func (f *fake) termOf(p, i int) int {
	if i == 0 {
		return 0
	}
	return f.log[p][i-1].Term
}

func (f *fake) boot(p int) {
	f.role[p] = raft.Follower
	f.commit[p], f.applied[p] = f.snap[p], f.snap[p]
	f.emit(raft.Event{Kind: raft.EventBoot, Peer: p, Index: f.snap[p], PrevTerm: f.termOf(p, f.snap[p]), LastIndex: len(f.log[p]), Other: raft.None})
}

func (f *fake) crash(ps ...int) { f.fault(chaos.Fault{Kind: chaos.Crash, Peers: ps}) }

// restart boots ps from what they had (the fake persists everything at once), after the
// fault, as both engines publish them.
func (f *fake) restart(ps ...int) {
	f.fault(chaos.Fault{Kind: chaos.Restart, Peers: ps})
	for _, p := range ps {
		f.boot(p)
	}
}

// setTerm moves p to term t (if higher) as a follower.
func (f *fake) setTerm(p, t int) {
	if t > f.term[p] {
		prev := f.term[p]
		f.term[p] = t
		f.emit(raft.Event{Kind: raft.EventTerm, Peer: p, PrevTerm: prev, Other: raft.None})
	}
	if f.role[p] != raft.Follower {
		f.role[p] = raft.Follower
		f.emit(raft.Event{Kind: raft.EventRole, Peer: p, Other: raft.None})
	}
}

// campaign makes p a candidate in term t, with the votes of voters.
func (f *fake) campaign(p, t int, voters ...int) {
	f.setTerm(p, t)
	f.role[p] = raft.Candidate
	f.emit(raft.Event{Kind: raft.EventRole, Peer: p, Other: raft.None})
	for _, v := range voters {
		f.setTerm(v, t)
		f.emit(raft.Event{Kind: raft.EventVote, Peer: v, Other: p, Index: t, Granted: true})
	}
}

// win makes candidate p leader.
func (f *fake) win(p int) {
	f.role[p] = raft.Leader
	f.emit(raft.Event{Kind: raft.EventRole, Peer: p, Other: p})
	if f.progress {
		for q := range f.term {
			if q != p {
				f.setMatch(p, q, 0, len(f.log[p])+1)
			}
		}
	}
}

// elect makes p leader of term t with the votes of voters.
func (f *fake) elect(p, t int, voters ...int) {
	f.campaign(p, t, voters...)
	f.win(p)
}

// propose appends cmds to leader p's log and reports the proposals.
func (f *fake) propose(p int, cmds ...interface{}) {
	first := len(f.log[p]) + 1
	for _, c := range cmds {
		f.log[p] = append(f.log[p], raft.Entry{Term: f.term[p], Command: c})
	}
	f.emit(raft.Event{Kind: raft.EventAppend, Peer: p, Index: first, LastIndex: len(f.log[p]), Entries: slices.Clone(f.log[p][first-1:]), Other: p})
	for k, c := range cmds {
		pr := chaos.Proposal{Command: c, ProposeResult: chaos.ProposeResult{Peer: p, Index: first + k, Term: f.term[p], OK: true}}
		f.add(chaos.Event{Kind: chaos.EventPropose, Peer: p, Propose: &pr})
	}
}

// send replicates leader l's log (through upto, or all of it when upto is 0) to
// followers, as AppendEntries does: cut the first conflict, append what is missing, and
// commit up to what the leader committed and sent.
func (f *fake) send(l, upto int, to ...int) {
	if upto == 0 {
		upto = len(f.log[l])
	}
	for _, p := range to {
		f.setTerm(p, f.term[l])
		// The logs match up to the last index where their terms agree (log matching).
		m := min(upto, len(f.log[p]))
		for m > 0 && f.log[p][m-1].Term != f.log[l][m-1].Term {
			m--
		}
		k := m + 1
		if k <= upto {
			if k <= len(f.log[p]) {
				f.emit(raft.Event{Kind: raft.EventTruncate, Peer: p, Index: k, LastIndex: len(f.log[p]), Other: l})
				f.log[p] = f.log[p][:k-1]
			}
			f.log[p] = append(f.log[p], f.log[l][k-1:upto]...)
			f.emit(raft.Event{Kind: raft.EventAppend, Peer: p, Index: k, LastIndex: upto, Entries: slices.Clone(f.log[l][k-1 : upto]), Other: l})
		}
		f.commitTo(p, min(f.commit[l], upto))
		if f.progress && f.role[l] == raft.Leader && upto > f.match[[2]int{l, p}] {
			f.setMatch(l, p, upto, upto+1)
		}
	}
}

// setMatch makes leader l report follower p's match and next index.
func (f *fake) setMatch(l, p, match, next int) {
	if f.match == nil {
		f.match = map[[2]int]int{}
	}
	f.match[[2]int{l, p}] = match
	f.emit(raft.Event{Kind: raft.EventProgress, Peer: l, Other: p, Index: match, LastIndex: next})
}

// commitTo raises p's commitIndex to i.
func (f *fake) commitTo(p, i int) {
	if i > f.commit[p] {
		f.emit(raft.Event{Kind: raft.EventCommit, Peer: p, Index: f.commit[p] + 1, LastIndex: i, Other: raft.None})
		f.commit[p] = i
	}
}

// apply hands p's committed entries to its service.
func (f *fake) apply(ps ...int) {
	for _, p := range ps {
		if f.commit[p] > f.applied[p] {
			lo := f.applied[p] + 1
			f.emit(raft.Event{Kind: raft.EventApply, Peer: p, Index: lo, LastIndex: f.commit[p], Entries: slices.Clone(f.log[p][lo-1 : f.commit[p]]), Other: raft.None})
			f.applied[p] = f.commit[p]
			if f.deliveries {
				for i := lo; i <= f.commit[p]; i++ {
					e := f.log[p][i-1]
					f.deliver(p, chaos.Delivery{Index: i, Term: e.Term, Command: e.Command})
				}
			}
		}
	}
}

// deliver reports that p's service received d.
func (f *fake) deliver(p int, d chaos.Delivery) {
	f.add(chaos.Event{Kind: chaos.EventDeliver, Peer: p, Deliver: &d})
}

// snapshot makes p's service snapshot through i.
func (f *fake) snapshot(p, i int) {
	f.snap[p] = i
	f.emit(raft.Event{Kind: raft.EventSnapshot, Peer: p, LastIndex: i, PrevTerm: f.termOf(p, i), Other: raft.None})
}

// install sends leader l's snapshot to p, as InstallSnapshot does.
func (f *fake) install(l int, p int) {
	f.setTerm(p, f.term[l])
	i, t := f.snap[l], f.termOf(l, f.snap[l])
	var rest []raft.Entry
	if i < len(f.log[p]) && f.termOf(p, i) == t {
		rest = f.log[p][i:]
	}
	f.log[p] = append(slices.Clone(f.log[l][:i]), rest...)
	f.snap[p] = i
	f.commitTo(p, i)
	f.applied[p] = i
	f.emit(raft.Event{Kind: raft.EventInstallSnapshot, Peer: p, LastIndex: i, PrevTerm: t, Other: l})
	if f.deliveries {
		f.deliver(p, chaos.Delivery{Index: i, Term: t, Snapshot: true})
	}
	if f.progress && f.role[l] == raft.Leader && i > f.match[[2]int{l, p}] {
		f.setMatch(l, p, i, i+1)
	}
}

// suite returns a Suite for n peers that has observed f's events.
func (f *fake) suite(t *testing.T, opts Options) *Suite {
	t.Helper()
	s, err := New(len(f.term), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.events {
		s.Observe(e)
	}
	return s
}

// want is an expected violation: the checker and the peers, terms and indexes it names.
type want struct {
	checker string
	peers   []int
	terms   []int
	indexes []int
}

// expect checks that the checkers that reported are exactly also plus w's, and that w's
// report names what w says.
func expect(t *testing.T, s *Suite, w want, also ...string) {
	t.Helper()
	vs := s.Violations()
	var got []string
	for _, v := range vs {
		got = append(got, v.Checker)
	}
	wantNames := append([]string{w.checker}, also...)
	if w.checker == "" {
		wantNames = also
	}
	slices.Sort(got)
	slices.Sort(wantNames)
	if !slices.Equal(got, wantNames) {
		t.Fatalf("checkers that reported: got %v, want %v\n%s", got, wantNames, dump(vs))
	}
	if w.checker == "" {
		return
	}
	for _, v := range vs {
		if v.Checker != w.checker {
			continue
		}
		if !slices.Equal(v.Peers, w.peers) || !slices.Equal(v.Terms, w.terms) || !slices.Equal(v.Indexes, w.indexes) {
			t.Errorf("%s: got peers %v terms %v indexes %v, want peers %v terms %v indexes %v\n%s",
				v.Checker, v.Peers, v.Terms, v.Indexes, w.peers, w.terms, w.indexes, v.Message)
		}
		if v.Message == "" || v.Seq == 0 {
			t.Errorf("%s: want a message and the revealing event's Seq, got %+v", v.Checker, v)
		}
		t.Logf("%s (#%d at %v)", v, v.Seq, v.At)
	}
}

func dump(vs []chaos.Violation) string {
	s := ""
	for _, v := range vs {
		s += fmt.Sprintf("  #%d %s\n", v.Seq, v)
	}
	return s
}

// clean checks that no checker reported.
func clean(t *testing.T, s *Suite) {
	t.Helper()
	expect(t, s, want{})
}
