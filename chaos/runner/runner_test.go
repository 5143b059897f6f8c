package runner

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/miniraft/miniraft/chaos"
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

// held starts a held-open run of sc at full speed and returns it with the events it
// publishes (every event but messages and deliveries), and a function that stops it.
func held(t *testing.T, src string) (*Runner, <-chan chaos.Event) {
	t.Helper()
	events := make(chan chaos.Event, 1<<16)
	r, err := New(parseScenario(t, "held", src), Options{Seed: 1, Hold: true, Observers: []func(chaos.Event){func(e chaos.Event) {
		if e.Kind != chaos.EventNet && e.Kind != chaos.EventDeliver && e.Kind != chaos.EventRaft {
			select {
			case events <- e:
			default:
			}
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Source()
	s.Start(context.Background())
	t.Cleanup(func() { s.Close() })
	return r, events
}

// next returns the next event that match accepts.
func next(t *testing.T, events <-chan chaos.Event, what string, match func(chaos.Event) bool) chaos.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if match(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

func isExpect(e chaos.Event) bool { return e.Kind == chaos.EventExpect }

// expect COND for D typed at the command bar holds COND to the end of D, as in a file.
func TestTypedExpectFor(t *testing.T) {
	r, events := held(t, "peers 3\nwait leader within 5s\n")
	next(t, events, "leader", func(e chaos.Event) bool { return e.Kind == chaos.EventExpect && e.OK })

	if err := r.Exec("expect leaders == 1 for 2s"); err != nil {
		t.Fatal(err)
	}
	typed := next(t, events, "the typed command", func(e chaos.Event) bool { return e.Kind == chaos.EventStep && e.Line == 0 })
	got := next(t, events, "the expectation's outcome", isExpect)
	if !got.OK || got.At-typed.At < 2*time.Second {
		t.Errorf("expect ... for 2s: ok %v after %v, want ok after 2s (%s)", got.OK, got.At-typed.At, got.Text)
	}

	// Broken before its end: it fails when it breaks.
	if err := r.Exec("expect leaders == 1 for 10s"); err != nil {
		t.Fatal(err)
	}
	if err := r.Exec("crash leader"); err != nil {
		t.Fatal(err)
	}
	typed = next(t, events, "the typed command", func(e chaos.Event) bool { return e.Kind == chaos.EventStep && e.Line == 0 })
	got = next(t, events, "the expectation's outcome", isExpect)
	if got.OK || got.At-typed.At >= 10*time.Second || !strings.Contains(got.Text, "expect leaders == 1 for 10s") {
		t.Errorf("expect ... for 10s broken by a crash: ok %v after %v (%s), want a failure at once", got.OK, got.At-typed.At, got.Text)
	}
}

// The command bar refuses what it cannot run, up front, with the column.
func TestExecRefuses(t *testing.T) {
	r, _ := held(t, "peers 3\n")
	tests := []struct {
		line string
		want string // "" for accepted
	}{
		{"sleep 3s", `col 1: a command cannot sleep here: "sleep"`},
		{"cut 0->0", `col 8: a peer has no link to itself: "0"`},
		{"cut 1 -> 1", `col 10: a peer has no link to itself: "1"`},
		{"loss 10% 2 -> 2", `col 15: a peer has no link to itself: "2"`},
		{"cut 0,1 -> 0,1", ""},
		{"cut leader -> leader", ""}, // known only when it runs: see TestNoEffect
	}
	for _, tt := range tests {
		err := r.Exec(tt.line)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("Exec(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// A fault that would change nothing says so, and is no fault.
func TestNoEffect(t *testing.T) {
	r, events := held(t, "peers 3\nwait leader within 5s\n")
	next(t, events, "leader", func(e chaos.Event) bool { return e.Kind == chaos.EventExpect && e.OK })
	tests := []struct {
		line string
		note string // "" when it is a fault
	}{
		{"restart 1", "restart 1: no effect: peer 1 is not crashed"},
		{"crash 1", ""},
		{"crash 1", "crash 1: no effect: peer 1 is already crashed"},
		{"resume 1,2", "resume 1,2: no effect: none of peers 1,2 is paused"},
		{"pause 1", "pause 1: no effect: peer 1 is not up (crashed, or paused already)"},
		{"cut leader -> leader", "cut leader -> leader: no effect: a peer has no link to itself"},
		{"restart 1", ""},
	}
	for _, tt := range tests {
		if err := r.Exec(tt.line); err != nil {
			t.Fatalf("Exec(%q): %v", tt.line, err)
		}
		next(t, events, "the typed "+tt.line, func(e chaos.Event) bool { return e.Kind == chaos.EventStep && e.Text == "> "+tt.line })
		e := next(t, events, "what "+tt.line+" did", func(e chaos.Event) bool { return e.Kind == chaos.EventFault || e.Kind == chaos.EventNote })
		switch {
		case tt.note == "" && e.Kind != chaos.EventFault:
			t.Errorf("%s: %s, want the fault", tt.line, e.Text)
		case tt.note != "" && (e.Kind != chaos.EventNote || e.Text != tt.note):
			t.Errorf("%s: %v %q, want the note %q", tt.line, e.Kind, e.Text, tt.note)
		}
	}
}

// A held-open run with a kv workload checks the history when its timeline is over, so a
// view can give the scenario's verdict then; the note that says so carries the check,
// the model shows it with the clients' figures, and the trace stays true to its schema.
func TestHeldKVChecksWhenTheTimelineIsOver(t *testing.T) {
	const src = "peers 3\nworkload kv clients=4 keys=2 rate=100\nwait leader within 5s\nsleep 1s\n"
	var trace syncBuffer
	events := make(chan chaos.Event, 1<<16)
	r, err := New(parseScenario(t, "kvheld", src), Options{Seed: 1, Hold: true, Trace: &trace, Observers: []func(chaos.Event){func(e chaos.Event) {
		if e.Kind == chaos.EventNote {
			events <- e
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Source()
	s.Start(context.Background())
	note := next(t, events, "the check's note", func(e chaos.Event) bool { return e.KV != nil })
	if note.KV.Outcome != "linearizable" || note.KV.Operations == 0 || !strings.Contains(note.Text, "are linearizable") {
		t.Errorf("the check: %+v %q", *note.KV, note.Text)
	}
	v := s.View()
	c := v.Run.Clients
	if c == nil || c.Check == nil || c.Check.Outcome != "linearizable" || c.Rate != 100 || len(c.Recent) == 0 || c.Pending > 4 {
		t.Fatalf("the view's clients: %+v", c)
	}
	if _, err := s.Close(); err != nil {
		t.Fatal(err)
	}
	header, event := traceSchema(t)
	lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
	for i, l := range lines {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		sch := event
		if i == 0 {
			sch = header
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("line %d does not match the schema: %v\n%s", i+1, err, l)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Commands typed while the run is paused run at once, wherever the pause found the run
// (it may be computing a slice of cluster time).
func TestCommandsRunWhilePaused(t *testing.T) {
	r, events := held(t, "peers 3\nwait leader within 5s\n")
	next(t, events, "leader", func(e chaos.Event) bool { return e.Kind == chaos.EventExpect && e.OK })
	for i := range 10 {
		if i%2 == 0 {
			// The cluster pauses first, as it does when a pause comes while the run
			// computes a slice: the run is then held inside the cluster.
			r.Cluster().Pause()
		}
		r.Pause()
		line := "crash 1"
		if i%2 == 1 {
			line = "restart 1"
		}
		if err := r.Exec(line); err != nil {
			t.Fatal(err)
		}
		next(t, events, "the fault of "+line+" while paused", func(e chaos.Event) bool { return e.Kind == chaos.EventFault })
		if !r.Paused() || !r.Cluster().Paused() {
			t.Fatal("the run went on while paused")
		}
		r.Resume()
	}
}

// The result says how long the run was paused, so its speed leaves the pause out.
func TestResultCountsThePause(t *testing.T) {
	const pause = 300 * time.Millisecond
	sc := parseScenario(t, "p", "peers 3\nwait leader within 5s\nsleep 1s\n")
	r, err := New(sc, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.Pause()
	resumed := make(chan struct{})
	go func() {
		defer close(resumed)
		time.Sleep(pause) // a person looking at the paused cluster
		r.Resume()
	}()
	res, err := r.Run(context.Background())
	<-resumed
	if err != nil || !res.Pass {
		t.Fatalf("run: %v, %v", err, res.Failure)
	}
	if res.Paused < pause || res.Paused > res.Wall {
		t.Errorf("paused %v of %v; want at least %v, at most the run's", res.Paused, res.Wall, pause)
	}
}
