package vtime_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos/vtime"
)

// do runs j on w and fails the test if it could not be run.
func do(t *testing.T, w *vtime.Worker, j job) *vtime.Reply {
	t.Helper()
	req, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("Do(%+v): %v", j, err)
	}
	return rep
}

// newWorker returns a worker running this test binary, closed when the test ends, and
// checks then that nothing of it is left running.
func newWorker(t *testing.T) *vtime.Worker {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	w := vtime.NewWorker(vtime.WorkerOptions{HardTimeout: 30 * time.Second, Packages: workerOptions.Packages})
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, ignore)
	})
	return w
}

// A worker process runs fuzz-sized live runs in bubbles, one after another, and lives on
// across jobs, handler errors included.
func TestWorkerRunsLiveClusters(t *testing.T) {
	w := newWorker(t)
	for seed := int64(1); seed <= 3; seed++ {
		rep := do(t, w, job{Kind: "fuzz", Seed: seed})
		if rep.Err != "" || rep.Verdict != nil || rep.Panic != "" || rep.Exit != 0 {
			t.Fatalf("seed %d: reply %+v, want a result", seed, rep)
		}
		var o outcome
		if err := json.Unmarshal(rep.Payload, &o); err != nil {
			t.Fatalf("seed %d: payload %q: %v", seed, rep.Payload, err)
		}
		if !o.Pass || o.Cluster != 10*time.Second || o.Commits == 0 {
			t.Errorf("seed %d: %+v, want a pass over 10s of cluster time with commits", seed, o)
		}
		if rep.Virtual != o.Cluster {
			t.Errorf("seed %d: Virtual = %v, want the run's %v", seed, rep.Virtual, o.Cluster)
		}
		t.Logf("seed %d: %v of cluster time in %v of real time", seed, rep.Virtual, rep.Wall)
	}
	if rep := do(t, w, job{Kind: "error", Seed: 7}); rep.Err != "job 7 failed" || rep.Exit != 0 {
		t.Errorf("error job: Err %q, Exit %d; want the handler's error and a live worker", rep.Err, rep.Exit)
	}
	if rep := do(t, w, job{Kind: "fuzz", Seed: 4}); rep.Err != "" || rep.Exit != 0 {
		t.Errorf("after an error: %+v, want a result", rep)
	}
}

// The planted lock across a call stops the bubble's clock: the goroutines waiting for
// the lock is not durably blocked. The worker's watchdog sees the clock stand still in
// real time, names the peer whose GetState hangs, shows the stacks, and the process
// ends.
func TestWorkerLockAcrossCall(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the watchdog's stall bound in real time")
	}
	w := newWorker(t)
	start := time.Now()
	rep := do(t, w, job{Kind: "lock-across-call"})
	v := rep.Verdict
	if v == nil {
		t.Fatalf("reply %+v, want a verdict", rep)
	}
	if took := time.Since(start); took > workerOptions.Stall+5*time.Second {
		t.Errorf("the verdict took %v of real time, want about the stall bound %v", took, workerOptions.Stall)
	}
	if !v.Stalled || v.Peer != 0 || v.Op != "GetState" || rep.Exit != vtime.ExitVerdict {
		t.Errorf("verdict peer %d op %q stalled %v, exit %d; want peer 0, GetState, stalled, exit %d", v.Peer, v.Op, v.Stalled, rep.Exit, vtime.ExitVerdict)
	}
	if !strings.Contains(v.Message, "clock stopped at 1.005s") || !strings.Contains(v.Message, "wait for a mutex") {
		t.Errorf("message %q, want the clock stopped at 1.005s and goroutines waiting for a mutex", v.Message)
	}
	wantStacks(t, v.Stacks, []stackWant{
		{fn: "stuck.(*Peer).GetState", state: "sync.Mutex.Lock"},
		{fn: "stuck.(*Peer).send", state: "chan receive (durable)"},
		// The clock stopped when GetState blocked: the ticker never ticked again.
		{fn: "stuck.(*Peer).ticker", state: "select (durable)"},
	})
}

// Kill waiting for a goroutine stuck in a call is durably blocked: time goes on, and the
// watchdog's bound of cluster time ends the run at 2s after the call.
func TestWorkerKillHangs(t *testing.T) {
	w := newWorker(t)
	rep := do(t, w, job{Kind: "kill-hangs"})
	v := rep.Verdict
	if v == nil {
		t.Fatalf("reply %+v, want a verdict", rep)
	}
	if v.Stalled || v.Peer != 0 || v.Op != "Kill" {
		t.Errorf("verdict peer %d op %q stalled %v, want peer 0, Kill, not stalled", v.Peer, v.Op, v.Stalled)
	}
	// Kill was called at 1s of cluster time; the bound is 2s, checked every tick.
	if lo, hi := 3*time.Second, 3*time.Second+2*vtime.DefaultTick; v.At <= lo || v.At > hi {
		t.Errorf("verdict at %v, want in (%v, %v]", v.At, lo, hi)
	}
	wantStacks(t, v.Stacks, []stackWant{
		{fn: "stuck.(*Peer).Kill", state: "sync.WaitGroup.Wait (durable)"},
		{fn: "stuck.(*Peer).SendUnlocked.func1", state: "chan receive (durable)"},
	})
}

// A run whose goroutines all block for good while timers tick races through virtual
// time; the watchdog's Limit ends it.
func TestWorkerRunaway(t *testing.T) {
	w := newWorker(t)
	rep := do(t, w, job{Kind: "runaway"})
	if v := rep.Verdict; v == nil || !strings.Contains(v.Message, "has not ended after 1m0s") {
		t.Fatalf("reply %+v, want a verdict of the limit", rep)
	}
}

// A goroutine left behind by a job is synctest's deadlock when the job returns: the job
// answered first, and the reply says what it left (a Raft whose goroutines do not all end
// when it is killed is common, and not the run's failure).
func TestWorkerLeak(t *testing.T) {
	w := newWorker(t)
	rep := do(t, w, job{Kind: "leak"})
	if string(rep.Payload) != "returned" || rep.Verdict != nil {
		t.Fatalf("reply %+v, want the job's answer, and no verdict", rep)
	}
	if l := rep.Leaked; l == nil || !strings.Contains(l.Message, "blocked goroutines remain") {
		t.Fatalf("Leaked %+v, want synctest's finding of goroutines left blocked", rep.Leaked)
	}
	if rep := do(t, w, job{Kind: "error", Seed: 1}); rep.Err != "job 1 failed" {
		t.Errorf("the next job: %+v, want it run by a fresh worker", rep)
	}
}

// A panic in a job's goroutine ends the process; the reply has the panic and its stack,
// and the next job gets a fresh process.
func TestWorkerPanic(t *testing.T) {
	w := newWorker(t)
	rep := do(t, w, job{Kind: "panic", Seed: 42})
	if rep.Panic != "panic: planted panic 42" || rep.Exit != 2 {
		t.Fatalf("Panic %q, Exit %d; want the planted panic and exit 2\n%s", rep.Panic, rep.Exit, rep.Output)
	}
	if len(rep.Stacks) == 0 || rep.Stacks[0].State != "running" || !strings.HasSuffix(rep.Stacks[0].Creator, "vtime_test.handle") {
		t.Errorf("first stack %+v, want the panicking goroutine", rep.Stacks)
	}
	if rep := do(t, w, job{Kind: "error", Seed: 2}); rep.Err != "job 2 failed" {
		t.Errorf("the next job: %+v, want it run by a fresh worker", rep)
	}
}

type stackWant struct{ fn, state string }

// wantStacks checks that for each want some goroutine runs the function in the state.
func wantStacks(t *testing.T, got []vtime.Goroutine, want []stackWant) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			for _, f := range g.Funcs {
				if strings.HasSuffix(f, w.fn) && g.State == w.state {
					found = true
				}
			}
		}
		if !found {
			var b strings.Builder
			for _, g := range got {
				b.WriteString(g.Text + "\n\n")
			}
			t.Errorf("no goroutine in %s in state %q among the verdict's stacks:\n%s", w.fn, w.state, b.String())
		}
	}
	for _, g := range got {
		if !g.Runs(workerOptions.Packages...) {
			t.Errorf("the verdict shows goroutine %d, which runs none of the watched code:\n%s", g.ID, g.Text)
		}
	}
}

// A normal program, not a test, can be its own worker: vtdemo runs fuzz-sized live runs
// in bubbles, and with -plant reports the watchdog's verdict and exits 1.
func TestDemoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program, and waits for the stall bound in real time")
	}
	bin := filepath.Join(t.TempDir(), "vtdemo")
	if out, err := exec.Command("go", "build", "-o", bin, "./internal/vtdemo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"-runs", "3"}, 0, []string{"seed 1: PASS: 10s of cluster time", "seed 3: PASS", "3 runs in"}},
		{[]string{"-plant"}, 1, []string{"deadlock at 1.005s: the cluster's clock stopped", "peer 0: GetState has not returned",
			`stuck.(*Peer).GetState`, `[sync.Mutex.Lock, synctest bubble 1 labels:{"peer": "0"}]`}},
		{[]string{"-runs", "0"}, 2, []string{"usage: vtdemo"}},
	} {
		out, err := exec.Command(bin, tc.args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("vtdemo %v: exit %d, want %d\n%s", tc.args, code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("vtdemo %v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}
