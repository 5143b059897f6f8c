package raftpb

import (
	"errors"
	"fmt"
	"time"
)

// Config holds a peer's options. The zero value of each field means its default, so a
// Config with only ID and Peers set is valid; DefaultConfig shows the defaults.
type Config struct {
	// ID is this peer's index among the peers, in [0, Peers).
	ID int
	// Peers is the number of peers in the cluster.
	Peers int

	// TickInterval is the length of one logical tick. Node only counts ticks; the Raft
	// wrapper ticks at this interval (default 10ms).
	TickInterval time.Duration
	// HeartbeatTicks is the number of ticks between a leader's heartbeats (default 10, so
	// 10 heartbeats a second at the default tick).
	HeartbeatTicks int
	// ElectionTicksMin and ElectionTicksMax bound the randomised election timeout, drawn
	// afresh in [min, max] ticks each time the timer is reset (default 30 and 55).
	ElectionTicksMin int
	ElectionTicksMax int

	// PreVote makes a peer ask for pre-votes before it starts an election, so a peer that
	// cannot win (for example one returning from a partition) does not disrupt the
	// cluster by raising terms (Raft dissertation 9.6).
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a majority within an
	// election timeout, and makes followers that hear from a leader ignore vote requests
	// for the minimum election timeout (leader stickiness).
	CheckQuorum bool

	// MaxEntriesPerMessage caps the entries one AppendEntries carries (default 512).
	MaxEntriesPerMessage int
	// MaxInflight caps the AppendEntries messages carrying entries that a leader keeps
	// outstanding to one follower while replicating (default 1: labrpc does not keep
	// messages in order, and a second message that overtakes the first is rejected,
	// while with one in flight whatever is proposed meanwhile goes in the next).
	MaxInflight int

	// Seed seeds the Node's only random source (election timeouts). With the same Seed and
	// the same inputs a Node produces the same outputs. Make picks a random seed when it
	// is zero.
	Seed int64

	// Observer, when non-nil, is called synchronously and in order with every Event.
	// It must not block and must not call back into the Node or Raft.
	Observer func(Event)
}

// Defaults, chosen to pass the course's rules: at most 10 heartbeats a second and a new
// leader well within 5 seconds.
const (
	DefaultTickInterval         = 10 * time.Millisecond
	DefaultHeartbeatTicks       = 10
	DefaultElectionTicksMin     = 30
	DefaultElectionTicksMax     = 55
	DefaultMaxEntriesPerMessage = 512
	DefaultMaxInflight          = 1
)

// DefaultConfig returns the default options for peer id of n.
func DefaultConfig(id, n int) Config {
	c := Config{ID: id, Peers: n}
	c.SetDefaults()
	return c
}

// SetDefaults replaces every zero field of c with its default.
func (c *Config) SetDefaults() {
	if c.TickInterval == 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if c.ElectionTicksMin == 0 {
		c.ElectionTicksMin = DefaultElectionTicksMin
	}
	if c.ElectionTicksMax == 0 {
		c.ElectionTicksMax = max(DefaultElectionTicksMax, c.ElectionTicksMin)
	}
	if c.MaxEntriesPerMessage == 0 {
		c.MaxEntriesPerMessage = DefaultMaxEntriesPerMessage
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid raft config")

// Validate reports the first problem with c after defaults are applied, or nil.
func (c Config) Validate() error {
	c.SetDefaults()
	switch {
	case c.Peers < 1:
		return fmt.Errorf("%w: Peers is %d, want at least 1", ErrConfig, c.Peers)
	case c.ID < 0 || c.ID >= c.Peers:
		return fmt.Errorf("%w: ID is %d, want 0 <= ID < Peers (%d)", ErrConfig, c.ID, c.Peers)
	case c.TickInterval < 0:
		return fmt.Errorf("%w: TickInterval is %v, want > 0", ErrConfig, c.TickInterval)
	case c.HeartbeatTicks < 1:
		return fmt.Errorf("%w: HeartbeatTicks is %d, want >= 1", ErrConfig, c.HeartbeatTicks)
	case c.ElectionTicksMin <= c.HeartbeatTicks:
		return fmt.Errorf("%w: ElectionTicksMin (%d) must exceed HeartbeatTicks (%d)", ErrConfig, c.ElectionTicksMin, c.HeartbeatTicks)
	case c.ElectionTicksMax < c.ElectionTicksMin:
		return fmt.Errorf("%w: ElectionTicksMax (%d) is below ElectionTicksMin (%d)", ErrConfig, c.ElectionTicksMax, c.ElectionTicksMin)
	case c.MaxEntriesPerMessage < 1:
		return fmt.Errorf("%w: MaxEntriesPerMessage is %d, want >= 1", ErrConfig, c.MaxEntriesPerMessage)
	case c.MaxInflight < 1:
		return fmt.Errorf("%w: MaxInflight is %d, want >= 1", ErrConfig, c.MaxInflight)
	}
	return nil
}
