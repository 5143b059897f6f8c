package fuzz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// failing is a scenario that fails an expectation (checker "expect") at its end, after
// faults that have nothing to do with it.
const failing = `# Everything here is noise except the last line, which cannot hold.
peers 5
seed 3
workload rate=50
duration 20s

wait leader within 5s
at 1s crash leader
at 1.5s loss 30%
at 2s restart crashed
at 2.5s partition minority | others
propose 40
at 3s delay 20ms-200ms
at 3.5s heal
sleep 2s
at 5s skew follower 2x
at 6s reset
expect term >= 1000
at 7s crash random
`

func parse(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.chaos", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestShrinkKeepsOnlyWhatFails(t *testing.T) {
	sc := parse(t, failing)
	o, err := Run(context.Background(), sc, 0, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Checker() != "expect" {
		t.Fatalf("the scenario fails with %q, want expect", o.Checker())
	}
	sh, err := Shrinker{}.Shrink(context.Background(), sc, "expect")
	if err != nil {
		t.Fatal(err)
	}
	got := sh.Scenario
	if len(got.Steps) != 1 || got.Steps[0].Cmd.String() != "expect term >= 1000" {
		t.Errorf("shrunk to %d steps:\n%s\nwant the expect alone", len(got.Steps), got.Source)
	}
	if got.Header.Peers != 1 || got.Header.Workload != nil {
		t.Errorf("shrunk to %d peers and workload %v, want 1 peer and none", got.Header.Peers, got.Header.Workload)
	}
	if sh.StepsBefore != len(sc.Steps) || sh.StepsAfter != 1 || sh.PeersBefore != 5 || sh.PeersAfter != 1 || sh.Runs < 2 {
		t.Errorf("Shrunk figures = %d->%d steps, %d->%d peers, %d runs", sh.StepsBefore, sh.StepsAfter, sh.PeersBefore, sh.PeersAfter, sh.Runs)
	}
	if line := got.Steps[0].Pos.Line; sh.Failure.Checker != "expect" || !strings.Contains(sh.Failure.Message, fmt.Sprintf("line %d:", line)) {
		t.Errorf("shrunk failure is %v, want an expect failure at line %d of\n%s", sh.Failure, line, got.Source)
	}
	// The result is a file that fails the same way when read back.
	again, err := Run(context.Background(), parse(t, got.Source), 0, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Checker() != "expect" {
		t.Errorf("the shrunk file fails with %q, want expect:\n%s", again.Checker(), got.Source)
	}
	if len(parse(t, failing).Steps) != len(sc.Steps) || sc.Source != failing {
		t.Error("Shrink changed its input")
	}
}

func TestShrinkIsDeterministic(t *testing.T) {
	sc := parse(t, failing)
	a, err := Shrinker{}.Shrink(context.Background(), sc, "expect")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Shrinker{}.Shrink(context.Background(), sc, "expect")
	if err != nil {
		t.Fatal(err)
	}
	if a.Scenario.Source != b.Scenario.Source || a.Runs != b.Runs {
		t.Errorf("two shrinks differ (%d and %d runs):\n%s\n%s", a.Runs, b.Runs, a.Scenario.Source, b.Scenario.Source)
	}
}

func TestShrinkRefusesWhatDoesNotFail(t *testing.T) {
	sc := parse(t, "peers 3\nseed 1\nwait leader within 5s\n")
	_, err := Shrinker{}.Shrink(context.Background(), sc, "expect")
	if !errors.Is(err, ErrNoFailure) {
		t.Errorf("Shrink of a passing scenario: %v, want ErrNoFailure", err)
	}
	// Failing another way does not count either.
	_, err = Shrinker{}.Shrink(context.Background(), parse(t, failing), "durability")
	if !errors.Is(err, ErrNoFailure) {
		t.Errorf("Shrink for a checker that does not fail: %v, want ErrNoFailure", err)
	}
}

func TestShrinkStopsAtItsBudget(t *testing.T) {
	sh, err := Shrinker{MaxRuns: 3}.Shrink(context.Background(), parse(t, failing), "expect")
	if err != nil {
		t.Fatal(err)
	}
	if sh.Runs != 3 {
		t.Errorf("made %d runs, want the budget of 3", sh.Runs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Shrinker{}).Shrink(ctx, parse(t, failing), "expect"); !errors.Is(err, context.Canceled) {
		t.Errorf("Shrink with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestSmaller(t *testing.T) {
	at := func(c scenario.Command) scenario.Step { return scenario.Step{Cmd: c} }
	tests := []struct {
		in   scenario.Step
		want string // "" for no smaller step
	}{
		{at(scenario.ProposeCmd{N: 9}), "propose 4"},
		{at(scenario.ProposeCmd{N: 1}), ""},
		{at(scenario.WorkloadCmd{Spec: rateSpec(20)}), "workload rate=10"},
		{at(scenario.WorkloadCmd{Spec: rateSpec(1)}), ""},
		{at(scenario.WorkloadCmd{}), ""},
		{at(scenario.WorkloadCmd{Spec: kvSpec(20, 3)}), "workload kv clients=4 keys=3 rate=10"},
		{at(scenario.OnCmd{Event: scenario.OnVote, Peers: ids(2), Times: 3, Cmd: scenario.FaultCmd{Kind: chaos.Crash, Peers: ids(2)}}), "on vote 2 crash 2"},
		{at(scenario.OnCmd{Event: scenario.OnLeader, Times: 1, Cmd: scenario.FaultCmd{Kind: chaos.Loss, P: 0.2}}), "on leader loss 10%"},
		{at(scenario.OnCmd{Event: scenario.OnLeader, Times: 1, Cmd: scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(chaos.SelLeader)}}), ""},
		{at(scenario.FaultCmd{Kind: chaos.Duplicate, P: 0.2, Replies: true}), "duplicate 10% replies"},
		{at(scenario.SleepCmd{D: 3 * time.Second}), "sleep 1.5s"},
		{at(scenario.FaultCmd{Kind: chaos.Loss, P: 0.3}), "loss 15%"},
		{at(scenario.FaultCmd{Kind: chaos.Loss, P: 0.01}), ""},
		{at(scenario.FaultCmd{Kind: chaos.Delay, Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}), "delay 0s-50ms"},
		{at(scenario.FaultCmd{Kind: chaos.Delay, Max: 50 * time.Millisecond}), "delay 0s-25ms"},
		{at(scenario.FaultCmd{Kind: chaos.Skew, Peers: sel(chaos.SelLeader), Rate: 2}), "skew leader 1.5x"},
		{at(scenario.FaultCmd{Kind: chaos.Skew, Peers: sel(chaos.SelLeader), Rate: 1.04}), ""},
		{at(scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(chaos.SelLeader)}), ""},
		{scenario.Step{Every: &scenario.Every{Period: time.Second, Times: 5}, Cmd: scenario.FaultCmd{Kind: chaos.Heal}}, "every 1s times 2 heal"},
	}
	for _, tt := range tests {
		st := tt.in
		ok := smaller(&st)
		got := ""
		if ok {
			got = st.String()
		}
		if got != tt.want {
			t.Errorf("smaller(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A failure that needs a trigger keeps it, fired as few times as it takes, and loses
// the kv workload and the faults that play no part.
func TestShrinkTriggerAndKV(t *testing.T) {
	const src = `peers 3
seed 5
workload kv rate=20 clients=3 keys=3
duration 10s

on leader times 4 crash leader
at 500ms delay 5ms-20ms replies
at 1s reset
at 3s expect elections <= 1
`
	sh, err := Shrinker{}.Shrink(context.Background(), parse(t, src), "expect")
	if err != nil {
		t.Fatal(err)
	}
	got := sh.Scenario
	var steps []string
	for _, st := range got.Steps {
		steps = append(steps, st.Cmd.String())
	}
	if len(steps) != 2 || steps[0] != "on leader crash leader" || steps[1] != "expect elections <= 1" {
		t.Errorf("shrunk to steps %q, want the trigger fired once and the expect:\n%s", steps, got.Source)
	}
	if got.Header.Workload != nil {
		t.Errorf("shrunk scenario keeps workload %v, want none", got.Header.Workload)
	}
}

// On an engine that is not exactly repeatable, a scenario that failed once gets
// EstablishTries runs to fail again before shrinking starts; one that never does is
// kept as found, not refused, so that a campaign still writes the file it failed with.
func TestShrinkFlakyScenario(t *testing.T) {
	sc := parse(t, failing)
	var calls int
	flaky := func(failOn int) func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error) {
		calls = 0
		return func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error) {
			calls++
			if calls < failOn {
				return Outcome{Result: &runner.Result{}}, nil // passes
			}
			return Run(ctx, sc, seed, nil, "")
		}
	}
	tests := []struct {
		name      string
		failOn    int
		wantFound bool
	}{
		{"fails again at its 7th run", 7, false},
		{"never fails again", EstablishTries + 1000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, err := Shrinker{Tries: 3, Run: flaky(tt.failOn)}.Shrink(context.Background(), sc, "expect")
			if err != nil {
				t.Fatal(err)
			}
			if sh.AsFound != tt.wantFound {
				t.Fatalf("AsFound = %v after %d runs, want %v", sh.AsFound, sh.Runs, tt.wantFound)
			}
			if tt.wantFound {
				if sh.Runs != EstablishTries || len(sh.Scenario.Steps) != len(sc.Steps) || sh.StepsAfter != sh.StepsBefore {
					t.Errorf("kept as found after %d runs with %d of %d steps (StepsAfter %d), want %d runs and every step",
						sh.Runs, len(sh.Scenario.Steps), len(sc.Steps), sh.StepsAfter, EstablishTries)
				}
				return
			}
			if sh.StepsAfter != 1 || sh.Failure.Checker != "expect" {
				t.Errorf("shrunk to %d steps, failure %v; want the expect alone", sh.StepsAfter, sh.Failure)
			}
		})
	}
	// Exactly repeatable (Tries 1): one run decides, and a pass is refused.
	if _, err := (Shrinker{Run: flaky(2)}).Shrink(context.Background(), sc, "expect"); !errors.Is(err, ErrNoFailure) {
		t.Errorf("Shrink with Tries 1 of a first run that passes: %v, want ErrNoFailure", err)
	}
}

// A run that takes the scenario's text, as a live worker process does, runs each
// candidate as changed, not the text it was cloned from (which made every candidate of
// a live shrink the original schedule, and its result 0 steps that did not fail).
func TestShrinkCandidatesCarryTheirText(t *testing.T) {
	byText := func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error) {
		src := sc.Source
		if src == "" {
			src = scenario.Format(sc)
		}
		again, err := scenario.Parse("worker.chaos", []byte(src))
		if err != nil {
			return Outcome{}, err
		}
		return Run(ctx, again, seed, nil, "")
	}
	sh, err := Shrinker{Run: byText}.Shrink(context.Background(), parse(t, failing), "expect")
	if err != nil {
		t.Fatal(err)
	}
	if sh.StepsAfter != 1 || sh.Scenario.Steps[0].Cmd.String() != "expect term >= 1000" {
		t.Errorf("shrunk to %d steps:\n%s\nwant the expect alone", sh.StepsAfter, sh.Scenario.Source)
	}
}
