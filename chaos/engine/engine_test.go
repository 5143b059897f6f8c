package engine

import "testing"

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
