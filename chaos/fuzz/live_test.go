package fuzz

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/labrpc"
)

// The planted Rafts of the live tests: course.Opaque peers with a bug switched on
// after plantAfter of cluster time, on peer 0. This test binary carries them, as a
// binary built by miniraft --raft carries a user's Raft, and is its own worker process.
const (
	deadlockDir = "/planted/deadlock"
	panicDir    = "/planted/panic"
	plantAfter  = time.Second
)

func TestMain(m *testing.M) {
	for _, impl := range []*course.Impl{planted(deadlockDir, "deadlock"), planted(panicDir, "panic")} {
		if err := course.Register(impl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	Serve()
	os.Exit(m.Run())
}

// Raft is a course.Opaque peer whose GetState and Start, once the bug strikes, either
// block for good (as a peer holding its lock across a call that never returns) or start
// a goroutine that panics (as an index out of range after a bad append). It is named
// Raft because labrpc names a service after its receiver's type.
type Raft struct {
	*course.Raft
	bug   string
	start time.Time
	never chan struct{}
	once  sync.Once
}

func (r *Raft) strike() {
	if time.Since(r.start) < plantAfter {
		return
	}
	switch r.bug {
	case "deadlock":
		<-r.never
	case "panic":
		r.once.Do(func() { go func() { panic("planted: index out of range") }() })
	}
}

func (r *Raft) GetState() (int, bool) {
	r.strike()
	return r.Raft.GetState()
}

func (r *Raft) Start(cmd interface{}) (int, int, bool) {
	r.strike()
	return r.Raft.Start(cmd)
}

// planted returns the Impl of Rafts with bug on peer 0, registered for dir.
func planted(dir, bug string) *course.Impl {
	impl := course.Opaque()
	opaque := impl.Make
	impl.Name, impl.Dir = "a Raft with a planted "+bug, dir
	impl.Package = "github.com/miniraft/miniraft/chaos/fuzz"
	impl.Make = func(ends []*labrpc.ClientEnd, me int, ps course.Persister, tap *course.Tap) course.Peer {
		p := opaque(ends, me, ps, tap).(*course.Raft)
		if me != 0 {
			return p
		}
		return &Raft{Raft: p, bug: bug, start: time.Now(), never: make(chan struct{})}
	}
	return impl
}

// A live campaign runs raft.Raft's goroutines in virtual time, in worker processes, and
// finds nothing wrong with a correct Raft.
func TestLiveCampaign(t *testing.T) {
	c := &Campaign{Generator: quick, Engine: Engine{Live: true}, Runs: 8, Workers: 2}
	rep, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 8 || rep.Failed != 0 {
		t.Errorf("%d runs, %d failed (%v), want 8 and none", rep.Runs, rep.Failed, rep.Failures)
	}
	if rep.Engine != "live, virtual time" || rep.Virtual < 8*quick.Duration {
		t.Errorf("engine %q, %v of cluster time: want the live engine in virtual time, at least %v", rep.Engine, rep.Virtual, 8*quick.Duration)
	}
}

// A Raft that deadlocks is found, as a deadlock naming its peer with the stacks of its
// code, within 10s of cluster time of the bug; the failure is shrunk (each candidate run
// up to three times) to a file, whose reruns say how often it reproduces.
func TestLiveDeadlockFoundAndShrunk(t *testing.T) {
	out := t.TempDir()
	gen := Generator{Peers: 3, Duration: 3 * time.Second, FaultRate: 2}
	c := &Campaign{Generator: gen, Engine: Engine{Live: true, Raft: deadlockDir, Reruns: 4}, Runs: 2, Workers: 2,
		ShrinkEach: 1, ShrinkRuns: 60, Out: out}
	rep, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 2 || rep.ByChecker[runner.CheckerDeadlock] != 2 {
		t.Fatalf("failures %v, want both runs to deadlock", rep.ByChecker)
	}
	f := rep.Failures[0]
	if at := f.Violation.At; at < plantAfter || at > plantAfter+10*time.Second {
		t.Errorf("the deadlock was reported at %v of cluster time, want within 10s of the bug at %v", at, plantAfter)
	}
	if msg := f.Violation.Message; len(f.Violation.Peers) != 1 || f.Violation.Peers[0] != 0 || !strings.Contains(msg, "fuzz.(*Raft).strike") {
		t.Errorf("the deadlock names peers %v and says\n%s\nwant peer 0 and the stack of the planted bug", f.Violation.Peers, msg)
	}
	if len(rep.Minimal) != 1 {
		t.Fatalf("%d shrunk failures, want 1", len(rep.Minimal))
	}
	m := rep.Minimal[0]
	if m.StepsAfter > 10 || m.Reruns != 4 || m.Reproduced < 1 {
		t.Errorf("shrunk to %d steps, reproduced in %d of %d reruns: want at most 10 steps, and reproduced", m.StepsAfter, m.Reproduced, m.Reruns)
	}
	src, err := os.ReadFile(m.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"deadlock", "reruns", "Repro: miniraft run"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("%s does not say %q:\n%s", m.File, want, src)
		}
	}
}

// A Raft that panics is a panic violation with the stack, not the end of the campaign:
// every run is made and counted.
func TestLivePanicIsAViolation(t *testing.T) {
	c := &Campaign{Generator: quick, Engine: Engine{Live: true, Raft: panicDir}, Runs: 3, Workers: 1}
	rep, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Runs != 3 || rep.ByChecker[runner.CheckerPanic] != 3 {
		t.Fatalf("%d runs, failures %v: want 3 runs, each a panic", rep.Runs, rep.ByChecker)
	}
	if msg := rep.Failures[0].Violation.Message; !strings.Contains(msg, "planted: index out of range") || !strings.Contains(msg, "goroutine") {
		t.Errorf("the panic violation says\n%s\nwant the panic and its stack", msg)
	}
}
