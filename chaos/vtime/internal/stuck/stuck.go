// Package stuck has a Raft-like peer with a planted deadlock, for testing the watchdog
// of package vtime: the bug the Students' Guide to Raft warns of, a lock held across a
// call that waits for another peer.
package stuck

import (
	"sync"
	"time"
)

// Peer is a Raft-like peer: a term guarded by a mutex, a ticker goroutine that takes the
// mutex every tick, and RPCs sent from goroutines of their own. It is safe for
// concurrent use.
type Peer struct {
	call func() // the RPC: returns when the other side answers
	tick time.Duration
	stop chan struct{}
	wg   sync.WaitGroup // the ticker and the senders

	mu    sync.Mutex
	term  int
	ticks int
}

// New starts a peer whose RPCs are call, ticking every tick.
func New(call func(), tick time.Duration) *Peer {
	p := &Peer{call: call, tick: tick, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.ticker()
	return p
}

// GetState returns the term and whether the peer leads (never).
func (p *Peer) GetState() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.term, false
}

// Send sends one RPC from a goroutine of its own, holding the mutex across the call:
// the planted bug. Until the call returns, GetState and the ticker wait for the mutex.
func (p *Peer) Send() {
	p.wg.Add(1)
	go p.send()
}

// SendUnlocked sends one RPC from a goroutine of its own without holding the mutex, as
// it should. Kill still waits for it.
func (p *Peer) SendUnlocked() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.call()
	}()
}

func (p *Peer) send() {
	defer p.wg.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.term++
	p.call() // BUG: the lock is held across the call
}

func (p *Peer) ticker() {
	defer p.wg.Done()
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.ticks++ // a tick's work, under the lock
			p.mu.Unlock()
		}
	}
}

// Kill stops the ticker and waits for every goroutine of the peer, senders included: a
// sender stuck in its call keeps Kill from returning.
func (p *Peer) Kill() {
	close(p.stop)
	p.wg.Wait()
}
