// Command stress runs Go tests many times in parallel to find rare failures.
//
// It builds the package's test binary once, lists the tests matching -run, and runs each
// test -runs times, -p at a time, each run in its own process. It shows progress while it
// works, then a table per test (runs, failures, mean and max time), and keeps the full
// output of every failed run in -logs.
//
//	go run ./scripts/stress -run 2B -runs 200 -p 8
//	make stress TEST=2B RUNS=200 PAR=8
//
// It exits 1 if any run failed, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type result struct {
	test    string
	run     int
	elapsed time.Duration
	failed  bool
	output  []byte
}

type options struct {
	pkg, pattern, logs string
	runs, par          int
	race               bool
	timeout            time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.pkg, "pkg", "./raft/", "the package whose tests to run")
	fs.StringVar(&o.pattern, "run", ".", "run the tests matching this regular expression")
	fs.IntVar(&o.runs, "runs", 100, "runs of each test")
	fs.IntVar(&o.par, "p", 4, "runs at a time")
	fs.BoolVar(&o.race, "race", false, "build with the race detector")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "time limit of one run")
	fs.StringVar(&o.logs, "logs", "", "directory for the logs of failed runs (default out/stress-TIME)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: stress [flags]\n\nRuns each test matching -run, -runs times, -p at a time; keeps failed runs' logs.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.runs < 1 || o.par < 1 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if _, err := regexp.Compile(o.pattern); err != nil {
		fmt.Fprintf(stderr, "stress: bad -run: %v\n", err)
		return 2
	}
	if o.logs == "" {
		o.logs = filepath.Join("out", "stress-"+time.Now().Format("20060102-150405"))
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if err := stress(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "stress: %v\n", err)
		if errors.Is(err, errFailures) {
			return 1
		}
		return 2
	}
	return 0
}

var errFailures = errors.New("some runs failed")

func stress(ctx context.Context, o options, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "stress")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "test.bin")
	build := []string{"test", "-c", "-o", bin}
	if o.race {
		build = append(build, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(build, o.pkg)...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", o.pkg, err)
	}
	out, err := exec.CommandContext(ctx, bin, "-test.list", o.pattern).Output()
	if err != nil {
		return fmt.Errorf("list tests: %w", err)
	}
	var tests []string
	for _, l := range strings.Fields(string(out)) {
		if strings.HasPrefix(l, "Test") {
			tests = append(tests, l)
		}
	}
	if len(tests) == 0 {
		return fmt.Errorf("no tests match %q in %s", o.pattern, o.pkg)
	}

	type job struct {
		test string
		run  int
	}
	jobs := make(chan job)
	results := make(chan result)
	var wg sync.WaitGroup
	for range o.par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- runOne(ctx, bin, j.test, j.run, o.timeout, filepath.Dir(mustAbs(o.pkg)))
			}
		}()
	}
	go func() {
		defer close(jobs)
		for r := range o.runs {
			for _, t := range tests {
				select {
				case jobs <- job{t, r}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	total := o.runs * len(tests)
	start := time.Now()
	byTest := map[string][]result{}
	done, failed := 0, 0
	for r := range results {
		done++
		byTest[r.test] = append(byTest[r.test], result{test: r.test, run: r.run, elapsed: r.elapsed, failed: r.failed})
		if r.failed {
			failed++
			if err := os.MkdirAll(o.logs, 0o755); err == nil {
				name := filepath.Join(o.logs, fmt.Sprintf("%s-%d.log", r.test, r.run))
				if err := os.WriteFile(name, r.output, 0o644); err == nil {
					fmt.Fprintf(stderr, "\rFAIL %s run %d: log in %s\n", r.test, r.run, name)
				}
			}
		}
		el := time.Since(start)
		eta := time.Duration(float64(el) / float64(done) * float64(total-done))
		fmt.Fprintf(stderr, "\r[%d/%d] %d failed, %s elapsed, about %s left   ", done, total, failed, el.Round(time.Second), eta.Round(time.Second))
	}
	fmt.Fprintln(stderr)

	fmt.Fprintf(stdout, "%-45s %6s %6s %9s %9s\n", "test", "runs", "fails", "mean", "max")
	for _, t := range tests {
		rs := byTest[t]
		var sum, worst time.Duration
		fails := 0
		for _, r := range rs {
			sum += r.elapsed
			worst = max(worst, r.elapsed)
			if r.failed {
				fails++
			}
		}
		mean := time.Duration(0)
		if len(rs) > 0 {
			mean = sum / time.Duration(len(rs))
		}
		fmt.Fprintf(stdout, "%-45s %6d %6d %8.1fs %8.1fs\n", t, len(rs), fails, mean.Seconds(), worst.Seconds())
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d (logs in %s)", errFailures, failed, done, o.logs)
	}
	return nil
}

func mustAbs(p string) string {
	a, err := filepath.Abs(filepath.Join(p, "x"))
	if err != nil {
		return p
	}
	return a
}

func runOne(ctx context.Context, bin, test string, n int, timeout time.Duration, dir string) result {
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+regexp.QuoteMeta(test)+"$", "-test.count", "1", "-test.timeout", timeout.String(), "-test.v")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return result{test: test, run: n, elapsed: time.Since(start), failed: err != nil, output: out}
}
