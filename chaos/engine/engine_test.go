package engine

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/raft"
)

// Every peer's every life gets its own seed, never zero (Raft would pick a random seed,
// and a sim run with cluster seed 0 would not be reproducible).
func TestPeerSeed(t *testing.T) {
	seen := map[int64]string{}
	for _, seed := range []int64{0, 1, -1, 42} {
		for id := range 5 {
			for life := range 3 {
				s := PeerSeed(seed, id, life)
				if s == 0 {
					t.Errorf("PeerSeed(%d, %d, %d) = 0", seed, id, life)
				}
				if seed == 42 {
					if other, dup := seen[s]; dup {
						t.Errorf("PeerSeed(42, %d, %d) = %d, as %s", id, life, s, other)
					}
					seen[s] = "another peer or life"
				}
			}
		}
	}
}

func TestLeader(t *testing.T) {
	type st struct {
		term       int
		leader, up bool
	}
	tests := []struct {
		name  string
		peers []st
		want  int
	}{
		{"none", []st{{1, false, true}, {1, false, true}}, raft.None},
		{"one", []st{{1, false, true}, {2, true, true}}, 1},
		{"the highest term", []st{{3, true, true}, {5, true, true}, {4, true, true}}, 1},
		{"the lowest id among equals", []st{{1, false, true}, {4, true, true}, {4, true, true}}, 1},
		{"a down peer does not count", []st{{9, true, false}, {2, true, true}}, 1},
		{"no peers", nil, raft.None},
	}
	for _, tt := range tests {
		got := Leader(len(tt.peers), func(i int) (int, bool, bool) {
			p := tt.peers[i]
			return p.term, p.leader, p.up
		})
		if got != tt.want {
			t.Errorf("%s: Leader = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// svc records what it is handed; it asks for a snapshot after index 2 and refuses a
// snapshot it cannot read.
type svc struct{ log []string }

func (s *svc) Apply(index int, cmd interface{}) []byte {
	s.log = append(s.log, fmt.Sprintf("apply %d %v", index, cmd))
	if index == 2 {
		return []byte("snap")
	}
	return nil
}

func (s *svc) Restore(index int, snap []byte) error {
	if string(snap) != "snap" {
		return errors.New("unreadable")
	}
	s.log = append(s.log, fmt.Sprintf("restore %d", index))
	return nil
}

func TestServe(t *testing.T) {
	s := &svc{}
	var compacted []int
	compact := func(index int, snap []byte) { compacted = append(compacted, index) }
	msgs := []raft.ApplyMsg{
		{CommandValid: true, CommandIndex: 1, Command: "a"},
		{CommandValid: true, CommandIndex: 2, Command: "b"},
		{SnapshotValid: true, SnapshotIndex: 5, Snapshot: []byte("snap")},
	}
	for _, m := range msgs {
		if msg := Serve(s, 3, m, compact); msg != "" {
			t.Fatalf("Serve(%+v) = %q, want no failure", m, msg)
		}
	}
	if got, want := strings.Join(s.log, "; "), "apply 1 a; apply 2 b; restore 5"; got != want {
		t.Errorf("the service was handed %q, want %q", got, want)
	}
	if len(compacted) != 1 || compacted[0] != 2 {
		t.Errorf("compacted at %v, want [2]", compacted)
	}
	bad := raft.ApplyMsg{SnapshotValid: true, SnapshotIndex: 7, Snapshot: []byte("junk")}
	if got := Serve(s, 3, bad, compact); !strings.Contains(got, "peer 3 could not restore the snapshot through 7") {
		t.Errorf("Serve of an unreadable snapshot = %q, want it to say peer 3 could not restore through 7", got)
	}
}
