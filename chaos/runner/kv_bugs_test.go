//go:build bugs

package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/internal/bugs"
	"github.com/miniraft/miniraft/scripts"
)

// runStaleRead runs the kv-stale-read library scenario on the sim engine and returns
// its result and the peer it isolated.
func runStaleRead(t *testing.T, seed int64) (*Result, int) {
	t.Helper()
	src, err := scripts.Read("kv-stale-read")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse("kv-stale-read.chaos", src)
	if err != nil {
		t.Fatal(err)
	}
	isolated := -1
	r, err := New(sc, Options{Engine: "sim", Seed: seed, Observers: []func(chaos.Event){func(e chaos.Event) {
		if e.Kind == chaos.EventFault && e.Fault.Kind == chaos.Isolate {
			isolated = e.Fault.Peers[0]
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, isolated
}

// TestBugStaleReadIsCaught shows the linearizability check bites: with the stale-read
// bug, kv-stale-read fails, naming the isolated leader that answered from its own state;
// without it, the same scenario passes.
func TestBugStaleReadIsCaught(t *testing.T) {
	if err := bugs.Set(bugs.StaleRead); err != nil {
		t.Fatal(err)
	}
	defer bugs.Set()
	for seed := int64(1); seed <= 5; seed++ {
		res, isolated := runStaleRead(t, seed)
		f := res.Failure
		if res.Pass || f == nil || f.Checker != "linearizability" {
			t.Fatalf("seed %d with the stale-read bug: pass %v, failure %v; want a linearizability violation", seed, res.Pass, f)
		}
		if !slices.Equal(f.Peers, []int{isolated}) || !strings.Contains(f.Message, "from its local state") {
			t.Errorf("seed %d: violation %v names peers %v; want the isolated leader %d, answering from its local state", seed, f, f.Peers, isolated)
		}
		kv := res.KV
		if kv == nil || kv.Stats.LocalReads == 0 || kv.Check.Culprit == nil || kv.Check.Culprit.Peer != isolated {
			t.Fatalf("seed %d: kv result %+v; want local reads and a culprit answered by peer %d", seed, kv, isolated)
		}
		var b strings.Builder
		if err := kv.WriteVisualization(&b); err != nil || !strings.Contains(b.String(), "from its local state") {
			t.Errorf("seed %d: visualization: %v (%d bytes); want porcupine's page naming the local read", seed, err, b.Len())
		}
	}

	bugs.Set()
	if res, _ := runStaleRead(t, 1); !res.Pass {
		t.Errorf("without the bug, kv-stale-read failed: %v", res.Failure)
	}
}
