package report

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
)

// The commit chart's geometry.
const (
	commitTop    = 12.0
	commitBottom = 150.0
	commitHeight = 172.0
)

type lineView struct {
	D, Class, Title string
}

type commitView struct {
	Width, Height, Top, Bottom float64
	EndSec                     float64
	Ticks, YTicks              []tick
	AxisY                      float64
	Lines                      []lineView
	Violations                 []vline
	Empty                      bool
}

// stepPath draws a value that changes in steps, at most a few points per pixel.
type stepPath struct {
	pb      pathBuilder
	open    bool
	x, y    float64 // the last point drawn
	pending bool    // a change within half a pixel of x, not drawn yet
	py      float64
}

func (s *stepPath) start(x, y float64) {
	s.flush()
	s.pb.move(x, y)
	s.open, s.x, s.y = true, x, y
}

// to says the value is y from x on. Changes less than a pixel apart are drawn as one;
// changes a couple of pixels apart or less are joined by a slope rather than a step,
// which looks the same and takes half the points.
func (s *stepPath) to(x, y float64) {
	if !s.open {
		s.start(x, y)
		return
	}
	if x-s.x < 1 {
		s.py, s.pending = y, true
		return
	}
	s.flush()
	if y != s.y {
		if x-s.x >= 2 {
			s.pb.line(x, s.y)
		}
		s.pb.line(x, y)
		s.x, s.y = x, y
	}
}

func (s *stepPath) flush() {
	if s.pending && s.py != s.y {
		s.pb.line(s.x, s.py)
		s.y = s.py
	}
	s.pending = false
}

// stop ends the line at x.
func (s *stepPath) stop(x float64) {
	s.flush()
	if s.open {
		s.pb.line(x, s.y)
		s.open = false
	}
}

func buildCommits(h *history, end time.Duration, viols []chaos.Violation) *commitView {
	sc := scale{end: end}
	cv := &commitView{Width: svgW, Height: commitHeight, Top: commitTop, Bottom: commitBottom, EndSec: end.Seconds(), Ticks: sc.ticks(), AxisY: commitBottom}
	top := 0
	for _, p := range h.peers {
		for _, pt := range p.commits {
			top = max(top, pt.v)
		}
	}
	if top == 0 {
		cv.Empty = true
	}
	step := niceStep(float64(max(top, 1)), 4)
	ymax := math.Ceil(float64(max(top, 1))/step) * step
	y := func(v int) float64 { return commitBottom - float64(v)/ymax*(commitBottom-commitTop) }
	for v := 0.0; v <= ymax+step/2; v += step {
		cv.YTicks = append(cv.YTicks, tick{Y: y(int(v)), Label: fmt.Sprintf("%.0f", v)})
	}
	for id, p := range h.peers {
		var s stepPath
		for _, pt := range p.commits {
			x := sc.x(pt.at)
			switch {
			case pt.v < 0:
				s.stop(x)
			case pt.gap:
				s.stop(x)
				s.start(x, y(pt.v))
			default:
				s.to(x, y(pt.v))
			}
		}
		s.stop(sc.x(end))
		if d := s.pb.String(); d != "" {
			last := 0
			for _, pt := range p.commits {
				if pt.v >= 0 {
					last = pt.v
				}
			}
			cv.Lines = append(cv.Lines, lineView{D: d, Class: fmt.Sprintf("p%d", id%10), Title: fmt.Sprintf("peer %d's commit index (last %d)", id, last)})
		}
	}
	cv.Violations = violationLines(sc, viols)
	return cv
}

// The latency chart's geometry: rows on top count what never finished, the plot below.
const (
	latRow0   = 14.0 // the first row
	latRowH   = 14.0
	latPlotH  = 118.0
	latColW   = 3.0
	latAxisH  = 22.0
	latGapTop = 4.0
)

// latShape is how a row of the latency chart marks its column.
type latShape string

const (
	shapeCross latShape = "cross"
	shapeBar   latShape = "bar"
	shapeRing  latShape = "ring"
)

// latRow is a row of the latency chart: things that did not finish one way.
type latRow struct {
	Y            float64
	Label, Class string
	Shape        latShape
	Help         string // the legend
	what         string // how a title counts them: "lost", "timed out"...
	Marks        []markView
}

// sample is one operation for the latency chart: when it started, and how long it took
// (row -1) or which row counts it.
type sample struct {
	at, lat time.Duration
	row     int
}

type latCol struct {
	X, Y1, Y2, YM float64
	Single        bool
	Title         string
}

type latencyView struct {
	Title, Intro, Noun string
	OKHelp             string
	Width, Height      float64
	Top, Bottom, AxisY float64
	EndSec             float64
	Ticks, YTicks      []tick
	Rows               []latRow
	Cols               []latCol
	Violations         []vline
	Counts             string
	Empty              string
}

// proposalSamples are the client proposals of the basic workload.
func proposalSamples(h *history) []sample {
	var out []sample
	for _, pr := range h.props {
		s := sample{at: pr.at, row: -1}
		switch pr.status {
		case propCommitted:
			s.lat = pr.done - pr.at
		case propLost:
			s.row = 0
		case propRefused:
			s.row = 1
		case propPending:
			s.row = 2
		}
		out = append(out, s)
	}
	return out
}

// opSamples are the operations of the kv workload's clients.
func opSamples(h *history) []sample {
	var out []sample
	for _, op := range h.ops {
		s := sample{at: op.call, row: -1}
		switch op.status {
		case chaos.ClientOK:
			s.lat = op.ret - op.call
		case chaos.ClientTimeout:
			s.row = 0
		default:
			s.row = 1
		}
		out = append(out, s)
	}
	return out
}

// buildProposalLatency draws the proposals of h; its counts are wl's, the figures the
// page and the summary give, so that the page says one thing.
func buildProposalLatency(h *history, wl model.WorkloadStats, end time.Duration, viols []chaos.Violation) *latencyView {
	lv := buildLatency(proposalSamples(h), []latRow{
		{Label: "lost", Class: "mk-lost", Shape: shapeCross, what: "lost (a leader took it, then another command took its index)"},
		{Label: "no leader", Class: "mk-refused", Shape: shapeBar, what: "found no leader"},
		{Label: "never committed", Class: "mk-pending", Shape: shapeRing, what: "never committed by the end of the run"},
	}, end, viols)
	lv.Title, lv.Noun = "Proposal latency", "proposal"
	lv.Intro = "Each client proposal, placed at the moment it was made: how long until a peer applied it (a logarithmic scale: each line up is ten times longer). Where proposals are close together, a column shows their range and a dot their median. The rows on top count those that never committed."
	lv.OKHelp = "committed: latency from proposal to the first peer applying it (median dot, range line)."
	lv.Rows[0].Help = "lost: a leader accepted it but was deposed before it committed; another command took its index. Raft allows this: the client must retry."
	lv.Rows[1].Help = "no leader: no peer believed it was leader when the client asked."
	lv.Rows[2].Help = "never committed: still waiting when the run ended."
	if lv.Empty == "" {
		lv.Counts = fmt.Sprintf("%s: %d committed, %d lost, %d never committed; %d more found no leader.", plural(wl.Proposed, "proposal"), wl.Committed, wl.Lost, wl.InFlight, wl.Refused)
	} else {
		lv.Empty = "No client proposals were made in this run."
	}
	return lv
}

func buildOpLatency(h *history, end time.Duration, viols []chaos.Violation) *latencyView {
	lv := buildLatency(opSamples(h), []latRow{
		{Label: "timed out", Class: "mk-lost", Shape: shapeCross, what: "timed out (the client gave up: it may or may not have taken effect)"},
		{Label: "unfinished", Class: "mk-pending", Shape: shapeRing, what: "still waiting when the run ended"},
	}, end, viols)
	lv.Title, lv.Noun = "Client operations (kv workload)", "operation"
	lv.Intro = "Each operation of the kv workload's clients (Get, Put, Append), placed at the moment the client invoked it: how long until a server answered (a logarithmic scale), with retries after timeouts and wrong leaders included. The rows on top count those never answered."
	lv.OKHelp = "answered: latency from invocation to the answer (median dot, range line)."
	lv.Rows[0].Help = "timed out: the client gave up; the operation may or may not have taken effect, and the linearizability check allows both."
	lv.Rows[1].Help = "unfinished: still waiting when the run ended."
	ok, to, un := h.nops[0], h.nops[1], h.nops[2]
	lv.Counts = fmt.Sprintf("%s: %d answered, %d timed out, %d unfinished.", plural(ok+to+un, "operation"), ok, to, un)
	return lv
}

// buildLatency draws samples: each column of latColW pixels shows the range and median
// of the latencies of what started in it, and each row counts what did not finish.
func buildLatency(samples []sample, rows []latRow, end time.Duration, viols []chaos.Violation) *latencyView {
	sc := scale{end: end}
	top := latRow0 + float64(len(rows)-1)*latRowH + latRowH + latGapTop
	lv := &latencyView{Width: svgW, Top: top, Bottom: top + latPlotH, EndSec: end.Seconds(), Ticks: sc.ticks(), Rows: rows}
	lv.AxisY = lv.Bottom
	lv.Height = lv.Bottom + latAxisH
	for i := range lv.Rows {
		lv.Rows[i].Y = latRow0 + float64(i)*latRowH
	}
	if len(samples) == 0 {
		lv.Empty = "Nothing to draw."
		return lv
	}
	ncol := int(math.Floor(plotW/latColW)) + 1
	lat := make([][]time.Duration, ncol)
	counts := make([][]int, len(rows))
	for i := range counts {
		counts[i] = make([]int, ncol)
	}
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	col := func(t time.Duration) int { return min(int((sc.x(t)-plotX0)/latColW), ncol-1) }
	for _, s := range samples {
		c := col(s.at)
		if s.row < 0 || s.row >= len(rows) {
			l := max(s.lat, time.Microsecond)
			lat[c] = append(lat[c], l)
			lo, hi = min(lo, l), max(hi, l)
		} else {
			counts[s.row][c]++
		}
	}
	if hi == 0 {
		lo, hi = time.Millisecond, 100*time.Millisecond
	}
	dlo := math.Floor(math.Log10(lo.Seconds()))
	dhi := math.Ceil(math.Log10(hi.Seconds()))
	if dhi-dlo < 2 {
		dhi = dlo + 2
	}
	y := func(d time.Duration) float64 {
		f := (math.Log10(d.Seconds()) - dlo) / (dhi - dlo)
		return lv.Bottom - f*(lv.Bottom-lv.Top)
	}
	for e := dlo; e <= dhi; e++ {
		lv.YTicks = append(lv.YTicks, tick{Y: lv.Bottom - (e-dlo)/(dhi-dlo)*(lv.Bottom-lv.Top), Label: fmtDur(time.Duration(math.Pow(10, e) * float64(time.Second)))})
	}
	span := func(c int) string {
		t0 := time.Duration(float64(c) * latColW / plotW * float64(end))
		t1 := time.Duration(float64(c+1) * latColW / plotW * float64(end))
		return fmt.Sprintf("started %s to %s", fmtSec(t0), fmtSec(t1))
	}
	for c := range ncol {
		x := plotX0 + (float64(c)+0.5)*latColW
		if l := lat[c]; len(l) > 0 {
			slices.Sort(l)
			med := l[len(l)/2]
			col := latCol{X: x, Y1: y(l[0]), Y2: y(l[len(l)-1]), YM: y(med), Single: len(l) == 1}
			if len(l) == 1 {
				col.Title = fmt.Sprintf("%s: 1 finished after %s", span(c), fmtDur(med))
			} else {
				col.Title = fmt.Sprintf("%s: %d finished; latency median %s, from %s to %s", span(c), len(l), fmtDur(med), fmtDur(l[0]), fmtDur(l[len(l)-1]))
			}
			lv.Cols = append(lv.Cols, col)
		}
		for i := range lv.Rows {
			if n := counts[i][c]; n > 0 {
				r := &lv.Rows[i]
				r.Marks = append(r.Marks, markView{X: x, Y: r.Y, Class: r.Class, Title: fmt.Sprintf("%s: %d %s", span(c), n, r.what)})
			}
		}
	}
	lv.Violations = violationLines(sc, viols)
	return lv
}
