package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

func parseScenario(t *testing.T, name, src string) *scenario.Scenario {
	t.Helper()
	if src == "" {
		b, err := scripts.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		src = string(b)
	}
	sc, err := scenario.Parse(name+".chaos", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func runScenario(t *testing.T, sc *scenario.Scenario, opts Options) *Result {
	t.Helper()
	r, err := New(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.KV() != res.KV {
		t.Error("Runner.KV and Result.KV differ")
	}
	return res
}

func TestKVResult(t *testing.T) {
	var trace bytes.Buffer
	res := runScenario(t, parseScenario(t, "kv-crash-restart", ""), Options{Engine: "sim", Seed: 3, Trace: &trace})
	if !res.Pass {
		t.Fatalf("kv-crash-restart failed: %v", res.Failure)
	}
	k := res.KV
	if k == nil || k.Check.Outcome != kv.Linearizable || k.Stats.OK < 1000 || len(k.History) != k.Stats.Operations {
		t.Fatalf("kv result %+v; want a linearizable history of over 1000 answered operations", k)
	}
	if res.Checks.Snapshots == 0 || res.Checks.Installs == 0 {
		t.Errorf("snapshots %d taken, %d installed; the kv service should snapshot by size and a restarted peer catch up by one", res.Checks.Snapshots, res.Checks.Installs)
	}

	// The trace holds every operation as a client event, and the check's outcome.
	_, events, err := chaos.ReadTrace(&trace)
	if err != nil {
		t.Fatal(err)
	}
	clients, outcome := 0, false
	for _, e := range events {
		switch {
		case e.Kind == chaos.EventClient && e.Client != nil:
			clients++
		case e.Kind == chaos.EventNote && strings.HasPrefix(e.Text, "linearizability: linearizable"):
			outcome = true
		}
	}
	if clients != k.Stats.Operations || !outcome {
		t.Errorf("trace has %d client events (want %d) and the outcome note: %v", clients, k.Stats.Operations, outcome)
	}

	// So do the result's JSON and summary.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		KV struct {
			Check   struct{ Outcome string }
			History []chaos.ClientOp
		}
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.KV.Check.Outcome != string(kv.Linearizable) || len(back.KV.History) != len(k.History) || back.KV.History[0] != k.History[0] {
		t.Errorf("JSON round trip: outcome %q, %d operations; want %q, %d", back.KV.Check.Outcome, len(back.KV.History), kv.Linearizable, len(k.History))
	}
	var sum strings.Builder
	res.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "linearizability: linearizable") || !strings.Contains(sum.String(), "kv: ") {
		t.Errorf("summary lacks the kv lines:\n%s", sum.String())
	}
}

func TestKVTraceIsDeterministic(t *testing.T) {
	sc := parseScenario(t, "kv-stale-read", "")
	var a, b bytes.Buffer
	runScenario(t, sc, Options{Engine: "sim", Seed: 11, Trace: &a})
	runScenario(t, sc, Options{Engine: "sim", Seed: 11, Trace: &b})
	if a.Len() == 0 || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two sim runs with one seed wrote different traces (%d and %d bytes)", a.Len(), b.Len())
	}
}

func TestKVWorkloadSwitches(t *testing.T) {
	sc := parseScenario(t, "switch", `peers 3
workload rate=20
wait leader within 5s
wait commits >= 5 within 5s
workload kv clients=3 keys=2 rate=50
sleep 1s
workload rate=20
sleep 500ms
workload off
sleep 500ms
`)
	res := runScenario(t, sc, Options{Engine: "sim", Seed: 1})
	if !res.Pass || res.KV == nil {
		t.Fatalf("pass %v (%v), kv %v", res.Pass, res.Failure, res.KV)
	}
	if n := res.KV.Stats.OK; n < 30 || n > 60 {
		t.Errorf("%d kv operations answered in the second the kv workload ran at 50/s", n)
	}
	if res.KV.Params.Clients != 3 || res.KV.Params.Keys != 2 {
		t.Errorf("kv params %+v; want the step's", res.KV.Params)
	}
	for _, h := range res.KV.History {
		if h.Call < res.KV.History[0].Call || h.Key != "k0" && h.Key != "k1" {
			t.Errorf("operation %v outside the kv workload's keys", h)
		}
	}
	if res.Workload.Committed < 10 {
		t.Errorf("only %d basic proposals committed", res.Workload.Committed)
	}
}

func TestKVNeedsTheService(t *testing.T) {
	sc := parseScenario(t, "nokv", "peers 3\nwait leader within 5s\nsleep 1s\n")
	var notes []string
	r, err := New(sc, Options{Engine: "sim", Seed: 1, Observers: []func(chaos.Event){func(e chaos.Event) {
		if e.Kind == chaos.EventNote {
			notes = append(notes, e.Text)
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Exec("workload kv rate=10"); err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.KV != nil || !res.Pass {
		t.Errorf("kv %v, pass %v; want no kv workload and a pass", res.KV, res.Pass)
	}
	found := false
	for _, n := range notes {
		found = found || strings.Contains(n, "skipped") && strings.Contains(n, "kv service")
	}
	if !found {
		t.Errorf("notes %q; want the typed kv workload skipped", notes)
	}
}

func TestKVBoundsAgree(t *testing.T) {
	if scenario.MaxKVClients != kv.MaxClients || scenario.MaxKVKeys != kv.MaxKeys {
		t.Errorf("the language allows %d clients and %d keys, the workload %d and %d",
			scenario.MaxKVClients, scenario.MaxKVKeys, kv.MaxClients, kv.MaxKeys)
	}
}

// BenchmarkKVLive measures the goal: the kv workload on a 5-peer live cluster with no
// faults sustains at least 2,000 operations per second with a median latency under
// 10 ms. Each iteration runs the cluster for 3 seconds of real time, clients going as
// fast as their answers come; ops/s and the median latency are reported.
func BenchmarkKVLive(b *testing.B) {
	for _, clients := range []int{5, 20} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			src := fmt.Sprintf("peers 5\nworkload kv clients=%d keys=3 rate=100000\nwait leader within 5s\nsleep 3s\n", clients)
			sc, err := scenario.Parse("kv-live.chaos", []byte(src))
			if err != nil {
				b.Fatal(err)
			}
			var ops, p50, p99 float64
			n := 0
			for b.Loop() {
				r, err := New(sc, Options{Engine: "live", Seed: 1, CheckBudget: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				res, err := r.Run(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if !res.Pass {
					b.Fatalf("the run failed: %v", res.Failure)
				}
				s := res.KV.Stats
				ops += s.Throughput
				p50 += float64(s.P50) / float64(time.Millisecond)
				p99 += float64(s.P99) / float64(time.Millisecond)
				n++
			}
			b.ReportMetric(ops/float64(n), "ops/s")
			b.ReportMetric(p50/float64(n), "p50-ms")
			b.ReportMetric(p99/float64(n), "p99-ms")
		})
	}
}
