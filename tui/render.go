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

// termGlyphs are the characters log entries show their term by: terms 1 to 9 as digits,
// 10 to 35 as a to z, 36 to 61 as A to Z; then round again (term 62 shows as 1), in
// another colour: a glyph and a colour tell terms apart over 488 terms, and the logs'
// legend names the terms above 9 in view.
const termGlyphs = "123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// termGlyph returns the character of entries of term t.
func termGlyph(t int) rune {
	if t <= 0 {
		return '0'
	}
	return rune(termGlyphs[(t-1)%len(termGlyphs)])
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

// part is a piece of a header line. When the line is too narrow, the pieces of lowest
// priority go first; the one that fills (the step) is cut to the room left instead.
type part struct {
	text  string
	style tcell.Style
	prio  int
	fill  bool
}

// fitParts lays parts out in order in w cells. It drops the pieces of lowest priority
// (the later of equals first) until the rest fit; but the filling piece is cut, down to
// minFill cells, before a piece of higher priority than its own goes, and before it
// goes itself.
func fitParts(parts []part, w int) line {
	const minFill = 12
	keep := make([]bool, len(parts))
	fill := -1
	for i, p := range parts {
		keep[i] = true
		if p.fill {
			fill = i
		}
	}
	width := func(cut bool) int {
		n := 0
		for i, p := range parts {
			switch {
			case !keep[i]:
			case i == fill && cut:
				n += min(textWidth(p.text), minFill)
			default:
				n += textWidth(p.text)
			}
		}
		return n
	}
	// drop drops the kept piece of lowest priority, of at most prio, but for the fill.
	drop := func(prio int) bool {
		d := -1
		for i, p := range parts {
			if keep[i] && i != fill && p.prio <= prio && (d < 0 || p.prio <= parts[d].prio) {
				d = i
			}
		}
		if d >= 0 {
			keep[d] = false
		}
		return d >= 0
	}
	fillPrio := -1
	if fill >= 0 {
		fillPrio = parts[fill].prio
	}
	for width(false) > w && drop(fillPrio) {
	}
	for width(true) > w && drop(1<<30) {
	}
	if fill >= 0 && width(true) > w {
		keep[fill] = false
	}
	var l line
	for i, p := range parts {
		switch {
		case !keep[i]:
		case i == fill:
			l.add(fit(p.text, w-width(false)+textWidth(p.text)), p.style)
		default:
			l.add(p.text, p.style)
		}
	}
	return l
}

// stepInfo says where the timeline stands: the step running, the next one due, or
// that the timeline is over; and whether that is news (bold) or background.
func stepInfo(run runmodel.State, caps Caps) (string, tcell.Style) {
	n := len(run.Steps)
	if in := run.Interrupted; in != nil {
		return in.String(), stWarn
	}
	if n == 0 {
		return "", stDim
	}
	if c := run.Current; c >= 0 && c < n && run.Steps[c].Status == runmodel.StepRunning {
		return fmt.Sprintf("step %d/%d: %s", c+1, n, run.Steps[c].Text), stDefault
	}
	for i := max(run.Current, 0); i < n; i++ {
		if run.Steps[i].Status == runmodel.StepPending {
			return fmt.Sprintf("next %d/%d: %s", i+1, n, run.Steps[i].Text), stDim
		}
	}
	if !run.TimelineOver() {
		return fmt.Sprintf("steps done; the scenario runs to %s", seconds(run.Duration)), stDim
	}
	done := "the step is done"
	if n > 1 {
		done = fmt.Sprintf("all %d steps done", n)
	}
	if caps.Replay {
		return done, stDim
	}
	return done + "; the cluster keeps running: break it", stDim
}

// verdictPart is the run's status once its timeline is over: passed, failed, or the
// kv workload's history still being checked.
func verdictPart(run runmodel.State) (string, tcell.Style) {
	switch {
	case run.Failure != nil:
		return "✗ scenario failed", stBad
	case run.Interrupted != nil:
		return "■ interrupted", stWarn
	case run.Clients != nil && run.Clients.Check == nil && (run.Clients.Pending > 0 || len(run.Clients.Recent) > 0):
		return "… checking linearizability", stWarn
	}
	return "✓ scenario passed", stOK.Bold(true)
}

// renderHeader renders the two header lines: who and when, with where the timeline
// stands; then the checkers' state (a red banner naming the first failure) and the
// figures. What does not fit goes, least important first.
func renderHeader(f *frame, caps Caps, w int) []line {
	run := f.snap.Run
	name := run.Name
	if name == "" {
		name = "(no scenario)"
	}
	status, stStatus := "▶ running", stOK
	over := run.TimelineOver() && len(run.Steps) > 0
	switch {
	case run.Done && caps.Replay:
		status, stStatus = " REPLAY: END (space replays) ", stBanner
	case run.Done:
		status, stStatus = " STOPPED ", stBanner
	case run.Paused && caps.Replay:
		status, stStatus = " REPLAY PAUSED (space plays) ", stPaused
	case run.Paused:
		status, stStatus = " PAUSED (space resumes) ", stPaused
	case caps.Replay:
		status = "▶ replaying"
	case over:
		status, stStatus = verdictPart(run)
	}
	step, stStep := stepInfo(run, caps)
	if step != "" {
		step = "  " + step
	}
	if over && (run.Done || run.Paused || caps.Replay) {
		// The banner took the status's place: the verdict goes with the steps.
		v, _ := verdictPart(run)
		step = "  " + v + ";" + strings.TrimPrefix(step, " ")
	}
	l1 := fitParts([]part{
		{" MiniRaft ", stTitle, 100, false},
		{" " + fit(name, 24) + "  ", stBold, 90, false},
		{"t=" + seconds(run.Now) + "  ", stBold, 95, false},
		{status, stStatus, 99, false},
		{"  " + speedText(run, caps), stDefault, 60, false},
		{fmt.Sprintf("  %d peers", len(f.snap.Peers)), stDefault, 50, false},
		{"  " + run.Engine + " engine", stDefault, 40, false},
		{fmt.Sprintf("  seed %d", run.Seed), stDefault, 30, false},
		{step, stStep, 80, true},
	}, w)

	if v := run.Failure; v != nil {
		what := "VIOLATION " + v.Checker
		if v.Checker == "expect" {
			what = "EXPECTATION FAILED"
		}
		var l2 line
		l2.add(fit(fmt.Sprintf(" ✗ %s at %s: %s", what, seconds(v.At), v.Message), w), stBanner)
		l2.pad(w, stBanner)
		return []line{l1, l2}
	}
	parts := []part{{" ✓ safety checks pass", stOK, 100, false}}
	if leader := chaos.LeaderOf(f.snap.Peers); leader != raft.None {
		parts = append(parts, part{fmt.Sprintf("   leader %d (term %d)", leader, f.snap.Peers[leader].Term), roleStyle(f.snap.Peers[leader]), 95, false})
	} else {
		parts = append(parts, part{"   no leader", stWarn, 95, false})
	}
	wl, kv := run.Workload, run.Clients
	if kv == nil || wl.Proposed > 0 || run.Rate > 0 {
		parts = append(parts, part{fmt.Sprintf("   commits %d", wl.Committed), stDefault, 80, false})
		if wl.Lost > 0 {
			parts = append(parts, part{fmt.Sprintf(" lost %d", wl.Lost), stWarn, 79, false})
		}
	}
	if kv != nil {
		ok := 0
		if run.KV != nil {
			ok = run.KV.OK
		}
		parts = append(parts, part{fmt.Sprintf("   kv %d ok, %.0f/s", ok, kv.Answering), stDefault, 85, false})
	}
	switch {
	case run.Rate > 0:
		parts = append(parts, part{fmt.Sprintf("   workload %g/s", run.Rate), stDefault, 70, false})
	case kv != nil && kv.Rate > 0:
		parts = append(parts, part{fmt.Sprintf("   workload kv %g/s", kv.Rate), stDefault, 70, false})
	default:
		parts = append(parts, part{"   workload off", stDim, 70, false})
	}
	parts = append(parts,
		part{fmt.Sprintf("   elections %d", run.Checks.Elections), stDefault, 50, false},
		part{fmt.Sprintf("   faults %d", run.Faults), stDefault, 45, false},
		part{fmt.Sprintf("   RPCs %d", f.snap.Stats.RPCs), stDefault, 30, false})
	return []line{l1, fitParts(parts, w)}
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
	return fitColumns(cols, w)
}

// fitColumns returns the first of cols that fit, in order, in w cells beside the
// selection marker, each with a space before it.
func fitColumns(cols []column, w int) []column {
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

// compactColumns returns the columns of the compact peers table (one row per peer with
// its log) that fit in w cells: the id, the role (which says crashed or paused too), the
// term and the commit index first.
func compactColumns(f *frame, w int) []column {
	all := peerColumns(f, 1<<20)
	byTitle := map[string]column{}
	for _, c := range all {
		byTitle[c.title] = c
	}
	cols := []column{byTitle["id"],
		{"role", 5, false, func(_ int, p chaos.PeerStatus, _ *frame) (string, tcell.Style) {
			st := roleStyle(p)
			if p.State != chaos.Up {
				st = stateStyle(p.State)
			}
			return roleAbbrev(p), st
		}},
		byTitle["term"], byTitle["commit"]}
	for _, t := range []string{"last i/t", "applied", "voted", "snap", "group", "clock"} {
		if c, ok := byTitle[t]; ok {
			cols = append(cols, c)
		}
	}
	return fitColumns(cols, w)
}

// renderCompact renders the peers and their logs as one table, for a screen too short
// for both: a title row of column names and the logs' ruler, then one row per peer with
// its main figures and its log (as renderLogs draws it).
func renderCompact(f *frame, sel int, following bool, w int) []line {
	cols := compactColumns(f, max(w/2, w-minLogCells))
	var head line
	head.add(" ", stTitle)
	for _, c := range cols {
		head.add(cell(c.title, c.width, c.right)+" ", stTitle)
	}
	labelW := head.width()
	cells := max(1, w-labelW)
	lo, hi := logWindow(f.snap.Peers, cells)
	head = append(head, logRuler("", 0, lo, hi, w-labelW)...)
	legend := termLegend(f.snap.Peers, lo, hi)
	if following && legend == "" {
		legend = "▶ follows the leader"
	}
	out := []line{withLegend(head, legend, w, w/2)}
	for id, p := range f.snap.Peers {
		var l line
		base, marker := stDefault, " "
		if id == sel {
			base, marker = stSelected, "▶"
		}
		l.add(marker, base.Bold(true))
		for _, c := range cols {
			text, st := c.cell(id, p, f)
			if p.State == chaos.Crashed && c.title != "role" && c.title != "id" {
				st = stDim
			}
			if id == sel {
				st = st.Background(tcell.ColorNavy)
			}
			l.add(cell(text, c.width, c.right), st)
			l.add(" ", base)
		}
		l = append(l, logRow(p, lo, hi)...)
		out = append(out, l)
	}
	return out
}

// minLogCells is the fewest entries the compact table keeps for the logs.
const minLogCells = 30

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
	out := []line{withLegend(logRuler(" Logs", logLabelWidth, lo, hi, w), termLegend(f.snap.Peers, lo, hi), w, w/2)}
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

// logRuler renders the title row of the logs: label in the first label cells, then the
// index of every tenth entry above its cell.
func logRuler(label string, labelWidth, lo, hi, w int) line {
	buf := []rune(cell(label, labelWidth, false))
	for i := lo; i <= hi; i++ {
		buf = append(buf, ' ')
	}
	for i := lo; i <= hi; i++ {
		if i%10 != 0 && i != lo {
			continue
		}
		s := strconv.Itoa(i)
		at := labelWidth + i - lo
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

// termLegend names the terms above 9 of the entries lo..hi of the peers' logs, by
// their glyph: "a=10 b=11"; or "" when every term in view shows as its digit.
func termLegend(peers []chaos.PeerStatus, lo, hi int) string {
	seen := map[int]bool{}
	for _, p := range peers {
		for i, r := range p.Terms {
			end := p.LastIndex
			if i+1 < len(p.Terms) {
				end = p.Terms[i+1].Index - 1
			}
			if r.Term > 9 && r.Index <= hi && end >= lo && end >= max(r.Index, p.SnapshotIndex+1) {
				seen[r.Term] = true
			}
		}
	}
	if len(seen) == 0 {
		return ""
	}
	terms := make([]int, 0, len(seen))
	for t := range seen {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = fmt.Sprintf("%c=%d", termGlyph(t), t)
	}
	return "terms " + strings.Join(parts, " ")
}

// withLegend writes legend over the right end of a title line w wide, keeping at least
// keep cells of the line; a legend too long for that is cut.
func withLegend(l line, legend string, w, keep int) line {
	if legend == "" {
		return l
	}
	legend = " " + legend + " "
	room := w - keep
	if textWidth(legend) > room {
		legend = fit(legend, room)
	}
	keep = w - textWidth(legend)
	var out line
	col := 0
	for _, s := range l {
		if col >= keep {
			break
		}
		text := []rune(s.text)
		if col+len(text) > keep {
			text = text[:keep-col]
		}
		out.add(string(text), s.style)
		col += len(text)
	}
	out.pad(keep, stTitle)
	out.add(legend, stTitleDim)
	return out
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
			ch = termGlyph(t)
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

// legend is what the network's symbols mean, in the order the legend shows them.
var legend = []struct{ sym, what string }{{"·", "up"}, {"X", "cut"}, {"L", "loss"}, {"S", "slow"}, {"R", "reord"}, {"D", "dup"}}

// legendWidth is the width of the legend beside the matrix: its widest entry;
// legendLineWidth its width on one line, below.
const (
	legendWidth     = 7
	legendLineWidth = 39
)

// Rows of the network view in summary form (a title and two lines).
const netSummaryRows = 3

// renderNetwork renders the network in w x h cells: a matrix of directed links (row:
// from, column: to) with its legend beside it (or below, if narrow), then the settings
// on every link and the partition groups, as much as fits. When the matrix does not fit,
// it says the same in words.
func renderNetwork(n chaos.NetState, w, h int) []line {
	peers := len(n.Cut)
	if h < peers+2 || w < matrixWidth(peers) {
		return renderNetSummary(n, w, h)
	}
	var title line
	title.add(" Network", stTitle)
	title.add("  row → column", stTitleDim)
	title.pad(w, stTitle)
	out := []line{title}
	cw := netColumn(peers)
	var head line
	head.add(`from\to`, stDim)
	for j := range n.Cut {
		head.add(fmt.Sprintf("%*d", cw, j), stBold)
	}
	out = append(out, head)
	for i := range n.Cut {
		var l line
		l.add(fmt.Sprintf("%5d  ", i), stBold)
		for j := range n.Cut {
			s, st := netSymbol(n, i, j)
			l.add(strings.Repeat(" ", cw-1), stDefault)
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
	if beside := w - matrixWidth(peers) - 1; beside >= legendWidth {
		// One entry a row, beside the header and the matrix's rows.
		for i, x := range legend {
			if 1+i >= len(out) {
				break
			}
			s, st := symbolStyle(x.sym)
			out[1+i] = append(out[1+i], span{strings.Repeat(" ", matrixWidth(peers)+1-out[1+i].width()), stDefault})
			out[1+i].add(s, st)
			out[1+i].add(" "+x.what, stDim)
		}
	} else {
		var l line
		for _, x := range legend {
			if l.width()+len(x.what)+3 > w {
				extra = append(extra, l)
				l = nil
			}
			s, st := symbolStyle(x.sym)
			l.add(s, st)
			l.add(" "+x.what+" ", stDim)
		}
		extra = append(extra, l)
	}
	for _, l := range extra {
		if len(out) < h {
			out = append(out, l)
		}
	}
	return out[:min(len(out), max(h, 0))]
}

// renderNetSummary says in words what the matrix shows, in h lines: the partition
// groups, the cut links and the link faults, or that every link is up.
func renderNetSummary(n chaos.NetState, w, h int) []line {
	var title line
	title.add(" Network", stTitle)
	title.pad(w, stTitle)
	out := []line{title}
	var parts []string
	if groups := groupText(n.Groups); groups != "" {
		parts = append(parts, "partitioned: "+groups)
	}
	if g := linkText(n.Global); g != "" {
		parts = append(parts, "all links: "+g)
	}
	var cuts, faulty []string
	for i := range n.Cut {
		for j := range n.Cut[i] {
			switch {
			case i == j:
			case n.Cut[i][j] && (len(n.Groups) <= max(i, j) || n.Groups[i] == n.Groups[j]):
				cuts = append(cuts, fmt.Sprintf("%d→%d", i, j))
			case !n.Cut[i][j] && n.Links[i][j] != n.Global && linkText(n.Links[i][j]) != "":
				faulty = append(faulty, fmt.Sprintf("%d→%d %s", i, j, linkText(n.Links[i][j])))
			}
		}
	}
	if len(cuts) > 0 {
		parts = append(parts, "cut: "+strings.Join(cuts, " "))
	}
	parts = append(parts, faulty...)
	if len(parts) == 0 {
		var l line
		l.add("every link up", stOK)
		out = append(out, l)
	}
	for _, p := range parts {
		var l line
		l.add(fit(p, w), stWarn)
		out = append(out, l)
	}
	if len(out) > h {
		out = out[:max(h, 0)]
		if h > 1 && len(parts) > h-1 {
			out[h-1] = line{{fit(out[h-1].String(), w-1) + "…", stWarn}}
		}
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

// renderTimeline renders the scenario's steps around the current one, in h lines, and,
// once the timeline is over, how it ended.
func renderTimeline(run runmodel.State, caps Caps, w, h int) []line {
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
		return append(out, l)[:min(2, max(h, 0))]
	}
	rows := h - 1
	if rows <= 0 {
		return out[:max(h, 0)]
	}
	// The end: the verdict once the timeline is over, or where the run was stopped.
	var end []line
	if in := run.Interrupted; in != nil {
		end = append(end, line{{" ■ " + in.String(), stWarn}})
	} else if run.TimelineOver() {
		v, st := verdictPart(run)
		end = append(end, line{{" " + v, st}})
	}
	rows -= len(end)
	// Around the step running, or the next one due.
	focus := run.Current
	if focus >= 0 && run.Steps[focus].Status != runmodel.StepRunning {
		for i := focus; i < len(run.Steps); i++ {
			if run.Steps[i].Status == runmodel.StepPending {
				focus = i
				break
			}
		}
	}
	start := 0
	if focus >= 0 {
		start = max(0, min(focus-rows/3, len(run.Steps)-rows))
	}
	for i := start; i < len(run.Steps) && len(out) < 1+rows; i++ {
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
	for _, l := range end {
		out = append(out, line{{fit(l.String(), w), l[0].style}})
	}
	return out[:min(len(out), max(h, 0))]
}
