package chaos

import (
	"testing"
	"time"
)

// A client operation reads as the log and the report show it: a call has no answer yet,
// so no latency (it read "pending (-2703.0ms)").
func TestClientOpString(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		op   ClientOp
		want string
	}{
		{ClientOp{Client: 6, Seq: 40, Op: "append", Key: "k0", Input: "6.40;", Status: ClientPending, Call: 2703 * ms, Peer: -1},
			`client 6 #40 append k0 "6.40;" called`},
		{ClientOp{Client: 2, Seq: 40, Op: "get", Key: "k2", Output: "0.20;", Status: ClientOK, Call: 2706 * ms, Return: 2708 * ms, Peer: 2},
			`client 2 #40 get k2 -> "0.20;" from peer 2 (2.0ms)`},
		{ClientOp{Client: 1, Seq: 3, Op: "put", Key: "k1", Input: "x", Status: ClientOK, Call: 0, Return: 5 * ms, Peer: 0, Index: 7},
			`client 1 #3 put k1 "x" ok from peer 0 at index 7 (5.0ms)`},
		{ClientOp{Client: 1, Seq: 4, Op: "get", Key: "k1", Status: ClientTimeout, Call: 0, Return: time.Second, Peer: -1},
			`client 1 #4 get k1 timeout (1000.0ms)`},
	}
	for _, tt := range tests {
		if got := tt.op.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}
