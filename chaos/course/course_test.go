package course

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

func TestRegistry(t *testing.T) {
	dir := t.TempDir()
	impl := Mini(nil)
	impl.Dir = dir
	if err := Register(impl); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if got := ForDir(dir); got != impl {
		t.Errorf("ForDir(%q) = %v, want the registered Impl", dir, got)
	}
	if got := ForDir(filepath.Join(dir, "sub", "..")); got != impl {
		t.Errorf("ForDir of an unclean path = %v, want the registered Impl", got)
	}
	if got := ForDir(t.TempDir()); got != nil {
		t.Errorf("ForDir of another directory = %v, want nil", got)
	}
	found := false
	for _, r := range Registered() {
		found = found || r == impl
	}
	if !found {
		t.Errorf("Registered() lacks the registered Impl")
	}

	tests := []struct {
		name string
		impl *Impl
		want string
	}{
		{"nil", nil, "nil Impl"},
		{"relative dir", &Impl{Name: "x", Dir: "raft", Make: impl.Make, MakePersister: impl.MakePersister}, "not an absolute directory"},
		{"no Make", &Impl{Name: "x", Dir: t.TempDir(), MakePersister: impl.MakePersister}, "must be set"},
		{"same dir twice", &Impl{Name: "again", Dir: dir, Make: impl.Make, MakePersister: impl.MakePersister}, "already registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Register(tt.impl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Register: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

type condPeer struct {
	fakePeer
	asked []int
	say   bool
}

func (p *condPeer) CondInstallSnapshot(term, index int, snapshot []byte) bool {
	p.asked = append(p.asked, term, index, len(snapshot))
	return p.say
}

func TestAcceptSnapshot(t *testing.T) {
	m := raft.ApplyMsg{SnapshotValid: true, Snapshot: []byte("abc"), SnapshotTerm: 2, SnapshotIndex: 9}
	if !AcceptSnapshot(&fakePeer{}, m) {
		t.Errorf("a peer without CondInstallSnapshot: snapshot refused")
	}
	for _, say := range []bool{false, true} {
		p := &condPeer{say: say}
		if got := AcceptSnapshot(p, m); got != say {
			t.Errorf("CondInstallSnapshot says %v: AcceptSnapshot = %v", say, got)
		}
		if want := []int{2, 9, 3}; len(p.asked) != 3 || p.asked[0] != want[0] || p.asked[1] != want[1] || p.asked[2] != want[2] {
			t.Errorf("CondInstallSnapshot asked with %v, want %v", p.asked, want)
		}
	}
}

func TestMiniPersister(t *testing.T) {
	ps := Mini(nil).MakePersister()
	RaftPersister(ps).Save([]byte("state"), []byte("snap!"))
	cp := ps.Copy()
	RaftPersister(ps).Save([]byte("changed"), nil)
	if got := string(cp.ReadRaftState()); got != "state" || cp.RaftStateSize() != 5 || cp.SnapshotSize() != 5 || string(cp.ReadSnapshot()) != "snap!" {
		t.Errorf("the copy holds %q (%d bytes) and a %d-byte snapshot, want what was saved before the copy", got, cp.RaftStateSize(), cp.SnapshotSize())
	}
}

func TestSmokeMiniRaft(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MiniRaft in real time")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var log strings.Builder
	if err := Smoke(context.Background(), Mini(nil), 3, &log); err != nil {
		t.Fatalf("Smoke(MiniRaft): %v\n%s", err, log.String())
	}
	for _, want := range []string{"leads", "crashed", "restarted from its persister", "caught up: 9 commands"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
}

// sharedLog is a fake Raft for testing Smoke's checks: peer 0 always leads, and Start
// applies the command at once on every live peer, through a Tap, as bug says.
type sharedLog struct {
	mu    sync.Mutex
	bug   string // "", "gap" or "conflict"
	n     int
	chans map[int]chan userMsg
	log   []interface{}
}

type sharedPeer struct {
	s    *sharedLog
	me   int
	dead bool
}

func (s *sharedLog) impl() *Impl {
	return &Impl{
		Name: "shared log",
		Make: func(ends []*labrpc.ClientEnd, me int, _ Persister, apply *Tap) Peer {
			ch := make(chan userMsg, 100)
			Forward(apply, ch, convert)
			s.mu.Lock()
			defer s.mu.Unlock()
			s.chans[me] = ch
			for i, cmd := range s.log { // a restarted peer applies everything again
				ch <- userMsg{true, cmd, i + 1}
			}
			return &sharedPeer{s: s, me: me}
		},
		MakePersister: Mini(nil).MakePersister,
	}
}

func (p *sharedPeer) Start(cmd interface{}) (int, int, bool) {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.me != 0 || p.dead {
		return -1, 1, false
	}
	s.log = append(s.log, cmd)
	index := len(s.log)
	for i, ch := range s.chans {
		m := userMsg{true, cmd, index}
		switch {
		case s.bug == "gap" && i == 2 && index == 3:
			continue
		case s.bug == "conflict" && i == 1 && index == 2:
			m.Cmd = "something else"
		}
		ch <- m
	}
	return index, 1, true
}

func (p *sharedPeer) GetState() (int, bool) { return 1, p.me == 0 && !p.dead }
func (p *sharedPeer) Snapshot(int, []byte)  {}
func (p *sharedPeer) Kill() {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	p.dead = true
	delete(p.s.chans, p.me)
}

func TestSmokeCatches(t *testing.T) {
	tests := []struct{ bug, want string }{
		{"", ""},
		{"gap", "peer 2 applied index 4, want 3"},
		{"conflict", "applied different commands at index 2"},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			s := &sharedLog{bug: tt.bug, chans: map[int]chan userMsg{}}
			err := Smoke(context.Background(), s.impl(), 3, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Smoke: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Smoke: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
