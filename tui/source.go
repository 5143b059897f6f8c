package tui

import (
	"time"

	runmodel "github.com/miniraft/miniraft/chaos/model"
)

// Snapshot is a cluster at one moment, as the views show it: the run model's View. A
// Source makes a new one each time it is asked and never changes it afterwards, so a
// Snapshot may be shared between goroutines freely.
type Snapshot = runmodel.View

// Caps says which controls a Source supports, so that keys it cannot honour are shown
// as unavailable instead of failing.
type Caps = runmodel.Caps

// Stepper is implemented by a Source that plays back a recording (Caps.Replay). The
// replay keys call it from the UI goroutine; each call pauses the replay, returns at
// once, and returns a message for the person saying where it stopped.
type Stepper interface {
	// Step moves n events forward (n < 0: back).
	Step(n int) string
	// Seek moves to a time of the recording.
	Seek(at time.Duration) (string, error)
	// Jump moves to the next event (forward) or the previous one that is a violation,
	// or, with violations false, a fault, a new leader or a violation.
	Jump(violations, forward bool) (string, error)
}

// Source is where the views' data comes from and where their commands go: a running
// scenario (runner.Source) or a recorded one played back (replay.Source), both reading
// the run model. The App's model goroutine calls View, Wake and Drain; key handlers call
// the control methods from the UI goroutine, so none of them may block for long.
// Implementations must be safe for concurrent use.
type Source interface {
	// View returns the state now.
	View() runmodel.View
	// Wake returns a channel that receives when Drain may have new events.
	Wake() <-chan struct{}
	// Drain returns the events that arrived since the last call, oldest first, as the
	// run model saw them. reset means the events before them no longer apply (a replay
	// seeked backwards) and the views should forget them.
	Drain() (events []runmodel.Seen, reset bool)
	// Caps says which controls work.
	Caps() Caps
	// Exec carries out one command of the scenario language, as typed at the command
	// bar. It returns at once: a parse error (a *scenario.Error, with the column), or
	// nil when the command was queued; what it did shows in the event stream.
	Exec(line string) error
	// Pause freezes the cluster (or the replay); Resume continues it.
	Pause()
	Resume()
	// SetSpeed sets the pace in cluster seconds per real second.
	SetSpeed(x float64) error
}
