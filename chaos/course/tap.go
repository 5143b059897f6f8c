package course

import (
	"sync"
	"sync/atomic"

	"github.com/miniraft/miniraft/raft"
)

// A Tap carries what one incarnation of a peer applies to its service and reports every
// message on the way. The peer sends on a channel of its own ApplyMsg type (the user's
// type, for a foreign Raft); Forward starts the goroutine that takes each message from
// it, converts it to a raft.ApplyMsg, reports it and hands it to the service's channel.
//
// The channel a peer is given stays unbuffered: the goroutine takes a message only when
// it can deliver the previous one, so a peer that blocks sending still blocks, one
// message later than it would if the service read its channel directly.
//
// After the peer is killed, Detach stops the deliveries: messages the dead peer still
// sends are taken and dropped (counted by Dropped), so that its goroutines are not left
// blocked on the channel. Close ends the goroutine. A Tap is safe for concurrent use.
type Tap struct {
	out     chan<- raft.ApplyMsg
	observe func(raft.ApplyMsg)

	started  atomic.Bool
	detached chan struct{} // closed by Detach
	detach   sync.Once
	stop     chan struct{} // closed by Close
	close    sync.Once
	done     chan struct{} // closed when the forwarding goroutine returns

	delivered atomic.Int64
	dropped   atomic.Int64
}

// NewTap returns a Tap that delivers to out and calls observe (if not nil) with each
// message before delivering it. observe is called from the Tap's goroutine, in the
// order the peer applied the messages; it must not block.
func NewTap(out chan<- raft.ApplyMsg, observe func(raft.ApplyMsg)) *Tap {
	return &Tap{
		out:      out,
		observe:  observe,
		detached: make(chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Forward starts t's goroutine, which takes the messages the peer sends on in, converts
// them with conv and delivers them. It is called once per Tap, by the MakeFunc, before
// the peer starts; later calls do nothing. Forward is a function rather than a method
// because it is generic in the peer's message type M.
func Forward[M any](t *Tap, in <-chan M, conv func(M) raft.ApplyMsg) {
	if !t.started.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(t.done)
		for {
			var m M
			select {
			case m = <-in:
			case <-t.stop:
				return
			}
			msg := conv(m)
			select {
			case <-t.detached:
				t.dropped.Add(1)
				continue
			default:
			}
			if t.observe != nil {
				t.observe(msg)
			}
			select {
			case t.out <- msg:
				t.delivered.Add(1)
			case <-t.detached:
				t.dropped.Add(1)
			case <-t.stop:
				return
			}
		}
	}()
}

// Detach stops delivering: from now on messages from the peer are dropped, unreported.
// The engine calls it once the peer is killed, before it stops reading the service's
// channel.
func (t *Tap) Detach() {
	t.detach.Do(func() { close(t.detached) })
}

// Close ends t's goroutine and waits for it, detaching first. A peer goroutine still
// sending on the channel afterwards blocks for ever: call Close when the run is over.
func (t *Tap) Close() {
	t.Detach()
	t.close.Do(func() { close(t.stop) })
	if t.started.Load() {
		<-t.done
	}
}

// Delivered returns how many messages reached the service.
func (t *Tap) Delivered() int64 { return t.delivered.Load() }

// Dropped returns how many messages the peer sent after Detach.
func (t *Tap) Dropped() int64 { return t.dropped.Load() }
