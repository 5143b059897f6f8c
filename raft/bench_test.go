package raft

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/labrpc"
)

// benchCluster is a cluster on a reliable labrpc network whose services snapshot every
// benchSnapshotEvery entries, as a real service would, so the log stays small.
type benchCluster struct {
	net      *labrpc.Network
	rafts    []*Raft
	services []*benchService
	done     chan struct{}
	wg       sync.WaitGroup
	leader   int // set before the proposers start
}

// benchService is one peer's service, with a lock of its own as on a server of its own.
type benchService struct {
	mu      sync.Mutex
	applied int                     // the last index applied
	waiters map[int][]chan struct{} // index -> proposers waiting for it to be applied
}

const benchSnapshotEvery = 1000

func newBenchCluster(b *testing.B, n int) *benchCluster {
	b.Helper()
	c := &benchCluster{
		net:    labrpc.MakeNetwork(),
		done:   make(chan struct{}),
		leader: None,
	}
	for i := range n {
		ends := make([]*labrpc.ClientEnd, n)
		for j := range n {
			name := fmt.Sprintf("bench-%d-%d", i, j)
			ends[j] = c.net.MakeEnd(name)
			c.net.Connect(name, j)
			c.net.Enable(name, true)
		}
		ch := make(chan ApplyMsg)
		rf, err := MakeWithConfig(ends, i, MakePersister(), ch, Config{Seed: int64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		c.rafts = append(c.rafts, rf)
		c.services = append(c.services, &benchService{waiters: map[int][]chan struct{}{}})
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(rf))
		c.net.AddServer(i, srv)
		c.wg.Add(1)
		go c.apply(i, ch)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.leader == None {
		if time.Now().After(deadline) {
			b.Fatal("no leader within 10s")
		}
		time.Sleep(10 * time.Millisecond) // a benchmark's setup; polling is fine here
		for i, rf := range c.rafts {
			if _, isLeader := rf.GetState(); isLeader {
				c.leader = i
			}
		}
	}
	return c
}

// apply is peer i's service: it records applies, wakes proposers, and snapshots.
func (c *benchCluster) apply(i int, ch chan ApplyMsg) {
	defer c.wg.Done()
	svc := c.services[i]
	for {
		select {
		case <-c.done:
			return
		case m := <-ch:
			if !m.CommandValid {
				continue
			}
			svc.mu.Lock()
			svc.applied = m.CommandIndex
			for _, w := range svc.waiters[m.CommandIndex] {
				close(w)
			}
			delete(svc.waiters, m.CommandIndex)
			svc.mu.Unlock()
			if m.CommandIndex%benchSnapshotEvery == 0 {
				c.rafts[i].Snapshot(m.CommandIndex, []byte(fmt.Sprint(m.CommandIndex)))
			}
		}
	}
}

// propose proposes cmd to the leader and waits until the leader applies it.
func (c *benchCluster) propose(b *testing.B, cmd int) time.Duration {
	start := time.Now()
	idx, _, ok := c.rafts[c.leader].Start(cmd)
	if !ok {
		b.Fatal("leader lost leadership on a reliable network")
	}
	svc := c.services[c.leader]
	w := make(chan struct{})
	svc.mu.Lock()
	if svc.applied >= idx {
		svc.mu.Unlock()
		return time.Since(start)
	}
	svc.waiters[idx] = append(svc.waiters[idx], w)
	svc.mu.Unlock()
	<-w
	return time.Since(start)
}

func (c *benchCluster) stop() {
	for _, rf := range c.rafts {
		rf.Kill()
	}
	close(c.done)
	c.net.Cleanup()
	for _, rf := range c.rafts {
		rf.Wait()
	}
	c.wg.Wait()
}

// BenchmarkCommit measures committed entries per second and commit latency (from Start
// to the leader applying the entry) on a reliable network.
func BenchmarkCommit(b *testing.B) {
	for _, peers := range []int{3, 5} {
		for _, proposers := range []int{1, 64} {
			b.Run(fmt.Sprintf("peers=%d/proposers=%d", peers, proposers), func(b *testing.B) {
				benchCommit(b, peers, proposers)
			})
		}
	}
}

func benchCommit(b *testing.B, peers, proposers int) {
	c := newBenchCluster(b, peers)
	defer c.stop()
	lat := make([][]time.Duration, proposers)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	rpcs0 := c.net.GetTotalCount()
	start := time.Now()
	for p := range proposers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < b.N; i += proposers {
				lat[p] = append(lat[p], c.propose(b, i))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(c.net.GetTotalCount()-rpcs0)/float64(b.N), "rpcs/entry")
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}
