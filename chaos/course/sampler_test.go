package course

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// fakePeer is a Peer whose GetState answers what it is told, and blocks while it is
// held.
type fakePeer struct {
	mu     sync.Mutex
	term   int
	leader bool
	calls  int
	hold   chan struct{} // while not nil, GetState waits for it to be closed
}

func (p *fakePeer) set(term int, leader bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.term, p.leader = term, leader
}

func (p *fakePeer) GetState() (int, bool) {
	p.mu.Lock()
	p.calls++
	hold := p.hold
	p.mu.Unlock()
	if hold != nil {
		<-hold
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.term, p.leader
}

func (p *fakePeer) Start(interface{}) (int, int, bool) { return -1, 0, false }
func (p *fakePeer) Snapshot(int, []byte)               {}
func (p *fakePeer) Kill()                              {}

// samples collects a sampler's reports and lets a test wait for one.
type samples struct {
	mu   sync.Mutex
	all  []Sample
	cond *sync.Cond
}

func newSamples() *samples {
	s := &samples{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *samples) report(x Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, x)
	s.cond.Broadcast()
}

// await waits for a sample that match accepts, and fails the test after 5 s.
func (s *samples) await(t *testing.T, what string, match func(Sample) bool) Sample {
	t.Helper()
	deadline := time.AfterFunc(5*time.Second, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer deadline.Stop()
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for next := 0; ; {
		for ; next < len(s.all); next++ {
			if match(s.all[next]) {
				return s.all[next]
			}
		}
		if time.Since(start) >= 5*time.Second {
			t.Fatalf("no sample %s within 5s; got %d samples", what, len(s.all))
		}
		s.cond.Wait()
	}
}

func TestSamplerReportsAnswers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	got := newSamples()
	s := NewSampler(SamplerConfig{Every: time.Millisecond, Report: got.report})
	a, b := &fakePeer{term: 1}, &fakePeer{term: 1}
	s.Set(0, a)
	s.Set(1, b)
	got.await(t, "of peer 1 in term 1", func(x Sample) bool { return x.Peer == 1 && x.Term == 1 && !x.Leader })
	b.set(2, true)
	x := got.await(t, "of peer 1 leading term 2", func(x Sample) bool { return x.Peer == 1 && x.Term == 2 && x.Leader })
	if x.Stuck || x.Time.IsZero() || x.Took < 0 {
		t.Errorf("sample %+v: want a plain answer with its time", x)
	}
	if stuck := s.Stop(time.Second); len(stuck) != 0 {
		t.Errorf("Stop() = %v, want no stuck peer", stuck)
	}
}

func TestSamplerStuckPeer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	got := newSamples()
	s := NewSampler(SamplerConfig{Every: time.Millisecond, StuckAfter: 20 * time.Millisecond, Report: got.report})
	hold := make(chan struct{})
	stuckPeer, ok := &fakePeer{term: 3, hold: hold}, &fakePeer{term: 3, leader: true}
	s.Set(0, stuckPeer)
	s.Set(1, ok)
	x := got.await(t, "of peer 0 stuck", func(x Sample) bool { return x.Peer == 0 && x.Stuck })
	if x.Took < 20*time.Millisecond {
		t.Errorf("stuck after %v, want at least 20ms", x.Took)
	}
	// The stuck peer holds up no other: peer 1 is still sampled afterwards.
	n := len(got.all)
	got.await(t, "of peer 1 after peer 0 got stuck", func(x Sample) bool { return x.Peer == 1 && len(got.all) > n })
	got.mu.Lock()
	stuckReports := 0
	for _, x := range got.all {
		if x.Stuck && x.Peer == 0 {
			stuckReports++
		}
	}
	got.mu.Unlock()
	if stuckReports != 1 {
		t.Errorf("%d stuck reports of peer 0, want 1 for one stuck call", stuckReports)
	}
	if stuck := s.Stop(10 * time.Millisecond); len(stuck) != 1 || stuck[0] != 0 {
		t.Errorf("Stop() = %v, want [0]", stuck)
	}
	close(hold) // the stuck call returns; its goroutine ends
}

func TestSamplerSetReplacesAndRemoves(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	got := newSamples()
	s := NewSampler(SamplerConfig{Every: time.Millisecond, Report: got.report})
	defer s.Stop(time.Second)
	hold := make(chan struct{})
	old := &fakePeer{term: 7, hold: hold} // its call will return only after it is replaced
	s.Set(0, old)
	for {
		old.mu.Lock()
		calls := old.calls
		old.mu.Unlock()
		if calls > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	s.Set(0, &fakePeer{term: 8})
	close(hold)
	got.await(t, "of the new incarnation", func(x Sample) bool { return x.Peer == 0 && x.Term == 8 })
	s.Set(0, nil)
	got.mu.Lock()
	for _, x := range got.all {
		if x.Term == 7 {
			t.Errorf("the replaced incarnation's answer was reported: %+v", x)
		}
	}
	n := len(got.all)
	got.mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	got.mu.Lock()
	defer got.mu.Unlock()
	if len(got.all) > n+1 { // at most the answer already on its way
		t.Errorf("%d samples after Set(0, nil), want none", len(got.all)-n)
	}
}

func TestSamplerStopTwice(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := NewSampler(SamplerConfig{})
	s.Set(3, &fakePeer{})
	s.Stop(time.Second)
	s.Stop(time.Second)
	s.Set(4, &fakePeer{}) // after Stop: ignored, starts nothing
}
