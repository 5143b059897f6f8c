package tui

import (
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft"
)

// busyFrame is a 7-peer cluster with long logs and a full event list.
func busyFrame() *frame {
	src := newFakeSource(7)
	snap := src.View()
	for i := range snap.Peers {
		p := peer(i, raft.Follower, 9, 5000, 4990, 4900,
			raft.TermRun{Index: 4901, Term: 7}, raft.TermRun{Index: 4950, Term: 8}, raft.TermRun{Index: 4990, Term: 9})
		p.Progress = nil
		snap.Peers[i] = p
	}
	snap.Peers[0].Role = raft.Leader
	snap.Peers[0].Progress = make([]raft.Progress, 7)
	var events []item
	for i := range maxEvents {
		events = append(events, newItem(runmodel.Seen{Event: chaos.Event{Seq: uint64(i + 1), At: time.Duration(i) * time.Millisecond,
			Kind: chaos.EventRaft, Peer: i % 7, Raft: &raft.Event{Kind: raft.EventCommit, Peer: i % 7, Index: i, LastIndex: i}}}))
	}
	return &frame{snap: snap, events: events, leader: 0}
}

// BenchmarkDraw measures one redraw of every view at 120x40 (the UI does about ten a
// second while the cluster runs).
func BenchmarkDraw(b *testing.B) {
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		b.Fatal(err)
	}
	defer screen.Fini()
	screen.SetSize(120, 40)
	a := New(newFakeSource(7), Options{})
	a.frame = busyFrame()
	a.root.SetRect(0, 0, 120, 40)
	b.ReportAllocs()
	for b.Loop() {
		a.root.Draw(screen)
		screen.Show()
	}
}

// BenchmarkDrain measures the model taking in events, per event.
func BenchmarkDrain(b *testing.B) {
	src := newFakeSource(7)
	m := newModel(src, time.Hour, func(*frame) {})
	e := chaos.Event{Kind: chaos.EventRaft, Raft: &raft.Event{Kind: raft.EventCommit, Peer: 1, Index: 1, LastIndex: 2}}
	b.ReportAllocs()
	for b.Loop() {
		for range 100 {
			src.q.Push(e)
		}
		m.drain()
	}
}
