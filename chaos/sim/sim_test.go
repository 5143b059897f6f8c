package sim

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

func newCluster(t *testing.T, n int) *Cluster {
	t.Helper()
	c, err := New(chaos.ClusterConfig{Peers: n, Seed: 3, NewService: func(int) chaos.Service { return chaos.NewDigest(5) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Duplicated replies reach the Raft core twice: every call that returns is replied
// twice, each copy stepped into the caller's node, and the cluster commits regardless.
func TestReplyDuplicates(t *testing.T) {
	c := newCluster(t, 3)
	var mu sync.Mutex
	replied := map[uint64]int{}
	dups := 0
	cancel := c.Events().Observe(func(e chaos.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e.Net.Kind == chaos.NetReplied:
			replied[e.Net.ID]++
		case e.Net.Kind == chaos.NetDuplicated && e.Net.Reason == "reply":
			dups++
		}
	}, chaos.EventNet)
	defer cancel()
	if err := c.Do(chaos.Fault{Kind: chaos.Duplicate, P: 1, Replies: true}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		c.Propose("x")
		if err := c.RunFor(t.Context(), 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	twice := 0
	for _, n := range replied {
		if n == 2 {
			twice++
		}
	}
	if dups == 0 || twice < dups*9/10 {
		t.Errorf("%d replies duplicated, %d calls replied twice (of %d): want nearly all", dups, twice, len(replied))
	}
	commit := 0
	for _, p := range c.Peers() {
		commit = max(commit, p.CommitIndex)
	}
	if commit < 10 {
		t.Errorf("commit index %d after 20 proposals with every reply doubled", commit)
	}
}

// A torn save crashes its peer inside the save: nothing of that Ready goes out, and a
// crash fault says why.
func TestTornSaveCrashes(t *testing.T) {
	c := newCluster(t, 3)
	if err := c.RunFor(t.Context(), time.Second); err != nil {
		t.Fatal(err)
	}
	var faults []string
	cancel := c.Events().Observe(func(e chaos.Event) { faults = append(faults, e.Text) }, chaos.EventFault)
	defer cancel()
	if err := c.Do(chaos.Fault{Kind: chaos.Tear, Peers: []int{0}}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	p := c.peers[0]
	state := p.disk.ReadRaftState()
	p.disk.SaveRaftState(state)            // the state alone...
	p.disk.Save(state, []byte("snapshot")) // ...then the snapshot: torn
	crashed := p.node == nil
	c.mu.Unlock()
	if !crashed || c.Peers()[0].State != chaos.Crashed {
		t.Fatalf("peer 0 is %v after a torn save", c.Peers()[0].State)
	}
	if len(faults) != 2 || !strings.HasPrefix(faults[1], "crash 0") || !strings.Contains(faults[1], "torn") {
		t.Errorf("faults published %q, want the tear, then a crash of peer 0 saying it was torn", faults)
	}
	if got := string(p.disk.ReadSnapshot()); got == "snapshot" {
		t.Error("the torn write reached the disk")
	}
	// The next life's disk is no longer armed, and its state is the first write's.
	if err := c.Do(chaos.Fault{Kind: chaos.Restart, Peers: []int{0}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RunFor(t.Context(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := c.Peers()[0].State; st != chaos.Up {
		t.Errorf("restarted peer 0 is %v", st)
	}
}
