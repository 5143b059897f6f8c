package labrpc

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// quiet is how long the freeze tests watch for something that must not happen. It is
// longer than any wait the frozen calls would otherwise have (100 ms failure waits, 50 ms
// delays).
const quiet = 300 * time.Millisecond

// While frozen nothing is delivered and no call returns; Thaw releases everything, and
// nothing was lost.
func TestFreezeHoldsAndThawReleases(t *testing.T) {
	p := newPair(t, 21)
	p.rn.SetLinkFaults("A", "B", Faults{DelayMin: 50 * time.Millisecond, DelayMax: 50 * time.Millisecond})
	disabled := p.rn.MakeEnd("off")
	p.rn.Connect("off", "B")
	rec := newRecorder(p.rn)

	p.rn.Freeze()
	p.rn.Freeze() // idempotent
	if !p.rn.Frozen() {
		t.Fatal("not frozen")
	}
	const n = 20
	results := make(chan error, 3*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		for _, e := range []*ClientEnd{p.ab, p.anonToB, disabled} {
			wg.Add(1)
			go func(e *ClientEnd, i int) {
				defer wg.Done()
				results <- p.echo(e, i)
			}(e, i)
		}
	}
	rec.waitFor(t, "all sent", func(evs []Event) bool { return countKind(evs, EventSent) == 3*n })
	select {
	case err := <-results:
		t.Fatalf("a call returned (%v) while frozen", err)
	case <-time.After(quiet):
	}
	if c := p.rn.GetCount("B"); c != 0 {
		t.Fatalf("%d requests delivered while frozen", c)
	}
	if evs := rec.snapshot(); len(evs) != 3*n {
		t.Fatalf("events other than sent while frozen: %v", evs[len(evs)-1])
	}

	p.rn.Thaw()
	p.rn.Thaw() // idempotent
	wg.Wait()
	close(results)
	ok, disabledFails := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrDisabled):
			disabledFails++
		default:
			t.Errorf("unexpected failure: %v", err)
		}
	}
	if ok != 2*n || disabledFails != n {
		t.Fatalf("after Thaw: %d ok (want %d), %d disabled (want %d)", ok, 2*n, disabledFails, n)
	}
}

// A reply whose handler finishes while frozen is held, then returned.
func TestFreezeHoldsReply(t *testing.T) {
	p := newPair(t, 22)
	rec := newRecorder(p.rn)
	done := callAsync(p.ab, "JunkServer.Block", 5)
	rec.waitFor(t, "delivery", func(evs []Event) bool { return countKind(evs, EventDelivered) == 1 })
	p.rn.Freeze()
	p.b.release()
	select {
	case err := <-done:
		t.Fatalf("returned (%v) while frozen", err)
	case <-time.After(quiet):
	}
	p.rn.Thaw()
	if err := within(t, done, 5*time.Second, "held reply"); err != nil {
		t.Fatalf("held reply lost: %v", err)
	}
}

// Once Freeze returns, no further request reaches a handler, even for calls in flight.
func TestFreezeStopsDeliveryAtOnce(t *testing.T) {
	p := newPair(t, 23)
	p.rn.SetLinkFaults("A", "B", Faults{DelayMax: 40 * time.Millisecond}) // spread the calls out
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- p.echo(p.ab, i)
		}(i)
	}
	p.b.waitSeen(t, 20) // freeze in the middle of the calls
	p.rn.Freeze()
	frozenCount := p.rn.GetCount("B")
	p.b.waitSeen(t, frozenCount) // handlers delivered before Freeze may still be running
	time.Sleep(quiet / 3)        // watching for deliveries that must not happen
	if c := p.rn.GetCount("B"); c != frozenCount {
		t.Fatalf("%d deliveries after Freeze returned", c-frozenCount)
	}
	p.rn.Thaw()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("call lost across freeze: %v", err)
		}
	}
	if c := p.rn.GetCount("B"); c != n {
		t.Fatalf("GetCount %d, want %d", c, n)
	}
	t.Logf("%d of %d delivered before Freeze", frozenCount, n)
}

// Cleanup ends frozen calls.
func TestCleanupWhileFrozen(t *testing.T) {
	p := newPair(t, 24)
	rec := newRecorder(p.rn)
	p.rn.Freeze()
	done := callAsync(p.ab, "JunkServer.Echo", JunkArgs{X: 1})
	rec.waitFor(t, "sent", func(evs []Event) bool { return countKind(evs, EventSent) == 1 })
	p.rn.Cleanup()
	if err := within(t, done, time.Second, "frozen call after Cleanup"); !errors.Is(err, ErrCleanup) {
		t.Fatalf("got %v, want ErrCleanup", err)
	}
}

// FreezeServer holds the calls to and from one server, as Freeze holds every call, and
// leaves the others alone; ThawServer releases them, nothing lost. A server frozen on its
// own stays frozen through the whole network's Thaw.
func TestFreezeServer(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	for _, s := range []string{"A", "B", "C"} {
		newJunk(rn, s)
	}
	call := func(from, to string) <-chan bool {
		name := from + "->" + to
		e := connect(rn, name, to)
		rn.SetEndOwner(name, from)
		done := make(chan bool, 1)
		go func() {
			var reply string
			done <- e.Call("JunkServer.Handler2", 1, &reply)
		}()
		return done
	}
	expectHeld := func(what string, ch <-chan bool) {
		t.Helper()
		select {
		case ok := <-ch:
			t.Fatalf("%s returned (%v) while its server is frozen", what, ok)
		case <-time.After(quiet):
		}
	}
	expectOK := func(what string, ch <-chan bool) {
		t.Helper()
		select {
		case ok := <-ch:
			if !ok {
				t.Fatalf("%s returned false, want true", what)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not return", what)
		}
	}

	rn.FreezeServer("A")
	rn.FreezeServer("A") // idempotent
	if rn.Frozen() {
		t.Error("Frozen() = true with one server frozen, want false: the network is not")
	}
	toA, fromA, bc := call("B", "A"), call("A", "C"), call("B", "C")
	expectOK("B->C", bc)
	expectHeld("B->A", toA)
	expectHeld("A->C", fromA)
	if got := rn.GetCount("A"); got != 0 {
		t.Errorf("%d requests reached frozen A's handlers, want 0", got)
	}

	rn.Freeze()
	rn.Thaw() // the network's thaw leaves A frozen
	expectHeld("B->A after the network's Thaw", toA)

	rn.ThawServer("A")
	rn.ThawServer("A") // idempotent
	expectOK("B->A", toA)
	expectOK("A->C", fromA)
	expectOK("B->C after the thaw", call("B", "C"))
}
