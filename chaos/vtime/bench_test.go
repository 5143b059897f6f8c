package vtime_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/vtime"
)

// The benchmarks run what a fuzz worker runs: the schedule fuzz generates for a seed,
// five peers, 10s of cluster time, through the runner and its checkers. Each reports
// runs/s and cluster seconds per real second (cluster-s/s). synctest.Test takes a
// *testing.T, which a benchmark does not have, so the bubbles run in worker processes,
// as they would under miniraft fuzz.
//
//	go test -run '^$' -bench 'FuzzRun/(sim|bubble)' -count 5 ./chaos/vtime/
//	go test -run '^$' -bench 'FuzzRun/realtime' -benchtime 40x ./chaos/vtime/
func BenchmarkFuzzRun(b *testing.B) {
	b.Run("sim", func(b *testing.B) {
		for i := range b.N {
			sc, err := fuzz.Generator{Peers: 5, Duration: 4 * time.Second}.Generate(int64(i + 1))
			if err != nil {
				b.Fatal(err)
			}
			r, err := runner.New(sc, runner.Options{Engine: "sim"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		report(b, 10*time.Second)
	})
	for _, workers := range []int{1, 2} {
		b.Run("bubble/workers="+string(rune('0'+workers)), func(b *testing.B) {
			var seed atomic.Int64
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
						if err != nil || rep.Payload == nil {
							b.Errorf("run: %v %+v", err, rep)
							return
						}
					}
				}()
			}
			for range workers {
				<-done
			}
			report(b, 10*time.Second)
		})
	}
	// Real time, with many clusters at once: the alternative to virtual time. Each run
	// takes 10s; 20 run at once.
	b.Run("realtime/clusters=20", func(b *testing.B) {
		var seed atomic.Int64
		b.SetParallelism(10) // 10 x GOMAXPROCS goroutines (2 here: 20 clusters)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := fuzzRun(context.Background(), seed.Add(1)); err != nil {
					b.Error(err)
				}
			}
		})
		report(b, 10*time.Second)
	})
}

// report adds runs/s and cluster-s/s for b.N runs of d of cluster time each.
func report(b *testing.B, d time.Duration) {
	s := b.Elapsed().Seconds()
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
