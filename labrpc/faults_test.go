package labrpc

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// pair is two servers, A and B, each with an end to the other owned by it.
type pair struct {
	rn      *Network
	a, b    *JunkServer
	ab, ba  *ClientEnd // A's end to B, B's end to A
	anonToB *ClientEnd // an end to B with no owner
}

func newPair(t *testing.T, seed int64) *pair {
	p := &pair{rn: MakeNetworkSeed(seed)}
	p.a = newJunk(p.rn, "A")
	p.b = newJunk(p.rn, "B")
	p.ab = connect(p.rn, "a->b", "B")
	p.rn.SetEndOwner("a->b", "A")
	p.ba = connect(p.rn, "b->a", "A")
	p.rn.SetEndOwner("b->a", "B")
	p.anonToB = connect(p.rn, "anon->b", "B")
	t.Cleanup(func() {
		p.rn.Cleanup()
		p.a.release()
		p.b.release()
	})
	return p
}

func (p *pair) echo(e *ClientEnd, x int) error {
	var reply JunkReply
	err := e.CallErr("JunkServer.Echo", JunkArgs{X: x}, &reply)
	if err == nil && reply.X != x {
		return errors.New("wrong reply")
	}
	return err
}

func TestFaultsValidate(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	bad := []Faults{
		{Loss: -0.1},
		{Loss: 1.5},
		{Loss: math.NaN()},
		{Reorder: 2},
		{Duplicate: -1},
		{DelayMin: 2 * time.Millisecond, DelayMax: time.Millisecond},
		{DelayMin: -time.Millisecond},
		{ReorderMin: time.Second, ReorderMax: time.Millisecond},
		{ReorderMax: -1},
		{ReplyLoss: 1.1},
		{ReplyReorder: -0.5},
		{ReplyDuplicate: math.NaN()},
		{ReplyDelayMin: time.Second, ReplyDelayMax: time.Millisecond},
	}
	for _, f := range bad {
		if err := rn.SetFaults(f); !errors.Is(err, ErrInvalidFaults) {
			t.Errorf("SetFaults(%+v) = %v, want ErrInvalidFaults", f, err)
		}
		if err := rn.SetLinkFaults("A", "B", f); !errors.Is(err, ErrInvalidFaults) {
			t.Errorf("SetLinkFaults(%+v) = %v, want ErrInvalidFaults", f, err)
		}
	}
	if !rn.GlobalFaults().IsZero() || !rn.LinkFaults("A", "B").IsZero() {
		t.Fatal("an invalid Faults was stored")
	}
	if err := rn.SetLinkFaults(nil, "B", Faults{Cut: true}); err == nil {
		t.Error("nil server name accepted")
	}
	if err := rn.SetLinkFaults([]int{1}, "B", Faults{Cut: true}); err == nil {
		t.Error("uncomparable server name accepted")
	}
	good := Faults{Loss: 1, Reorder: 0, Duplicate: 0.5, DelayMin: time.Millisecond, DelayMax: time.Millisecond}
	if err := rn.SetLinkFaults(1, 2, good); err != nil {
		t.Fatal(err)
	}
	if rn.LinkFaults(1, 2) != good || !rn.LinkFaults(2, 1).IsZero() {
		t.Fatal("LinkFaults does not return what was set, per direction")
	}
	rn.ClearLinkFaults(1, 2)
	if !rn.LinkFaults(1, 2).IsZero() {
		t.Fatal("ClearLinkFaults left faults")
	}
	t.Log(good.String())
}

// A one-way cut of A->B loses every message from A to B: A's calls to B fail without
// running B's handler; B's calls to A run A's handler but lose the reply.
func TestOneWayCut(t *testing.T) {
	p := newPair(t, 1)
	if err := p.rn.SetLinkFaults("A", "B", Faults{Cut: true}); err != nil {
		t.Fatal(err)
	}
	if err := p.echo(p.ab, 1); !errors.Is(err, ErrCut) {
		t.Fatalf("A->B with A->B cut: %v, want ErrCut", err)
	}
	if n := p.rn.GetCount("B"); n != 0 {
		t.Fatalf("B's handler ran %d times through a cut link", n)
	}
	if err := p.echo(p.ba, 2); !errors.Is(err, ErrCut) {
		t.Fatalf("B->A with A->B cut: %v, want ErrCut", err)
	}
	if n := p.rn.GetCount("A"); n != 1 {
		t.Fatalf("A's handler ran %d times, want 1 (the request B->A is not cut)", n)
	}
	// An end without an owner is on no link.
	if err := p.echo(p.anonToB, 3); err != nil {
		t.Fatalf("unowned end: %v", err)
	}
	p.rn.ClearLinkFaults("A", "B")
	if err := p.echo(p.ab, 4); err != nil {
		t.Fatalf("after clearing: %v", err)
	}
	if err := p.echo(p.ba, 5); err != nil {
		t.Fatalf("after clearing: %v", err)
	}

	// A global cut cuts everything, even unowned ends, until ClearFaults.
	p.rn.SetFaults(Faults{Cut: true})
	if err := p.echo(p.anonToB, 6); !errors.Is(err, ErrCut) {
		t.Fatalf("global cut: %v", err)
	}
	p.rn.ClearFaults()
	if err := p.echo(p.anonToB, 7); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

// Loss applies per direction, with the binomial rate asked for (5 sigma tolerance).
func TestLinkLoss(t *testing.T) {
	p := newPair(t, 2)
	const n = 3000
	p.rn.SetLinkFaults("A", "B", Faults{Loss: 0.3})
	ok := 0
	for i := 0; i < n; i++ {
		if p.echo(p.ab, i) == nil {
			ok++
		}
	}
	checkBinomial(t, "A->B requests delivered with loss 0.3", p.rn.GetCount("B"), n, 0.7)
	if ok != p.rn.GetCount("B") {
		t.Fatalf("%d replies but %d deliveries: replies on B->A must not be lost", ok, p.rn.GetCount("B"))
	}

	// B's calls to A are unaffected on the way out; their replies travel A->B and are
	// lost at the same rate.
	before := p.rn.GetCount("A")
	ok = 0
	for i := 0; i < n; i++ {
		if p.echo(p.ba, i) == nil {
			ok++
		}
	}
	if d := p.rn.GetCount("A") - before; d != n {
		t.Fatalf("B->A requests delivered %d of %d", d, n)
	}
	checkBinomial(t, "B->A replies returned (travelling A->B, loss 0.3)", ok, n, 0.7)
}

// Global faults, link faults and Reliable(false) apply independently.
func TestLossCombines(t *testing.T) {
	p := newPair(t, 3)
	p.rn.SetFaults(Faults{Loss: 0.2})
	p.rn.SetLinkFaults("A", "B", Faults{Loss: 0.5})
	const n = 3000
	for i := 0; i < n; i++ {
		p.echo(p.ab, i)
	}
	// Requests survive both with 0.8*0.5; replies (B->A) only face the global 0.2.
	delivered := p.rn.GetCount("B")
	checkBinomial(t, "requests delivered", delivered, n, 0.8*0.5)
}

// Delay applies per direction: the request's on A->B, the reply's on B->A.
func TestLinkDelay(t *testing.T) {
	p := newPair(t, 4)
	p.rn.SetLinkFaults("A", "B", Faults{DelayMin: 30 * time.Millisecond, DelayMax: 40 * time.Millisecond})
	p.rn.SetLinkFaults("B", "A", Faults{DelayMin: 20 * time.Millisecond, DelayMax: 20 * time.Millisecond})
	rec := newRecorder(p.rn)
	for i := 0; i < 5; i++ {
		if err := p.echo(p.ab, i); err != nil {
			t.Fatal(err)
		}
	}
	var delivered, replied []time.Duration
	for _, ev := range rec.snapshot() {
		switch ev.Kind {
		case EventDelivered:
			delivered = append(delivered, ev.Latency)
		case EventReplied:
			replied = append(replied, ev.Latency)
		}
	}
	for i := range delivered {
		if delivered[i] < 30*time.Millisecond || delivered[i] > time.Second {
			t.Errorf("request delay %v, want 30-40 ms", delivered[i])
		}
		if replied[i] < 50*time.Millisecond || replied[i] > 2*time.Second {
			t.Errorf("round trip %v, want 50-60 ms", replied[i])
		}
	}
}

// A reordered message is held back so that messages sent after it overtake it.
func TestReorder(t *testing.T) {
	p := newPair(t, 5)
	p.rn.SetLinkFaults("A", "B", Faults{Reorder: 0.3, ReorderMin: 100 * time.Millisecond, ReorderMax: 200 * time.Millisecond})
	rec := newRecorder(p.rn)
	const n = 40
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := p.echo(p.ab, i); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}(i)
		// Send in order: wait until this call's request is on its way.
		rec.waitFor(t, "sent", func(evs []Event) bool { return countKind(evs, EventSent) == i+1 })
	}
	wg.Wait()
	if seen := p.b.seen(); len(seen) != n {
		t.Fatalf("%d of %d delivered: reordering must not lose messages", len(seen), n)
	}
	// Held messages are the ones delivered 100 ms or more after they were sent; each
	// must have been overtaken by a message sent after it, unless none was.
	evs := rec.snapshot()
	order := map[uint64]int{} // call id -> position in delivery order
	sentPos := map[uint64]int{}
	var held []uint64
	for _, ev := range evs {
		switch ev.Kind {
		case EventSent:
			sentPos[ev.CallID] = len(sentPos)
		case EventDelivered:
			order[ev.CallID] = len(order)
			if ev.Latency >= 100*time.Millisecond {
				held = append(held, ev.CallID)
			}
		}
	}
	checkBinomial(t, "held back", len(held), n, 0.3)
	overtaken := 0
	for _, id := range held {
		for other, pos := range order {
			if sentPos[other] > sentPos[id] && pos < order[id] {
				overtaken++
				break
			}
		}
	}
	if len(held) > 0 && overtaken == 0 {
		t.Fatalf("%d messages held back, none overtaken", len(held))
	}
	t.Logf("%d of %d held back, %d of them overtaken; arrival order %v", len(held), n, overtaken, p.b.seen())
}

// Duplication delivers the request twice: the handler runs twice, the caller gets one
// reply.
func TestDuplicate(t *testing.T) {
	p := newPair(t, 6)
	p.rn.SetLinkFaults("A", "B", Faults{Duplicate: 1})
	const n = 50
	for i := 0; i < n; i++ {
		if err := p.echo(p.ab, i); err != nil {
			t.Fatal(err)
		}
	}
	if c := p.rn.GetCount("B"); c != 2*n {
		t.Fatalf("GetCount = %d, want %d", c, 2*n)
	}
	// Both copies ran (the duplicate may still be finishing when Call returns).
	p.b.waitSeen(t, 2*n)
	times := map[int]int{}
	for _, x := range p.b.seen() {
		times[x]++
	}
	for i := 0; i < n; i++ {
		if times[i] != 2 {
			t.Fatalf("handler saw %d %d times, want 2", i, times[i])
		}
	}

	// A probability: about that share of requests is duplicated.
	p.rn.SetLinkFaults("A", "B", Faults{Duplicate: 0.3})
	before := p.rn.GetCount("B")
	const m = 3000
	for i := 0; i < m; i++ {
		if err := p.echo(p.ab, i); err != nil {
			t.Fatal(err)
		}
	}
	checkBinomial(t, "duplicated", p.rn.GetCount("B")-before-m, m, 0.3)
	// Duplication never applies to the reverse direction's requests.
	before = p.rn.GetCount("A")
	for i := 0; i < 100; i++ {
		p.echo(p.ba, i)
	}
	if d := p.rn.GetCount("A") - before; d != 100 {
		t.Fatalf("B->A deliveries %d, want 100", d)
	}
}

// The reply settings of a link touch only the replies that travel it: A's requests to
// B go untouched, while B's replies to A are lost, delayed or duplicated; B's own
// requests to A on the reverse link are unaffected by A->B's reply settings.
func TestReplyFaults(t *testing.T) {
	p := newPair(t, 7)
	p.rn.SetLinkFaults("B", "A", Faults{ReplyLoss: 0.3})
	const n = 3000
	ok := 0
	for i := 0; i < n; i++ {
		if p.echo(p.ab, i) == nil {
			ok++
		}
	}
	if d := p.rn.GetCount("B"); d != n {
		t.Fatalf("A->B requests delivered %d of %d: reply loss must not lose requests", d, n)
	}
	checkBinomial(t, "replies returned with reply loss 0.3", ok, n, 0.7)
	before := p.rn.GetCount("A")
	for i := 0; i < 100; i++ {
		if err := p.echo(p.ba, i); err != nil {
			t.Fatalf("B->A call %d failed: B->A's reply settings must not touch B's requests: %v", i, err)
		}
	}
	if d := p.rn.GetCount("A") - before; d != 100 {
		t.Fatalf("B->A requests delivered %d of 100", d)
	}

	p.rn.SetLinkFaults("B", "A", Faults{ReplyDelayMin: 60 * time.Millisecond, ReplyDelayMax: 60 * time.Millisecond, ReplyDuplicate: 1})
	rec := newRecorder(p.rn)
	for i := 0; i < 3; i++ {
		if err := p.echo(p.ab, i); err != nil {
			t.Fatal(err)
		}
	}
	dups, replied := 0, 0
	for _, ev := range rec.snapshot() {
		switch {
		case ev.Kind == EventDelivered && ev.Latency > 50*time.Millisecond:
			t.Errorf("request delayed %v: the reply delay must not touch requests", ev.Latency)
		case ev.Kind == EventReplied:
			replied++
			if ev.Latency < 60*time.Millisecond {
				t.Errorf("round trip %v, want at least the reply delay of 60ms", ev.Latency)
			}
		case ev.Kind == EventDuplicated:
			dups++
			if !ev.Reply {
				t.Error("a duplicated reply's event does not say it was the reply")
			}
		}
	}
	if replied != 3 || dups != 3 {
		t.Errorf("%d replies, %d duplicated, want 3 and 3 (a call returns once)", replied, dups)
	}
	if c := p.rn.GetCount("B"); c != n+3 {
		t.Errorf("B's GetCount %d, want %d: a duplicated reply is no second delivery", c, n+3)
	}
}

// The same seed gives the same decisions for the same sequential calls.
func TestSeedReproducible(t *testing.T) {
	t.Parallel()
	run := func(seed int64) []string {
		p := newPair(t, seed)
		p.rn.Reliable(false)
		p.rn.SetFaults(Faults{Loss: 0.1, Duplicate: 0.2, DelayMax: time.Millisecond})
		p.rn.SetLinkFaults("B", "A", Faults{Loss: 0.2, Reorder: 0.2, ReorderMin: time.Microsecond, ReorderMax: time.Millisecond})
		p.rn.LongDelays(false)
		var out []string
		for i := 0; i < 60; i++ {
			e := p.ab
			if i%3 == 0 {
				e = p.ba
			}
			err := p.echo(e, i)
			s := "ok"
			if err != nil {
				s = err.Error()
			}
			out = append(out, s)
		}
		out = append(out, fmt.Sprint("deliveries ", p.rn.GetCount("A"), p.rn.GetCount("B")))
		return out
	}
	a, b, c := run(42), run(42), run(43)
	if len(a) != len(b) {
		t.Fatal("different lengths")
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 42 twice: step %d differs: %q vs %q", i, a[i], b[i])
		}
	}
	same := true
	for i := range a {
		if a[i] != c[i] {
			same = false
		}
	}
	if same {
		t.Fatal("seeds 42 and 43 gave identical decisions")
	}

	rn := MakeNetworkSeed(7)
	defer rn.Cleanup()
	if rn.Seed() != 7 {
		t.Fatal("Seed() does not return the seed")
	}
	rn.SetSeed(9)
	if rn.Seed() != 9 {
		t.Fatal("SetSeed not reflected by Seed()")
	}
}
