package runner

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/chaos/model"
)

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadRun runs a 5-peer cluster on engine for d of cluster time with a workload of 200
// proposals a second, with or without the checkers watching, and returns the CPU time
// it took.
func loadRun(tb testing.TB, engine string, checks bool, d time.Duration) time.Duration {
	tb.Helper()
	wl := NewWorkload()
	cfg := chaos.ClusterConfig{Peers: 5, Seed: 1}
	m := model.New(model.Info{Peers: 5})
	var modelMu sync.Mutex
	cfg.Sinks = append(cfg.Sinks, chaos.Sink{
		Fn:    func(e chaos.Event) { modelMu.Lock(); m.Apply(e); modelMu.Unlock() },
		Kinds: []chaos.EventKind{chaos.EventRaft, chaos.EventPropose},
	})
	var suite *check.Suite
	var mu sync.Mutex
	if checks {
		var err error
		if suite, err = check.New(cfg.Peers, check.Options{}); err != nil {
			tb.Fatal(err)
		}
		cfg.Sinks = append(cfg.Sinks, chaos.Sink{
			Fn:    func(e chaos.Event) { mu.Lock(); suite.Observe(e); mu.Unlock() },
			Kinds: check.EventKinds(),
		})
	}
	c, err := NewCluster(engine, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	start := cpuTime(tb)
	for c.Now() < d {
		if err := c.RunFor(ctx, 5*time.Millisecond); err != nil {
			tb.Fatal(err)
		}
		wl.Propose(c)
		if checks {
			mu.Lock()
			suite.Advance(c.Now())
			mu.Unlock()
		}
	}
	used := cpuTime(tb) - start
	if checks {
		mu.Lock()
		v := suite.First()
		mu.Unlock()
		if v != nil {
			tb.Fatalf("violation on a healthy cluster: %v", v)
		}
	}
	modelMu.Lock()
	committed := m.Committed()
	modelMu.Unlock()
	if committed < int(d/(10*time.Millisecond)) {
		tb.Fatalf("only %d commits in %v", committed, d)
	}
	return used
}

// BenchmarkCheckerOverhead measures what the checkers add to the CPU time of a 5-peer
// run at 200 proposals a second: the median over alternating runs with and without them,
// as a percentage (checks-cpu-%). On the sim engine the run is all CPU; on the live
// engine it is real time, and CPU is what the process used meanwhile.
func BenchmarkCheckerOverhead(b *testing.B) {
	for _, tc := range []struct {
		engine string
		d      time.Duration
	}{{"sim", 60 * time.Second}, {"live", 3 * time.Second}} {
		b.Run("engine="+tc.engine, func(b *testing.B) {
			var ratios []float64
			for range b.N {
				without := loadRun(b, tc.engine, false, tc.d)
				with := loadRun(b, tc.engine, true, tc.d)
				ratios = append(ratios, (with.Seconds()-without.Seconds())/without.Seconds()*100)
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "checks-cpu-%")
		})
	}
}
