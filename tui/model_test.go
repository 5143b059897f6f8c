package tui

import (
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft"
)

// fakeSource is a Source whose state the test sets. Safe for concurrent use.
type fakeSource struct {
	q *chaos.Queue

	mu    sync.Mutex
	snap  Snapshot
	execs []string
	reset bool
}

func newFakeSource(peers int) *fakeSource {
	s := &fakeSource{q: chaos.NewQueue()}
	s.snap.Run = runmodel.State{Name: "fake", Engine: "sim", Current: -1, Speed: 1}
	for i := range peers {
		p := chaos.PeerStatus{State: chaos.Up, ClockRate: 1}
		p.ID, p.VotedFor, p.Leader = i, raft.None, raft.None
		s.snap.Peers = append(s.snap.Peers, p)
	}
	s.snap.Net = chaos.NewNetState(peers)
	return s
}

func (s *fakeSource) View() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap
}

func (s *fakeSource) set(f func(*Snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snap
	snap.Peers = append([]chaos.PeerStatus(nil), snap.Peers...)
	f(&snap)
	s.snap = snap
}

func (s *fakeSource) Wake() <-chan struct{} { return s.q.Wait() }
func (s *fakeSource) Drain() ([]runmodel.Seen, bool) {
	s.mu.Lock()
	reset := s.reset
	s.reset = false
	s.mu.Unlock()
	var out []runmodel.Seen
	for _, e := range s.q.Drain() {
		out = append(out, runmodel.Seen{Event: e})
	}
	return out, reset
}
func (s *fakeSource) Caps() Caps { return Caps{Commands: true, Speed: true} }
func (s *fakeSource) Exec(line string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execs = append(s.execs, line)
	return nil
}
func (s *fakeSource) Pause()                 {}
func (s *fakeSource) Resume()                {}
func (s *fakeSource) SetSpeed(float64) error { return nil }

// rig is a model under test, with an interval long enough that only events and kicks
// make frames.
type rig struct {
	m      *model
	frames chan *frame
	made   chan bool
}

func startModel(t *testing.T, src Source) *rig {
	t.Helper()
	r := &rig{frames: make(chan *frame, 100), made: make(chan bool, 100)}
	r.m = newModel(src, time.Hour, func(f *frame) { r.frames <- f })
	r.m.made = func(posted bool) { r.made <- posted }
	go r.m.run(nil)
	t.Cleanup(func() {
		close(r.m.quit)
		<-r.m.done
	})
	return r
}

// next waits for the next frame made, and wants it posted.
func (r *rig) next(t *testing.T, what string) *frame {
	t.Helper()
	select {
	case posted := <-r.made:
		if !posted {
			t.Fatalf("%s: the frame made was not posted", what)
		}
		return <-r.frames
	case <-time.After(10 * time.Second):
		t.Fatalf("no frame: %s", what)
	}
	return nil
}

// none asks for a frame and wants it judged unchanged.
func (r *rig) none(t *testing.T, what string) {
	t.Helper()
	r.m.kick()
	select {
	case posted := <-r.made:
		if posted {
			f := <-r.frames
			t.Fatalf("%s: got a frame (t=%v, %d events)", what, f.snap.Run.Now, len(f.events))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the model made no frame when kicked", what)
	}
}

func TestModelFrames(t *testing.T) {
	src := newFakeSource(3)
	r := startModel(t, src)

	f := r.next(t, "the first frame, at start")
	if len(f.snap.Peers) != 3 || f.leader != raft.None {
		t.Fatalf("first frame: %d peers, leader %d", len(f.snap.Peers), f.leader)
	}

	r.none(t, "nothing changed")

	// A new leader shows.
	src.set(func(s *Snapshot) { s.Peers[1].Role = raft.Leader; s.Peers[1].Term = 1 })
	r.m.kick()
	if f := r.next(t, "a leader was elected"); f.leader != 1 {
		t.Errorf("leader %d, want 1", f.leader)
	}

	// An event that matters makes a frame without a kick or a tick.
	src.q.Push(chaos.Event{Seq: 1, Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Heal}})
	if f := r.next(t, "a fault happened"); len(f.events) != 1 || f.events[0].cat != catFault {
		t.Errorf("frame after a fault has events %v", f.events)
	}

	// Time passing shows to the tenth of a second, no finer.
	src.set(func(s *Snapshot) { s.Run.Now = 50 * time.Millisecond })
	r.none(t, "time moved by less than shown")
	src.set(func(s *Snapshot) { s.Run.Now = 150 * time.Millisecond })
	r.m.kick()
	r.next(t, "time moved by a tenth of a second")

	// A replay seeking back forgets the events.
	src.mu.Lock()
	src.reset = true
	src.mu.Unlock()
	src.q.Push(chaos.Event{Seq: 1, Kind: chaos.EventNote, Peer: -1, Text: "again"})
	if f := r.next(t, "after a reset"); len(f.events) != 1 || f.events[0].ev.Text != "again" {
		t.Errorf("after a reset the frame has %d events", len(f.events))
	}
}

func TestModelKeepsRecentEvents(t *testing.T) {
	src := newFakeSource(1)
	m := newModel(src, time.Hour, func(*frame) {})
	var seq uint64
	push := func(n int) {
		for range n {
			seq++
			src.q.Push(chaos.Event{Seq: seq, Kind: chaos.EventNote, Peer: -1})
		}
		m.drain()
	}
	push(maxEvents - 10)
	kept := m.recent()
	push(100)
	got := m.recent()
	if len(got) != maxEvents {
		t.Fatalf("kept %d events, want %d", len(got), maxEvents)
	}
	if last := got[len(got)-1].ev.Seq; last != seq {
		t.Errorf("newest event kept is %d, want %d", last, seq)
	}
	if first := got[0].ev.Seq; first != seq-maxEvents+1 {
		t.Errorf("oldest event kept is %d, want %d", first, seq-maxEvents+1)
	}
	for range 10 {
		push(3 * maxEvents / 2)
		got = m.recent()
		if len(got) != maxEvents || got[len(got)-1].ev.Seq != seq || got[0].ev.Seq != seq-maxEvents+1 {
			t.Fatalf("after a flood: %d events, %d..%d (want %d, ..%d)", len(got), got[0].ev.Seq, got[len(got)-1].ev.Seq, maxEvents, seq)
		}
		if cap(m.events) > 2*maxEvents {
			t.Fatalf("the event list grew to a capacity of %d", cap(m.events))
		}
	}
	// A frame made before still sees what it saw.
	for i, it := range kept {
		if it.ev.Seq != uint64(i+1) {
			t.Fatalf("an earlier frame's event %d changed to %d", i+1, it.ev.Seq)
		}
	}
}

func TestSameFrame(t *testing.T) {
	base := func() *frame {
		src := newFakeSource(3)
		return &frame{snap: src.View(), leader: raft.None}
	}
	tests := []struct {
		name   string
		change func(f *frame)
		same   bool
	}{
		{"nothing", func(*frame) {}, true},
		{"time within the tenth", func(f *frame) { f.snap.Run.Now = 99 * time.Millisecond }, true},
		{"time past the tenth", func(f *frame) { f.snap.Run.Now = 100 * time.Millisecond }, false},
		{"term", func(f *frame) { f.snap.Peers[0].Term = 2 }, false},
		{"log", func(f *frame) { f.snap.Peers[0].Terms = []raft.TermRun{{Index: 1, Term: 1}} }, false},
		{"cut", func(f *frame) {
			f.snap.Net = f.snap.Net.Clone()
			f.snap.Net.Apply(chaos.Fault{Kind: chaos.Isolate, Peers: []int{0}})
		}, false},
		{"paused", func(f *frame) { f.snap.Run.Paused = true }, false},
		{"event", func(f *frame) { f.events = []item{{ev: chaos.Event{Seq: 1}}} }, false},
	}
	for _, tt := range tests {
		a, b := base(), base()
		b.snap.Peers = append([]chaos.PeerStatus(nil), b.snap.Peers...)
		tt.change(b)
		if got := sameFrame(a, b); got != tt.same {
			t.Errorf("%s: sameFrame = %v, want %v", tt.name, got, tt.same)
		}
	}
}

// A failed expectation of the timeline is one event in the view, shown as the run's
// failure: the violation it is recorded as says the same again.
func TestFailedExpectationOnce(t *testing.T) {
	src := newFakeSource(3)
	r := startModel(t, src)
	r.next(t, "the first frame")
	msg := "line 6: expect leaders == 3: failed: leaders is 1"
	src.q.Push(chaos.Event{Seq: 1, Kind: chaos.EventExpect, Peer: -1, Line: 6, Text: msg})
	src.q.Push(chaos.Event{Seq: 2, Kind: chaos.EventViolation, Peer: -1, Line: 6, Violation: &chaos.Violation{Checker: "expect", Message: msg}})
	src.q.Push(chaos.Event{Seq: 3, Kind: chaos.EventExpect, Peer: -1, Text: "expect leader: no leader"}) // typed at the bar
	var f *frame
	for f == nil || len(f.events) < 2 {
		f = r.next(t, "the events")
	}
	if len(f.events) != 2 {
		t.Fatalf("%d events, want the expectation once and the typed one", len(f.events))
	}
	for _, filter := range eventFilters {
		rows := filterEvents(f.events, filter, -1)
		if len(rows) == 0 || rows[0].it.ev.Seq != 1 {
			t.Errorf("filter %q does not show the failure", filter.name)
		}
	}
	if cat, text, _ := describe(f.events[0]); cat != catViolation || text != "✗ FAILED "+msg {
		t.Errorf("the failure shows as %v %q", cat, text)
	}
	if cat, _, _ := describe(f.events[1]); cat != catStep {
		t.Errorf("a typed expectation that fails is a %v, want a step", cat)
	}
}

func TestSameFrameClients(t *testing.T) {
	base := func() *frame {
		f := &frame{snap: newFakeSource(3).View(), leader: raft.None}
		f.snap.Run.Clients = &runmodel.KVClients{Rate: 10, Pending: 1}
		return f
	}
	for _, tt := range []struct {
		name   string
		change func(*frame)
	}{
		{"pending", func(f *frame) { c := *f.snap.Run.Clients; c.Pending = 2; f.snap.Run.Clients = &c }},
		{"an answer", func(f *frame) {
			c := *f.snap.Run.Clients
			c.Recent = []chaos.ClientOp{{Client: 1, Seq: 1}}
			f.snap.Run.Clients = &c
		}},
		{"the check", func(f *frame) {
			c := *f.snap.Run.Clients
			c.Check = &chaos.KVCheck{Outcome: "linearizable"}
			f.snap.Run.Clients = &c
		}},
		{"kv figures", func(f *frame) { f.snap.Run.KV = &runmodel.KVStats{OK: 1} }},
		{"interrupted", func(f *frame) { f.snap.Run.Interrupted = &runmodel.Interruption{} }},
	} {
		a, b := base(), base()
		tt.change(b)
		if sameFrame(a, b) {
			t.Errorf("%s changed, yet the frames look the same", tt.name)
		}
	}
	if a, b := base(), base(); !sameFrame(a, b) {
		t.Error("equal clients look different")
	}
}
