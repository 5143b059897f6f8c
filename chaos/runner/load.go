package runner

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

// Load reads and parses a scenario: arg is a file (anything that exists, contains a
// slash or ends in .chaos) or the name of a built-in scenario. Parse errors come back
// as they are (a scenario.ErrorList naming file:line:col); an unknown name's error
// suggests the closest built-in one.
func Load(arg string) (*scenario.Scenario, error) {
	if _, err := os.Stat(arg); err == nil || strings.ContainsRune(arg, '/') || strings.HasSuffix(arg, scripts.Ext) {
		src, err := os.ReadFile(arg)
		if err != nil {
			return nil, err
		}
		return scenario.Parse(arg, src)
	}
	src, err := scripts.Read(arg)
	if err != nil {
		hint := ""
		if best := scenario.Suggest(arg, scripts.Names()); best != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", best)
		}
		return nil, fmt.Errorf("no scenario file or built-in scenario %q%s (built-in: %s)", arg, hint, strings.Join(scripts.Names(), ", "))
	}
	return scenario.Parse(arg+scripts.Ext, src)
}

// Run runs sc as opts say and returns the result: New, then (*Runner).Run. It is the
// way to run a scenario from a Go test:
//
//	sc, err := runner.Load("leader-crash")
//	res, err := runner.Run(ctx, sc, runner.Options{Engine: "sim", Seed: 1})
//	if !res.Pass { t.Fatal(res.Failure) }
func Run(ctx context.Context, sc *scenario.Scenario, opts Options) (*Result, error) {
	r, err := New(sc, opts)
	if err != nil {
		return nil, err
	}
	return r.Run(ctx)
}
