// Command vtdemo shows how a normal program (not a test) runs raft.Raft clusters in
// virtual time: it is its own worker. Run as itself, it starts a worker process (this
// program again, with vtime.EnvWorker set) and sends it one job per seed; the worker runs
// each job, a fuzz-sized schedule on the live engine (five raft.Raft peers over labrpc,
// through the runner and its checkers), inside a synctest bubble under a watchdog. With
// -plant the job is a peer that holds its lock across a call instead, and the watchdog's
// verdict comes back.
//
//	go run ./chaos/vtime/internal/vtdemo -runs 20
//	go run ./chaos/vtime/internal/vtdemo -plant
//
// It exits 0 when every run passed, 1 when one failed or hung, 2 on bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"testing/synctest"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/chaos/vtime/internal/stuck"
)

// job is one run: a seed, or the planted deadlock.
type job struct {
	Seed  int64
	Plant bool
}

// result is a run's outcome.
type result struct {
	Pass    bool
	Failure string
	Cluster time.Duration
}

func main() {
	vtime.Serve(run, vtime.Options{Packages: []string{vtime.RaftPackage, "github.com/miniraft/miniraft/chaos/vtime/internal/stuck."}})
	runs := flag.Int("runs", 10, "how many seeds to run")
	seed := flag.Int64("seed", 1, "the first seed")
	plant := flag.Bool("plant", false, "run a peer that holds its lock across a call instead")
	flag.Parse()
	if *runs < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: vtdemo [-runs N] [-seed S] [-plant]")
		os.Exit(2)
	}
	os.Exit(parent(*runs, *seed, *plant))
}

// parent sends the jobs to a worker and prints what comes back.
func parent(runs int, seed int64, plant bool) int {
	w := vtime.NewWorker(vtime.WorkerOptions{})
	defer w.Close()
	start := time.Now()
	var cluster time.Duration
	code := 0
	for s := seed; s < seed+int64(runs); s++ {
		req, _ := json.Marshal(job{Seed: s, Plant: plant})
		rep, err := w.Do(context.Background(), req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vtdemo:", err)
			return 1
		}
		switch {
		case rep.Verdict != nil:
			fmt.Printf("seed %d: %s", s, rep.Verdict)
			return 1
		case rep.Panic != "":
			fmt.Printf("seed %d: %s\n", s, rep.Panic)
			return 1
		case rep.Err != "":
			fmt.Printf("seed %d: error: %s\n", s, rep.Err)
			return 1
		}
		var r result
		if err := json.Unmarshal(rep.Payload, &r); err != nil {
			fmt.Fprintln(os.Stderr, "vtdemo:", err)
			return 1
		}
		cluster += r.Cluster
		verdict := "PASS"
		if !r.Pass {
			verdict, code = "FAIL "+r.Failure, 1
		}
		fmt.Printf("seed %d: %s: %v of cluster time in %v\n", s, verdict, r.Cluster, rep.Wall.Round(time.Millisecond))
	}
	wall := time.Since(start)
	fmt.Printf("%d runs in %v: %.1f runs/s, %.0f cluster seconds per second\n",
		runs, wall.Round(time.Millisecond), float64(runs)/wall.Seconds(), cluster.Seconds()/wall.Seconds())
	return code
}

// run is the worker's handler: it runs in a bubble.
func run(ctx context.Context, wd *vtime.Watchdog, req []byte) ([]byte, error) {
	var j job
	if err := json.Unmarshal(req, &j); err != nil {
		return nil, err
	}
	if j.Plant {
		pprof.Do(ctx, pprof.Labels(vtime.PeerLabel, "0"), func(context.Context) {
			wire := make(chan struct{})
			p := stuck.New(func() { <-wire }, 10*time.Millisecond)
			// Between two ticks, so that the ticker does not take the lock first.
			time.Sleep(time.Second + 5*time.Millisecond)
			p.Send()
			synctest.Wait()
			defer wd.Watch(0, "GetState")()
			p.GetState()
		})
		return nil, errors.New("the planted deadlock did not hang")
	}
	sc, err := fuzz.Generator{Peers: 5, Duration: 4 * time.Second}.Generate(j.Seed)
	if err != nil {
		return nil, err
	}
	r, err := runner.New(sc, runner.Options{Engine: "live", Seed: j.Seed})
	if err != nil {
		return nil, err
	}
	res, err := r.Run(ctx)
	if err != nil {
		return nil, err
	}
	out := result{Pass: res.Pass, Cluster: res.Duration}
	if res.Failure != nil {
		out.Failure = res.Failure.String()
	}
	return json.Marshal(out)
}
