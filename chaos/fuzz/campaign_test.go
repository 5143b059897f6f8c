package fuzz

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
)

// quick makes short schedules, so campaigns in tests take little time.
var quick = Generator{Peers: 3, Duration: 2 * time.Second, FaultRate: 3}

func TestInShard(t *testing.T) {
	tests := []struct {
		seed int64
		i, n int
		want bool
	}{
		{0, 0, 1, true}, {7, 0, 1, true},
		{6, 0, 3, true}, {7, 1, 3, true}, {8, 2, 3, true}, {8, 0, 3, false},
		{-1, 2, 3, true}, {-3, 0, 3, true}, {-2, 0, 3, false},
	}
	for _, tt := range tests {
		if got := inShard(tt.seed, tt.i, tt.n); got != tt.want {
			t.Errorf("inShard(%d, %d, %d) = %v, want %v", tt.seed, tt.i, tt.n, got, tt.want)
		}
	}
}

func TestCampaignShardsSplitTheRange(t *testing.T) {
	defer goleak.VerifyNone(t)
	const start, runs, shards = 10, 12, 3
	total := 0
	for i := range shards {
		c := &Campaign{Generator: quick, SeedStart: start, Runs: runs, Shard: i, Shards: shards, Workers: 2}
		rep, err := c.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// Shard i of 3 of seeds 10..21 takes the four seeds congruent to i.
		wantFirst := int64(start + (i-start%shards+shards)%shards)
		if rep.Runs != runs/shards || rep.FirstSeed != wantFirst || rep.LastSeed != wantFirst+(runs/shards-1)*shards {
			t.Errorf("shard %d/%d: %d runs, seeds %d..%d; want %d runs from %d", i, shards, rep.Runs, rep.FirstSeed, rep.LastSeed, runs/shards, wantFirst)
		}
		total += rep.Runs
	}
	if total != runs {
		t.Errorf("the shards made %d runs together, want %d", total, runs)
	}
}

func TestCampaignOnCorrectRaft(t *testing.T) {
	defer goleak.VerifyNone(t)
	var mu sync.Mutex
	var calls, last int
	c := &Campaign{Generator: quick, SeedStart: 1, Runs: 20, Workers: 3, Out: t.TempDir(),
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if p.Runs < last || p.Total != 20 {
				t.Errorf("progress %+v after %d runs", p, last)
			}
			last = p.Runs
		}}
	rep, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 20 || rep.Failed != 0 || len(rep.Failures) != 0 || len(rep.Minimal) != 0 {
		t.Fatalf("report: %d runs, %d failed (%v); want 20 runs and no failure", rep.Runs, rep.Failed, rep.Failures)
	}
	if want := 20 * (quick.Duration + Settle); rep.Virtual != want {
		t.Errorf("virtual time %v, want %v", rep.Virtual, want)
	}
	if rep.Faults == 0 || rep.Events == 0 || rep.RPCs == 0 || rep.Wall <= 0 || rep.Workers != 3 {
		t.Errorf("report figures: faults %d, events %d, messages %d, wall %v, workers %d", rep.Faults, rep.Events, rep.RPCs, rep.Wall, rep.Workers)
	}
	if calls != 20 || last != 20 {
		t.Errorf("progress called %d times, last at %d runs; want 20 and 20", calls, last)
	}
	var b strings.Builder
	rep.WriteSummary(&b)
	for _, want := range []string{"runs", "20", "(seeds 1..20)", "faults applied", "events", "virtual time", "no violations"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCampaignTimeBudget(t *testing.T) {
	defer goleak.VerifyNone(t)
	start := time.Now()
	rep, err := (&Campaign{Generator: quick, Time: 300 * time.Millisecond, Workers: 2}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs == 0 {
		t.Error("no run in 300ms")
	}
	// Generous: the budget ends the search; a run under way is cut short.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a 300ms campaign took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err = (&Campaign{Generator: quick, Runs: 1000}).Run(ctx)
	if err != nil || rep.Runs != 0 {
		t.Errorf("cancelled campaign: %d runs, %v; want none and no error", rep.Runs, err)
	}
}

func TestCampaignValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Campaign
	}{
		{"no bound", Campaign{}},
		{"negative runs", Campaign{Runs: -1}},
		{"shard out of range", Campaign{Runs: 10, Shard: 3, Shards: 3}},
		{"shard without shards", Campaign{Runs: 10, Shard: 1}},
		{"negative workers", Campaign{Runs: 10, Workers: -1}},
		{"bad generator", Campaign{Runs: 10, Generator: Generator{Peers: 99}}},
	}
	for _, tt := range tests {
		rep, err := tt.c.Run(context.Background())
		if err == nil || rep != nil {
			t.Errorf("%s: Run = %v, %v; want an error", tt.name, rep, err)
		}
		if !errors.Is(err, ErrCampaign) && !errors.Is(err, ErrGenerator) {
			t.Errorf("%s: %v wraps neither ErrCampaign nor ErrGenerator", tt.name, err)
		}
	}
}

// A shrunk schedule's files are named for the seed the scenario carries, which the
// shrinker may have changed from the seed of the schedule it shrank; the file says both.
// Beside the scenario and its trace is the report of its run.
func TestMinimalFilesNameTheSeedTheyCarry(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	sc := parse(t, "peers 3\nseed 9\nwait leader within 5s\nexpect leaders == 3\n")
	cc := &campaign{Campaign: &Campaign{Out: dir, Tool: "miniraft test"}, repro: func(f string) string { return "miniraft run " + f }}
	m := &Minimal{Checker: "expect", Seed: 5, Shrunk: &Shrunk{Scenario: sc, Failure: chaos.Violation{Checker: "expect"}, StepsBefore: 9, StepsAfter: 2, PeersBefore: 5, PeersAfter: 3}}
	if err := cc.writeMinimal(context.Background(), simExecutor{}, m); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "expect-seed9.min")
	if m.File != base+".chaos" || m.Trace != base+".jsonl" || m.Page != base+".html" || m.Repro != "miniraft run "+base+".chaos" {
		t.Errorf("files %q, %q, %q, repro %q; want them named %s", m.File, m.Trace, m.Page, m.Repro, base)
	}
	src, err := os.ReadFile(m.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in the schedule of seed 5", "which runs with seed 9", "\nseed 9\n"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("%s lacks %q:\n%s", m.File, want, src)
		}
	}
	for _, f := range []string{m.Trace, m.Page} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if page, _ := os.ReadFile(m.Page); !strings.Contains(string(page), "miniraft run "+base+".chaos") {
		t.Errorf("the report does not give the command that runs the shrunk schedule")
	}
}

// A campaign counts its kv runs and says how many were checked for linearizability.
func TestCampaignCountsKVRuns(t *testing.T) {
	g := quick
	g.KV = 1
	rep, err := (&Campaign{Generator: g, SeedStart: 1, Runs: 4, Workers: 2}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 4 || rep.Failed != 0 || rep.KVRuns != 4 || rep.KVUnsettled != 0 {
		t.Fatalf("report: %d runs, %d failed, %d kv runs, %d unsettled; want 4, 0, 4, 0", rep.Runs, rep.Failed, rep.KVRuns, rep.KVUnsettled)
	}
	var b strings.Builder
	rep.WriteSummary(&b)
	for _, want := range []string{"kv runs ", "(4 checked for linearizability, 0 not settled within 2s)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	g.KV = -1
	rep, err = (&Campaign{Generator: g, SeedStart: 1, Runs: 2}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	rep.WriteSummary(&b)
	if rep.KVRuns != 0 || strings.Contains(b.String(), "kv runs") {
		t.Errorf("without kv clients: %d kv runs, summary:\n%s", rep.KVRuns, b.String())
	}
}
