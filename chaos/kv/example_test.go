package kv_test

import (
	"context"
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/sim"
)

// A kv workload on a simulated cluster, driven as the runner drives it, then checked.
func Example() {
	w := kv.New(kv.Config{Peers: 5, Seed: 1})
	c, err := sim.New(chaos.ClusterConfig{Peers: 5, Seed: 1, NewService: w.NewService})
	if err != nil {
		panic(err)
	}
	defer c.Stop()
	w.Start(c)
	if err := w.Set(kv.Params{Clients: 5, Keys: 3, Rate: 100, Reads: 0.5, Timeout: 5 * time.Second}); err != nil {
		panic(err)
	}
	for c.Now() < 10*time.Second {
		now := c.Now()
		if _, err := c.RunUntil(context.Background(), min(10*time.Millisecond, max(w.Next()-now, 0)), w.Woken); err != nil {
			panic(err)
		}
		w.Step()
	}
	res := w.Finish(c.Now(), 0)
	fmt.Println(res.Check.Outcome, res.Stats.OK > 900)
	// Output: linearizable true
}
