package runner

import (
	"fmt"
	"testing"
)

// A proposal counts as committed however the engine orders its events: on the sim
// engine a single peer commits and applies a proposal before the proposal's own event
// says which index it got. Every cluster size, on both engines.
func TestProposalsCommitOnEveryClusterSize(t *testing.T) {
	for _, engine := range Engines {
		for peers := 1; peers <= 7; peers++ {
			t.Run(fmt.Sprintf("%s/%d", engine, peers), func(t *testing.T) {
				if engine == "live" && testing.Short() {
					t.Skip("runs in real time")
				}
				src := fmt.Sprintf("peers %d\nworkload rate=10\nwait leader within 5s\nsleep 2s\nexpect commits >= 10\n", peers)
				res := runScenario(t, parseScenario(t, "commits", src), Options{Engine: engine, Seed: 1})
				if !res.Pass {
					t.Fatalf("%s, %d peers: %v (proposals %+v)", engine, peers, res.Failure, res.Workload)
				}
				if w := res.Workload; w.Committed < 10 || w.Committed+w.Lost+w.InFlight != w.Proposed || w.InFlight > 2 {
					t.Errorf("%s, %d peers: proposals %+v: want at least 10 committed and at most the last two in flight", engine, peers, w)
				}
			})
		}
	}
}
