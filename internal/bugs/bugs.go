// Package bugs holds deliberate bugs for testing MiniRaft's own tools: the checkers,
// fuzzing, shrinking and the linearizability check must catch a Raft or a service that is
// wrong, and the only way to show that is to run one.
//
// The bugs exist only in binaries and tests built with the build tag "bugs"
// (go build -tags bugs, go test -tags bugs). In every other build On is a constant false,
// so the compiler removes the buggy branches and nothing can switch them on.
//
// Each bug is a realistic mistake from the Raft literature (the paper, the Students'
// Guide to Raft, the course's lab texts, bug reports of production Rafts), planted as a
// change of one to three lines guarded by On(name) where correct code would not make it.
// Catalog lists them with the layer they live in and where they are described;
// docs/BUGS.md says, for each, where it is planted and what catches it.
package bugs

// The bugs of the core, raft.Node: elections, replication and commitment.
const (
	// Figure8 makes a leader count replicas of entries from earlier terms to commit them
	// (the bug of the Raft paper's Figure 8, which section 5.4.2 forbids).
	// Source: Raft paper §5.4.2 and Figure 8.
	Figure8 = "figure8"
	// ForgetVote makes a peer forget whom it voted for when it restarts, so it can vote
	// twice in one term. Source: Raft paper Figure 2 ("persistent state: currentTerm,
	// votedFor, log[]").
	ForgetVote = "forget-vote"
	// QuorumHalf takes (n+1)/2 peers for a majority: right for odd sizes, half (no
	// majority) for even ones, so two leaders can win one term of a 4-peer cluster.
	// Source: Raft paper §5.2 ("votes from a majority of the servers").
	QuorumHalf = "quorum-half"
	// StaleMatch makes a peer re-elected leader keep the match indexes of its previous
	// leadership, so it counts replicas that followers may have dropped since.
	// Source: Raft paper Figure 2 ("matchIndex[]: reinitialized after election").
	StaleMatch = "stale-match"
	// VoteSavedLate persists a granted vote only with the next other change of state,
	// so a crash right after the vote forgets it. Source: Raft paper Figure 2 ("updated
	// on stable storage before responding to RPCs"); microsoft/CCF#8094.
	VoteSavedLate = "vote-saved-late"
	// MatchBackwards sets a follower's match index from any successful reply, so a
	// reordered older reply moves it back. Source: etcd-io/etcd#1761.
	MatchBackwards = "match-backwards"
	// NextOnStaleReject handles a stale rejection (for an index the follower has matched
	// since) as a fresh one and takes next from it as is, below match. Source:
	// etcd-io/etcd#1207 ("do not decrease nextIndex ... for stale reply").
	NextOnStaleReject = "next-on-stale-reject"
	// ReplyTermUnchecked takes an AppendEntries reply to a request of an earlier term
	// as an answer in this one. Source: Students' Guide to Raft, "Term confusion".
	ReplyTermUnchecked = "reply-term-unchecked"
	// CandidateRefusesLeader makes a candidate refuse an AppendEntries of its own term
	// instead of becoming a follower: it stands again and again. Source: Raft paper
	// §5.2 (a candidate that hears a leader of its term "returns to follower state").
	CandidateRefusesLeader = "candidate-refuses-leader"
	// CommitPastNew makes a follower commit up to the end of its own log, not to the last
	// entry the request proved it shares, so it commits a stale tail. Source: Raft paper
	// Figure 2, AppendEntries rule 5; Students' Guide to Raft ("the index of the last
	// new entry"); atomix/copycat#265.
	CommitPastNew = "commit-past-new"
	// TruncateMatching makes a follower cut its log at the first entry a request sends
	// even when that entry matches, so a late or duplicated request deletes entries the
	// leader counts. Source: Students' Guide to Raft, "Incorrect RPC handlers".
	TruncateMatching = "truncate-matching"
	// NoPrevCheck makes a follower accept entries without checking the term of the
	// entry before them. Source: Raft paper §5.3 (the consistency check).
	NoPrevCheck = "no-prev-check"
	// VoteIgnoresLog grants votes whatever the candidate's log. Source: Raft paper
	// §5.4.1 (the election restriction).
	VoteIgnoresLog = "vote-ignores-log"
	// UpToDateByLength compares logs by length alone in the election restriction.
	// Source: Raft paper §5.4.1 ("if the logs have last entries with different terms,
	// then the log with the later term is more up-to-date").
	UpToDateByLength = "uptodate-by-length"
	// TimerResetOnAnyVote restarts a follower's election timer on every vote request,
	// granted or not, so a candidate that cannot win keeps one that could from standing.
	// Source: Students' Guide to Raft, "Livelocks".
	TimerResetOnAnyVote = "timer-reset-on-any-vote"
	// PreVoteRaisesTerm makes a peer that grants a pre-vote adopt the pre-vote's term, as
	// a real vote would. Source: Raft dissertation §9.6 (a pre-vote changes nothing);
	// canonical/raft#279.
	PreVoteRaisesTerm = "prevote-raises-term"
)

// The bugs of persistence: what a peer saves, and when.
const (
	// TermNotSaved makes a peer persist a new term only with some other change (a vote,
	// entries), so a restarted follower can go back to an older term. Source: Raft paper
	// Figure 2; wenweihu86/raft-java#57 ("currentTerm is modified ... but is not
	// persisted").
	TermNotSaved = "term-not-saved"
	// StateSnapshotTwoSteps makes raft.Raft save a Ready that carries a snapshot in two
	// writes, the state and then the state with the snapshot, instead of one: a crash
	// between them leaves a log compacted past a snapshot that was never written.
	// Source: cockroachdb/cockroach#3728, etcd-io/etcd#12691. Only the tear fault
	// crashes a peer there.
	StateSnapshotTwoSteps = "state-snapshot-two-steps"
)

// The bugs of log compaction and InstallSnapshot.
const (
	// OldSnapshotInstalled makes a follower install a snapshot older than what it has
	// committed, rolling its state back. Source: Raft paper §7 and Figure 13; Students'
	// Guide to Raft, "Applications on top of Raft" (old snapshots arrive late).
	OldSnapshotInstalled = "old-snapshot-installed"
	// SnapshotDropsTail makes a follower that installs a snapshot discard the log after
	// it even when the log continues the snapshot. Source: Raft paper Figure 13, step 6
	// ("retain log entries following it"); databendlabs/openraft#511.
	SnapshotDropsTail = "snapshot-drops-tail"
	// RestartIgnoresSnapshot makes a restarted peer start applying at index 1 instead of
	// after its snapshot. Source: goraft/raft#99; the panic issue 13 reports.
	RestartIgnoresSnapshot = "restart-ignores-snapshot"
	// SnapshotReplyTermUnchecked takes an InstallSnapshot reply to a request of an
	// earlier term as an answer in this one. Source: Students' Guide to Raft, "Term
	// confusion".
	SnapshotReplyTermUnchecked = "snapshot-reply-term-unchecked"
	// SnapshotIndexOffByOne records the service's snapshot as covering one entry more than
	// it does (when that entry is applied already). Source: the course's lab 2D text
	// (the snapshot covers the log "through and including" index, and no more).
	SnapshotIndexOffByOne = "snapshot-index-off-by-one"
)

// The bugs of the concurrent wrapper, raft.Raft (only the live engine runs it).
const (
	// SecondApplier starts two applier goroutines on one queue, so commands can reach
	// applyCh out of order. Source: the course's lab 2 text (applyCh delivers "in log
	// order"); issue 13's first wrapper miss.
	SecondApplier = "second-applier"
	// LockAcrossCall holds the peer's lock across the labrpc Call of an RPC, so peers
	// calling each other deadlock. Source: the course's "Raft Locking Advice" (do not
	// hold a lock while waiting for an RPC reply).
	LockAcrossCall = "lock-across-call"
	// RestampTerm makes a peer stamp its current term on an AppendEntries built in an
	// earlier one, so a deposed leader's old requests pass for the new term's. Source:
	// Students' Guide to Raft, "Term confusion".
	RestampTerm = "restamp-term"
	// ApplyUnderLock keeps the peer's lock while the applier waits for the service to
	// take what it sends on applyCh, where the service may call Snapshot, which needs the
	// lock. Source: the course's lab 2D text ("never hold a lock ... while sending on
	// applyCh").
	ApplyUnderLock = "apply-under-lock"
	// ReplyBeforeSave makes the RequestVote and AppendEntries handlers answer before what
	// they granted is saved (the next tick saves it). Source: Raft paper Figure 2
	// ("updated on stable storage before responding to RPCs").
	ReplyBeforeSave = "reply-before-save"
	// PausedStartAccepted makes a paused leader accept Start. Source: DESIGN.md (a paused
	// peer is not the leader), the course's clerks that retry whoever claims to lead.
	PausedStartAccepted = "paused-start-accepted"
)

// The bugs of the key-value service (chaos/kv).
const (
	// StaleRead makes the kv service answer reads from a leader's local state without
	// checking it still leads, so an isolated old leader serves stale values.
	// Source: Raft paper §8; etcd-io/etcd#741 ("consistent reads are not consistent").
	StaleRead = "stale-read"
	// NoDupDetection makes the store apply a retried request again. Source: Students'
	// Guide to Raft, "Duplicate detection"; Raft paper §8 (clients' serial numbers).
	NoDupDetection = "no-dup-detection"
	// DupsNotInSnapshot leaves the duplicate table out of the store's snapshots, so a
	// restored store applies retried requests again. Source: the course's lab 3B text
	// (the snapshot must hold what detects duplicates).
	DupsNotInSnapshot = "dups-not-in-snapshot"
	// AnswerOtherOp answers a waiting request OK when its log index is applied, whatever
	// command landed there. Source: Students' Guide to Raft, "Applications on top of
	// Raft" (the leader may have lost its entry to another's).
	AnswerOtherOp = "answer-other-op"
)

// EnvVar names the environment variable that switches bugs on when a program or test
// binary built with the tag starts: a comma-separated list of names, as in
// MINIRAFT_BUGS=figure8 go test -tags bugs ./raft/. Other builds ignore it.
const EnvVar = "MINIRAFT_BUGS"

// Layer is the part of MiniRaft a bug lives in.
type Layer string

// The layers.
const (
	Core        Layer = "core"        // raft.Node: elections, replication, commitment
	Persistence Layer = "persistence" // what raft.Node or raft.Raft saves, and when
	Snapshots   Layer = "snapshots"   // log compaction and InstallSnapshot
	Wrapper     Layer = "wrapper"     // raft.Raft: goroutines, locks, applyCh
	KV          Layer = "kv"          // the key-value service, chaos/kv
)

// Bug describes one deliberate bug. A Bug is a plain value.
type Bug struct {
	Name  string
	Layer Layer
	// Live says the bug is in code only the live engine runs (raft.Raft's); the sim
	// engine runs raft.Node alone.
	Live bool
	// Source says, in one line, where the bug is described.
	Source string
}

// Catalog lists every bug, by layer.
var Catalog = []Bug{
	{Name: Figure8, Layer: Core, Source: "Raft paper §5.4.2, Figure 8"},
	{Name: ForgetVote, Layer: Core, Source: "Raft paper Figure 2 (persistent state)"},
	{Name: QuorumHalf, Layer: Core, Source: "Raft paper §5.2 (a majority)"},
	{Name: StaleMatch, Layer: Core, Source: "Raft paper Figure 2 (matchIndex reinitialized after election)"},
	{Name: VoteSavedLate, Layer: Core, Source: "Raft paper Figure 2 (saved before responding); microsoft/CCF#8094"},
	{Name: MatchBackwards, Layer: Core, Source: "etcd-io/etcd#1761"},
	{Name: NextOnStaleReject, Layer: Core, Source: "etcd-io/etcd#1207"},
	{Name: ReplyTermUnchecked, Layer: Core, Source: "Students' Guide to Raft, Term confusion"},
	{Name: CandidateRefusesLeader, Layer: Core, Source: "Raft paper §5.2"},
	{Name: CommitPastNew, Layer: Core, Source: "Raft paper Figure 2, AppendEntries rule 5; atomix/copycat#265"},
	{Name: TruncateMatching, Layer: Core, Source: "Students' Guide to Raft, Incorrect RPC handlers"},
	{Name: NoPrevCheck, Layer: Core, Source: "Raft paper §5.3 (consistency check)"},
	{Name: VoteIgnoresLog, Layer: Core, Source: "Raft paper §5.4.1 (election restriction)"},
	{Name: UpToDateByLength, Layer: Core, Source: "Raft paper §5.4.1 (up-to-date)"},
	{Name: TimerResetOnAnyVote, Layer: Core, Source: "Students' Guide to Raft, Livelocks"},
	{Name: PreVoteRaisesTerm, Layer: Core, Source: "Raft dissertation §9.6; canonical/raft#279"},
	{Name: TermNotSaved, Layer: Persistence, Source: "Raft paper Figure 2; wenweihu86/raft-java#57"},
	{Name: StateSnapshotTwoSteps, Layer: Persistence, Live: true, Source: "cockroachdb/cockroach#3728; etcd-io/etcd#12691"},
	{Name: OldSnapshotInstalled, Layer: Snapshots, Source: "Raft paper §7, Figure 13; Students' Guide, Applications on top of Raft"},
	{Name: SnapshotDropsTail, Layer: Snapshots, Source: "Raft paper Figure 13 step 6; databendlabs/openraft#511"},
	{Name: RestartIgnoresSnapshot, Layer: Snapshots, Source: "goraft/raft#99"},
	{Name: SnapshotReplyTermUnchecked, Layer: Snapshots, Source: "Students' Guide to Raft, Term confusion"},
	{Name: SnapshotIndexOffByOne, Layer: Snapshots, Source: "6.5840 lab 2D text (through and including index)"},
	{Name: SecondApplier, Layer: Wrapper, Live: true, Source: "6.5840 lab 2 text (applyCh in log order)"},
	{Name: LockAcrossCall, Layer: Wrapper, Live: true, Source: "6.5840 Raft Locking Advice"},
	{Name: RestampTerm, Layer: Wrapper, Live: true, Source: "Students' Guide to Raft, Term confusion"},
	{Name: ApplyUnderLock, Layer: Wrapper, Live: true, Source: "6.5840 lab 2D text (no lock while sending on applyCh)"},
	{Name: ReplyBeforeSave, Layer: Persistence, Live: true, Source: "Raft paper Figure 2 (saved before responding)"},
	{Name: PausedStartAccepted, Layer: Wrapper, Live: true, Source: "DESIGN.md (a paused peer is not the leader)"},
	{Name: StaleRead, Layer: KV, Source: "Raft paper §8; etcd-io/etcd#741"},
	{Name: NoDupDetection, Layer: KV, Source: "Students' Guide to Raft, Duplicate detection; Raft paper §8"},
	{Name: DupsNotInSnapshot, Layer: KV, Source: "6.5840 lab 3B text (snapshot the duplicate table)"},
	{Name: AnswerOtherOp, Layer: KV, Source: "Students' Guide to Raft, Applications on top of Raft"},
}

// Known lists every bug's name, in the order of Catalog, for flags and help.
var Known = names(Catalog)

func names(bs []Bug) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return out
}

// Lookup returns the bug of that name.
func Lookup(name string) (Bug, bool) {
	for _, b := range Catalog {
		if b.Name == name {
			return b, true
		}
	}
	return Bug{}, false
}
