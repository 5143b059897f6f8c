package check

import (
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// delivering is steady(3) with deliveries reported: peer 0 leads term 1, and every peer
// applied and received "a" at index 1.
func delivering() *fake {
	f := newFake(3)
	f.deliveries = true
	f.elect(0, 1, 1, 2)
	f.propose(0, "a")
	f.send(0, 0, 1, 2)
	f.commitTo(0, 1)
	f.send(0, 0, 1, 2)
	f.apply(0, 1, 2)
	return f
}

// more has leader 0 propose cmds and commit them everywhere, without applying.
func (f *fake) more(cmds ...interface{}) {
	f.propose(0, cmds...)
	f.send(0, 0, 1, 2)
	f.commitTo(0, len(f.log[0]))
	f.send(0, 0, 1, 2)
}

// applyOnly reports p's core applying what it committed, without the deliveries.
func (f *fake) applyOnly(p int) {
	d := f.deliveries
	f.deliveries = false
	f.apply(p)
	f.deliveries = d
}

func cmd(i, term int, c interface{}) chaos.Delivery {
	return chaos.Delivery{Index: i, Term: term, Command: c}
}

func snap(i, term int) chaos.Delivery { return chaos.Delivery{Index: i, Term: term, Snapshot: true} }

func TestDeliveryViolations(t *testing.T) {
	tests := []struct {
		name string
		run  func() *fake
		want want
		also []string
	}{
		{
			name: "command twice",
			run: func() *fake {
				f := delivering()
				f.more("b")
				f.apply(1)
				f.deliver(1, cmd(2, 1, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{2}},
		},
		{
			name: "commands out of order",
			run: func() *fake {
				f := delivering()
				f.more("b", "c", "d")
				f.applyOnly(2)
				f.deliver(2, cmd(2, 1, "b"))
				f.deliver(2, cmd(3, 1, "c"))
				f.deliver(2, cmd(2, 1, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, indexes: []int{2, 3}},
		},
		{
			name: "a gap",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.applyOnly(1)
				f.deliver(1, cmd(3, 1, "c"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{2, 2}},
		},
		{
			name: "beyond the commit index",
			run: func() *fake {
				f := delivering()
				f.propose(0, "b")
				f.send(0, 0, 1)
				f.deliver(1, cmd(2, 1, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{2, 1}},
		},
		{
			name: "a command the core did not apply",
			run: func() *fake {
				f := delivering()
				f.more("b")
				f.deliver(2, cmd(2, 1, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, indexes: []int{2}},
		},
		{
			name: "another command than the core applied",
			run: func() *fake {
				f := delivering()
				f.more("b")
				f.applyOnly(2)
				f.deliver(2, cmd(2, 1, "evil"))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, terms: []int{1, 1}, indexes: []int{2}},
		},
		{
			name: "another term than the core applied",
			run: func() *fake {
				f := delivering()
				f.more("b")
				f.applyOnly(2)
				f.deliver(2, cmd(2, 7, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, terms: []int{7, 1}, indexes: []int{2}},
		},
		{
			name: "after a boot, not right after the persisted snapshot",
			run: func() *fake {
				f := delivering()
				f.more("b", "c", "d")
				f.apply(1)
				f.snapshot(1, 2)
				f.crash(1)
				f.restart(1) // from the snapshot through 2: the core applies 3 and 4 again
				f.commitTo(1, 4)
				f.applyOnly(1)
				f.deliver(1, cmd(4, 1, "d"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{3, 3}},
		},
		{
			name: "after a boot, a command the snapshot holds",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.apply(1)
				f.snapshot(1, 2)
				f.crash(1)
				f.restart(1)
				f.deliver(1, cmd(2, 1, "b"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{2, 2}},
		},
		{
			name: "a snapshot followed by anything but the next index",
			run: func() *fake {
				f := delivering()
				f.propose(0, "b", "c", "d")
				f.send(0, 0, 1)
				f.commitTo(0, 4)
				f.apply(0)
				f.snapshot(0, 3)
				f.install(0, 2) // through 3; the core applies 4 next
				f.deliver(2, cmd(3, 1, "c"))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, indexes: []int{3, 3}},
		},
		{
			name: "a snapshot that goes back",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.apply(1)
				f.deliver(1, snap(2, 1))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, terms: []int{1}, indexes: []int{2, 3}},
		},
		{
			name: "a snapshot twice",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.apply(0)
				f.snapshot(0, 3)
				f.install(0, 2)
				f.deliver(2, snap(3, 1))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, terms: []int{1}, indexes: []int{3}},
		},
		{
			name: "a snapshot the core did not install",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.deliver(2, snap(3, 1))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, terms: []int{1}, indexes: []int{3}},
		},
		{
			name: "a snapshot of another term than the core installed",
			run: func() *fake {
				f := delivering()
				f.more("b", "c")
				f.apply(0)
				f.snapshot(0, 3)
				f.deliveries = false
				f.install(0, 2)
				f.deliver(2, snap(3, 2))
				return f
			},
			want: want{checker: Delivery, peers: []int{2}, terms: []int{2, 1}, indexes: []int{3}},
		},
		{
			name: "no index",
			run: func() *fake {
				f := delivering()
				f.deliver(1, cmd(0, 1, "x"))
				return f
			},
			want: want{checker: Delivery, peers: []int{1}, indexes: []int{0}},
		},
		{
			name: "a delivery to no peer",
			run: func() *fake {
				f := delivering()
				f.deliver(3, cmd(2, 1, "x"))
				return f
			},
			want: want{checker: EventStream, peers: []int{3}},
		},
		{
			name: "a delivery without its content",
			run: func() *fake {
				f := delivering()
				f.add(chaos.Event{Kind: chaos.EventDeliver, Peer: 1})
				return f
			},
			want: want{checker: EventStream, peers: []int{1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.run()
			s := f.suite(t, Options{})
			s.Finish(f.at)
			expect(t, s, tt.want, tt.also...)
		})
	}
}

// TestDeliveryClean checks legal ways of delivering raise nothing: a service lagging
// behind its core (as raft.Raft's applier does), snapshots installed while commands are
// still queued, restarts that apply again what the snapshot does not hold, and a
// snapshot at the index a service already reached.
func TestDeliveryClean(t *testing.T) {
	f := delivering()
	f.more("b", "c", "d")
	f.applyOnly(1)
	f.deliver(1, cmd(2, 1, "b")) // lagging: 3 and 4 still queued
	f.more("e")
	f.deliver(1, cmd(3, 1, "c"))
	f.applyOnly(1)
	f.deliver(1, cmd(4, 1, "d"))
	f.deliver(1, cmd(5, 1, "e"))
	f.apply(0, 2)
	f.snapshot(0, 5)
	f.snapshot(2, 3)
	f.crash(2)
	f.restart(2) // from its snapshot through 3: applies 4 and 5 again
	f.commitTo(2, 5)
	f.apply(2)
	f.crash(1)
	f.propose(0, "f", "g")
	f.send(0, 0, 2)
	f.commitTo(0, 7)
	f.send(0, 0, 2)
	f.apply(0, 2)
	f.snapshot(0, 7)
	f.restart(1)
	f.install(0, 1) // through 7, while it never received 6
	f.more("h")
	f.apply(0, 1, 2)
	s := f.suite(t, Options{})
	s.Finish(f.at)
	clean(t, s)
	if st := s.Stats(); st.Applied != 8 {
		t.Errorf("Applied = %d, want 8", st.Applied)
	}
}

// foreign is a stream of services of course Rafts seen from outside: no raft events,
// only what each service receives, the faults, and proposals whose fate the Suite cannot
// follow.
type foreign struct{ *fake }

func newForeign(n int) foreign {
	return foreign{&fake{term: make([]int, n)}}
}

// restart restarts ps: a foreign peer reports no boot.
func (f foreign) restart(ps ...int) { f.fault(chaos.Fault{Kind: chaos.Restart, Peers: ps}) }

// serve makes each of peers receive the commands at lo..hi, command i being "ci".
func (f foreign) serve(lo, hi int, peers ...int) {
	for _, p := range peers {
		for i := lo; i <= hi; i++ {
			f.deliver(p, cmd(i, 0, "c"+string(rune('0'+i%10))))
		}
	}
}

func TestDeliveryForeign(t *testing.T) {
	tests := []struct {
		name string
		run  func(f foreign)
		want want
	}{
		{
			name: "in step, with restarts resuming after an unknown snapshot",
			run: func(f foreign) {
				f.serve(1, 20, 0, 1, 2)
				f.crash(1)
				f.serve(21, 40, 0)
				f.serve(21, 30, 2)
				f.deliver(2, snap(40, 3))
				f.restart(1)
				f.serve(11, 30, 1) // its snapshot was through 10
				f.deliver(1, snap(40, 3))
				f.serve(41, 45, 0, 1, 2)
				f.wait(time.Minute)
			},
		},
		{
			name: "a repeat",
			run: func(f foreign) {
				f.serve(1, 5, 0)
				f.serve(5, 5, 0)
			},
			want: want{checker: Delivery, peers: []int{0}, indexes: []int{5}},
		},
		{
			name: "a gap after a restart",
			run: func(f foreign) {
				f.serve(1, 5, 0)
				f.crash(0)
				f.restart(0)
				f.serve(3, 4, 0)
				f.serve(6, 6, 0)
			},
			want: want{checker: Delivery, peers: []int{0}, indexes: []int{5, 5}},
		},
		{
			name: "two services disagree",
			run: func(f foreign) {
				f.serve(1, 5, 0)
				f.serve(1, 4, 1)
				f.deliver(1, cmd(5, 0, "evil"))
			},
			want: want{checker: Delivery, peers: []int{0, 1}, terms: []int{0, 0}, indexes: []int{5}},
		},
		{
			name: "a snapshot's term disagrees with another service's",
			run: func(f foreign) {
				f.deliver(0, snap(9, 2))
				f.deliver(1, snap(9, 3))
			},
			want: want{checker: Delivery, peers: []int{0, 1}, terms: []int{2, 3}, indexes: []int{9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newForeign(3)
			tt.run(f)
			s := f.suite(t, Options{})
			s.Finish(f.at + time.Minute)
			expect(t, s, tt.want)
		})
	}
}

// TestDeliveryForeignQuiet checks that a stream of deliveries, faults and proposals
// without any raft event raises nothing from the other checkers, however long it runs:
// nothing says who leads, so the liveness checker must not claim that nobody does.
func TestDeliveryForeignQuiet(t *testing.T) {
	f := newForeign(5)
	for k := range 50 {
		pr := chaos.Proposal{Command: k, ProposeResult: chaos.ProposeResult{Peer: k % 5, Index: k + 1, Term: 1, OK: true}}
		f.add(chaos.Event{Kind: chaos.EventPropose, Peer: k % 5, Propose: &pr})
		f.serve(k+1, k+1, 0, 1, 2, 3, 4)
		f.wait(time.Second)
		if k == 20 {
			f.fault(chaos.Fault{Kind: chaos.Isolate, Peers: []int{4}})
		}
		if k == 30 {
			f.fault(chaos.Fault{Kind: chaos.Heal})
		}
	}
	s := f.suite(t, Options{})
	s.Finish(f.at + time.Minute)
	clean(t, s)
	if st := s.Stats(); st.Applied != 50 || st.Proposals != 50 {
		t.Errorf("stats = %+v, want 50 applied and proposed", st)
	}
}

// TestDeliveryMemory checks that the Suite forgets deliveries every service has passed,
// for peers seen only through their deliveries.
func TestDeliveryMemory(t *testing.T) {
	f := newForeign(3)
	f.serve(1, 20_000, 0, 1, 2)
	s := f.suite(t, Options{})
	clean(t, s)
	if n := len(s.slots.s) + len(s.delivered.s); n == 0 || n > 1024 {
		t.Errorf("the Suite holds %d indexes, want some, and only those above the slowest service's last delivery", n)
	}
}

// TestDeliveryWithoutCoreEvents checks deliveries of a peer whose core reports only its
// role and term (sampled state) are checked from deliveries alone, without judging them
// against a commit index the Suite cannot see.
func TestDeliveryWithoutCoreEvents(t *testing.T) {
	f := newForeign(3)
	for p := range 3 {
		f.raw(raft.Event{Kind: raft.EventRole, Peer: p, Role: raft.Follower, Other: raft.None})
	}
	f.raw(raft.Event{Kind: raft.EventTerm, Peer: 0, Term: 1, PrevTerm: 0, Other: raft.None})
	f.raw(raft.Event{Kind: raft.EventRole, Peer: 0, Term: 1, Role: raft.Leader, Other: 0})
	f.serve(1, 10, 0, 1, 2)
	s := f.suite(t, Options{})
	s.Finish(f.at + time.Minute)
	clean(t, s)
}
