package report

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft"
	"github.com/miniraft/miniraft/raft/raftpb"
)

func netEvent(seq uint64, at time.Duration) chaos.Event {
	return chaos.Event{Seq: seq, At: at, Kind: chaos.EventNet, Peer: 0, Net: &chaos.NetEvent{Kind: chaos.NetSent, ID: seq, From: 0, To: 1, Method: raft.MethodAppendEntries}}
}

func raftEvent(seq uint64, at time.Duration) chaos.Event {
	return chaos.Event{Seq: seq, At: at, Kind: chaos.EventRaft, Peer: 0, Raft: &raft.Event{Kind: raft.EventCommit, Peer: 0}}
}

func seqs(es []chaos.Event) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestRecorderKeepsTheLastEvents(t *testing.T) {
	r := NewRecorder(4, model.Info{Peers: 3})
	for i := uint64(1); i <= 20; i++ {
		at := time.Duration(i) * time.Second
		if i%3 == 0 {
			r.Observe(raftEvent(i, at))
		} else {
			r.Observe(netEvent(i, at))
		}
	}
	// The last four raft events and the last four network events: the others are more
	// than recentSpan older than the newest of their kind.
	want := []uint64{9, 12, 15, 16, 17, 18, 19, 20}
	if got := seqs(r.Events()); !slices.Equal(got, want) {
		t.Errorf("events kept: %v, want %v", got, want)
	}
	if d := r.Data(nil, nil, nil); len(d.Notes) != 0 {
		t.Errorf("notes = %q, want none: the last two seconds are whole", d.Notes)
	}
	// A failure dated early (as a linearizability check dates the operation it found)
	// wants events that are gone: the page says so.
	res := &model.Result{Failure: &chaos.Violation{Checker: "linearizability", At: 15 * time.Second}}
	d := r.Data(nil, res, nil)
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "forgot those up to 14.000 s") {
		t.Errorf("notes = %q, want one saying events up to 14 s are gone", d.Notes)
	}
}

func TestRecorderStopsKeepingEventsAfterAViolation(t *testing.T) {
	r := NewRecorder(0, model.Info{Peers: 3})
	v := chaos.Violation{Checker: "x"}
	r.Observe(netEvent(1, time.Second))
	r.Observe(chaos.Event{Seq: 2, At: time.Second, Kind: chaos.EventViolation, Violation: &v})
	r.Observe(netEvent(3, time.Second+afterViolation))
	r.Observe(netEvent(4, time.Second+afterViolation+time.Millisecond))
	r.Observe(raftEvent(5, 2*time.Second))
	if got, want := seqs(r.Events()), []uint64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("events kept: %v, want %v", got, want)
	}
	if d := r.Data(nil, nil, nil); len(d.Notes) != 0 {
		t.Errorf("notes = %q, want none", d.Notes)
	}
}

func TestRecorderIsSafeForConcurrentUse(t *testing.T) {
	r := NewRecorder(50, model.Info{Peers: 3}) // events within recentSpan: at most 4*50 of each kind are kept
	var wg sync.WaitGroup
	var mu sync.Mutex
	seq := uint64(0) // a bus numbers events and delivers them one at a time: so does mu
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				mu.Lock()
				seq++
				s := seq
				if (g+i)%2 == 0 {
					r.Observe(netEvent(s, time.Duration(s)))
				} else {
					r.Observe(raftEvent(s, time.Duration(s)))
				}
				mu.Unlock()
				if i%100 == 0 {
					_ = r.Events()
				}
			}
		}()
	}
	wg.Wait()
	got := r.Events()
	if !slices.IsSortedFunc(got, func(a, b chaos.Event) int { return int(a.Seq) - int(b.Seq) }) {
		t.Error("events are not in order")
	}
	net := 0
	for _, e := range got {
		if e.Kind == chaos.EventNet {
			net++
		}
	}
	if net != 200 || len(got) != 400 {
		t.Errorf("kept %d events, %d of them network; want 400 and 200", len(got), net)
	}
}

func TestRecorderKeepsAWindow(t *testing.T) {
	r := NewRecorder(2, model.Info{Peers: 3})
	r.Keep(Window{From: 10 * time.Millisecond, To: 12 * time.Millisecond})
	for i := uint64(1); i <= 2000; i++ {
		r.Observe(netEvent(i, time.Duration(i)*time.Millisecond))
	}
	// 10..12 ms and the second after: kept; the last eight (four times the limit, all
	// within recentSpan): the ring.
	var want []uint64
	for i := uint64(10); i <= 1012; i++ {
		want = append(want, i)
	}
	for i := uint64(1993); i <= 2000; i++ {
		want = append(want, i)
	}
	if got := seqs(r.Events()); !slices.Equal(got, want) {
		t.Errorf("events kept: %d from %d to %d, want %d from 10 to 2000", len(got), got[0], got[len(got)-1], len(want))
	}
	d := r.Data(nil, nil, nil)
	if d.Window != (Window{From: 10 * time.Millisecond, To: 12 * time.Millisecond}) {
		t.Errorf("Data's window = %v, want the one kept", d.Window)
	}
	if len(d.Notes) != 0 {
		t.Errorf("notes = %q, want none: the window the diagram shows is whole", d.Notes)
	}
}

func TestRecorderForgetsOldEvents(t *testing.T) {
	r := NewRecorder(5, model.Info{Peers: 3})
	for i := uint64(1); i <= 100; i++ {
		if i%2 == 0 {
			r.Observe(raftEvent(i, time.Duration(i)*100*time.Millisecond))
		} else {
			r.Observe(netEvent(i, time.Duration(i)*100*time.Millisecond))
		}
	}
	// Beyond the limit (5), the last recentSpan (3 s) of each kind: raft events from 7 s
	// (3 s before the last, at 10 s), network events from 6.9 s (3 s before the last, at
	// 9.9 s).
	var want []uint64
	for i := uint64(69); i <= 100; i++ {
		want = append(want, i)
	}
	if got := seqs(r.Events()); !slices.Equal(got, want) {
		t.Errorf("events kept: %v, want %v", got, want)
	}
	// What was forgotten was folded: the peer's commits are all drawn.
	d := r.Data(nil, nil, nil)
	if got := len(d.folded.peers[0].commits); got != 50 {
		t.Errorf("%d commits folded, want 50", got)
	}
	if len(d.Notes) != 0 {
		t.Errorf("notes = %q, want none: only events older than the last two seconds were forgotten", d.Notes)
	}
}

// TestRecorderPageEqualsTracePage checks that a recorder, which folds the run as it goes
// and keeps few events, draws the same page as the whole trace of the run.
func TestRecorderPageEqualsTracePage(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		seed      int64
	}{
		{name: "demo", seed: 1},
		{name: "snapshot-catch-up", seed: 2},
		{name: "failing", src: "peers 3\nworkload rate=20\nwait leader within 5s\nat 1s isolate leader\nexpect leaders == 3\n", seed: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runScenarioKeep(t, tc.name, tc.src, tc.seed, 2000)
			fromTrace, err := FromTrace(bytes.NewReader(run.trace))
			if err != nil {
				t.Fatal(err)
			}
			if run.res.Duration > 2*recentSpan && len(run.events) >= len(fromTrace.Events) {
				t.Errorf("the recorder kept %d events of %d: it should forget some", len(run.events), len(fromTrace.Events))
			}
			got := render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV))
			want := render(t, FromRun(run.sc, &run.res.Result, run.res.KV, fromTrace.Events))
			if got != want {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("the recorder's page differs from the trace's at byte %d:\nrecorder: %.300s\ntrace:    %.300s", i, got[max(0, i-100):], want[max(0, i-100):])
			}
		})
	}
}

// A report made from a run's trace alone is the report made during the run, figure for
// figure: the same verdict, figures, summary, story, steps, timeline, charts and message
// diagram. Only two things tell them apart: the real time the run took, which a trace
// does not hold (so the run's is left out here), and the note that says a page was made
// from a trace.
func TestReportFromTraceEqualsReportDuringRun(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		seed      int64
	}{
		{name: "demo", seed: 1},
		{name: "leader-isolation", seed: 2},
		{name: "snapshot-catch-up", seed: 3},
		{name: "failing", src: "peers 3\nworkload rate=20\nwait leader within 5s\nat 1s isolate leader\nexpect leaders == 3\n", seed: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runScenario(t, tc.name, tc.src, tc.seed)
			res := run.res.Result
			res.Wall = 0
			during := run.rec.Data(run.sc, &res, nil)
			fromTrace, err := FromTrace(bytes.NewReader(run.trace))
			if err != nil {
				t.Fatal(err)
			}
			during.Header = fromTrace.Header // the trace's header: the run's, with the tool that wrote it
			a, b := build(during), build(fromTrace)
			if len(b.Notes) != 1 || !strings.HasPrefix(b.Notes[0], "Made from a trace") || len(a.Notes) != 0 {
				t.Errorf("notes: during the run %q, from the trace %q", a.Notes, b.Notes)
			}
			b.Notes = nil
			for _, part := range []struct {
				name       string
				during, tr interface{}
			}{
				{"verdict", []interface{}{a.Pass, a.Verdict, a.Failure}, []interface{}{b.Pass, b.Verdict, b.Failure}},
				{"key figures", a.KeyFigures, b.KeyFigures},
				{"figures", a.Figures, b.Figures},
				{"summary", a.SummaryText, b.SummaryText},
				{"violations", a.Violations, b.Violations},
				{"story", a.Story, b.Story},
				{"steps", a.Steps, b.Steps},
				{"timeline", a.Timeline, b.Timeline},
				{"commits", a.Commits, b.Commits},
				{"latency", a.Latency, b.Latency},
				{"messages", a.Messages, b.Messages},
				{"the whole page", a, b},
			} {
				if !reflect.DeepEqual(part.during, part.tr) {
					t.Errorf("%s: during the run\n%+v\nfrom the trace\n%+v", part.name, part.during, part.tr)
				}
			}
			if len(a.Figures) < 8 || a.SummaryText == "" {
				t.Errorf("only %d figures and summary %q: nothing much compared", len(a.Figures), a.SummaryText)
			}
		})
	}
}

// A history's lines stay bounded however long the run, and its counts stay whole.
func TestHistoryIsBounded(t *testing.T) {
	const n = 5 * MaxSamples
	m := model.New(model.Info{Peers: 1})
	h := newHistory(1, m)
	boot := raftpb.Event{Kind: raftpb.EventBoot, Other: raftpb.None}
	h.add(chaos.Event{Kind: chaos.EventRaft, Raft: &boot}, m.Apply(chaos.Event{Kind: chaos.EventRaft, Raft: &boot}))
	for i := 1; i <= n; i++ {
		at := time.Duration(i) * time.Millisecond
		for _, e := range []chaos.Event{
			{Kind: chaos.EventPropose, At: at, Propose: &chaos.Proposal{Command: i, ProposeResult: chaos.ProposeResult{Index: i, OK: true}}},
			{Kind: chaos.EventRaft, At: at, Raft: &raftpb.Event{Kind: raftpb.EventCommit, Index: i, LastIndex: i}},
			{Kind: chaos.EventRaft, At: at, Raft: &raftpb.Event{Kind: raftpb.EventApply, Index: i, LastIndex: i, Entries: []raftpb.Entry{{Term: 1, Command: i}}}},
		} {
			h.add(e, m.Apply(e))
		}
	}
	f := h.finish(time.Duration(n) * time.Millisecond)
	if len(f.peers[0].commits) > MaxSamples+1 || len(f.props) > MaxSamples+1 {
		t.Errorf("after %d commits: %d commit points and %d proposals kept, want at most %d", n, len(f.peers[0].commits), len(f.props), MaxSamples+1)
	}
	if len(f.peers[0].commits) < MaxSamples/2 || f.nprops[propCommitted] != n {
		t.Errorf("%d commit points kept, %d proposals counted committed; want at least %d and %d", len(f.peers[0].commits), f.nprops[propCommitted], MaxSamples/2, n)
	}
	if last := f.peers[0].commits[len(f.peers[0].commits)-1]; last.v != n {
		t.Errorf("the commit line ends at %d, want %d", last.v, n)
	}
}
