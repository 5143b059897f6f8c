package labrpc

import (
	"bytes"
	"encoding/gob"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type JunkArgs struct {
	X int
}

type JunkReply struct {
	X int
}

// JunkServer is the course tests' server, with handlers of every shape the tests need.
type JunkServer struct {
	mu    sync.Mutex
	log1  []string
	log2  []int
	block chan struct{} // Block waits until it is closed (by release)
	once  sync.Once
	grew  chan struct{} // closed and replaced whenever log2 grows
}

func (js *JunkServer) Handler1(args string, reply *int) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.log1 = append(js.log1, args)
	*reply, _ = strconv.Atoi(args)
}

func (js *JunkServer) Handler2(args int, reply *string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.log2 = append(js.log2, args)
	*reply = "handler2-" + strconv.Itoa(args)
}

// release lets every call of Block, past and future, return.
func (js *JunkServer) release() { js.once.Do(func() { close(js.block) }) }

// Block waits until js.block is closed, then replies -args.
func (js *JunkServer) Block(args int, reply *int) {
	<-js.block
	*reply = -args
}

// Handler4 takes its args by pointer.
func (js *JunkServer) Handler4(args *JunkArgs, reply *JunkReply) {
	reply.X = args.X + 1
}

// Handler5 takes its args by value.
func (js *JunkServer) Handler5(args JunkArgs, reply *JunkReply) {
	reply.X = args.X + 2
}

// Mutate changes its copy of the args.
func (js *JunkServer) Mutate(args *JunkArgs, reply *JunkReply) {
	args.X = -1
	reply.X = 42
}

// Echo records every X it sees.
func (js *JunkServer) Echo(args JunkArgs, reply *JunkReply) {
	js.mu.Lock()
	js.log2 = append(js.log2, args.X)
	if js.grew != nil {
		close(js.grew)
	}
	js.grew = make(chan struct{})
	js.mu.Unlock()
	reply.X = args.X
}

// waitSeen waits until Echo has seen n values.
func (js *JunkServer) waitSeen(t *testing.T, n int) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		js.mu.Lock()
		if js.grew == nil {
			js.grew = make(chan struct{})
		}
		ok, ch := len(js.log2) >= n, js.grew
		js.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("Echo saw fewer than %d values", n)
		}
	}
}

// NotAHandler is exported but has the wrong shape.
func (js *JunkServer) NotAHandler(args int) {}

func (js *JunkServer) seen() []int {
	js.mu.Lock()
	defer js.mu.Unlock()
	return append([]int(nil), js.log2...)
}

// newJunk adds a JunkServer under srvname and returns it.
func newJunk(rn *Network, srvname interface{}) *JunkServer {
	js := &JunkServer{block: make(chan struct{})}
	rs := MakeServer()
	rs.AddService(MakeService(js))
	rn.AddServer(srvname, rs)
	return js
}

// connect makes an enabled end connected to srvname.
func connect(rn *Network, endname, srvname interface{}) *ClientEnd {
	e := rn.MakeEnd(endname)
	rn.Connect(endname, srvname)
	rn.Enable(endname, true)
	return e
}

// gobSize is the size of v encoded by a fresh gob encoder, computed independently of the
// package's code.
func gobSize(t *testing.T, v interface{}) int64 {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return int64(b.Len())
}

// recorder is an observer that keeps every event and lets a test wait for a condition.
type recorder struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

func newRecorder(rn *Network) *recorder {
	r := &recorder{changed: make(chan struct{})}
	rn.SetObserver(r.observe)
	return r
}

func (r *recorder) observe(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// waitFor waits until cond, called with the events so far, is true, or fails the test.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]Event) bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.events)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func countKind(evs []Event, k EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// checkBinomial fails the test if k successes out of n differ from the expectation n*p
// by more than 5 standard deviations (plus one, for tiny n*p).
func checkBinomial(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(k)-mean) > 5*sd+1 {
		t.Errorf("%s: %d of %d, want %.1f ± %.1f (5 sigma)", what, k, n, mean, 5*sd+1)
	} else {
		t.Logf("%s: %d of %d (expected %.1f, sd %.1f)", what, k, n, mean, sd)
	}
}

// callAsync starts a call and returns a channel that gets its result.
func callAsync(e *ClientEnd, meth string, args interface{}) chan error {
	ch := make(chan error, 1)
	go func() {
		var reply int
		ch <- e.CallErr(meth, args, &reply)
	}()
	return ch
}

// within waits for a result on ch for at most d.
func within(t *testing.T, ch chan error, d time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("%s: no result within %v", what, d)
		return nil
	}
}
