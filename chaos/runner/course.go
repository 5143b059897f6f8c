package runner

import (
	"fmt"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// Unsupported says why sc may not be fit to run on peers of impl (a Raft other than
// MiniRaft's, which the engine runs with its own settings and its own timers), or
// returns "" if it is: a scenario that turns PreVote or CheckQuorum on tests a feature
// the Raft may not have (the engine cannot turn it on), and one that skews clocks relies
// on timers only MiniRaft's Raft lets the engine reach (its skew steps would be refused,
// and what it expects of them would not happen), and one that fires faults on events
// other than leader, stepdown, term and boot waits for what cannot be seen from outside
// the Raft. miniraft run all skips such scenarios; named one by one, they run anyway. A
// nil impl supports everything.
func Unsupported(sc *scenario.Scenario, impl *course.Impl) string {
	if impl == nil {
		return ""
	}
	switch {
	case sc.Header.PreVote:
		return fmt.Sprintf("it turns PreVote on, which %s has or not by itself", impl.Name)
	case sc.Header.CheckQuorum:
		return fmt.Sprintf("it turns CheckQuorum on, which %s has or not by itself", impl.Name)
	}
	for _, st := range sc.Steps {
		switch c := st.Cmd.(type) {
		case scenario.FaultCmd:
			if c.Kind == chaos.Skew {
				return fmt.Sprintf("it skews clocks (line %d), which cannot reach the timers of %s", st.Pos.Line, impl.Name)
			}
		case scenario.OnCmd:
			if !sampledTriggers[c.Event] {
				return fmt.Sprintf("it waits for %s events (line %d), which cannot be seen from outside %s", c.Event, st.Pos.Line, impl.Name)
			}
		}
	}
	return ""
}

// sampledTriggers are the on events a peer watched from outside shows (its boots,
// terms and leadership, see chaos.Event.Sampled).
var sampledTriggers = map[scenario.TriggerKind]bool{
	scenario.OnLeader: true, scenario.OnStepDown: true, scenario.OnTerm: true, scenario.OnBoot: true,
}
