package raftpb

import (
	"fmt"
	"strings"
)

// EventKind says what an Event reports.
type EventKind uint8

// The event kinds. The comment on each says which Event fields it sets beyond Kind, Peer,
// Term and Role, which are always set (to the peer's state after the event).
const (
	// EventBoot: the peer started, from persisted state or empty. Index is the snapshot
	// index, LastIndex the last log index, PrevTerm the term of the snapshot.
	EventBoot EventKind = iota + 1
	// EventRole: the peer changed role to Role in Term. Other is the leader it now
	// follows, if known.
	EventRole
	// EventTerm: the peer's term rose from PrevTerm to Term.
	EventTerm
	// EventVote: the peer answered a vote (or, with PreVote, a pre-vote) request from
	// Other for term Index: Granted says how.
	EventVote
	// EventAppend: entries Index..LastIndex were appended to the peer's log; Entries holds
	// them. Other is the leader they came from (the peer itself for proposals).
	EventAppend
	// EventTruncate: the peer removed its conflicting entries Index..LastIndex.
	EventTruncate
	// EventCommit: the peer's commitIndex rose from Index-1 to LastIndex.
	EventCommit
	// EventApply: the peer handed entries Index..LastIndex (in Entries) to its service.
	EventApply
	// EventSnapshot: the service snapshotted the peer's state through LastIndex, whose
	// term is PrevTerm; the log now starts after it.
	EventSnapshot
	// EventInstallSnapshot: the peer installed a snapshot through LastIndex (term
	// PrevTerm) sent by leader Other, and hands it to its service.
	EventInstallSnapshot
	// EventProgress: the leader's view of follower Other changed: Index is now its match
	// index, LastIndex its next index and State its replication state. Reported for every
	// follower when the peer becomes leader, then when a follower's match index or
	// replication state changes and when its next index is set back (a probe, a
	// snapshot), not for each optimistic advance of next while entries stream.
	EventProgress
)

var eventNames = [...]string{"", "boot", "role", "term", "vote", "append", "truncate", "commit", "apply", "snapshot", "install", "progress"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && k != 0 {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", k)
}

// Event is something that happened at one peer that matters to a checker or a person
// watching. Events are reported in the order they happen at the peer. An Event and the
// Entries it carries are read-only and may be kept: the Node never modifies them later.
//
// In JSON (a trace's "raft" object) Kind, Peer, Term and Role are always written and the
// rest only when set, so a field that is absent is zero; Kind, Role and State are written
// by name.
type Event struct {
	Kind EventKind `json:"kind"`
	Peer int       `json:"peer"`
	Term int       `json:"term"`
	Role Role      `json:"role"`

	Other     int           `json:"other,omitempty"`
	Index     int           `json:"index,omitempty"`
	LastIndex int           `json:"last_index,omitempty"`
	PrevTerm  int           `json:"prev_term,omitempty"`
	Granted   bool          `json:"granted,omitempty"`
	PreVote   bool          `json:"prevote,omitempty"`
	State     ProgressState `json:"state,omitempty"`
	Entries   []Entry       `json:"entries,omitempty"`
}

func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "peer %d term %d %s:", e.Peer, e.Term, e.Role)
	if e.Kind != EventVote { // a vote says "vote" or "pre-vote" itself
		fmt.Fprintf(&b, " %s", e.Kind)
	}
	switch e.Kind {
	case EventBoot:
		fmt.Fprintf(&b, " snapshot %d (term %d) last %d", e.Index, e.PrevTerm, e.LastIndex)
	case EventRole:
		fmt.Fprintf(&b, " -> %s", e.Role)
		if e.Other != None {
			fmt.Fprintf(&b, " (leader %d)", e.Other)
		}
	case EventTerm:
		fmt.Fprintf(&b, " %d -> %d", e.PrevTerm, e.Term)
	case EventVote:
		what := "vote"
		if e.PreVote {
			what = "pre-vote"
		}
		verdict := "denied"
		if e.Granted {
			verdict = "granted"
		}
		fmt.Fprintf(&b, " %s %s to %d for term %d", what, verdict, e.Other, e.Index)
	case EventAppend, EventApply:
		fmt.Fprintf(&b, " %d..%d", e.Index, e.LastIndex)
		if e.Kind == EventAppend {
			fmt.Fprintf(&b, " from %d", e.Other)
		}
	case EventTruncate, EventCommit:
		fmt.Fprintf(&b, " %d..%d", e.Index, e.LastIndex)
	case EventSnapshot:
		fmt.Fprintf(&b, " through %d (term %d)", e.LastIndex, e.PrevTerm)
	case EventInstallSnapshot:
		fmt.Fprintf(&b, " through %d (term %d) from %d", e.LastIndex, e.PrevTerm, e.Other)
	}
	return b.String()
}

// TermRun is a run of consecutive log entries with the same term, starting at Index. Terms
// never decrease along a log, so a log's terms are a short list of runs.
type TermRun struct {
	Index int
	Term  int
}

// ProgressState is how a leader is replicating to a follower.
type ProgressState uint8

// The replication states, as in etcd-io/raft.
const (
	// Probe: the leader does not know where the follower's log matches and sends one
	// AppendEntries at a time, per heartbeat or reply.
	Probe ProgressState = iota
	// Replicate: the follower's log matches; the leader streams new entries as they come.
	Replicate
	// SnapshotState: the follower is behind the leader's snapshot and is being sent it.
	SnapshotState
)

func (s ProgressState) String() string {
	switch s {
	case Probe:
		return "probe"
	case Replicate:
		return "replicate"
	case SnapshotState:
		return "snapshot"
	}
	return fmt.Sprintf("ProgressState(%d)", s)
}

// Progress is what a leader knows of one peer's log.
type Progress struct {
	Match, Next int
	State       ProgressState
	Inflight    int
}

// Status is a consistent copy of a peer's state. It shares nothing with the peer.
type Status struct {
	ID       int
	Role     Role
	Term     int
	VotedFor int
	Leader   int // the leader this peer last heard from in Term, or None

	FirstIndex int // first index held in the log (SnapshotIndex+1)
	LastIndex  int
	LastTerm   int

	CommitIndex int
	LastApplied int

	SnapshotIndex int
	SnapshotTerm  int

	// Terms lists the terms of the log's entries FirstIndex..LastIndex as runs.
	Terms []TermRun
	// Progress is the leader's view of every peer, indexed by peer id; nil unless leader.
	Progress []Progress
}

// TermAt returns the term of the entry at index i as Status knows it: SnapshotTerm at the
// snapshot index, 0 outside FirstIndex..LastIndex.
func (s Status) TermAt(i int) int {
	if i == s.SnapshotIndex {
		return s.SnapshotTerm
	}
	if i < s.FirstIndex || i > s.LastIndex {
		return 0
	}
	t := 0
	for _, r := range s.Terms {
		if r.Index > i {
			break
		}
		t = r.Term
	}
	return t
}

// MarshalText renders k by name (for JSON traces).
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *EventKind) UnmarshalText(b []byte) error {
	for i, n := range eventNames {
		if i > 0 && n == string(b) {
			*k = EventKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown raft event kind %q", b)
}

// MarshalText renders s by name (for JSON traces).
func (s ProgressState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (s *ProgressState) UnmarshalText(b []byte) error {
	for _, v := range []ProgressState{Probe, Replicate, SnapshotState} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown replication state %q", b)
}

// MarshalText renders r by name (for JSON traces).
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (r *Role) UnmarshalText(b []byte) error {
	for i, n := range roleNames {
		if n == string(b) {
			*r = Role(i)
			return nil
		}
	}
	return fmt.Errorf("unknown role %q", b)
}
