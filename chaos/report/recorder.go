package report

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// DefaultKeep is how many raft, proposal and client events, and how many network
// events, a Recorder keeps whole at least when NewRecorder is given 0.
const DefaultKeep = 50_000

// afterViolation is how long after the first violation a Recorder keeps events.
const afterViolation = 250 * time.Millisecond

// recentSpan is how far back a Recorder keeps raft, proposal, client and network events
// however many they are (up to four times its limit): the message diagram's default
// window (2 s) and a little more.
const recentSpan = 3 * time.Second

// keepAfter is how long after a kept window a Recorder keeps events, so that the calls
// sent in it are complete (deliveries, replies, failures).
const keepAfter = time.Second

// deque holds the last events, at least a number of them and at least those of the last
// span of time. Not safe for concurrent use.
type deque struct {
	evs      []chaos.Event // those before head are forgotten
	head     int
	forgot   int           // events forgotten
	forgotAt time.Duration // the time of the last one forgotten
}

// push adds e, and forgets the oldest events beyond limit that are older than span
// before it, or beyond 4*limit whatever their age.
func (q *deque) push(e chaos.Event, span time.Duration, limit int) {
	q.evs = append(q.evs, e)
	for q.head < len(q.evs) {
		n := len(q.evs) - q.head
		if n <= limit || q.evs[q.head].At >= e.At-span && n <= 4*limit {
			break
		}
		q.forgot++
		q.forgotAt = q.evs[q.head].At
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
// every step, fault, expectation, note and violation; the last raft, proposal and client
// events and the last network events (a number of each: see NewRecorder; and all of the
// last three seconds); nothing later than a quarter second after the first violation
// (the message diagram shows the time around it); and every event of the window given
// to Keep. Safe for concurrent use.
type Recorder struct {
	limit int

	mu     sync.Mutex
	model  *model.Run // the run model, which hist follows
	hist   *history
	light  []chaos.Event // steps, faults, expectations, notes, violations
	recent deque         // raft events, proposals and client operations
	net    deque         // network events
	keep   Window        // events in it go to kept
	kept   []chaos.Event // events of keep (but light ones)
	failed bool
	failAt time.Duration
}

// NewRecorder returns a recorder of a run in (model.InfoOf says what a run of a scenario
// is) that keeps whole the last keep raft, proposal and client events, and the last keep
// network events (DefaultKeep when keep is 0 or less), and those of the window given to
// Keep.
func NewRecorder(keep int, in model.Info) *Recorder {
	if keep <= 0 {
		keep = DefaultKeep
	}
	m := model.New(in)
	return &Recorder{limit: keep, model: m, hist: newHistory(in.Peers, m)}
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
	eff := r.model.Apply(e)
	if e.Kind != chaos.EventNet {
		r.hist.add(e, eff)
	}
	switch e.Kind {
	case chaos.EventRaft, chaos.EventPropose, chaos.EventClient, chaos.EventNet:
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
		r.net.push(e, recentSpan, r.limit)
	default:
		r.recent.push(slim(e), recentSpan, r.limit)
	}
}

// slim returns e without most of the entries it carries: an append's entries share the
// log's arrays, and keeping them would keep the whole log alive. The page shows at most
// four entries of an event.
func slim(e chaos.Event) chaos.Event {
	if e.Raft == nil || len(e.Raft.Entries) == 0 {
		return e
	}
	r := *e.Raft
	if len(r.Entries) > 4 {
		r.Entries = nil // the page then shows the range only
	} else {
		r.Entries = slices.Clone(r.Entries)
	}
	e.Raft = &r
	return e
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

// Data returns the Data of the run recorded, a run of sc that gave res and kvr (each may
// be nil; without res, the result is the recorder's run model's so far): the run's
// history so far, the events kept, the window given to Keep, and a note if messages were
// forgotten. The recorder may go on recording; the Data does not change.
func (r *Recorder) Data(sc *scenario.Scenario, res *model.Result, kvr *kv.Result) Data {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res == nil {
		mr := r.model.Result()
		res = &mr
	}
	d := FromRun(sc, res, kvr, r.events())
	if sc == nil {
		d.Header.Peers = r.model.Info().Peers
	}
	end := max(r.hist.lastAt, res.Duration)
	d.folded = r.hist.finish(end)
	d.Window = r.keep
	if r.keep.IsZero() {
		// The diagram and the events before the violation want what came from a second
		// before the first failure (or two before the end): say if some of it is gone.
		from := end - 2*time.Second
		if res.Failure != nil {
			from = res.Failure.At - time.Second
		}
		gone := max(r.recent.forgotAt, r.net.forgotAt)
		if (r.recent.forgot > 0 || r.net.forgot > 0) && gone >= from {
			d.Notes = append(d.Notes, fmt.Sprintf("The recorder keeps the last %d events of each kind whole, and forgot those up to %s: the message diagram and the events before the violation miss part of what came before.",
				r.limit, fmtSec(gone)))
		}
	}
	return d
}
