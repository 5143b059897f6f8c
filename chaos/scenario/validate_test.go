package scenario

import (
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Validate catches what a generator could get wrong when it builds a scenario in code.
func TestValidate(t *testing.T) {
	at := Pos{File: "gen", Line: 3, Col: 1}
	selAt := Pos{File: "gen", Line: 3, Col: 7}
	crash := func(s Sel) Step {
		s.Pos = selAt
		return Step{Pos: at, Cmd: FaultCmd{Kind: chaos.Crash, Peers: s}}
	}
	tests := []struct {
		name string
		edit func(s *Scenario)
		want string
	}{
		{"ok", func(s *Scenario) {}, ""},
		{"id too high", func(s *Scenario) { s.Steps = []Step{crash(ids(1, 5))} }, `gen:3:7: no such peer "5" (peers are 0..4)`},
		{"id twice", func(s *Scenario) { s.Steps = []Step{crash(ids(1, 1))} }, `gen:3:7: peer given twice: "1"`},
		{"no ids", func(s *Scenario) { s.Steps = []Step{crash(ids())} }, `gen:3:7: an id selector without ids`},
		{"others first", func(s *Scenario) { s.Steps = []Step{crash(role(chaos.SelOthers))} }, `gen:3:7: nothing before "others"`},
		{"bad selector", func(s *Scenario) { s.Steps = []Step{crash(role(42))} }, `gen:3:7: unknown selector "SelectorKind(42)"`},
		{"peers", func(s *Scenario) { s.Header.Peers = 16 }, `expected a number of peers from 1 to 15, got "16"`},
		{"timing", func(s *Scenario) { s.Header.Timing.Heartbeat = 15 * time.Millisecond },
			`timing heartbeat: expected a multiple of the tick (10ms), got`},
		{"workload", func(s *Scenario) { s.Header.Workload = &WorkloadSpec{Kind: "bank"} }, `unknown workload kind "bank"`},
		{"workload kv", func(s *Scenario) { s.Header.Workload = &WorkloadSpec{Kind: KVWorkloadKind} }, `the workload needs rate=`},
		{"workload kv ok", func(s *Scenario) {
			s.Header.Workload = &WorkloadSpec{Kind: KVWorkloadKind, Params: []Param{{"rate", "100"}, {"clients", "5"}}}
		}, ""},
		{"workload kv clients", func(s *Scenario) {
			s.Header.Workload = &WorkloadSpec{Kind: KVWorkloadKind, Params: []Param{{"rate", "100"}, {"clients", "0"}}}
		}, `expected a number of clients from 1 to 1000, got "0"`},
		{"workload rate", func(s *Scenario) {
			s.Header.Workload = &WorkloadSpec{Kind: DefaultWorkloadKind, Params: []Param{{"rate", "-1"}}}
		}, `expected a rate from 0 to 100000 per second, got "-1"`},
		{"liveness", func(s *Scenario) { s.Header.Liveness.Leader = 0 }, `liveness leader: expected a duration longer than 0, got "0s"`},
		{"liveness off", func(s *Scenario) { s.Header.Liveness = Liveness{Off: true} }, ""},
		{"liveness off bounds", func(s *Scenario) { s.Header.Liveness.Off = true }, `liveness off takes no bounds`},
		{"every sleep", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Every: &Every{Period: time.Second}, Cmd: SleepCmd{D: time.Second}}}
		}, `gen:3:1: every cannot repeat "sleep 1s"`},
		{"every period", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Every: &Every{Period: time.Microsecond}, Cmd: ProposeCmd{N: 1}}}
		}, `gen:3:1: expected a period of at least 1ms, got "1µs"`},
		{"at and every", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, When: When{Absolute, time.Second}, Every: &Every{Period: time.Second}, Cmd: ProposeCmd{N: 1}}}
		}, `gen:3:1: a step has at most one at or every`},
		{"nil command", func(s *Scenario) { s.Steps = []Step{{Pos: at}} }, `gen:3:1: missing command`},
		{"long sleep", func(s *Scenario) { s.Steps = []Step{{Pos: at, Cmd: SleepCmd{D: 25 * time.Hour}}} },
			`gen:3:1: sleep: expected a duration from 0 to 24h, got "25h0m0s"`},
		{"probability", func(s *Scenario) { s.Steps = []Step{{Pos: at, Cmd: FaultCmd{Kind: chaos.Loss, P: 2}}} },
			`gen:3:1: expected a probability like 10% or 0.1, got "2"`},
		{"groups overlap", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: FaultCmd{Kind: chaos.Partition, Groups: []Sel{ids(0, 1), ids(1)}}}}
		}, `peer in two groups: "1"`},
		{"bridge middle", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: FaultCmd{Kind: chaos.Bridge, Groups: []Sel{ids(0), ids(1, 2), ids(3)}}}}
		}, `expected one peer in the middle of a bridge, got "1,2"`},
		{"relative expect", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: ExpectCmd{Cond: Cond{Kind: CondTerm, Op: OpLE, N: 1, Relative: true}}}}
		}, `gen:3:1: a relative number needs a span of time: "+1"`},
		{"no op", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: ExpectCmd{Cond: Cond{Kind: CondTerm, N: 1}}}}
		}, `gen:3:1: expected an operator (== != < <= > >=), got "Op(0)"`},
		{"leader is role", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: ExpectCmd{Cond: Cond{Kind: CondLeaderIs, Sel: role(chaos.SelLeader)}}}}
		}, `expected peer ids, got "leader"`},
		{"stray number", func(s *Scenario) {
			s.Steps = []Step{{Pos: at, Cmd: ExpectCmd{Cond: Cond{Kind: CondLeader, N: 3}}}}
		}, `gen:3:1: a number or operator where the condition takes none: "leader"`},
	}
	for _, tt := range tests {
		s := mustParse(t, "peers 5\nwait leader within 5s")
		tt.edit(s)
		err := s.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Validate = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s: Validate\n got %v\nwant %s", tt.name, err, tt.want)
		}
	}
}

func TestValidateCommand(t *testing.T) {
	c, err := ParseCommand("partition 0 | 2,7")
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateCommand(c, 8); err != nil {
		t.Errorf("8 peers: %v", err)
	}
	if err := ValidateCommand(c, 5); err == nil || err.Error() != `col 15: no such peer "7" (peers are 0..4)` {
		t.Errorf("5 peers: %v", err)
	}
	if err := ValidateCommand(c, 0); err != ErrNoPeers {
		t.Errorf("0 peers: %v", err)
	}
}
