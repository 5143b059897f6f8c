package kv

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
)

// Operation is one entry of a history: a client operation from invocation to response.
type Operation = chaos.ClientOp

// Params are the settings of a kv workload line,
//
//	workload kv clients=5 keys=3 rate=100 reads=0.5 timeout=5s
//
// and may change while it runs.
type Params struct {
	// Clients is the number of clerks, each with at most one operation outstanding.
	Clients int `json:"clients"`
	// Keys is the number of keys, k0, k1...; each operation picks one at random.
	Keys int `json:"keys"`
	// Rate is the operations per second started across all clerks; a clerk still waiting
	// for its last operation starts its next when that is answered, so Clients divided by
	// the latency caps it. Zero starts none.
	Rate float64 `json:"rate"`
	// Reads is the fraction of operations that are Gets; the others are Puts and
	// Appends, half each.
	Reads float64 `json:"reads"`
	// Timeout is how long a clerk tries an operation before it gives up on it (recorded
	// as timed out, its outcome unknown) and goes on to its next; zero means never.
	Timeout time.Duration `json:"timeout"`
}

// The defaults of the optional parameters, and their bounds.
const (
	DefaultClients = 5
	DefaultKeys    = 3
	DefaultReads   = 0.5
	DefaultTimeout = 5 * time.Second
	MaxClients     = 1000
	MaxKeys        = 1_000_000
)

// DefaultParams returns the parameters a workload line leaves unset, with rate 0.
func DefaultParams() Params {
	return Params{Clients: DefaultClients, Keys: DefaultKeys, Reads: DefaultReads, Timeout: DefaultTimeout}
}

// Validate reports the first parameter out of its range.
func (p Params) Validate() error {
	switch {
	case p.Clients < 1 || p.Clients > MaxClients:
		return fmt.Errorf("kv: clients=%d: want 1..%d", p.Clients, MaxClients)
	case p.Keys < 1 || p.Keys > MaxKeys:
		return fmt.Errorf("kv: keys=%d: want 1..%d", p.Keys, MaxKeys)
	case !(p.Rate >= 0) || p.Rate > 1e9:
		return fmt.Errorf("kv: rate=%v: want a rate of at least 0", p.Rate)
	case !(p.Reads >= 0 && p.Reads <= 1):
		return fmt.Errorf("kv: reads=%v: want a fraction from 0 to 1", p.Reads)
	case p.Timeout < 0:
		return fmt.Errorf("kv: timeout=%v: want a duration of at least 0", p.Timeout)
	}
	return nil
}

// Config configures a Workload for one cluster.
type Config struct {
	// Peers is the number of servers.
	Peers int
	// Seed seeds the clerks' choices of operations, keys and first servers.
	Seed int64
	// MaxRaftState is the Raft state size past which each Store asks for a snapshot: 0
	// means DefaultMaxRaftState, a negative value never.
	MaxRaftState int
	// RetryAfter is how long a clerk waits for a server that took its request before it
	// tries the next one; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// Backoff is how long a clerk waits after every server refused its request (no
	// leader) before it tries them again; 0 means DefaultBackoff.
	Backoff time.Duration
}

// The defaults of Config.
const (
	DefaultRetryAfter = 250 * time.Millisecond
	DefaultBackoff    = 20 * time.Millisecond
)

// Workload is a set of clerks using the kv service of one cluster, and the history of
// what they saw. Create it with New, give its NewService to the cluster's
// ClusterConfig, call Start with the cluster, then Set to start the clerks and Step, from
// one goroutine, whenever cluster time has passed (at the latest by Next, and soon after
// Woken turns true). Finish ends it and checks the history.
//
// A Workload is safe for concurrent use: the engines apply commands and answer clerks on
// their goroutines while Step runs on the caller's.
type Workload struct {
	cfg  Config
	c    chaos.Cluster
	wake atomic.Bool

	mu       sync.Mutex
	rng      *rand.Rand // the clerks' choices
	stores   []*Store   // each peer's current life's Store
	params   Params
	on       bool
	clerks   []*clerk
	history  []Operation
	answered int // operations answered
	finished bool
}

// clerk is one client. Its fields are guarded by Workload.mu.
type clerk struct {
	id     int
	seq    int
	server int           // the server it believes leads
	next   time.Duration // when it may start its next operation

	// The operation outstanding, if busy.
	busy    bool
	hist    int // its index in the history
	op      Op
	cmd     string
	start   time.Duration
	attempt int           // counts the sends, so that late answers to earlier ones are ignored
	sentTo  int           // the server waiting on it, or -1
	index   int           // the log index it waits on
	sentAt  time.Duration // when it was sent there
	resend  bool          // it must be sent (again), from server onwards
	retryAt time.Duration // when to send it, after every server refused it
}

// New returns a Workload with no clerks running.
func New(cfg Config) *Workload {
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	switch {
	case cfg.MaxRaftState == 0:
		cfg.MaxRaftState = DefaultMaxRaftState
	case cfg.MaxRaftState < 0:
		cfg.MaxRaftState = 0
	}
	return &Workload{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6b765f636c65726b)),
		stores: make([]*Store, max(cfg.Peers, 0)),
		params: DefaultParams(),
	}
}

// NewService makes the Store of a peer's new life and remembers it as that peer's
// server. Use it as chaos.ClusterConfig.NewService.
func (w *Workload) NewService(peer int) chaos.Service {
	s := NewStore(w.cfg.MaxRaftState)
	w.mu.Lock()
	defer w.mu.Unlock()
	if peer >= 0 && peer < len(w.stores) {
		w.stores[peer] = s
	}
	return s
}

// Store returns peer's current Store (the latest life's), or nil.
func (w *Workload) Store(peer int) *Store {
	w.mu.Lock()
	defer w.mu.Unlock()
	if peer < 0 || peer >= len(w.stores) {
		return nil
	}
	return w.stores[peer]
}

// Start binds the workload to the cluster whose services it made. Call it once, before
// Set and Step.
func (w *Workload) Start(c chaos.Cluster) { w.c = c }

// Set starts the clerks with p, or changes their parameters. Clerks beyond p.Clients
// finish what they are doing and start nothing more.
func (w *Workload) Set(p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := w.c.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.params, w.on = p, true
	for len(w.clerks) < p.Clients {
		w.clerks = append(w.clerks, &clerk{id: len(w.clerks), server: w.rng.IntN(max(w.cfg.Peers, 1)), sentTo: -1})
	}
	// Spread the clerks' first operations over one interval.
	iv := w.intervalLocked()
	for i, k := range w.clerks {
		if !k.busy {
			k.next = now + iv*time.Duration(i)/time.Duration(len(w.clerks))
		}
	}
	w.wake.Store(true)
	return nil
}

// Off stops the clerks starting operations; those outstanding go on until answered or
// timed out.
func (w *Workload) Off() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = false
}

// Params returns the parameters, and whether the clerks are on.
func (w *Workload) Params() (Params, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.params, w.on
}

// intervalLocked is the time between one clerk's operations at the rate asked for.
// w.mu must be held.
func (w *Workload) intervalLocked() time.Duration {
	if w.params.Rate <= 0 {
		return time.Hour
	}
	return time.Duration(float64(time.Second) * float64(w.params.Clients) / w.params.Rate)
}

// Woken reports whether something happened (an answer, a refusal) that Step should see
// before Next says.
func (w *Workload) Woken() bool { return w.wake.Load() }

// Next returns the cluster time at which Step next has something to do, if nothing
// wakes it sooner; far in the future if nothing is planned.
func (w *Workload) Next() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	next := time.Duration(1<<62 - 1)
	if w.finished {
		return next
	}
	for _, k := range w.clerks {
		switch {
		case !k.busy:
			if w.on && k.id < w.params.Clients && w.params.Rate > 0 {
				next = min(next, k.next)
			}
			continue
		case k.resend:
			next = min(next, k.retryAt)
		case k.sentTo >= 0:
			next = min(next, k.sentAt+w.cfg.RetryAfter)
		}
		if w.params.Timeout > 0 {
			next = min(next, k.start+w.params.Timeout)
		}
	}
	return next
}

// Step does what is due: starts operations, gives up on those out of time, sends those
// refused or unanswered to the next server. Call it from one goroutine, never from an
// event sink.
func (w *Workload) Step() {
	w.wake.Store(false)
	w.mu.Lock()
	clerks := w.clerks
	w.mu.Unlock()
	for _, k := range clerks {
		// Each clerk reads the clock when it acts: in real time, the calls before it take
		// time, and an invocation stamped early would widen the operation and hide a
		// stale answer.
		w.stepClerk(k, w.c.Now())
	}
}

// send is a request to put in some server's log.
type send struct {
	k       *clerk
	op      Op
	cmd     string
	from    int
	attempt int
}

func (w *Workload) stepClerk(k *clerk, now time.Duration) {
	var cancel func()
	var called *Operation // an operation started, to publish once w.mu is released
	publishCall := func() {
		if called != nil {
			w.c.Events().Publish(chaos.Event{Kind: chaos.EventCall, Peer: -1, Client: called})
		}
	}
	w.mu.Lock()
	if w.finished {
		w.mu.Unlock()
		return
	}
	switch {
	case !k.busy:
		if !w.on || k.id >= w.params.Clients || w.params.Rate <= 0 || now < k.next {
			w.mu.Unlock()
			return
		}
		w.startLocked(k, now)
		op := w.history[k.hist]
		op.Status = chaos.ClientPending
		called = &op
	case w.params.Timeout > 0 && now >= k.start+w.params.Timeout:
		cancel = w.cancelLocked(k)
		op := w.finishLocked(k, now, chaos.ClientTimeout, -1, 0, "")
		w.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		w.publish(op)
		return
	case !k.resend && k.sentTo >= 0 && now >= k.sentAt+w.cfg.RetryAfter:
		// No answer in time: as a course clerk's RPC times out, try the next server.
		k.server = (k.sentTo + 1) % w.cfg.Peers
		cancel = w.cancelLocked(k)
		k.resend, k.retryAt = true, now
	}
	if !k.resend || now < k.retryAt {
		w.mu.Unlock()
		publishCall()
		if cancel != nil {
			cancel()
		}
		return
	}
	k.attempt++
	s := send{k: k, op: k.op, cmd: k.cmd, from: k.server, attempt: k.attempt}
	w.mu.Unlock()
	publishCall() // the invocation comes before what it causes
	if cancel != nil {
		cancel()
	}
	w.send(s, now)
}

// startLocked starts k's next operation. w.mu must be held.
func (w *Workload) startLocked(k *clerk, now time.Duration) {
	k.seq++
	op := Op{Client: k.id, Seq: k.seq, Key: "k" + strconv.Itoa(w.rng.IntN(w.params.Keys))}
	switch u := w.rng.Float64(); {
	case u < w.params.Reads:
		op.Kind = Get
	case u < w.params.Reads+(1-w.params.Reads)/2:
		op.Kind = Put
	default:
		op.Kind = Append
	}
	if op.Kind != Get {
		// Every value written is unique, so a read names the write it saw.
		op.Value = strconv.Itoa(k.id) + "." + strconv.Itoa(k.seq) + ";"
	}
	cmd, err := op.Command()
	if err != nil {
		panic(err) // the op is built above from valid parts
	}
	k.busy, k.op, k.cmd, k.start = true, op, cmd, now
	k.sentTo, k.resend, k.retryAt = -1, true, now
	k.next = now + w.intervalLocked()
	k.hist = len(w.history)
	w.history = append(w.history, Operation{
		Client: k.id, Seq: k.seq, Op: op.Kind.String(), Key: op.Key, Input: op.Value,
		Call: now, Peer: -1,
	})
}

// cancelLocked forgets the server waiting on k's request and returns the call that tells
// it, to make once w.mu is released. w.mu must be held.
func (w *Workload) cancelLocked(k *clerk) func() {
	if k.sentTo < 0 {
		return nil
	}
	st, index, client, seq := w.stores[k.sentTo], k.index, k.op.Client, k.op.Seq
	k.sentTo = -1
	if st == nil {
		return nil
	}
	return func() { st.Cancel(index, client, seq) }
}

// finishLocked records the end of k's operation and frees k. w.mu must be held.
func (w *Workload) finishLocked(k *clerk, now time.Duration, status string, peer, index int, value string) Operation {
	h := &w.history[k.hist]
	h.Status, h.Return, h.Peer, h.Index = status, now, peer, index
	h.Tries = k.attempt
	if status == chaos.ClientOK {
		w.answered++
		if k.op.Kind == Get {
			h.Output = value
		}
	}
	k.busy, k.sentTo, k.resend, k.attempt = false, -1, false, 0
	k.next = max(k.next, now)
	return *h
}

// send hands s's request to the servers in turn, from s.from, until one takes it (as the
// course's clerk does when servers answer ErrWrongLeader). It is called without w.mu.
func (w *Workload) send(s send, now time.Duration) {
	n := w.cfg.Peers
	for i := range n {
		peer := (s.from + i) % n
		r := w.c.ProposeTo(peer, s.cmd)
		if !r.OK {
			continue
		}
		w.c.Events().Publish(chaos.Event{Kind: chaos.EventPropose, Peer: peer, Propose: &chaos.Proposal{Command: s.cmd, Source: "kv", ProposeResult: r}})
		st := w.Store(peer)
		w.mu.Lock()
		if w.finished || !s.k.busy || s.k.attempt != s.attempt {
			w.mu.Unlock()
			return
		}
		s.k.server = peer
		if s.op.Kind == Get && bugs.On(bugs.StaleRead) {
			// The bug: a leader answers from its own state, without waiting for the read
			// to commit, so it never learns whether it still leads.
			op := w.finishLocked(s.k, now, chaos.ClientOK, peer, 0, st.Read(s.op.Key))
			w.mu.Unlock()
			w.publish(op)
			return
		}
		s.k.sentTo, s.k.index, s.k.sentAt, s.k.resend = peer, r.Index, now, false
		w.mu.Unlock()
		if r, done := st.Await(r.Index, s.op.Client, s.op.Seq, func(r Reply) { w.answer(s, peer, r) }); done {
			w.answer(s, peer, r)
		}
		return
	}
	// Nobody leads (or every leader is cut off from its clerks): wait, then try again.
	w.mu.Lock()
	if s.k.busy && s.k.attempt == s.attempt {
		s.k.retryAt = now + w.cfg.Backoff
	}
	w.mu.Unlock()
}

// answer is a server's reply to request s: it may come from an engine's goroutine while
// it applies commands, so it must not call the cluster.
func (w *Workload) answer(s send, peer int, r Reply) {
	now := w.c.Now()
	w.mu.Lock()
	k := s.k
	if w.finished || !k.busy || k.attempt != s.attempt || k.sentTo != peer {
		w.mu.Unlock()
		return
	}
	if !r.OK {
		// Another command took the index: the server lost its leadership. Try the next.
		k.sentTo = -1
		k.server = (peer + 1) % w.cfg.Peers
		k.resend, k.retryAt = true, now
		w.mu.Unlock()
		w.wake.Store(true)
		return
	}
	op := w.finishLocked(k, now, chaos.ClientOK, peer, r.Index, r.Value)
	w.mu.Unlock()
	w.wake.Store(true)
	w.publish(op)
}

// publish puts a finished operation on the cluster's bus (which also wakes a live
// cluster's RunUntil, so the clerk's next operation need not wait for other events).
func (w *Workload) publish(op Operation) {
	w.c.Events().Publish(chaos.Event{Kind: chaos.EventClient, Peer: op.Peer, Client: &op})
}

// ParseParams reads a workload line's parameters, as the scenario language writes them
// (clients=5 keys=3 rate=100 reads=0.5 or 50% timeout=5s or 0), through get (such as
// scenario.WorkloadSpec.Get). Parameters not given keep their defaults.
func ParseParams(get func(key string) (string, bool)) (Params, error) {
	p := DefaultParams()
	var err error
	num := func(key string, set func(string) error) {
		if v, ok := get(key); ok && err == nil {
			if e := set(v); e != nil {
				err = fmt.Errorf("kv: %s=%s: %w", key, v, e)
			}
		}
	}
	num("clients", func(v string) (e error) { p.Clients, e = strconv.Atoi(v); return })
	num("keys", func(v string) (e error) { p.Keys, e = strconv.Atoi(v); return })
	num("rate", func(v string) (e error) { p.Rate, e = strconv.ParseFloat(v, 64); return })
	num("reads", func(v string) (e error) {
		if pct, ok := strings.CutSuffix(v, "%"); ok {
			p.Reads, e = strconv.ParseFloat(pct, 64)
			p.Reads /= 100
			return
		}
		p.Reads, e = strconv.ParseFloat(v, 64)
		return
	})
	num("timeout", func(v string) (e error) {
		if v == "0" {
			p.Timeout = 0
			return nil
		}
		p.Timeout, e = time.ParseDuration(v)
		return
	})
	if err != nil {
		return p, err
	}
	return p, p.Validate()
}
