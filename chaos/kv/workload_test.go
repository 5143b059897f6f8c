package kv_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/live"
	"github.com/miniraft/miniraft/chaos/sim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// run is a cluster with a kv workload on it, driven as the runner drives it.
type run struct {
	t testing.TB
	c chaos.Cluster
	w *kv.Workload
}

func newRun(t testing.TB, engine string, peers int, seed int64, cfg kv.Config, p kv.Params) *run {
	t.Helper()
	cfg.Peers, cfg.Seed = peers, seed
	w := kv.New(cfg)
	ccfg := chaos.ClusterConfig{Peers: peers, Seed: seed, NewService: w.NewService}
	var c chaos.Cluster
	var err error
	if engine == "live" {
		c, err = live.New(ccfg)
	} else {
		c, err = sim.New(ccfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	w.Start(c)
	if err := w.Set(p); err != nil {
		t.Fatal(err)
	}
	return &run{t: t, c: c, w: w}
}

// runFor lets d of cluster time pass, stepping the clerks whenever they are due or
// answered.
func (r *run) runFor(d time.Duration) {
	r.t.Helper()
	end := r.c.Now() + d
	for {
		now := r.c.Now()
		if now >= end {
			return
		}
		next := min(end, now+10*time.Millisecond, max(r.w.Next(), now))
		if _, err := r.c.RunUntil(context.Background(), next-now, r.w.Woken); err != nil {
			r.t.Fatal(err)
		}
		r.w.Step()
	}
}

func (r *run) do(f chaos.Fault) {
	r.t.Helper()
	if err := r.c.Do(f); err != nil {
		r.t.Fatal(err)
	}
}

func (r *run) leader() int {
	r.t.Helper()
	id := chaos.LeaderOf(r.c.Peers())
	if id < 0 {
		r.t.Fatal("no leader")
	}
	return id
}

// checkExactlyOnce fails if any read saw a value appended twice: every value written is
// unique, so a retry applied twice would show.
func checkExactlyOnce(t *testing.T, h []kv.Operation) {
	t.Helper()
	for _, o := range h {
		if o.Op != "get" || o.Status != chaos.ClientOK {
			continue
		}
		seen := map[string]bool{}
		for _, v := range strings.Split(o.Output, ";") {
			if v != "" && seen[v] {
				t.Fatalf("%v: %q appears twice: a write was applied twice", o, v)
			}
			seen[v] = true
		}
	}
}

var busy = kv.Params{Clients: 5, Keys: 3, Rate: 200, Reads: 0.5, Timeout: 5 * time.Second}

func TestWorkloadSurvivesCrashes(t *testing.T) {
	r := newRun(t, "sim", 5, 1, kv.Config{MaxRaftState: 1000}, busy)
	r.runFor(time.Second)
	old := r.leader()
	r.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{old}})
	r.runFor(time.Second)
	r.do(chaos.Fault{Kind: chaos.Restart, Peers: []int{old}})
	r.runFor(2 * time.Second)
	res := r.w.Finish(r.c.Now(), time.Minute)

	s := res.Stats
	if got := r.w.Completed(); got != s.OK {
		t.Errorf("Completed() = %d, the history has %d answered", got, s.OK)
	}
	if s.OK < 400 || s.Operations != s.OK+s.TimedOut+s.Unfinished || s.Reads+s.Writes != s.Operations {
		t.Errorf("stats %+v: want over 400 answered, and the counts to add up", s)
	}
	if s.Retries == 0 {
		t.Errorf("no retries, though the leader crashed with requests waiting: %+v", s)
	}
	if res.Check.Outcome != kv.Linearizable {
		t.Errorf("check: %s: %s", res.Check.Outcome, res.Check.Message)
	}
	checkExactlyOnce(t, res.History)
	snaps := 0
	for p := range 5 {
		snaps += r.w.Store(p).Snapshots()
	}
	if snaps == 0 {
		t.Error("no Store asked for a snapshot, with a 1000-byte bound")
	}
	// The restarted peer caught up from snapshots and log: its state matches the leader's.
	r2 := r.w.Store(old).Data()
	if l := r.w.Store(r.leader()).Data(); r.w.Store(old).Applied() == r.w.Store(r.leader()).Applied() && !reflect.DeepEqual(r2, l) {
		t.Errorf("restarted peer %d has %v, the leader %v", old, r2, l)
	}
}

func TestWorkloadIsDeterministicOnSim(t *testing.T) {
	history := func() []kv.Operation {
		r := newRun(t, "sim", 3, 7, kv.Config{}, busy)
		r.runFor(500 * time.Millisecond)
		r.do(chaos.Fault{Kind: chaos.Isolate, Peers: []int{r.leader()}})
		r.runFor(time.Second)
		return r.w.Finish(r.c.Now(), time.Minute).History
	}
	a, b := history(), history()
	if len(a) < 50 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs with one seed differ (%d and %d operations)", len(a), len(b))
	}
}

func TestWorkloadTimesOutWithoutMajority(t *testing.T) {
	p := busy
	p.Timeout = 300 * time.Millisecond
	r := newRun(t, "sim", 3, 2, kv.Config{}, p)
	r.runFor(time.Second)
	r.do(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0}, {1}, {2}}})
	r.runFor(time.Second)
	r.do(chaos.Fault{Kind: chaos.Heal})
	r.runFor(2 * time.Second)
	res := r.w.Finish(r.c.Now(), time.Minute)
	if res.Stats.TimedOut == 0 {
		t.Errorf("nothing timed out in a second without a majority: %+v", res.Stats)
	}
	var gaveUp, after int
	for _, o := range res.History {
		if o.Status == chaos.ClientTimeout {
			gaveUp++
			if d := o.Return - o.Call; d < p.Timeout || d > p.Timeout+50*time.Millisecond {
				t.Errorf("%v gave up after %v; want about %v", o, d, p.Timeout)
			}
		}
		if o.Call > 2*time.Second+time.Second/2 && o.Status == chaos.ClientOK {
			after++
		}
	}
	if after == 0 {
		t.Error("no operation succeeded after the heal")
	}
	if res.Check.Outcome != kv.Linearizable {
		t.Errorf("check: %s: %s", res.Check.Outcome, res.Check.Message)
	}
	checkExactlyOnce(t, res.History)
}

func TestWorkloadOffAndFinish(t *testing.T) {
	r := newRun(t, "sim", 3, 3, kv.Config{}, busy)
	r.runFor(500 * time.Millisecond)
	r.w.Off()
	n := len(r.w.History())
	r.runFor(500 * time.Millisecond)
	h := r.w.History()
	if len(h) != n {
		t.Errorf("%d operations started after Off", len(h)-n)
	}
	for _, o := range h {
		if o.Status != chaos.ClientOK {
			t.Errorf("%v not answered half a second after Off", o)
		}
	}
	// Back on, then end the run with operations outstanding: they are unfinished.
	if err := r.w.Set(busy); err != nil {
		t.Fatal(err)
	}
	r.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{0, 1, 2}})
	r.runFor(100 * time.Millisecond)
	var events []chaos.Event
	r.c.Events().Observe(func(e chaos.Event) { events = append(events, e) }, chaos.EventClient)
	res := r.w.Finish(r.c.Now(), time.Minute)
	if res.Stats.Unfinished == 0 || len(events) != res.Stats.Unfinished {
		t.Errorf("%d unfinished, %d client events at Finish; want some, one each", res.Stats.Unfinished, len(events))
	}
	for _, e := range events {
		if e.Client.Status != chaos.ClientUnfinished {
			t.Errorf("event at Finish %v; want unfinished", e)
		}
	}
	r.w.Step() // a Step after Finish does nothing
	if got := len(r.w.History()); got != len(res.History) {
		t.Errorf("the history grew after Finish: %d, was %d", got, len(res.History))
	}
}

func TestWorkloadLive(t *testing.T) {
	r := newRun(t, "live", 3, 1, kv.Config{MaxRaftState: 2000}, busy)
	r.runFor(time.Second)
	r.do(chaos.Fault{Kind: chaos.Crash, Peers: []int{r.leader()}})
	r.runFor(time.Second)
	res := r.w.Finish(r.c.Now(), time.Minute)
	r.c.Stop()
	if res.Stats.OK < 50 {
		t.Errorf("only %d operations answered in two seconds: %+v", res.Stats.OK, res.Stats)
	}
	if res.Check.Outcome != kv.Linearizable {
		t.Errorf("check: %s: %s", res.Check.Outcome, res.Check.Message)
	}
	checkExactlyOnce(t, res.History)
}

func TestParseParams(t *testing.T) {
	get := func(kvs ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i < len(kvs); i += 2 {
				if kvs[i] == k {
					return kvs[i+1], true
				}
			}
			return "", false
		}
	}
	def := kv.DefaultParams()
	tests := []struct {
		in      []string
		want    kv.Params
		wantErr string
	}{
		{[]string{"rate", "100"}, kv.Params{Clients: 5, Keys: 3, Rate: 100, Reads: 0.5, Timeout: kv.DefaultTimeout}, ""},
		{[]string{"rate", "2.5", "clients", "7", "keys", "1", "reads", "90%", "timeout", "0"},
			kv.Params{Clients: 7, Keys: 1, Rate: 2.5, Reads: 0.9, Timeout: 0}, ""},
		{[]string{"rate", "1", "reads", "0.25", "timeout", "1m30s"},
			kv.Params{Clients: def.Clients, Keys: def.Keys, Rate: 1, Reads: 0.25, Timeout: 90 * time.Second}, ""},
		{[]string{"clients", "x"}, kv.Params{}, "kv: clients=x"},
		{[]string{"clients", "0"}, kv.Params{}, "kv: clients=0: want 1..1000"},
		{[]string{"reads", "1.5"}, kv.Params{}, "kv: reads=1.5: want a fraction from 0 to 1"},
		{[]string{"timeout", "soon"}, kv.Params{}, "kv: timeout=soon"},
	}
	for _, tt := range tests {
		got, err := kv.ParseParams(get(tt.in...))
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("ParseParams(%v) error %v; want one starting %q", tt.in, err, tt.wantErr)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseParams(%v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestWorkloadExactlyOnceUnderRetries(t *testing.T) {
	// Clerks that give up on a server after a millisecond send most requests twice or
	// more, and both copies commit: the duplicate table must keep writes to one each.
	p := busy
	p.Reads = 0.2
	r := newRun(t, "sim", 3, 4, kv.Config{RetryAfter: 3 * time.Millisecond}, p)
	r.runFor(2 * time.Second)
	res := r.w.Finish(r.c.Now(), time.Minute)
	if res.Stats.Retries < res.Stats.Operations/5 {
		t.Fatalf("only %d retries for %d operations; the test needs many", res.Stats.Retries, res.Stats.Operations)
	}
	if res.Check.Outcome != kv.Linearizable {
		t.Errorf("check: %s: %s", res.Check.Outcome, res.Check.Message)
	}
	checkExactlyOnce(t, res.History)
}
