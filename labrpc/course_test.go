package labrpc

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// Tests of the behaviour the course's labrpc has, with the course's names where it has
// them.

func TestBasic(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, "server99")
	e := connect(rn, "end1-99", "server99")

	var s string
	if !e.Call("JunkServer.Handler2", 111, &s) || s != "handler2-111" {
		t.Fatalf("Handler2: wrong reply %q", s)
	}
	var n int
	if !e.Call("JunkServer.Handler1", "9099", &n) || n != 9099 {
		t.Fatalf("Handler1: wrong reply %d", n)
	}
}

func TestIntNames(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, 1000)
	e := connect(rn, 2000, 1000)
	var n int
	if !e.Call("JunkServer.Handler1", "7", &n) || n != 7 {
		t.Fatalf("wrong reply %d", n)
	}
	if rn.GetCount(1000) != 1 {
		t.Fatalf("GetCount(1000) = %d, want 1", rn.GetCount(1000))
	}
}

// A handler may take its args by pointer or by value, whichever the caller passes.
func TestTypes(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, "server99")
	e := connect(rn, "end1-99", "server99")

	for _, tc := range []struct {
		meth string
		args interface{}
		want int
	}{
		{"JunkServer.Handler4", &JunkArgs{X: 10}, 11},
		{"JunkServer.Handler4", JunkArgs{X: 10}, 11},
		{"JunkServer.Handler5", JunkArgs{X: 10}, 12},
		{"JunkServer.Handler5", &JunkArgs{X: 10}, 12},
	} {
		var reply JunkReply
		if err := e.CallErr(tc.meth, tc.args, &reply); err != nil {
			t.Fatalf("%s(%T): %v", tc.meth, tc.args, err)
		}
		if reply.X != tc.want {
			t.Fatalf("%s(%T): reply %d, want %d", tc.meth, tc.args, reply.X, tc.want)
		}
	}
}

// The handler works on a copy of the args, and the reply is decoded into the caller's.
func TestArgsAndRepliesAreCopies(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, "s")
	e := connect(rn, "e", "s")
	args := &JunkArgs{X: 5}
	reply := &JunkReply{X: 1}
	if !e.Call("JunkServer.Mutate", args, reply) {
		t.Fatal("call failed")
	}
	if args.X != 5 {
		t.Fatalf("the handler changed the caller's args: X = %d", args.X)
	}
	if reply.X != 42 {
		t.Fatalf("reply.X = %d, want 42", reply.X)
	}
}

// A call on a disabled end returns false and leaves the reply alone.
func TestDisconnect(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, "server99")
	e := rn.MakeEnd("end1-99")
	rn.Connect("end1-99", "server99")

	reply := "untouched"
	if err := e.CallErr("JunkServer.Handler2", 111, &reply); !errors.Is(err, ErrDisabled) {
		t.Fatalf("call on a disabled end: %v, want ErrDisabled", err)
	}
	if reply != "untouched" {
		t.Fatalf("reply touched: %q", reply)
	}
	if rn.GetCount("server99") != 0 {
		t.Fatal("a disabled end's request was delivered")
	}

	rn.Enable("end1-99", true)
	n := 77
	if !e.Call("JunkServer.Handler1", "9099", &n) || n != 9099 {
		t.Fatalf("after Enable: reply %d", n)
	}
}

func TestMissingServer(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	unconnected := rn.MakeEnd("e1")
	rn.Enable("e1", true)
	nowhere := connect(rn, "e2", "nobody")
	for _, e := range []*ClientEnd{unconnected, nowhere} {
		reply := 77
		start := time.Now()
		if err := e.CallErr("JunkServer.Handler1", "1", &reply); !errors.Is(err, ErrNoServer) {
			t.Fatalf("end %v: %v, want ErrNoServer", e.Name(), err)
		}
		if reply != 77 {
			t.Fatalf("reply touched: %d", reply)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v, want under 100 ms (1 s allowed)", d)
		}
	}
}

// Calls that cannot be delivered fail after a random 0-99 ms: check the range on a few
// dozen calls.
func TestFailureWait(t *testing.T) {
	t.Parallel()
	rn := MakeNetwork()
	defer rn.Cleanup()
	e := rn.MakeEnd("e") // disabled
	rec := newRecorder(rn)
	const n = 50
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r int
			e.Call("JunkServer.Handler1", "1", &r)
		}()
	}
	wg.Wait()
	var lat []time.Duration
	for _, ev := range rec.snapshot() {
		if ev.Kind == EventFailed {
			lat = append(lat, ev.Latency)
		}
	}
	if len(lat) != n {
		t.Fatalf("%d failures, want %d", len(lat), n)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	// The chance that all 50 waits are under 20 ms is 0.2^50.
	if lat[n-1] < 20*time.Millisecond || lat[n-1] > time.Second {
		t.Fatalf("longest failure wait %v, want about 100 ms", lat[n-1])
	}
	t.Logf("failure waits: min %v median %v max %v", lat[0], lat[n/2], lat[n-1])
}

// With LongDelays the wait is 0-7 s.
func TestLongDelays(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 7 s")
	}
	t.Parallel()
	rn := MakeNetwork()
	defer rn.Cleanup()
	rn.LongDelays(true)
	e := rn.MakeEnd("e") // disabled
	rec := newRecorder(rn)
	const n = 60
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r int
			e.Call("JunkServer.Handler1", "1", &r)
		}()
	}
	wg.Wait()
	var lat []time.Duration
	for _, ev := range rec.snapshot() {
		if ev.Kind == EventFailed {
			lat = append(lat, ev.Latency)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	over1s := 0
	for _, l := range lat {
		if l > time.Second {
			over1s++
		}
	}
	// Uniform on 0-7 s: 6/7 of the waits are over 1 s; the max is under 7 s.
	checkBinomial(t, "waits over 1 s", over1s, n, 6.0/7)
	if lat[n-1] > 8*time.Second {
		t.Fatalf("longest wait %v, want under 7 s", lat[n-1])
	}
	t.Logf("long failure waits: min %v median %v max %v", lat[0], lat[n/2], lat[n-1])
}

func TestCounts(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, 99)
	e := connect(rn, "end1-99", 99)
	for i := 0; i < 17; i++ {
		var reply string
		if !e.Call("JunkServer.Handler2", i, &reply) || reply != fmt.Sprintf("handler2-%d", i) {
			t.Fatalf("call %d: wrong reply %q", i, reply)
		}
	}
	if n := rn.GetCount(99); n != 17 {
		t.Fatalf("GetCount = %d, want 17", n)
	}
	if n := rn.GetTotalCount(); n != 17 {
		t.Fatalf("GetTotalCount = %d, want 17", n)
	}
	// A call that is not delivered counts in the total only.
	rn.Enable("end1-99", false)
	var reply string
	e.Call("JunkServer.Handler2", 1, &reply)
	if rn.GetCount(99) != 17 || rn.GetTotalCount() != 18 {
		t.Fatalf("after a failed call: GetCount %d (want 17), GetTotalCount %d (want 18)",
			rn.GetCount(99), rn.GetTotalCount())
	}
	if rn.GetCount("nobody") != 0 {
		t.Fatal("GetCount of a missing server is not 0")
	}
}

// GetTotalBytes counts the gob size of each call's args, and of each reply returned.
func TestBytes(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, 99)
	e := connect(rn, "end1-99", 99)

	var want int64
	for _, args := range []string{"1", "12345", string(make([]byte, 5000))} {
		var reply int
		if !e.Call("JunkServer.Handler1", args, &reply) {
			t.Fatal("call failed")
		}
		want += gobSize(t, args) + gobSize(t, &reply)
		if got := rn.GetTotalBytes(); got != want {
			t.Fatalf("after args of %d bytes: GetTotalBytes = %d, want %d", len(args), got, want)
		}
	}
	var jr JunkReply
	if !e.Call("JunkServer.Handler4", &JunkArgs{X: 1 << 40}, &jr) {
		t.Fatal("call failed")
	}
	want += gobSize(t, JunkArgs{X: 1 << 40}) + gobSize(t, &JunkReply{X: 1<<40 + 1})
	if got := rn.GetTotalBytes(); got != want {
		t.Fatalf("after a struct: GetTotalBytes = %d, want %d", got, want)
	}
	// The request of a call that is not delivered counts; there is no reply.
	rn.Enable("end1-99", false)
	var reply int
	e.Call("JunkServer.Handler1", "abc", &reply)
	want += gobSize(t, "abc")
	if got := rn.GetTotalBytes(); got != want {
		t.Fatalf("after a failed call: GetTotalBytes = %d, want %d", got, want)
	}
}

// Many goroutines, each with its own end, calling at once.
func TestConcurrentMany(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, 1000)
	const nclients, nrpcs = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, nclients)
	for ii := 0; ii < nclients; ii++ {
		wg.Add(1)
		go func(ii int) {
			defer wg.Done()
			e := connect(rn, ii, 1000)
			for j := 0; j < nrpcs; j++ {
				arg := ii*100 + j
				var reply string
				if !e.Call("JunkServer.Handler2", arg, &reply) || reply != fmt.Sprintf("handler2-%d", arg) {
					errs <- fmt.Errorf("client %d call %d: reply %q", ii, j, reply)
					return
				}
			}
		}(ii)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := rn.GetCount(1000); n != nclients*nrpcs {
		t.Fatalf("GetCount = %d, want %d", n, nclients*nrpcs)
	}
}

// Many goroutines sharing one end.
func TestConcurrentOne(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	newJunk(rn, 1000)
	e := connect(rn, "c", 1000)
	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var reply string
			if e.Call("JunkServer.Handler2", 100+i, &reply) && reply == fmt.Sprintf("handler2-%d", 100+i) {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if ok != n {
		t.Fatalf("%d of %d calls succeeded", ok, n)
	}
}

// An unreliable network drops 10% of requests and 10% of replies and delays requests by
// 0-26 ms. The counts must be within 5 sigma of the binomial expectations.
func TestUnreliable(t *testing.T) {
	t.Parallel()
	rn := MakeNetwork()
	defer rn.Cleanup()
	rn.Reliable(false)
	newJunk(rn, "s")
	rec := newRecorder(rn)
	const n = 2000
	var wg sync.WaitGroup
	var mu sync.Mutex
	succ := 0
	// 20 goroutines of 100 calls each, all on one end.
	e := connect(rn, "e", "s")
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/20; i++ {
				var reply int
				if e.Call("JunkServer.Handler1", "5", &reply) {
					if reply != 5 {
						t.Errorf("wrong reply %d", reply)
					}
					mu.Lock()
					succ++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	delivered := rn.GetCount("s")
	checkBinomial(t, "requests delivered", delivered, n, 0.9)
	checkBinomial(t, "replies returned of delivered", succ, delivered, 0.9)

	var lat []time.Duration
	for _, ev := range rec.snapshot() {
		if ev.Kind == EventDelivered {
			lat = append(lat, ev.Latency)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	med := lat[len(lat)/2]
	// Delays are uniform on 0-26 ms; scheduling only adds to them.
	if med < 8*time.Millisecond || med > 100*time.Millisecond {
		t.Errorf("median request delay %v, want about 13 ms", med)
	}
	if lat[0] > 10*time.Millisecond {
		t.Errorf("shortest request delay %v, want near 0", lat[0])
	}
	t.Logf("request delays: min %v median %v max %v", lat[0], med, lat[len(lat)-1])
}

// LongReordering delays about 2/3 of replies by 200 ms to 2.2 s.
func TestLongReordering(t *testing.T) {
	t.Parallel()
	rn := MakeNetwork()
	defer rn.Cleanup()
	rn.LongReordering(true)
	newJunk(rn, "s")
	e := connect(rn, "e", "s")
	rec := newRecorder(rn)
	const n = 300
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var reply int
			if !e.Call("JunkServer.Handler1", "1", &reply) {
				t.Error("a call failed on a reliable network")
			}
		}()
	}
	wg.Wait()
	// A reply's hold is the time from its request's delivery to the caller having it:
	// the handler is quick, so that is the reordering delay, and unlike the whole
	// latency it does not grow with the time 300 calls queue on a loaded machine.
	delivered := make(map[uint64]time.Time)
	var lat []time.Duration
	for _, ev := range rec.snapshot() {
		switch ev.Kind {
		case EventDelivered:
			delivered[ev.CallID] = ev.Time
		case EventReplied:
			lat = append(lat, ev.Time.Sub(delivered[ev.CallID]))
		}
	}
	if len(lat) != n {
		t.Fatalf("%d replies, want %d", len(lat), n)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	late := 0
	for _, l := range lat {
		if l >= 200*time.Millisecond {
			late++
		}
	}
	checkBinomial(t, "replies delayed", late, n, 600.0/900)
	if max := lat[n-1]; max < 400*time.Millisecond || max > 3500*time.Millisecond {
		t.Errorf("longest hold %v, want within 2.2 s", max)
	}
	t.Logf("replies held: min %v median %v max %v", lat[0], lat[n/2], lat[n-1])
}

// A call pending on a server that is deleted fails within about 100 ms.
func TestKilled(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	js := newJunk(rn, "server99")
	defer js.release()
	e := connect(rn, "end1-99", "server99")
	rec := newRecorder(rn)

	done := callAsync(e, "JunkServer.Block", 99)
	rec.waitFor(t, "delivery", func(evs []Event) bool { return countKind(evs, EventDelivered) == 1 })
	select {
	case err := <-done:
		t.Fatalf("Block returned (%v) before it was released", err)
	case <-time.After(150 * time.Millisecond): // over one 100 ms check
	}
	start := time.Now()
	rn.DeleteServer("server99")
	err := within(t, done, 2*time.Second, "call on a deleted server")
	if !errors.Is(err, ErrServerDeleted) {
		t.Fatalf("got %v, want ErrServerDeleted", err)
	}
	t.Logf("failed %v after DeleteServer (want about 100 ms)", time.Since(start))
}

// Disabling the end of a pending call fails it too.
func TestDisabledWhilePending(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	js := newJunk(rn, "s")
	defer js.release()
	e := connect(rn, "e", "s")
	rec := newRecorder(rn)
	done := callAsync(e, "JunkServer.Block", 1)
	rec.waitFor(t, "delivery", func(evs []Event) bool { return countKind(evs, EventDelivered) == 1 })
	rn.Enable("e", false)
	if err := within(t, done, 2*time.Second, "call on a disabled end"); !errors.Is(err, ErrDisabled) {
		t.Fatalf("got %v, want ErrDisabled", err)
	}
}

// The reply of a server replaced while its handler ran is never returned, even when the
// handler returns before the next 100 ms check.
func TestReplacedServerReplyDiscarded(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	old := newJunk(rn, "s")
	e := connect(rn, "e", "s")
	rec := newRecorder(rn)
	done := callAsync(e, "JunkServer.Block", 7)
	rec.waitFor(t, "delivery", func(evs []Event) bool { return countKind(evs, EventDelivered) == 1 })
	fresh := newJunk(rn, "s") // replaces old
	old.release()
	if err := within(t, done, 2*time.Second, "call on a replaced server"); !errors.Is(err, ErrServerDeleted) {
		t.Fatalf("got %v, want ErrServerDeleted", err)
	}
	// The new server answers.
	fresh.release()
	var reply int
	if !e.Call("JunkServer.Block", 8, &reply) || reply != -8 {
		t.Fatalf("new server: reply %d", reply)
	}
}

// Cleanup makes pending calls return false promptly, and later calls return false.
func TestCleanup(t *testing.T) {
	rn := MakeNetwork()
	js := newJunk(rn, "s")
	defer js.release()
	e := connect(rn, "e", "s")
	rn.LongDelays(true)
	waiting := rn.MakeEnd("disabled") // waits up to 7 s before failing
	rec := newRecorder(rn)

	blocked := callAsync(e, "JunkServer.Block", 1)
	long := callAsync(waiting, "JunkServer.Block", 1)
	rec.waitFor(t, "both sent and one delivered", func(evs []Event) bool {
		return countKind(evs, EventSent) == 2 && countKind(evs, EventDelivered) == 1
	})
	rn.Cleanup()
	for _, ch := range []chan error{blocked, long} {
		if err := within(t, ch, time.Second, "pending call after Cleanup"); !errors.Is(err, ErrCleanup) {
			t.Fatalf("got %v, want ErrCleanup", err)
		}
	}
	var reply int
	if err := e.CallErr("JunkServer.Handler1", "1", &reply); !errors.Is(err, ErrCleanup) {
		t.Fatalf("call after Cleanup: %v, want ErrCleanup", err)
	}
	rn.Cleanup() // twice is fine
}
