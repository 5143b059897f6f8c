package raftpb

import "testing"

// An event's text names its kind once: "vote granted", not "vote vote granted".
func TestEventString(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: EventVote, Peer: 1, Term: 3, Role: Follower, Other: 2, Index: 3, Granted: true}, "peer 1 term 3 follower: vote granted to 2 for term 3"},
		{Event{Kind: EventVote, Peer: 1, Term: 3, Role: Follower, Other: 2, Index: 4, PreVote: true}, "peer 1 term 3 follower: pre-vote denied to 2 for term 4"},
		{Event{Kind: EventCommit, Peer: 0, Term: 2, Role: Leader, Index: 4, LastIndex: 6}, "peer 0 term 2 leader: commit 4..6"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
