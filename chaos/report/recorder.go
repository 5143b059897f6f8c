package report

import (
	"fmt"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// DefaultMaxNet is how many network events a Recorder keeps when NewRecorder is given 0.
const DefaultMaxNet = 100_000

// afterViolation is how long after the first violation a Recorder keeps network events.
const afterViolation = 250 * time.Millisecond

// Recorder keeps a run's events for a report. Give its Observe to the run as an observer
// (runner.Options.Observers), so that it sees the run from the first event; that also
// makes the live engine publish its network events.
//
// It keeps every event but network events, which are the many: of those it keeps the
// last maxNet, and none later than a quarter second after the first violation (the
// message diagram shows the time around it), and every one in the window given to Keep. Its memory grows with the run's other
// events, a few hundred bytes each. Safe for concurrent use.
type Recorder struct {
	maxNet int

	mu       sync.Mutex
	events   []chaos.Event // everything but network events, in order
	keep     Window        // network events in it go to kept
	kept     []chaos.Event // network events in keep, in order
	net      []chaos.Event // a ring of the last maxNet network events
	head     int           // the oldest in net, once it is full
	forgot   int           // network events dropped from the ring
	forgotAt time.Duration // the time of the last one dropped
	failed   bool
	failAt   time.Duration
}

// NewRecorder returns a recorder that keeps at most maxNet network events (DefaultMaxNet
// when maxNet is 0 or less).
func NewRecorder(maxNet int) *Recorder {
	if maxNet <= 0 {
		maxNet = DefaultMaxNet
	}
	return &Recorder{maxNet: maxNet}
}

// keepAfter is how long after a kept window the recorder keeps network events, so the
// calls sent in it are complete (deliveries, replies, failures).
const keepAfter = time.Second

// Keep makes the recorder keep every network event of the window w (the span a report's
// message diagram is to show: see Data.Window), besides the last ones. Call it before
// the run.
func (r *Recorder) Keep(w Window) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keep = w
}

// Observe records e. It never blocks for long; use it as a bus sink.
func (r *Recorder) Observe(e chaos.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind != chaos.EventNet {
		r.events = append(r.events, e)
		if e.Kind == chaos.EventViolation && !r.failed {
			r.failed, r.failAt = true, e.At
		}
		return
	}
	if !r.keep.IsZero() && e.At >= r.keep.From && e.At <= r.keep.To+keepAfter {
		r.kept = append(r.kept, e)
		return
	}
	if r.failed && e.At > r.failAt+afterViolation {
		return
	}
	if len(r.net) < r.maxNet {
		r.net = append(r.net, e)
		return
	}
	r.forgot++
	r.forgotAt = r.net[r.head].At
	r.net[r.head] = e
	r.head = (r.head + 1) % len(r.net)
}

// Events returns a copy of the events kept, in order.
func (r *Recorder) Events() []chaos.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	net := make([]chaos.Event, 0, len(r.net))
	net = append(net, r.net[r.head:]...)
	net = append(net, r.net[:r.head]...)
	return merge(merge(r.events, r.kept), net)
}

// merge merges two lists of events in Seq order.
func merge(a, b []chaos.Event) []chaos.Event {
	out := make([]chaos.Event, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || i < len(a) && a[i].Seq < b[j].Seq {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// Data returns the Data of the run recorded, a run of sc that gave res (either may be
// nil), with a note if early messages were forgotten, and the window given to Keep.
func (r *Recorder) Data(sc *scenario.Scenario, res *runner.Result) Data {
	d := FromRun(sc, res, r.Events())
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forgot > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("The recorder keeps the last %d message events: the %d before %s are not in the message diagram.",
			r.maxNet, r.forgot, fmtSec(r.forgotAt)))
		if !r.keep.IsZero() {
			d.Notes[len(d.Notes)-1] = fmt.Sprintf("The recorder keeps the message events from %s to %s and the last %d: %d others are not in the message diagram.",
				fmtSec(r.keep.From), fmtSec(r.keep.To), r.maxNet, r.forgot)
		}
	}
	d.Window = r.keep
	return d
}
