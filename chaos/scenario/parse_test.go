package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

func TestParseCommand(t *testing.T) {
	c := func(k chaos.FaultKind) FaultCmd { return FaultCmd{Kind: k} }
	peers := func(k chaos.FaultKind, s Sel) FaultCmd { return FaultCmd{Kind: k, Peers: s} }
	groups := func(k chaos.FaultKind, gs ...Sel) FaultCmd { return FaultCmd{Kind: k, Groups: gs} }
	links := func(f FaultCmd, from, to Sel) FaultCmd { f.From, f.To = from, to; return f }
	prob := func(k chaos.FaultKind, p float64) FaultCmd { return FaultCmd{Kind: k, P: p} }
	delay := func(lo, hi time.Duration) FaultCmd { return FaultCmd{Kind: chaos.Delay, Min: lo, Max: hi} }
	skew := func(s Sel, r float64) FaultCmd { return FaultCmd{Kind: chaos.Skew, Peers: s, Rate: r} }
	wait := func(c Cond, d time.Duration) WaitCmd { return WaitCmd{Cond: c, Within: d} }
	expect := func(c Cond) ExpectCmd { return ExpectCmd{Cond: c} }
	counter := func(k CondKind, op Op, n int) Cond { return Cond{Kind: k, Op: op, N: n} }
	rate := func(r string) *WorkloadSpec {
		return &WorkloadSpec{Kind: DefaultWorkloadKind, Params: []Param{{"rate", r}}}
	}

	tests := []struct {
		line string
		want Command
	}{
		// Faults on peers, and every selector.
		{"crash 0", peers(chaos.Crash, ids(0))},
		{"crash 0,2,4", peers(chaos.Crash, ids(0, 2, 4))},
		{"crash 4 , 2", peers(chaos.Crash, ids(4, 2))},
		{"crash leader", peers(chaos.Crash, role(chaos.SelLeader))},
		{"restart crashed", peers(chaos.Restart, role(chaos.SelCrashed))},
		{"pause follower", peers(chaos.Pause, role(chaos.SelFollower))},
		{"pause followers", peers(chaos.Pause, role(chaos.SelFollowers))},
		{"resume all", peers(chaos.Resume, role(chaos.SelAll))},
		{"isolate random", peers(chaos.Isolate, role(chaos.SelRandom))},
		{"isolate majority", peers(chaos.Isolate, role(chaos.SelMajority))},
		{"isolate minority", peers(chaos.Isolate, role(chaos.SelMinority))},
		// Groups.
		{"partition leader | others", groups(chaos.Partition, role(chaos.SelLeader), role(chaos.SelOthers))},
		{"partition 0,1 | 2,3 | 4", groups(chaos.Partition, ids(0, 1), ids(2, 3), ids(4))},
		{"partition 0,1", groups(chaos.Partition, ids(0, 1))},
		{"partition 0,1|2", groups(chaos.Partition, ids(0, 1), ids(2))},
		{"bridge 0,1 - 2 - 3,4", groups(chaos.Bridge, ids(0, 1), ids(2), ids(3, 4))},
		{"bridge 0,1-2-3,4", groups(chaos.Bridge, ids(0, 1), ids(2), ids(3, 4))},
		{"bridge minority - leader - others", groups(chaos.Bridge, role(chaos.SelMinority), role(chaos.SelLeader), role(chaos.SelOthers))},
		// Links.
		{"cut majority -> others", links(c(chaos.Cut), role(chaos.SelMajority), role(chaos.SelOthers))},
		{"cut 0,1->2", links(c(chaos.Cut), ids(0, 1), ids(2))},
		{"heal", c(chaos.Heal)},
		{"reset", c(chaos.Reset)},
		{"loss 10%", prob(chaos.Loss, 0.1)},
		{"loss 0.25 0 -> 1", links(prob(chaos.Loss, 0.25), ids(0), ids(1))},
		{"loss 0%", prob(chaos.Loss, 0)},
		{"loss 1", prob(chaos.Loss, 1)},
		{"reorder 5% leader -> followers", links(prob(chaos.Reorder, 0.05), role(chaos.SelLeader), role(chaos.SelFollowers))},
		{"duplicate 100%", prob(chaos.Duplicate, 1)},
		{"duplicate 12.5%", prob(chaos.Duplicate, 0.125)},
		{"delay 10ms", delay(10*time.Millisecond, 10*time.Millisecond)},
		{"delay 5ms-50ms 0 -> 1,2", links(delay(5*time.Millisecond, 50*time.Millisecond), ids(0), ids(1, 2))},
		{"delay 5ms - 50ms", delay(5*time.Millisecond, 50*time.Millisecond)},
		{"delay 0", delay(0, 0)},
		{"loss 10% replies", FaultCmd{Kind: chaos.Loss, P: 0.1, Replies: true}},
		{"reorder 50% replies leader -> followers", links(FaultCmd{Kind: chaos.Reorder, P: 0.5, Replies: true}, role(chaos.SelLeader), role(chaos.SelFollowers))},
		{"delay 200ms-2s replies", FaultCmd{Kind: chaos.Delay, Min: 200 * time.Millisecond, Max: 2 * time.Second, Replies: true}},
		{"duplicate 20% replies 0 -> 1", links(FaultCmd{Kind: chaos.Duplicate, P: 0.2, Replies: true}, ids(0), ids(1))},
		{"tear 2", peers(chaos.Tear, ids(2))},
		{"tear follower", peers(chaos.Tear, role(chaos.SelFollower))},
		{"on vote 2 crash 2", OnCmd{Event: OnVote, Peers: ids(2), Times: 1, Cmd: peers(chaos.Crash, ids(2))}},
		{"on leader crash leader", OnCmd{Event: OnLeader, Times: 1, Cmd: peers(chaos.Crash, role(chaos.SelLeader))}},
		{"on leader once crash leader", OnCmd{Event: OnLeader, Times: 1, Cmd: peers(chaos.Crash, role(chaos.SelLeader))}},
		{"on install 3 times 2 restart 3", OnCmd{Event: OnInstall, Peers: ids(3), Times: 2, Cmd: peers(chaos.Restart, ids(3))}},
		{"on persist 0,1 isolate 0", OnCmd{Event: OnPersist, Peers: ids(0, 1), Times: 1, Cmd: peers(chaos.Isolate, ids(0))}},
		{"on stepdown times 5 delay 1s replies", OnCmd{Event: OnStepDown, Times: 5, Cmd: FaultCmd{Kind: chaos.Delay, Min: time.Second, Max: time.Second, Replies: true}}},
		{"skew 0 1.5x", skew(ids(0), 1.5)},
		{"skew random 0.5", skew(role(chaos.SelRandom), 0.5)},
		{"skew all 1x", skew(role(chaos.SelAll), 1)},
		// Client and time.
		{"propose", ProposeCmd{N: 1}},
		{"propose 10", ProposeCmd{N: 10}},
		{"workload rate=20", WorkloadCmd{Spec: rate("20")}},
		{"workload basic rate=2.5", WorkloadCmd{Spec: rate("2.5")}},
		{"workload rate=0", WorkloadCmd{Spec: rate("0")}},
		{"workload off", WorkloadCmd{}},
		{"workload kv clients=5 keys=3 rate=100", WorkloadCmd{Spec: &WorkloadSpec{Kind: KVWorkloadKind, Params: []Param{{"clients", "5"}, {"keys", "3"}, {"rate", "100"}}}}},
		{"workload kv rate=10 reads=90% timeout=0", WorkloadCmd{Spec: &WorkloadSpec{Kind: KVWorkloadKind, Params: []Param{{"rate", "10"}, {"reads", "90%"}, {"timeout", "0"}}}}},
		{"workload kv rate=0 reads=0.25 timeout=1m", WorkloadCmd{Spec: &WorkloadSpec{Kind: KVWorkloadKind, Params: []Param{{"rate", "0"}, {"reads", "0.25"}, {"timeout", "1m"}}}}},
		{"sleep 1m30s", SleepCmd{D: 90 * time.Second}},
		{"sleep 0s", SleepCmd{}},
		// Conditions.
		{"wait leader within 5s", wait(Cond{Kind: CondLeader}, 5*time.Second)},
		{"wait no leader within 1s", wait(Cond{Kind: CondNoLeader}, time.Second)},
		{"wait commit 10 within 5s", wait(Cond{Kind: CondCommit, N: 10}, 5*time.Second)},
		{"wait commit +5 within 5s", wait(Cond{Kind: CondCommit, N: 5, Relative: true}, 5*time.Second)},
		{"wait converged within 500ms", wait(Cond{Kind: CondConverged}, 500*time.Millisecond)},
		{"wait term >= 3 within 5s", wait(counter(CondTerm, OpGE, 3), 5*time.Second)},
		{"wait commits >= +10 within 5s", wait(Cond{Kind: CondCommits, Op: OpGE, N: 10, Relative: true}, 5*time.Second)},
		{"expect leader", expect(Cond{Kind: CondLeader})},
		{"expect leader is 2", expect(Cond{Kind: CondLeaderIs, Sel: ids(2)})},
		{"expect leader not 0,1", expect(Cond{Kind: CondLeaderNot, Sel: ids(0, 1)})},
		{"expect commits == 10", expect(counter(CondCommits, OpEQ, 10))},
		{"expect lost != 0", expect(counter(CondLost, OpNE, 0))},
		{"expect elections < 3", expect(counter(CondElections, OpLT, 3))},
		{"expect leaders <= 1", expect(counter(CondLeaders, OpLE, 1))},
		{"expect term > 1", expect(counter(CondTerm, OpGT, 1))},
		{"expect term <= +1 for 2s", ExpectCmd{Cond: Cond{Kind: CondTerm, Op: OpLE, N: 1, Relative: true}, For: 2 * time.Second}},
		{"expect converged for 1s", ExpectCmd{Cond: Cond{Kind: CondConverged}, For: time.Second}},
		// Layout.
		{"  crash\tleader\r", peers(chaos.Crash, role(chaos.SelLeader))},
		{"crash leader # kill it", peers(chaos.Crash, role(chaos.SelLeader))},
		{"crash leader#kill it", peers(chaos.Crash, role(chaos.SelLeader))},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.line)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.line, err)
			continue
		}
		if got = stripCmd(got); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCommand(%q) = %#v, want %#v", tt.line, got, tt.want)
		}
	}
}

// Every command renders back to a line that parses to the same command.
func TestCommandString(t *testing.T) {
	tests := []struct{ line, want string }{
		{"crash 4 , 2", "crash 4,2"},
		{"partition 0,1|2", "partition 0,1 | 2"},
		{"bridge 0,1-2-3,4", "bridge 0,1 - 2 - 3,4"},
		{"cut 0,1->2", "cut 0,1 -> 2"},
		{"loss 0.25 0 -> 1", "loss 25% 0 -> 1"},
		{"loss 7%", "loss 7%"},
		{"duplicate 0.125", "duplicate 12.5%"},
		{"loss 0.000000000000000000001", "loss 0.0000000000000000001%"},
		{"loss 35.6%", "loss 35.6%"},
		{"loss 0.10000000000000002", "loss 10.000000000000002%"},
		{"loss .5%", "loss 0.5%"},
		{"delay 10ms-10ms", "delay 10ms"},
		{"delay 5ms - 50ms", "delay 5ms-50ms"},
		{"delay 0", "delay 0s"},
		{"skew 0 1.5", "skew 0 1.5x"},
		{"propose 1", "propose"},
		{"propose 7", "propose 7"},
		{"workload basic rate=2.5", "workload rate=2.5"},
		{"workload off", "workload off"},
		{"workload kv rate=100 clients=5", "workload kv rate=100 clients=5"},
		{"sleep 90s", "sleep 1m30s"},
		{"wait commit +5 within 5000ms", "wait commit +5 within 5s"},
		{"expect leader not 0,1", "expect leader not 0,1"},
		{"expect term <= +1 for 2s", "expect term <= +1 for 2s"},
		{"expect no leader", "expect no leader"},
	}
	for _, tt := range tests {
		c, err := ParseCommand(tt.line)
		if err != nil {
			t.Errorf("ParseCommand(%q): %v", tt.line, err)
			continue
		}
		if got := c.String(); got != tt.want {
			t.Errorf("ParseCommand(%q).String() = %q, want %q", tt.line, got, tt.want)
		}
		back, err := ParseCommand(c.String())
		if err != nil || !reflect.DeepEqual(stripCmd(back), stripCmd(c)) {
			t.Errorf("ParseCommand(%q) = %#v, %v; want %#v", c.String(), back, err, c)
		}
	}
}

func TestParseHeader(t *testing.T) {
	def := defaultHeader()
	with := func(f func(h *Header)) Header {
		h := defaultHeader()
		f(&h)
		return h
	}
	tests := []struct {
		src  string
		want Header
	}{
		{"", def},
		{"# just a description\n", def},
		{"peers 3", with(func(h *Header) { h.Peers = 3 })},
		{"peers 1", with(func(h *Header) { h.Peers = 1 })},
		{"peers 15", with(func(h *Header) { h.Peers = 15 })},
		{"seed 42", with(func(h *Header) { h.Seed, h.HasSeed = 42, true })},
		{"seed 0", with(func(h *Header) { h.HasSeed = true })},
		{"seed -9223372036854775808", with(func(h *Header) { h.Seed, h.HasSeed = -9223372036854775808, true })},
		{"prevote on\ncheckquorum on", with(func(h *Header) { h.PreVote, h.CheckQuorum = true, true })},
		{"prevote off\ncheckquorum off", def},
		{"timing tick=10ms heartbeat=100ms election=300ms-550ms", with(func(h *Header) {
			h.Timing = Timing{10 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 550 * time.Millisecond}
		})},
		{"timing election=400ms", with(func(h *Header) {
			h.Timing = Timing{ElectionMin: 400 * time.Millisecond, ElectionMax: 400 * time.Millisecond}
		})},
		{"timing tick=20ms", with(func(h *Header) { h.Timing = Timing{Tick: 20 * time.Millisecond} })},
		{"workload rate=20", with(func(h *Header) {
			h.Workload = &WorkloadSpec{Kind: DefaultWorkloadKind, Params: []Param{{"rate", "20"}}}
		})},
		{"workload off", def},
		{"duration 30s", with(func(h *Header) { h.Duration = 30 * time.Second })},
		{"liveness leader=3s commit=10s", with(func(h *Header) { h.Liveness = Liveness{Leader: 3 * time.Second, Commit: 10 * time.Second} })},
		{"liveness commit=10s", with(func(h *Header) { h.Liveness.Commit = 10 * time.Second })},
		{"liveness off", with(func(h *Header) { h.Liveness = Liveness{Off: true} })},
		{"snapshot every=20", with(func(h *Header) { h.SnapshotEvery = 20 })},
		{"snapshot every=100", def},
		{"snapshot off", with(func(h *Header) { h.SnapshotEvery = 0 })},
		{"  peers 3   # comment\n\n", with(func(h *Header) { h.Peers = 3 })},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.src)
		if !reflect.DeepEqual(s.Header, tt.want) {
			t.Errorf("Parse(%q).Header = %+v, want %+v", tt.src, s.Header, tt.want)
		}
	}
}

func TestParseSteps(t *testing.T) {
	crash := FaultCmd{Kind: chaos.Crash, Peers: role(chaos.SelLeader)}
	tests := []struct {
		line string
		want Step
	}{
		{"crash leader", Step{Cmd: crash}},
		{"at 2s crash leader", Step{When: When{Absolute, 2 * time.Second}, Cmd: crash}},
		{"at 0s crash leader", Step{When: When{Absolute, 0}, Cmd: crash}},
		{"at +500ms crash leader", Step{When: When{Relative, 500 * time.Millisecond}, Cmd: crash}},
		{"every 2s crash leader", Step{Every: &Every{Period: 2 * time.Second}, Cmd: crash}},
		{"every 2s from 5s crash leader", Step{Every: &Every{Period: 2 * time.Second, From: 5 * time.Second, HasFrom: true}, Cmd: crash}},
		{"every 2s from 0s crash leader", Step{Every: &Every{Period: 2 * time.Second, HasFrom: true}, Cmd: crash}},
		{"every 2s until 20s crash leader", Step{Every: &Every{Period: 2 * time.Second, Until: 20 * time.Second}, Cmd: crash}},
		{"every 2s from 5s until 20s crash leader", Step{Every: &Every{Period: 2 * time.Second, From: 5 * time.Second, HasFrom: true, Until: 20 * time.Second}, Cmd: crash}},
		{"every 2s until 20s from 5s crash leader", Step{Every: &Every{Period: 2 * time.Second, From: 5 * time.Second, HasFrom: true, Until: 20 * time.Second}, Cmd: crash}},
		{"every 2s times 5 crash leader", Step{Every: &Every{Period: 2 * time.Second, Times: 5}, Cmd: crash}},
		{"every 1ms expect leader", Step{Every: &Every{Period: time.Millisecond}, Cmd: ExpectCmd{Cond: Cond{Kind: CondLeader}}}},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.line)
		if len(s.Steps) != 1 {
			t.Errorf("Parse(%q): %d steps, want 1", tt.line, len(s.Steps))
			continue
		}
		want := tt.want
		want.Pos = Pos{File: "t.chaos", Line: 1, Col: 1}
		got := s.Steps[0]
		got.Cmd = stripCmd(got.Cmd)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q).Steps[0] = %+v, want %+v", tt.line, got, want)
		}
		if got.String() != strings.Join(strings.Fields(tt.line), " ") && !strings.Contains(tt.line, "until 20s from") {
			t.Errorf("Step.String() = %q, want %q", got.String(), tt.line)
		}
	}
}

func TestPositions(t *testing.T) {
	src := "# desc\npeers 3\n\n  at 2s partition 0 | 1,\n"
	_, err := Parse("dir/p.chaos", []byte(src))
	if err == nil || err.Error() != `dir/p.chaos:4:26: expected a peer id after ","` {
		t.Fatalf("err = %v", err)
	}
	s := mustParse(t, "peers 3\n\n  at 2s partition 0 | leader\n")
	st := s.Steps[0]
	if want := (Pos{"t.chaos", 3, 3}); st.Pos != want {
		t.Errorf("step pos = %v, want %v", st.Pos, want)
	}
	g := st.Cmd.(FaultCmd).Groups
	if g[0].Pos.Col != 19 || g[1].Pos.Col != 23 {
		t.Errorf("selector columns = %d, %d, want 19, 23", g[0].Pos.Col, g[1].Pos.Col)
	}
	if s.Name != "t" {
		t.Errorf("Name = %q, want t", s.Name)
	}
}

func TestDescription(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", ""},
		{"peers 3\n# not a description", ""},
		{"# Summary.\npeers 3", "Summary."},
		{"\n\n  # Summary.  \n#\n# More,\n#   indented.\n#\n\n# not this\npeers 3", "Summary.\n\nMore,\n  indented."},
		{"#\n#Summary\n", "Summary"},
		{"#\n\n# later", ""},
		{"# a\r\n# b\r\n", "a\nb"},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.src)
		if s.Description != tt.want {
			t.Errorf("Parse(%q).Description = %q, want %q", tt.src, s.Description, tt.want)
		}
		if got, want := s.Summary(), strings.Split(tt.want, "\n")[0]; got != want {
			t.Errorf("Summary() = %q, want %q", got, want)
		}
	}
}

// TestCommandErrors pins the text of every error a single command can produce.
func TestCommandErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"", `col 1: expected a command (as in crash leader)`},
		{"crsh 1", `col 1: unknown command "crsh" (did you mean "crash"?)`},
		{"Crash 1", `col 1: unknown command "Crash" (did you mean "crash"?)`},
		{"parition 0 | 1", `col 1: unknown command "parition" (did you mean "partition"?)`},
		{"xyzzy", `col 1: unknown command "xyzzy" (commands are crash restart pause resume isolate partition bridge cut heal loss delay reorder duplicate skew reset tear propose workload sleep wait expect on)`},
		{"peers 5", `col 1: not a command: "peers" (header lines go at the top of a scenario file)`},
		{"at 2s crash 1", `col 1: a command cannot be scheduled here: "at" (type the command alone; at and every belong in scenario files)`},
		{"every 2s crash 1", `col 1: a command cannot be scheduled here: "every" (type the command alone; at and every belong in scenario files)`},
		{"on", `col 4: expected an event like leader, vote or persist after "on" (as in on vote 2 crash 2)`},
		{"on vots 2 crash 2", `col 4: unknown event "vots" (did you mean "vote"?)`},
		{"on vote 2", `col 11: expected a fault after "2" (as in on vote 2 crash 2)`},
		{"on vote 2 propose", `col 11: on fires faults only, got "propose" (as in on vote 2 crash 2)`},
		{"on vote 2 crsh 2", `col 11: unknown fault "crsh" (did you mean "crash"?)`},
		{"on vote leader crash 2", `col 9: unknown fault "leader" (faults are crash restart pause resume isolate partition bridge cut heal loss delay reorder duplicate skew reset tear)`},
		{"on leader times 0 crash leader", `col 17: expected a number of times from 1 to 1000000, got "0"`},
		{"on leader 15 crash leader", `col 11: no such peer "15" (a cluster has at most 15 peers, 0..14)`},
		{"crash", `col 7: expected peers (an id like 0 or 0,2,4, or a role like leader) after "crash"`},
		{"crash 15", `col 7: no such peer "15" (a cluster has at most 15 peers, 0..14)`},
		{"crash 99999999999999999999", `col 7: no such peer "99999999999999999999" (a cluster has at most 15 peers, 0..14)`},
		{"crash 1,1", `col 9: peer given twice: "1"`},
		{"crash 1,", `col 10: expected a peer id after ","`},
		{"crash 1,x", `col 9: expected a peer id, got "x"`},
		{"crash 1a", `col 7: expected a peer id, got "1a"`},
		{"crash lead", `col 7: unknown selector "lead" (did you mean "leader"?)`},
		{"crash folowers", `col 7: unknown selector "folowers" (did you mean "followers"?)`},
		{"crash nobody", `col 7: unknown selector "nobody" (selectors are ids like 0,2,4 and leader follower followers random majority minority all others crashed)`},
		{"crash others", `col 7: nothing before "others" ("others" means the peers not picked earlier on the line, as in partition leader | others)`},
		{"crash leader extra", `col 14: unexpected "extra" (the line is complete before it)`},
		{"crash leader | others", `col 14: unexpected "|" (the line is complete before it)`},
		{"partition 0,1 | 1", `col 17: peer in two groups: "1"`},
		{"partition 0 |", `col 15: expected peers (an id like 0 or 0,2,4, or a role like leader) after "|"`},
		{"bridge 0 1", `col 10: expected "-", got "1" (as in bridge 0,1 - 2 - 3,4)`},
		{"bridge 0 - 1", `col 14: expected "-" after "1" (as in bridge 0,1 - 2 - 3,4)`},
		{"bridge 0 - 1 - 1", `col 16: peer in two groups: "1"`},
		{"bridge 0 - majority - 2", `col 12: expected one peer in the middle of a bridge, got "majority" (as in bridge 0,1 - 2 - 3,4)`},
		{"bridge 0 - 1,2 - 3", `col 12: expected one peer in the middle of a bridge, got "1,2" (as in bridge 0,1 - 2 - 3,4)`},
		{"cut 0", `col 7: expected "->" after "0" (as in cut 0 -> 1,2)`},
		{"cut 0 1", `col 7: expected "->", got "1" (as in cut 0 -> 1,2)`},
		{"cut 0 ->", `col 10: expected peers (an id like 0 or 0,2,4, or a role like leader) after "->"`},
		{"heal now", `col 6: unexpected "now" (the line is complete before it)`},
		{"loss", `col 6: expected a probability like 10% or 0.1 after "loss"`},
		{"loss x", `col 6: expected a probability like 10% or 0.1, got "x"`},
		{"loss 120%", `col 6: expected a probability like 10% or 0.1, got "120%"`},
		{"loss 1.5", `col 6: expected a probability like 10% or 0.1, got "1.5"`},
		{"loss 1e-3", `col 6: expected a probability like 10% or 0.1, got "1e"`},
		{"loss 10% 0", `col 12: expected "->" after "0" (name links as in 0 -> 1,2)`},
		{"loss 10% others -> 0", `col 10: nothing before "others" ("others" means the peers not picked earlier on the line, as in partition leader | others)`},
		{"delay", `col 7: expected a delay like 10ms or 5ms-50ms after "delay"`},
		{"delay 5", `col 7: expected a duration like 500ms or 2s, got "5" (add a unit, as in 5s)`},
		{"delay 5ms-", `col 12: expected the end of the delay range after "-" (as in delay 5ms-50ms)`},
		{"delay 50ms-5ms", `col 7: expected a delay range low-high, got "50ms-5ms"`},
		{"delay 25h", `col 7: expected a duration of at most 24h, got "25h"`},
		{"delay -5ms", `col 7: expected a duration like 500ms or 2s, got "-" (durations cannot be negative)`},
		{"skew 0", `col 8: expected a clock rate like 1.5x or 0.5 after "0"`},
		{"skew 0 0x", `col 8: expected a clock rate from 0.01x to 100x, got "0x"`},
		{"skew 0 200x", `col 8: expected a clock rate from 0.01x to 100x, got "200x"`},
		{"skew 0 fast", `col 8: expected a clock rate from 0.01x to 100x, got "fast"`},
		{"propose 0", `col 9: expected a number of commands from 1 to 1000000, got "0"`},
		{"propose 1 2", `col 11: unexpected "2" (the line is complete before it)`},
		{"workload", `col 10: expected rate=R or off after "workload" (as in workload rate=20)`},
		{"workload rat=5", `col 10: unknown key "rat" (did you mean "rate"?)`},
		{"workload rate=", `col 10: expected a value after "rate=" (as in workload rate=20)`},
		{"workload rate=x", `col 15: expected a rate from 0 to 100000 per second, got "x"`},
		{"workload rate=200000", `col 15: expected a rate from 0 to 100000 per second, got "200000"`},
		{"workload rate=5 rate=6", `col 17: duplicate key "rate"`},
		{"workload bank rate=100", `col 10: unknown workload kind "bank" (known kinds: basic, kv)`},
		{"workload kv", `col 13: the workload needs rate= (as in workload kv clients=5 keys=3 rate=100)`},
		{"workload kv clients=5", `col 23: the workload needs rate= (as in workload kv clients=5 keys=3 rate=100)`},
		{"workload kv rate=1 clients=0", `col 28: expected a number of clients from 1 to 1000, got "0"`},
		{"workload kv rate=1 clients=1001", `col 28: expected a number of clients from 1 to 1000, got "1001"`},
		{"workload kv rate=1 clients=+5", `col 28: expected a number of clients from 1 to 1000, got "+5"`},
		{"workload kv rate=1 keys=0", `col 25: expected a number of keys from 1 to 1000000, got "0"`},
		{"workload kv rate=1 reads=1.5", `col 26: expected a fraction of reads from 0 to 1, like 0.5 or 50%, got "1.5"`},
		{"workload kv rate=1 reads=150%", `col 26: expected a fraction of reads from 0 to 1, like 0.5 or 50%, got "150%"`},
		{"workload kv rate=1 timeout=5", `col 28: expected a duration like 5s (0 for never), at most 24h, got "5"`},
		{"workload kv rate=1 timeout=-1s", `col 28: timeout is out of range: it cannot be negative, got "-1s" (as in workload kv clients=5 keys=3 rate=100)`},
		{"workload rate=-5", `col 15: rate is out of range: it cannot be negative, got "-5" (as in workload rate=20)`},
		{"workload kv rate=1 clients=-", `col 28: clients is out of range: it cannot be negative, got "-" (as in workload kv clients=5 keys=3 rate=100)`},
		{"workload kv rate=1 timeout=25h", `col 28: expected a duration like 5s (0 for never), at most 24h, got "25h"`},
		{"workload kv rate=1 client=5", `col 20: unknown key "client" (did you mean "clients"?)`},
		{"workload kv rate=1 rate=2", `col 20: duplicate key "rate"`},
		{"workload rate=1 clients=5", `col 17: unknown key "clients" (keys are rate)`},
		{"workload basic", `col 16: the workload needs rate= (as in workload rate=20)`},
		{"workload rate 5", `col 10: expected key=value, got "rate" (write rate=..., as in workload rate=20)`},
		{"workload ofd", `col 10: unknown workload kind "ofd" (did you mean "off"?)`},
		{"sleep", `col 7: expected a duration after "sleep" (as in sleep 2s)`},
		{"sleep 2x", `col 7: expected a duration like 500ms or 2s, got "2x"`},
		{"sleep +2s", `col 7: expected a duration like 500ms or 2s, got "+2s"`},
		{"sleep 48h", `col 7: expected a duration of at most 24h, got "48h"`},
		{"wait", `col 6: expected a condition after "wait" (as in leader or commits >= 10)`},
		{"wait leader", `col 13: expected "within" after "leader" (wait needs a time limit, as in wait leader within 5s)`},
		{"wait leader 5s", `col 13: expected "within", got "5s" (wait needs a time limit, as in wait leader within 5s)`},
		{"wait leader within", `col 20: expected a duration after "within" (as in wait leader within 5s)`},
		{"wait leader within 0s", `col 20: expected a time limit longer than 0, got "0s"`},
		{"wait leadr within 5s", `col 6: unknown condition "leadr" (did you mean "leader"?)`},
		{"wait no within 5s", `col 9: expected "leader", got "within" (as in wait no leader within 5s)`},
		{"wait commit >= 5 within 5s", `col 13: expected a log index, got ">=" (commit N waits for commit index N; to compare proposals committed write "commits >= N")`},
		{"wait commit x within 5s", `col 13: expected a log index, got "x" (as in commit 10 or commit +5)`},
		{"expect term 5", `col 13: expected an operator (== != < <= > >=), got "5" (as in term >= 3)`},
		{"expect term = 5", `col 13: expected an operator (== != < <= > >=), got "=" (did you mean "=="?)`},
		{"expect term >=", `col 16: expected a number after ">=" (as in term >= 3)`},
		{"expect term >= x", `col 16: expected a number, got "x"`},
		{"expect term >= -1", `col 16: expected a number, got "-" (counts cannot be negative)`},
		{"expect commits >= 99999999999", `col 19: expected a number, got "99999999999" (at most 1000000000)`},
		{"expect term >= +1", `col 16: a relative number needs a span of time: "+1" (+N counts from the start of a wait or an expect ... for)`},
		{"expect commit +1", `col 15: a relative number needs a span of time: "+1" (+N counts from the start of a wait or an expect ... for)`},
		{"expect term >= 1 for 0s", `col 22: expected a duration longer than 0, got "0s"`},
		{"expect term>=1", `col 8: unknown condition "term>=1" (put spaces around the operator, as in term >= 3)`},
		{"expect leader is leader", `col 18: expected peer ids, got "leader" (a condition names peers by id, as in leader not 2)`},
		{"expect converge", `col 8: unknown condition "converge" (did you mean "converged"?)`},
		{"expect whatever", `col 8: unknown condition "whatever" (conditions are leader, no leader, leader is ID, leader not ID, commit N, converged, and term, commits, lost, elections or leaders with an operator)`},
		{"crash " + strings.Repeat("x", 100), `col 7: unknown selector "` + strings.Repeat("x", 40) + `..." (selectors are ids like 0,2,4 and leader follower followers random majority minority all others crashed)`},
		{"crash \xff", `col 7: unknown selector "\xff" (selectors are ids like 0,2,4 and leader follower followers random majority minority all others crashed)`},
	}
	for _, tt := range tests {
		_, err := ParseCommand(tt.line)
		if err == nil {
			t.Errorf("ParseCommand(%q) succeeded, want %s", tt.line, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("ParseCommand(%q)\n got %s\nwant %s", tt.line, got, tt.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseCommand(%q) error is %T, want *Error", tt.line, err)
		}
	}
}

// TestFileErrors pins the errors of header lines and steps, with file:line:col.
func TestFileErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"peers", `f.chaos:1:7: expected a number of peers after "peers" (as in peers 5)`},
		{"peers 0", `f.chaos:1:7: expected a number of peers from 1 to 15, got "0"`},
		{"peers 16", `f.chaos:1:7: expected a number of peers from 1 to 15, got "16"`},
		{"peers 5 6", `f.chaos:1:9: unexpected "6" (the line is complete before it)`},
		{"peers 5\npeers 3", `f.chaos:2:1: duplicate header line "peers" (first given on line 1)`},
		{"seed 1.5", `f.chaos:1:6: expected a seed (a 64-bit integer), got "1.5"`},
		{"seed - 5", `f.chaos:1:6: expected a seed (a 64-bit integer), got "-"`},
		{"seed 99999999999999999999", `f.chaos:1:6: expected a seed (a 64-bit integer), got "99999999999999999999"`},
		{"prevote yes", `f.chaos:1:9: expected on or off, got "yes"`},
		{"checkquorum", `f.chaos:1:13: expected on or off after "checkquorum"`},
		{"timing", `f.chaos:1:8: expected key=value settings after "timing" (as in timing tick=10ms heartbeat=100ms election=300ms-550ms)`},
		{"timing tik=5ms", `f.chaos:1:8: unknown key "tik" (did you mean "tick"?)`},
		{"timing tick=0s", `f.chaos:1:13: expected a duration longer than 0, got "0s"`},
		{"timing tick=2h", `f.chaos:1:13: expected a tick from 1ms to 1s, got "2h"`},
		{"timing tick=10ms tick=5ms", `f.chaos:1:18: duplicate key "tick"`},
		{"timing heartbeat=105ms", `f.chaos:1:18: expected a multiple of the tick (10ms), got "105ms"`},
		{"timing election=300ms-", `f.chaos:1:24: expected the end of the election range after "-" (as in election=300ms-550ms)`},
		{"timing election=550ms-300ms", `f.chaos:1:17: expected an election range low-high, got "550ms-300ms"`},
		{"timing election=100ms", `f.chaos:1:17: expected an election timeout longer than the heartbeat (100ms), got "100ms" (Raft needs several heartbeats per election timeout)`},
		{"timing election=305ms-550ms", `f.chaos:1:17: expected multiples of the tick (10ms), got "305ms-550ms"`},
		{"timing tick=20ms heartbeat=2x", `f.chaos:1:28: expected a duration like 500ms or 2s, got "2x"`},
		{"duration 0s", `f.chaos:1:10: expected a duration longer than 0, got "0s" (leave the line out to run until the last step ends)`},
		{"duration 5", `f.chaos:1:10: expected a duration like 500ms or 2s, got "5" (add a unit, as in 5s)`},
		{"liveness on", `f.chaos:1:10: expected key=value, got "on" (as in liveness leader=5s commit=10s)`},
		{"liveness leader=0s", `f.chaos:1:17: expected a duration longer than 0, got "0s" (use liveness off to disable the checker)`},
		{"liveness off commit=5s", `f.chaos:1:14: unexpected "commit=5s" (the line is complete before it)`},
		{"snapshot 5", `f.chaos:1:10: expected key=value, got "5" (as in snapshot every=100)`},
		{"snapshot every=0", `f.chaos:1:16: expected a number of entries from 1 to 1000000, got "0"`},
		{"workload kvs", `f.chaos:1:10: unknown workload kind "kvs" (did you mean "kv"?)`},
		{"at", `f.chaos:1:4: expected a time like 2s or +500ms after "at"`},
		{"at +", `f.chaos:1:4: expected a time like 2s or +500ms, got "+"`},
		{"at +x crash 1", `f.chaos:1:5: expected a duration like 500ms or 2s, got "x"`},
		{"at 2x crash 1", `f.chaos:1:4: expected a duration like 500ms or 2s, got "2x"`},
		{"at 2s", `f.chaos:1:7: expected a command after "2s" (as in crash leader)`},
		{"at 2s at 3s crash 1", `f.chaos:1:7: expected a command, got "at" (a step has at most one at or every)`},
		{"at 2s peers 3", `f.chaos:1:7: not a command: "peers" (header lines go at the top of a scenario file)`},
		{"every 0s crash 1", `f.chaos:1:7: expected a period of at least 1ms, got "0s"`},
		{"every 500us crash 1", `f.chaos:1:7: expected a period of at least 1ms, got "500us"`},
		{"every 1s from crash 1", `f.chaos:1:15: expected a duration like 500ms or 2s, got "crash"`},
		{"every 1s until 0s crash 1", `f.chaos:1:16: expected an until time after the start, got "0s" (no run could start)`},
		{"every 1s from 5s until 5s crash 1", `f.chaos:1:24: expected an until time after the start, got "5s" (it is not after from 5s)`},
		{"every 1s until 5s times 3 crash 1", `f.chaos:1:19: cannot use both until and times: "times" (pick one)`},
		{"every 1s times 0 crash 1", `f.chaos:1:16: expected a number of times from 1 to 1000000, got "0"`},
		{"every 1s from 1s from 2s crash 1", `f.chaos:1:18: duplicate "from"`},
		{"every 1s sleep 1s", `f.chaos:1:10: every cannot repeat "sleep" (sleep, wait and expect ... for block the timeline; every runs in the background)`},
		{"every 1s wait leader within 1s", `f.chaos:1:10: every cannot repeat "wait" (sleep, wait and expect ... for block the timeline; every runs in the background)`},
		{"every 1s expect leader for 1s", `f.chaos:1:10: every cannot repeat "expect" (sleep, wait and expect ... for block the timeline; every runs in the background)`},
		{"crash 0\npeers 3", `f.chaos:2:1: header line after the first step: "peers" (move it above line 1, where the steps begin)`},
		{"peers 3\ncrash 3", `f.chaos:2:7: no such peer "3" (peers are 0..2)`},
		{"peers 3\ncut 0,1 -> 2,5", `f.chaos:2:14: no such peer "5" (peers are 0..2)`},
		{"peers 3\nexpect leader is 4", `f.chaos:2:18: no such peer "4" (peers are 0..2)`},
		{"peers 1\ncrash 1", `f.chaos:2:7: no such peer "1" (the only peer is 0)`},
		{"peers 99\ncrash 7", `f.chaos:1:7: expected a number of peers from 1 to 15, got "99"`},
		{"peer 3", `f.chaos:1:1: unknown command "peer" (did you mean "peers"?)`},
		{"# ok\n\nseed 1\nleader crash", `f.chaos:4:1: unknown command "leader" (commands are crash restart pause resume isolate partition bridge cut heal loss delay reorder duplicate skew reset tear propose workload sleep wait expect on)`},
	}
	for _, tt := range tests {
		_, err := Parse("f.chaos", []byte(tt.src))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", tt.src, tt.want)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tt.src, got, tt.want)
		}
		var l ErrorList
		if !errors.As(err, &l) {
			t.Errorf("Parse(%q) error is %T, want ErrorList", tt.src, err)
		}
	}
}

// A file's errors are all reported, one per line, in order, at most 10 and a note.
func TestErrorList(t *testing.T) {
	src := "peers 3\nseed x\ncrash leader\ncrsh 1 2 3\n\nwait leader\ncrash 3\ncrash 1\n"
	_, err := Parse("l.chaos", []byte(src))
	want := `l.chaos:2:6: expected a seed (a 64-bit integer), got "x"
l.chaos:4:1: unknown command "crsh" (did you mean "crash"?)
l.chaos:6:13: expected "within" after "leader" (wait needs a time limit, as in wait leader within 5s)
l.chaos:7:7: no such peer "3" (peers are 0..2)`
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
	var l ErrorList
	if !errors.As(err, &l) || len(l) != 4 {
		t.Fatalf("errors.As ErrorList: %v, %d errors", err, len(l))
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos.Line != 2 || e.Token != "x" {
		t.Fatalf("errors.As *Error = %+v", e)
	}

	_, err = Parse("many.chaos", []byte(strings.Repeat("crsh\n", 25)))
	if !errors.As(err, &l) {
		t.Fatalf("err = %v", err)
	}
	if len(l) != 11 || l[10].Error() != "many.chaos:11:1: too many errors" || l[9].Pos.Line != 10 {
		t.Fatalf("got %d errors, last %v", len(l), l[len(l)-1])
	}
}

func TestSuggest(t *testing.T) {
	cands := names(FormCommand)
	tests := []struct{ word, want string }{
		{"crash", ""}, // exact: nothing to suggest
		{"crsh", "crash"},
		{"CRASH", "crash"},
		{"resart", "restart"},
		{"isolat", "isolate"},
		{"partiton", "partition"},
		{"dupliacte", "duplicate"},
		{"slep", "sleep"},
		{"x", ""},
		{"abcdefgh", ""},
		{strings.Repeat("a", 1000), ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.word, cands); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got := suggest("ohters", chaos.SelectorNames()); got != "others" {
		t.Errorf("suggest(ohters) = %q", got)
	}
	if got := suggest("elections", condWords); got != "" {
		t.Errorf("suggest(elections) = %q", got)
	}
	if got := suggest("electons", condWords); got != "elections" {
		t.Errorf("suggest(electons) = %q", got)
	}
	if got := suggest("heartbeet", timingKeys); got != "heartbeat" {
		t.Errorf("suggest(heartbeet) = %q", got)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"crash", "crsh", 1}, {"abc", "abc", 0},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLex(t *testing.T) {
	got := lex("cut 0,1->2 |x # c")
	want := []token{{"cut", 1}, {"0", 5}, {",", 6}, {"1", 7}, {"->", 8}, {"2", 10}, {"|", 12}, {"x", 13}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("lex = %v, want %v", got, want)
	}
	if got := lex("delay 5ms-50ms"); len(got) != 4 || got[2].text != "-" || got[3].col != 11 {
		t.Fatalf("lex(delay) = %v", got)
	}
}

// The commands listed by Commands are the ones the parser knows.
func TestCommandsHelp(t *testing.T) {
	for _, c := range Commands() {
		_, err := ParseCommand(c.Name)
		var e *Error
		if errors.As(err, &e) && strings.HasPrefix(e.Msg, "unknown command") {
			t.Errorf("%s is listed but unknown", c.Name)
		}
		if !strings.HasPrefix(c.Usage, c.Name) || c.Summary == "" {
			t.Errorf("bad help entry %+v", c)
		}
	}
	if n := len(Commands()); n != len(chaos.FaultSpecs)+6 {
		t.Errorf("%d commands listed, want %d", n, len(chaos.FaultSpecs)+6)
	}
}

func TestWorkloadSpec(t *testing.T) {
	s := mustParse(t, "workload rate=12.5")
	w := s.Header.Workload
	if got := w.Rate(); got != 12.5 {
		t.Errorf("Rate() = %v, want 12.5", got)
	}
	if v, ok := w.Get("rate"); !ok || v != "12.5" {
		t.Errorf("Get(rate) = %q, %v", v, ok)
	}
	if _, ok := w.Get("clients"); ok {
		t.Error("Get(clients) found a key never given")
	}
	for _, bad := range []*WorkloadSpec{{}, {Params: []Param{{"rate", "x"}}}} {
		if got := bad.Rate(); got != 0 {
			t.Errorf("%+v.Rate() = %v, want 0", bad, got)
		}
	}
}
