package course

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/raft"
)

// userMsg is a foreign Raft's own ApplyMsg type.
type userMsg struct {
	Valid bool
	Cmd   interface{}
	Index int
}

func convert(m userMsg) raft.ApplyMsg {
	return raft.ApplyMsg{CommandValid: m.Valid, Command: m.Cmd, CommandIndex: m.Index}
}

func TestTapForwardsInOrderAndReports(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	out := make(chan raft.ApplyMsg)
	var mu sync.Mutex
	var seen []int
	tap := NewTap(out, func(m raft.ApplyMsg) {
		mu.Lock()
		seen = append(seen, m.CommandIndex)
		mu.Unlock()
	})
	in := make(chan userMsg)
	Forward(tap, in, convert)
	Forward(tap, in, convert) // a second call does nothing
	const n = 100
	go func() {
		for i := 1; i <= n; i++ {
			in <- userMsg{true, i * 10, i}
		}
	}()
	for i := 1; i <= n; i++ {
		m := <-out
		if m.CommandIndex != i || m.Command != i*10 || !m.CommandValid {
			t.Fatalf("message %d: %+v", i, m)
		}
		mu.Lock()
		reported := len(seen)
		mu.Unlock()
		if reported < i {
			t.Fatalf("message %d delivered before it was reported (%d reported)", i, reported)
		}
	}
	tap.Close()
	if got := tap.Delivered(); got != n {
		t.Errorf("Delivered() = %d, want %d", got, n)
	}
	for i, idx := range seen {
		if idx != i+1 {
			t.Fatalf("reported %v, want 1..%d in order", seen, n)
		}
	}
}

func TestTapDetachUnblocksAndDrops(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	out := make(chan raft.ApplyMsg) // nobody reads it: the service has gone
	reported := 0
	tap := NewTap(out, func(raft.ApplyMsg) { reported++ })
	in := make(chan userMsg)
	Forward(tap, in, convert)
	in <- userMsg{true, "a", 1} // taken; its delivery blocks
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := 2; i <= 4; i++ {
			in <- userMsg{true, "late", i} // a dead peer's goroutine still sending
		}
	}()
	select {
	case <-sent:
		t.Fatal("the peer's sends went through while the first message was undelivered")
	case <-time.After(20 * time.Millisecond):
	}
	tap.Detach()
	<-sent // Detach let the peer's sends through: they are dropped
	tap.Close()
	if got, want := tap.Dropped(), int64(4); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	if tap.Delivered() != 0 || reported != 1 {
		t.Errorf("Delivered() = %d, reported %d; want 0, 1 (reported before the delivery that never happened)", tap.Delivered(), reported)
	}
}

func TestTapCloseWithoutForward(t *testing.T) {
	tap := NewTap(make(chan raft.ApplyMsg), nil)
	done := make(chan struct{})
	go func() {
		tap.Close()
		tap.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a Tap that never forwarded")
	}
}

func TestTapCloseEndsBlockedDelivery(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tap := NewTap(make(chan raft.ApplyMsg), nil)
	in := make(chan userMsg)
	Forward(tap, in, convert)
	in <- userMsg{Index: 1}
	tap.Close() // must not wait for a reader of out
}
