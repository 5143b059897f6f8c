package runner

import (
	"sync/atomic"

	"github.com/miniraft/miniraft/chaos"
)

// Workload is a client that proposes unique commands, the integers 1, 2, 3..., each
// published as an EventPropose; the run model follows each to its fate. Safe for
// concurrent use.
type Workload struct {
	next atomic.Int64
}

// NewWorkload returns a workload with nothing proposed.
func NewWorkload() *Workload { return &Workload{} }

// Propose hands the next command to c's leader and publishes an EventPropose. It
// returns what the cluster said.
func (w *Workload) Propose(c chaos.Cluster) chaos.ProposeResult {
	cmd := int(w.next.Add(1))
	r := c.Propose(cmd)
	c.Events().Publish(chaos.Event{Kind: chaos.EventPropose, Peer: r.Peer, Propose: &chaos.Proposal{Command: cmd, ProposeResult: r}})
	return r
}
