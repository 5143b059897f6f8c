package live

import (
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/enginetest"
)

// TestConformanceOpaque runs the conformance suite on peers the engine watches from
// outside (course.Opaque: MiniRaft's raft.Raft through the course's interface only, as
// a student's Raft is seen): every fault works on them, or (skew) is refused saying why.
func TestConformanceOpaque(t *testing.T) {
	newCluster := func(cfg chaos.ClusterConfig) (chaos.Cluster, error) {
		return NewWith(cfg, Options{Impl: course.Opaque()})
	}
	enginetest.RunSampled(t, newCluster, testing.Short())
}
