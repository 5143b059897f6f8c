package live

import (
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/enginetest"
)

// TestConformance runs the engine-agnostic conformance suite against the live engine:
// all of it, in real time, or with -short only its smoke cases (the sim engine runs all
// of it in virtual time in the short suite too).
func TestConformance(t *testing.T) {
	newCluster := func(cfg chaos.ClusterConfig) (chaos.Cluster, error) { return New(cfg) }
	if testing.Short() {
		enginetest.RunSmoke(t, newCluster)
		return
	}
	enginetest.Run(t, newCluster)
}
