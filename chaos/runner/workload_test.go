package runner

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// TestWorkloadFates follows proposals to their commits and losses, and checks the
// latency quantiles against a plain sort, asked for between commits as the TUI does.
func TestWorkloadFates(t *testing.T) {
	w := NewWorkload()
	rng := rand.New(rand.NewPCG(1, 2))
	var want []time.Duration
	apply := func(index int, cmd interface{}, at time.Duration) {
		w.Observe(chaos.Event{Kind: chaos.EventRaft, At: at, Raft: &raft.Event{
			Kind: raft.EventApply, Index: index, LastIndex: index, Entries: []raft.Entry{{Term: 1, Command: cmd}},
		}})
	}
	for i := 1; i <= 500; i++ {
		w.mu.Lock()
		w.pending[i] = pendingProposal{index: i, at: time.Duration(i) * time.Millisecond}
		w.byIndex[i] = []int{i}
		w.mu.Unlock()
		lat := time.Duration(rng.IntN(1000)) * time.Microsecond
		if i%50 == 0 {
			apply(i, -1, time.Duration(i)*time.Millisecond+lat) // another command took the index
		} else {
			apply(i, i, time.Duration(i)*time.Millisecond+lat)
			want = append(want, lat)
		}
		if i%7 == 0 {
			got := w.Stats()
			sorted := slices.Sorted(slices.Values(want))
			if p50 := sorted[len(sorted)/2]; got.P50 != p50 {
				t.Fatalf("after %d: P50 = %v, want %v", i, got.P50, p50)
			}
		}
	}
	got := w.Stats()
	sorted := slices.Sorted(slices.Values(want))
	if got.Committed != 490 || got.Lost != 10 || got.InFlight != 0 {
		t.Errorf("committed/lost/in flight = %d/%d/%d, want 490/10/0", got.Committed, got.Lost, got.InFlight)
	}
	if p99 := sorted[len(sorted)*99/100]; got.P99 != p99 {
		t.Errorf("P99 = %v, want %v", got.P99, p99)
	}
}
