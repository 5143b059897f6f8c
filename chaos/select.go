package chaos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// SelectorKind says how a Selector picks peers.
type SelectorKind uint8

// The selector kinds.
const (
	// SelIDs picks the peers listed in IDs.
	SelIDs SelectorKind = iota + 1
	// SelLeader picks the leader: the up peer that believes it leads, with the highest
	// term.
	SelLeader
	// SelFollower picks one follower (a random up peer other than the leader).
	SelFollower
	// SelFollowers picks every peer but the leader.
	SelFollowers
	// SelRandom picks one random peer.
	SelRandom
	// SelMajority picks a random majority, the leader (if any) among them.
	SelMajority
	// SelMinority picks a random minority that excludes the leader.
	SelMinority
	// SelAll picks every peer.
	SelAll
	// SelOthers picks every peer not picked by the previous selector of the same command.
	SelOthers
	// SelCrashed picks every crashed peer.
	SelCrashed
)

var selectorNames = [...]string{"", "ids", "leader", "follower", "followers", "random", "majority", "minority", "all", "others", "crashed"}

func (k SelectorKind) String() string {
	if int(k) < len(selectorNames) && k != 0 {
		return selectorNames[k]
	}
	return fmt.Sprintf("SelectorKind(%d)", k)
}

// SelectorByName returns the kind named name (not SelIDs), and false if there is none.
func SelectorByName(name string) (SelectorKind, bool) {
	for i, n := range selectorNames {
		if i > int(SelIDs) && n == name {
			return SelectorKind(i), true
		}
	}
	return 0, false
}

// SelectorNames lists the selector words, for help and suggestions.
func SelectorNames() []string { return append([]string(nil), selectorNames[SelIDs+1:]...) }

// Selector names a set of peers by id or by role.
type Selector struct {
	Kind SelectorKind
	IDs  []int
}

func (s Selector) String() string {
	if s.Kind == SelIDs {
		return ids(s.IDs)
	}
	return s.Kind.String()
}

// ErrNoLeader is returned when a selector needs a leader and there is none.
var ErrNoLeader = errors.New("no leader")

// LeaderOf returns the id of the up peer that believes it is leader with the highest
// term, or raftpb.None.
func LeaderOf(peers []PeerStatus) int {
	best := raftpb.None
	for i, p := range peers {
		if p.State == Up && p.Role == raftpb.Leader && (best == raftpb.None || p.Term > peers[best].Term) {
			best = i
		}
	}
	return best
}

// Resolve turns s into peer ids given the peers' statuses, using rng for random picks.
// prev is what the previous selector of the same command picked (for SelOthers). The
// result is sorted.
func (s Selector) Resolve(peers []PeerStatus, prev []int, rng *rand.Rand) ([]int, error) {
	n := len(peers)
	leader := LeaderOf(peers)
	all := seq(n)
	without := func(set []int, x ...int) []int {
		var out []int
		for _, p := range set {
			if !slices.Contains(x, p) {
				out = append(out, p)
			}
		}
		return out
	}
	pick := func(from []int, k int) []int {
		from = slices.Clone(from)
		rng.Shuffle(len(from), func(i, j int) { from[i], from[j] = from[j], from[i] })
		out := from[:k]
		slices.Sort(out)
		return out
	}
	var out []int
	switch s.Kind {
	case SelIDs:
		for _, id := range s.IDs {
			if id < 0 || id >= n {
				return nil, fmt.Errorf("peer %d does not exist (peers are 0..%d)", id, n-1)
			}
		}
		out = slices.Clone(s.IDs)
		slices.Sort(out)
	case SelLeader:
		if leader == raftpb.None {
			return nil, ErrNoLeader
		}
		out = []int{leader}
	case SelFollower:
		var up []int
		for i, p := range peers {
			if i != leader && p.State == Up {
				up = append(up, i)
			}
		}
		if len(up) == 0 {
			up = without(all, leader)
		}
		if len(up) == 0 {
			return nil, errors.New("no follower")
		}
		out = pick(up, 1)
	case SelFollowers:
		out = without(all, leader)
	case SelRandom:
		out = pick(all, 1)
	case SelMajority:
		k := n/2 + 1
		if leader != raftpb.None {
			out = append(pick(without(all, leader), k-1), leader)
			slices.Sort(out)
		} else {
			out = pick(all, k)
		}
	case SelMinority:
		out = pick(without(all, leader), (n-1)/2)
	case SelAll:
		out = all
	case SelOthers:
		out = without(all, prev...)
	case SelCrashed:
		for i, p := range peers {
			if p.State == Crashed {
				out = append(out, i)
			}
		}
	default:
		return nil, fmt.Errorf("unknown selector %v", s.Kind)
	}
	return out, nil
}
