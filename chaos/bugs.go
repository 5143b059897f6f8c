package chaos

import "github.com/miniraft/miniraft/internal/bugs"

// ActiveBugs returns the deliberate bugs switched on (see internal/bugs), in the order
// of bugs.Known: none but in a build with the tag bugs. A run's configuration records
// them, since a repro needs them.
func ActiveBugs() []string {
	var on []string
	for _, b := range bugs.Known {
		if bugs.On(b) {
			on = append(on, b)
		}
	}
	return on
}
