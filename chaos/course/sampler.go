package course

import (
	"slices"
	"sort"
	"sync"
	"time"
)

// Sample is one answer a peer gave to GetState, or the news that a call has not
// returned for a while (a peer holding its lock for ever, most often).
type Sample struct {
	// Peer is the peer's id.
	Peer int
	// Time is when the call returned, or, for a stuck call, when it was noticed.
	Time time.Time
	// Term and Leader are GetState's answer; zero for a stuck call.
	Term   int
	Leader bool
	// Took is how long the call took (so far, for a stuck call).
	Took time.Duration
	// Stuck is set when the call has not returned within the sampler's StuckAfter. A
	// stuck call is reported once; its answer, if it ever comes, is reported as usual.
	Stuck bool
}

// SamplerConfig configures a Sampler.
type SamplerConfig struct {
	// Every is how often each peer is asked (default 10ms). A peer whose previous call
	// has not returned yet is not asked again until it does.
	Every time.Duration
	// StuckAfter is how long a call may run before it is reported stuck (default 1s).
	StuckAfter time.Duration
	// Report receives every sample, from one goroutine, in the order they happen. It
	// must not block.
	Report func(Sample)
}

// A Sampler asks peers GetState at a steady rate and reports each answer: how the
// engine follows the terms and leaders of peers whose insides it cannot see. Each peer
// is asked from a goroutine of its own, so a peer whose GetState never returns holds up
// no other, and is reported stuck. A Sampler is safe for concurrent use.
type Sampler struct {
	cfg      SamplerConfig
	results  chan sampleResult
	quit     chan struct{} // closed by Stop
	stopOnce sync.Once
	loopDone chan struct{}

	mu      sync.Mutex
	current map[int]*sampleWorker  // the worker of each sampled peer
	retired map[*sampleWorker]bool // workers of replaced peers, still in a call
	stuck   []int                  // set by Stop
}

type sampleWorker struct {
	peer  Peer
	id    int
	req   chan struct{} // buffered: one pending request
	quit  chan struct{}
	done  chan struct{}
	busy  bool      // a request is outstanding; used by the sampler's loop only
	since time.Time // when it was asked; used by the sampler's loop only
	told  bool      // reported stuck; used by the sampler's loop only
}

type sampleResult struct {
	w      *sampleWorker
	term   int
	leader bool
	took   time.Duration
	at     time.Time
}

// NewSampler starts a sampler with no peers; Set adds them.
func NewSampler(cfg SamplerConfig) *Sampler {
	if cfg.Every <= 0 {
		cfg.Every = 10 * time.Millisecond
	}
	if cfg.StuckAfter <= 0 {
		cfg.StuckAfter = time.Second
	}
	if cfg.Report == nil {
		cfg.Report = func(Sample) {}
	}
	s := &Sampler{
		cfg:      cfg,
		results:  make(chan sampleResult),
		quit:     make(chan struct{}),
		loopDone: make(chan struct{}),
		current:  map[int]*sampleWorker{},
		retired:  map[*sampleWorker]bool{},
	}
	go s.loop()
	return s
}

// Set makes peer id be sampled through p from now on; a nil p stops sampling it (a
// crashed peer). A call still running on the peer it replaces is left to finish, and
// its answer is not reported.
func (s *Sampler) Set(id int, p Peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.quit:
		return
	default:
	}
	if old := s.current[id]; old != nil {
		close(old.quit)
		s.retired[old] = true
		delete(s.current, id)
	}
	for w := range s.retired {
		select {
		case <-w.done:
			delete(s.retired, w)
		default:
		}
	}
	if p == nil {
		return
	}
	w := &sampleWorker{
		peer: p,
		id:   id,
		req:  make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.current[id] = w
	go w.run(s.results)
}

func (w *sampleWorker) run(results chan<- sampleResult) {
	defer close(w.done)
	for {
		select {
		case <-w.req:
		case <-w.quit:
			return
		}
		start := time.Now()
		term, leader := w.peer.GetState()
		r := sampleResult{w: w, term: term, leader: leader, at: time.Now()}
		r.took = r.at.Sub(start)
		select {
		case results <- r:
		case <-w.quit:
			return
		}
	}
}

func (s *Sampler) loop() {
	defer close(s.loopDone)
	tick := time.NewTicker(s.cfg.Every)
	defer tick.Stop()
	s.ask(time.Now())
	for {
		select {
		case <-s.quit:
			return
		case r := <-s.results:
			r.w.busy = false
			s.mu.Lock()
			current := s.current[r.w.id] == r.w
			s.mu.Unlock()
			if current {
				s.cfg.Report(Sample{Peer: r.w.id, Time: r.at, Term: r.term, Leader: r.leader, Took: r.took})
			}
		case now := <-tick.C:
			s.ask(now)
		}
	}
}

// ask sends a request to every idle worker and reports the calls that became stuck.
func (s *Sampler) ask(now time.Time) {
	s.mu.Lock()
	ws := make([]*sampleWorker, 0, len(s.current))
	for _, w := range s.current {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	sort.Slice(ws, func(i, j int) bool { return ws[i].id < ws[j].id })
	for _, w := range ws {
		if !w.busy {
			w.busy, w.since, w.told = true, now, false
			w.req <- struct{}{} // never blocks: a worker has at most one request
			continue
		}
		if took := now.Sub(w.since); !w.told && took >= s.cfg.StuckAfter {
			w.told = true
			s.cfg.Report(Sample{Peer: w.id, Time: now, Took: took, Stuck: true})
		}
	}
}

// Stop ends the sampling and the sampler's goroutines, and returns the ids of the peers
// whose GetState calls have not returned within grace: their goroutines cannot be
// ended, and stay until the calls return (if ever). Later calls return the same ids.
func (s *Sampler) Stop(grace time.Duration) (stuck []int) {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		close(s.quit)
		var ws []*sampleWorker
		for _, w := range s.current {
			close(w.quit)
			ws = append(ws, w)
		}
		for w := range s.retired {
			ws = append(ws, w)
		}
		s.mu.Unlock()
		<-s.loopDone
		deadline := time.NewTimer(grace)
		defer deadline.Stop()
		expired := false
		for _, w := range ws {
			if !expired {
				select {
				case <-w.done:
					continue
				case <-deadline.C:
					expired = true
				}
			}
			select {
			case <-w.done:
			default:
				s.stuck = append(s.stuck, w.id)
			}
		}
		sort.Ints(s.stuck)
		s.stuck = slices.Compact(s.stuck)
	})
	return s.stuck
}
