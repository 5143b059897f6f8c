package vtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/vtime"
)

// The benchmarks run what a fuzz worker runs: the schedule fuzz generates for a seed,
// five peers, 10s of cluster time, through the runner and its checkers. Each reports
// runs/s, cluster seconds per real second (cluster-s/s) and the share of runs that
// failed (failed/run: false alarms, since the code is correct). synctest.Test takes a
// *testing.T, which a benchmark does not have, so the bubbles run in worker processes,
// as they would under miniraft fuzz.
//
//	go test -run '^$' -bench 'FuzzRun/sim' -benchtime 200x -count 5 ./chaos/vtime/
//	go test -run '^$' -bench 'FuzzRun/bubble' -benchtime 40x -count 5 ./chaos/vtime/
//	go test -run '^$' -bench 'FuzzRun/realtime/clusters=20$' -benchtime 40x ./chaos/vtime/
func BenchmarkFuzzRun(b *testing.B) {
	b.Run("sim", func(b *testing.B) {
		var failed atomic.Int64
		for i := range b.N {
			sc, err := fuzz.Generator{Peers: 5, Duration: 4 * time.Second}.Generate(int64(i + 1))
			if err != nil {
				b.Fatal(err)
			}
			r, err := runner.New(sc, runner.Options{Engine: "sim"})
			if err != nil {
				b.Fatal(err)
			}
			res, err := r.Run(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if !res.Pass {
				failed.Add(1)
			}
		}
		report(b, 10*time.Second, &failed)
	})
	for _, workers := range []int{1, 2} {
		b.Run("bubble/workers="+string(rune('0'+workers)), func(b *testing.B) {
			var seed, failed atomic.Int64
			b.SetParallelism(1)
			ws := make(chan *vtime.Worker, workers)
			for range workers {
				w := vtime.NewWorker(vtime.WorkerOptions{})
				defer w.Close()
				// Start the process before the clock runs.
				if rep, err := w.Do(context.Background(), mustJSON(b, job{Kind: "error"})); err != nil || rep.Err == "" {
					b.Fatalf("warming a worker: %v %+v", err, rep)
				}
				ws <- w
			}
			b.ResetTimer()
			done := make(chan struct{})
			var runs atomic.Int64
			for range workers {
				go func() {
					defer func() { done <- struct{}{} }()
					w := <-ws
					for runs.Add(1) <= int64(b.N) {
						rep, err := w.Do(context.Background(), mustJSON(b, job{Kind: "fuzz", Seed: seed.Add(1)}))
						var o outcome
						if err != nil || json.Unmarshal(rep.Payload, &o) != nil {
							b.Errorf("run: %v %+v", err, rep)
							return
						}
						if !o.Pass {
							failed.Add(1)
						}
					}
				}()
			}
			for range workers {
				<-done
			}
			report(b, 10*time.Second, &failed)
		})
	}
	// Real time, with many clusters at once: the alternative to virtual time. Each run
	// takes 10s of real time whatever the CPU; clusters run at once (with GOMAXPROCS 2).
	for _, clusters := range []int{20, 100} {
		b.Run(fmt.Sprintf("realtime/clusters=%d", clusters), func(b *testing.B) {
			var seed, failed atomic.Int64
			b.SetParallelism(clusters / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					o, err := fuzzRun(context.Background(), seed.Add(1))
					if err != nil {
						b.Error(err)
					}
					if !o.Pass {
						failed.Add(1)
					}
				}
			})
			report(b, 10*time.Second, &failed)
		})
	}
}

// report adds runs/s and cluster-s/s for b.N runs of d of cluster time each, and the
// share of runs that failed (on correct code, false alarms).
func report(b *testing.B, d time.Duration, failed *atomic.Int64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(failed.Load())/float64(b.N), "failed/run")
	b.ReportMetric(float64(b.N)/s, "runs/s")
	b.ReportMetric(float64(b.N)*d.Seconds()/s, "cluster-s/s")
	b.ReportMetric(0, "ns/op")
}

func mustJSON(b *testing.B, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
