package runner

import (
	"fmt"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// Unsupported says why sc cannot be run on peers of impl (a Raft other than MiniRaft's,
// which the engine runs with its own settings and its own timers), or returns "" if it
// can: a scenario that turns CheckQuorum on relies on a leader stepping down by itself,
// which a course Raft does not do, and one that skews clocks relies on timers only
// MiniRaft's Raft lets the engine reach (a skew step would be refused, and what the
// scenario expects of it would not happen). PreVote on is no reason: a course Raft may
// well have it, and one without it is what the scenario then tests. A nil impl supports
// everything.
func Unsupported(sc *scenario.Scenario, impl *course.Impl) string {
	if impl == nil {
		return ""
	}
	if sc.Header.CheckQuorum {
		return fmt.Sprintf("it turns CheckQuorum on, a setting %s does not take", impl.Name)
	}
	for _, st := range sc.Steps {
		if c, ok := st.Cmd.(scenario.FaultCmd); ok && c.Kind == chaos.Skew {
			return fmt.Sprintf("it skews clocks (line %d), which cannot reach the timers of %s", st.Pos.Line, impl.Name)
		}
	}
	return ""
}
