package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/sim"
)

// benchScenario is the speed goal's workload: 5 peers, 100 proposals a second, a fault
// every second (a crash, a restart, a partition, a heal, round and round).
const benchScenario = `# 5 peers, 100 proposals a second, a fault every second.
peers 5
workload rate=100
duration 60s
liveness off

every 4s from 1s crash random
every 4s from 2s restart crashed
every 4s from 3s partition minority | others
every 4s from 4s heal
`

// BenchmarkRunner measures what fuzzing pays per run: the scenario above through the
// runner, with every checker and the workload attached, and no trace. vs/s is virtual
// seconds per wall second. Run it on one core for the goal's figure:
//
//	GOMAXPROCS=1 go test -run '^$' -bench Runner -benchtime 20x -count 5 ./chaos/sim/
func BenchmarkRunner(b *testing.B) {
	sc, err := scenario.Parse("bench.chaos", []byte(benchScenario))
	if err != nil {
		b.Fatal(err)
	}
	var virtual time.Duration
	var events uint64
	for i := 0; b.Loop(); i++ {
		r, err := runner.New(sc, runner.Options{Seed: int64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		res, err := r.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if !res.Pass {
			b.Fatalf("seed %d: %v", i+1, res.Failure)
		}
		virtual += res.Duration
		events += r.Cluster().Events().Seq()
	}
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "vs/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCluster measures the engine alone, without checkers or runner: 5 peers, a
// proposal every 10ms, and every second a crash and a restart of a follower. Nobody
// listens to the bus, so only the Raft work and the simulated network are paid for.
func BenchmarkCluster(b *testing.B) {
	ctx := context.Background()
	var virtual time.Duration
	for i := 0; b.Loop(); i++ {
		c, err := sim.New(chaos.ClusterConfig{Peers: 5, Seed: int64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		crashed := -1
		for ms := 0; ms < 60_000; ms += 10 {
			if ms%1000 == 0 {
				f := chaos.Fault{Kind: chaos.Restart, Peers: []int{crashed}}
				if crashed < 0 {
					crashed = (chaos.LeaderOf(c.Peers()) + 1 + ms/1000%4) % 5
					f = chaos.Fault{Kind: chaos.Crash, Peers: []int{crashed}}
				} else {
					crashed = -1
				}
				if err := c.Do(f); err != nil {
					b.Fatal(err)
				}
			}
			c.Propose(ms)
			if err := c.RunFor(ctx, 10*time.Millisecond); err != nil {
				b.Fatal(err)
			}
		}
		virtual += c.Now()
		c.Stop()
	}
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "vs/s")
}
