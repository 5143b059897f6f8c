package scenario

import (
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

func mustCond(t *testing.T, text string) Cond {
	t.Helper()
	c, err := ParseCommand("expect " + text + " for 1s")
	if err != nil {
		t.Fatalf("condition %q: %v", text, err)
	}
	return c.(ExpectCmd).Cond
}

func TestCondEval(t *testing.T) {
	healthy := Observation{Peers: cluster(5, 2), Commits: 10, Lost: 1, Elections: 3}
	for i := range healthy.Peers {
		healthy.Peers[i].LastIndex, healthy.Peers[i].LastTerm, healthy.Peers[i].CommitIndex = 12, 3, 12
	}
	healthy.Peers[3].Term = 4 // a candidate that raised its term

	isolated := healthy
	isolated.Net = chaos.NewNetState(5)
	isolated.Net.Apply(chaos.Fault{Kind: chaos.Isolate, Peers: []int{2}})

	minority := healthy
	minority.Peers = cluster(5, 2, 0, 1) // two crashed: 2, 3, 4 remain
	for i := range minority.Peers {
		minority.Peers[i].CommitIndex = 12
	}
	minority.Peers[0].CommitIndex, minority.Peers[1].CommitIndex = 0, 0
	minority.Peers[3].Term = 4 // so 2 leads only itself and 4
	split := healthy
	split.Net = chaos.NewNetState(5)
	split.Net.Apply(chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0, 1}, {2, 3}, {4}}})

	// Two leaders: 2 at term 3, stale; 4 at term 5, followed by 0, 1, 3.
	twoLeaders := Observation{Peers: cluster(5, 4)}
	for i := range twoLeaders.Peers {
		twoLeaders.Peers[i].Term = 5
	}
	twoLeaders.Peers[2].Role, twoLeaders.Peers[2].Term, twoLeaders.Peers[2].Leader = raft.Leader, 3, 2

	lagging := healthy
	lagging.Peers = cluster(5, 2)
	for i, c := range []int{9, 12, 12, 7, 12} {
		lagging.Peers[i].CommitIndex, lagging.Peers[i].LastIndex = c, 12
	}

	tests := []struct {
		cond string
		obs  Observation
		want bool
		why  string
	}{
		{"leader", healthy, true, "peer 2 leads term 3"},
		{"no leader", healthy, false, "peer 2 leads term 3"},
		{"leader", isolated, false, "no peer leads a connected majority (1 believe they lead)"},
		{"no leader", isolated, true, "no peer leads a connected majority (1 believe they lead)"},
		{"leader", minority, false, "no peer leads a connected majority (1 believe they lead)"}, // 3 is at term 4
		{"leader", split, false, "no peer leads a connected majority (1 believe they lead)"},
		{"leader", twoLeaders, true, "peer 4 leads term 5"},
		{"leader is 4", twoLeaders, true, "peer 4 leads term 5"},
		{"leader is 0,4", twoLeaders, true, "peer 4 leads term 5"},
		{"leader not 4", twoLeaders, false, "peer 4 leads term 5"},
		{"leader not 2", twoLeaders, true, "peer 4 leads term 5"},
		{"leader is 2", isolated, false, "no peer leads a connected majority (1 believe they lead)"},
		{"leader not 2", isolated, false, "no peer leads a connected majority (1 believe they lead)"},
		{"leaders == 2", twoLeaders, true, "leaders is 2"},
		{"leaders == 1", healthy, true, "leaders is 1"},
		{"leaders == 0", minority, false, "leaders is 1"},
		{"commit 12", healthy, true, "commit index 12"},
		{"commit 13", healthy, false, "commit index 12"},
		{"commit 12", lagging, true, "commit index 12"},
		{"commit 10", minority, true, "commit index 12"},
		{"converged", healthy, true, "up peers at last index 12 term 3 commit 12"},
		{"converged", lagging, false, "peer 0 has last index 12 term 0 commit 9, peer 1 has 12 term 0 commit 12"},
		{"converged", Observation{Peers: cluster(3, 0, 0, 1, 2)}, true, "no peer is up"},
		{"term == 4", healthy, true, "term is 4"},
		{"term > 4", healthy, false, "term is 4"},
		{"commits >= 10", healthy, true, "commits is 10"},
		{"commits < 10", healthy, false, "commits is 10"},
		{"lost != 0", healthy, true, "lost is 1"},
		{"elections <= 3", healthy, true, "elections is 3"},
	}
	for _, tt := range tests {
		got, why := mustCond(t, tt.cond).Eval(tt.obs)
		if got != tt.want || why != tt.why {
			t.Errorf("Eval(%q) = %v, %q; want %v, %q", tt.cond, got, why, tt.want, tt.why)
		}
	}
	// Three of five up with commit indexes 12, 12, 12 and two crashed at 0.
	if got := minority.CommitIndex(); got != 12 {
		t.Errorf("CommitIndex = %d, want 12", got)
	}
	lagging.Peers[1].State, lagging.Peers[2].State = chaos.Paused, chaos.Paused
	if got := lagging.CommitIndex(); got != 7 {
		t.Errorf("CommitIndex with 2 paused = %d, want 7 (the third of 9, 7, 12)", got)
	}
}

func TestCondBind(t *testing.T) {
	o := Observation{Peers: cluster(3, 0), Commits: 10, Lost: 2, Elections: 4}
	for i := range o.Peers {
		o.Peers[i].CommitIndex = 20
	}
	tests := []struct{ cond, want string }{
		{"commit +5", "commit 25"},
		{"commits >= +10", "commits >= 20"},
		{"lost <= +0", "lost <= 2"},
		{"elections == +1", "elections == 5"},
		{"term <= +1", "term <= 4"},
		{"leaders < +1", "leaders < 2"},
		{"commit 5", "commit 5"},
		{"leader", "leader"},
	}
	for _, tt := range tests {
		c := mustCond(t, tt.cond).Bind(o)
		if c.Relative || c.String() != tt.want {
			t.Errorf("Bind(%q) = %q (relative %v), want %q", tt.cond, c, c.Relative, tt.want)
		}
	}
}

func TestOpCompare(t *testing.T) {
	for op, want := range map[Op][3]bool{ // 1 op 2, 2 op 2, 3 op 2
		OpEQ: {false, true, false}, OpNE: {true, false, true}, OpLT: {true, false, false},
		OpLE: {true, true, false}, OpGT: {false, false, true}, OpGE: {false, true, true},
	} {
		for i, a := range []int{1, 2, 3} {
			if got := op.Compare(a, 2); got != want[i] {
				t.Errorf("%d %v 2 = %v, want %v", a, op, got, want[i])
			}
		}
	}
	if Op(0).Compare(1, 1) || !strings.HasPrefix(Op(9).String(), "Op(") {
		t.Error("invalid Op misbehaves")
	}
}
