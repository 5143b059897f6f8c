package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// The message diagram's geometry: time runs down, each peer is a vertical lane.
const (
	msgGutter = 96.0 // the time labels, left of the lanes
	msgTop    = 52.0 // the peers' names above
	msgW      = svgW
)

// call is one RPC in the message diagram: a request and its fate.
type call struct {
	id         uint64
	from, to   int
	method     string
	msg        *chaos.Msg // the request
	reply      *chaos.Msg // the reply, when it came back
	bytes      int
	kind       string // vote, prevote, append, heartbeat, snapshot, other
	sent       time.Duration
	delivered  []time.Duration
	dropReq    time.Duration // when the request was lost, or -1
	dropRep    time.Duration // when the reply was lost, or -1
	dropWhy    string
	replied    time.Duration // when the reply came back, or -1
	failed     time.Duration // when the call failed, or -1
	failWhy    string
	duplicated bool
}

type arrow struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type msgArrow struct {
	Kind, Title string
	Lines       []arrow
	Drops       []markView
}

type msgLabel struct {
	X, Y, DotY   float64
	Text, Class  string
	Title        string
	ShowText     bool
	DotX         float64
	AnchorMiddle bool
}

type hline struct {
	X1, X2, Y    float64
	Class, Label string
	LX           float64
	Title        string
}

type msgCol struct {
	X        float64
	Label    string
	Involved bool
}

// msgView is the message diagram.
type msgView struct {
	From, To         time.Duration
	FromText, ToText string
	Width, Height    float64
	Cols             []msgCol
	LaneSegs         []rect
	Times            []tick
	Arrows           []msgArrow
	Ticks            []markView
	Labels           []msgLabel
	Lines            []hline
	Notes            []string
	Counts           string
	Empty            string // why there is nothing to draw, or ""
	Kinds            map[string]bool
	Heartbeats       bool // heartbeats were summarised as ticks
}

// messageWindow picks the span the diagram shows.
func messageWindow(w Window, first *chaos.Violation, end time.Duration) Window {
	if !w.IsZero() {
		return w
	}
	if first != nil {
		w = Window{From: max(0, first.At-time.Second), To: min(end, first.At+afterViolation)}
	} else {
		w = Window{From: max(0, end-2*time.Second), To: end}
	}
	if w.To <= w.From {
		w.To = w.From + time.Millisecond
	}
	return w
}

// classify names the kind of a call's request for the diagram: vote, prevote, append,
// heartbeat, snapshot or other.
func classify(c *call) string {
	if c.msg == nil {
		return "other"
	}
	switch c.msg.Kind {
	case chaos.MsgVote, chaos.MsgPreVote, chaos.MsgAppend, chaos.MsgHeartbeat, chaos.MsgSnapshot:
		return c.msg.Kind.String()
	}
	return "other"
}

// buildMessages draws the message diagram of the window win: it collects the calls
// sent in it, selects those to draw, gathers what else happened on the lanes, scales
// time to rows, and draws lanes, arrows, heartbeats, labels and lines.
func buildMessages(d Data, h *history, n int, win Window, first *chaos.Violation) *msgView {
	mv := &msgView{Width: msgW, Kinds: map[string]bool{}, From: win.From, To: win.To}
	order, anyNet := collectCalls(d.Events, win, n)
	if !anyNet {
		mv.Empty = "No message events were recorded for this run. (The live engine publishes them only when a sink asks for them: record the run with report.Recorder, or write a trace.)"
		mv.FromText, mv.ToText = fmtSec(win.From), fmtSec(win.To)
		return mv
	}
	limit := maxMessages(d)
	drawn, beatsIn, span := selectCalls(mv, order, limit, win, first)
	labels, lines := annotations(d.Events, span, n)
	if len(drawn) == 0 && len(beatsIn) == 0 {
		none := fmt.Sprintf("No messages were sent from %s to %s.", fmtSec(win.From), fmtSec(win.To))
		if len(labels) == 0 && len(lines) == 0 {
			mv.Empty = none
			return mv
		}
		mv.Notes = append(mv.Notes, none+" What the peers did then is drawn all the same.")
	}
	// Merge a term change into the role change at the same moment.
	for i := range labels {
		l := &labels[i]
		if l.class != "l-term" {
			continue
		}
		for j := i + 1; j < len(labels) && labels[j].at == l.at; j++ {
			if labels[j].peer == l.peer && strings.HasPrefix(labels[j].class, "l-role") {
				l.text = ""
				break
			}
		}
	}

	sc := newMsgScale(span, drawn, beatsIn, labels, lines)
	mv.Height = sc.bottom + 24
	xOf := drawLanes(mv, h, n, span, sc, first)
	for _, c := range drawn {
		mv.Kinds[c.kind] = true
		mv.Arrows = append(mv.Arrows, c.draw(xOf, sc.yAt))
	}
	slices.SortStableFunc(mv.Arrows, func(a, b msgArrow) int {
		return cmp.Compare(boolInt(a.Kind != "heartbeat"), boolInt(b.Kind != "heartbeat"))
	})
	drawBeats(mv, beatsIn, n, limit, xOf, sc.yAt)
	drawLabels(mv, labels, n, xOf, sc.yAt)
	drawCrossLines(mv, lines, sc.yAt)
	nb := len(drawn)
	mv.Counts = fmt.Sprintf("%s sent from %s to %s", plural(nb, "message"), fmtSec(span.From), fmtSec(span.To))
	if len(beatsIn) > 0 {
		mv.Counts += fmt.Sprintf(", and %s drawn as ticks", plural(len(beatsIn), "heartbeat"))
	}
	mv.Counts += "."
	return mv
}

// collectCalls returns the calls sent in win between peers of the cluster, with what
// became of them, in the order they were sent, and whether any message was recorded.
func collectCalls(events []chaos.Event, win Window, n int) (order []*call, anyNet bool) {
	calls := map[uint64]*call{}
	for _, e := range events {
		ne := e.Net
		if e.Kind != chaos.EventNet || ne == nil {
			continue
		}
		anyNet = true
		if ne.Kind != chaos.NetSent || e.At < win.From || e.At > win.To || ne.From < 0 || ne.From >= n || ne.To < 0 || ne.To >= n {
			if c := calls[ne.ID]; c != nil && e.Seq > 0 {
				c.add(e.At, ne)
			}
			continue
		}
		if _, dup := calls[ne.ID]; dup {
			continue
		}
		c := &call{id: ne.ID, from: ne.From, to: ne.To, method: ne.Method, msg: ne.Msg, bytes: ne.Bytes, sent: e.At,
			dropReq: -1, dropRep: -1, replied: -1, failed: -1}
		calls[ne.ID] = c
		order = append(order, c)
	}
	for _, c := range order {
		c.kind = classify(c)
	}
	return order, anyNet
}

// selectCalls picks the calls to draw as arrows, at most limit (beyond it, heartbeats
// become ticks, then only those nearest the violation or the end are drawn), and
// returns them, the heartbeats drawn as ticks, and the span they cover.
func selectCalls(mv *msgView, order []*call, limit int, win Window, first *chaos.Violation) (drawn, beatsIn []*call, span Window) {
	drawn = order
	var beats []*call
	if len(order) > limit {
		drawn = nil
		for _, c := range order {
			if c.kind == "heartbeat" {
				beats = append(beats, c)
			} else {
				drawn = append(drawn, c)
			}
		}
		mv.Heartbeats = len(beats) > 0
	}
	span = win
	if len(drawn) > limit {
		focus := win.To
		if first != nil && first.At >= win.From && first.At <= win.To {
			focus = first.At
		}
		dist := func(c *call) time.Duration {
			if c.sent > focus {
				return c.sent - focus
			}
			return focus - c.sent
		}
		byDist := slices.Clone(drawn)
		slices.SortStableFunc(byDist, func(a, b *call) int { return cmp.Compare(dist(a), dist(b)) })
		kept := map[*call]bool{}
		for _, c := range byDist[:limit] {
			kept[c] = true
		}
		var k []*call
		for _, c := range drawn {
			if kept[c] {
				k = append(k, c)
			}
		}
		mv.Notes = append(mv.Notes, fmt.Sprintf("The window holds %d messages besides heartbeats; the %d sent nearest %s are drawn.", len(drawn), limit, fmtSec(focus)))
		drawn = k
		span = Window{From: drawn[0].sent, To: drawn[len(drawn)-1].sent}
	}
	mv.From, mv.To = span.From, span.To
	mv.FromText, mv.ToText = fmtSec(span.From), fmtSec(span.To)
	for _, c := range beats {
		if c.sent >= span.From && c.sent <= span.To {
			beatsIn = append(beatsIn, c)
		}
	}
	return drawn, beatsIn, span
}

// laneLabel is something that happened at one peer, drawn on its lane.
type laneLabel struct {
	at    time.Duration
	peer  int
	text  string
	class string
	title string
}

// crossLine is something that happened to the cluster (a fault, a step, a violation),
// drawn across every lane.
type crossLine struct {
	at                 time.Duration
	class, text, title string
}

// annotations returns what else happened in span: labels on the lanes, lines across.
func annotations(events []chaos.Event, span Window, n int) (labels []laneLabel, lines []crossLine) {
	for _, e := range events {
		at := e.At
		if e.Violation != nil && e.Violation.At > 0 {
			at = e.Violation.At // a check at the end (linearizability) dates what it found
		}
		if at < span.From || at > span.To {
			continue
		}
		switch {
		case e.Kind == chaos.EventRaft && e.Raft != nil:
			r := e.Raft
			if r.Peer < 0 || r.Peer >= n {
				continue
			}
			text, class := raftLabel(r)
			if text != "" {
				labels = append(labels, laneLabel{at: e.At, peer: r.Peer, text: text, class: class, title: fmt.Sprintf("%s: %s", fmtSecFine(e.At), r)})
			}
		case e.Kind == chaos.EventFault && e.Fault != nil:
			lines = append(lines, crossLine{at: e.At, class: "fault", text: e.Fault.String()})
			if e.Fault.Kind == chaos.Crash || e.Fault.Kind == chaos.Pause || e.Fault.Kind == chaos.Resume {
				for _, id := range e.Fault.Peers {
					if id >= 0 && id < n {
						word := map[chaos.FaultKind]string{chaos.Crash: "crashed", chaos.Pause: "paused", chaos.Resume: "resumed"}[e.Fault.Kind]
						labels = append(labels, laneLabel{at: e.At, peer: id, text: word, class: "l-down", title: fmt.Sprintf("%s: %s", fmtSecFine(e.At), e.Fault)})
					}
				}
			}
		case e.Kind == chaos.EventClient && e.Client != nil:
			if c := e.Client; c.Status == chaos.ClientOK && c.Peer >= 0 && c.Peer < n {
				labels = append(labels, laneLabel{at: e.At, peer: c.Peer, text: clientLabel(c), class: "l-client", title: fmt.Sprintf("%s: %s", fmtSecFine(e.At), c)})
			}
		case e.Kind == chaos.EventStep && e.Outcome == "":
			lines = append(lines, crossLine{at: e.At, class: "step", text: eventText(e)})
		case e.Kind == chaos.EventViolation && e.Violation != nil:
			lines = append(lines, crossLine{at: at, class: "viol", text: "violation: " + e.Violation.Checker, title: e.Violation.String()})
		}
	}
	return labels, lines
}

// msgScale places moments of time on the diagram's rows: every moment something is
// drawn gets its own row; the gaps between rows grow with the time between them,
// slowly.
type msgScale struct {
	times  []time.Duration
	ys     []float64
	bottom float64
}

func newMsgScale(span Window, drawn, beatsIn []*call, labels []laneLabel, lines []crossLine) *msgScale {
	var times []time.Duration
	times = append(times, span.From, span.To)
	for _, c := range drawn {
		times = append(times, c.sent, c.replied)
		times = append(times, c.delivered...)
	}
	for _, c := range beatsIn {
		times = append(times, c.sent)
	}
	for _, l := range labels {
		if l.text != "" {
			times = append(times, l.at)
		}
	}
	for _, l := range lines {
		times = append(times, l.at)
	}
	times = slices.DeleteFunc(times, func(t time.Duration) bool { return t < 0 })
	slices.Sort(times)
	times = slices.Compact(times)
	ys := make([]float64, len(times))
	y := msgTop + 14
	for i, t := range times {
		if i > 0 {
			gap := float64(t-times[i-1]) / float64(time.Millisecond)
			y += 5 + 7*math.Log2(1+gap)
		}
		ys[i] = y
	}
	return &msgScale{times: times, ys: ys, bottom: ys[len(ys)-1] + 16}
}

// yAt returns the row of time t, between the rows of the moments around it.
func (sc *msgScale) yAt(t time.Duration) float64 {
	times, ys := sc.times, sc.ys
	i, ok := slices.BinarySearch(times, t)
	switch {
	case ok:
		return ys[i]
	case i == 0:
		return ys[0]
	case i == len(times):
		return ys[len(ys)-1]
	}
	f := float64(t-times[i-1]) / float64(times[i]-times[i-1])
	return ys[i-1] + f*(ys[i]-ys[i-1])
}

// drawLanes draws each peer's lane, coloured by its role and state, and the time
// labels, and returns where each peer's lane is.
func drawLanes(mv *msgView, h *history, n int, span Window, sc *msgScale, first *chaos.Violation) func(int) float64 {
	yAt, bottom, times, ys := sc.yAt, sc.bottom, sc.times, sc.ys
	colW := (msgW - msgGutter - 24) / float64(n)
	xOf := func(id int) float64 { return msgGutter + colW*(float64(id)+0.5) }
	involved := map[int]bool{}
	if first != nil {
		for _, p := range first.Peers {
			involved[p] = true
		}
	}
	for id := range n {
		mv.Cols = append(mv.Cols, msgCol{X: xOf(id), Label: fmt.Sprintf("peer %d", id), Involved: involved[id]})
		if id >= len(h.peers) {
			continue
		}
		for _, s := range h.peers[id].segs {
			if s.to < span.From || s.from > span.To {
				continue
			}
			y1, y2 := yAt(max(s.from, span.From)), yAt(min(s.to, span.To))
			if s.to >= span.To {
				y2 = bottom
			}
			if s.from <= span.From {
				y1 = msgTop + 4
			}
			mv.LaneSegs = append(mv.LaneSegs, rect{X: xOf(id) - 4, Y: y1, W: 8, H: max(y2-y1, 1), Class: segClass(s), Title: segTitle(id, s)})
		}
	}
	last := -100.0
	for i, t := range times {
		if ys[i]-last >= 13 {
			mv.Times = append(mv.Times, tick{X: msgGutter - 10, Y: ys[i] + 3, Label: fmtSecFine(t)})
			last = ys[i]
		}
	}

	return xOf
}

// drawBeats draws the heartbeats not drawn as arrows as ticks on their senders' lanes.
func drawBeats(mv *msgView, beatsIn []*call, n, limit int, xOf func(int) float64, yAt func(time.Duration) float64) {
	if len(beatsIn) == 0 {
		return
	}
	type key struct {
		from int
		at   time.Duration
	}
	groups := map[key][]*call{}
	var keys []key
	type tally struct{ sent, answered, lost int }
	per := make([]tally, n)
	for _, c := range beatsIn {
		k := key{c.from, c.sent}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], c)
		per[c.from].sent++
		if c.replied >= 0 {
			per[c.from].answered++
		} else if c.dropReq >= 0 || c.dropRep >= 0 || c.failed >= 0 {
			per[c.from].lost++
		}
	}
	for _, k := range keys {
		var to []int
		answered := 0
		for _, c := range groups[k] {
			to = append(to, c.to)
			if c.replied >= 0 {
				answered++
			}
		}
		class := "beat"
		if answered < len(to) {
			class = "beat unanswered"
		}
		mv.Ticks = append(mv.Ticks, markView{X: xOf(k.from), Y: yAt(k.at), Class: class,
			Title: fmt.Sprintf("%s: peer %d sent heartbeats to %s; %d of %d answered", fmtSecFine(k.at), k.from, ids(to), answered, len(to))})
	}
	var parts []string
	for id, t := range per {
		if t.sent > 0 {
			parts = append(parts, fmt.Sprintf("peer %d sent %d (%d answered, %d lost)", id, t.sent, t.answered, t.lost))
		}
	}
	mv.Notes = append(mv.Notes, fmt.Sprintf("The window holds more than %d messages, so heartbeats (AppendEntries that carry no entries) are not drawn as arrows but as short ticks on the sender's lane (red when some went unanswered): %s.", limit, andList(parts)))
}

// drawLabels draws what happened at each peer on its lane, each label moved down below
// the one before it on its lane and shown as a dot only if that would take it too far
// from its moment.
func drawLabels(mv *msgView, labels []laneLabel, n int, xOf func(int) float64, yAt func(time.Duration) float64) {
	nextFree := make([]float64, n)
	for _, l := range labels {
		if l.text == "" {
			continue
		}
		yy := yAt(l.at)
		ly := max(yy+3, nextFree[l.peer])
		ml := msgLabel{X: xOf(l.peer) + 8, Y: ly, DotX: xOf(l.peer), DotY: yy, Text: l.text, Class: l.class, Title: l.title}
		if ly-yy-3 <= 24 {
			ml.ShowText = true
			nextFree[l.peer] = ly + 11
		}
		mv.Labels = append(mv.Labels, ml)
	}
}

// drawCrossLines draws faults, steps and violations across the lanes, their labels on
// alternate sides.
func drawCrossLines(mv *msgView, lines []crossLine, yAt func(time.Duration) float64) {
	lastY := map[string]float64{}
	for _, l := range lines {
		yy := yAt(l.at)
		full := l.text
		if l.title != "" {
			full = l.title
		}
		hl := hline{X1: msgGutter, X2: msgW - 8, Y: yy, Class: l.class, Title: fmt.Sprintf("%s: %s", fmtSecFine(l.at), full)}
		if ly, ok := lastY[l.class]; !ok || yy-ly >= 11 {
			hl.Label = l.text
			lastY[l.class] = yy
		}
		hl.LX = msgGutter + 4
		if l.class == "fault" || l.class == "viol" {
			hl.LX = msgW - 10
		}
		mv.Lines = append(mv.Lines, hl)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// add records a later event of the call.
func (c *call) add(at time.Duration, ne *chaos.NetEvent) {
	switch ne.Kind {
	case chaos.NetDelivered:
		c.delivered = append(c.delivered, at)
	case chaos.NetDuplicated:
		c.duplicated = true
		if at > c.sent && len(c.delivered) == 1 {
			c.delivered = append(c.delivered, at) // live: the duplicate's delivery
		}
	case chaos.NetDropped:
		if strings.HasPrefix(ne.Reason, "reply") {
			c.dropRep = at
		} else {
			c.dropReq = at
		}
		c.dropWhy = ne.Reason
	case chaos.NetReplied:
		c.replied, c.reply = at, ne.Msg
	case chaos.NetFailed:
		c.failed, c.failWhy = at, ne.Reason
	}
}

// draw returns the arrows of c: the request, its duplicates, and the reply.
func (c *call) draw(xOf func(int) float64, yAt func(time.Duration) float64) msgArrow {
	xf, xt := xOf(c.from), xOf(c.to)
	ys := yAt(c.sent)
	ma := msgArrow{Kind: c.kind}
	name := strings.TrimPrefix(c.method, "Raft.")
	if c.msg != nil {
		name = c.msg.String()
	}
	parts := []string{fmt.Sprintf("#%d %d→%d %s", c.id, c.from, c.to, name)}
	if c.bytes > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes", c.bytes))
	}
	parts = append(parts, "sent "+fmtSecFine(c.sent))
	for i, d := range c.delivered {
		cls := "req"
		what := "delivered "
		if i > 0 {
			cls, what = "req dup", "duplicate delivered "
		}
		ma.Lines = append(ma.Lines, arrow{X1: xf, Y1: ys, X2: xt, Y2: yAt(d), Class: cls})
		parts = append(parts, what+fmtSecFine(d))
	}
	// A lost message is drawn as a stub that ends, crossed out, short of its receiver's
	// lane (so it is clear whom it was for) just below where it left: when exactly the
	// network gave up on it (at once in the sim engine, after a wait in the live one) is
	// in the title.
	partway := func(x1, y1, x2 float64, _ time.Duration) (float64, float64) {
		gap := math.Abs(x2 - x1)
		f := max(0.5, (gap-22)/gap)
		return x1 + f*(x2-x1), y1 + 12
	}
	if len(c.delivered) == 0 {
		switch {
		case c.dropReq >= 0:
			x, y := partway(xf, ys, xt, c.dropReq)
			ma.Lines = append(ma.Lines, arrow{X1: xf, Y1: ys, X2: x, Y2: y, Class: "req lost"})
			ma.Drops = append(ma.Drops, markView{X: x, Y: y, Class: "drop"})
			parts = append(parts, fmt.Sprintf("request lost at %s (%s)", fmtSecFine(c.dropReq), c.dropWhy))
		default:
			x, y := partway(xf, ys, xt, c.sent)
			ma.Lines = append(ma.Lines, arrow{X1: xf, Y1: ys, X2: x, Y2: y, Class: "req unknown"})
			parts = append(parts, "no delivery recorded (still on its way at the end of the recording?)")
		}
	}
	if len(c.delivered) > 0 {
		yd := yAt(c.delivered[0])
		switch {
		case c.replied >= 0:
			ma.Lines = append(ma.Lines, arrow{X1: xt, Y1: yd, X2: xf, Y2: yAt(c.replied), Class: "rep"})
			back := "reply back " + fmtSecFine(c.replied)
			if c.reply != nil {
				back += ": " + c.reply.String()
			}
			parts = append(parts, back)
		case c.dropRep >= 0:
			x, y := partway(xt, yd, xf, c.dropRep)
			ma.Lines = append(ma.Lines, arrow{X1: xt, Y1: yd, X2: x, Y2: y, Class: "rep lost"})
			ma.Drops = append(ma.Drops, markView{X: x, Y: y, Class: "drop"})
			parts = append(parts, fmt.Sprintf("reply lost at %s (%s)", fmtSecFine(c.dropRep), c.dropWhy))
		}
	}
	if c.failed >= 0 {
		parts = append(parts, fmt.Sprintf("the call failed at %s (%s)", fmtSecFine(c.failed), c.failWhy))
	}
	ma.Title = strings.Join(parts, "; ")
	return ma
}

// raftLabel says what a raft event adds to the message diagram, in a few words.
func raftLabel(r *raft.Event) (text, class string) {
	switch r.Kind {
	case raft.EventBoot:
		return fmt.Sprintf("booted (term %d, log to %d)", r.Term, r.LastIndex), "l-down"
	case raft.EventRole:
		return fmt.Sprintf("%s, term %d", r.Role, r.Term), "l-role l-" + roleClass[r.Role]
	case raft.EventTerm:
		return fmt.Sprintf("term %d", r.Term), "l-term"
	case raft.EventVote:
		what := "voted for"
		if !r.Granted {
			what = "refused"
		}
		if r.PreVote {
			what = "pre-vote: yes to"
			if !r.Granted {
				what = "pre-vote: no to"
			}
		}
		class := "l-vote"
		if !r.Granted {
			class = "l-vote no"
		}
		return fmt.Sprintf("%s %d (t%d)", what, r.Other, r.Index), class
	case raft.EventAppend:
		if r.Other == r.Peer {
			return fmt.Sprintf("took proposal %d", r.LastIndex), "l-append"
		}
	case raft.EventTruncate:
		return fmt.Sprintf("dropped entries %d..%d", r.Index, r.LastIndex), "l-trunc"
	case raft.EventCommit:
		return fmt.Sprintf("commit %d", r.LastIndex), "l-commit"
	case raft.EventSnapshot:
		return fmt.Sprintf("snapshot to %d", r.LastIndex), "l-snap"
	case raft.EventInstallSnapshot:
		return fmt.Sprintf("installed snapshot to %d", r.LastIndex), "l-snap"
	}
	return "", ""
}

// clientLabel says in a few words what a server answered a client.
func clientLabel(c *chaos.ClientOp) string {
	v := c.Output
	if c.Op != "get" {
		v = c.Input
	}
	if len(v) > 12 {
		v = v[:12] + "..."
	}
	if c.Op == "get" {
		return fmt.Sprintf("answered c%d: get %s = %q", c.Client, c.Key, v)
	}
	return fmt.Sprintf("answered c%d: %s %s %q", c.Client, c.Op, c.Key, v)
}
