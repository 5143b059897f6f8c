package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/raft"
)

// peer makes a peer status with a log of the given term runs.
func peer(id int, role raft.Role, term, last, commit, snap int, runs ...raft.TermRun) chaos.PeerStatus {
	p := chaos.PeerStatus{State: chaos.Up, ClockRate: 1}
	p.ID, p.Role, p.Term, p.VotedFor, p.Leader = id, role, term, raft.None, raft.None
	p.FirstIndex, p.LastIndex, p.CommitIndex, p.LastApplied = snap+1, last, commit, commit
	p.SnapshotIndex = snap
	p.Terms = runs
	if len(runs) > 0 {
		p.LastTerm = runs[len(runs)-1].Term
	}
	return p
}

func TestLogRow(t *testing.T) {
	tests := []struct {
		name   string
		p      chaos.PeerStatus
		lo, hi int
		want   string
		// filled lists, per cell of want, whether it shows committed (a background).
		filled string
	}{
		{"empty", peer(0, raft.Follower, 0, 0, 0, 0), 1, 5, "     ", "....."},
		{"one term, part committed", peer(0, raft.Leader, 1, 4, 2, 0, raft.TermRun{Index: 1, Term: 1}), 1, 6,
			"1111  ", "##...."},
		{"two terms", peer(0, raft.Leader, 3, 5, 5, 0, raft.TermRun{Index: 1, Term: 1}, raft.TermRun{Index: 4, Term: 3}), 1, 5,
			"11133", "#####"},
		{"term 12 shows as c", peer(0, raft.Leader, 12, 2, 0, 0, raft.TermRun{Index: 1, Term: 12}), 1, 2,
			"cc", ".."},
		{"window after the start", peer(0, raft.Leader, 2, 30, 28, 0, raft.TermRun{Index: 1, Term: 1}, raft.TermRun{Index: 26, Term: 2}), 21, 30,
			"1111122222", "########.."},
		{"snapshot as a block", peer(0, raft.Follower, 2, 8, 8, 5, raft.TermRun{Index: 6, Term: 2}), 1, 8,
			"▒▒▒▒▒222", "sssss###"},
		{"labelled snapshot block", peer(0, raft.Follower, 2, 14, 14, 12, raft.TermRun{Index: 13, Term: 2}), 1, 14,
			"▒▒▒▒snap≤12▒22", "ssssssssssss##"},
		{"window inside the snapshot's end", peer(0, raft.Follower, 2, 14, 13, 12, raft.TermRun{Index: 13, Term: 2}), 11, 16,
			"▒▒22  ", "ss#..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := logRow(tt.p, tt.lo, tt.hi)
			if got := l.String(); got != tt.want {
				t.Fatalf("logRow = %q, want %q", got, tt.want)
			}
			for i, c := range []rune(tt.filled) {
				st, ok := l.styleAt(i)
				if !ok {
					t.Fatalf("cell %d: no style", i)
				}
				fg, bg, _ := st.Decompose()
				switch c {
				case '#':
					if bg == tcell.ColorDefault || bg == tcell.ColorBlack {
						t.Errorf("cell %d: committed entry has no term background (fg %v bg %v)", i, fg, bg)
					}
				case '.':
					if bg != tcell.ColorDefault {
						t.Errorf("cell %d: uncommitted entry has background %v", i, bg)
					}
				case 's':
					if fg != tcell.ColorGray {
						t.Errorf("cell %d: snapshot block in %v, want grey", i, fg)
					}
				}
			}
		})
	}
}

func TestLogRowColoursByTerm(t *testing.T) {
	p := peer(0, raft.Leader, 3, 3, 3, 0, raft.TermRun{Index: 1, Term: 1}, raft.TermRun{Index: 2, Term: 2}, raft.TermRun{Index: 3, Term: 3})
	l := logRow(p, 1, 3)
	for i, term := range []int{1, 2, 3} {
		st, _ := l.styleAt(i)
		_, bg, _ := st.Decompose()
		if bg != termColor(term) {
			t.Errorf("entry %d of term %d: background %v, want %v", i+1, term, bg, termColor(term))
		}
	}
}

func TestTermColor(t *testing.T) {
	if got := termColor(0); got != tcell.ColorGray {
		t.Errorf("termColor(0) = %v, want grey", got)
	}
	for term := 1; term < 20; term++ {
		if termColor(term) == termColor(term+1) {
			t.Errorf("terms %d and %d share a colour", term, term+1)
		}
		if termColor(term) != termColor(term+len(termPalette)) {
			t.Errorf("term %d does not cycle through the palette", term)
		}
	}
}

func TestLogWindow(t *testing.T) {
	tests := []struct {
		lasts          []int
		cells          int
		wantLo, wantHi int
	}{
		{[]int{0, 0}, 10, 1, 10},
		{[]int{5, 3}, 10, 1, 10},
		{[]int{25, 40}, 10, 31, 40},
		{[]int{40}, 1, 40, 40},
	}
	for _, tt := range tests {
		var peers []chaos.PeerStatus
		for _, l := range tt.lasts {
			peers = append(peers, peer(0, raft.Follower, 1, l, 0, 0))
		}
		lo, hi := logWindow(peers, tt.cells)
		if lo != tt.wantLo || hi != tt.wantHi {
			t.Errorf("logWindow(%v, %d) = %d..%d, want %d..%d", tt.lasts, tt.cells, lo, hi, tt.wantLo, tt.wantHi)
		}
	}
}

func TestLogRuler(t *testing.T) {
	tests := []struct {
		lo, hi int
		want   string
	}{
		{15, 41, " Logs     15   20        30        40"},
		{18, 41, " Logs       20        30        40"}, // 18 would run into 20
		{1, 12, " Logs     1        10 "},
	}
	for _, tt := range tests {
		if got := logRuler(" Logs", logLabelWidth, tt.lo, tt.hi, logLabelWidth+tt.hi-tt.lo+1).String(); got != tt.want {
			t.Errorf("logRuler(%d, %d) =\n%q, want\n%q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestRenderLogsAligned(t *testing.T) {
	f := &frame{leader: 0, snap: Snapshot{Peers: []chaos.PeerStatus{
		peer(0, raft.Leader, 2, 12, 10, 0, raft.TermRun{Index: 1, Term: 1}, raft.TermRun{Index: 11, Term: 2}),
		peer(1, raft.Follower, 2, 6, 6, 0, raft.TermRun{Index: 1, Term: 1}),
	}}}
	ls := renderLogs(f, 1, logLabelWidth+12)
	if len(ls) != 3 {
		t.Fatalf("got %d lines, want a ruler and 2 rows", len(ls))
	}
	rows := []string{ls[1].String(), ls[2].String()}
	if got, want := rows[0][logLabelWidth:], "111111111122"; !strings.HasPrefix(got, want) {
		t.Errorf("leader's row %q, want it to start %q", got, want)
	}
	if !strings.HasPrefix(rows[1], "▶ 1 foll") {
		t.Errorf("selected follower's label %q, want the marker, id and role", rows[1])
	}
	// Index 1 is in the same column on both rows.
	if a, b := strings.Index(ls[1].String(), "1"), logLabelWidth; a > b+1 {
		t.Errorf("leader's entries start at %d, want %d", a, b)
	}
}

func TestNetSymbol(t *testing.T) {
	n := chaos.NewNetState(3)
	n.Apply(chaos.Fault{Kind: chaos.Cut, From: []int{0}, To: []int{1}})
	n.Apply(chaos.Fault{Kind: chaos.Loss, From: []int{1}, To: []int{2}, P: 0.1})
	n.Apply(chaos.Fault{Kind: chaos.Delay, From: []int{2}, To: []int{0}, Min: time.Millisecond, Max: 5 * time.Millisecond})
	n.Apply(chaos.Fault{Kind: chaos.Reorder, From: []int{2}, To: []int{1}, P: 0.5})
	n.Apply(chaos.Fault{Kind: chaos.Duplicate, From: []int{0}, To: []int{2}, P: 0.5})
	tests := []struct {
		from, to int
		want     string
	}{
		{0, 0, " "}, {0, 1, "X"}, {1, 0, "·"}, {1, 2, "L"}, {2, 0, "S"}, {2, 1, "R"}, {0, 2, "D"},
	}
	for _, tt := range tests {
		if got, _ := netSymbol(n, tt.from, tt.to); got != tt.want {
			t.Errorf("link %d->%d shows %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestRenderNetwork(t *testing.T) {
	n := chaos.NewNetState(5)
	n.Apply(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}}})
	n.Apply(chaos.Fault{Kind: chaos.Loss, P: 0.1})
	ls := renderNetwork(n, 40, 20)
	var text []string
	for _, l := range ls {
		text = append(text, l.String())
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{
		"from\\to 0 1 2 3 4",
		"    0     L X X X",
		"    2   X X   L L",
		"all links: loss 10%",
		"partitioned: {0,1} {2,3,4}",
		"X cut",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("network view lacks %q:\n%s", want, all)
		}
	}
	// Too short for the matrix: the same, in words.
	short := renderNetwork(n, 40, 4)
	if len(short) > 4 || !strings.Contains(short[1].String()+short[2].String(), "partitioned: {0,1} {2,3,4}") {
		t.Errorf("network view in 4 lines: %q", short)
	}
}

func TestGroupText(t *testing.T) {
	tests := []struct {
		groups []int
		want   string
	}{
		{[]int{0, 0, 0}, ""},
		{[]int{1, 1, 2}, "{0,1} {2}"},
		{[]int{2, 1, 2, 1}, "{0,2} {1,3}"},
	}
	for _, tt := range tests {
		if got := groupText(tt.groups); got != tt.want {
			t.Errorf("groupText(%v) = %q, want %q", tt.groups, got, tt.want)
		}
	}
}

func ev(kind chaos.EventKind, peer int) chaos.Event { return chaos.Event{Kind: kind, Peer: peer} }

func raftEv(k raft.EventKind, peer int, role raft.Role, term int) chaos.Event {
	return chaos.Event{Kind: chaos.EventRaft, Peer: peer, Raft: &raft.Event{Kind: k, Peer: peer, Role: role, Term: term, Other: raft.None}}
}

// items folds es through a run model, as a Source does, and returns them as items.
func items(es ...chaos.Event) []item {
	m := runmodel.New(runmodel.Info{Peers: 8})
	var out []item
	for i, e := range es {
		e.Seq = uint64(i + 1)
		eff := m.Apply(e)
		out = append(out, newItem(runmodel.Seen{Event: e, StepDown: eff.StepDown}))
	}
	return out
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		e    []chaos.Event // the last one is described
		cat  category
		text string
	}{
		{"leader", []chaos.Event{raftEv(raft.EventRole, 2, raft.Leader, 3)}, catElection, "★ peer 2 is leader of term 3"},
		{"candidate", []chaos.Event{raftEv(raft.EventRole, 1, raft.Candidate, 4)}, catElection, "peer 1 stands for election in term 4"},
		{"follower", []chaos.Event{raftEv(raft.EventRole, 1, raft.Follower, 4)}, catDetail, "peer 1 is a follower in term 4"},
		{"leader steps down", []chaos.Event{raftEv(raft.EventRole, 1, raft.Leader, 3), raftEv(raft.EventRole, 1, raft.Follower, 4)},
			catElection, "▼ peer 1 steps down: a follower in term 4"},
		{"restarted leader does not step down", []chaos.Event{raftEv(raft.EventRole, 1, raft.Leader, 3), raftEv(raft.EventBoot, 1, raft.Follower, 3), raftEv(raft.EventRole, 1, raft.Follower, 4)},
			catDetail, "peer 1 is a follower in term 4"},
		{"fault", []chaos.Event{{Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Crash, Peers: []int{2}}}}, catFault, "fault: crash 2"},
		{"typed", []chaos.Event{{Kind: chaos.EventStep, Peer: -1, Text: "> crash 2"}}, catStep, "> crash 2"},
		{"step", []chaos.Event{{Kind: chaos.EventStep, Peer: -1, Text: "at 3s crash leader", Line: 7}}, catStep, "» at 3s crash leader"},
		{"violation", []chaos.Event{{Kind: chaos.EventViolation, Peer: 1, Violation: &chaos.Violation{Checker: "election-safety", Message: "two leaders"}}},
			catViolation, "✗ VIOLATION election-safety: two leaders"},
		{"failed wait", []chaos.Event{{Kind: chaos.EventExpect, Peer: -1, Text: "wait leader within 5s: no leader"}}, catStep, "✗ wait leader within 5s: no leader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			its := items(tt.e...)
			it := its[len(its)-1]
			cat, text, _ := describe(it)
			if cat != tt.cat || text != tt.text || it.cat != cat {
				t.Errorf("describe = %v %q (item says %v), want %v %q", cat, text, it.cat, tt.cat, tt.text)
			}
		})
	}
}

func TestCategorizeAgreesWithDescribe(t *testing.T) {
	var es []chaos.Event
	for k := raft.EventBoot; k <= raft.EventInstallSnapshot; k++ {
		for _, role := range []raft.Role{raft.Follower, raft.PreCandidate, raft.Candidate, raft.Leader} {
			es = append(es, raftEv(k, 1, role, 2))
		}
	}
	es = append(es, chaos.Event{Kind: chaos.EventRaft}, chaos.Event{Kind: chaos.EventNet, Net: &chaos.NetEvent{}})
	for k := chaos.EventRaft; k <= chaos.EventNote; k++ {
		es = append(es, chaos.Event{Kind: k, Peer: -1})
	}
	es = append(es,
		chaos.Event{Kind: chaos.EventFault, Fault: &chaos.Fault{Kind: chaos.Heal}},
		chaos.Event{Kind: chaos.EventPropose, Propose: &chaos.Proposal{Command: 1}},
		chaos.Event{Kind: chaos.EventViolation, Violation: &chaos.Violation{}})
	for _, it := range items(es...) {
		if cat, text, _ := describe(it); it.cat != cat {
			t.Errorf("%q: categorize says %v, describe %v", text, it.cat, cat)
		}
	}
}

func TestFilterEvents(t *testing.T) {
	crash := chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Crash, Peers: []int{2}}}
	loss := chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Loss, P: 0.1}}
	commit := raftEv(raft.EventCommit, 1, raft.Follower, 1)
	vote := raftEv(raft.EventVote, 3, raft.Follower, 1)
	vote.Raft.Other = 2
	viol := chaos.Event{Kind: chaos.EventViolation, Peer: 4, Violation: &chaos.Violation{Checker: "x", Peers: []int{4}}}
	all := items(
		raftEv(raft.EventRole, 0, raft.Leader, 1), // 1
		commit,                    // 2
		crash,                     // 3
		vote,                      // 4
		loss,                      // 5
		viol,                      // 6
		ev(chaos.EventPropose, 0), // 7
		raftEv(raft.EventTerm, 1, raft.Follower, 2), // 8
	)
	seqs := func(its []item) []uint64 {
		var s []uint64
		for _, it := range its {
			s = append(s, it.ev.Seq)
		}
		return s
	}
	tests := []struct {
		name   string
		filter int
		peer   int
		limit  int
		want   []uint64
	}{
		{"key events", 0, -1, 100, []uint64{1, 3, 5, 6}},
		{"with commits", 1, -1, 100, []uint64{1, 2, 3, 5, 6}},
		{"elections in detail", 2, -1, 100, []uint64{1, 4, 6, 8}},
		{"faults and steps", 3, -1, 100, []uint64{3, 5, 6}},
		{"everything", 4, -1, 100, []uint64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"the newest only", 4, -1, 3, []uint64{6, 7, 8}},
		{"peer 2: its crash, a vote for it, network-wide faults", 4, 2, 100, []uint64{3, 4, 5}},
		{"peer 4: its violation", 0, 4, 100, []uint64{5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := filterEvents(all, eventFilters[tt.filter], tt.peer)
			var its []item
			for _, r := range rows[max(0, len(rows)-tt.limit):] {
				its = append(its, r.it)
			}
			got := seqs(its)
			if !slicesEqual(got, tt.want) {
				t.Errorf("filter %q peer %d: got events %v, want %v", eventFilters[tt.filter].name, tt.peer, got, tt.want)
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRenderEventsScroll(t *testing.T) {
	var es []chaos.Event
	for i := range 10 {
		es = append(es, chaos.Event{Kind: chaos.EventNote, Peer: -1, Text: "note " + string(rune('a'+i))})
	}
	rows := filterEvents(items(es...), eventFilters[0], -1)
	tests := []struct {
		anchor    uint64
		wantFirst string
		wantLast  string
	}{
		{0, "note g", "note j"},
		{8, "note e", "note h"},
		{4, "note a", "note d"},
	}
	for _, tt := range tests {
		ls := renderEvents(rows, eventsView{what: "key events", anchor: tt.anchor}, 60, 5)
		if len(ls) != 5 {
			t.Fatalf("anchor %d: %d lines, want 5", tt.anchor, len(ls))
		}
		if !strings.HasSuffix(ls[1].String(), tt.wantFirst) || !strings.HasSuffix(ls[4].String(), tt.wantLast) {
			t.Errorf("anchor %d: lines %q .. %q, want %q .. %q", tt.anchor, ls[1], ls[4], tt.wantFirst, tt.wantLast)
		}
		if newer := strings.Contains(ls[0].String(), "newer below"); newer != (tt.anchor != 0) {
			t.Errorf("anchor %d: title %q", tt.anchor, ls[0])
		}
	}
	if ls := renderEvents(nil, eventsView{}, 60, 5); len(ls) != 2 || !strings.Contains(ls[1].String(), "nothing") {
		t.Errorf("no events: %q", ls)
	}
}

func TestRenderHeaderBanner(t *testing.T) {
	f := emptyFrame()
	f.snap.Peers = []chaos.PeerStatus{peer(0, raft.Leader, 2, 0, 0, 0)}
	f.leader = 0
	ls := renderHeader(f, Caps{Speed: true}, 100)
	if !strings.Contains(ls[1].String(), "safety checks pass") || !strings.Contains(ls[1].String(), "leader 0 (term 2)") {
		t.Errorf("healthy header: %q", ls[1])
	}
	f.snap.Run.Failure = &chaos.Violation{Checker: "election-safety", Message: "peers 0 and 1 both lead term 2", At: 1500 * time.Millisecond}
	ls = renderHeader(f, Caps{Speed: true}, 100)
	got := ls[1].String()
	if !strings.Contains(got, "VIOLATION election-safety at 1.5s: peers 0 and 1 both lead term 2") {
		t.Errorf("banner %q does not name the violation", got)
	}
	if ls[1].width() != 100 {
		t.Errorf("banner is %d wide, want the whole 100", ls[1].width())
	}
	for x := 0; x < 100; x++ {
		if st, _ := ls[1].styleAt(x); st != stBanner {
			t.Fatalf("banner cell %d is not red", x)
		}
	}
}

func TestSpeedText(t *testing.T) {
	tests := []struct {
		speed float64
		caps  Caps
		want  string
	}{
		{1, Caps{Speed: true}, "1x"},
		{0.25, Caps{Speed: true}, "0.25x"},
		{0, Caps{Speed: true}, "max speed"},
		{1, Caps{}, "real time"},
	}
	for _, tt := range tests {
		if got := speedText(runmodel.State{Speed: tt.speed}, tt.caps); got != tt.want {
			t.Errorf("speedText(%g, %+v) = %q, want %q", tt.speed, tt.caps, got, tt.want)
		}
	}
}

func TestRenderPeers(t *testing.T) {
	peers := []chaos.PeerStatus{
		peer(0, raft.Leader, 3, 12, 10, 0, raft.TermRun{Index: 1, Term: 3}),
		peer(1, raft.Follower, 3, 12, 10, 0, raft.TermRun{Index: 1, Term: 3}),
		peer(2, raft.Follower, 2, 5, 5, 0, raft.TermRun{Index: 1, Term: 2}),
	}
	peers[0].Progress = []raft.Progress{{}, {Match: 12, Next: 13, State: raft.Replicate}, {Match: 0, Next: 6, State: raft.Probe}}
	peers[2].State = chaos.Crashed
	peers[1].ClockRate = 2
	net := chaos.NewNetState(3)
	net.Apply(chaos.Fault{Kind: chaos.Isolate, Peers: []int{2}})
	f := &frame{leader: 0, snap: Snapshot{Peers: peers, Net: net}}
	tests := []struct {
		w       int
		want    []string
		notWant []string
	}{
		{120, []string{"leader's match/next", "12/13 replicate", "0/6 probe", "(leader)", "clock", "2x", "crashed", "group"}, nil},
		{80, []string{"id", "state", "role", "term", "voted", "last i/t", "commit", "applied", "snap", "group"}, []string{"match/next"}},
		{40, []string{"id", "state", "role"}, []string{"commit"}},
	}
	for _, tt := range tests {
		ls := renderPeers(f, 1, false, tt.w)
		var text []string
		for _, l := range ls {
			if l.width() > tt.w {
				t.Errorf("width %d: line %q is %d wide", tt.w, l, l.width())
			}
			text = append(text, l.String())
		}
		all := strings.Join(text, "\n")
		for _, s := range tt.want {
			if !strings.Contains(all, s) {
				t.Errorf("width %d: peers table lacks %q:\n%s", tt.w, s, all)
			}
		}
		for _, s := range tt.notWant {
			if strings.Contains(all, s) {
				t.Errorf("width %d: peers table has %q, which does not fit:\n%s", tt.w, s, all)
			}
		}
		if !strings.HasPrefix(text[2], "▶  1") {
			t.Errorf("width %d: selected row %q lacks the marker", tt.w, text[2])
		}
	}
}

func TestRenderPeersFollowNote(t *testing.T) {
	f := &frame{leader: 0, snap: Snapshot{Peers: []chaos.PeerStatus{peer(0, raft.Leader, 1, 0, 0, 0)}, Net: chaos.NewNetState(1)}}
	if got := renderPeers(f, 0, true, 120)[0]; !strings.HasSuffix(got.String(), "▶ follows the leader ") || got.width() != 120 {
		t.Errorf("following, title %q (%d wide)", got, got.width())
	}
	if got := renderPeers(f, 0, false, 120)[0].String(); strings.Contains(got, "follows") {
		t.Errorf("not following, title %q", got)
	}
}

func TestRenderTimeline(t *testing.T) {
	run := runmodel.State{Name: "demo", Current: 5}
	for i := range 12 {
		st := runmodel.StepDone
		switch {
		case i == 5:
			st = runmodel.StepRunning
		case i > 5:
			st = runmodel.StepPending
		}
		run.Steps = append(run.Steps, runmodel.StepState{Text: "step " + string(rune('a'+i)), Status: st})
	}
	ls := renderTimeline(run, Caps{}, 40, 5)
	if len(ls) != 5 {
		t.Fatalf("%d lines, want 5", len(ls))
	}
	var found bool
	for _, l := range ls[1:] {
		if strings.Contains(l.String(), "▶") && strings.Contains(l.String(), "step f") {
			found = true
		}
	}
	if !found {
		t.Errorf("the running step is not shown: %q", ls)
	}
	if !strings.Contains(ls[0].String(), "step 6 of 12") {
		t.Errorf("title %q", ls[0])
	}
}

func TestComputeLayout(t *testing.T) {
	tests := []struct {
		w, h, n  int
		kv       bool
		tooSmall bool
		compact  bool
	}{
		{80, 24, 3, false, false, false},
		{80, 24, 5, false, false, false},
		{80, 24, 7, false, false, true},
		{80, 24, 9, false, false, true},
		{80, 24, 14, false, false, true},
		{80, 24, 15, false, true, false},
		{80, 25, 15, false, false, true},
		{120, 40, 3, false, false, false},
		{120, 40, 5, true, false, false},
		{120, 40, 9, false, false, false},
		{120, 40, 15, false, false, true},
		{120, 40, 15, true, false, true},
		{200, 60, 15, true, false, false},
		{59, 24, 5, false, true, false},
		{80, 14, 5, false, true, false},
		{80, 15, 5, false, false, true},
	}
	for _, tt := range tests {
		l := computeLayout(tt.w, tt.h, tt.n, tt.kv)
		if l.tooSmall != tt.tooSmall || l.compact != tt.compact {
			t.Errorf("%dx%d with %d peers: tooSmall %v, compact %v; want %v, %v", tt.w, tt.h, tt.n, l.tooSmall, l.compact, tt.tooSmall, tt.compact)
			continue
		}
		if l.tooSmall {
			if tt.h >= minHeight(tt.n) && tt.w >= minWidth {
				t.Errorf("%dx%d with %d peers: too small, yet minHeight says %d", tt.w, tt.h, tt.n, minHeight(tt.n))
			}
			continue
		}
		rs := map[string]rect{"header": l.header, "peers": l.peers, "logs": l.logs, "events": l.events, "net": l.net,
			"clients": l.clients, "timeline": l.timeline, "bottom": l.bottom}
		for name, r := range rs {
			if r.x < 0 || r.y < 0 || r.x+r.w > tt.w || r.y+r.h > tt.h {
				t.Errorf("%dx%d: %s %+v is off the screen", tt.w, tt.h, name, r)
			}
			for other, o := range rs {
				if name < other && r.w > 0 && r.h > 0 && o.w > 0 && o.h > 0 &&
					r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h {
					t.Errorf("%dx%d: %s %+v overlaps %s %+v", tt.w, tt.h, name, r, other, o)
				}
			}
		}
		if l.peers.h != tt.n+1 || l.compact != (l.logs.h == 0) || !l.compact && l.logs.h != tt.n+1 || l.events.h < minZone {
			t.Errorf("%dx%d: peers %d, logs %d, events %d lines", tt.w, tt.h, l.peers.h, l.logs.h, l.events.h)
		}
		if l.events.w < 30 {
			t.Errorf("%dx%d: the events get %d columns", tt.w, tt.h, l.events.w)
		}
		if tt.kv && l.clients.h < clientsMinRows || !tt.kv && l.clients.h != 0 {
			t.Errorf("%dx%d, kv %v: the clients get %d lines", tt.w, tt.h, tt.kv, l.clients.h)
		}
		if l.timeline.h < 2 {
			t.Errorf("%dx%d: the timeline gets %d lines", tt.w, tt.h, l.timeline.h)
		}
	}
}

func TestBarErrorLine(t *testing.T) {
	tests := []struct {
		text      string
		err       error
		highlight string
		message   string
	}{
		{"crsh 2", &scenario.Error{Pos: scenario.Pos{Col: 1}, Token: "crsh", Msg: "unknown command"}, "crsh", `col 1: unknown command "crsh"`},
		{"crash 9", &scenario.Error{Pos: scenario.Pos{Col: 7}, Token: "9", Msg: "no such peer"}, "9", `col 7: no such peer "9"`},
		{"crash 1,", &scenario.Error{Pos: scenario.Pos{Col: 9}, Msg: "expected a peer id"}, " ", "col 9: expected a peer id"},
		{"whatever", errors.New("too many commands waiting"), "", "too many commands waiting"},
	}
	for _, tt := range tests {
		l := barErrorLine(tt.text, tt.err, 100)
		var hl strings.Builder
		for _, s := range l {
			if s.style == stErrTok {
				hl.WriteString(s.text)
			}
		}
		if hl.String() != tt.highlight {
			t.Errorf("%q: highlighted %q, want %q", tt.text, hl.String(), tt.highlight)
		}
		if !strings.Contains(l.String(), tt.message) {
			t.Errorf("%q: line %q lacks %q", tt.text, l, tt.message)
		}
	}
}

// Terms above 9 stay readable: letters a to z are terms 10 to 35, A to Z 36 to 61, and
// the logs' title names the terms above 9 in view.
func TestTermGlyphs(t *testing.T) {
	tests := []struct {
		term int
		want rune
	}{{1, '1'}, {9, '9'}, {10, 'a'}, {12, 'c'}, {30, 'u'}, {35, 'z'}, {36, 'A'}, {61, 'Z'}, {62, '1'}}
	for _, tt := range tests {
		if got := termGlyph(tt.term); got != tt.want {
			t.Errorf("termGlyph(%d) = %q, want %q", tt.term, got, tt.want)
		}
	}
	// A glyph and a colour tell apart every term up to 488.
	seen := map[string]int{}
	for term := 1; term <= 488; term++ {
		k := fmt.Sprintf("%c %v", termGlyph(term), termColor(term))
		if other, ok := seen[k]; ok {
			t.Fatalf("terms %d and %d look the same", other, term)
		}
		seen[k] = term
	}
	p := peer(0, raft.Leader, 30, 6, 6, 0, raft.TermRun{Index: 1, Term: 3}, raft.TermRun{Index: 3, Term: 10}, raft.TermRun{Index: 5, Term: 30})
	if got := logRow(p, 1, 6).String(); got != "33aauu" {
		t.Errorf("log of terms 3, 10 and 30: %q, want %q", got, "33aauu")
	}
	ls := renderLogs(&frame{snap: Snapshot{Peers: []chaos.PeerStatus{p}}}, 0, 60)
	if !strings.HasSuffix(strings.TrimRight(ls[0].String(), " "), "terms a=10 u=30") {
		t.Errorf("the logs' title %q does not name terms 10 and 30", ls[0])
	}
	// Out of view, no legend.
	if got := termLegend([]chaos.PeerStatus{p}, 1, 2); got != "" {
		t.Errorf("legend of entries of term 3: %q", got)
	}
}

// A peer standing for election again and again, with nothing else shown about it, is
// one line; a leader elected anywhere, or something about the peer, ends the fold.
func TestFoldElections(t *testing.T) {
	var es []chaos.Event
	stand := func(peer, term int) { es = append(es, raftEv(raft.EventRole, peer, raft.Candidate, term)) }
	es = append(es, raftEv(raft.EventRole, 0, raft.Leader, 2))
	for term := 3; term <= 14; term++ {
		stand(4, term) // peer 4, cut off, stands again and again
		if term == 8 {
			stand(3, 3) // another peer's once
		}
		if term == 10 { // a step of the scenario concerns every peer, but ends no fold
			es = append(es, chaos.Event{Kind: chaos.EventStep, Peer: -1, Line: 9, Text: "wait leader within 5s"})
		}
	}
	rows := filterEvents(items(es...), eventFilters[0], -1)
	var text []string
	for _, r := range rows {
		s, _ := r.text()
		text = append(text, s)
	}
	want := []string{"★ peer 0 is leader of term 2", "peer 3 stands for election in term 3", "» wait leader within 5s", "peer 4: 12 elections, terms 3-14, none won yet (since 0.0s)"}
	if !slicesEqual(text, want) {
		t.Errorf("rows:\n%q\nwant\n%q", text, want)
	}
	// A new leader ends the fold; so does a fault on the peer.
	es = append(es, raftEv(raft.EventRole, 0, raft.Leader, 15))
	stand(4, 16)
	stand(4, 17)
	es = append(es, chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Crash, Peers: []int{4}}})
	stand(4, 18)
	rows = filterEvents(items(es...), eventFilters[0], -1)
	text = nil
	for _, r := range rows[4:] {
		s, _ := r.text()
		text = append(text, s)
	}
	want = []string{"★ peer 0 is leader of term 15", "peer 4: 2 elections, terms 16-17, none won (since 0.0s)", "fault: crash 4", "peer 4 stands for election in term 18"}
	if !slicesEqual(text, want) {
		t.Errorf("rows:\n%q\nwant\n%q", text, want)
	}
	// Elections in detail: no folding (every event but the fault and the step shows).
	if rows := filterEvents(items(es...), eventFilters[2], -1); len(rows) != len(es)-2 {
		t.Errorf("in detail: %d rows for %d events, a fault and a step", len(rows), len(es)-2)
	}
}

// The header says where the timeline stands: the step running, the next one due, or
// that it is over and passed or failed.
func TestRenderHeaderTimeline(t *testing.T) {
	f := sampleFrame(3)
	line1 := func(f *frame, caps Caps) string { return renderHeader(f, caps, 160)[0].String() }
	if got := line1(f, Caps{Speed: true}); !strings.Contains(got, "▶ running") || !strings.Contains(got, "step 3/5: wait leader within 5s") {
		t.Errorf("running: %q", got)
	}
	f.snap.Run.Steps[2].Status = runmodel.StepDone
	if got := line1(f, Caps{Speed: true}); !strings.Contains(got, "next 4/5: at +3s restart crashed") {
		t.Errorf("between steps: %q", got)
	}
	for i := range f.snap.Run.Steps {
		f.snap.Run.Steps[i].Status = runmodel.StepDone
	}
	if got := line1(f, Caps{Speed: true}); !strings.Contains(got, "✓ scenario passed") || !strings.Contains(got, "all 5 steps done; the cluster keeps running") || strings.Contains(got, "running  ") {
		t.Errorf("over: %q", got)
	}
	f.snap.Run.Duration = 20 * time.Second
	if got := line1(f, Caps{Speed: true}); !strings.Contains(got, "▶ running") || !strings.Contains(got, "steps done; the scenario runs to 20.0s") {
		t.Errorf("steps done, duration to go: %q", got)
	}
	f.snap.Run.Duration = 0
	f.snap.Run.Failure = &chaos.Violation{Checker: "expect", Message: "line 6: expect leaders == 3: failed"}
	if got := line1(f, Caps{Speed: true}); !strings.Contains(got, "✗ scenario failed") {
		t.Errorf("over, failed: %q", got)
	}
	f.snap.Run.Failure = nil
	f.snap.Run.Done = true
	f.snap.Run.Interrupted = &runmodel.Interruption{Step: 2, Steps: 5, Text: "at 3s crash leader"}
	if got := line1(f, Caps{Replay: true, Speed: true}); !strings.Contains(got, "REPLAY: END") || !strings.Contains(got, "interrupted at step 2 of 5") {
		t.Errorf("a replay of an interrupted run, at its end: %q", got)
	}
	ls := renderTimeline(f.snap.Run, Caps{Replay: true}, 40, 8)
	if last := ls[len(ls)-1].String(); !strings.Contains(last, "interrupted at step 2 of 5") {
		t.Errorf("the timeline ends %q", last)
	}
}

// With a kv workload, the header counts its operations and names its rate.
func TestRenderHeaderKV(t *testing.T) {
	f := sampleFrame(3)
	f.snap.Run.Rate, f.snap.Run.Workload = 0, runmodel.WorkloadStats{}
	f.snap.Run.KV = &runmodel.KVStats{Operations: 130, OK: 123, Clients: 10, Keys: 3}
	f.snap.Run.Clients = &runmodel.KVClients{Rate: 200, Answering: 181.5}
	got := renderHeader(f, Caps{Speed: true}, 160)[1].String()
	for _, want := range []string{"kv 123 ok, 182/s", "workload kv 200/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("header %q lacks %q", got, want)
		}
	}
	for _, not := range []string{"commits 0", "workload off"} {
		if strings.Contains(got, not) {
			t.Errorf("header %q says %q", got, not)
		}
	}
}

// The kv clients' view: answers per second, pending operations and for how long, how
// they ended, the check, and the last operations, newest first.
func TestRenderClients(t *testing.T) {
	ms := time.Millisecond
	run := runmodel.State{Now: 5 * time.Second,
		KV: &runmodel.KVStats{Operations: 130, OK: 120, TimedOut: 2, Clients: 10, Keys: 3, P50: 3 * ms, P99: 40 * ms, Retries: 7},
		Clients: &runmodel.KVClients{Rate: 200, Answering: 181, Pending: 3, Oldest: 3500 * ms, Recent: []chaos.ClientOp{
			{Client: 1, Seq: 4, Op: "put", Key: "k1", Input: "1.4;", Status: chaos.ClientOK, Peer: 2, Index: 40, Call: 4900 * ms, Return: 4903 * ms},
			{Client: 2, Seq: 9, Op: "get", Key: "k0", Output: "1.4;", Status: chaos.ClientOK, Peer: 2, Index: 41, Call: 4901 * ms, Return: 4904 * ms},
		}}}
	text := func(ls []line) string {
		var s []string
		for _, l := range ls {
			s = append(s, l.String())
		}
		return strings.Join(s, "\n")
	}
	got := text(renderClients(run, 60, 8))
	for _, want := range []string{"KV clients  10 clients, 3 keys", "181 ops/s (asked 200)", "3 pending since 1.5s", "120 ok 2 timed out",
		"p50 3ms p99 40ms", "checked when the timeline is over", `c2 get k0 → "1.4;" from 2 in 3ms`, `c1 put k1 "1.4;" ok from 2 in 3ms`} {
		if !strings.Contains(got, want) {
			t.Errorf("clients view lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "c2 get") > strings.Index(got, "c1 put") {
		t.Errorf("the newest operation is not first:\n%s", got)
	}
	run.Clients.Check, run.Clients.CheckAt = &chaos.KVCheck{Outcome: "linearizable", Operations: 120}, 6*time.Second
	if got := text(renderClients(run, 60, 8)); !strings.Contains(got, "✓ linearizable: 120 operations to 6.0s") {
		t.Errorf("after the check:\n%s", got)
	}
	run.Clients.Check = &chaos.KVCheck{Outcome: "not linearizable", Key: "k1", Operations: 120}
	if got := text(renderClients(run, 60, 8)); !strings.Contains(got, "✗ not linearizable: key k1") {
		t.Errorf("a failed check:\n%s", got)
	}
	if got := renderClients(run, 60, 4); len(got) != 4 {
		t.Errorf("in 4 lines: %d", len(got))
	}
}
