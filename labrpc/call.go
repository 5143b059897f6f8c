package labrpc

import (
	"fmt"
	"reflect"
	"time"
)

// ClientEnd is one end of a connection from a client to a server, made by
// Network.MakeEnd. It is safe for concurrent use: many goroutines may Call at once.
type ClientEnd struct {
	endname interface{}
	rn      *Network
	st      *endState
}

// Name returns the end's name.
func (e *ClientEnd) Name() interface{} { return e.endname }

// Call sends an RPC to the handler svcMeth ("Service.Method") of the server the end is
// connected to and waits for the reply. args is gob-encoded and the handler gets a
// decoded copy; the handler's reply is gob-encoded and decoded into reply, which must be
// a non-nil pointer. Call returns true if the reply came back, false if the request or the
// reply was lost, the end is disabled or unconnected, the server is missing or was
// deleted during the call, the network was cleaned up, or the call was malformed; when it
// returns false the reply has not been touched (except by a failed decode of the reply).
// Like the course's labrpc, the network never times a call out: a call whose handler
// does not return does not return either, unless its server is deleted or its end
// disabled.
func (e *ClientEnd) Call(svcMeth string, args interface{}, reply interface{}) bool {
	r, _ := e.do(svcMeth, args, reply)
	return r == NoFailure
}

// CallErr is Call returning why it failed: nil if the reply came back, else an error
// that wraps the sentinel of its FailReason (ErrDropped, ErrUnknownMethod, ...) and, for a
// malformed call, says what is wrong.
func (e *ClientEnd) CallErr(svcMeth string, args interface{}, reply interface{}) error {
	r, err := e.do(svcMeth, args, reply)
	if r == NoFailure {
		return nil
	}
	if err == nil {
		err = r.Err()
	}
	return fmt.Errorf("labrpc: call %s via end %v: %w", svcMeth, e.endname, err)
}

// call is the state of one call, kept on the caller's stack.
type call struct {
	rn      *Network
	end     *ClientEnd
	svcMeth string
	id      uint64
	start   time.Time
	from    interface{}
	to      interface{}
	args    interface{} // the caller's, for the observer
	reply   interface{} // the caller's, once decoded, for the observer
	nreq    int         // the size of the encoded args

	// The network as route read it for this call.
	st                                   *endState
	enabled                              bool
	sname                                interface{}
	srv                                  *Server
	reliable, longDelays, longReordering bool
	out, back                            route // request and reply directions
}

func (c *call) emit(kind EventKind, n int, reply bool, reason FailReason, err error) {
	p := c.rn.obs.Load()
	if p == nil {
		return
	}
	now := time.Now()
	var lat time.Duration
	if !c.start.IsZero() {
		lat = now.Sub(c.start)
	}
	(*p)(Event{
		Kind: kind, CallID: c.id, From: c.from, To: c.to, End: c.end.endname,
		Method: c.svcMeth, Bytes: n, Latency: lat, Time: now,
		Reply: reply, Reason: reason, Err: err, Args: c.args, ReplyValue: c.reply,
	})
}

// fail ends the call as failed, now.
func (c *call) fail(r FailReason, err error) (FailReason, error) {
	if err == nil {
		err = r.Err()
	} else {
		// Logged once per distinct problem, whichever end meets it.
		c.rn.logOnce(fmt.Sprintf("call %s: %v", c.svcMeth, err))
	}
	c.emit(EventFailed, 0, false, r, err)
	return r, err
}

// failHeld ends the call as failed once neither the network nor its servers are frozen.
func (c *call) failHeld(r FailReason, err error) (FailReason, error) {
	if !c.rn.hold(c.from, c.sname) {
		return c.fail(FailCleanup, nil)
	}
	return c.fail(r, err)
}

// drop ends the call because a message was lost, once neither the network nor its
// servers are frozen.
func (c *call) drop(isReply bool, r FailReason, n int) (FailReason, error) {
	if !c.rn.hold(c.from, c.sname) {
		return c.fail(FailCleanup, nil)
	}
	c.emit(EventDropped, n, isReply, r, nil)
	return c.fail(r, nil)
}

// failAfterWait ends a call that cannot be delivered after the course's wait.
func (c *call) failAfterWait(r FailReason, longDelays bool, cutBytes int) (FailReason, error) {
	ms := shortFailMs
	if longDelays {
		ms = longFailMs
	}
	if !c.rn.sleep(time.Duration(c.rn.rng.intn(ms)) * time.Millisecond) {
		return c.fail(FailCleanup, nil)
	}
	if r == FailCut {
		return c.drop(false, r, cutBytes)
	}
	return c.failHeld(r, nil)
}

// deadReason tells whether a pending call must fail because its end was disabled or its
// server deleted or replaced.
func (rn *Network) deadReason(st *endState, sname interface{}, srv *Server) FailReason {
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	return rn.deadReasonLocked(st, sname, srv)
}

// deadReasonLocked is deadReason for a caller that holds rn.mu (mu must be held).
func (rn *Network) deadReasonLocked(st *endState, sname interface{}, srv *Server) FailReason {
	if !st.enabled {
		return FailDisabled
	}
	if rn.servers[sname] != srv {
		return FailServerDeleted
	}
	return NoFailure
}

// do makes one call, phase by phase: prepare (encode the args), route (read the network
// as it is for this call), admit (misuse, a disabled end, a missing server, a cut link),
// the request's fate (delay, loss, duplication) and its decoding, delivery, the wait for
// the handler, and the reply's way back. It returns NoFailure, or the reason of the
// failure and, for misuse, a descriptive error wrapping the reason's sentinel.
func (e *ClientEnd) do(svcMeth string, args, reply interface{}) (FailReason, error) {
	rn := e.rn
	c := call{rn: rn, end: e, svcMeth: svcMeth, id: rn.callID.Add(1), args: args}
	if rn.obs.Load() != nil {
		c.start = time.Now()
	}
	if rn.closed.Load() {
		return c.fail(FailCleanup, nil)
	}
	rv := reflect.ValueOf(reply)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return c.fail(FailBadReply, fmt.Errorf("%w: reply must be a non-nil pointer, not %T", ErrBadReply, reply))
	}
	req, err := rn.codec.encode(args)
	if err != nil {
		return c.fail(FailBadArgs, fmt.Errorf("%w: cannot encode args of type %T: %w", ErrBadArgs, args, err))
	}
	defer putBuffer(req)
	c.nreq = req.Len()
	rn.count.Add(1)
	rn.bytes.Add(int64(c.nreq))

	c.route()
	c.emit(EventSent, c.nreq, false, NoFailure, nil)
	h, r, err := c.admit()
	if r != NoFailure {
		return r, err
	}
	delay, lost, dup := c.requestFate()
	arg, dupArg, r, err := c.decodeArgs(h, req.Bytes(), args, dup && !lost)
	if r != NoFailure {
		return r, err
	}
	if !rn.sleep(delay) {
		return c.fail(FailCleanup, nil)
	}
	if lost {
		return c.drop(false, FailDropped, c.nreq)
	}
	ch, r, err := c.deliver(h, arg, dupArg)
	if r != NoFailure {
		return r, err
	}
	res, r, err := c.await(ch)
	if r != NoFailure {
		return r, err
	}
	if res.err != nil {
		return c.failHeld(FailBadReply, fmt.Errorf("%w: cannot encode the reply of %s (%v): %w",
			ErrBadReply, svcMeth, h.replyType, res.err))
	}
	defer putBuffer(res.buf)
	return c.returnReply(h, res.buf.Bytes(), rv, reply)
}

// route reads what the network looks like for this call: the end's state and server,
// the course's settings, and the faults of the request's and the reply's directions.
func (c *call) route() {
	rn := c.rn
	rn.mu.RLock()
	defer rn.mu.RUnlock()
	c.st = c.end.st
	c.enabled, c.sname = c.st.enabled, c.st.server
	c.from, c.to = c.st.owner, c.sname
	if c.sname != nil {
		c.srv = rn.servers[c.sname]
	}
	c.reliable, c.longDelays, c.longReordering = rn.reliable, rn.longDelays, rn.longReordering
	if rn.faulty {
		c.out.add(rn.global)
		c.back.add(rn.global)
		if c.from != nil && c.sname != nil {
			c.out.add(rn.links[link{c.from, c.sname}])
			c.back.add(rn.links[link{c.sname, c.from}])
		}
	}
}

// admit finds the handler, or fails the call: misuse is reported whenever the server is
// known, delivered or not; a disabled end, a missing server and a cut request fail after
// the course's wait.
func (c *call) admit() (*handler, FailReason, error) {
	var h *handler
	if c.srv != nil {
		_, hd, r, err := c.srv.resolve(c.svcMeth)
		if r != NoFailure {
			r, err = c.failHeld(r, err)
			return nil, r, err
		}
		h = hd
	}
	var r FailReason
	var err error
	switch {
	case !c.enabled:
		r, err = c.failAfterWait(FailDisabled, c.longDelays, 0)
	case c.srv == nil:
		r, err = c.failAfterWait(FailNoServer, c.longDelays, 0)
	case c.out.cut():
		r, err = c.failAfterWait(FailCut, c.longDelays, c.nreq)
	default:
		return h, NoFailure, nil
	}
	return nil, r, err
}

// requestFate draws the request's fate: the course's unreliable delay and drop, then
// our faults.
func (c *call) requestFate() (delay time.Duration, lost, dup bool) {
	g := &c.rn.rng
	if !c.reliable {
		delay = time.Duration(g.intn(unreliableDelayMs)) * time.Millisecond
		lost = g.intn(1000) < dropPerMille
	}
	if c.out.n > 0 {
		d, l, du := c.out.draw(g, true)
		delay += d
		lost = lost || l
		dup = du
	}
	return delay, lost, dup
}

// decodeArgs decodes the args now, so that a handler gets its own copy and a bad one
// fails promptly; with dup, a second copy for the duplicate (none if that fails).
func (c *call) decodeArgs(h *handler, data []byte, args interface{}, dup bool) (arg, dupArg reflect.Value, r FailReason, err error) {
	target, arg := h.newArgs()
	if err := c.rn.codec.decode(data, target); err != nil {
		r, err = c.failHeld(FailBadArgs, fmt.Errorf("%w: cannot decode args of type %T into %v for %s: %w",
			ErrBadArgs, args, h.argType, c.svcMeth, err))
		return arg, dupArg, r, err
	}
	if dup {
		if t2, a2 := h.newArgs(); c.rn.codec.decode(data, t2) == nil {
			dupArg = a2
		}
	}
	return arg, dupArg, NoFailure, nil
}

// deliver hands the request (and its duplicate, if any) to the handler, unless the
// network or one of its servers is frozen (it waits), or the end or the server went away.
func (c *call) deliver(h *handler, arg, dupArg reflect.Value) (chan result, FailReason, error) {
	rn := c.rn
	ch := rn.resultChan()
	for {
		rn.mu.RLock()
		if thaw := rn.heldLocked(c.from, c.sname); thaw != nil {
			rn.mu.RUnlock()
			select {
			case <-thaw:
				continue
			case <-rn.done:
				r, err := c.fail(FailCleanup, nil)
				return nil, r, err
			}
		}
		if rn.closed.Load() {
			rn.mu.RUnlock()
			r, err := c.fail(FailCleanup, nil)
			return nil, r, err
		}
		if r := rn.deadReasonLocked(c.st, c.sname, c.srv); r != NoFailure {
			rn.mu.RUnlock()
			r, err := c.fail(r, nil)
			return nil, r, err
		}
		dup := dupArg.IsValid()
		if dup {
			c.srv.count.Add(2)
			rn.bytes.Add(int64(c.nreq))
		} else {
			c.srv.count.Add(1)
		}
		labels := c.srv.labelsFor()
		rn.workers.do(task{h, &rn.codec, arg, ch, labels})
		if dup {
			rn.workers.do(task{h, &rn.codec, dupArg, nil, labels})
		}
		rn.mu.RUnlock()
		c.emit(EventDelivered, c.nreq, false, NoFailure, nil)
		if dup {
			c.emit(EventDuplicated, c.nreq, false, NoFailure, nil)
		}
		return ch, NoFailure, nil
	}
}

// resultChan returns an empty channel for a handler's result, recycled if it can be. A
// channel goes back to rn.resultChans only once its one result has been received.
func (rn *Network) resultChan() chan result {
	if ch, ok := rn.resultChans.Get().(chan result); ok {
		return ch
	}
	return make(chan result, 1)
}

// checkTimer returns a timer, recycled if it can be, set to fire after the server check
// interval.
func (rn *Network) checkTimer() *time.Timer {
	if t, ok := rn.checkTimers.Get().(*time.Timer); ok {
		t.Reset(serverCheckInterval)
		return t
	}
	return time.NewTimer(serverCheckInterval)
}

// await waits for the handler, checking every 100 ms, as the course does, whether the end
// was disabled or the server deleted.
func (c *call) await(ch chan result) (result, FailReason, error) {
	rn := c.rn
	tick := rn.checkTimer()
	defer func() {
		tick.Stop() // since Go 1.23, Stop leaves nothing in the channel to receive
		rn.checkTimers.Put(tick)
	}()
	for {
		select {
		case res := <-ch:
			rn.resultChans.Put(ch)
			return res, NoFailure, nil
		case <-tick.C:
			if r := rn.deadReason(c.st, c.sname, c.srv); r != NoFailure {
				r, err := c.failHeld(r, nil)
				return result{}, r, err
			}
			tick.Reset(serverCheckInterval)
		case <-rn.done:
			r, err := c.fail(FailCleanup, nil)
			return result{}, r, err
		}
	}
}

// returnReply takes the encoded reply back to the caller: never from a server deleted or
// replaced meanwhile; then the course's drop, our faults, and the course's reordering;
// then it decodes the reply into rv.
func (c *call) returnReply(h *handler, rep []byte, rv reflect.Value, reply interface{}) (FailReason, error) {
	rn := c.rn
	nrep := len(rep)
	if r := rn.deadReason(c.st, c.sname, c.srv); r != NoFailure {
		return c.failHeld(r, nil)
	}
	if !c.reliable && rn.rng.intn(1000) < dropPerMille {
		return c.drop(true, FailDropped, nrep)
	}
	if c.back.cut() {
		return c.drop(true, FailCut, nrep)
	}
	var delay time.Duration
	lost, dup := false, false
	if c.back.n > 0 {
		delay, lost, dup = c.back.draw(&rn.rng, false)
	}
	if !lost && c.longReordering && rn.rng.intn(900) < 600 {
		delay += rn.rng.longReorderDelay()
	}
	if !rn.sleep(delay) {
		return c.fail(FailCleanup, nil)
	}
	if lost {
		return c.drop(true, FailDropped, nrep)
	}
	if !rn.hold(c.from, c.sname) {
		return c.fail(FailCleanup, nil)
	}
	rn.bytes.Add(int64(nrep))
	if err := rn.codec.decode(rep, rv); err != nil {
		return c.fail(FailBadReply, fmt.Errorf("%w: cannot decode the reply of %s (%v) into %T: %w",
			ErrBadReply, c.svcMeth, h.replyType, reply, err))
	}
	c.reply = reply
	if dup {
		// The copy arrives too; the call has its reply, so it is dropped on arrival.
		rn.bytes.Add(int64(nrep))
		c.emit(EventDuplicated, nrep, true, NoFailure, nil)
	}
	c.emit(EventReplied, nrep, false, NoFailure, nil)
	return NoFailure, nil
}
