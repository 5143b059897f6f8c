package labrpc

import (
	"context"
	"reflect"
	"runtime/pprof"
	"sync"
	"time"
)

// workerIdle is how long an idle worker waits for more work before it ends.
const workerIdle = 250 * time.Millisecond

// workers runs handlers on goroutines that live on after a handler returns, so a
// goroutine that has grown its stack (gob and reflection need a deep one) is used again
// rather than a fresh one grown anew for every message. Every task gets a goroutine of
// its own at once, as with go: an idle worker if one is waiting, else a new one. A worker
// ends after workerIdle without work, or when done is closed. It is safe for concurrent
// use; its zero value is not usable: set done.
type workers struct {
	done <-chan struct{}
	work chan task // unbuffered: a send succeeds only into an idle worker
	once sync.Once
}

// task is one handler run: h.run(c, arg, ch), on a goroutine carrying the labels of
// labels (the server's: see HandlerLabel).
type task struct {
	h      *handler
	c      *codec
	arg    reflect.Value
	ch     chan<- result
	labels context.Context
}

// do runs t on a goroutine of its own.
func (w *workers) do(t task) {
	w.once.Do(func() { w.work = make(chan task) })
	select {
	case w.work <- t:
	default:
		go w.loop(t)
	}
}

func (w *workers) loop(t task) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		pprof.SetGoroutineLabels(t.labels)
		t.h.run(t.c, t.arg, t.ch)
		idle.Reset(workerIdle)
		select {
		case t = <-w.work:
		case <-idle.C:
			return
		case <-w.done:
			return
		}
	}
}
