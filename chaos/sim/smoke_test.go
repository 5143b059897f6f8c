package sim

import (
	"context"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

func TestSmoke(t *testing.T) {
	c, err := New(chaos.ClusterConfig{Peers: 5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	c.Events().Observe(func(e chaos.Event) { n++ })
	ctx := context.Background()
	ok, err := c.RunUntil(ctx, 5*time.Second, func() bool { return chaos.LeaderOf(c.Peers()) >= 0 })
	if !ok || err != nil {
		t.Fatalf("no leader: %v", err)
	}
	t.Logf("leader %d at %v", chaos.LeaderOf(c.Peers()), c.Now())
	for i := 0; i < 500; i++ {
		r := c.Propose(i)
		if !r.OK {
			t.Fatalf("propose %d failed", i)
		}
		c.RunFor(ctx, 10*time.Millisecond)
	}
	c.RunFor(ctx, time.Second)
	for _, p := range c.Peers() {
		t.Logf("peer %d %v term %d commit %d applied %d snap %d last %d", p.ID, p.Role, p.Term, p.CommitIndex, p.LastApplied, p.SnapshotIndex, p.LastIndex)
	}
	t.Logf("events %d stats %+v", n, c.Stats())
}
