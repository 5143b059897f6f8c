package scenario

import (
	"fmt"
	"strings"

	"github.com/miniraft/miniraft/chaos"
)

// String renders the scenario in the language; see Format.
func (s *Scenario) String() string { return Format(s) }

// Format renders s in the language: the description as # comments, the header lines
// that differ from the defaults (peers always), and one line per step. Comments other
// than the description and the original layout are not kept, but Parse(Format(s)) gives
// back s's Description, Header and Steps (positions aside) for any s that Parse
// returned. For a scenario built in code, Validate first: Format renders only the
// fields each command uses.
func Format(s *Scenario) string {
	var b strings.Builder
	if s.Description != "" {
		for _, line := range strings.Split(s.Description, "\n") {
			if line == "" {
				b.WriteString("#\n")
			} else {
				b.WriteString("# " + line + "\n")
			}
		}
		b.WriteString("\n")
	}
	h := &s.Header
	fmt.Fprintf(&b, "peers %d\n", h.Peers)
	if h.HasSeed {
		fmt.Fprintf(&b, "seed %d\n", h.Seed)
	}
	if h.PreVote {
		b.WriteString("prevote on\n")
	}
	if h.CheckQuorum {
		b.WriteString("checkquorum on\n")
	}
	if t := h.Timing.String(); t != "" {
		b.WriteString("timing " + t + "\n")
	}
	if h.Workload != nil {
		b.WriteString("workload " + h.Workload.String() + "\n")
	}
	if h.Duration > 0 {
		b.WriteString("duration " + fmtDur(h.Duration) + "\n")
	}
	if l := h.Liveness; l.Off {
		b.WriteString("liveness off\n")
	} else if l.Leader != DefaultLiveness || l.Commit != DefaultLiveness {
		b.WriteString("liveness leader=" + fmtDur(l.Leader) + " commit=" + fmtDur(l.Commit) + "\n")
	}
	switch h.SnapshotEvery {
	case chaos.DefaultSnapshotEvery:
	case 0:
		b.WriteString("snapshot off\n")
	default:
		fmt.Fprintf(&b, "snapshot every=%d\n", h.SnapshotEvery)
	}
	if len(s.Steps) > 0 {
		b.WriteString("\n")
	}
	for _, st := range s.Steps {
		b.WriteString(st.String() + "\n")
	}
	return b.String()
}

// String renders the timing's settings as key=value words, or "" if all are defaults.
func (tm Timing) String() string {
	var w []string
	if tm.Tick > 0 {
		w = append(w, "tick="+fmtDur(tm.Tick))
	}
	if tm.Heartbeat > 0 {
		w = append(w, "heartbeat="+fmtDur(tm.Heartbeat))
	}
	if tm.ElectionMin > 0 || tm.ElectionMax > 0 {
		e := "election=" + fmtDur(tm.ElectionMin)
		if tm.ElectionMax != tm.ElectionMin {
			e += "-" + fmtDur(tm.ElectionMax)
		}
		w = append(w, e)
	}
	return strings.Join(w, " ")
}
