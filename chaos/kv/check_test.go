package kv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// op builds a history entry; times are in milliseconds.
func op(client int, kind, key, value string, call, ret int, status string, peer int) Operation {
	o := Operation{Client: client, Op: kind, Key: key, Call: ms(call), Return: ms(ret), Status: status, Peer: peer, Index: 1}
	if kind == "get" {
		o.Output = value
	} else {
		o.Input = value
	}
	return o
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

const ok, timeout, unfinished = chaos.ClientOK, chaos.ClientTimeout, chaos.ClientUnfinished

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		h    []Operation
		want Outcome
		ops  int
	}{
		{"empty", nil, Linearizable, 0},
		{"sequential", []Operation{
			op(0, "put", "x", "1", 0, 10, ok, 0),
			op(1, "get", "x", "1", 20, 30, ok, 0),
			op(0, "append", "x", "2", 40, 50, ok, 0),
			op(1, "get", "x", "12", 60, 70, ok, 0),
		}, Linearizable, 4},
		{"a read concurrent with a write may see either", []Operation{
			op(0, "put", "x", "1", 0, 10, ok, 0),
			op(0, "put", "x", "2", 20, 40, ok, 0),
			op(1, "get", "x", "1", 25, 30, ok, 0),
			op(2, "get", "x", "2", 26, 31, ok, 0),
		}, Linearizable, 4},
		{"a stale read", []Operation{
			op(0, "put", "x", "1", 0, 10, ok, 0),
			op(0, "put", "x", "2", 20, 30, ok, 0),
			op(1, "get", "x", "1", 40, 40, ok, 3),
		}, NotLinearizable, 3},
		{"reads go back in time", []Operation{
			op(0, "put", "x", "1", 0, 100, ok, 0),
			op(1, "get", "x", "1", 10, 20, ok, 0),
			op(2, "get", "x", "", 30, 40, ok, 0),
		}, NotLinearizable, 3},
		{"keys are independent", []Operation{
			op(0, "put", "x", "1", 0, 10, ok, 0),
			op(1, "get", "y", "", 20, 30, ok, 0),
		}, Linearizable, 2},
		{"a timed-out write may take effect later", []Operation{
			op(0, "put", "x", "1", 0, 10, timeout, -1),
			op(1, "get", "x", "", 20, 30, ok, 0),
			op(1, "get", "x", "1", 40, 50, ok, 0),
		}, Linearizable, 3},
		{"or never", []Operation{
			op(0, "put", "x", "1", 0, 10, unfinished, -1),
			op(1, "get", "x", "", 20, 30, ok, 0),
		}, Linearizable, 2},
		{"but not before it was called", []Operation{
			op(1, "get", "x", "1", 0, 10, ok, 0),
			op(0, "put", "x", "1", 20, 30, timeout, -1),
		}, NotLinearizable, 2},
		{"an unanswered read says nothing", []Operation{
			op(0, "put", "x", "1", 0, 10, ok, 0),
			op(1, "get", "x", "nonsense", 20, 30, timeout, -1),
		}, Linearizable, 1},
		{"the client goes on after a timeout", []Operation{
			// Client 0's put times out; its next op overlaps it in time. As a new
			// process, the check lets the put land after the get.
			op(0, "put", "x", "1", 0, 100, timeout, -1),
			op(0, "get", "x", "", 100, 110, ok, 0),
			op(1, "get", "x", "1", 200, 210, ok, 0),
		}, Linearizable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.h, time.Minute)
			if r.Outcome != tt.want || r.Operations != tt.ops {
				t.Fatalf("Check = %s with %d operations (%s); want %s with %d", r.Outcome, r.Operations, r.Message, tt.want, tt.ops)
			}
			if v := r.Violation(); (v != nil) != (tt.want == NotLinearizable) {
				t.Errorf("Violation() = %v for outcome %s", v, r.Outcome)
			}
			if r.HasVisualization() != (tt.want == NotLinearizable) {
				t.Errorf("HasVisualization() = %v for outcome %s", r.HasVisualization(), r.Outcome)
			}
		})
	}
}

func TestCheckNamesTheCulprit(t *testing.T) {
	h := []Operation{
		op(0, "put", "y", "a", 0, 5, ok, 0),
		op(0, "put", "x", "1", 0, 10, ok, 0),
		op(2, "get", "y", "a", 12, 15, ok, 0),
		op(0, "put", "x", "2", 20, 30, ok, 1),
		op(1, "get", "x", "1", 40, 40, ok, 3), // stale, from peer 3
		op(2, "get", "x", "2", 50, 60, ok, 1),
	}
	h[4].Index = 0 // answered from local state
	r := Check(h, time.Minute)
	if r.Outcome != NotLinearizable {
		t.Fatalf("Check = %s (%s); want not linearizable", r.Outcome, r.Message)
	}
	if r.Key != "x" || r.Culprit == nil || r.Culprit.Client != 1 || r.Culprit.Peer != 3 {
		t.Fatalf("Key %q, Culprit %+v; want key x and client 1's get from peer 3", r.Key, r.Culprit)
	}
	for _, want := range []string{"key x", `client 1's get(x) → "1"`, "peer 3 from its local state", `after client 0's put(x, "2")`} {
		if !strings.Contains(r.Message, want) {
			t.Errorf("message %q does not say %q", r.Message, want)
		}
	}
	v := r.Violation()
	if v.Checker != "linearizability" || len(v.Peers) != 1 || v.Peers[0] != 3 || v.At != ms(40) {
		t.Errorf("Violation() = %+v; want checker linearizability, peers [3], at 40ms", v)
	}
	var b strings.Builder
	if err := r.Visualize(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"<html", `get(x) → \"1\"`, "client 1 #0, ok, answered by peer 3 from its local state"} {
		if !strings.Contains(html, want) {
			t.Errorf("visualization lacks %q", want)
		}
	}
}

func TestVisualizeWithoutViolation(t *testing.T) {
	r := Check([]Operation{op(0, "put", "x", "1", 0, 10, ok, 0)}, time.Minute)
	var b strings.Builder
	if err := r.Visualize(&b); !errors.Is(err, ErrNoVisualization) || b.Len() != 0 {
		t.Errorf("Visualize of a linearizable history: %v, %d bytes; want ErrNoVisualization and nothing", err, b.Len())
	}
	var nilResult *CheckResult
	if err := nilResult.Visualize(&b); !errors.Is(err, ErrNoVisualization) {
		t.Errorf("Visualize of nil: %v; want ErrNoVisualization", err)
	}
}

func TestCheckBudget(t *testing.T) {
	// Twelve concurrent appends whose outcome is unknown, then a read no order of them
	// explains: porcupine must try the orders (12! of them) before it can say so.
	var h []Operation
	for c := range 12 {
		h = append(h, op(c, "append", "x", string(rune('a'+c)), 0, 10, timeout, -1))
	}
	h = append(h, op(12, "get", "x", "impossible", 20, 30, ok, 0))
	start := time.Now()
	r := Check(h, 50*time.Millisecond)
	if r.Outcome != Unknown {
		t.Fatalf("Check = %s (%s); want unknown", r.Outcome, r.Message)
	}
	if !strings.Contains(r.Message, "50ms budget") || r.Violation() != nil || r.HasVisualization() {
		t.Errorf("unknown result: message %q, violation %v, visualization %v", r.Message, r.Violation(), r.HasVisualization())
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("a 50ms budget took %v", el)
	}
}
