package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// category is what an event is about, for filtering the event stream.
type category uint16

// The categories.
const (
	catElection  category = 1 << iota // peers standing for election, leaders elected
	catDetail                         // term changes, peers following a leader
	catVote                           // votes granted and denied
	catFault                          // faults applied, peers booting
	catCommit                         // commit index advancing
	catLog                            // truncations, snapshots taken and installed
	catPropose                        // client proposals
	catStep                           // scenario steps, typed commands, expectations, notes
	catViolation                      // violations of safety or liveness
)

// eventFilter is one preset of the event stream's filter.
type eventFilter struct {
	name string
	cats category
	// fold: a peer's repeated elections fold into one row.
	fold bool
}

// eventFilters are the presets the filter key cycles through; the first is the
// default. Violations always show.
var eventFilters = []eventFilter{
	{"key events", catElection | catFault | catLog | catStep | catViolation, true},
	{"key events + commits", catElection | catFault | catLog | catStep | catViolation | catCommit, true},
	{"elections in detail", catElection | catDetail | catVote | catViolation, false},
	{"faults and steps", catFault | catStep | catViolation, true},
	{"everything", catElection | catDetail | catVote | catFault | catCommit | catLog | catPropose | catStep | catViolation, true},
}

// item is an event as the event stream keeps it: with its category, worked out once as
// the event arrives, and whether a leader stepped down (which the run model knows: the
// event alone does not say).
type item struct {
	ev  chaos.Event
	cat category
	// stepDown: a leader became a follower.
	stepDown bool
}

// newItem returns an event the model saw as an item.
func newItem(s runmodel.Seen) item {
	it := item{ev: s.Event, stepDown: s.StepDown}
	it.cat = categorize(it)
	return it
}

// categorize returns it's category, as describe does, without making its text.
func categorize(it item) category {
	e := it.ev
	switch e.Kind {
	case chaos.EventRaft:
		if e.Raft == nil {
			return catStep
		}
		switch e.Raft.Kind {
		case raft.EventRole:
			if e.Raft.Role != raft.Follower || it.stepDown {
				return catElection
			}
			return catDetail
		case raft.EventTerm:
			return catDetail
		case raft.EventVote:
			return catVote
		case raft.EventCommit:
			return catCommit
		case raft.EventBoot:
			return catFault
		}
		return catLog
	case chaos.EventFault:
		if e.Fault != nil {
			return catFault
		}
	case chaos.EventPropose:
		return catPropose
	case chaos.EventViolation:
		if e.Violation != nil {
			return catViolation
		}
	case chaos.EventExpect:
		if failedStep(e) {
			return catViolation
		}
	}
	return catStep
}

// failedStep reports whether e is an expectation of the scenario's timeline that failed:
// the run's failure, shown as such (a command typed at the bar that fails is not).
func failedStep(e chaos.Event) bool { return e.Kind == chaos.EventExpect && !e.OK && e.Line > 0 }

// repeats reports whether e says again what the event before it said: the violation a
// failed expectation is recorded as follows the expectation's own event.
func repeats(e chaos.Event) bool {
	return e.Kind == chaos.EventViolation && e.Violation != nil && e.Violation.Checker == "expect"
}

// describe returns an item's category, its text as the event stream shows it, and
// its style.
func describe(it item) (category, string, tcell.Style) {
	e := it.ev
	switch e.Kind {
	case chaos.EventRaft:
		if e.Raft == nil {
			break
		}
		r := e.Raft
		switch r.Kind {
		case raft.EventRole:
			switch r.Role {
			case raft.Leader:
				return catElection, fmt.Sprintf("★ peer %d is leader of term %d", r.Peer, r.Term), tcell.StyleDefault.Foreground(tcell.ColorGreen).Bold(true)
			case raft.Candidate:
				return catElection, fmt.Sprintf("peer %d stands for election in term %d", r.Peer, r.Term), stWarn
			case raft.PreCandidate:
				return catElection, fmt.Sprintf("peer %d asks for pre-votes for term %d", r.Peer, r.Term+1), tcell.StyleDefault.Foreground(tcell.ColorOlive)
			}
			if it.stepDown {
				return catElection, fmt.Sprintf("▼ peer %d steps down: a follower in term %d", r.Peer, r.Term), stWarn
			}
			if r.Other != raft.None {
				return catDetail, fmt.Sprintf("peer %d follows %d in term %d", r.Peer, r.Other, r.Term), stDefault
			}
			return catDetail, fmt.Sprintf("peer %d is a follower in term %d", r.Peer, r.Term), stDefault
		case raft.EventTerm:
			return catDetail, fmt.Sprintf("peer %d: term %d → %d", r.Peer, r.PrevTerm, r.Term), stDefault
		case raft.EventVote:
			what := "vote"
			if r.PreVote {
				what = "pre-vote"
			}
			if r.Granted {
				return catVote, fmt.Sprintf("peer %d grants its %s to %d for term %d", r.Peer, what, r.Other, r.Index), stDefault
			}
			return catVote, fmt.Sprintf("peer %d denies its %s to %d for term %d", r.Peer, what, r.Other, r.Index), stDim
		case raft.EventCommit:
			if r.Index == r.LastIndex {
				return catCommit, fmt.Sprintf("peer %d commits %d", r.Peer, r.LastIndex), stDim
			}
			return catCommit, fmt.Sprintf("peer %d commits %d..%d", r.Peer, r.Index, r.LastIndex), stDim
		case raft.EventTruncate:
			return catLog, fmt.Sprintf("peer %d drops conflicting entries %d..%d", r.Peer, r.Index, r.LastIndex), stWarn
		case raft.EventSnapshot:
			return catLog, fmt.Sprintf("peer %d snapshots through %d (term %d)", r.Peer, r.LastIndex, r.PrevTerm), stInfo
		case raft.EventInstallSnapshot:
			return catLog, fmt.Sprintf("peer %d installs a snapshot through %d from %d", r.Peer, r.LastIndex, r.Other), stInfo
		case raft.EventBoot:
			if r.LastIndex == 0 && r.Index == 0 && r.Term == 0 {
				return catFault, fmt.Sprintf("peer %d boots empty", r.Peer), stInfo
			}
			return catFault, fmt.Sprintf("peer %d boots: term %d, snapshot %d, log to %d", r.Peer, r.Term, r.Index, r.LastIndex), stInfo
		}
		return catLog, r.String(), stDim
	case chaos.EventFault:
		if e.Fault != nil {
			return catFault, "fault: " + e.Fault.String(), stBad
		}
	case chaos.EventPropose:
		if e.Propose != nil {
			return catPropose, e.Propose.String(), stDim
		}
		return catPropose, e.String(), stDim
	case chaos.EventStep:
		if len(e.Text) > 0 && e.Text[0] == '>' {
			return catStep, e.Text, stKey
		}
		return catStep, "» " + e.Text, stInfo
	case chaos.EventExpect:
		if e.OK {
			return catStep, "✓ " + e.Text, stOK
		}
		if failedStep(e) {
			return catViolation, "✗ FAILED " + e.Text, stBanner
		}
		return catStep, "✗ " + e.Text, stBad
	case chaos.EventViolation:
		if e.Violation != nil {
			return catViolation, "✗ VIOLATION " + e.Violation.String(), stBanner
		}
	case chaos.EventNote:
		return catStep, e.Text, stInfo
	}
	return catStep, e.String(), stDim
}

// involves reports whether e concerns peer id.
func involves(e chaos.Event, id int) bool {
	if e.Peer == id {
		return true
	}
	if e.Raft != nil && (e.Raft.Peer == id || e.Raft.Other == id && e.Raft.Kind == raft.EventVote) {
		return true
	}
	if f := e.Fault; f != nil {
		if slices.Contains(f.Peers, id) || slices.Contains(f.From, id) || slices.Contains(f.To, id) {
			return true
		}
		for _, g := range f.Groups {
			if slices.Contains(g, id) {
				return true
			}
		}
		// Faults on the whole network concern everyone.
		return len(f.Peers) == 0 && len(f.Groups) == 0 && len(f.From) == 0 && len(f.To) == 0
	}
	if v := e.Violation; v != nil {
		return len(v.Peers) == 0 || slices.Contains(v.Peers, id)
	}
	return e.Peer < 0 && e.Kind != chaos.EventPropose
}

// row is one line of the event view: an event, or a peer's repeated elections folded
// into one (the newest of them, how many, and the oldest).
type row struct {
	it item
	// n is how many events the row stands for; from is the oldest of them.
	n    int
	from item
	// still: nothing the view shows has happened to the peer since.
	still bool
}

// seq returns the Seq of the row's newest event: rows are in its order.
func (r row) seq() uint64 { return r.it.ev.Seq }

// text returns the row's text and style.
func (r row) text() (string, tcell.Style) {
	if r.n <= 1 {
		_, text, st := describe(r.it)
		return text, st
	}
	e, old := r.it.ev.Raft, r.from.ev.Raft
	terms := fmt.Sprintf("terms %d-%d", old.Term, e.Term)
	if e.Role == raft.PreCandidate {
		terms = fmt.Sprintf("for terms %d-%d", old.Term+1, e.Term+1)
		if old.Term == e.Term {
			terms = fmt.Sprintf("for term %d", e.Term+1)
		}
	} else if old.Term == e.Term {
		terms = fmt.Sprintf("term %d", e.Term)
	}
	what := "elections"
	if e.Role == raft.PreCandidate {
		what = "pre-vote rounds"
	}
	text := fmt.Sprintf("peer %d: %d %s, %s, none won", e.Peer, r.n, what, terms)
	if r.still {
		text += " yet"
	}
	return text + fmt.Sprintf(" (since %.1fs)", r.from.ev.At.Seconds()), stWarn
}

// electionStart returns the peer an event shows standing for election (or asking for
// pre-votes), with its role.
func electionStart(it item) (peer int, role raft.Role, ok bool) {
	e := it.ev
	if e.Kind != chaos.EventRaft || e.Raft == nil || e.Raft.Kind != raft.EventRole {
		return 0, 0, false
	}
	if r := e.Raft.Role; r == raft.Candidate || r == raft.PreCandidate {
		return e.Raft.Peer, r, true
	}
	return 0, 0, false
}

// about reports whether e says something of peer id that ends a fold of its elections:
// an event of its own, or a fault that touches it. The scenario's steps and notes, which
// concern every peer, do not.
func about(e chaos.Event, id int) bool {
	switch e.Kind {
	case chaos.EventStep, chaos.EventExpect, chaos.EventNote:
		return false
	}
	return involves(e, id)
}

// filterEvents returns the rows of the events that pass filter (and, if peer >= 0,
// concern peer), oldest first. Unless the filter shows elections in detail, a peer's
// elections with nothing shown about it between them (a peer cut off in a minority
// stands again and again) fold into one row; a leader elected anywhere ends every fold.
func filterEvents(events []item, filter eventFilter, peer int) []row {
	type key struct {
		peer int
		role raft.Role
	}
	var out []row             // newest first
	open := map[key]int{}     // the open folds: their index in out
	touched := map[int]bool{} // peers something newer was shown about
	npeers := 0
	for _, it := range events {
		if it.ev.Raft != nil {
			npeers = max(npeers, it.ev.Raft.Peer+1)
		}
	}
	for i := len(events) - 1; i >= 0; i-- {
		it := events[i]
		if it.cat&filter.cats == 0 && it.cat != catViolation {
			continue
		}
		if peer >= 0 && !involves(it.ev, peer) {
			continue
		}
		if p, role, ok := electionStart(it); ok && filter.fold {
			k := key{p, role}
			if j, ok := open[k]; ok {
				out[j].n++
				out[j].from = it
				continue
			}
			open[k] = len(out)
			out = append(out, row{it: it, n: 1, from: it, still: !touched[p]})
			continue
		}
		leader := it.ev.Raft != nil && it.ev.Raft.Kind == raft.EventRole && it.ev.Raft.Role == raft.Leader
		for k := range open {
			if leader || about(it.ev, k.peer) {
				delete(open, k)
			}
		}
		for p := range npeers {
			if about(it.ev, p) {
				touched[p] = true
			}
		}
		out = append(out, row{it: it, n: 1, from: it})
	}
	slices.Reverse(out)
	return out
}

// eventsView is what the event view shows besides the events: the filter's name, where
// it is scrolled to, and the search.
type eventsView struct {
	what string
	// anchor is the Seq of the row at the bottom of the view, or 0 to follow the newest.
	anchor uint64
	// search is the text searched for ("" for none); match the Seq of the current match.
	search string
	match  uint64
}

// bottomRow returns the index of the row at the bottom of a view anchored at anchor:
// the last row at or before it, or the newest for 0.
func bottomRow(rows []row, anchor uint64) int {
	if anchor == 0 {
		return len(rows) - 1
	}
	i := sort.Search(len(rows), func(i int) bool { return rows[i].seq() > anchor })
	return i - 1
}

// renderEvents renders the rows that end at the view's anchor, h-1 of them under a
// title line, with the search's matches highlighted.
func renderEvents(rows []row, v eventsView, w, h int) []line {
	bottom := bottomRow(rows, v.anchor)
	var title line
	title.add(" Events", stTitle)
	title.add("  "+v.what+"  (f filter, F peer, / search", stTitleDim)
	if newer := len(rows) - 1 - bottom; v.anchor != 0 && newer > 0 {
		title.add(fmt.Sprintf("; %d newer below, End follows", newer), stTitleDim)
	}
	title.add(")", stTitleDim)
	if v.search != "" {
		k, n := matchIndex(rows, v.search, v.match)
		where := "no match"
		if n > 0 && k > 0 {
			where = fmt.Sprintf("%d of %d (n older, N newer)", k, n)
		} else if n > 0 {
			where = fmt.Sprintf("%d matches (n, N)", n)
		}
		title = withLegend(title, fmt.Sprintf("/%s: %s", v.search, where), w, len(" Events"))
	}
	title.pad(w, stTitle)
	out := []line{title}
	n := h - 1
	if n <= 0 {
		return out[:max(h, 0)]
	}
	if bottom < 0 {
		var l line
		l.add(" nothing yet", stDim)
		return append(out, l)
	}
	for _, r := range rows[max(0, bottom-n+1) : bottom+1] {
		text, st := r.text()
		var l line
		tst := stDim
		if v.match != 0 && r.seq() == v.match {
			tst = stSearchRow
		}
		l.add(fmt.Sprintf("%8.3fs ", r.it.ev.At.Seconds()), tst)
		text = fit(text, w-l.width())
		if v.search != "" {
			l = append(l, highlight(text, v.search, st)...)
		} else {
			l.add(text, st)
		}
		out = append(out, l)
	}
	return out
}

// Styles of the search.
var (
	stSearch    = tcell.StyleDefault.Background(tcell.ColorYellow).Foreground(tcell.ColorBlack)
	stSearchRow = tcell.StyleDefault.Reverse(true).Bold(true)
)

// matches reports whether text has the search text: ignoring case, unless the search
// has an upper-case letter (as less -i and vim's smartcase do).
func matches(text, search string) bool { return matchAt(text, search) >= 0 }

// matchAt returns the byte offset of the first match of search in text, or -1.
func matchAt(text, search string) int {
	if search == "" {
		return -1
	}
	if strings.ToLower(search) == search {
		return strings.Index(strings.ToLower(text), search)
	}
	return strings.Index(text, search)
}

// highlight renders text in st with each match of search highlighted.
func highlight(text, search string, st tcell.Style) line {
	var l line
	if len(strings.ToLower(text)) != len(text) {
		l.add(text, st) // lower-casing moved the bytes: no offsets to trust
		return l
	}
	for {
		i := matchAt(text, search)
		if i < 0 {
			l.add(text, st)
			return l
		}
		l.add(text[:i], st)
		l.add(text[i:i+len(search)], stSearch)
		text = text[i+len(search):]
	}
}

// matchIndex returns which match, counting from the newest, the row of Seq seq is, and
// how many rows match.
func matchIndex(rows []row, search string, seq uint64) (k, n int) {
	for i := len(rows) - 1; i >= 0; i-- {
		text, _ := rows[i].text()
		if matches(text, search) {
			n++
			if rows[i].seq() == seq {
				k = n
			}
		}
	}
	return k, n
}

// findMatch returns the index of the nearest row that matches search, from index from
// (included) towards older rows (dir < 0) or newer ones (dir > 0), or -1.
func findMatch(rows []row, search string, from, dir int) int {
	for i := from; i >= 0 && i < len(rows); i += dir {
		if text, _ := rows[i].text(); matches(text, search) {
			return i
		}
	}
	return -1
}
