package fuzz

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// generate returns g's schedule for seed, failing the test on error.
func generate(t *testing.T, g Generator, seed int64) *scenario.Scenario {
	t.Helper()
	sc, err := g.Generate(seed)
	if err != nil {
		t.Fatalf("Generate(%d): %v", seed, err)
	}
	return sc
}

func TestGenerateIsFixedBySeed(t *testing.T) {
	tests := []struct {
		name string
		g    Generator
	}{
		{"defaults", Generator{}},
		{"five peers, fast faults", Generator{Peers: 5, FaultRate: 5, Duration: 5 * time.Second}},
		{"one peer", Generator{Peers: 1, Duration: 3 * time.Second}},
		{"no workload, prevote", Generator{Rate: -1, PreVote: true, CheckQuorum: true, NoLiveness: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := int64(1); seed <= 20; seed++ {
				a, b := generate(t, tt.g, seed), generate(t, tt.g, seed)
				if a.Source != b.Source {
					t.Fatalf("seed %d gave two schedules:\n%s\n%s", seed, a.Source, b.Source)
				}
				if !a.Header.HasSeed || a.Header.Seed != seed {
					t.Errorf("seed %d: header seed = %d (set %v), want %d", seed, a.Header.Seed, a.Header.HasSeed, seed)
				}
				// The schedule is printable as a scenario file that reads back the same.
				back, err := scenario.Parse("gen.chaos", []byte(a.Source))
				if err != nil {
					t.Fatalf("seed %d: the schedule does not parse: %v\n%s", seed, err, a.Source)
				}
				if got := scenario.Format(back); got != a.Source {
					t.Fatalf("seed %d: Format(Parse(schedule)) differs:\n%s\nwant\n%s", seed, got, a.Source)
				}
			}
			if generate(t, tt.g, 1).Source == generate(t, tt.g, 2).Source {
				t.Error("seeds 1 and 2 gave the same schedule")
			}
		})
	}
}

func TestGenerateShape(t *testing.T) {
	g := Generator{Duration: 10 * time.Second, FaultRate: 2}
	sizes := map[int]int{}
	for seed := int64(1); seed <= 200; seed++ {
		sc := generate(t, g, seed)
		p := sc.Header.Peers
		sizes[p]++
		if p < 2 || p > 7 {
			t.Errorf("seed %d: %d peers, want 2 to 7", seed, p)
		}
		if got, want := sc.Header.Duration, g.Duration+Settle; got != want {
			t.Errorf("seed %d: duration %v, want %v", seed, got, want)
		}
		var last time.Duration
		for _, st := range sc.Steps {
			if st.When.Kind != scenario.Absolute || st.When.At < last || st.When.At > g.Duration {
				t.Fatalf("seed %d: step %q is not at an absolute time in order within %v", seed, st, g.Duration)
			}
			last = st.When.At
		}
		// The end heals everything.
		var final []string
		for _, st := range sc.Steps {
			if st.When.At == g.Duration {
				final = append(final, st.Cmd.String())
			}
		}
		if !slices.Contains(final, "reset") {
			t.Errorf("seed %d: no reset at the end; last steps %q", seed, final)
		}
	}
	// Every size comes up, the odd ones deployed most often more than the rest.
	for p := 2; p <= 7; p++ {
		if sizes[p] == 0 {
			t.Errorf("200 schedules never have %d peers (sizes %v)", p, sizes)
		}
	}
	if sizes[3] <= sizes[6] || sizes[5] <= sizes[7] {
		t.Errorf("sizes %v: want 3 and 5 peers more often than 6 and 7", sizes)
	}
}

// Swarm testing: each schedule uses part of the kinds, different parts for different
// seeds; without it, every schedule may use every kind.
func TestGenerateSwarm(t *testing.T) {
	subsets := map[string]bool{}
	for seed := int64(1); seed <= 40; seed++ {
		sc := generate(t, Generator{FaultRate: 3}, seed)
		_, swarm, ok := strings.Cut(sc.Description, "Swarm: ")
		if !ok {
			t.Fatalf("seed %d: the description does not say what the swarm picked:\n%s", seed, sc.Description)
		}
		subsets[swarm] = true
		var used []string // the faults scheduled by time (a trigger may fire any)
		for _, st := range sc.Steps {
			used = append(used, st.Cmd.Name())
		}
		for _, k := range Kinds {
			if _, fault := k.fault(); fault && slices.Contains(used, string(k)) && !strings.Contains(swarm, string(k)+" x") {
				t.Errorf("seed %d: %s used but not picked (%s)", seed, k, swarm)
			}
		}
	}
	if len(subsets) < 30 {
		t.Errorf("40 seeds picked only %d different swarms", len(subsets))
	}
	kinds := map[string]bool{}
	for seed := int64(1); seed <= 10; seed++ {
		sc := generate(t, Generator{FaultRate: 5, NoSwarm: true}, seed)
		if strings.Contains(sc.Description, "Swarm") {
			t.Errorf("seed %d: a swarm without swarm testing", seed)
		}
		for _, c := range commandsOf(sc) {
			kinds[c] = true
		}
	}
	if len(kinds) < 14 {
		t.Errorf("10 schedules without swarm testing use only %v", kinds)
	}
}

// About a quarter of the runs use kv clients (DefaultKV), none with KV < 0, all with
// KV 1; the kv workload comes back after a lull as it was.
func TestGenerateKV(t *testing.T) {
	count := func(g Generator) int {
		n := 0
		for seed := int64(1); seed <= 200; seed++ {
			sc := generate(t, g, seed)
			if w := sc.Header.Workload; w != nil && w.Kind == scenario.KVWorkloadKind {
				n++
				for _, st := range sc.Steps {
					if c, ok := st.Cmd.(scenario.WorkloadCmd); ok && c.Spec != nil && c.Spec.Kind != scenario.KVWorkloadKind {
						t.Errorf("seed %d: a kv run's workload comes back as %q", seed, c)
					}
				}
			}
		}
		return n
	}
	if n := count(Generator{}); n < 30 || n > 75 {
		t.Errorf("%d of 200 runs use kv clients, want about 50", n)
	}
	if n := count(Generator{KV: -1}); n != 0 {
		t.Errorf("%d of 200 runs use kv clients with KV < 0", n)
	}
	if n := count(Generator{KV: 1, Rate: 10}); n != 200 {
		t.Errorf("%d of 200 runs use kv clients with KV 1", n)
	}
}

// commandsOf returns the names of the commands a schedule uses, and of the faults its
// on commands fire.
func commandsOf(sc *scenario.Scenario) []string {
	var out []string
	for _, st := range sc.Steps {
		names := []string{st.Cmd.Name()}
		if on, ok := st.Cmd.(scenario.OnCmd); ok {
			names = append(names, on.Cmd.Name())
		}
		for _, name := range names {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

func TestGenerateUsesTheKindsAsked(t *testing.T) {
	tests := []struct {
		kinds   []Kind
		allowed []string
	}{
		{[]Kind{KindCrash}, []string{"crash", "restart", "propose", "reset", "workload"}},
		{[]Kind{KindPartition, KindBridge}, []string{"partition", "bridge", "heal", "reset"}},
		{[]Kind{KindLoss, KindDelay}, []string{"loss", "delay", "reset"}},
		{[]Kind{KindPause}, []string{"pause", "resume", "reset"}},
	}
	for _, tt := range tests {
		g := Generator{Kinds: tt.kinds, FaultRate: 3, Peers: 5}
		for seed := int64(1); seed <= 30; seed++ {
			for _, c := range commandsOf(generate(t, g, seed)) {
				if !slices.Contains(tt.allowed, c) {
					t.Errorf("kinds %v, seed %d: schedule uses %q; want only %v", tt.kinds, seed, c, tt.allowed)
				}
			}
		}
	}
}

func TestGenerateCoversEveryKind(t *testing.T) {
	want := []string{"propose", "workload", "on"}
	for _, f := range chaos.FaultSpecs {
		want = append(want, f.Name)
	}
	seen := map[string]bool{}
	replies := false
	for seed := int64(1); seed <= 40; seed++ {
		sc := generate(t, Generator{FaultRate: 3}, seed)
		for _, c := range commandsOf(sc) {
			seen[c] = true
		}
		replies = replies || strings.Contains(sc.Source, " replies")
	}
	if !replies {
		t.Error("40 schedules never set anything for replies alone")
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("40 schedules never use %q", w)
		}
	}
}

func TestGeneratorValidate(t *testing.T) {
	tests := []struct {
		name string
		g    Generator
		ok   bool
	}{
		{"zero value", Generator{}, true},
		{"too many peers", Generator{Peers: scenario.MaxPeers + 1}, false},
		{"negative peers", Generator{Peers: -1}, false},
		{"too short", Generator{Duration: time.Millisecond}, false},
		{"too long", Generator{Duration: 2 * time.Hour}, false},
		{"negative fault rate", Generator{FaultRate: -1}, false},
		{"workload too fast", Generator{Rate: scenario.MaxRate + 1}, false},
		{"no kinds", Generator{Kinds: []Kind{}}, false},
		{"unknown kind", Generator{Kinds: []Kind{"meteor"}}, false},
	}
	for _, tt := range tests {
		err := tt.g.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrGenerator) {
			t.Errorf("%s: error %v does not wrap ErrGenerator", tt.name, err)
		}
		if _, gerr := tt.g.Generate(1); (gerr == nil) != tt.ok {
			t.Errorf("%s: Generate error = %v, want ok %v", tt.name, gerr, tt.ok)
		}
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in   string
		want []Kind
		ok   bool
	}{
		{"all", Kinds, true},
		{"crash", []Kind{KindCrash}, true},
		{"crash, partition,crash", []Kind{KindCrash, KindPartition}, true},
		{"crash,meteor", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseKinds(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// Every generated schedule runs on the sim, on every size and with and without PreVote,
// and passes on the correct Raft: the new kinds (triggers, replies, tear, kv) give no
// false alarm here. The runs also show that triggers fire and that kv histories are
// checked, so the kinds do something.
func TestGeneratedSchedulesRunClean(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 50 schedules")
	}
	fired, checked := 0, 0
	sizes := map[int]bool{}
	for _, prevote := range []bool{false, true} {
		g := Generator{Duration: 4 * time.Second, FaultRate: 3, KV: 0.5, PreVote: prevote}
		for seed := int64(1); seed <= 25; seed++ {
			sc := generate(t, g, seed)
			sizes[sc.Header.Peers] = true
			var trace bytes.Buffer
			o, err := Run(context.Background(), sc, 0, &trace, "")
			if err != nil {
				t.Fatalf("prevote %v, seed %d: %v\n%s", prevote, seed, err, sc.Source)
			}
			if o.Failure != nil {
				t.Errorf("prevote %v, seed %d: %s: %s\n%s", prevote, seed, o.Failure.Checker, o.Failure.Message, sc.Source)
			}
			fired += bytes.Count(trace.Bytes(), []byte(": fired by "))
			if o.KV != nil && o.KV.Check.Outcome == kv.Linearizable && o.KV.Check.Operations > 0 {
				checked++
			}
		}
	}
	t.Logf("50 runs: %d triggers fired, %d kv histories checked, sizes %v", fired, checked, sizes)
	if fired == 0 {
		t.Error("no trigger fired in 50 runs")
	}
	if checked < 10 {
		t.Errorf("only %d of 50 runs checked a kv history, want about 25", checked)
	}
	if len(sizes) < 5 {
		t.Errorf("50 runs on only the sizes %v", sizes)
	}
}

// Every seed gives a valid schedule (Generate validates what it makes and fails
// otherwise), whatever the options: on every size, with few kinds, without swarm
// testing, with kv clients in every run.
func TestGenerateValidatesEverySeed(t *testing.T) {
	gens := []Generator{
		{},
		{Peers: 2, FaultRate: 10},
		{Peers: 7, NoSwarm: true, KV: 1},
		{Kinds: []Kind{KindTrigger}, FaultRate: 5},
		{Kinds: []Kind{KindTear, KindWorkload}, Rate: 100},
		{Peers: 1, Kinds: []Kind{KindBridge, KindCut}},
	}
	for _, g := range gens {
		for seed := int64(1); seed <= 200; seed++ {
			if _, err := g.Generate(seed); err != nil {
				t.Fatalf("%+v, seed %d: %v", g, seed, err)
			}
		}
	}
}
