//go:build bugs

package live

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugStateSnapshotTwoSteps: a raft.Raft that saves a snapshot's state and the snapshot in two
// writes (the state-snapshot-two-steps bug) is crashed between them by an armed tear, and cannot
// restart: its log is compacted past a snapshot that never reached its disk. Without
// the bug, the same run crashes nobody (the conformance suite's Tear case).
func TestBugStateSnapshotTwoSteps(t *testing.T) {
	if err := bugs.Set(bugs.StateSnapshotTwoSteps); err != nil {
		t.Fatal(err)
	}
	defer bugs.Set()
	c := start(t, chaos.ClusterConfig{Peers: 3, Seed: 7, NewService: func(int) chaos.Service { return chaos.NewDigest(5) }})
	var mu sync.Mutex
	var torn []chaos.Fault
	var violations []string
	cancel := c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e.Kind == chaos.EventFault && e.Fault.Kind == chaos.Crash && strings.Contains(e.Text, "torn"):
			torn = append(torn, *e.Fault)
		case e.Kind == chaos.EventViolation:
			violations = append(violations, e.Violation.Message)
		}
	}, chaos.EventFault, chaos.EventViolation)
	defer cancel()
	waitLeader(t, c)
	if err := c.Do(chaos.Fault{Kind: chaos.Tear, Peers: []int{0, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	ok, err := c.RunUntil(t.Context(), 10*time.Second, func() bool {
		c.Propose("x")
		mu.Lock()
		defer mu.Unlock()
		return len(torn) > 0
	})
	if !ok || err != nil {
		t.Fatalf("no save torn within 10s of proposals with snapshots every 5 commands: %v", err)
	}
	mu.Lock()
	victim := torn[0].Peers[0]
	mu.Unlock()
	if p := c.Peers()[victim]; p.State != chaos.Crashed {
		t.Fatalf("peer %d, whose save was torn, is %v", victim, p.State)
	}
	err = c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{victim}})
	if err == nil || !strings.Contains(err.Error(), "cannot restart") {
		t.Fatalf("restarting peer %d after a torn save: %v, want it to fail", victim, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(violations) == 0 || !strings.Contains(violations[0], "cannot restart") {
		t.Errorf("violations %q, want one saying peer %d cannot restart", violations, victim)
	}
}
