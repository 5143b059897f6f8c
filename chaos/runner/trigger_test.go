package runner

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

const triggerScenario = `peers 5
seed 5
workload rate=20
liveness off
duration 4s

on vote 1 crash 1
on leader times 2 isolate leader
`

// runTriggers runs the trigger scenario on engine and returns every event of the run.
func runTriggers(t *testing.T, engine string) ([]chaos.Event, *Result) {
	t.Helper()
	var mu sync.Mutex
	var events []chaos.Event
	res := runScenario(t, parseScenario(t, "triggers", triggerScenario), Options{Engine: engine, Observers: []func(chaos.Event){func(e chaos.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}}})
	mu.Lock()
	defer mu.Unlock()
	return events, res
}

// firings returns, for each fault whose kind is kind, the raft event that fired it:
// the last event before the fault's note that the trigger matches.
func firings(t *testing.T, events []chaos.Event, kind chaos.FaultKind, match func(e *raftpb.Event) bool) (fired []chaos.Event, faults []chaos.Event) {
	t.Helper()
	var last *chaos.Event
	for i := range events {
		e := &events[i]
		switch {
		case e.Kind == chaos.EventRaft && match(e.Raft):
			last = e
		case e.Kind == chaos.EventFault && e.Fault.Kind == kind:
			if last == nil {
				t.Fatalf("fault %s with no event before it to fire it", e.Text)
			}
			fired, faults = append(fired, *last), append(faults, *e)
		}
	}
	return fired, faults
}

// On the sim engine an on command's fault comes the moment after its event: at the same
// cluster time, with nothing of any other peer in between; the first two leaders are
// isolated as they are elected, peer 1 is crashed right after its first vote, and no
// safety checker objects.
func TestOnFiresTheMomentAfter(t *testing.T) {
	events, res := runTriggers(t, "sim")
	if res.Failure != nil {
		t.Fatalf("a correct Raft failed: %v", res.Failure)
	}
	voted, crashes := firings(t, events, chaos.Crash, func(e *raftpb.Event) bool {
		return e.Kind == raftpb.EventVote && e.Peer == 1 && e.Granted && !e.PreVote
	})
	elected, isolations := firings(t, events, chaos.Isolate, func(e *raftpb.Event) bool {
		return e.Kind == raftpb.EventRole && e.Role == raftpb.Leader
	})
	if len(crashes) != 1 || len(isolations) != 2 {
		t.Fatalf("%d crashes and %d isolations, want 1 and 2", len(crashes), len(isolations))
	}
	check := func(what string, cause, fault chaos.Event) {
		if fault.At != cause.At {
			t.Errorf("%s: the fault %q at %v, its event at %v: want the same moment", what, fault.Text, fault.At, cause.At)
		}
		if !slices.Equal(fault.Fault.Peers, []int{cause.Peer}) {
			t.Errorf("%s: the fault %q hit %v, want peer %d", what, fault.Text, fault.Fault.Peers, cause.Peer)
		}
		for _, e := range events {
			if e.Seq > cause.Seq && e.Seq < fault.Seq && e.Kind == chaos.EventRaft && e.Peer != cause.Peer {
				t.Errorf("%s: peer %d's %v came between the event and its fault", what, e.Peer, e.Raft)
			}
		}
	}
	check("on vote 1 crash 1", voted[0], crashes[0])
	for i := range isolations {
		check("on leader times 2 isolate leader", elected[i], isolations[i])
	}
	notes := 0
	for _, e := range events {
		if e.Kind == chaos.EventNote && strings.Contains(e.Text, ": fired by ") {
			notes++
		}
	}
	if notes != 3 {
		t.Errorf("%d notes say a trigger fired, want 3", notes)
	}
}

// The same scenario and seed give the same trace, triggers and all.
func TestOnIsDeterministic(t *testing.T) {
	sc := parseScenario(t, "triggers", triggerScenario)
	var a, b bytes.Buffer
	runScenario(t, sc, Options{Trace: &a})
	runScenario(t, sc, Options{Trace: &b})
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two runs of the same scenario and seed wrote different traces")
	}
}

// On the live engine the same triggers fire, each after its event, on the peer of the
// event.
func TestOnLive(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	events, res := runTriggers(t, "live")
	if res.Failure != nil {
		t.Fatalf("a correct Raft failed: %v", res.Failure)
	}
	_, crashes := firings(t, events, chaos.Crash, func(e *raftpb.Event) bool {
		return e.Kind == raftpb.EventVote && e.Peer == 1 && e.Granted && !e.PreVote
	})
	elected, isolations := firings(t, events, chaos.Isolate, func(e *raftpb.Event) bool {
		return e.Kind == raftpb.EventRole && e.Role == raftpb.Leader
	})
	if len(crashes) > 1 || len(isolations) != 2 {
		t.Fatalf("%d crashes and %d isolations, want at most 1 (peer 1 may not vote) and 2", len(crashes), len(isolations))
	}
	for i, f := range isolations {
		if !slices.Equal(f.Fault.Peers, []int{elected[i].Peer}) {
			t.Errorf("isolation %d hit %v, want the leader just elected, %d", i, f.Fault.Peers, elected[i].Peer)
		}
	}
}
