// Package bugs holds deliberate bugs for testing MiniRaft's own tools: the checkers,
// fuzzing, shrinking and the linearizability check must catch a Raft or a service that is
// wrong, and the only way to show that is to run one.
//
// The bugs exist only in binaries and tests built with the build tag "bugs"
// (go build -tags bugs, go test -tags bugs). In every other build On is a constant false,
// so the compiler removes the buggy branches and nothing can switch them on.
package bugs

// The bugs. Each is a one-line change to correct code, named for what it breaks.
const (
	// Figure8 makes a leader count replicas of entries from earlier terms to commit them
	// (the bug of the Raft paper's Figure 8, which section 5.4.2 forbids).
	Figure8 = "figure8"
	// StaleRead makes the kv service answer reads from a leader's local state without
	// checking it still leads, so an isolated old leader serves stale values.
	StaleRead = "stale-read"
	// ForgetVote makes a peer forget whom it voted for when it restarts, so it can vote
	// twice in one term.
	ForgetVote = "forget-vote"
	// StateSnapshotTwoSteps makes raft.Raft save a Ready that carries a snapshot in two
	// writes, the state and then the state with the snapshot, instead of one: a crash
	// between them leaves a log compacted past a snapshot that was never written.
	// Source: cockroachdb/cockroach#3728, etcd-io/etcd#12691. Only the tear fault
	// crashes a peer there.
	StateSnapshotTwoSteps = "state-snapshot-two-steps"
)

// Known lists every bug, for flags and help.
var Known = []string{Figure8, StaleRead, ForgetVote, StateSnapshotTwoSteps}
