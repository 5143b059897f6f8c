package check

import (
	"fmt"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// busyRun plays a long, healthy run on 5 peers: batches of 1 to 4 proposals replicated,
// committed and applied everywhere, every service snapshotting every 100 entries, a
// lagging follower catching up by snapshot now and then, and a new leader every 2000
// entries. With full set, the stream also has what the services receive and the
// leaders' progress events, as raft.Node on the sim engine reports them. It returns the
// run and the number of entries committed.
func busyRun(entries int, full bool) (*fake, int) {
	const n = 5
	f := newFake(n)
	f.deliveries, f.progress = full, full
	leader, term := 0, 1
	all := []int{0, 1, 2, 3, 4}
	followers := func() []int {
		var fs []int
		for _, p := range all {
			if p != leader {
				fs = append(fs, p)
			}
		}
		return fs
	}
	f.elect(leader, term, followers()...)
	lastSnap := make([]int, n)
	for k := 0; len(f.log[leader]) < entries; k++ {
		batch := 1 + k%4
		cmds := make([]interface{}, batch)
		for i := range cmds {
			cmds[i] = len(f.log[leader]) + i + 1
		}
		lagging := followers()[(k/200)%4]
		if k%200 == 60 && f.snap[leader] > len(f.log[lagging]) {
			f.install(leader, lagging) // catch up by snapshot
			lastSnap[lagging] = f.snap[leader]
		}
		f.propose(leader, cmds...)
		up := followers()
		if k%200 < 60 {
			up = without(up, lagging) // lagging misses 60 batches in 200
		}
		f.send(leader, 0, up...)
		f.commitTo(leader, len(f.log[leader]))
		f.send(leader, 0, up...)
		f.apply(all...)
		f.wait(time.Millisecond)
		for _, p := range all {
			if f.applied[p]-lastSnap[p] >= 100 {
				f.snapshot(p, f.applied[p])
				lastSnap[p] = f.applied[p]
			}
		}
		if len(f.log[leader])/2000 != (len(f.log[leader])-batch)/2000 {
			leader, term = (leader+1)%n, term+1
			f.elect(leader, term, followers()...)
		}
	}
	return f, len(f.log[leader])
}

func without(ps []int, x int) []int {
	var out []int
	for _, p := range ps {
		if p != x {
			out = append(out, p)
		}
	}
	return out
}

// TestBusyRun checks a long healthy run raises nothing, counts it right, and keeps memory
// bounded by what the peers' logs hold after their snapshots.
func TestBusyRun(t *testing.T) {
	for _, full := range []bool{false, true} {
		t.Run(fmt.Sprintf("full=%v", full), func(t *testing.T) { testBusyRun(t, full) })
	}
}

func testBusyRun(t *testing.T, full bool) {
	f, entries := busyRun(20_000, full)
	s := f.suite(t, Options{})
	s.Finish(f.at)
	clean(t, s)
	st := s.Stats()
	if st.CommitIndex != entries || st.Applied != entries || st.Elections != entries/2000+1 || st.Committed != entries {
		t.Errorf("stats = %+v, want %d entries committed, applied and watched, %d elections", st, entries, entries/2000+1)
	}
	if st.Snapshots == 0 || st.Installs == 0 {
		t.Errorf("stats = %+v, want snapshots taken and installed", st)
	}
	if n := len(s.slots.s); n > 400 {
		t.Errorf("the Suite holds %d indexes, want no more than the logs after their snapshots (about 100 per peer)", n)
	}
	if n := len(s.delivered.s); n > 400 {
		t.Errorf("the Suite holds %d indexes of deliveries, want no more than the logs after their snapshots", n)
	}
	for p := range s.peers {
		if n := len(s.peers[p].terms.s); n > 200 {
			t.Errorf("peer %d's log model holds %d terms, want at most the log after its snapshot", p, n)
		}
		if n := len(s.deliv[p].handed.s); n > 8 {
			t.Errorf("peer %d's delivery model holds %d commands not delivered, want only the last batch's", p, n)
		}
	}
	t.Logf("%d events, %d entries, stats %+v", len(f.events), entries, st)
}

// BenchmarkObserve measures Observe on the events of a long healthy run (see busyRun),
// starting a new Suite each time the run ends.
func BenchmarkObserve(b *testing.B) {
	f, _ := busyRun(50_000, false)
	benchmarkObserve(b, f.events)
}

// BenchmarkObserveFull is BenchmarkObserve on a stream that also has the services'
// deliveries and the leaders' progress events.
func BenchmarkObserveFull(b *testing.B) {
	f, _ := busyRun(50_000, true)
	benchmarkObserve(b, f.events)
}

func benchmarkObserve(b *testing.B, events []chaos.Event) {
	var s *Suite
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(events)
		if k == 0 {
			s, _ = New(5, Options{})
		}
		s.Observe(events[k])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkObserveSink measures the Suite as a Bus sink, with the Bus's own costs.
func BenchmarkObserveSink(b *testing.B) {
	f, _ := busyRun(50_000, false)
	events := f.events
	bus := chaos.NewBus(nil)
	var s *Suite
	bus.Observe(func(e chaos.Event) { s.Observe(e) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(events)
		if k == 0 {
			s, _ = New(5, Options{})
		}
		bus.Publish(events[k])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
