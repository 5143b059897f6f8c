package kv_test

import (
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
)

// history10k returns the first 10,000 operations of 5 clients on 3 keys, from a sim run
// going as fast as the clerks can; with faults, the leader is isolated and later a
// majority cut off, so the history holds retries and writes of unknown outcome.
func history10k(t testing.TB, faults bool) []kv.Operation {
	p := kv.Params{Clients: 5, Keys: 3, Rate: 100000, Reads: 0.5, Timeout: time.Second}
	r := newRun(t, "sim", 5, 1, kv.Config{}, p)
	step := 0
	for len(r.w.History()) < 10000 {
		r.runFor(500 * time.Millisecond)
		if faults {
			switch step {
			case 2:
				r.do(chaos.Fault{Kind: chaos.Isolate, Peers: []int{r.leader()}})
			case 4:
				r.do(chaos.Fault{Kind: chaos.Heal})
			case 6:
				r.do(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {2, 3}, {4}}})
			case 10:
				r.do(chaos.Fault{Kind: chaos.Heal})
			}
		}
		step++
	}
	r.w.Off()
	r.runFor(2 * time.Second)
	h := r.w.Finish(r.c.Now(), time.Nanosecond).History // the check runs in the benchmark
	return h[:10000]
}

func TestHistory10k(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 10,000-operation histories")
	}
	for _, faults := range []bool{false, true} {
		h := history10k(t, faults)
		s := kv.Summarize(h)
		if faults && (s.TimedOut == 0 || s.Retries == 0) {
			t.Errorf("the faulty history has no timeouts or retries: %+v", s)
		}
		if r := kv.Check(h, time.Minute); r.Outcome != kv.Linearizable {
			t.Errorf("faults %v: %s: %s", faults, r.Outcome, r.Message)
		}
	}
}

// BenchmarkCheck10k measures the goal: checking a 5-client, 3-key history of 10,000
// operations takes under 5 seconds.
func BenchmarkCheck10k(b *testing.B) {
	for _, bc := range []struct {
		name   string
		faults bool
	}{{"no-faults", false}, {"faults", true}} {
		b.Run(bc.name, func(b *testing.B) {
			h := history10k(b, bc.faults)
			b.ResetTimer()
			for b.Loop() {
				if r := kv.Check(h, time.Minute); r.Outcome != kv.Linearizable {
					b.Fatalf("%s: %s", r.Outcome, r.Message)
				}
			}
		})
	}
}
