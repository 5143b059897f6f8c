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

// failHeld ends the call as failed once the network is not frozen.
func (c *call) failHeld(r FailReason, err error) (FailReason, error) {
	if !c.rn.hold() {
		return c.fail(FailCleanup, nil)
	}
	return c.fail(r, err)
}

// drop ends the call because a message was lost, once the network is not frozen.
func (c *call) drop(isReply bool, r FailReason, n int) (FailReason, error) {
	if !c.rn.hold() {
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

// do makes one call. It returns NoFailure, or the reason of the failure and, for misuse,
// a descriptive error wrapping the reason's sentinel.
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
	nreq := req.Len()
	rn.count.Add(1)
	rn.bytes.Add(int64(nreq))

	// What the network looks like for this call.
	rn.mu.RLock()
	st := e.st
	enabled, sname := st.enabled, st.server
	c.from, c.to = st.owner, sname
	var srv *Server
	if sname != nil {
		srv = rn.servers[sname]
	}
	reliable, longDelays, longReordering := rn.reliable, rn.longDelays, rn.longReordering
	var out, back route // request and reply directions
	if rn.faulty {
		out.add(rn.global)
		back.add(rn.global)
		if c.from != nil && sname != nil {
			out.add(rn.links[link{c.from, sname}])
			back.add(rn.links[link{sname, c.from}])
		}
	}
	rn.mu.RUnlock()
	c.emit(EventSent, nreq, false, NoFailure, nil)

	// Misuse is reported whenever the server is known, delivered or not.
	var h *handler
	if srv != nil {
		var r FailReason
		if _, h, r, err = srv.resolve(svcMeth); r != NoFailure {
			return c.failHeld(r, err)
		}
	}
	if !enabled {
		return c.failAfterWait(FailDisabled, longDelays, 0)
	}
	if srv == nil {
		return c.failAfterWait(FailNoServer, longDelays, 0)
	}
	if out.cut() {
		return c.failAfterWait(FailCut, longDelays, nreq)
	}

	// The request's fate: the course's unreliable delay and drop, then our faults.
	var delay time.Duration
	lost, dup := false, false
	if !reliable {
		delay = time.Duration(rn.rng.intn(unreliableDelayMs)) * time.Millisecond
		lost = rn.rng.intn(1000) < dropPerMille
	}
	if out.n > 0 {
		d, l, du := out.draw(&rn.rng, true)
		delay += d
		lost = lost || l
		dup = du
	}

	// Decode the args now: a handler gets its own copy, and a bad one fails promptly.
	target, arg := h.newArgs()
	if err := rn.codec.decode(req.Bytes(), target); err != nil {
		return c.failHeld(FailBadArgs, fmt.Errorf("%w: cannot decode args of type %T into %v for %s: %w",
			ErrBadArgs, args, h.argType, svcMeth, err))
	}
	var dupArg reflect.Value
	if dup && !lost {
		t2, a2 := h.newArgs()
		if err := rn.codec.decode(req.Bytes(), t2); err != nil {
			dup = false
		} else {
			dupArg = a2
		}
	}

	if !rn.sleep(delay) {
		return c.fail(FailCleanup, nil)
	}
	if lost {
		return c.drop(false, FailDropped, nreq)
	}

	// Deliver, unless the network is frozen (wait) or the end or server went away.
	ch := make(chan result, 1)
	for {
		rn.mu.RLock()
		if rn.frozen.Load() {
			thaw := rn.thaw
			rn.mu.RUnlock()
			select {
			case <-thaw:
				continue
			case <-rn.done:
				return c.fail(FailCleanup, nil)
			}
		}
		if rn.closed.Load() {
			rn.mu.RUnlock()
			return c.fail(FailCleanup, nil)
		}
		if r := rn.deadReasonLocked(st, sname, srv); r != NoFailure {
			rn.mu.RUnlock()
			return c.fail(r, nil)
		}
		if dup {
			srv.count.Add(2)
			rn.bytes.Add(int64(nreq))
		} else {
			srv.count.Add(1)
		}
		rn.workers.do(func() { h.run(&rn.codec, arg, ch) })
		if dup {
			rn.workers.do(func() { h.run(&rn.codec, dupArg, nil) })
		}
		rn.mu.RUnlock()
		break
	}
	c.emit(EventDelivered, nreq, false, NoFailure, nil)
	if dup {
		c.emit(EventDuplicated, nreq, false, NoFailure, nil)
	}

	// Wait for the handler, checking every 100 ms, as the course does, whether the end
	// was disabled or the server deleted.
	var res result
	tick := time.NewTimer(serverCheckInterval)
wait:
	for {
		select {
		case res = <-ch:
			break wait
		case <-tick.C:
			if r := rn.deadReason(st, sname, srv); r != NoFailure {
				tick.Stop()
				return c.failHeld(r, nil)
			}
			tick.Reset(serverCheckInterval)
		case <-rn.done:
			tick.Stop()
			return c.fail(FailCleanup, nil)
		}
	}
	tick.Stop()
	if res.err != nil {
		return c.failHeld(FailBadReply, fmt.Errorf("%w: cannot encode the reply of %s (%v): %w",
			ErrBadReply, svcMeth, h.replyType, res.err))
	}
	rep := res.buf
	defer putBuffer(rep)
	nrep := rep.Len()
	// A reply from a server deleted or replaced meanwhile is never returned.
	if r := rn.deadReason(st, sname, srv); r != NoFailure {
		return c.failHeld(r, nil)
	}

	// The reply's fate: the course's drop, our faults, then the course's reordering.
	if !reliable && rn.rng.intn(1000) < dropPerMille {
		return c.drop(true, FailDropped, nrep)
	}
	if back.cut() {
		return c.drop(true, FailCut, nrep)
	}
	delay, lost = 0, false
	if back.n > 0 {
		delay, lost, _ = back.draw(&rn.rng, false)
	}
	if !lost && longReordering && rn.rng.intn(900) < 600 {
		delay += rn.rng.longReorderDelay()
	}
	if !rn.sleep(delay) {
		return c.fail(FailCleanup, nil)
	}
	if lost {
		return c.drop(true, FailDropped, nrep)
	}
	if !rn.hold() {
		return c.fail(FailCleanup, nil)
	}
	rn.bytes.Add(int64(nrep))
	if err := rn.codec.decode(rep.Bytes(), rv); err != nil {
		return c.fail(FailBadReply, fmt.Errorf("%w: cannot decode the reply of %s (%v) into %T: %w",
			ErrBadReply, svcMeth, h.replyType, reply, err))
	}
	c.reply = reply
	c.emit(EventReplied, nrep, false, NoFailure, nil)
	return NoFailure, nil
}
