package vtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/chaos/vtime/internal/stuck"
	"github.com/miniraft/miniraft/scripts"
)

// stuckPkg is the prefix of the planted deadlock's functions.
const stuckPkg = "github.com/miniraft/miniraft/chaos/vtime/internal/stuck."

// workerOptions are the watchdog settings of this test binary's worker processes. The
// stall bound is the default: the scenarios' runs check their kv histories in the
// bubble, which stops its clock for as long as the check takes, and a loaded machine
// under the race detector can take over a second.
var workerOptions = vtime.Options{Stall: vtime.DefaultStall, Limit: time.Minute, Packages: []string{stuckPkg, vtime.RaftPackage}}

// TestMain lets this test binary be its own worker process: a Worker started from a
// test runs the binary again, and Serve then answers its jobs with handle.
func TestMain(m *testing.M) {
	vtime.Serve(handle, workerOptions)
	os.Exit(m.Run())
}

// job is what the tests ask a worker to do.
type job struct {
	Kind string // see handle
	Seed int64
	Name string // of a scenario of the library
}

// outcome is what a "fuzz" job returns.
type outcome struct {
	Pass    bool
	Failure string
	Cluster time.Duration
	Commits int
}

// handle runs a job in the worker's bubble.
func handle(ctx context.Context, wd *vtime.Watchdog, req []byte) ([]byte, error) {
	var j job
	if err := json.Unmarshal(req, &j); err != nil {
		return nil, fmt.Errorf("bad job %q: %w", req, err)
	}
	switch j.Kind {
	case "fuzz":
		// What a live fuzz worker does: a generated schedule of 10s of cluster time on
		// five raft.Raft peers over labrpc, through the runner and its checkers.
		o, err := fuzzRun(ctx, j.Seed)
		if err != nil {
			return nil, err
		}
		return json.Marshal(o)
	case "scenario":
		// A scenario of the library on the live engine.
		src, err := scripts.Read(j.Name)
		if err != nil {
			return nil, err
		}
		sc, err := scenario.Parse(j.Name+scripts.Ext, src)
		if err != nil {
			return nil, err
		}
		o, err := run(ctx, sc, j.Seed)
		if err != nil {
			return nil, err
		}
		return json.Marshal(o)
	case "error":
		return nil, fmt.Errorf("job %d failed", j.Seed)
	case "lock-across-call":
		// The planted bug: a sender holds the peer's lock across a call that never
		// returns (it waits on a channel of the bubble, as a labrpc Call does), and
		// GetState, then the ticker, wait for the lock: the bubble's clock stops. The
		// peer's goroutines carry the label the watchdog reads.
		pprof.Do(ctx, pprof.Labels(vtime.PeerLabel, "0"), func(context.Context) {
			wire := make(chan struct{})
			p := stuck.New(func() { <-wire }, 10*time.Millisecond)
			// The clock runs until the bug strikes, between two ticks, so that the
			// ticker does not take the lock first.
			time.Sleep(time.Second + 5*time.Millisecond)
			p.Send()
			synctest.Wait() // the sender holds the lock
			defer wd.Watch(0, "GetState")()
			p.GetState()
		})
		return nil, nil // never reached
	case "kill-hangs":
		// Kill waits for a sender stuck in its call (not holding the lock), durably: the
		// ticker keeps the clock moving, so the bound of cluster time catches it.
		wire := make(chan struct{})
		p := stuck.New(func() { <-wire }, 10*time.Millisecond)
		p.SendUnlocked()
		time.Sleep(time.Second)
		defer wd.Watch(0, "Kill")()
		p.Kill()
		return nil, nil // never reached
	case "runaway":
		// Every goroutine of the job durably blocked for good, no watched call: time
		// races on (the pulse ticks), until the watchdog's Limit.
		<-make(chan struct{})
		return nil, nil // never reached
	case "leak":
		// A goroutine left blocked after the job returns.
		go func() { select {} }()
		return []byte("returned"), nil
	case "panic":
		go func() { panic(fmt.Sprintf("planted panic %d", j.Seed)) }()
		select {}
	}
	return nil, fmt.Errorf("unknown job kind %q", j.Kind)
}

// fuzzRun runs the schedule fuzz generates for seed (five peers, 4s of faults then 6s to
// settle) on the live engine, where the caller runs: in a bubble, in virtual time.
func fuzzRun(ctx context.Context, seed int64) (outcome, error) {
	sc, err := fuzz.Generator{Peers: 5, Duration: 4 * time.Second}.Generate(seed)
	if err != nil {
		return outcome{}, err
	}
	return run(ctx, sc, seed)
}

// run runs sc on the live engine, where the caller runs.
func run(ctx context.Context, sc *scenario.Scenario, seed int64) (outcome, error) {
	r, err := runner.New(sc, runner.Options{Engine: "live", Seed: seed})
	if err != nil {
		return outcome{}, err
	}
	res, err := r.Run(ctx)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{Pass: res.Pass, Cluster: res.Duration, Commits: res.Workload.Committed}
	if res.Failure != nil {
		o.Failure = res.Failure.String()
	}
	return o, nil
}
