package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

const defaultTick = raftpb.DefaultTickInterval

// ticks returns the heartbeat interval and the election timeout range in ticks, with
// Raft's defaults for the fields left zero.
func (tm Timing) ticks() (heartbeat, electionMin, electionMax int) {
	tick := tm.tick()
	heartbeat, electionMin, electionMax = raftpb.DefaultHeartbeatTicks, raftpb.DefaultElectionTicksMin, raftpb.DefaultElectionTicksMax
	if tm.Heartbeat > 0 {
		heartbeat = int(tm.Heartbeat / tick)
	}
	if tm.ElectionMin > 0 {
		electionMin, electionMax = int(tm.ElectionMin/tick), int(tm.ElectionMax/tick)
	}
	return heartbeat, electionMin, electionMax
}

// RaftConfig returns the template raftpb.Config for the scenario's peers (the Raft field
// of chaos.ClusterConfig): Peers, the timing in ticks with every field filled in, and
// PreVote and CheckQuorum. ID, Seed and Observer are left for the engine.
func (h *Header) RaftConfig() raftpb.Config {
	hb, lo, hi := h.Timing.ticks()
	return raftpb.Config{
		Peers:            h.Peers,
		TickInterval:     h.Timing.tick(),
		HeartbeatTicks:   hb,
		ElectionTicksMin: lo,
		ElectionTicksMax: hi,
		PreVote:          h.PreVote,
		CheckQuorum:      h.CheckQuorum,
	}
}

// ClusterConfig returns the configuration of the scenario's cluster: its peers, Raft
// options and a service (chaos.Digest) snapshotting as the header says. The scenario's
// seed wins; seed is used when the scenario has none.
func (s *Scenario) ClusterConfig(seed int64) chaos.ClusterConfig {
	if s.Header.HasSeed {
		seed = s.Header.Seed
	}
	every := s.Header.SnapshotEvery
	return chaos.ClusterConfig{
		Peers:      s.Header.Peers,
		Seed:       seed,
		Raft:       s.Header.RaftConfig(),
		NewService: func(int) chaos.Service { return chaos.NewDigest(every) },
	}
}

// Bound returns how long the scenario can run: until its last step finishes if every
// wait takes its whole time limit, or its duration if that is longer. Runners use it
// for timeouts.
func (s *Scenario) Bound() time.Duration {
	var now, due time.Duration // when the previous step finished, and was due
	for _, st := range s.Steps {
		switch st.When.Kind {
		case Immediate:
			due = now
		case Absolute:
			due = st.When.At
		case Relative:
			due += st.When.At
		}
		now = max(now, due)
		if st.Every == nil {
			now += stepLength(st.Cmd)
		}
	}
	return max(now, s.Header.Duration)
}

// stepLength is the longest time a command blocks the timeline.
func stepLength(c Command) time.Duration {
	switch c := c.(type) {
	case SleepCmd:
		return c.D
	case WaitCmd:
		return c.Within
	case ExpectCmd:
		return c.For
	}
	return 0
}

// Resolve turns the command's selectors into peer ids given the peers' statuses, and
// returns the fault to apply. Selectors are resolved in the order they are written;
// "others" picks every peer that no earlier selector of the command picked. rng makes
// the random picks (follower, random, majority, minority); nil means a fixed seed.
//
// It fails, changing nothing, if a selector cannot pick (errors.Is(err,
// chaos.ErrNoLeader) when it needs a leader and there is none), if the middle of a
// bridge is not one peer, if a side of a loss, delay, reorder or duplicate picks no
// peer, or if the fault is invalid for the cluster (chaos.Fault.Validate).
func (c FaultCmd) Resolve(peers []chaos.PeerStatus, rng *rand.Rand) (chaos.Fault, error) {
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	var picked []int
	var failed error
	resolve := func(s Sel) []int {
		if failed != nil {
			return nil
		}
		ids, err := s.Resolve(peers, picked, rng)
		if err != nil {
			failed = fmt.Errorf("%s: %q: %w", c, s.String(), err)
			return nil
		}
		for _, id := range ids {
			if !slices.Contains(picked, id) {
				picked = append(picked, id)
			}
		}
		return ids
	}
	f := chaos.Fault{Kind: c.Kind, P: c.P, Min: c.Min, Max: c.Max, Rate: c.Rate, Replies: c.Replies}
	spec, _ := c.Kind.Spec()
	switch spec.Args {
	case chaos.ArgsPeers, chaos.ArgsPeersRate:
		f.Peers = resolve(c.Peers)
	case chaos.ArgsGroups, chaos.ArgsBridge:
		for _, g := range c.Groups {
			f.Groups = append(f.Groups, resolve(g))
		}
		if failed == nil && spec.Args == chaos.ArgsBridge && (len(f.Groups) != 3 || len(f.Groups[1]) != 1) {
			return chaos.Fault{}, fmt.Errorf("%s: the middle of a %s must be one peer", c, spec.Name)
		}
	case chaos.ArgsLinks:
		f.From, f.To = resolve(c.From), resolve(c.To)
	case chaos.ArgsProb, chaos.ArgsDelay:
		if c.HasLinks() {
			f.From, f.To = resolve(c.From), resolve(c.To)
			if failed == nil && (len(f.From) == 0 || len(f.To) == 0) {
				return chaos.Fault{}, fmt.Errorf("%s: no links: a side picks no peer", c)
			}
		}
	}
	if failed != nil {
		return chaos.Fault{}, failed
	}
	if err := f.Validate(len(peers)); err != nil {
		return chaos.Fault{}, fmt.Errorf("%s: %w", c, err)
	}
	return f, nil
}
