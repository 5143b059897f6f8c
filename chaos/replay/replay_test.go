package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/chaos/sim"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/scripts"
)

// moment is a sim cluster's state after its first seq events.
type moment struct {
	seq   uint64
	now   time.Duration
	peers []chaos.PeerStatus
	net   chaos.NetState
	stats chaos.NetStats
}

// record drives a 5-peer sim cluster through random faults and proposals for 20s of
// its time, tracing it, and notes its state every 20ms.
func record(t *testing.T, seed int64) ([]byte, []moment) {
	t.Helper()
	var b bytes.Buffer
	tw, err := chaos.NewTraceWriter(&b, chaos.TraceHeader{RunConfig: chaos.RunConfig{Name: "recorded", Engine: "sim", Seed: seed, Peers: 5}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.New(chaos.ClusterConfig{Peers: 5, Seed: seed, Observers: []func(chaos.Event){tw.Observe},
		NewService: func(int) chaos.Service { return chaos.NewDigest(20) }})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	faults := []func() chaos.Fault{
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Crash, Peers: []int{rng.IntN(5)}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Restart, Peers: []int{0, 1, 2, 3, 4}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Pause, Peers: []int{rng.IntN(5)}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Resume, Peers: []int{0, 1, 2, 3, 4}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Isolate, Peers: []int{rng.IntN(5)}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {2, 3, 4}}} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Heal} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Loss, P: 0.2} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Skew, Peers: []int{rng.IntN(5)}, Rate: 2} },
		func() chaos.Fault { return chaos.Fault{Kind: chaos.Reset} },
	}
	var ms []moment
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		if err := c.RunFor(ctx, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if i%25 == 0 {
			if err := c.Do(faults[rng.IntN(len(faults))]()); err != nil {
				t.Fatal(err)
			}
		}
		c.Propose(i)
		ms = append(ms, moment{seq: c.Events().Seq(), now: c.Now(), peers: c.Peers(), net: c.Network(), stats: c.Stats()})
	}
	c.Stop()
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), ms
}

// comparable returns what a replay can know of a peer's status.
func comparable(p chaos.PeerStatus) string {
	p.Progress = nil
	return fmt.Sprintf("%+v", p)
}

// TestReplayRebuildsTheCluster records a sim cluster under random faults, noting its
// state every 20ms, and checks that the replay shows the same state at every one of
// those moments, moving forwards, backwards and by time.
func TestReplayRebuildsTheCluster(t *testing.T) {
	trace, ms := record(t, 5)
	p, err := Open(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string, m moment) {
		t.Helper()
		v := p.View()
		for i := range m.peers {
			if got, want := comparable(v.Peers[i]), comparable(m.peers[i]); got != want {
				t.Fatalf("%s, at %v (event %d), peer %d:\n got %s\nwant %s", how, m.now, m.seq, i, got, want)
			}
		}
		if fmt.Sprint(v.Net) != fmt.Sprint(m.net) {
			t.Fatalf("%s, at %v: network\n got %+v\nwant %+v", how, m.now, v.Net, m.net)
		}
		if v.Stats != m.stats {
			t.Fatalf("%s, at %v: stats %+v, want %+v", how, m.now, v.Stats, m.stats)
		}
	}
	for _, m := range ms {
		p.SeekEvent(int(m.seq))
		check("forwards", m)
	}
	for i := len(ms) - 1; i >= 0; i -= 7 {
		p.SeekEvent(int(ms[i].seq))
		check("backwards", ms[i])
	}
	// By time: the moments at which nothing more happened at the same instant.
	for i := 0; i+1 < len(ms); i += 13 {
		p.Seek(ms[i].now)
		if n, _ := p.Pos(); uint64(n) == ms[i].seq {
			check("by time", ms[i])
		}
	}
	// The recording saw something of every kind.
	last := p.View()
	p.SeekEvent(p.Len())
	last = p.View()
	if last.Run.Checks.Elections < 2 || last.Run.Checks.Restarts == 0 || last.Run.Checks.Snapshots == 0 || last.Run.Faults != 40 {
		t.Errorf("a dull recording: %+v, %d faults", last.Run.Checks, last.Run.Faults)
	}
}

// runScenario runs a library scenario on the sim engine with a trace and returns it,
// the runner's final state and its cluster's peers.
func runScenario(t *testing.T, name string, seed int64) ([]byte, runner.State, []chaos.PeerStatus) {
	t.Helper()
	src, err := scripts.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(name+".chaos", src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r, err := runner.New(sc, runner.Options{Seed: seed, Trace: &b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), r.State(), r.Cluster().Peers()
}

// TestReplayEndsAsTheRunDid replays library runs to their end and compares what the
// views show with the runner's own account: the timeline, the workload, the faults.
func TestReplayEndsAsTheRunDid(t *testing.T) {
	for _, name := range []string{"demo", "snapshot-catch-up", "flaky-network", "crash-restart-all"} {
		t.Run(name, func(t *testing.T) {
			trace, st, peers := runScenario(t, name, 2)
			p, err := Open(bytes.NewReader(trace))
			if err != nil {
				t.Fatal(err)
			}
			p.SeekEvent(p.Len())
			v := p.View()
			if !v.Run.Done || v.Run.Now != p.End() || v.Run.Name != name || v.Run.Seed != 2 || v.Run.Engine != "sim" {
				t.Errorf("run: done %v, now %v (end %v), %q seed %d engine %q", v.Run.Done, v.Run.Now, p.End(), v.Run.Name, v.Run.Seed, v.Run.Engine)
			}
			for i := range peers {
				if got, want := comparable(v.Peers[i]), comparable(peers[i]); got != want {
					t.Errorf("peer %d:\n got %s\nwant %s", i, got, want)
				}
			}
			step := func(s runner.StepState) string { return fmt.Sprintf("%s %v at %v", s.Text, s.Status, s.At) }
			if got, want := mapSteps(v.Run.Steps, step), mapSteps(st.Steps, step); !slices.Equal(got, want) {
				t.Errorf("timeline:\n got %q\nwant %q", got, want)
			}
			w, ww := v.Run.Workload, st.Workload
			if w.Committed != ww.Committed || w.Lost != ww.Lost || w.Refused != ww.Refused || w.Proposed != ww.Proposed {
				t.Errorf("workload %+v, want %+v", w, ww)
			}
			if v.Run.Faults != st.Faults || v.Run.Rate != st.Rate || v.Run.Checks.Elections != st.Checks.Elections {
				t.Errorf("faults %d rate %g elections %d, want %d %g %d", v.Run.Faults, v.Run.Rate, v.Run.Checks.Elections, st.Faults, st.Rate, st.Checks.Elections)
			}
		})
	}
}

func mapSteps(ss []runner.StepState, f func(runner.StepState) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestReplayControls(t *testing.T) {
	trace, _, _ := runScenario(t, "leader-crash", 1)
	p, err := Open(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Unix(0, 0)}
	p.clock = clk.now

	// Paused at the start.
	if n, now := p.Pos(); n != 0 || now != 0 || p.Playing() {
		t.Fatalf("new player at event %d, %v, playing %v; want the start, paused", n, now, p.Playing())
	}
	if _, ok := p.Step(-1); ok {
		t.Error("a step back from the start found an event")
	}

	// Playing follows the clock at the speed set.
	p.SetSpeed(2)
	p.Play()
	clk.t = clk.t.Add(500 * time.Millisecond)
	if _, now := p.Pos(); now != time.Second {
		t.Errorf("after 500ms at 2x: %v, want 1s", now)
	}
	p.Pause()
	clk.t = clk.t.Add(time.Hour)
	if _, now := p.Pos(); now != time.Second {
		t.Errorf("paused, after an hour: %v, want still 1s", now)
	}
	p.Play()
	clk.t = clk.t.Add(time.Hour)
	if n, now := p.Pos(); n != p.Len() || now != p.End() || p.Playing() || !p.View().Run.Done {
		t.Errorf("played past the end: event %d of %d at %v (end %v), playing %v", n, p.Len(), now, p.End(), p.Playing())
	}
	p.Play() // at the end: from the start again
	if _, now := p.Pos(); now != 0 || !p.Playing() {
		t.Errorf("play at the end: at %v, playing %v; want the start, playing", now, p.Playing())
	}
	if err := p.SetSpeed(0); err == nil {
		t.Error("speed 0 accepted")
	}

	// Steps skip messages and come back to the same state.
	p.Seek(3 * time.Second)
	p.Drain()
	before := p.View()
	e, ok := p.Step(5)
	if !ok || e.Kind == chaos.EventNet || p.Playing() {
		t.Fatalf("Step(5) = %v, %v, playing %v", e, ok, p.Playing())
	}
	evs, reset := p.Drain()
	if reset || len(evs) == 0 || evs[len(evs)-1].Seq != e.Seq {
		t.Errorf("after Step(5), Drain = %d events (last %v), reset %v; want new events ending at seq %d", len(evs), last(evs), reset, e.Seq)
	}
	for range 5 {
		p.Step(-1)
	}
	p.Seek(3 * time.Second)
	if got := p.View(); fmt.Sprint(got.Peers) != fmt.Sprint(before.Peers) {
		t.Errorf("5 steps on and 5 back and a seek: peers\n%v\nwant\n%v", got.Peers, before.Peers)
	}
	p.Step(3)
	cur, _ := p.Current()
	p.Step(-1)
	evs, reset = p.Drain()
	if !reset || len(evs) == 0 || evs[len(evs)-1].Seq >= cur.Seq {
		t.Errorf("after a step back, Drain = %d events, reset %v; want the history before seq %d", len(evs), reset, cur.Seq)
	}

	if _, err := p.SeekViolation(); !errors.Is(err, ErrNoViolation) {
		t.Errorf("SeekViolation on a passing run: %v, want ErrNoViolation", err)
	}
}

func last(es []model.Seen) interface{} {
	if len(es) == 0 {
		return nil
	}
	return es[len(es)-1].Seq
}

func TestReplayFindsTheViolation(t *testing.T) {
	// A run that fails an expectation at 2s.
	sc, err := scenario.Parse("fails.chaos", []byte("peers 3\nseed 4\nworkload rate=10\nat 1s crash leader\nat 2s expect term >= 99\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	r, err := runner.New(sc, runner.Options{Trace: &b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	p, err := Open(&b)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.View(); v.Run.Failure != nil {
		t.Errorf("a failure shown before it happened: %v", v.Run.Failure)
	}
	vio, err := p.SeekViolation()
	if err != nil {
		t.Fatal(err)
	}
	v := p.View()
	if vio.Checker != "expect" || v.Run.Failure == nil || v.Run.Failure.Checker != "expect" || v.Run.Now != 2*time.Second {
		t.Errorf("at the violation (%v): failure %v at %v", vio, v.Run.Failure, v.Run.Now)
	}
	if got := v.Run.Steps[len(v.Run.Steps)-1].Status; got != runner.StepFailed {
		t.Errorf("the failed expectation's step is %v, want failed", got)
	}
	crashed := 0
	for _, ps := range v.Peers {
		if ps.State == chaos.Crashed {
			crashed++
			if ps.Role != raft.Follower {
				t.Errorf("crashed peer %d shown as %v", ps.ID, ps.Role)
			}
		}
	}
	if crashed != 1 {
		t.Errorf("%d peers crashed at the violation, want 1", crashed)
	}
}

func TestOpenBadTraces(t *testing.T) {
	header := `{"format":"miniraft-trace","version":1,"name":"x","engine":"sim","seed":1,"peers":3,"scenario":""}` + "\n"
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "empty input"},
		{"not a trace", "hello\n", "not a miniraft trace"},
		{"no peers", strings.Replace(header, `"peers":3`, `"peers":0`, 1), "0 peers"},
		{"peer out of range", header + `{"seq":1,"at":0,"kind":"raft","peer":7,"raft":{"Kind":"boot","Peer":7}}` + "\n", "peer 7 does not exist"},
		{"raft without content", header + `{"seq":1,"at":0,"kind":"raft","peer":0}` + "\n", "without its content"},
		{"bad fault", header + `{"seq":1,"at":0,"kind":"fault","peer":-1,"fault":{"Kind":"crash","Peers":[9]}}` + "\n", "peer 9 does not exist"},
		{"time runs back", header + `{"seq":1,"at":5,"kind":"note","peer":-1}` + "\n" + `{"seq":2,"at":4,"kind":"note","peer":-1}` + "\n", "comes before"},
		{"bad line", header + "{\n", "trace line 2"},
	}
	for _, tt := range tests {
		_, err := Open(strings.NewReader(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Open = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// A replay jumps to the next and the previous landmark (a fault, a new leader, a
// violation), or violation, from wherever it stands, and says when there is none.
func TestReplayJumps(t *testing.T) {
	trace, _, _ := runScenario(t, "leader-crash", 1)
	p, err := Open(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	src := Source{P: p}
	var marks []chaos.Event
	for i := 0; i < p.Len(); i++ {
		if e := p.events[i]; IsLandmark(e) {
			marks = append(marks, e)
		}
	}
	if len(marks) < 4 {
		t.Fatalf("%d landmarks in leader-crash: the test needs more", len(marks))
	}
	// Forward through every landmark, in order.
	for i, want := range marks {
		msg, err := src.Jump(false, true)
		if err != nil {
			t.Fatalf("jump %d: %v", i, err)
		}
		if cur, _ := p.Current(); cur.Seq != want.Seq || p.Playing() {
			t.Fatalf("jump %d: at seq %d (%s), want %d", i, cur.Seq, msg, want.Seq)
		}
		if want.Fault != nil && !strings.Contains(msg, "fault: "+want.Fault.String()) {
			t.Errorf("jump %d: message %q does not name the fault", i, msg)
		}
	}
	if _, err := src.Jump(false, true); err == nil || !strings.Contains(err.Error(), "no fault, new leader or violation after") {
		t.Errorf("past the last landmark: %v", err)
	}
	// And back.
	for i := len(marks) - 2; i >= 0; i-- {
		if _, err := src.Jump(false, false); err != nil {
			t.Fatalf("back to %d: %v", i, err)
		}
		if cur, _ := p.Current(); cur.Seq != marks[i].Seq {
			t.Fatalf("back to landmark %d: at seq %d, want %d", i, cur.Seq, marks[i].Seq)
		}
	}
	if _, err := src.Jump(false, false); err == nil {
		t.Error("a jump back from the first landmark found one")
	}
	// No violation in a passing run, either way.
	if _, err := src.Jump(true, true); err == nil || !strings.Contains(err.Error(), "no violation after") {
		t.Errorf("next violation in a passing run: %v", err)
	}
}

// v and V go through the violations of a trace with several.
func TestReplayJumpsViolations(t *testing.T) {
	sc, err := scenario.Parse("fails.chaos", []byte("peers 3\nseed 4\nwait leader within 5s\nat 1s expect term >= 99\nat 2s expect term >= 98\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	// Held open, the run goes on after the first failure; it stops once the last step
	// (line 5) has ended.
	ended := make(chan struct{})
	var once sync.Once
	r, err := runner.New(sc, runner.Options{Trace: &b, Hold: true, Observers: []func(chaos.Event){func(e chaos.Event) {
		if e.Kind == chaos.EventStep && e.Line == 5 && e.Outcome != "" {
			once.Do(func() { close(ended) })
		}
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Source()
	s.Start(context.Background())
	<-ended
	if _, err := s.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := Open(&b)
	if err != nil {
		t.Fatal(err)
	}
	src := Source{P: p}
	var at []time.Duration
	for {
		if _, err := src.Jump(true, true); err != nil {
			break
		}
		_, now := p.Pos()
		at = append(at, now)
	}
	if len(at) != 2 || at[0] != time.Second || at[1] != 2*time.Second {
		t.Fatalf("violations at %v, want 1s and 2s", at)
	}
	if _, err := src.Jump(true, false); err != nil {
		t.Fatal(err)
	}
	if _, now := p.Pos(); now != time.Second {
		t.Errorf("back from the second violation: at %v, want 1s", now)
	}
}
