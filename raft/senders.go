package raft

import (
	"sync"
	"time"
)

// senderIdle is how long an idle sender waits for another RPC before it ends.
const senderIdle = 250 * time.Millisecond

// senders runs send(m) for each outgoing message m on a goroutine of its own at once, as
// go send(m) would, but on goroutines that live on after an RPC: an idle sender if one is
// waiting, else a new one. A goroutine that has grown its stack for gob and reflection is
// so used again, not grown anew for every message. A sender ends after senderIdle without
// work or once stop is closed. It is safe for concurrent use; set stop and send before
// the first do.
type senders struct {
	stop <-chan struct{}
	send func(Message)
	wg   sync.WaitGroup
	once sync.Once
	work chan Message // unbuffered: a send succeeds only into an idle sender
}

// do runs send(m) on a goroutine of its own.
func (s *senders) do(m Message) {
	s.once.Do(func() { s.work = make(chan Message) })
	select {
	case s.work <- m:
	default:
		s.wg.Add(1)
		go s.loop(m)
	}
}

func (s *senders) loop(m Message) {
	defer s.wg.Done()
	idle := time.NewTimer(senderIdle)
	defer idle.Stop()
	for {
		s.send(m)
		idle.Reset(senderIdle)
		select {
		case m = <-s.work:
		case <-idle.C:
			return
		case <-s.stop:
			return
		}
	}
}

// wait waits until every sender has ended: after stop is closed, once their RPCs return.
func (s *senders) wait() { s.wg.Wait() }
