//go:build bugs

package runner

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/internal/bugs"
)

// forgetVoteSeed is the seed in testdata/forget-vote.chaos's header.
const forgetVoteSeed = 1

// TestBugForgetVoteCaught shows a checker catching a real bug in the Raft core: with
// forget-vote on (a restarted peer forgets whom it voted for), the scenario
// testdata/forget-vote.chaos, seed 1, fails with an election-safety violation, peers 1
// and 4 both leaders of term 2; with the bug off the same file passes. To see it:
//
//	go build -tags bugs -o miniraft ./cmd/miniraft
//	./miniraft run --bug forget-vote chaos/runner/testdata/forget-vote.chaos
//
// The scenario leads up to the double vote by construction, so other seeds fail the
// same way: the test tries a few.
func TestBugForgetVoteCaught(t *testing.T) {
	const file = "testdata/forget-vote.chaos"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := parseScenario(t, "forget-vote", string(src))
	if !sc.Header.HasSeed || sc.Header.Seed != forgetVoteSeed {
		t.Fatalf("%s: header seed %d (set %v), want %d: the seed the docs give", file, sc.Header.Seed, sc.Header.HasSeed, forgetVoteSeed)
	}
	defer bugs.Set()

	tests := []struct {
		bug  bool
		seed int64 // 0: the header's
	}{
		{bug: true}, {bug: false},
		{bug: true, seed: 2}, {bug: true, seed: 3}, {bug: false, seed: 2},
	}
	for _, tt := range tests {
		if tt.bug {
			if err := bugs.Set(bugs.ForgetVote); err != nil {
				t.Fatal(err)
			}
		} else {
			bugs.Set()
		}
		sc := parseScenario(t, "forget-vote", string(src))
		if tt.seed != 0 {
			sc.Header.Seed = tt.seed
		}
		res := runScenario(t, sc, Options{Engine: "sim"})
		var summary strings.Builder
		res.WriteSummary(&summary)
		want := sc.Header.Seed
		if res.Seed != want {
			t.Errorf("ran with seed %d, want %d", res.Seed, want)
		}
		if !tt.bug {
			if !res.Pass {
				t.Errorf("seed %d without the bug: want a pass, got\n%s", res.Seed, summary.String())
			}
			continue
		}
		f := res.Failure
		if f == nil || f.Checker != "election-safety" {
			t.Errorf("seed %d with forget-vote: want an election-safety violation, got\n%s", res.Seed, summary.String())
			continue
		}
		if !slices.Equal(f.Peers, []int{1, 4}) || !slices.Equal(f.Terms, []int{2}) {
			t.Errorf("seed %d: violation names peers %v, terms %v; want peers [1 4], term [2]: %v", res.Seed, f.Peers, f.Terms, f)
		}
		if res.Seed == forgetVoteSeed {
			t.Logf("forget-vote caught with seed %d:\n%s", res.Seed, summary.String())
		}
	}
}
