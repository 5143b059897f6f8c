package tui

import (
	"fmt"
	"slices"

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
}

// eventFilters are the presets the filter key cycles through; the first is the
// default. Violations always show.
var eventFilters = []eventFilter{
	{"key events", catElection | catFault | catLog | catStep | catViolation},
	{"key events + commits", catElection | catFault | catLog | catStep | catViolation | catCommit},
	{"elections in detail", catElection | catDetail | catVote | catViolation},
	{"faults and steps", catFault | catStep | catViolation},
	{"everything", catElection | catDetail | catVote | catFault | catCommit | catLog | catPropose | catStep | catViolation},
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
	}
	return catStep
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

// filterEvents returns the events that pass filter (and, if peer >= 0, concern peer),
// oldest first, keeping at most the last limit.
func filterEvents(events []item, filter eventFilter, peer, limit int) []item {
	var out []item
	for i := len(events) - 1; i >= 0 && len(out) < limit; i-- {
		e := events[i]
		if e.cat&filter.cats == 0 && e.cat != catViolation {
			continue
		}
		if peer >= 0 && !involves(e.ev, peer) {
			continue
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out
}

// renderEvents renders the event stream's last h-1 lines that pass the filter, under
// a title line; scroll is how many lines back from the newest the view is.
func renderEvents(events []item, filter eventFilter, peer, scroll, w, h int) []line {
	var title line
	title.add(" Events", stTitle)
	what := filter.name
	if peer >= 0 {
		what += fmt.Sprintf(", peer %d only", peer)
	}
	title.add("  "+what+"  (f filter, F selected peer", stTitleDim)
	if scroll > 0 {
		title.add(fmt.Sprintf("; %d newer below, End follows", scroll), stTitleDim)
	}
	title.add(")", stTitleDim)
	title.pad(w, stTitle)
	out := []line{title}
	rows := h - 1
	if rows <= 0 {
		return out[:max(h, 0)]
	}
	shown := filterEvents(events, filter, peer, rows+scroll)
	shown = shown[:max(0, len(shown)-scroll)]
	if len(shown) > rows {
		shown = shown[len(shown)-rows:]
	}
	if len(shown) == 0 {
		var l line
		l.add(" nothing yet", stDim)
		return append(out, l)
	}
	for _, e := range shown {
		_, text, st := describe(e)
		var l line
		l.add(fmt.Sprintf("%8.3fs ", e.ev.At.Seconds()), stDim)
		l.add(fit(text, w-l.width()), st)
		out = append(out, l)
	}
	return out
}
