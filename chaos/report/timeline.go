package report

import (
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// The geometry of the time-scaled drawings (timeline and charts), in pixels: they share
// one horizontal scale, so a moment sits at the same x in each.
const (
	plotX0    = 118.0
	plotW     = 880.0
	svgW      = plotX0 + plotW + 14
	laneTop   = 96.0
	laneH     = 22.0
	lanePitch = 36.0
)

// scale maps cluster time to x.
type scale struct {
	end time.Duration
}

func (s scale) x(t time.Duration) float64 {
	t = min(max(t, 0), s.end)
	return plotX0 + float64(t)/float64(s.end)*plotW
}

// pxTime is the time one pixel spans.
func (s scale) pxTime() time.Duration { return time.Duration(float64(s.end) / plotW) }

type tick struct {
	X, Y  float64
	Label string
}

// timeTicks returns the ticks of the time axis.
func (s scale) ticks() []tick {
	span := s.end.Seconds()
	step := niceStep(span, 10)
	var ts []tick
	for v := 0.0; v <= span+step*1e-6; v += step {
		ts = append(ts, tick{X: s.x(time.Duration(v * float64(time.Second))), Label: fmtTick(v, step)})
	}
	return ts
}

type rect struct {
	X, Y, W, H   float64
	Class, Title string
	Label        string
	LX, LY       float64 // where the label goes
}

type markView struct {
	X, Y         float64
	Class, Title string
}

type vline struct {
	X            float64
	Class, Title string
}

type laneView struct {
	Y, LabelY float64
	BgTitle   string // the lane's background, where short follower stretches are not drawn
	Label     string
	Involved  bool
	Segs      []rect
	Net       []rect
	Marks     []markView
}

type timelineView struct {
	Width, Height float64
	EndSec        float64
	Ticks         []tick
	AxisY         float64
	Steps         []markView
	Faults        []markView
	Cuts, Links   []rect
	Lanes         []laneView
	Violations    []vline
	Window        *rect
	Notes         []string
	HasNet        bool
	HasGroups     bool
	HasPause      bool
	HasCrash      bool
	HasPre        bool
	Marks         [numMarkKinds]bool // kinds present, for the legend
}

var roleClass = map[raft.Role]string{
	raft.Follower:     "follower",
	raft.PreCandidate: "precandidate",
	raft.Candidate:    "candidate",
	raft.Leader:       "leader",
}

func segClass(s segment) string {
	switch s.state {
	case chaos.Crashed:
		return "down"
	case chaos.Paused:
		return "paused"
	}
	if c, ok := roleClass[s.role]; ok {
		return c
	}
	return "follower"
}

// rank orders what a merged segment shows: the most notable of what it merges.
func rank(s segment) int {
	switch {
	case s.state == chaos.Crashed:
		return 6
	case s.state == chaos.Paused:
		return 5
	}
	return int(s.role) + 1
}

// coalesce merges runs of segments narrower than minW of time into one, which shows the
// most notable of them, so a long run draws at most about one segment per pixel.
func coalesce(segs []segment, minW time.Duration) []segment {
	if minW <= 0 {
		return segs
	}
	var out []segment
	for i := 0; i < len(segs); {
		s := segs[i]
		i++
		if s.to-s.from >= minW {
			out = append(out, s)
			continue
		}
		m := s
		for i < len(segs) && m.to-m.from < minW && segs[i].to-segs[i].from < minW {
			n := segs[i]
			if rank(n) > rank(m) {
				m.state, m.role = n.state, n.role
			}
			m.term = max(m.term, n.term)
			m.to = n.to
			m.merged++
			i++
		}
		if m.merged > 0 {
			m.merged++
		}
		out = append(out, m)
	}
	return out
}

func segTitle(id int, s segment) string {
	span := fmt.Sprintf("from %s to %s (%s)", fmtSec(s.from), fmtSec(s.to), fmtDur(s.to-s.from))
	if s.merged > 0 {
		return fmt.Sprintf("peer %d: %d quick changes %s, up to term %d (too close together to draw apart)", id, s.merged, span, s.term)
	}
	switch s.state {
	case chaos.Crashed:
		return fmt.Sprintf("peer %d: down (crashed) %s; it last had term %d", id, span, s.term)
	case chaos.Paused:
		return fmt.Sprintf("peer %d: paused (frozen) %s, as a %s of term %d", id, span, s.role, s.term)
	}
	return fmt.Sprintf("peer %d: %s in term %d %s", id, s.role, s.term, span)
}

func buildTimeline(h *history, end time.Duration, first *chaos.Violation, viols []chaos.Violation, msgs *msgView) *timelineView {
	sc := scale{end: end}
	tv := &timelineView{Width: svgW, EndSec: end.Seconds(), Ticks: sc.ticks()}
	tv.AxisY = laneTop + float64(h.n)*lanePitch + 4
	tv.Height = tv.AxisY + 22
	involved := map[int]bool{}
	if first != nil {
		for _, p := range first.Peers {
			involved[p] = true
		}
	}
	tv.Steps = pointMarks(sc, h.steps, 28, "step")
	tv.Faults = pointMarks(sc, h.faults, 42, "fault")
	for _, b := range h.cuts {
		tv.Cuts = append(tv.Cuts, bandRect(sc, b, 54, 14, "cut", "the network is cut: "))
	}
	for _, b := range h.links {
		tv.Links = append(tv.Links, bandRect(sc, b, 72, 14, "links", "links misbehave: "))
	}
	tv.HasNet = len(tv.Cuts)+len(tv.Links) > 0
	minW := 2 * sc.pxTime()
	for id, p := range h.peers {
		y := laneTop + float64(id)*lanePitch
		lv := laneView{Y: y, LabelY: y + 15, Label: fmt.Sprintf("peer %d", id), Involved: involved[id],
			BgTitle: fmt.Sprintf("peer %d: a follower here (short stretches are not labelled)", id)}
		for _, s := range coalesce(p.segs, minW) {
			if s.state == chaos.Up && s.role == raft.Follower && s.merged == 0 && sc.x(s.to)-sc.x(s.from) < 24 {
				continue // the lane's background shows a short stretch as a follower as well
			}
			x1, x2 := sc.x(s.from), sc.x(s.to)
			r := rect{X: x1, Y: y, W: max(x2-x1, 0.5), H: laneH, Class: segClass(s), Title: segTitle(id, s), LX: (x1 + x2) / 2, LY: y + 15}
			if s.merged > 0 {
				r.Class += " merged"
			}
			tv.HasPause = tv.HasPause || s.state == chaos.Paused
			tv.HasCrash = tv.HasCrash || s.state == chaos.Crashed
			tv.HasPre = tv.HasPre || s.role == raft.PreCandidate
			w := x2 - x1
			switch {
			case s.state == chaos.Crashed && w >= 34:
				r.Label = "down"
			case s.state == chaos.Paused && w >= 44:
				r.Label = "paused"
			case s.state == chaos.Up && s.merged == 0 && w >= 24:
				r.Label = fmt.Sprintf("t%d", s.term)
			}
			lv.Segs = append(lv.Segs, r)
		}
		for _, b := range p.net {
			r := rect{X: sc.x(b.from), Y: y + laneH + 2, W: max(sc.x(b.to)-sc.x(b.from), 0.5), H: 5, Class: fmt.Sprintf("grp g%d", b.group%8),
				Title: fmt.Sprintf("%s, from %s to %s", b.text, fmtSec(b.from), fmtSec(b.to))}
			lv.Net = append(lv.Net, r)
			tv.HasGroups = tv.HasGroups || r.W >= 1
		}
		var lastX [numMarkKinds]float64
		for k := range lastX {
			lastX[k] = -10
		}
		for _, m := range p.marks {
			x := sc.x(m.at)
			gap := 3.0
			if m.kind == markSnapshot || m.kind == markInstall {
				gap = 6 // snapshots come regularly: a few of them say as much
			}
			if x-lastX[m.kind] < gap && m.kind != markElected && m.kind != markCrash {
				continue // a mark on top of the last of its kind adds nothing
			}
			lastX[m.kind] = x
			my := y + laneH/2
			if m.kind == markSnapshot || m.kind == markInstall {
				my = y + laneH - 4
			}
			lv.Marks = append(lv.Marks, markView{X: x, Y: my, Class: markClass[m.kind], Title: fmt.Sprintf("%s: %s", fmtSec(m.at), m.text)})
			tv.Marks[m.kind] = true
		}
		for k, nm := range p.nmarks {
			if nm > MaxMarks {
				tv.Notes = append(tv.Notes, fmt.Sprintf("Peer %d has %d %s marks; the first %d are drawn.", id, nm, markClass[k], MaxMarks))
			}
		}
		tv.Lanes = append(tv.Lanes, lv)
	}
	tv.Violations = violationLines(sc, viols)
	if msgs != nil && msgs.To > msgs.From {
		x1, x2 := sc.x(msgs.From), sc.x(msgs.To)
		tv.Window = &rect{X: x1, Y: laneTop - 6, W: max(x2-x1, 2), H: tv.AxisY - laneTop + 6, Class: "window",
			Title: fmt.Sprintf("the message diagram below shows %s to %s", fmtSec(msgs.From), fmtSec(msgs.To))}
	}
	return tv
}

func bandRect(sc scale, b band, y, h float64, class, prefix string) rect {
	x1, x2 := sc.x(b.from), sc.x(b.to)
	r := rect{X: x1, Y: y, W: max(x2-x1, 1), H: h, Class: class, LX: x1 + 3, LY: y + 11,
		Title: fmt.Sprintf("%s%s, from %s to %s", prefix, b.text, fmtSec(b.from), fmtSec(b.to))}
	if len(b.text)*6 < int(x2-x1)-6 {
		r.Label = b.text
	}
	return r
}

func violationLines(sc scale, viols []chaos.Violation) []vline {
	var out []vline
	for i, v := range viols {
		if i == MaxViolations {
			break
		}
		class := "viol"
		if i > 0 {
			class = "viol later"
		}
		out = append(out, vline{X: sc.x(v.At), Class: class, Title: fmt.Sprintf("%s: %s", fmtSec(v.At), v.String())})
	}
	return out
}

// pointMarks draws marks on one row, one per pixel at most: marks that fall on the same
// pixel share one, whose title lists them (up to a few).
func pointMarks(sc scale, ms []mark, y float64, class string) []markView {
	var out []markView
	n := 0
	for _, m := range ms {
		x := sc.x(m.at)
		title := fmt.Sprintf("%s: %s", fmtSec(m.at), m.text)
		if len(out) > 0 && x-out[len(out)-1].X < 1.5 {
			n++
			if n <= 5 {
				out[len(out)-1].Title += "\n" + title
			} else if n == 6 {
				out[len(out)-1].Title += "\n..."
			}
			continue
		}
		n = 0
		out = append(out, markView{X: x, Y: y, Class: class, Title: title})
	}
	return out
}
