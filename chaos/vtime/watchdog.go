package vtime

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Checker is the name deadlock verdicts carry as chaos violations.
const Checker = "deadlock"

// PeerLabel is the runtime/pprof label that says which peer a goroutine works for. An
// engine that starts each peer under pprof.Do with it lets verdicts show that peer's
// goroutines first (see EnableTracebackLabels).
const PeerLabel = "peer"

// RaftPackage is the prefix of the functions of MiniRaft's Raft, the default code whose
// stacks a verdict shows.
const RaftPackage = "github.com/miniraft/miniraft/raft."

// Defaults of the Options fields.
const (
	DefaultBound = 2 * time.Second
	DefaultStall = 5 * time.Second
	DefaultTick  = 10 * time.Millisecond
)

// Options configure a Watchdog. Zero fields take the defaults.
type Options struct {
	// Bound is how long, in cluster time, a watched call may take (default 2s).
	Bound time.Duration
	// Stall is how long, in real time, the cluster's clock may stand still while the
	// watchdog pulses before the cluster is declared stuck (default 5s). In a synctest
	// bubble the clock stops when some goroutine is blocked but not durably (on a mutex,
	// say) while every other one is durably blocked: only real time can see that.
	Stall time.Duration
	// Tick is the pulse's period in cluster time (default 10ms): how often the clock is
	// sampled and watched calls are checked against Bound.
	Tick time.Duration
	// Limit, when set, bounds the whole run in cluster time from Pulse. In a bubble a
	// run whose goroutines are all durably blocked never ends while any timer is set
	// (the pulse's own, at least): virtual time races on. Limit turns that into a
	// verdict too.
	Limit time.Duration
	// Packages are the prefixes of the functions whose goroutines a verdict shows
	// (default RaftPackage).
	Packages []string
	// Clock, when set, gives the cluster time verdicts are stamped with (such as a
	// chaos.Cluster's Now); by default it is the time since Pulse. It is called from the
	// pulse goroutine, so it must not block for long.
	Clock func() time.Duration
	// OnVerdict, when set, is called once with the first verdict, from the goroutine
	// that reached it: the pulse (in the bubble, if the pulse runs in one) for a call
	// over Bound, the watchdog's own goroutine (outside any bubble) for a stall. It may
	// end the process.
	OnVerdict func(Verdict)
}

func (o Options) withDefaults() Options {
	if o.Bound <= 0 {
		o.Bound = DefaultBound
	}
	if o.Stall <= 0 {
		o.Stall = DefaultStall
	}
	if o.Tick <= 0 {
		o.Tick = DefaultTick
	}
	if len(o.Packages) == 0 {
		o.Packages = []string{RaftPackage}
	}
	return o
}

// Verdict is a watchdog's finding: a call into a peer that did not return in time, or a
// cluster whose clock stopped. It is a plain value.
type Verdict struct {
	// Peer is the peer named, or -1 when none could be.
	Peer int `json:"peer"`
	// Op is the watched call that did not return ("GetState"), or "" for a stall with
	// none under way.
	Op string `json:"op,omitempty"`
	// Stalled is set when the cluster's clock stopped, rather than a call overrunning.
	Stalled bool `json:"stalled,omitempty"`
	// Message says what happened, in one sentence.
	Message string `json:"message"`
	// At is the cluster time of the verdict.
	At time.Duration `json:"at"`
	// Stacks are the goroutines running the watched packages (of the watchdog's bubble,
	// when it pulses in one): the stuck call's first, then those labelled with the
	// peer, then the others.
	Stacks []Goroutine `json:"stacks"`
}

// Violation returns v as a chaos violation of the "deadlock" checker.
func (v Verdict) Violation() chaos.Violation {
	cv := chaos.Violation{Checker: Checker, Message: v.Message, At: v.At}
	if v.Peer >= 0 {
		cv.Peers = []int{v.Peer}
	}
	return cv
}

// String returns the message followed by the stacks, as the runtime printed them.
func (v Verdict) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "deadlock at %.3fs: %s\n", v.At.Seconds(), v.Message)
	for _, g := range v.Stacks {
		b.WriteString("\n" + g.Text + "\n")
	}
	return b.String()
}

// Watchdog turns a hang into a verdict: a watched call into a peer (GetState, Start,
// Kill...) that does not return within a bound of cluster time, or a cluster whose clock
// stops advancing for a while of real time. It works in real time and in a synctest
// bubble alike: the pulse (see Pulse) runs where the cluster runs and samples its clock,
// and the watchdog's own goroutine, outside any bubble, watches the pulse in real time.
//
// A verdict cannot unblock the goroutines that hang: whoever gets it reports it and ends
// the run, as a worker process does by exiting (see Serve). Make one with New (outside
// any bubble), Pulse where the cluster runs, and Close when done. It is safe for
// concurrent use.
type Watchdog struct {
	opts Options
	done chan struct{} // closed at the verdict; made outside any bubble
	quit chan struct{} // closed by Close
	exit chan struct{} // closed when the monitor has ended
	once sync.Once     // delivers the first verdict
	shut sync.Once     // closes quit

	// mu guards the fields below.
	mu      sync.Mutex
	calls   map[uint64]call
	next    uint64
	pulsing bool
	start   time.Time // the cluster clock at Pulse
	beat    time.Time // the cluster clock at the last pulse
	beats   uint64    // pulses so far
	bubble  int64     // the pulse's bubble, or 0
	verdict *Verdict
}

// call is a watched call under way.
type call struct {
	peer  int
	op    string
	start time.Time // by the clock of the caller's world
}

// New starts a watchdog. It must be called outside any synctest bubble: its goroutine
// must see real time.
func New(opts Options) *Watchdog {
	if b := currentBubble(); b != 0 {
		panic(fmt.Sprintf("vtime.New called in synctest bubble %d; make the watchdog outside the bubble and Pulse inside", b))
	}
	w := &Watchdog{
		opts:  opts.withDefaults(),
		done:  make(chan struct{}),
		quit:  make(chan struct{}),
		exit:  make(chan struct{}),
		calls: make(map[uint64]call),
	}
	go w.monitor()
	return w
}

// Watch marks the start of a call into peer; call the function it returns when the call
// returns: defer w.Watch(id, "GetState")(). It must be called where the cluster runs
// (in its bubble, if it runs in one).
func (w *Watchdog) Watch(peer int, op string) (done func()) {
	now := time.Now()
	w.mu.Lock()
	id := w.next
	w.next++
	w.calls[id] = call{peer: peer, op: op, start: now}
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.calls, id)
		w.mu.Unlock()
	}
}

// Pulse starts sampling the cluster's clock every Tick of cluster time, in a goroutine of
// the caller's world: call it where the cluster runs (in its bubble, if it runs in one),
// after New. The function it returns stops the pulse and waits for it to end; call it
// before the bubble ends. A watchdog pulses once at a time.
func (w *Watchdog) Pulse() (stop func()) {
	now := time.Now()
	bubble := currentBubble()
	w.mu.Lock()
	if w.pulsing {
		w.mu.Unlock()
		panic("vtime: Pulse called while the watchdog pulses")
	}
	w.pulsing, w.start, w.beat, w.bubble = true, now, now, bubble
	w.mu.Unlock()
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(w.opts.Tick)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				w.pulse()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			<-exited
			w.mu.Lock()
			w.pulsing = false
			w.mu.Unlock()
		})
	}
}

// pulse samples the clock and checks the watched calls against Bound.
func (w *Watchdog) pulse() {
	now := time.Now()
	w.mu.Lock()
	w.beat = now
	w.beats++
	if w.verdict != nil {
		w.mu.Unlock()
		return
	}
	var late *call
	for _, c := range w.calls {
		if now.Sub(c.start) > w.opts.Bound && (late == nil || c.start.Before(late.start)) {
			late = &c
		}
	}
	over := w.opts.Limit > 0 && now.Sub(w.start) > w.opts.Limit
	w.mu.Unlock()
	switch {
	case late != nil:
		w.fire(Verdict{
			Peer: late.peer, Op: late.op,
			Message: fmt.Sprintf("peer %d: %s has not returned after %v of cluster time", late.peer, late.op, w.opts.Bound),
		}, w.clusterNow(now))
	case over:
		w.fire(Verdict{Peer: -1, Message: fmt.Sprintf("the run has not ended after %v of cluster time", w.opts.Limit)}, w.clusterNow(now))
	}
}

// clusterNow returns the cluster time, by Clock or since Pulse, at now (a time of the
// pulse's world).
func (w *Watchdog) clusterNow(now time.Time) time.Duration {
	if w.opts.Clock != nil {
		return w.opts.Clock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return now.Sub(w.start)
}

// monitor watches, in real time, that the pulse's clock keeps advancing.
func (w *Watchdog) monitor() {
	defer close(w.exit)
	poll := min(w.opts.Stall/10, 100*time.Millisecond)
	t := time.NewTicker(poll)
	defer t.Stop()
	var seen uint64
	var still time.Time // when the clock was last seen to move, in real time
	for {
		select {
		case <-w.quit:
			return
		case <-w.done:
			return
		case now := <-t.C:
			w.mu.Lock()
			beats, pulsing, beat, start := w.beats, w.pulsing, w.beat, w.start
			var oldest *call
			for _, c := range w.calls {
				if oldest == nil || c.start.Before(oldest.start) {
					oldest = &c
				}
				if c.start.After(beat) {
					beat = c.start // the latest reading of the clock
				}
			}
			w.mu.Unlock()
			if !pulsing || beats != seen || still.IsZero() {
				seen, still = beats, now
				continue
			}
			if now.Sub(still) < w.opts.Stall {
				continue
			}
			at := beat.Sub(start)
			v := Verdict{Peer: -1, Stalled: true}
			v.Message = fmt.Sprintf("the cluster's clock stopped at %.3fs and has not moved for %v of real time", at.Seconds(), w.opts.Stall)
			if oldest != nil {
				v.Peer, v.Op = oldest.peer, oldest.op
				v.Message += fmt.Sprintf("; peer %d: %s has not returned since %.3fs", oldest.peer, oldest.op, oldest.start.Sub(start).Seconds())
			}
			w.fireStall(v, at)
			return
		}
	}
}

// fireStall completes a stall verdict from the stacks (which goroutines of the code
// wait for a mutex, which keep running, and whose) and fires it.
func (w *Watchdog) fireStall(v Verdict, at time.Duration) {
	stacks := w.stacks(v.Peer, v.Op)
	var waiting, busy []string
	for _, g := range stacks {
		fn := w.ownFunc(g)
		if p, ok := g.Labels[PeerLabel]; ok {
			fn += " (peer " + p + ")"
		}
		switch {
		case g.MutexWait():
			waiting = append(waiting, fn)
		case g.State == "running" || g.State == "runnable":
			busy = append(busy, fn)
		default:
			continue
		}
		if p, ok := g.Labels[PeerLabel]; ok && v.Peer < 0 {
			fmt.Sscan(p, &v.Peer)
		}
	}
	if len(waiting) > 0 {
		v.Message += fmt.Sprintf("; %d goroutine(s) of the code wait for a mutex (%s): that is not durably blocking, so whoever holds the mutex while blocked stops the clock", len(waiting), strings.Join(waiting, ", "))
	}
	if len(busy) > 0 {
		v.Message += fmt.Sprintf("; %d goroutine(s) of the code were running (%s): the cluster stays busy at one instant, as a loop that retries without waiting would keep it", len(busy), strings.Join(busy, ", "))
	}
	w.deliver(v, at, stacks)
}

// ownFunc returns the innermost function of g in the watched packages.
func (w *Watchdog) ownFunc(g Goroutine) string {
	for _, f := range g.Funcs {
		if slices.ContainsFunc(w.opts.Packages, func(p string) bool { return strings.HasPrefix(f, p) }) {
			return f
		}
	}
	return g.Creator
}

// fire completes a verdict with the stacks and delivers it.
func (w *Watchdog) fire(v Verdict, at time.Duration) {
	w.deliver(v, at, w.stacks(v.Peer, v.Op))
}

// deliver records the first verdict, closes Done and calls OnVerdict.
func (w *Watchdog) deliver(v Verdict, at time.Duration, stacks []Goroutine) {
	v.At, v.Stacks = at, stacks
	first := false
	w.once.Do(func() {
		first = true
		w.mu.Lock()
		w.verdict = &v
		w.mu.Unlock()
		close(w.done)
	})
	if first && w.opts.OnVerdict != nil {
		w.opts.OnVerdict(v)
	}
}

// stacks returns the goroutines of the watched packages in the pulse's bubble (any, if
// it pulses in none): the one stuck in op first, then peer's, then the others.
func (w *Watchdog) stacks(peer int, op string) []Goroutine {
	w.mu.Lock()
	bubble := w.bubble
	w.mu.Unlock()
	var out []Goroutine
	for _, g := range ParseStacks(Dump()) {
		if (bubble == 0 || g.Bubble == bubble) && g.Runs(w.opts.Packages...) {
			out = append(out, g)
		}
	}
	rank := func(g Goroutine) int {
		switch {
		case op != "" && g.Calls(op):
			return 0
		case peer >= 0 && g.Labels[PeerLabel] == fmt.Sprint(peer):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b Goroutine) int { return rank(a) - rank(b) })
	return out
}

// Done returns a channel closed at the first verdict. It was made outside any bubble, so
// a goroutine in one must not wait on it: that wait is not durable and would hold the
// bubble's clock.
func (w *Watchdog) Done() <-chan struct{} { return w.done }

// Verdict returns the first verdict, or nil while there is none.
func (w *Watchdog) Verdict() *Verdict {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.verdict == nil {
		return nil
	}
	v := *w.verdict
	return &v
}

// Close stops the watchdog's goroutine and waits for it. Stop the pulse first. Close
// may be called more than once.
func (w *Watchdog) Close() {
	w.shut.Do(func() { close(w.quit) })
	<-w.exit
}

// EnableTracebackLabels makes the runtime print goroutines' runtime/pprof labels in
// stack dumps (GODEBUG=tracebacklabels=1, Go 1.26), so that verdicts can tell which
// peer a goroutine belongs to when the engine labels its peers' goroutines. It changes
// the process's environment: call it from a program's main or a worker, not a library.
func EnableTracebackLabels() error {
	cur := os.Getenv("GODEBUG")
	if strings.Contains(cur, "tracebacklabels=1") {
		return nil
	}
	if cur != "" {
		cur += ","
	}
	return os.Setenv("GODEBUG", cur+"tracebacklabels=1")
}
