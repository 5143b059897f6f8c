package live

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// start starts a cluster of n peers, stops it when the test ends and checks then that
// it left no goroutine behind.
func start(t *testing.T, cfg chaos.ClusterConfig) *Cluster {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		c.Stop()
		goleak.VerifyNone(t, ignore)
	})
	return c
}

// waitLeader waits for a leader and returns it.
func waitLeader(t *testing.T, c *Cluster) int {
	t.Helper()
	l := raft.None
	ok, err := c.RunUntil(t.Context(), 5*time.Second, func() bool {
		l = chaos.LeaderOf(c.Peers())
		return l != raft.None
	})
	if !ok || err != nil {
		t.Fatalf("no leader within 5s: %v", err)
	}
	return l
}

func TestNewRejectsBadConfigs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name string
		cfg  chaos.ClusterConfig
		want string
	}{
		{"no peers", chaos.ClusterConfig{Peers: 0}, "0 peers"},
		{"too many peers", chaos.ClusterConfig{Peers: MaxPeers + 1}, "65 peers"},
		{"bad raft config", chaos.ClusterConfig{Peers: 3, Raft: raft.Config{HeartbeatTicks: 50, ElectionTicksMin: 20}}, "ElectionTicksMin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if err == nil {
				c.Stop()
				t.Fatalf("New() = nil error, want one mentioning %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "live: ") {
				t.Errorf("New() error = %q, want it to start with \"live: \" and mention %q", err, tc.want)
			}
		})
	}
}

// Fault.Validate lets NaN through; a NaN clock rate would stop a live peer's ticker.
func TestDoRejectsNaN(t *testing.T) {
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 1})
	net := c.Network()
	for _, f := range []chaos.Fault{
		{Kind: chaos.Loss, P: math.NaN()},
		{Kind: chaos.Duplicate, P: math.NaN(), From: []int{0}, To: []int{1}},
		{Kind: chaos.Reorder, P: math.NaN()},
		{Kind: chaos.Skew, Peers: []int{1}, Rate: math.NaN()},
	} {
		if err := c.Do(f); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("Do(%v) = %v, want an error about NaN", f, err)
		}
	}
	if got := c.Network(); !reflect.DeepEqual(got, net) {
		t.Errorf("refused faults changed the network: %+v", got)
	}
	for i, p := range c.Peers() {
		if p.ClockRate != 1 {
			t.Errorf("peer %d: ClockRate %g after a refused skew, want 1", i, p.ClockRate)
		}
	}
}

// Network events are many: with nobody asking for them, the cluster publishes none.
func TestNetEventsOnlyWhenWanted(t *testing.T) {
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 2})
	waitLeader(t, c)
	var raftEvents atomic.Int64
	cancel := c.Events().Observe(func(chaos.Event) { raftEvents.Add(1) }, chaos.EventRaft)
	defer cancel()
	seq0, rpcs0 := c.Events().Seq(), c.Stats().RPCs
	if err := c.RunFor(t.Context(), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	published := int64(c.Events().Seq() - seq0)
	if rpcs := c.Stats().RPCs - rpcs0; rpcs == 0 {
		t.Fatalf("no RPCs in 300ms: the test sees nothing")
	}
	if published != raftEvents.Load() {
		t.Errorf("published %d events in 300ms with only a raft sink, of which %d raft: want no others", published, raftEvents.Load())
	}

	var netEvents atomic.Int64
	cancelNet := c.Events().Observe(func(chaos.Event) { netEvents.Add(1) }, chaos.EventNet)
	defer cancelNet()
	if err := c.RunFor(t.Context(), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if netEvents.Load() == 0 {
		t.Errorf("no message events in 300ms with a net sink")
	}
}

// RunUntil waits for events, not by polling: on an idle cluster, it evaluates its
// condition about once per fallback period.
func TestRunUntilDoesNotPoll(t *testing.T) {
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 3})
	waitLeader(t, c)
	calls := 0
	ok, err := c.RunUntil(t.Context(), time.Second, func() bool { calls++; return false })
	if ok || err != nil {
		t.Fatalf("RunUntil(false) = %v, %v; want false, nil", ok, err)
	}
	t.Logf("%d evaluations in an idle second", calls)
	if max := int(time.Second/wakeEvery) * 3; calls > max {
		t.Errorf("an idle second took %d evaluations of the condition, want at most %d", calls, max)
	}
	// An event wakes it: a proposal's commit ends the wait long before the fallback
	// would matter (this only checks that it ends; timings are not asserted).
	r := c.Propose("x")
	if !r.OK {
		t.Fatalf("Propose = %+v", r)
	}
	ok, err = c.RunUntil(t.Context(), 5*time.Second, func() bool {
		for _, p := range c.Peers() {
			if p.CommitIndex < r.Index {
				return false
			}
		}
		return true
	})
	if !ok || err != nil {
		t.Errorf("RunUntil(committed) = %v, %v", ok, err)
	}
}

// Waiting goroutines end with ErrStopped when the cluster stops, paused or not.
func TestStopEndsWaiters(t *testing.T) {
	for _, paused := range []bool{false, true} {
		c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 4})
		if paused {
			c.Pause()
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		waiting := make(chan struct{})
		var once sync.Once
		wg.Go(func() { errs[0] = c.RunFor(context.Background(), time.Hour) })
		wg.Go(func() {
			_, errs[1] = c.RunUntil(context.Background(), time.Hour, func() bool {
				once.Do(func() { close(waiting) }) // it waits right after this
				return false
			})
		})
		<-waiting
		c.Stop()
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, chaos.ErrStopped) {
				t.Errorf("paused %v: waiter %d returned %v, want %v", paused, i, err, chaos.ErrStopped)
			}
		}
	}
}

// A peer restarted while the whole cluster is paused stays frozen until Resume.
func TestRestartWhilePaused(t *testing.T) {
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 5})
	l := waitLeader(t, c)
	f := (l + 1) % 3
	c.Pause()
	if err := c.Do(chaos.Fault{Kind: chaos.Crash, Peers: []int{f}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{f}}); err != nil {
		t.Fatal(err)
	}
	sitOut := func(real time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), real)
		defer cancel()
		if err := c.RunFor(ctx, time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("RunFor on a paused cluster = %v, want %v", err, context.DeadlineExceeded)
		}
	}
	// RPCs whose goroutines started before the pause may still enter the network at
	// first; after a moment nothing may, though the wait outlasts an election timeout.
	term := c.Peers()[f].Term
	sitOut(100 * time.Millisecond)
	stats := c.Stats()
	sitOut(700 * time.Millisecond)
	if got := c.Peers()[f]; got.Term != term || got.State != chaos.Up {
		t.Errorf("peer %d restarted while paused: %v term %d, want up and still term %d", f, got.State, got.Term, term)
	}
	if got := c.Stats(); got != stats {
		t.Errorf("Stats() moved from %+v to %+v while paused", stats, got)
	}
	c.Resume()
	r := chaos.ProposeResult{}
	ok, err := c.RunUntil(t.Context(), 10*time.Second, func() bool {
		if !r.OK {
			r = c.Propose("after")
			return false
		}
		return c.Peers()[f].CommitIndex >= r.Index
	})
	if !ok || err != nil {
		t.Errorf("after Resume, peer %d did not commit a new entry: %v", f, err)
	}
}

// failingService is a Digest whose Restore always fails.
type failingService struct{ *chaos.Digest }

func (failingService) Restore(int, []byte) error { return errors.New("cannot restore") }

// A service that cannot restore a snapshot it is sent is reported as a violation; one
// that cannot restore its persisted snapshot makes the restart fail.
func TestServiceRestoreErrors(t *testing.T) {
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 6, NewService: func(int) chaos.Service {
		return failingService{chaos.NewDigest(5)}
	}})
	var mu sync.Mutex
	var violations []chaos.Violation
	c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		violations = append(violations, *e.Violation)
		mu.Unlock()
	}, chaos.EventViolation)
	l := waitLeader(t, c)
	f := (l + 1) % 3
	if err := c.Do(chaos.Fault{Kind: chaos.Crash, Peers: []int{f}}); err != nil {
		t.Fatal(err)
	}
	ok, err := c.RunUntil(t.Context(), 10*time.Second, func() bool {
		ps := c.Peers()
		if ps[l].SnapshotIndex >= 10 {
			return true
		}
		if ps[l].LastIndex < 12 {
			c.Propose("x")
		}
		return false
	})
	if !ok || err != nil {
		t.Fatalf("the leader did not compact its log: %v", err)
	}
	if err := c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{f}}); err != nil {
		t.Fatalf("restart of a peer with no snapshot: %v", err)
	}
	ok, err = c.RunUntil(t.Context(), 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(violations) > 0
	})
	if !ok || err != nil {
		t.Fatalf("no violation reported for a snapshot the service could not restore: %v", err)
	}
	mu.Lock()
	v := violations[0]
	mu.Unlock()
	if v.Checker != "service" || len(v.Peers) != 1 || v.Peers[0] != f || !strings.Contains(v.Message, "cannot restore") {
		t.Errorf("violation = %+v, want checker service, peer %d, the service's error", v, f)
	}
	if err := c.Do(chaos.Fault{Kind: chaos.Crash, Peers: []int{f}}); err != nil {
		t.Fatal(err)
	}
	err = c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{f}})
	if err == nil || !strings.Contains(err.Error(), "restore snapshot") {
		t.Errorf("restart with a snapshot the service cannot restore = %v, want a restore error", err)
	}
	if got := c.Peers()[f].State; got != chaos.Crashed {
		t.Errorf("peer %d after a failed restart is %v, want crashed", f, got)
	}
}

// The commit rate of a 5-peer live cluster, with proposals pipelined (up to 256 in
// flight) as a busy client would send them.
func BenchmarkCommitPipelined(b *testing.B) {
	benchmarkCommit(b, 256)
}

// The commit rate with one proposal at a time: each waits for the previous to commit.
func BenchmarkCommitSequential(b *testing.B) {
	benchmarkCommit(b, 1)
}

func benchmarkCommit(b *testing.B, window int) {
	c, err := New(chaos.ClusterConfig{Peers: 5, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	if ok, _ := c.RunUntil(ctx, 5*time.Second, func() bool { return chaos.LeaderOf(c.Peers()) != raft.None }); !ok {
		b.Fatal("no leader")
	}
	base := c.Peers()[chaos.LeaderOf(c.Peers())].CommitIndex
	committed := func() int { // the commit index every peer has reached
		m := math.MaxInt
		for _, p := range c.Peers() {
			m = min(m, p.CommitIndex)
		}
		return m - base
	}
	b.ResetTimer()
	proposed := 0
	ok, err := c.RunUntil(ctx, time.Minute, func() bool {
		done := committed()
		for proposed < b.N && proposed-done < window {
			if !c.Propose(proposed).OK {
				break
			}
			proposed++
		}
		return done >= b.N
	})
	b.StopTimer()
	if !ok || err != nil {
		b.Fatalf("%d of %d proposals committed: %v", committed(), b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
