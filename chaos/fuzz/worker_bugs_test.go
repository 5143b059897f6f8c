//go:build bugs

package fuzz

import (
	"slices"
	"testing"

	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugWorkersGetTheBugs checks that the live engine's worker processes, this program
// started again, are told to switch on the bugs switched on here, and only then.
func TestBugWorkersGetTheBugs(t *testing.T) {
	defer bugs.Set()
	tests := []struct {
		on   []string
		want []string
	}{
		{nil, []string{"A=1"}},
		{[]string{bugs.SecondApplier}, []string{"A=1", bugs.EnvVar + "=" + bugs.SecondApplier}},
		{[]string{bugs.Figure8, bugs.LockAcrossCall}, []string{"A=1", bugs.EnvVar + "=" + bugs.Figure8 + "," + bugs.LockAcrossCall}},
	}
	for _, tt := range tests {
		if err := bugs.Set(tt.on...); err != nil {
			t.Fatal(err)
		}
		e := Engine{Live: true}
		e.Worker.Env = []string{"A=1"}
		if got := e.workerOptions().Env; !slices.Equal(got, tt.want) {
			t.Errorf("bugs %v: worker env %q, want %q", tt.on, got, tt.want)
		}
		if len(e.Worker.Env) != 1 {
			t.Errorf("bugs %v: the engine's own options changed: %q", tt.on, e.Worker.Env)
		}
	}
}
