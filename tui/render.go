package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// The render functions turn a frame and the view's state into lines of styled text.
// They are pure (same input, same lines), so they are tested table-driven, and the
// widgets only draw what they return.

// Styles.
var (
	stDefault  = tcell.StyleDefault
	stDim      = tcell.StyleDefault.Foreground(tcell.ColorGray)
	stBold     = tcell.StyleDefault.Bold(true)
	stTitle    = tcell.StyleDefault.Background(tcell.ColorTeal).Foreground(tcell.ColorWhite).Bold(true)
	stTitleDim = tcell.StyleDefault.Background(tcell.ColorTeal).Foreground(tcell.ColorBlack)
	stOK       = tcell.StyleDefault.Foreground(tcell.ColorGreen)
	stBad      = tcell.StyleDefault.Foreground(tcell.ColorRed).Bold(true)
	stWarn     = tcell.StyleDefault.Foreground(tcell.ColorYellow)
	stInfo     = tcell.StyleDefault.Foreground(tcell.ColorAqua)
	stBanner   = tcell.StyleDefault.Background(tcell.ColorRed).Foreground(tcell.ColorWhite).Bold(true)
	stPaused   = tcell.StyleDefault.Background(tcell.ColorYellow).Foreground(tcell.ColorBlack).Bold(true)
	stSelected = tcell.StyleDefault.Background(tcell.ColorNavy)
	stKey      = tcell.StyleDefault.Foreground(tcell.ColorYellow).Bold(true)
	stErrTok   = tcell.StyleDefault.Background(tcell.ColorRed).Foreground(tcell.ColorWhite).Bold(true)
)

// termPalette colours log entries by term; terms cycle through it.
var termPalette = []tcell.Color{
	tcell.ColorRed, tcell.ColorGreen, tcell.ColorYellow, tcell.ColorBlue,
	tcell.ColorFuchsia, tcell.ColorAqua, tcell.ColorOrange, tcell.ColorLime,
}

// termColor returns the colour of entries of term t.
func termColor(t int) tcell.Color {
	if t <= 0 {
		return tcell.ColorGray
	}
	return termPalette[(t-1)%len(termPalette)]
}

// roleStyle returns the style a peer's role is shown in.
func roleStyle(p chaos.PeerStatus) tcell.Style {
	if p.State == chaos.Crashed {
		return stDim
	}
	switch p.Role {
	case raft.Leader:
		return tcell.StyleDefault.Foreground(tcell.ColorGreen).Bold(true)
	case raft.Candidate:
		return tcell.StyleDefault.Foreground(tcell.ColorYellow).Bold(true)
	case raft.PreCandidate:
		return tcell.StyleDefault.Foreground(tcell.ColorOlive)
	}
	return stDefault
}

// roleName is the role column's text.
func roleName(p chaos.PeerStatus) string {
	if p.State == chaos.Crashed {
		return "-"
	}
	if p.Role == raft.PreCandidate {
		return "pre-cand"
	}
	return p.Role.String()
}

// stateStyle returns the style of a peer's up/crashed/paused state.
func stateStyle(s chaos.PeerState) tcell.Style {
	switch s {
	case chaos.Crashed:
		return stBad
	case chaos.Paused:
		return stWarn
	}
	return stOK
}

// seconds renders a cluster time.
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// speedText renders a pace.
func speedText(run runmodel.State, caps Caps) string {
	switch {
	case !caps.Speed:
		return "real time"
	case run.Speed <= 0:
		return "max speed"
	}
	return strconv.FormatFloat(run.Speed, 'g', 4, 64) + "x"
}

// renderHeader renders the two header lines: who and when, then the checkers' state
// (a red banner naming the first violation).
func renderHeader(f *frame, caps Caps, w int) []line {
	run := f.snap.Run
	var l1 line
	l1.add(" MiniRaft ", stTitle)
	name := run.Name
	if name == "" {
		name = "(no scenario)"
	}
	l1.add(" "+name+"  ", stBold)
	l1.add("t="+seconds(run.Now)+"  ", stBold)
	switch {
	case run.Done && caps.Replay:
		l1.add(" REPLAY: END (space replays) ", stBanner)
	case run.Done:
		l1.add(" STOPPED ", stBanner)
	case run.Paused && caps.Replay:
		l1.add(" REPLAY PAUSED (space plays) ", stPaused)
	case run.Paused:
		l1.add(" PAUSED (space resumes) ", stPaused)
	case caps.Replay:
		l1.add("▶ replaying", stOK)
	default:
		l1.add("▶ running", stOK)
	}
	l1.add(fmt.Sprintf("  %s  %s engine  seed %d  %d peers", speedText(run, caps), run.Engine, run.Seed, len(f.snap.Peers)), stDefault)
	if run.Current >= 0 && run.Current < len(run.Steps) && l1.width()+20 < w {
		st := run.Steps[run.Current]
		l1.add(fmt.Sprintf("  step %d/%d: ", run.Current+1, len(run.Steps)), stDim)
		l1.add(fit(st.Text, w-l1.width()), stDefault)
	}

	var l2 line
	if v := run.Failure; v != nil {
		what := "VIOLATION " + v.Checker
		if v.Checker == "expect" {
			what = "EXPECTATION FAILED"
		}
		l2.add(fit(fmt.Sprintf(" ✗ %s at %s: %s", what, seconds(v.At), v.Message), w), stBanner)
		l2.pad(w, stBanner)
		return []line{l1, l2}
	}
	l2.add(" ✓ safety checks pass", stOK)
	leader := chaos.LeaderOf(f.snap.Peers)
	if leader != raft.None {
		l2.add(fmt.Sprintf("   leader %d (term %d)", leader, f.snap.Peers[leader].Term), roleStyle(f.snap.Peers[leader]))
	} else {
		l2.add("   no leader", stWarn)
	}
	wl := run.Workload
	l2.add(fmt.Sprintf("   commits %d", wl.Committed), stDefault)
	if wl.Lost > 0 {
		l2.add(fmt.Sprintf(" lost %d", wl.Lost), stWarn)
	}
	if run.Rate > 0 {
		l2.add(fmt.Sprintf("   workload %g/s", run.Rate), stDefault)
	} else {
		l2.add("   workload off", stDim)
	}
	l2.add(fmt.Sprintf("   elections %d   faults %d   RPCs %d", run.Checks.Elections, run.Faults, f.snap.Stats.RPCs), stDefault)
	return []line{l1, l2}
}

// column is one column of the peers table.
type column struct {
	title string
	width int
	right bool
	cell  func(id int, p chaos.PeerStatus, f *frame) (string, tcell.Style)
}

func num(n int) string {
	return strconv.Itoa(n)
}

// peerColumns returns the columns of the peers table that fit in w cells, in order.
// Some appear only when they say something: clock when a clock is skewed, the leader's
// view when there is a leader.
func peerColumns(f *frame, w int) []column {
	peers := f.snap.Peers
	cols := []column{
		{"id", 3, true, func(id int, _ chaos.PeerStatus, _ *frame) (string, tcell.Style) { return num(id), stBold }},
		{"state", 8, false, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return p.State.String(), stateStyle(p.State)
		}},
		{"role", 9, false, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return roleName(p), roleStyle(p)
		}},
		{"term", 5, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return num(p.Term), tcell.StyleDefault.Foreground(termColor(p.Term))
		}},
		{"voted", 6, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			if p.VotedFor == raft.None {
				return "-", stDim
			}
			return num(p.VotedFor), stDefault
		}},
		{"last i/t", 10, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return fmt.Sprintf("%d/%d", p.LastIndex, p.LastTerm), stDefault
		}},
		{"commit", 7, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return num(p.CommitIndex), stDefault
		}},
		{"applied", 8, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			return num(p.LastApplied), stDefault
		}},
		{"snap", 6, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			if p.SnapshotIndex == 0 {
				return "-", stDim
			}
			return num(p.SnapshotIndex), stDefault
		}},
		{"group", 6, true, func(id int, _ chaos.PeerStatus, f *frame) (string, tcell.Style) {
			g := f.snap.Net.Groups
			if id >= len(g) || g[id] == 0 {
				return "-", stDim
			}
			return num(g[id]), stWarn
		}},
	}
	skewed := slices.ContainsFunc(peers, func(p chaos.PeerStatus) bool { return p.ClockRate != 0 && p.ClockRate != 1 })
	if skewed {
		cols = append(cols, column{"clock", 7, true, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			if p.ClockRate == 0 || p.ClockRate == 1 {
				return "1x", stDim
			}
			return strconv.FormatFloat(p.ClockRate, 'g', 3, 64) + "x", stWarn
		}})
	}
	if f.leader != raft.None && len(peers[f.leader].Progress) == len(peers) {
		prog := peers[f.leader].Progress
		cols = append(cols, column{"leader's match/next", 22, false, func(id int, _ chaos.PeerStatus, f *frame) (string, tcell.Style) {
			if id == f.leader {
				return "  (leader)", stDim
			}
			pr := prog[id]
			st := stDefault
			if pr.State != raft.Replicate {
				st = stWarn
			}
			return fmt.Sprintf("  %d/%d %s", pr.Match, pr.Next, pr.State), st
		}})
	}
	// Keep the columns that fit, in order.
	used := 1 // the selection marker
	for i, c := range cols {
		if used+c.width+1 > w {
			return cols[:i]
		}
		used += c.width + 1
	}
	return cols
}

// renderPeers renders the peers table: a title row of column names, then one row per
// peer, the selected one highlighted. following says that the selection follows the
// leader.
func renderPeers(f *frame, sel int, following bool, w int) []line {
	cols := peerColumns(f, w)
	var head line
	head.add(" ", stTitle)
	for _, c := range cols {
		head.add(cell(c.title, c.width, c.right)+" ", stTitle)
	}
	if note := "  ▶ follows the leader"; following && head.width()+textWidth(note)+1 <= w {
		head.pad(w-textWidth(note)-1, stTitle)
		head.add(note, stTitleDim)
	}
	head.pad(w, stTitle)
	out := []line{head}
	for id, p := range f.snap.Peers {
		var l line
		base := stDefault
		marker := " "
		if id == sel {
			base = stSelected
			marker = "▶"
		}
		l.add(marker, base.Bold(true))
		for _, c := range cols {
			text, st := c.cell(id, p, f)
			if p.State == chaos.Crashed && c.title != "state" && c.title != "id" {
				st = stDim
			}
			if id == sel {
				st = st.Background(tcell.ColorNavy)
			}
			l.add(cell(text, c.width, c.right), st)
			l.add(" ", base)
		}
		if id == sel {
			l.pad(w, base)
		}
		out = append(out, l)
	}
	return out
}

// cell pads or cuts s to w cells, aligned right or left.
func cell(s string, w int, right bool) string {
	s = fit(s, w)
	pad := strings.Repeat(" ", max(0, w-textWidth(s)))
	if right {
		return pad + s
	}
	return s + pad
}

// logLabelWidth is the width of the label before each log row.
const logLabelWidth = 10

// logWindow returns the first and last index the logs view shows in cells cells:
// the tail of the longest log.
func logWindow(peers []chaos.PeerStatus, cells int) (lo, hi int) {
	for _, p := range peers {
		hi = max(hi, p.LastIndex)
	}
	lo = max(1, hi-cells+1)
	return lo, max(hi, lo+cells-1)
}

// roleAbbrev is the short role shown in the logs view's labels.
func roleAbbrev(p chaos.PeerStatus) string {
	switch {
	case p.State == chaos.Crashed:
		return "down"
	case p.State == chaos.Paused:
		return "paus"
	case p.Role == raft.Leader:
		return "lead"
	case p.Role == raft.Candidate:
		return "cand"
	case p.Role == raft.PreCandidate:
		return "pre"
	}
	return "foll"
}

// renderLogs renders the logs in the manner of RaftScope: one row per peer, one cell
// per entry aligned by index across peers, its digit and colour the entry's term,
// filled when committed; entries compacted into a snapshot show as a grey block. The
// window follows the tail of the longest log. The first line is a ruler of indexes.
func renderLogs(f *frame, sel, w int) []line {
	cells := max(1, w-logLabelWidth)
	lo, hi := logWindow(f.snap.Peers, cells)
	out := []line{logRuler(lo, hi, w)}
	for id, p := range f.snap.Peers {
		var l line
		lab, marker := roleStyle(p), " "
		if id == sel {
			lab, marker = lab.Background(tcell.ColorNavy), "▶"
		}
		l.add(cell(fmt.Sprintf("%s%2d %s", marker, id, roleAbbrev(p)), logLabelWidth-1, false)+" ", lab)
		l = append(l, logRow(p, lo, hi)...)
		out = append(out, l)
	}
	return out
}

// logRuler renders the title row of the logs view: its name, then the index of every
// tenth entry above its cell.
func logRuler(lo, hi, w int) line {
	buf := []rune(cell(" Logs", logLabelWidth, false))
	for i := lo; i <= hi; i++ {
		buf = append(buf, ' ')
	}
	for i := lo; i <= hi; i++ {
		if i%10 != 0 && i != lo {
			continue
		}
		s := strconv.Itoa(i)
		at := logLabelWidth + i - lo
		if at+len(s) > len(buf) {
			continue
		}
		if i == lo && i%10 != 0 && lo+len(s)+1 > ((lo/10)+1)*10 {
			continue // the first index would run into the next tenth's label
		}
		copy(buf[at:], []rune(s))
	}
	var l line
	l.add(string(buf[:min(len(buf), w)]), stTitle)
	l.pad(w, stTitle)
	return l
}

// logRow renders one peer's log entries lo..hi.
func logRow(p chaos.PeerStatus, lo, hi int) line {
	var l line
	dead := p.State == chaos.Crashed
	// The snapshot: a grey block, labelled if there is room.
	snapEnd := min(p.SnapshotIndex, hi)
	if snapEnd >= lo {
		n := snapEnd - lo + 1
		block := []rune(strings.Repeat("▒", n))
		if label := []rune(fmt.Sprintf("snap≤%d", p.SnapshotIndex)); n >= len(label)+2 {
			copy(block[n-len(label)-1:], label)
		}
		l.add(string(block), tcell.StyleDefault.Foreground(tcell.ColorGray).Background(tcell.ColorBlack))
	}
	// The entries, walking the term runs alongside.
	runs := p.Terms
	ri := 0
	var b strings.Builder
	var cur tcell.Style
	flush := func() {
		if b.Len() > 0 {
			l.add(b.String(), cur)
			b.Reset()
		}
	}
	for i := max(lo, p.SnapshotIndex+1); i <= hi; i++ {
		var st tcell.Style
		ch := ' '
		if i <= p.LastIndex {
			for ri+1 < len(runs) && runs[ri+1].Index <= i {
				ri++
			}
			t := 0
			if ri < len(runs) && runs[ri].Index <= i {
				t = runs[ri].Term
			}
			ch = rune('0' + t%10)
			c := termColor(t)
			if i <= p.CommitIndex {
				st = tcell.StyleDefault.Background(c).Foreground(tcell.ColorBlack)
			} else {
				st = tcell.StyleDefault.Foreground(c).Bold(true)
			}
			if dead {
				st = st.Dim(true)
			}
		}
		if st != cur {
			flush()
			cur = st
		}
		b.WriteRune(ch)
	}
	flush()
	return l
}

// netSymbol returns how the network view shows the link from -> to.
func netSymbol(n chaos.NetState, from, to int) (string, tcell.Style) {
	if from == to {
		return " ", stDefault
	}
	if n.Cut[from][to] {
		return "X", stBad
	}
	lf := n.Links[from][to]
	switch {
	case lf.Loss > 0:
		return "L", stWarn.Bold(true)
	case lf.DelayMax > 0:
		return "S", stInfo.Bold(true)
	case lf.Reorder > 0:
		return "R", tcell.StyleDefault.Foreground(tcell.ColorFuchsia).Bold(true)
	case lf.Duplicate > 0:
		return "D", tcell.StyleDefault.Foreground(tcell.ColorBlue).Bold(true)
	}
	return "·", stOK
}

// linkText describes link settings, or "" for a healthy link.
func linkText(lf chaos.LinkFaults) string {
	var parts []string
	if lf.Loss > 0 {
		parts = append(parts, fmt.Sprintf("loss %g%%", lf.Loss*100))
	}
	if lf.DelayMax > 0 {
		if lf.DelayMin == lf.DelayMax {
			parts = append(parts, fmt.Sprintf("delay %v", lf.DelayMax))
		} else {
			parts = append(parts, fmt.Sprintf("delay %v-%v", lf.DelayMin, lf.DelayMax))
		}
	}
	if lf.Reorder > 0 {
		parts = append(parts, fmt.Sprintf("reorder %g%%", lf.Reorder*100))
	}
	if lf.Duplicate > 0 {
		parts = append(parts, fmt.Sprintf("duplicate %g%%", lf.Duplicate*100))
	}
	return strings.Join(parts, ", ")
}

// renderNetwork renders the network: a matrix of directed links (row: from, column:
// to), a legend, the settings on every link and the partition groups, as much as fits
// in h lines.
func renderNetwork(n chaos.NetState, w, h int) []line {
	var title line
	title.add(" Network", stTitle)
	title.add("  row → column", stTitleDim)
	title.pad(w, stTitle)
	out := []line{title}
	var head line
	head.add("from\\to", stDim)
	for j := range n.Cut {
		head.add(fmt.Sprintf("%2d", j), stBold)
	}
	out = append(out, head)
	for i := range n.Cut {
		var l line
		l.add(fmt.Sprintf("%5d  ", i), stBold)
		for j := range n.Cut {
			s, st := netSymbol(n, i, j)
			l.add(" ", stDefault)
			l.add(s, st)
		}
		out = append(out, l)
	}
	var extra []line
	if g := linkText(n.Global); g != "" {
		var l line
		l.add("all links: ", stDim)
		l.add(g, stWarn)
		extra = append(extra, l)
	}
	if groups := groupText(n.Groups); groups != "" {
		var l line
		l.add("partitioned: ", stDim)
		l.add(groups, stWarn)
		extra = append(extra, l)
	}
	var legend line
	for _, x := range []struct{ sym, what string }{{"·", "up"}, {"X", "cut"}, {"L", "lossy"}, {"S", "slow"}, {"R", "reorder"}, {"D", "dup"}} {
		if legend.width()+len(x.what)+3 > w {
			extra = append(extra, legend)
			legend = nil
		}
		s, st := symbolStyle(x.sym)
		legend.add(s, st)
		legend.add(" "+x.what+" ", stDim)
	}
	extra = append(extra, legend)
	for _, l := range extra {
		if len(out) < h {
			out = append(out, l)
		}
	}
	if len(out) > h {
		out = out[:max(h, 0)]
	}
	return out
}

func symbolStyle(sym string) (string, tcell.Style) {
	n := chaos.NewNetState(2)
	switch sym {
	case "X":
		n.Cut[0][1] = true
	case "L":
		n.Links[0][1].Loss = 1
	case "S":
		n.Links[0][1].DelayMax = 1
	case "R":
		n.Links[0][1].Reorder = 1
	case "D":
		n.Links[0][1].Duplicate = 1
	}
	return netSymbol(n, 0, 1)
}

// groupText renders partition groups as {0,1} {2,3,4}, or "" when connected.
func groupText(groups []int) string {
	byGroup := map[int][]string{}
	var order []int
	for id, g := range groups {
		if g == 0 {
			continue
		}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], strconv.Itoa(id))
	}
	if len(order) == 0 {
		return ""
	}
	var parts []string
	for _, g := range order {
		parts = append(parts, "{"+strings.Join(byGroup[g], ",")+"}")
	}
	return strings.Join(parts, " ")
}

// stepGlyph returns how the timeline shows a step's status.
func stepGlyph(s runmodel.StepStatus) (string, tcell.Style) {
	switch s {
	case runmodel.StepRunning:
		return "▶", stWarn.Bold(true)
	case runmodel.StepDone:
		return "✓", stOK
	case runmodel.StepSkipped:
		return "↷", stWarn
	case runmodel.StepFailed:
		return "✗", stBad
	}
	return "·", stDim
}

// renderTimeline renders the scenario's steps around the current one, in h lines.
func renderTimeline(run runmodel.State, w, h int) []line {
	var title line
	title.add(" Timeline", stTitle)
	if n := len(run.Steps); n > 0 {
		title.add(fmt.Sprintf("  %s  step %d of %d", run.Name, run.Current+1, n), stTitleDim)
	}
	title.pad(w, stTitle)
	out := []line{title}
	if len(run.Steps) == 0 {
		var l line
		l.add(" no timeline: type commands with :", stDim)
		return append(out, l)
	}
	rows := h - 1
	if rows <= 0 {
		return out[:max(h, 0)]
	}
	start := 0
	if run.Current >= 0 {
		start = max(0, min(run.Current-rows/3, len(run.Steps)-rows))
	}
	for i := start; i < len(run.Steps) && len(out) < h; i++ {
		st := run.Steps[i]
		g, gs := stepGlyph(st.Status)
		var l line
		l.add(" "+g+" ", gs)
		when := "      "
		if st.Status != runmodel.StepPending {
			when = fmt.Sprintf("%5.1fs", st.At.Seconds())
		}
		l.add(when+" ", stDim)
		ts := stDefault
		switch {
		case i == run.Current && st.Status == runmodel.StepRunning:
			ts = stBold
		case st.Status == runmodel.StepPending:
			ts = stDim
		}
		l.add(fit(st.Text, w-l.width()), ts)
		out = append(out, l)
	}
	return out
}
