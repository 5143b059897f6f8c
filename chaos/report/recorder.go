package report

import (
	"fmt"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// DefaultMaxNet is how many network events a Recorder keeps at most when NewRecorder is
// given 0.
const DefaultMaxNet = 200_000

// afterViolation is how long after the first violation a Recorder keeps events.
const afterViolation = 250 * time.Millisecond

// recentSpan is how far back a Recorder keeps raft, proposal and network events: the
// message diagram's default window (2 s) and a little more.
const recentSpan = 3 * time.Second

// maxRecent bounds the raft events and proposals kept, however many come in recentSpan.
const maxRecent = 200_000

// keepAfter is how long after a kept window a Recorder keeps events, so that the calls
// sent in it are complete (deliveries, replies, failures).
const keepAfter = time.Second

// deque holds the events of the last span of time, up to a number of them. Not safe for
// concurrent use.
type deque struct {
	evs    []chaos.Event // those before head are forgotten
	head   int
	capped int           // events forgotten because there were too many, not too old
	capAt  time.Duration // the time of the last of those
}

// push adds e and forgets the events older than span before it, and the oldest beyond
// limit.
func (q *deque) push(e chaos.Event, span time.Duration, limit int) {
	q.evs = append(q.evs, e)
	for q.head < len(q.evs) {
		old := q.evs[q.head]
		if old.At >= e.At-span && len(q.evs)-q.head <= limit {
			break
		}
		if old.At >= e.At-span {
			q.capped++
			q.capAt = old.At
		}
		q.head++
	}
	if q.head >= 4096 && q.head >= len(q.evs)/2 {
		n := copy(q.evs, q.evs[q.head:])
		clear(q.evs[n:])
		q.evs, q.head = q.evs[:n], 0
	}
}

// live returns the events kept.
func (q *deque) live() []chaos.Event { return q.evs[q.head:] }

// Recorder records a run for a report. Give its Observe to the run as an observer
// (runner.Options.Observers), so that it sees the run from the first event; that also
// makes the live engine publish its network events.
//
// It folds every event into what the report draws as the events come (the timeline, the
// charts, the key events, the figures), so its memory grows slowly with the length of the
// run, and it keeps some events whole for the parts of the page that list or draw them:
// every step, fault, expectation, note and violation; the raft, proposal and network
// events of the last three seconds (at most maxNet network events); after the first
// violation, nothing later than a quarter second after it (the message diagram shows the
// time around it); and every event of the window given to Keep. Safe for concurrent use.
type Recorder struct {
	maxNet int

	mu     sync.Mutex
	hist   *history
	light  []chaos.Event // steps, faults, expectations, notes, violations
	recent deque         // raft events and proposals
	net    deque         // network events
	keep   Window        // events in it go to kept
	kept   []chaos.Event // events of keep (but light ones)
	failed bool
	failAt time.Duration
}

// NewRecorder returns a recorder that keeps at most maxNet network events (DefaultMaxNet
// when maxNet is 0 or less) besides those of the window given to Keep.
func NewRecorder(maxNet int) *Recorder {
	if maxNet <= 0 {
		maxNet = DefaultMaxNet
	}
	return &Recorder{maxNet: maxNet, hist: newHistory(0)}
}

// Keep makes the recorder keep every event of the window w (the span a report's message
// diagram is to show: see Data.Window), besides the last ones. Call it before the run.
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
		r.hist.add(e)
	}
	switch e.Kind {
	case chaos.EventRaft, chaos.EventPropose, chaos.EventNet:
	default:
		r.light = append(r.light, e)
		if e.Kind == chaos.EventViolation && !r.failed {
			r.failed, r.failAt = true, e.At
		}
		return
	}
	switch {
	case !r.keep.IsZero() && e.At >= r.keep.From && e.At <= r.keep.To+keepAfter:
		r.kept = append(r.kept, e)
	case r.failed && e.At > r.failAt+afterViolation:
		// Past the window around the first violation: folded, not kept.
	case e.Kind == chaos.EventNet:
		r.net.push(e, recentSpan, r.maxNet)
	default:
		r.recent.push(e, recentSpan, maxRecent)
	}
}

// Events returns a copy of the events kept whole, in order (not every event of the run:
// see Recorder).
func (r *Recorder) Events() []chaos.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events()
}

// events is Events. r.mu must be held.
func (r *Recorder) events() []chaos.Event {
	return merge(merge(r.light, r.kept), merge(r.recent.live(), r.net.live()))
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
// nil): the run as folded so far, the events kept, the window given to Keep, and a note
// if messages were forgotten. The recorder may go on recording; the Data does not change.
func (r *Recorder) Data(sc *scenario.Scenario, res *runner.Result) Data {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := FromRun(sc, res, r.events())
	end := r.hist.lastAt
	if res != nil {
		end = max(end, res.Duration)
	}
	d.folded = r.hist.finish(end)
	d.Window = r.keep
	if r.net.capped > 0 && r.keep.IsZero() {
		d.Notes = append(d.Notes, fmt.Sprintf("The recorder keeps at most %d message events: messages before %s are missing from the message diagram.",
			r.maxNet, fmtSec(r.net.capAt)))
	}
	return d
}
