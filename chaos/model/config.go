package model

import (
	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// ApplyOverrides changes sc's header as o says: its peers, its Raft options, and its
// basic workloads made kv workloads. The runner applies a run's overrides with it, and a
// reader of the run's trace applies the header's overrides to the scenario's text with it,
// so both see the scenario that ran.
func ApplyOverrides(sc *scenario.Scenario, o chaos.Overrides) {
	if o.Peers > 0 {
		sc.Header.Peers = o.Peers
	}
	if o.PreVote != nil {
		sc.Header.PreVote = *o.PreVote
	}
	if o.CheckQuorum != nil {
		sc.Header.CheckQuorum = *o.CheckQuorum
	}
	if o.KV {
		sc.AsKV()
	}
}
