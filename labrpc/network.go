package labrpc

import (
	"log"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Course timings, in the course's units.
const (
	// serverCheckInterval is how often a pending call checks whether its server was
	// deleted or its end disabled while the handler runs.
	serverCheckInterval = 100 * time.Millisecond
	// unreliableDelayMs bounds the delay of every request on an unreliable network:
	// rand % 27 ms.
	unreliableDelayMs = 27
	// dropPerMille is the share of requests, and of replies, an unreliable network drops.
	dropPerMille = 100
	// shortFailMs and longFailMs bound the wait before a call that cannot be delivered
	// returns false: rand % 100 ms, or rand % 7000 ms with LongDelays.
	shortFailMs = 100
	longFailMs  = 7000
)

// Network is a simulated network of named client ends and named servers. Make one with
// MakeNetwork or MakeNetworkSeed. All its methods are safe for concurrent use.
type Network struct {
	// mu guards the configuration below, through thaw. Calls hold it for reading only.
	mu             sync.RWMutex
	reliable       bool
	longDelays     bool
	longReordering bool
	ends           map[interface{}]*endState
	servers        map[interface{}]*Server
	global         Faults
	links          map[link]Faults
	faulty         bool          // some fault is set: global or a link
	frozen         atomic.Bool   // all or some server is frozen; written with mu held for writing
	all            bool          // the whole network is frozen
	thaw           chan struct{} // closed by Thaw; valid while all
	// frozenSrv holds, for each frozen server, the channel ThawServer closes.
	frozenSrv map[interface{}]chan struct{}

	done      chan struct{} // closed by Cleanup
	closed    atomic.Bool
	cleanOnce sync.Once

	count  atomic.Int64 // requests that entered the network
	bytes  atomic.Int64 // request and returned reply bytes
	callID atomic.Uint64

	obs    atomic.Pointer[func(Event)]
	logger atomic.Pointer[log.Logger]
	logMu  sync.Mutex      // guards logged
	logged map[string]bool // problems already logged

	rng     source
	codec   codec
	workers workers // run handlers

	// Recycled per network rather than globally: a network lives in one synctest
	// bubble, and channels and timers must not cross bubbles.
	resultChans sync.Pool // chan result, empty
	checkTimers sync.Pool // *time.Timer, stopped
}

// endState is what the network knows about an end name. Guarded by Network.mu.
type endState struct {
	enabled bool
	server  interface{} // the server name the end is connected to, or nil
	owner   interface{} // the server name the end belongs to, or nil
	made    bool        // MakeEnd was called for this name
}

// MakeNetwork returns a reliable network with no ends or servers, seeded from the
// runtime's random source (see Seed).
func MakeNetwork() *Network {
	return MakeNetworkSeed(rand.Int64())
}

// MakeNetworkSeed returns a network like MakeNetwork whose random decisions come from a
// source seeded with seed: the same seed and the same sequence of calls, made one after
// another, give the same decisions.
func MakeNetworkSeed(seed int64) *Network {
	rn := &Network{
		reliable: true,
		ends:     make(map[interface{}]*endState),
		servers:  make(map[interface{}]*Server),
		links:    make(map[link]Faults),
		done:     make(chan struct{}),
		logged:   make(map[string]bool),
	}
	rn.rng.reseed(seed)
	rn.workers.done = rn.done
	return rn
}

// SetSeed restarts the network's random source from seed. Every random decision of the
// network (delays, drops, reordering, duplication, failure waits) comes from this one
// source; for a sequence of calls made one after another, the same seed gives the same
// decisions. Concurrent calls draw in the order they get to it.
func (rn *Network) SetSeed(seed int64) { rn.rng.reseed(seed) }

// Seed returns the seed last given to MakeNetworkSeed or SetSeed, or the random one
// MakeNetwork chose, so that a run can be repeated.
func (rn *Network) Seed() int64 { return rn.rng.getSeed() }

// SetLogger sets where the network logs misuse (such as a call to an unknown method),
// once per distinct problem; nil means log.Default().
func (rn *Network) SetLogger(l *log.Logger) { rn.logger.Store(l) }

func (rn *Network) logOnce(msg string) {
	rn.logMu.Lock()
	seen := rn.logged[msg]
	rn.logged[msg] = true
	rn.logMu.Unlock()
	if seen {
		return
	}
	l := rn.logger.Load()
	if l == nil {
		l = log.Default()
	}
	l.Print("labrpc: " + msg)
}

// Cleanup shuts the network down: every pending call returns false promptly, and every
// later call returns false at once. It ends every goroutine the network started except
// handlers still running, which end when they return. Cleanup may be called more than
// once.
func (rn *Network) Cleanup() {
	rn.cleanOnce.Do(func() {
		rn.closed.Store(true)
		close(rn.done)
	})
}

// Reliable sets whether the network is reliable. An unreliable network delays every
// request by 0-26 ms and drops 10% of requests and 10% of replies.
func (rn *Network) Reliable(yes bool) {
	rn.mu.Lock()
	rn.reliable = yes
	rn.mu.Unlock()
}

// LongReordering sets whether replies are sometimes delayed a long time: about 2/3 of
// replies get an extra 200 + rand(1+rand(2000)) ms.
func (rn *Network) LongReordering(yes bool) {
	rn.mu.Lock()
	rn.longReordering = yes
	rn.mu.Unlock()
}

// LongDelays sets how long a call that cannot be delivered (disabled end, no server, cut
// link) waits before it returns false: a random 0-6999 ms if yes, 0-99 ms if not.
func (rn *Network) LongDelays(yes bool) {
	rn.mu.Lock()
	rn.longDelays = yes
	rn.mu.Unlock()
}

// end returns the state of an end name, creating it. rn.mu must be held for writing.
func (rn *Network) end(name interface{}) *endState {
	st := rn.ends[name]
	if st == nil {
		st = &endState{}
		rn.ends[name] = st
	}
	return st
}

// MakeEnd returns a client end with the given name, initially disabled and not
// connected. Names are unique: the course's labrpc exits if a name is made twice; this one
// logs the mistake and returns an end sharing the name's state.
func (rn *Network) MakeEnd(endname interface{}) *ClientEnd {
	rn.mu.Lock()
	st := rn.end(endname)
	dup := st.made
	st.made = true
	rn.mu.Unlock()
	if dup {
		rn.logOnce("MakeEnd: end name already made; the new end shares its state")
	}
	return &ClientEnd{endname: endname, rn: rn, st: st}
}

// AddServer adds rs under servername, replacing (and so failing the pending calls of) any
// server of that name.
func (rn *Network) AddServer(servername interface{}, rs *Server) {
	rs.setName(servername)
	rn.mu.Lock()
	rn.servers[servername] = rs
	rn.mu.Unlock()
}

// DeleteServer removes the server servername. Calls pending on it fail within about
// 100 ms and never return its replies; calls made later fail as if it never existed.
func (rn *Network) DeleteServer(servername interface{}) {
	rn.mu.Lock()
	delete(rn.servers, servername)
	rn.mu.Unlock()
}

// Connect connects the end endname to the server servername (which need not exist yet).
// An end is connected to at most one server.
func (rn *Network) Connect(endname, servername interface{}) {
	rn.mu.Lock()
	rn.end(endname).server = servername
	rn.mu.Unlock()
}

// Enable enables or disables the end endname. Calls on a disabled end fail, and pending
// calls fail within about 100 ms.
func (rn *Network) Enable(endname interface{}, enabled bool) {
	rn.mu.Lock()
	rn.end(endname).enabled = enabled
	rn.mu.Unlock()
}

// SetEndOwner records that the end endname belongs to the server servername, so that
// link faults apply to its calls: a request travels from the owner to the server the end
// is connected to, and the reply travels back. nil forgets the owner.
func (rn *Network) SetEndOwner(endname, servername interface{}) {
	rn.mu.Lock()
	rn.end(endname).owner = servername
	rn.mu.Unlock()
}

// EndOwner returns the owner set by SetEndOwner, or nil.
func (rn *Network) EndOwner(endname interface{}) interface{} {
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	if st := rn.ends[endname]; st != nil {
		return st.owner
	}
	return nil
}

// GetCount returns the number of requests delivered to the handlers of the server
// servername (0 if there is no such server).
func (rn *Network) GetCount(servername interface{}) int {
	rn.mu.RLock()
	rs := rn.servers[servername]
	rn.mu.RUnlock()
	if rs == nil {
		return 0
	}
	return rs.GetCount()
}

// GetTotalCount returns the number of calls that entered the network, delivered or not.
func (rn *Network) GetTotalCount() int {
	return int(rn.count.Load())
}

// GetTotalBytes returns the bytes the network carried, counted as the course does: the
// gob size of the args of every call that entered the network, plus the gob size of every
// reply returned to a caller (and of the args of every duplicate delivery).
func (rn *Network) GetTotalBytes() int64 {
	return rn.bytes.Load()
}

// Freeze stops delivery: until Thaw, no request reaches a handler and no call returns,
// and nothing is lost. Requests and replies in transit, delays, and the waits of calls
// that will fail all go on, but whatever comes due is held. Handlers already running go on
// running; their replies are held. Cleanup still ends everything. Freeze on a frozen
// network does nothing.
func (rn *Network) Freeze() {
	rn.mu.Lock()
	if !rn.all {
		rn.all = true
		rn.thaw = make(chan struct{})
		rn.frozen.Store(true)
	}
	rn.mu.Unlock()
}

// Thaw releases everything Freeze held, at once and in no particular order, and lets the
// network run again. Thaw on a network that is not frozen does nothing. Servers frozen
// with FreezeServer stay frozen.
func (rn *Network) Thaw() {
	rn.mu.Lock()
	if rn.all {
		rn.all = false
		close(rn.thaw)
		rn.thaw = nil
		rn.frozen.Store(len(rn.frozenSrv) > 0)
	}
	rn.mu.Unlock()
}

// Frozen reports whether the whole network is frozen (by Freeze).
func (rn *Network) Frozen() bool {
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	return rn.all
}

// FreezeServer does what Freeze does, for the calls to and from one server (those made
// through the ends it owns, see SetEndOwner): until ThawServer, none of its handlers is
// started, no call it makes or that is made to it returns, and nothing is lost. It is how
// a stopped process looks from the network, when the process itself cannot be stopped.
// Freezing a frozen server does nothing.
func (rn *Network) FreezeServer(servername interface{}) {
	rn.mu.Lock()
	if rn.frozenSrv == nil {
		rn.frozenSrv = map[interface{}]chan struct{}{}
	}
	if rn.frozenSrv[servername] == nil {
		rn.frozenSrv[servername] = make(chan struct{})
		rn.frozen.Store(true)
	}
	rn.mu.Unlock()
}

// ThawServer releases what FreezeServer held for servername (what the whole network's
// Freeze holds stays held). Thawing a server that is not frozen does nothing.
func (rn *Network) ThawServer(servername interface{}) {
	rn.mu.Lock()
	if ch := rn.frozenSrv[servername]; ch != nil {
		close(ch)
		delete(rn.frozenSrv, servername)
		rn.frozen.Store(rn.all || len(rn.frozenSrv) > 0)
	}
	rn.mu.Unlock()
}

// heldLocked returns the channel to wait on before a call from server from to server to
// (either may be nil) may go on, or nil if it may go on now. rn.mu must be held.
func (rn *Network) heldLocked(from, to interface{}) chan struct{} {
	if !rn.frozen.Load() {
		return nil
	}
	if rn.all {
		return rn.thaw
	}
	if from != nil {
		if ch := rn.frozenSrv[from]; ch != nil {
			return ch
		}
	}
	if to != nil {
		if ch := rn.frozenSrv[to]; ch != nil {
			return ch
		}
	}
	return nil
}

// hold waits while the network, or server from or to, is frozen. It returns false if the
// network was cleaned up.
func (rn *Network) hold(from, to interface{}) bool {
	for rn.frozen.Load() {
		rn.mu.RLock()
		ch := rn.heldLocked(from, to)
		rn.mu.RUnlock()
		if ch == nil {
			break
		}
		select {
		case <-ch:
		case <-rn.done:
			return false
		}
	}
	return !rn.closed.Load()
}

// sleep waits for d, or until Cleanup. It returns false if the network was cleaned up.
func (rn *Network) sleep(d time.Duration) bool {
	if d <= 0 {
		return !rn.closed.Load()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-rn.done:
		return false
	}
}
