package report

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
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

// The latency chart's geometry.
const (
	latLost    = 14.0
	latRefused = 28.0
	latPending = 42.0
	latTop     = 58.0
	latBottom  = 176.0
	latHeight  = 198.0
	latColW    = 3.0
)

type latCol struct {
	X, Y1, Y2, YM float64
	Single        bool
	Title         string
}

type latencyView struct {
	Width, Height, Top, Bottom float64
	EndSec                     float64
	Ticks, YTicks              []tick
	AxisY                      float64
	RowLost, RowRefused        float64
	RowPending                 float64
	Cols                       []latCol
	Lost, Refused, Pending     []markView
	Violations                 []vline
	Counts                     string
	Empty                      bool
}

func buildLatency(h *history, end time.Duration, viols []chaos.Violation) *latencyView {
	sc := scale{end: end}
	lv := &latencyView{Width: svgW, Height: latHeight, Top: latTop, Bottom: latBottom, EndSec: end.Seconds(), Ticks: sc.ticks(), AxisY: latBottom,
		RowLost: latLost, RowRefused: latRefused, RowPending: latPending}
	if len(h.props) == 0 {
		lv.Empty = true
		return lv
	}
	ncol := int(math.Floor(plotW/latColW)) + 1
	lat := make([][]time.Duration, ncol)
	lost := make([]int, ncol)
	refused := make([]int, ncol)
	pending := make([]int, ncol)
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	col := func(t time.Duration) int { return min(int((sc.x(t)-plotX0)/latColW), ncol-1) }
	for _, pr := range h.props {
		c := col(pr.at)
		switch pr.status {
		case propCommitted:
			l := max(pr.done-pr.at, time.Microsecond)
			lat[c] = append(lat[c], l)
			lo, hi = min(lo, l), max(hi, l)
		case propLost:
			lost[c]++
		case propRefused:
			refused[c]++
		case propPending:
			pending[c]++
		}
	}
	committed, nlost, npend, nref := h.propCounts()
	lv.Counts = fmt.Sprintf("%s: %d committed, %d lost, %d never committed, %d found no leader.", plural(len(h.props), "proposal"), committed, nlost, npend, nref)
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
		return latBottom - f*(latBottom-latTop)
	}
	for e := dlo; e <= dhi; e++ {
		lv.YTicks = append(lv.YTicks, tick{Y: latBottom - (e-dlo)/(dhi-dlo)*(latBottom-latTop), Label: fmtDur(time.Duration(math.Pow(10, e) * float64(time.Second)))})
	}
	span := func(c int) string {
		t0 := time.Duration(float64(c) * latColW / plotW * float64(end))
		t1 := time.Duration(float64(c+1) * latColW / plotW * float64(end))
		return fmt.Sprintf("proposed %s to %s", fmtSec(t0), fmtSec(t1))
	}
	for c := range ncol {
		x := plotX0 + (float64(c)+0.5)*latColW
		if l := lat[c]; len(l) > 0 {
			slices.Sort(l)
			med := l[len(l)/2]
			col := latCol{X: x, Y1: y(l[0]), Y2: y(l[len(l)-1]), YM: y(med), Single: len(l) == 1}
			if len(l) == 1 {
				col.Title = fmt.Sprintf("%s: 1 committed after %s", span(c), fmtDur(med))
			} else {
				col.Title = fmt.Sprintf("%s: %d committed; latency median %s, from %s to %s", span(c), len(l), fmtDur(med), fmtDur(l[0]), fmtDur(l[len(l)-1]))
			}
			lv.Cols = append(lv.Cols, col)
		}
		if lost[c] > 0 {
			lv.Lost = append(lv.Lost, markView{X: x, Y: latLost, Class: "lost", Title: fmt.Sprintf("%s: %s lost (a leader took it, then another command took its index)", span(c), plural(lost[c], "proposal"))})
		}
		if refused[c] > 0 {
			lv.Refused = append(lv.Refused, markView{X: x, Y: latRefused, Class: "refused", Title: fmt.Sprintf("%s: %s found no leader", span(c), plural(refused[c], "proposal"))})
		}
		if pending[c] > 0 {
			lv.Pending = append(lv.Pending, markView{X: x, Y: latPending, Class: "pending", Title: fmt.Sprintf("%s: %s never committed by the end of the run", span(c), plural(pending[c], "proposal"))})
		}
	}
	lv.Violations = violationLines(sc, viols)
	return lv
}
