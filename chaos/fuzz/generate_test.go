package fuzz

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
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
	for seed := int64(1); seed <= 50; seed++ {
		sc := generate(t, g, seed)
		if p := sc.Header.Peers; p != 3 && p != 5 {
			t.Errorf("seed %d: %d peers, want 3 or 5", seed, p)
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
}

// faultKinds returns the fault kinds and other command types a schedule uses.
func commandsOf(sc *scenario.Scenario) []string {
	var out []string
	for _, st := range sc.Steps {
		var name string
		switch c := st.Cmd.(type) {
		case scenario.FaultCmd:
			name = c.Kind.String()
		case scenario.ProposeCmd:
			name = "propose"
		case scenario.WorkloadCmd:
			name = "workload"
		default:
			name = st.Cmd.String()
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
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
		g := Generator{Kinds: tt.kinds, FaultRate: 3}
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
	want := []string{"propose", "workload"}
	for k := chaos.Crash; k <= chaos.Reset; k++ {
		want = append(want, k.String())
	}
	seen := map[string]bool{}
	for seed := int64(1); seed <= 40; seed++ {
		for _, c := range commandsOf(generate(t, Generator{FaultRate: 3}, seed)) {
			seen[c] = true
		}
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
