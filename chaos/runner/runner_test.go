package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
)

// stopAtStep runs sc with opts until step (its line) starts, then stops it, and returns
// the result.
func stopAtStep(t *testing.T, src string, line int, opts Options) *Result {
	t.Helper()
	started := make(chan struct{})
	var once bool
	opts.Observers = append(opts.Observers, func(e chaos.Event) {
		if e.Kind == chaos.EventStep && e.Line == line && e.Outcome == "" && !once {
			once = true
			close(started)
		}
	})
	r, err := New(parseScenario(t, "stopped", src), opts)
	if err != nil {
		t.Fatal(err)
	}
	type ran struct {
		res *Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		res, err := r.Run(context.Background())
		done <- ran{res, err}
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatalf("step of line %d never started", line)
	}
	r.Stop()
	got := <-done
	if got.err != nil {
		t.Fatal(got.err)
	}
	return got.res
}

func TestInterruptedRun(t *testing.T) {
	const src = `peers 3
wait leader within 5s
propose 3
wait commits >= 1000000 within 1h
`
	for _, hold := range []bool{false, true} {
		res := stopAtStep(t, src, 4, Options{Seed: 1, Speed: 50, Hold: hold})
		in := res.Interrupted
		if in == nil {
			t.Fatalf("hold %v: a run stopped in step 3 of 3 is not interrupted: %+v", hold, res.Result)
		}
		if in.Step != 3 || in.Steps != 3 || in.Finished || !strings.HasPrefix(in.Text, "wait commits") {
			t.Errorf("hold %v: interrupted %+v, want step 3 of 3, running", hold, *in)
		}
		if res.Pass || res.Failure != nil || res.Verdict() != "INTERRUPTED" {
			t.Errorf("hold %v: pass %v, failure %v, verdict %s; want neither a pass nor a failure", hold, res.Pass, res.Failure, res.Verdict())
		}
		if got, want := in.String(), "interrupted at step 3 of 3 (wait commits >= 1000000 within "; !strings.HasPrefix(got, want) {
			t.Errorf("hold %v: %q, want %q", hold, got, want)
		}
		var b strings.Builder
		res.WriteSummary(&b)
		if !strings.HasPrefix(b.String(), "INTERRUPTED stopped ") || !strings.Contains(b.String(), "interrupted at step 3 of 3") {
			t.Errorf("hold %v: summary:\n%s", hold, b.String())
		}
	}
}

func TestRunsNotInterrupted(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		hold    bool
		verdict string
	}{
		{"to the end", "peers 3\nwait leader within 5s\npropose\n", false, "PASS"},
		{"ended by a failure", "peers 3\nwait leader within 5s\nexpect commits >= 1000\nsleep 10s\n", false, "FAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runScenario(t, parseScenario(t, "x", tt.src), Options{Seed: 1, Hold: tt.hold})
			if res.Interrupted != nil || res.Verdict() != tt.verdict {
				t.Errorf("interrupted %v, verdict %s; want %s", res.Interrupted, res.Verdict(), tt.verdict)
			}
		})
	}
}

// A held run stopped after its timeline is over passed: the person only stopped
// watching.
func TestHeldRunStoppedAfterTheTimeline(t *testing.T) {
	sc := parseScenario(t, "x", "peers 3\nwait leader within 5s\n")
	r, err := New(sc, Options{Seed: 1, Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	src := r.Source()
	src.Start(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for !src.View().Run.TimelineOver() {
		if time.Now().After(deadline) {
			t.Fatal("the timeline never ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	res, err := src.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted != nil || !res.Pass {
		t.Errorf("stopped after the timeline: interrupted %v, pass %v", res.Interrupted, res.Pass)
	}
}

var _ = model.StepDone
