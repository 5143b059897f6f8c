package raft

import (
	"sync"
	"time"
)

// senderIdle is how long an idle sender waits for another RPC before it ends.
const senderIdle = 250 * time.Millisecond

// senders runs each outgoing RPC on a goroutine of its own at once, as go f() would, but
// on goroutines that live on after an RPC: an idle sender if one is waiting, else a new
// one. A goroutine that has grown its stack for gob and reflection is so used again, not
// grown anew for every message. A sender ends after senderIdle without work or once stop
// is closed. It is safe for concurrent use; set stop before the first do.
type senders struct {
	stop <-chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	work chan func() // unbuffered: a send succeeds only into an idle sender
}

// do runs f on a goroutine of its own.
func (s *senders) do(f func()) {
	s.once.Do(func() { s.work = make(chan func()) })
	select {
	case s.work <- f:
	default:
		s.wg.Add(1)
		go s.loop(f)
	}
}

func (s *senders) loop(f func()) {
	defer s.wg.Done()
	idle := time.NewTimer(senderIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(senderIdle)
		select {
		case f = <-s.work:
		case <-idle.C:
			return
		case <-s.stop:
			return
		}
	}
}

// wait waits until every sender has ended: after stop is closed, once their RPCs return.
func (s *senders) wait() { s.wg.Wait() }
