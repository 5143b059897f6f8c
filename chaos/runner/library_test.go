package runner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/scripts"
)

// The scenario library (scripts/) must pass on a correct Raft: on the sim engine for
// any seed, and on the live engine, goroutines, real time, race detector and all.

// librarySimSeeds is how many seeds TestLibrarySim runs each scenario with.
const librarySimSeeds = 5

// libraryChecks check what a scenario's file cannot say itself but its result must
// show, by scenario name. Each returns what is wrong, or "".
var libraryChecks = map[string]func(*Result) string{
	// The language has no condition on snapshots: make sure the scenarios that exist to
	// exercise InstallSnapshot still do.
	"snapshot-catch-up": needInstalls,
	"duplication":       needInstalls,
}

func needInstalls(res *Result) string {
	if res.Checks.Installs == 0 {
		return fmt.Sprintf("no peer installed a snapshot (%d taken): the scenario no longer makes a leader send InstallSnapshot", res.Checks.Snapshots)
	}
	return ""
}

// runLibrary runs the library scenario name on engine with seed and reports a failure
// with the run's summary, which names the scenario, the seed and the first violation,
// and the command that repeats it.
func runLibrary(t *testing.T, name, engine string, seed int64) *Result {
	t.Helper()
	res := runScenario(t, parseScenario(t, name, ""), Options{Engine: engine, Seed: seed})
	var summary strings.Builder
	res.WriteSummary(&summary)
	rerun := fmt.Sprintf("repeat with: miniraft run --engine %s --seed %d %s", engine, res.Seed, name)
	if !res.Pass {
		t.Errorf("%s\n%s", summary.String(), rerun)
		return res
	}
	if check := libraryChecks[name]; check != nil {
		if msg := check(res); msg != "" {
			t.Errorf("%s (engine %s, seed %d): %s\n%s", name, engine, res.Seed, msg, summary.String())
		}
	}
	return res
}

// TestLibrarySim runs every scenario of the library on the sim engine with several
// seeds: each seed is a different run, deterministic, so a failure here repeats.
func TestLibrarySim(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	names := scripts.Names()
	if len(names) < 20 {
		t.Fatalf("the library has %d scenarios, want at least 20: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := int64(1); seed <= librarySimSeeds; seed++ {
				runLibrary(t, name, "sim", seed)
			}
		})
	}
}

// TestLibraryKV runs every scenario of the library with its workload turned into the
// kv workload (scenario.AsKV, miniraft run --kv): clients of a key-value service whose
// history must be linearizable, through every scenario's faults, on the sim engine.
func TestLibraryKV(t *testing.T) {
	for _, name := range scripts.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := int64(1); seed <= 2; seed++ {
				sc := parseScenario(t, name, "")
				converted := sc.AsKV()
				res := runScenario(t, sc, Options{Engine: "sim", Seed: seed})
				var summary strings.Builder
				res.WriteSummary(&summary)
				if !res.Pass {
					t.Errorf("%s\nrepeat with: miniraft run --kv --seed %d %s", summary.String(), res.Seed, name)
					continue
				}
				if converted == 0 && !strings.HasPrefix(name, "kv-") {
					continue // no workload to convert
				}
				switch {
				case res.KV == nil:
					t.Errorf("seed %d: %d workloads made kv, but the result has no kv history", seed, converted)
				case res.KV.Stats.OK == 0:
					t.Errorf("seed %d: no kv operation was answered:\n%s", seed, summary.String())
				case res.KV.Check.Outcome != kv.Linearizable:
					t.Errorf("seed %d: linearizability %q, want %q:\n%s", seed, res.KV.Check.Outcome, kv.Linearizable, summary.String())
				}
			}
		})
	}
}

// liveLanes is how many scenarios TestLibraryLive runs at once. A live cluster of five
// peers mostly waits on its timers (the whole library takes about 15 s of CPU under the
// race detector for 230 s of real time), so two at a time halve the test's time and
// leave the timeouts their margins, even on two busy cores.
const liveLanes = 2

// TestLibraryLive runs every scenario of the library on the live engine: raft.Raft
// peers over labrpc in real time, as a course implementation runs. It takes real time,
// about half the sum of the scenarios' cluster times (two minutes), so -short skips it.
func TestLibraryLive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the live library takes minutes of real time")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// The longest first, so that the lanes finish together.
	type entry struct {
		name  string
		bound time.Duration
	}
	var list []entry
	for _, name := range scripts.Names() {
		list = append(list, entry{name, parseScenario(t, name, "").Bound()})
	}
	slices.SortStableFunc(list, func(a, b entry) int { return cmp.Compare(b.bound, a.bound) })

	names := make(chan string)
	var wg sync.WaitGroup
	for range liveLanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				t.Run(name, func(t *testing.T) {
					res := runLibrary(t, name, "live", 1)
					t.Logf("%s: %.1fs of cluster time in %.1fs, %d elections, %d committed",
						name, res.Duration.Seconds(), res.Wall.Seconds(), res.Checks.Elections, res.Workload.Committed)
				})
			}
		}()
	}
	for _, e := range list {
		names <- e.name
	}
	close(names)
	wg.Wait()
}
