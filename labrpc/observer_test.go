package labrpc

import (
	"sync"
	"testing"
)

// The observer sees each event exactly once, in order per call, and the kinds add up to
// the network's counters.
func TestObserverExactlyOnce(t *testing.T) {
	t.Parallel()
	p := newPair(t, 11)
	p.rn.Reliable(false)
	p.rn.SetFaults(Faults{Duplicate: 0.2})
	p.rn.SetLinkFaults("B", "A", Faults{Loss: 0.2})
	disabled := p.rn.MakeEnd("off")
	p.rn.Connect("off", "B")
	nowhere := connect(p.rn, "lost", "nobody")
	rec := newRecorder(p.rn)

	ends := []*ClientEnd{p.ab, p.ba, p.anonToB, disabled, nowhere}
	const perEnd = 150
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, failed := 0, 0
	for _, e := range ends {
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func(e *ClientEnd) {
				defer wg.Done()
				for i := 0; i < perEnd/3; i++ {
					err := p.echo(e, i)
					mu.Lock()
					if err == nil {
						ok++
					} else {
						failed++
					}
					mu.Unlock()
				}
			}(e)
		}
	}
	wg.Wait()
	calls := len(ends) * perEnd
	evs := rec.snapshot()
	byKind := map[EventKind]int{}
	perCall := map[uint64][]Event{}
	var bytes int64
	for _, ev := range evs {
		byKind[ev.Kind]++
		perCall[ev.CallID] = append(perCall[ev.CallID], ev)
		switch ev.Kind {
		case EventSent, EventDuplicated, EventReplied:
			bytes += int64(ev.Bytes)
		}
	}
	t.Logf("events by kind: %v (ok %d, failed %d)", byKind, ok, failed)
	if len(perCall) != calls {
		t.Fatalf("events for %d calls, want %d", len(perCall), calls)
	}
	if byKind[EventReplied] != ok || byKind[EventFailed] != failed || ok+failed != calls {
		t.Fatalf("replied %d failed %d, want %d and %d", byKind[EventReplied], byKind[EventFailed], ok, failed)
	}
	if byKind[EventSent] != p.rn.GetTotalCount() || byKind[EventSent] != calls {
		t.Fatalf("sent %d, GetTotalCount %d, calls %d", byKind[EventSent], p.rn.GetTotalCount(), calls)
	}
	if got, want := byKind[EventDelivered]+byKind[EventDuplicated], p.rn.GetCount("A")+p.rn.GetCount("B"); got != want {
		t.Fatalf("delivered+duplicated %d, servers counted %d", got, want)
	}
	if bytes != p.rn.GetTotalBytes() {
		t.Fatalf("bytes in events %d, GetTotalBytes %d", bytes, p.rn.GetTotalBytes())
	}
	argBytes := int(gobSize(t, JunkArgs{X: 1}))
	for id, es := range perCall {
		if es[0].Kind != EventSent {
			t.Fatalf("call %d: first event %v", id, es[0].Kind)
		}
		last := es[len(es)-1]
		if last.Kind != EventReplied && last.Kind != EventFailed {
			t.Fatalf("call %d: last event %v", id, last.Kind)
		}
		for i, ev := range es {
			if i > 0 && i < len(es)-1 && (ev.Kind == EventReplied || ev.Kind == EventFailed || ev.Kind == EventSent) {
				t.Fatalf("call %d: %v in the middle of %v", id, ev.Kind, es)
			}
			if ev.Kind == EventDropped && es[i+1].Kind != EventFailed {
				t.Fatalf("call %d: dropped not followed by failed", id)
			}
			if ev.Kind == EventDuplicated && es[i-1].Kind != EventDelivered {
				t.Fatalf("call %d: duplicated not after delivered", id)
			}
			if ev.Method != "JunkServer.Echo" || ev.End != es[0].End || ev.To != es[0].To || ev.From != es[0].From {
				t.Fatalf("call %d: inconsistent event %v", id, ev)
			}
			if ev.Latency < 0 || ev.Time.IsZero() {
				t.Fatalf("call %d: bad latency or time: %v", id, ev)
			}
			a, ok := ev.Args.(JunkArgs)
			if !ok || a != es[0].Args {
				t.Fatalf("call %d: %v event with args %#v, want the call's JunkArgs", id, ev.Kind, ev.Args)
			}
			if r, ok := ev.ReplyValue.(*JunkReply); ev.Kind == EventReplied && (!ok || r.X != a.X) {
				t.Fatalf("call %d: replied with reply value %#v, want the caller's *JunkReply echoing %d", id, ev.ReplyValue, a.X)
			} else if ev.Kind != EventReplied && ev.ReplyValue != nil {
				t.Fatalf("call %d: %v event with a reply value %#v", id, ev.Kind, ev.ReplyValue)
			}
		}
		if es[0].Bytes < argBytes-2 || es[0].Bytes > argBytes+8 { // X varies: 1-2 bytes
			t.Fatalf("call %d: sent %d bytes, want about %d", id, es[0].Bytes, argBytes)
		}
		switch es[0].End {
		case "a->b":
			if es[0].From != "A" || es[0].To != "B" {
				t.Fatalf("a->b event from %v to %v", es[0].From, es[0].To)
			}
		case "anon->b":
			if es[0].From != nil || es[0].To != "B" {
				t.Fatalf("anon->b event from %v to %v", es[0].From, es[0].To)
			}
		case "off":
			if last.Reason != FailDisabled || len(es) != 2 {
				t.Fatalf("disabled end: %v", es)
			}
		case "lost":
			if last.Reason != FailNoServer || len(es) != 2 {
				t.Fatalf("missing server: %v", es)
			}
		}
		if last.Kind == EventFailed && last.Err == nil {
			t.Fatalf("call %d: failed without an error", id)
		}
	}
	for _, k := range []EventKind{EventSent, EventDelivered, EventDuplicated, EventDropped, EventReplied, EventFailed} {
		if byKind[k] == 0 {
			t.Errorf("no %v events", k)
		}
	}
}

// Removing the observer stops events.
func TestObserverRemove(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, "s")
	e := connect(rn, "e", "s")
	rec := newRecorder(rn)
	var r JunkReply
	e.Call("JunkServer.Echo", JunkArgs{X: 1}, &r)
	rn.SetObserver(nil)
	e.Call("JunkServer.Echo", JunkArgs{X: 1}, &r)
	if n := len(rec.snapshot()); n != 3 {
		t.Fatalf("%d events, want 3 (sent, delivered, replied of the first call)", n)
	}
	for i, ev := range rec.snapshot() {
		if want := []EventKind{EventSent, EventDelivered, EventReplied}[i]; ev.Kind != want {
			t.Fatalf("event %d is %v, want %v", i, ev.Kind, want)
		}
		if ev.String() == "" || ev.Kind.String() == "" {
			t.Fatal("empty String")
		}
	}
}
