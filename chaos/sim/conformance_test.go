package sim

import (
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/enginetest"
)

// TestConformance runs the engine-agnostic conformance suite against the sim engine.
func TestConformance(t *testing.T) {
	enginetest.Run(t, func(cfg chaos.ClusterConfig) (chaos.Cluster, error) { return New(cfg) })
}
