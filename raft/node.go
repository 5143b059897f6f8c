package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/miniraft/miniraft/internal/bugs"
)

// Errors returned by Node.
var (
	// ErrNotLeader is returned by Propose on a peer that is not the leader.
	ErrNotLeader = errors.New("not the leader")
	// ErrSnapshotIndex is returned by Snapshot for an index it cannot compact to.
	ErrSnapshotIndex = errors.New("snapshot index out of range")
)

// Ready is what a Node asks its caller to do after an input, in this order: save State
// (and Snapshot with it, atomically, when Snapshot is non-nil), then send Messages, then
// hand Apply to the service. Messages and Apply may depend on State being durable.
type Ready struct {
	// State, when non-nil, is the persistent state to save (Persister.SaveReady saves
	// it with the Snapshot). It shares the Node's encoded log, which the Node never
	// modifies again, so the caller may keep it without copying.
	State *PersistentState
	// Snapshot, when non-nil, is a new snapshot to save together with State.
	Snapshot []byte
	// Messages are RPCs to send; report each one's outcome with StepReply or StepFailure.
	Messages []Message
	// Apply are committed commands and installed snapshots for the service, in order.
	Apply []ApplyMsg
}

// IsEmpty reports whether rd asks for nothing.
func (rd Ready) IsEmpty() bool {
	return rd.State == nil && rd.Snapshot == nil && len(rd.Messages) == 0 && len(rd.Apply) == 0
}

// progress is a leader's bookkeeping for one follower.
type progress struct {
	Progress
	// epoch changes whenever the leader stops trusting its outstanding messages to this
	// peer (a fall back to probing); replies to older messages do not count as inflight.
	epoch uint32
	// probeSent: in Probe, a probe is outstanding; in SnapshotState, a snapshot is.
	probeSent bool
	// sentAgo counts heartbeats since a snapshot was last sent.
	sentAgo int
	// sentCommit is the highest commit index this follower can have learned from us.
	sentCommit int
	// progressed records, since the last heartbeat, a reply that advanced Match.
	progressed bool
	// active records any reply in this term since the last tick.
	active bool
	// silent counts the ticks since the last reply in this term (with CheckQuorum).
	silent int
}

// Node is one Raft peer as a deterministic state machine. Feed it inputs (Tick, Propose,
// Snapshot, RequestVote, AppendEntries, InstallSnapshot, StepReply, StepFailure) and
// drain its outputs with Ready after each one. It does no I/O and starts no goroutines.
// Not safe for concurrent use: the caller serialises all calls.
type Node struct {
	cfg    Config
	id     int
	quorum int
	rng    *rand.Rand

	// Persistent state (Figure 2, plus the snapshot's index and term in log).
	term     int
	votedFor int
	log      raftLog
	snapshot []byte

	// Volatile state.
	role        Role
	leader      int
	commitIndex int
	lastApplied int

	electionElapsed  int
	electionTimeout  int
	heartbeatElapsed int

	votes []int8 // per peer, in the current (pre-)election: 1 granted, -1 denied, 0 unknown
	prs   []progress

	tick func()

	// Outputs not yet handed out by Ready.
	enc          logEncoder
	stateDirty   bool
	snapDirty    bool
	msgs         []Message
	pendingApply []ApplyMsg // installed snapshots waiting to be applied

	scratch []int
}

// NewNode returns a Node for cfg, restored from a persisted state and snapshot as saved
// from earlier Readies (both may be empty for a new peer).
func NewNode(cfg Config, state, snapshot []byte) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.SetDefaults()
	st, err := decodeState(state)
	if err != nil {
		return nil, err
	}
	if st.votedFor < None || st.votedFor >= cfg.Peers {
		return nil, fmt.Errorf("%w: votedFor %d with %d peers", ErrCorruptState, st.votedFor, cfg.Peers)
	}
	if bugs.On(bugs.ForgetVote) {
		st.votedFor = None // the bug: a restarted peer may vote again in its current term
	}
	n := &Node{
		cfg:      cfg,
		id:       cfg.ID,
		quorum:   cfg.Peers/2 + 1,
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.ID)+0x9e3779b97f4a7c15)),
		term:     st.term,
		votedFor: st.votedFor,
		leader:   None,
		snapshot: snapshot,
		votes:    make([]int8, cfg.Peers),
		prs:      make([]progress, cfg.Peers),
	}
	if bugs.On(bugs.QuorumHalf) {
		n.quorum = (cfg.Peers + 1) / 2 // the bug: half of an even cluster is no majority
	}
	n.log = raftLog{snapIndex: st.snapIndex, snapTerm: st.snapTerm}
	n.log.append(st.entries...)
	n.enc = newLogEncoder(st.encoded, st.offsets)
	n.commitIndex, n.lastApplied = st.snapIndex, st.snapIndex
	if bugs.On(bugs.RestartIgnoresSnapshot) {
		n.commitIndex, n.lastApplied = 0, 0 // the bug: applying starts again at 1
	}
	n.becomeFollower(n.term, None)
	n.emit(Event{Kind: EventBoot, Index: n.log.snapIndex, PrevTerm: n.log.snapTerm, LastIndex: n.log.lastIndex(), Other: None})
	return n, nil
}

// ID returns the peer's id.
func (n *Node) ID() int { return n.id }

// Term returns the current term.
func (n *Node) Term() int { return n.term }

// Role returns the current role.
func (n *Node) Role() Role { return n.role }

// Leader returns the leader this peer follows in the current term, or None.
func (n *Node) Leader() int { return n.leader }

// Status returns a consistent copy of the peer's state.
func (n *Node) Status() Status {
	s := Status{
		ID:            n.id,
		Role:          n.role,
		Term:          n.term,
		VotedFor:      n.votedFor,
		Leader:        n.leader,
		FirstIndex:    n.log.firstIndex(),
		LastIndex:     n.log.lastIndex(),
		LastTerm:      n.log.lastTerm(),
		CommitIndex:   n.commitIndex,
		LastApplied:   n.lastApplied,
		SnapshotIndex: n.log.snapIndex,
		SnapshotTerm:  n.log.snapTerm,
		Terms:         n.log.termRuns(),
	}
	if n.role == Leader {
		s.Progress = make([]Progress, len(n.prs))
		for i := range n.prs {
			s.Progress[i] = n.prs[i].Progress
		}
	}
	return s
}

// Entries returns a copy of the log entries lo..hi (inclusive), clipped to what the log
// holds after its snapshot.
func (n *Node) Entries(lo, hi int) []Entry {
	lo, hi = max(lo, n.log.firstIndex()), min(hi, n.log.lastIndex())
	if lo > hi {
		return nil
	}
	return slices.Clone(n.log.slice(lo, hi+1))
}

// SnapshotData returns the latest snapshot, shared and read-only.
func (n *Node) SnapshotData() []byte { return n.snapshot }

// emit reports e to the observer, filling in the peer's identity and state.
func (n *Node) emit(e Event) {
	if n.cfg.Observer == nil {
		return
	}
	e.Peer, e.Term, e.Role = n.id, n.term, n.role
	n.cfg.Observer(e)
}

// ---- Role transitions -------------------------------------------------------------------

func (n *Node) setTerm(term int) {
	if term == n.term {
		return
	}
	prev := n.term
	n.term, n.votedFor, n.leader = term, None, None
	n.stateDirty = n.stateDirty || !bugs.On(bugs.TermNotSaved) // the bug: saved only with something else
	n.emit(Event{Kind: EventTerm, PrevTerm: prev, Other: None})
}

func (n *Node) setRole(r Role) {
	n.role = r
	n.emit(Event{Kind: EventRole, Other: n.leader})
}

func (n *Node) resetElectionTimer() {
	n.electionElapsed = 0
	n.electionTimeout = n.cfg.ElectionTicksMin + n.rng.IntN(n.cfg.ElectionTicksMax-n.cfg.ElectionTicksMin+1)
}

func (n *Node) becomeFollower(term, leader int) {
	n.setTerm(term)
	changed := n.role != Follower || n.leader != leader
	n.leader = leader
	n.tick = n.tickElection
	n.resetElectionTimer()
	if changed {
		n.setRole(Follower)
	}
}

func (n *Node) becomePreCandidate() {
	n.leader = None
	n.tick = n.tickElection
	n.resetElectionTimer()
	clear(n.votes)
	n.setRole(PreCandidate)
}

func (n *Node) becomeCandidate() {
	n.setTerm(n.term + 1)
	n.votedFor = n.id
	n.stateDirty = true
	n.tick = n.tickElection
	n.resetElectionTimer()
	clear(n.votes)
	n.setRole(Candidate)
}

func (n *Node) becomeLeader() {
	n.leader = n.id
	n.tick = n.tickHeartbeat
	n.heartbeatElapsed = 0
	n.electionElapsed = 0
	last := n.log.lastIndex()
	for i := range n.prs {
		old := n.prs[i].Match
		n.prs[i] = progress{Progress: Progress{Next: last + 1}, epoch: n.prs[i].epoch + 1}
		if bugs.On(bugs.StaleMatch) {
			n.prs[i].Match = old // the bug: match is what the last leadership knew
		}
	}
	n.prs[n.id].Match = last
	n.setRole(Leader)
	for p := range n.prs {
		if p != n.id {
			n.emitProgress(p)
		}
	}
	n.bcastHeartbeat()
}

// emitProgress reports the leader's view of follower p.
func (n *Node) emitProgress(p int) {
	pr := &n.prs[p].Progress
	n.emit(Event{Kind: EventProgress, Other: p, Index: pr.Match, LastIndex: pr.Next, State: pr.State})
}

// noteProgress reports the leader's view of follower p if it changed from old in a way
// EventProgress reports: a new match index or replication state, or a next index set
// back (not the optimistic advances of next while entries stream).
func (n *Node) noteProgress(p int, old Progress) {
	pr := &n.prs[p].Progress
	if pr.Match != old.Match || pr.State != old.State || pr.Next < old.Next {
		n.emitProgress(p)
	}
}

// ---- Ticks ------------------------------------------------------------------------------

// Tick advances the logical clock by one tick.
func (n *Node) Tick() { n.tick() }

// tickElection is the tick of followers and (pre-)candidates: start an election when the
// timer runs out.
func (n *Node) tickElection() {
	n.electionElapsed++
	if n.electionElapsed >= n.electionTimeout {
		n.campaign()
	}
}

// tickHeartbeat is the leader's tick: heartbeats, and with CheckQuorum, stepping down when
// out of touch with a majority.
func (n *Node) tickHeartbeat() {
	n.heartbeatElapsed++
	n.electionElapsed++
	if n.electionElapsed >= n.cfg.ElectionTicksMin {
		n.electionElapsed = 0
	}
	if n.cfg.CheckQuorum && !n.quorumActive() {
		n.becomeFollower(n.term, None)
		return
	}
	if n.heartbeatElapsed >= n.cfg.HeartbeatTicks {
		n.heartbeatElapsed = 0
		n.bcastHeartbeat()
	}
}

// quorumActive ages every follower's silence by a tick and reports whether a majority
// (counting this peer) has answered within the last ElectionTicksMin ticks.
func (n *Node) quorumActive() bool {
	active := 1
	for i := range n.prs {
		if i == n.id {
			continue
		}
		pr := &n.prs[i]
		if pr.active {
			pr.silent, pr.active = 0, false
		} else {
			pr.silent++
		}
		if pr.silent < n.cfg.ElectionTicksMin {
			active++
		}
	}
	return active >= n.quorum
}

// ---- Elections --------------------------------------------------------------------------

// campaign starts a pre-vote (with PreVote) or else an election, when the election timer
// runs out. A pre-candidate whose pre-vote timed out pre-votes again: only a majority of
// pre-votes lets it raise its term.
func (n *Node) campaign() {
	if n.cfg.PreVote {
		n.becomePreCandidate()
		n.votes[n.id] = 1
		if n.quorum > 1 {
			n.requestVotes(true)
			return
		}
	}
	n.startElection()
}

// startElection becomes a candidate in the next term and asks every peer for its vote.
func (n *Node) startElection() {
	n.becomeCandidate()
	n.votes[n.id] = 1
	if n.quorum == 1 {
		n.becomeLeader()
		return
	}
	n.requestVotes(false)
}

func (n *Node) requestVotes(pre bool) {
	term := n.term
	if pre {
		term++
	}
	for p := range n.prs {
		if p == n.id {
			continue
		}
		n.send(p, &RequestVoteArgs{
			Term:         term,
			CandidateID:  n.id,
			LastLogIndex: n.log.lastIndex(),
			LastLogTerm:  n.log.lastTerm(),
			PreVote:      pre,
		})
	}
}

// inLease reports whether this peer heard from a leader within the minimum election
// timeout, in which case, with CheckQuorum, it ignores requests to start a new term.
func (n *Node) inLease() bool {
	return n.leader != None && n.electionElapsed < n.cfg.ElectionTicksMin
}

// RequestVote handles a RequestVote (or pre-vote) request and fills in reply.
func (n *Node) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	grant := false
	defer func() {
		reply.Term, reply.VoteGranted = n.term, grant
		n.emit(Event{Kind: EventVote, Other: args.CandidateID, Index: args.Term, Granted: grant, PreVote: args.PreVote})
	}()
	upToDate := n.log.isUpToDate(args.LastLogIndex, args.LastLogTerm) || bugs.On(bugs.VoteIgnoresLog)
	if args.PreVote {
		// Grant if the candidate could win: a later term, a log at least as up to date as
		// ours, and no leader heard from recently.
		grant = args.Term > n.term && upToDate && !n.inLease()
		if grant && bugs.On(bugs.PreVoteRaisesTerm) {
			n.becomeFollower(args.Term, None) // the bug: a pre-vote changes the term
		}
		return
	}
	if args.Term < n.term {
		return
	}
	if args.Term > n.term {
		if n.cfg.CheckQuorum && n.inLease() {
			return
		}
		// A later term makes us a follower, but only a granted vote restarts the
		// election timer (Figure 2): a candidate whose log is behind ours must not keep
		// us, who could win, from standing. A leader had no election timer running, so
		// it gets a fresh one.
		elapsed, timeout, wasLeader := n.electionElapsed, n.electionTimeout, n.role == Leader
		n.becomeFollower(args.Term, None)
		if !wasLeader {
			n.electionElapsed, n.electionTimeout = elapsed, timeout
		}
	}
	if (n.votedFor == None || n.votedFor == args.CandidateID) && upToDate {
		grant = true
		if n.votedFor != args.CandidateID {
			n.votedFor = args.CandidateID
			n.stateDirty = n.stateDirty || !bugs.On(bugs.VoteSavedLate) // the bug: saved only with something else
		}
		n.resetElectionTimer()
	}
	if bugs.On(bugs.TimerResetOnAnyVote) {
		n.resetElectionTimer() // the bug: a vote refused restarts the timer too
	}
}

func (n *Node) handleVoteReply(from int, args *RequestVoteArgs, reply *RequestVoteReply) {
	if args.PreVote {
		if n.role != PreCandidate || args.Term != n.term+1 {
			return
		}
	} else if n.role != Candidate || args.Term != n.term {
		return
	}
	if reply.VoteGranted {
		n.votes[from] = 1
	} else {
		n.votes[from] = -1
	}
	granted, denied := 0, 0
	for _, v := range n.votes {
		switch v {
		case 1:
			granted++
		case -1:
			denied++
		}
	}
	switch {
	case granted >= n.quorum && args.PreVote:
		n.startElection()
	case granted >= n.quorum:
		n.becomeLeader()
	case denied >= n.quorum:
		// This election is lost; wait for a leader or the next timeout as a follower.
		n.becomeFollower(n.term, None)
	}
}

// ---- Log replication, follower side ------------------------------------------------------

// AppendEntries handles an AppendEntries request and fills in reply.
func (n *Node) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	reply.Success, reply.ConflictTerm, reply.ConflictIndex = false, None, 0
	defer func() { reply.Term = n.term }()
	if args.Term < n.term {
		return
	}
	if !n.acceptLeader(args.Term, args.LeaderID) {
		return
	}

	prev, prevTerm, entries := args.PrevLogIndex, args.PrevLogTerm, args.Entries
	if prev < n.log.snapIndex {
		// Everything through the snapshot is committed and so matches the leader's log;
		// skip what the snapshot covers.
		skip := n.log.snapIndex - prev
		if skip >= len(entries) {
			reply.Success = true
			return
		}
		prev, prevTerm, entries = n.log.snapIndex, entries[skip-1].Term, entries[skip:]
	}
	if prev > n.log.lastIndex() {
		reply.ConflictIndex = n.log.lastIndex() + 1
		return
	}
	if t, _ := n.log.term(prev); t != prevTerm && !bugs.On(bugs.NoPrevCheck) {
		reply.ConflictTerm = t
		reply.ConflictIndex = n.log.firstIndexOfTerm(prev)
		return
	}
	reply.Success = true

	// Append what is new, first cutting off any conflicting suffix (never a committed one).
	for i, e := range entries {
		idx := prev + 1 + i
		if idx <= n.log.lastIndex() {
			if t, _ := n.log.term(idx); t == e.Term && !bugs.On(bugs.TruncateMatching) {
				continue
			}
			n.truncateFrom(idx)
		}
		if err := n.appendEntries(entries[i:], args.LeaderID); err != nil {
			// Entries we cannot save are entries we do not hold: claim no more than the
			// log has, and commit nothing on their account.
			reply.Success, reply.ConflictIndex = false, n.log.lastIndex()+1
			return
		}
		break
	}
	if lastNew := args.PrevLogIndex + len(args.Entries); args.LeaderCommit > n.commitIndex {
		if bugs.On(bugs.CommitPastNew) {
			lastNew = n.log.lastIndex() // the bug: the end of our log, not of what the leader sent
		}
		n.commitTo(min(args.LeaderCommit, lastNew))
	}
}

// acceptLeader brings the peer into line with a leader's request in term >= ours: it
// follows leader in term and restarts its election timer. It returns false (and changes
// nothing) if this peer is itself the leader of term.
func (n *Node) acceptLeader(term, leader int) bool {
	switch {
	case term == n.term && n.role == Leader:
		// Two leaders in one term cannot happen; refuse rather than corrupt the log.
		return false
	case term == n.term && n.role == Candidate && bugs.On(bugs.CandidateRefusesLeader):
		return false // the bug: a candidate does not give way to the leader of its term
	case term > n.term || n.role != Follower || n.leader != leader:
		n.becomeFollower(term, leader)
	default:
		n.electionElapsed = 0
	}
	return true
}

func (n *Node) truncateFrom(idx int) {
	last := n.log.lastIndex()
	n.log.truncateFrom(idx)
	n.enc.truncate(idx - n.log.snapIndex - 1)
	n.stateDirty = true
	n.emit(Event{Kind: EventTruncate, Index: idx, LastIndex: last, Other: n.leader})
}

// appendEntries adds es (shared with the caller, who must not change them) to the log.
func (n *Node) appendEntries(es []Entry, from int) error {
	if len(es) == 0 {
		return nil
	}
	if err := n.enc.append(es); err != nil {
		return err
	}
	n.appended(es, from)
	return nil
}

// appended adds es, already encoded, to the log.
func (n *Node) appended(es []Entry, from int) {
	first := n.log.lastIndex() + 1
	n.log.append(es...)
	n.stateDirty = true
	n.emit(Event{Kind: EventAppend, Index: first, LastIndex: n.log.lastIndex(), Entries: n.log.slice(first, n.log.lastIndex()+1), Other: from})
}

func (n *Node) commitTo(index int) {
	if index <= n.commitIndex {
		return
	}
	prev := n.commitIndex
	n.commitIndex = index
	n.emit(Event{Kind: EventCommit, Index: prev + 1, LastIndex: index, Other: n.leader})
}

// InstallSnapshot handles an InstallSnapshot request and fills in reply.
func (n *Node) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	defer func() { reply.Term = n.term }()
	if args.Term < n.term || !n.acceptLeader(args.Term, args.LeaderID) {
		return
	}
	if args.LastIncludedIndex <= n.commitIndex && !bugs.On(bugs.OldSnapshotInstalled) {
		return // we already have (and have committed) everything it holds
	}
	if bugs.On(bugs.SnapshotDropsTail) && args.LastIncludedIndex < n.log.lastIndex() {
		n.truncateFrom(args.LastIncludedIndex + 1) // the bug: the log after the snapshot goes too
	}
	n.compact(args.LastIncludedIndex, args.LastIncludedTerm, args.Data)
	n.commitTo(args.LastIncludedIndex)
	n.lastApplied = args.LastIncludedIndex
	n.pendingApply = append(n.pendingApply, ApplyMsg{
		SnapshotValid: true,
		Snapshot:      args.Data,
		SnapshotTerm:  args.LastIncludedTerm,
		SnapshotIndex: args.LastIncludedIndex,
	})
	n.emit(Event{Kind: EventInstallSnapshot, LastIndex: args.LastIncludedIndex, PrevTerm: args.LastIncludedTerm, Other: args.LeaderID})
}

func (n *Node) compact(index, term int, data []byte) {
	kept := 0
	if t, ok := n.log.term(index); ok && t == term {
		kept = n.log.lastIndex() - index
	}
	n.enc.drop(n.log.lastIndex() - n.log.snapIndex - kept)
	n.log.compact(index, term)
	n.snapshot = data
	n.stateDirty, n.snapDirty = true, true
}

// ---- Log replication, leader side -------------------------------------------------------

// Propose appends cmd to the log if this peer is the leader, and returns the index and
// term the command will have if it is committed. It sends nothing itself: the entry goes
// out with the next Ready, batched with any others proposed before it.
func (n *Node) Propose(cmd interface{}) (index, term int, err error) {
	return n.propose(cmd, nil)
}

// propose is Propose for a command already encoded by encodeProposal (enc non-nil), or
// to be encoded here (enc nil).
func (n *Node) propose(cmd interface{}, enc []byte) (index, term int, err error) {
	if n.role != Leader {
		return -1, n.term, ErrNotLeader
	}
	es := []Entry{{Term: n.term, Command: cmd}}
	if enc != nil {
		n.enc.appendEncoded(n.term, enc)
		n.appended(es, n.id)
	} else if err := n.appendEntries(es, n.id); err != nil {
		return -1, n.term, err
	}
	n.prs[n.id].Match = n.log.lastIndex()
	n.maybeCommit()
	return n.log.lastIndex(), n.term, nil
}

// Snapshot records that the service's snapshot covers everything through index, so the
// log can be trimmed to what follows it. The index must be applied and not already in
// a snapshot.
func (n *Node) Snapshot(index int, data []byte) error {
	if index <= n.log.snapIndex || index > n.lastApplied {
		return fmt.Errorf("%w: %d, want %d < index <= %d (applied)", ErrSnapshotIndex, index, n.log.snapIndex, n.lastApplied)
	}
	if bugs.On(bugs.SnapshotIndexOffByOne) && index < n.lastApplied {
		index++ // the bug: the snapshot is taken to cover one entry more than it holds
	}
	term, _ := n.log.term(index)
	n.compact(index, term, data)
	n.emit(Event{Kind: EventSnapshot, LastIndex: index, PrevTerm: term, Other: None})
	return nil
}

func (n *Node) send(to int, args interface{}) {
	n.msgs = append(n.msgs, Message{From: n.id, To: to, Args: args, epoch: n.prs[to].epoch})
}

func (n *Node) bcastHeartbeat() {
	for p := range n.prs {
		if p == n.id {
			continue
		}
		pr := &n.prs[p]
		old := pr.Progress
		switch pr.State {
		case Probe:
			pr.probeSent = false
		case Replicate:
			if !pr.progressed && pr.Match < pr.Next-1 {
				// Entries have been outstanding a whole heartbeat without an answer:
				// assume they are lost and go back to probing from what is known.
				n.becomeProbe(pr, pr.Match+1)
			} else {
				n.sendHeartbeat(p)
			}
		case SnapshotState:
			pr.sentAgo++
			if pr.sentAgo >= 2 {
				pr.probeSent = false
			}
		}
		pr.progressed = false
		n.noteProgress(p, old)
		n.maybeSendAppend(p)
	}
}

func (n *Node) becomeProbe(pr *progress, next int) {
	pr.State = Probe
	pr.Next = max(next, pr.Match+1)
	if bugs.On(bugs.NextOnStaleReject) {
		pr.Next = next // the bug: next from the rejection as is, below what is matched
	}
	pr.Inflight = 0
	pr.probeSent = false
	pr.epoch++
}

// sendHeartbeat sends an empty AppendEntries anchored at the follower's known match.
func (n *Node) sendHeartbeat(p int) {
	pr := &n.prs[p]
	prevTerm, _ := n.log.term(pr.Match)
	if pr.Match < n.log.snapIndex {
		return // the follower needs the snapshot; maybeSendAppend sends it
	}
	commit := min(n.commitIndex, pr.Match)
	pr.sentCommit = max(pr.sentCommit, commit)
	n.send(p, &AppendEntriesArgs{Term: n.term, LeaderID: n.id, PrevLogIndex: pr.Match, PrevLogTerm: prevTerm, LeaderCommit: n.commitIndex})
}

// maybeSendAppend sends p what its replication state allows: in Probe one message (if
// none is outstanding), in Replicate every new entry up to the inflight limit, and a
// snapshot when p is behind the log's start.
func (n *Node) maybeSendAppend(p int) {
	pr := &n.prs[p]
	if pr.State != SnapshotState && pr.Next <= n.log.snapIndex {
		old := pr.Progress
		pr.State, pr.probeSent, pr.Inflight = SnapshotState, false, 0
		pr.epoch++
		n.noteProgress(p, old)
	}
	switch pr.State {
	case SnapshotState:
		if pr.probeSent {
			return
		}
		pr.probeSent, pr.sentAgo = true, 0
		n.send(p, &InstallSnapshotArgs{Term: n.term, LeaderID: n.id, LastIncludedIndex: n.log.snapIndex, LastIncludedTerm: n.log.snapTerm, Data: n.snapshot})
	case Probe:
		if pr.probeSent {
			return
		}
		pr.probeSent = true
		n.sendEntries(p, pr.Next)
	case Replicate:
		last := n.log.lastIndex()
		for pr.Next <= last && pr.Inflight < n.cfg.MaxInflight {
			pr.Next = n.sendEntries(p, pr.Next) + 1
			pr.Inflight++
		}
		if pr.Inflight == 0 && n.commitDue(pr) {
			// With entries in flight, the commit goes with the next entries sent when
			// they are answered (or, if none are, in a heartbeat then): an update of
			// its own for every commit would double the messages of a busy leader.
			n.sendHeartbeat(p)
		}
	}
}

// sendable reports whether maybeSendAppend(p) would send anything now. HasReady relies
// on it, so it must follow maybeSendAppend exactly.
func (n *Node) sendable(p int) bool {
	pr := &n.prs[p]
	if pr.State != SnapshotState && pr.Next <= n.log.snapIndex {
		return true // maybeSendAppend switches it to a snapshot
	}
	if pr.State == Replicate {
		return pr.Next <= n.log.lastIndex() && pr.Inflight < n.cfg.MaxInflight || pr.Inflight == 0 && n.commitDue(pr)
	}
	return !pr.probeSent
}

// commitDue reports whether a replicating follower can learn of a commit it has not been
// told of. The update goes out anchored at Match, which needs Match's term (see
// sendHeartbeat), so not while Match is inside the snapshot.
func (n *Node) commitDue(pr *progress) bool {
	return min(n.commitIndex, pr.Match) > pr.sentCommit && pr.Match >= n.log.snapIndex
}

// sendEntries sends p the entries from next on (as many as one message takes) and
// returns the last index sent.
func (n *Node) sendEntries(p, next int) int {
	last := min(n.log.lastIndex(), next+n.cfg.MaxEntriesPerMessage-1)
	prevTerm, _ := n.log.term(next - 1)
	var es []Entry
	if next <= last {
		es = n.log.slice(next, last+1)
	}
	pr := &n.prs[p]
	pr.sentCommit = max(pr.sentCommit, min(n.commitIndex, last))
	n.send(p, &AppendEntriesArgs{Term: n.term, LeaderID: n.id, PrevLogIndex: next - 1, PrevLogTerm: prevTerm, Entries: es, LeaderCommit: n.commitIndex})
	return last
}

func (n *Node) handleAppendReply(from int, m Message, args *AppendEntriesArgs, reply *AppendEntriesReply) {
	if n.role != Leader || args.Term != n.term && !bugs.On(bugs.ReplyTermUnchecked) {
		return
	}
	pr := &n.prs[from]
	old := pr.Progress
	pr.active = true
	if m.epoch == pr.epoch && len(args.Entries) > 0 && pr.Inflight > 0 {
		pr.Inflight--
	}
	if reply.Success {
		matched := false
		if match := args.PrevLogIndex + len(args.Entries); match > pr.Match || bugs.On(bugs.MatchBackwards) && match != pr.Match {
			// Only a Match that moves counts as progress: a follower that answers
			// heartbeats while the entries sent to it are lost must not keep the
			// leader from resending them.
			pr.Match = match
			pr.progressed = true
			matched = true
		}
		switch pr.State {
		case Probe:
			pr.State, pr.Next, pr.Inflight, pr.probeSent = Replicate, pr.Match+1, 0, false
			pr.epoch++
		default:
			// In SnapshotState too: the follower holds Match, so Next must stay past it.
			pr.Next = max(pr.Next, pr.Match+1)
		}
		n.noteProgress(from, old)
		if matched {
			n.maybeCommit()
		}
		return
	}
	if args.PrevLogIndex < pr.Match && !bugs.On(bugs.NextOnStaleReject) || pr.State == SnapshotState {
		return // stale: we know more than this rejection does
	}
	next := reply.ConflictIndex
	if reply.ConflictTerm != None {
		if last := n.log.lastIndexOfTerm(reply.ConflictTerm); last > 0 {
			next = last + 1
		}
	}
	n.becomeProbe(pr, min(max(next, 1), args.PrevLogIndex))
	n.noteProgress(from, old)
}

func (n *Node) handleSnapshotReply(from int, args *InstallSnapshotArgs) {
	if n.role != Leader || args.Term != n.term && !bugs.On(bugs.SnapshotReplyTermUnchecked) {
		return
	}
	pr := &n.prs[from]
	old := pr.Progress
	pr.active, pr.progressed = true, true
	matched := false
	if args.LastIncludedIndex > pr.Match {
		pr.Match = args.LastIncludedIndex
		matched = true
	}
	if pr.State == SnapshotState {
		n.becomeProbe(pr, pr.Match+1)
	}
	n.noteProgress(from, old)
	if matched {
		n.maybeCommit()
	}
}

// maybeCommit advances commitIndex to the highest index a majority holds, if that entry
// is from the current term (section 5.4.2: earlier terms' entries commit only indirectly).
func (n *Node) maybeCommit() {
	n.scratch = n.scratch[:0]
	for i := range n.prs {
		n.scratch = append(n.scratch, n.prs[i].Match)
	}
	slices.Sort(n.scratch)
	index := n.scratch[len(n.scratch)-n.quorum]
	if t, ok := n.log.term(index); index > n.commitIndex && ok && (t == n.term || bugs.On(bugs.Figure8)) {
		n.commitTo(index)
	}
}

// ---- Replies ----------------------------------------------------------------------------

// StepReply gives the Node the reply to a Message it asked to send.
func (n *Node) StepReply(m Message, reply interface{}) {
	var term int
	switch r := reply.(type) {
	case *RequestVoteReply:
		term = r.Term
	case *AppendEntriesReply:
		term = r.Term
	case *InstallSnapshotReply:
		term = r.Term
	default:
		return
	}
	if term == 0 && !isPreVote(m) {
		// Every real answer carries the responder's term, which is at least the
		// request's (it adopts a later one), and so at least 1. A zero reply is a handler
		// that returned without answering, as a killed peer's handlers do: no reply.
		n.StepFailure(m)
		return
	}
	if term > n.term {
		// A later term exists: step down. (A granted pre-vote never carries one.)
		n.becomeFollower(term, None)
		return
	}
	switch a := m.Args.(type) {
	case *RequestVoteArgs:
		if r, ok := reply.(*RequestVoteReply); ok {
			n.handleVoteReply(m.To, a, r)
		}
	case *AppendEntriesArgs:
		if r, ok := reply.(*AppendEntriesReply); ok {
			n.handleAppendReply(m.To, m, a, r)
		}
	case *InstallSnapshotArgs:
		if _, ok := reply.(*InstallSnapshotReply); ok {
			n.handleSnapshotReply(m.To, a)
		}
	}
}

// StepFailure tells the Node that a Message it asked to send got no reply (it was lost,
// the peer is unreachable, or the reply was lost).
func (n *Node) StepFailure(m Message) {
	if n.role != Leader {
		return
	}
	switch a := m.Args.(type) {
	case *AppendEntriesArgs:
		pr := &n.prs[m.To]
		if a.Term != n.term || m.epoch != pr.epoch {
			return
		}
		switch pr.State {
		case Replicate:
			if len(a.Entries) > 0 {
				// Entries may be missing at the follower: resend from what is known.
				old := pr.Progress
				n.becomeProbe(pr, pr.Match+1)
				n.noteProgress(m.To, old)
			}
		case Probe:
			// Wait for the next heartbeat to probe again, so an unreachable peer costs
			// at most one message per heartbeat.
		}
	case *InstallSnapshotArgs:
		pr := &n.prs[m.To]
		if a.Term == n.term && pr.State == SnapshotState && m.epoch == pr.epoch {
			// Resend at the next heartbeat, not at once: a call can fail the moment it
			// is made (a cut reply), and resending at once would loop as fast as
			// that, at one instant of virtual time.
			pr.sentAgo = max(pr.sentAgo, 1)
		}
	}
}

// ---- Output -----------------------------------------------------------------------------

// HasReady reports whether Ready would return anything.
func (n *Node) HasReady() bool {
	if n.stateDirty || n.snapDirty || len(n.msgs) > 0 || len(n.pendingApply) > 0 || n.commitIndex > n.lastApplied {
		return true
	}
	if n.role == Leader {
		for p := range n.prs {
			if p != n.id && n.sendable(p) {
				return true
			}
		}
	}
	return false
}

// Ready returns what the caller must do now (see Ready) and forgets it: the next Ready
// reports only what happens after this one.
func (n *Node) Ready() Ready {
	if n.role == Leader {
		for p := range n.prs {
			if p != n.id {
				n.maybeSendAppend(p)
			}
		}
	}
	var rd Ready
	if n.stateDirty || n.snapDirty {
		rd.State = n.enc.persistent(n.term, n.votedFor, n.log.snapIndex, n.log.snapTerm)
		if n.snapDirty {
			rd.Snapshot = n.snapshot
			if rd.Snapshot == nil {
				rd.Snapshot = []byte{}
			}
		}
		n.stateDirty, n.snapDirty = false, false
	}
	rd.Messages, n.msgs = n.msgs, nil
	rd.Apply, n.pendingApply = n.pendingApply, nil
	if n.commitIndex > n.lastApplied {
		first, last := n.lastApplied+1, n.commitIndex
		es := n.log.slice(first, last+1)
		for i, e := range es {
			rd.Apply = append(rd.Apply, ApplyMsg{CommandValid: true, Command: e.Command, CommandIndex: first + i, CommandTerm: e.Term})
		}
		n.lastApplied = last
		n.emit(Event{Kind: EventApply, Index: first, LastIndex: last, Entries: es, Other: None})
	}
	return rd
}

// isPreVote reports whether m is a pre-vote request, whose reply may carry term 0 (a
// peer that never saw a term answers in term 0).
func isPreVote(m Message) bool {
	a, ok := m.Args.(*RequestVoteArgs)
	return ok && a.PreVote
}
