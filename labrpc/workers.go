package labrpc

import (
	"sync"
	"time"
)

// workerIdle is how long an idle worker waits for more work before it ends.
const workerIdle = 250 * time.Millisecond

// workers runs functions on goroutines that live on after a function returns, so a
// goroutine that has grown its stack (gob and reflection need a deep one) is used again
// rather than a fresh one grown anew for every message. Every function gets a goroutine
// of its own at once, as with go f(): an idle worker if one is waiting, else a new one.
// A worker ends after workerIdle without work, or when done is closed. It is safe for
// concurrent use; its zero value is not usable: set done.
type workers struct {
	done <-chan struct{}
	work chan func() // unbuffered: a send succeeds only into an idle worker
	once sync.Once
}

// do runs f on a goroutine of its own.
func (w *workers) do(f func()) {
	w.once.Do(func() { w.work = make(chan func()) })
	select {
	case w.work <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-w.work:
		case <-idle.C:
			return
		case <-w.done:
			return
		}
	}
}
