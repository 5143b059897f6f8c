package runner

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/scripts"
	"go.uber.org/goleak"
)

// TestLibraryOpaqueInBubble runs every scenario of the library that a Raft other than
// MiniRaft's can run (Unsupported) on peers the live engine watches from outside
// (course.Opaque: raft.Raft as a student's Raft is seen), in virtual time (a synctest
// bubble), as miniraft run --raft DIR runs them in real time.
func TestLibraryOpaqueInBubble(t *testing.T) {
	skipped := 0
	for _, name := range scripts.Names() {
		sc := parseScenario(t, name, "")
		if why := Unsupported(sc, course.Opaque()); why != "" {
			t.Logf("%s: skipped: %s", name, why)
			skipped++
			continue
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res := runScenario(t, sc, Options{Engine: "live", Seed: 1, Impl: course.Opaque()})
				if !res.Pass {
					var b strings.Builder
					res.WriteSummary(&b)
					t.Errorf("%s", b.String())
				}
			})
		})
	}
	if n := len(scripts.Names()); skipped > n/3 {
		t.Errorf("%d of %d scenarios skipped as unsupported: want most of the library to run on any Raft", skipped, n)
	}
}

// A panic in the run's goroutine (on the sim engine, raft.Node's code runs there) ends
// the run with a "panic" violation carrying the stack, not the program. Here the panic
// comes from an observer, which the sim engine calls from the run's goroutine as it
// calls the Raft.
func TestPanicIsAViolation(t *testing.T) {
	sc := parseScenario(t, "p", "peers 3\nworkload rate=20\nwait commit 10 within 5s\n")
	applies := 0
	boom := func(e chaos.Event) {
		if e.Raft != nil && e.Raft.Kind == raft.EventApply {
			if applies++; applies == 3 {
				panic("planted panic at the third apply")
			}
		}
	}
	res := runScenario(t, sc, Options{Engine: "sim", Seed: 1, Observers: []func(chaos.Event){boom}})
	if res.Pass || res.Failure == nil || res.Failure.Checker != CheckerPanic {
		t.Fatalf("result %v %+v, want a %q failure", res.Pass, res.Failure, CheckerPanic)
	}
	for _, want := range []string{"planted panic at the third apply", "TestPanicIsAViolation", "goroutine"} {
		if !strings.Contains(res.Failure.Message, want) {
			t.Errorf("the violation's message does not mention %q:\n%s", want, res.Failure.Message)
		}
	}
}

// Raft is a course Raft whose GetState and Start block for good once stuck is closed, as
// a peer holding its lock across a blocking call does. (labrpc names a service after its
// receiver's type: peers call "Raft.AppendEntries".)
type Raft struct {
	*course.Raft
	stuck <-chan struct{}
	never chan struct{}
}

func (s *Raft) block() {
	select {
	case <-s.stuck:
		<-s.never
	default:
	}
}

func (s *Raft) GetState() (int, bool) {
	s.block()
	return s.Raft.GetState()
}

func (s *Raft) Start(cmd interface{}) (int, int, bool) {
	s.block()
	return s.Raft.Start(cmd)
}

// Outside a bubble, in real time, a watchdog's verdict ends a run whose peer is stuck
// for good: Run returns a deadlock violation naming the peer, with its stacks, within
// the watchdog's bound, though the run's own goroutine is stuck in the peer.
func TestWatchdogEndsAStuckRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: real time")
	}
	stuck, never := make(chan struct{}), make(chan struct{})
	defer func() {
		// The stuck peer's goroutines, and Stop's, which waits for them, end once it is
		// let go: nothing is left for the next test.
		close(never)
		goleak.VerifyNone(t)
	}()
	impl := course.Opaque()
	opaque := impl.Make
	impl.Name = "a Raft that gets stuck"
	impl.Make = func(ends []*labrpc.ClientEnd, me int, ps course.Persister, tap *course.Tap) course.Peer {
		p := opaque(ends, me, ps, tap).(*course.Raft)
		if me != 1 {
			return p
		}
		return &Raft{Raft: p, stuck: stuck, never: never}
	}
	wd := vtime.New(vtime.Options{Bound: time.Second, Packages: []string{"github.com/miniraft/miniraft/chaos/runner."}})
	defer wd.Close()
	stop := wd.Pulse()
	defer stop()
	sc := parseScenario(t, "stuck", "peers 3\nworkload rate=50\nwait leader within 5s\nsleep 1s\nsleep 30s\n")
	r, err := New(sc, Options{Engine: "live", Seed: 1, Impl: impl, Watchdog: wd})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1500 * time.Millisecond)
		close(stuck)
	}()
	start := time.Now()
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %v: the verdict should end it a second or so after the peer got stuck", took)
	}
	if res.Pass || res.Failure == nil || res.Failure.Checker != CheckerDeadlock {
		t.Fatalf("result %v %+v, want a %q failure", res.Pass, res.Failure, CheckerDeadlock)
	}
	if f := res.Failure; len(f.Peers) != 1 || f.Peers[0] != 1 || !strings.Contains(f.Message, "runner.(*Raft).block") {
		t.Errorf("the violation names peers %v and says\n%s\nwant peer 1 and the stuck peer's stacks", f.Peers, f.Message)
	}
}

// TestUnsupported: a Raft other than MiniRaft's cannot run what needs its settings, its
// timers or events only its own code sees; MiniRaft's runs everything.
func TestUnsupported(t *testing.T) {
	const head = "peers 3\nduration 2s\n"
	tests := []struct {
		name, src, want string // want: a piece of the reason, or "" for supported
	}{
		{"plain", head + "at 1s crash 1\n", ""},
		{"tear", head + "at 1s tear 1\n", ""},
		{"on leader", head + "on leader crash leader\n", ""},
		{"on term", head + "on term 1 crash 1\n", ""},
		{"prevote", "prevote on\n" + head, "PreVote"},
		{"checkquorum", "checkquorum on\n" + head, "CheckQuorum"},
		{"skew", head + "at 1s skew 1 2\n", "skews clocks (line 3)"},
		{"on vote", head + "on vote 1 crash 1\n", "vote events (line 3)"},
		{"on append", head + "on append crash 1\n", "append events (line 3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := parseScenario(t, tt.name, tt.src)
			if got := Unsupported(sc, nil); got != "" {
				t.Errorf("Unsupported(MiniRaft) = %q, want \"\"", got)
			}
			got := Unsupported(sc, course.Opaque())
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Unsupported(opaque) = %q, want %q", got, tt.want)
			}
		})
	}
}
