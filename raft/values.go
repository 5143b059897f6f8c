package raft

import "github.com/miniraft/miniraft/raft/raftpb"

// Raft's plain values live in package raftpb, which imports nothing of ours, so that
// readers of events and statuses need not link the network. These names make them part
// of package raft as well: raft.Event and raftpb.Event are one type.

// Log entries, roles and the RPCs.
type (
	Entry                = raftpb.Entry
	Role                 = raftpb.Role
	RequestVoteArgs      = raftpb.RequestVoteArgs
	RequestVoteReply     = raftpb.RequestVoteReply
	AppendEntriesArgs    = raftpb.AppendEntriesArgs
	AppendEntriesReply   = raftpb.AppendEntriesReply
	InstallSnapshotArgs  = raftpb.InstallSnapshotArgs
	InstallSnapshotReply = raftpb.InstallSnapshotReply
)

// Events, statuses and options.
type (
	Event         = raftpb.Event
	EventKind     = raftpb.EventKind
	TermRun       = raftpb.TermRun
	ProgressState = raftpb.ProgressState
	Progress      = raftpb.Progress
	Status        = raftpb.Status
	Config        = raftpb.Config
)

// The roles.
const (
	Follower     = raftpb.Follower
	PreCandidate = raftpb.PreCandidate
	Candidate    = raftpb.Candidate
	Leader       = raftpb.Leader
)

// None is the peer id meaning "nobody", as in VotedFor or a leader hint.
const None = raftpb.None

// RPC method names, as labrpc.MakeService registers them.
const (
	MethodRequestVote     = raftpb.MethodRequestVote
	MethodAppendEntries   = raftpb.MethodAppendEntries
	MethodInstallSnapshot = raftpb.MethodInstallSnapshot
)

// The event kinds (see raftpb.EventKind).
const (
	EventBoot            = raftpb.EventBoot
	EventRole            = raftpb.EventRole
	EventTerm            = raftpb.EventTerm
	EventVote            = raftpb.EventVote
	EventAppend          = raftpb.EventAppend
	EventTruncate        = raftpb.EventTruncate
	EventCommit          = raftpb.EventCommit
	EventApply           = raftpb.EventApply
	EventSnapshot        = raftpb.EventSnapshot
	EventInstallSnapshot = raftpb.EventInstallSnapshot
	EventProgress        = raftpb.EventProgress
)

// The replication states.
const (
	Probe         = raftpb.Probe
	Replicate     = raftpb.Replicate
	SnapshotState = raftpb.SnapshotState
)

// Defaults (see raftpb.Config).
const (
	DefaultTickInterval         = raftpb.DefaultTickInterval
	DefaultHeartbeatTicks       = raftpb.DefaultHeartbeatTicks
	DefaultElectionTicksMin     = raftpb.DefaultElectionTicksMin
	DefaultElectionTicksMax     = raftpb.DefaultElectionTicksMax
	DefaultMaxEntriesPerMessage = raftpb.DefaultMaxEntriesPerMessage
	DefaultMaxInflight          = raftpb.DefaultMaxInflight
)

// ErrConfig is wrapped by every error Config.Validate returns.
var ErrConfig = raftpb.ErrConfig

// DefaultConfig returns the default options for peer id of n.
func DefaultConfig(id, n int) Config { return raftpb.DefaultConfig(id, n) }
