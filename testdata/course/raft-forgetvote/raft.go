package raft

//
// A Raft peer for the 6.5840 lab interface.
//
// One mutex (mu) guards all of a peer's state. A ticker goroutine starts elections
// when the election timer runs out and, on a leader, sends heartbeats. Every RPC goes
// out from a goroutine of its own, and handles its reply under mu. An applier goroutine
// sends committed entries (and snapshots from the leader) on applyCh, without holding
// mu while it waits for the service, so that the service may call Snapshot meanwhile.
//
// The log is indexed from the snapshot: log[0] stands for the last entry the snapshot
// covers (its Term is that entry's term), and log[i] is the entry at index
// snapshotIndex+i.
//

import (
	"bytes"
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"6.5840/labgob"
	"6.5840/labrpc"
)

// ApplyMsg is what a peer sends its service on applyCh: a newly committed command
// (CommandValid) or a snapshot from the leader to install (SnapshotValid).
type ApplyMsg struct {
	CommandValid bool
	Command      interface{}
	CommandIndex int

	// For 2D:
	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// Timing. The tester allows at most ten heartbeats a second and wants a new leader
// within five seconds of losing one.
const (
	HeartbeatInterval = 100 * time.Millisecond
	ElectionTimeout   = 300 * time.Millisecond // plus up to as much again, at random
	TickInterval      = 10 * time.Millisecond
)

type Role int

const (
	Follower Role = iota
	Candidate
	Leader
)

type LogEntry struct {
	Term    int
	Command interface{}
}

// Raft is one peer.
type Raft struct {
	mu        sync.Mutex
	peers     []*labrpc.ClientEnd
	persister *Persister
	me        int
	dead      int32

	applyCh     chan ApplyMsg
	applyCond   *sync.Cond    // signalled when there is something to apply; uses mu
	killCh      chan struct{} // closed by Kill
	applierDone chan struct{} // closed when the applier returns

	// Persistent state: Figure 2's, and the snapshot with the index it ends at.
	currentTerm   int
	votedFor      int
	log           []LogEntry
	snapshotIndex int
	snapshot      []byte

	// Volatile state.
	role             Role
	commitIndex      int
	lastApplied      int
	electionDeadline time.Time
	lastBroadcast    time.Time
	replicateNow     bool // Start added entries: send them at the next tick
	pendingSnapshot  bool // a snapshot from the leader the applier has not sent yet

	// Leader state, reset on election.
	nextIndex  []int
	matchIndex []int
}

// GetState returns currentTerm and whether this server believes it is the leader.
func (rf *Raft) GetState() (int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.currentTerm, rf.role == Leader
}

// Log helpers; all need mu held.

func (rf *Raft) lastIndex() int { return rf.snapshotIndex + len(rf.log) - 1 }

func (rf *Raft) lastTerm() int { return rf.log[len(rf.log)-1].Term }

// term returns the term of the entry at index, which must be in
// [snapshotIndex, lastIndex()].
func (rf *Raft) term(index int) int { return rf.log[index-rf.snapshotIndex].Term }

func (rf *Raft) entry(index int) LogEntry { return rf.log[index-rf.snapshotIndex] }

// persist saves Raft's persistent state and the snapshot, together. mu must be held.
func (rf *Raft) persist() {
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	e.Encode(rf.currentTerm)
	// BUG: votedFor is not saved.
	e.Encode(rf.snapshotIndex)
	e.Encode(rf.log)
	rf.persister.Save(w.Bytes(), rf.snapshot)
}

// readPersist restores state saved by persist.
func (rf *Raft) readPersist(data []byte) {
	if len(data) < 1 { // bootstrap without any state
		return
	}
	r := bytes.NewBuffer(data)
	d := labgob.NewDecoder(r)
	var currentTerm, snapshotIndex int
	votedFor := -1 // BUG: votedFor is not restored.
	var log []LogEntry
	if d.Decode(&currentTerm) != nil ||
		d.Decode(&snapshotIndex) != nil ||
		d.Decode(&log) != nil || len(log) == 0 {
		DPrintf("S%d: cannot decode the persisted state; starting afresh", rf.me)
		return
	}
	rf.currentTerm = currentTerm
	rf.votedFor = votedFor
	rf.snapshotIndex = snapshotIndex
	rf.log = log
}

// Snapshot is called by the service: it has a snapshot of everything through index,
// so the log through index can go.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if index <= rf.snapshotIndex || index > rf.lastApplied {
		return // old news, or not applied yet
	}
	rf.log = append([]LogEntry{{Term: rf.term(index)}}, rf.log[index-rf.snapshotIndex+1:]...)
	rf.snapshotIndex = index
	rf.snapshot = snapshot
	rf.persist()
}

type RequestVoteArgs struct {
	Term         int
	CandidateId  int
	LastLogIndex int
	LastLogTerm  int
}

type RequestVoteReply struct {
	Term        int
	VoteGranted bool
}

func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	if rf.votedFor != -1 && rf.votedFor != args.CandidateId {
		return
	}
	upToDate := args.LastLogTerm > rf.lastTerm() ||
		(args.LastLogTerm == rf.lastTerm() && args.LastLogIndex >= rf.lastIndex())
	if !upToDate {
		return
	}
	rf.votedFor = args.CandidateId
	rf.persist()
	rf.resetElectionTimer()
	reply.VoteGranted = true
}

type AppendEntriesArgs struct {
	Term         int
	LeaderId     int
	PrevLogIndex int
	PrevLogTerm  int
	Entries      []LogEntry
	LeaderCommit int
}

// AppendEntriesReply carries, on a mismatch, what the leader needs to back up over a
// whole term at once: XTerm is the term of the conflicting entry (-1 if the follower's
// log is too short), XIndex the first index with that term, XLen the log's length.
type AppendEntriesReply struct {
	Term    int
	Success bool
	XTerm   int
	XIndex  int
	XLen    int
}

func (rf *Raft) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	rf.role = Follower // a candidate that hears from the leader of its term steps down
	rf.resetElectionTimer()

	prevIndex, prevTerm, entries := args.PrevLogIndex, args.PrevLogTerm, args.Entries
	if prevIndex < rf.snapshotIndex {
		// The first entries are in our snapshot already (so committed, so matching).
		skip := rf.snapshotIndex - prevIndex
		if skip >= len(entries) {
			reply.Success = true
			return
		}
		prevIndex, prevTerm, entries = rf.snapshotIndex, rf.log[0].Term, entries[skip:]
	}
	if prevIndex > rf.lastIndex() {
		reply.XTerm, reply.XLen = -1, rf.lastIndex()+1
		return
	}
	if t := rf.term(prevIndex); t != prevTerm {
		first := prevIndex
		for first-1 > rf.snapshotIndex && rf.term(first-1) == t {
			first--
		}
		reply.XTerm, reply.XIndex, reply.XLen = t, first, rf.lastIndex()+1
		return
	}

	// Append what is new, cutting the log only where it conflicts: a late or repeated
	// AppendEntries must never take back entries a newer one added.
	for i, e := range entries {
		index := prevIndex + 1 + i
		if index > rf.lastIndex() || rf.term(index) != e.Term {
			rf.log = append(rf.log[:index-rf.snapshotIndex], entries[i:]...)
			rf.persist()
			break
		}
	}
	reply.Success = true
	if commit := min(args.LeaderCommit, prevIndex+len(entries)); commit > rf.commitIndex {
		rf.commitIndex = commit
		rf.applyCond.Signal()
	}
}

type InstallSnapshotArgs struct {
	Term              int
	LeaderId          int
	LastIncludedIndex int
	LastIncludedTerm  int
	Data              []byte
}

type InstallSnapshotReply struct {
	Term int
}

func (rf *Raft) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return
	}
	rf.role = Follower
	rf.resetElectionTimer()
	if args.LastIncludedIndex <= rf.commitIndex {
		return // we have all that, committed
	}
	if args.LastIncludedIndex < rf.lastIndex() && rf.term(args.LastIncludedIndex) == args.LastIncludedTerm {
		// Our log goes on past the snapshot in agreement with it: keep the rest.
		rf.log = append([]LogEntry{{Term: args.LastIncludedTerm}}, rf.log[args.LastIncludedIndex-rf.snapshotIndex+1:]...)
	} else {
		rf.log = []LogEntry{{Term: args.LastIncludedTerm}}
	}
	rf.snapshotIndex = args.LastIncludedIndex
	rf.snapshot = args.Data
	rf.commitIndex = args.LastIncludedIndex
	rf.lastApplied = args.LastIncludedIndex
	rf.pendingSnapshot = true
	rf.persist()
	rf.applyCond.Signal()
}

// Start proposes command. If this server is the leader it appends it to its log, and
// the next tick sends it to the others; Start returns at once.
func (rf *Raft) Start(command interface{}) (int, int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.killed() || rf.role != Leader {
		return -1, rf.currentTerm, false
	}
	rf.log = append(rf.log, LogEntry{Term: rf.currentTerm, Command: command})
	rf.persist()
	rf.matchIndex[rf.me] = rf.lastIndex()
	rf.replicateNow = true
	return rf.lastIndex(), rf.currentTerm, true
}

// Kill stops the peer. When it returns, the peer sends nothing more on applyCh.
func (rf *Raft) Kill() {
	if !atomic.CompareAndSwapInt32(&rf.dead, 0, 1) {
		return
	}
	close(rf.killCh)
	rf.mu.Lock()
	rf.applyCond.Broadcast()
	rf.mu.Unlock()
	<-rf.applierDone
}

func (rf *Raft) killed() bool {
	return atomic.LoadInt32(&rf.dead) == 1
}

// State changes; all need mu held.

func (rf *Raft) resetElectionTimer() {
	rf.electionDeadline = time.Now().Add(ElectionTimeout + time.Duration(rand.Int63n(int64(ElectionTimeout))))
}

func (rf *Raft) becomeFollower(term int) {
	rf.currentTerm = term
	rf.votedFor = -1
	rf.role = Follower
	rf.persist()
}

func (rf *Raft) startElection() {
	rf.role = Candidate
	rf.currentTerm++
	rf.votedFor = rf.me
	rf.persist()
	rf.resetElectionTimer()
	DPrintf("S%d: election for term %d", rf.me, rf.currentTerm)

	term := rf.currentTerm
	args := RequestVoteArgs{Term: term, CandidateId: rf.me, LastLogIndex: rf.lastIndex(), LastLogTerm: rf.lastTerm()}
	votes := 1
	if votes*2 > len(rf.peers) {
		rf.becomeLeader()
		return
	}
	for peer := range rf.peers {
		if peer == rf.me {
			continue
		}
		go func(peer int) {
			var reply RequestVoteReply
			if !rf.peers[peer].Call("Raft.RequestVote", &args, &reply) {
				return
			}
			rf.mu.Lock()
			defer rf.mu.Unlock()
			if reply.Term > rf.currentTerm {
				rf.becomeFollower(reply.Term)
				return
			}
			if rf.role != Candidate || rf.currentTerm != term || !reply.VoteGranted {
				return
			}
			votes++
			if votes*2 > len(rf.peers) {
				rf.becomeLeader()
			}
		}(peer)
	}
}

func (rf *Raft) becomeLeader() {
	DPrintf("S%d: leader of term %d", rf.me, rf.currentTerm)
	rf.role = Leader
	rf.nextIndex = make([]int, len(rf.peers))
	rf.matchIndex = make([]int, len(rf.peers))
	for i := range rf.peers {
		rf.nextIndex[i] = rf.lastIndex() + 1
	}
	rf.matchIndex[rf.me] = rf.lastIndex()
	rf.broadcast()
}

// broadcast sends every other peer what it is missing, or a heartbeat.
func (rf *Raft) broadcast() {
	rf.lastBroadcast = time.Now()
	rf.replicateNow = false
	for peer := range rf.peers {
		if peer != rf.me {
			rf.sendTo(peer)
		}
	}
}

// sendTo sends peer the entries from its nextIndex on, or the snapshot if those are
// gone. mu must be held; the RPC goes out from a goroutine of its own.
func (rf *Raft) sendTo(peer int) {
	if rf.nextIndex[peer] <= rf.snapshotIndex {
		args := &InstallSnapshotArgs{
			Term:              rf.currentTerm,
			LeaderId:          rf.me,
			LastIncludedIndex: rf.snapshotIndex,
			LastIncludedTerm:  rf.log[0].Term,
			Data:              rf.snapshot,
		}
		go rf.sendSnapshot(peer, args)
		return
	}
	prev := rf.nextIndex[peer] - 1
	entries := make([]LogEntry, rf.lastIndex()-prev)
	copy(entries, rf.log[prev+1-rf.snapshotIndex:])
	args := &AppendEntriesArgs{
		Term:         rf.currentTerm,
		LeaderId:     rf.me,
		PrevLogIndex: prev,
		PrevLogTerm:  rf.term(prev),
		Entries:      entries,
		LeaderCommit: rf.commitIndex,
	}
	go rf.sendEntries(peer, args)
}

func (rf *Raft) sendEntries(peer int, args *AppendEntriesArgs) {
	var reply AppendEntriesReply
	if !rf.peers[peer].Call("Raft.AppendEntries", args, &reply) {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if reply.Term > rf.currentTerm {
		rf.becomeFollower(reply.Term)
		return
	}
	if rf.role != Leader || rf.currentTerm != args.Term || rf.killed() {
		return
	}
	if reply.Success {
		match := args.PrevLogIndex + len(args.Entries)
		rf.matchIndex[peer] = max(rf.matchIndex[peer], match)
		rf.nextIndex[peer] = max(rf.nextIndex[peer], match+1)
		rf.advanceCommit()
		return
	}
	// Back up over the follower's conflicting term in one step.
	next := reply.XLen
	if reply.XTerm != -1 {
		next = reply.XIndex
		for i := rf.lastIndex(); i > rf.snapshotIndex; i-- {
			if rf.term(i) == reply.XTerm {
				next = i + 1
				break
			}
			if rf.term(i) < reply.XTerm {
				break
			}
		}
	}
	rf.nextIndex[peer] = max(min(next, rf.lastIndex()+1), rf.matchIndex[peer]+1, 1)
	rf.sendTo(peer)
}

func (rf *Raft) sendSnapshot(peer int, args *InstallSnapshotArgs) {
	var reply InstallSnapshotReply
	if !rf.peers[peer].Call("Raft.InstallSnapshot", args, &reply) {
		return
	}
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if reply.Term > rf.currentTerm {
		rf.becomeFollower(reply.Term)
		return
	}
	if rf.role != Leader || rf.currentTerm != args.Term || rf.killed() {
		return
	}
	rf.matchIndex[peer] = max(rf.matchIndex[peer], args.LastIncludedIndex)
	rf.nextIndex[peer] = max(rf.nextIndex[peer], args.LastIncludedIndex+1)
}

// advanceCommit commits the highest index a majority holds, if the entry there is of
// the current term: a leader never counts replicas of older terms' entries (Figure 8).
func (rf *Raft) advanceCommit() {
	matches := append([]int(nil), rf.matchIndex...)
	sort.Ints(matches)
	n := matches[(len(matches)-1)/2] // a majority holds n or more
	if n > rf.commitIndex && rf.term(n) == rf.currentTerm {
		rf.commitIndex = n
		rf.applyCond.Signal()
	}
}

// ticker starts elections and sends heartbeats, until the peer is killed.
func (rf *Raft) ticker() {
	for !rf.killed() {
		rf.mu.Lock()
		switch {
		case rf.role == Leader:
			if rf.replicateNow || time.Since(rf.lastBroadcast) >= HeartbeatInterval {
				rf.broadcast()
			}
		case time.Now().After(rf.electionDeadline):
			rf.startElection()
		}
		rf.mu.Unlock()
		time.Sleep(TickInterval)
	}
}

// applier sends committed entries, and snapshots from the leader, on applyCh in order.
func (rf *Raft) applier() {
	defer close(rf.applierDone)
	rf.mu.Lock()
	defer rf.mu.Unlock()
	for !rf.killed() {
		var msg ApplyMsg
		switch {
		case rf.pendingSnapshot:
			rf.pendingSnapshot = false
			msg = ApplyMsg{
				SnapshotValid: true,
				Snapshot:      rf.snapshot,
				SnapshotTerm:  rf.log[0].Term,
				SnapshotIndex: rf.snapshotIndex,
			}
		case rf.lastApplied < rf.commitIndex:
			rf.lastApplied++
			msg = ApplyMsg{
				CommandValid: true,
				Command:      rf.entry(rf.lastApplied).Command,
				CommandIndex: rf.lastApplied,
			}
		default:
			rf.applyCond.Wait()
			continue
		}
		rf.mu.Unlock()
		select {
		case rf.applyCh <- msg:
		case <-rf.killCh:
		}
		rf.mu.Lock()
	}
}

// Make creates a Raft peer. peers[me] is this peer's own end; persister holds what an
// earlier incarnation saved; committed commands go to applyCh.
func Make(peers []*labrpc.ClientEnd, me int,
	persister *Persister, applyCh chan ApplyMsg) *Raft {
	rf := &Raft{
		peers:       peers,
		persister:   persister,
		me:          me,
		applyCh:     applyCh,
		killCh:      make(chan struct{}),
		applierDone: make(chan struct{}),
		votedFor:    -1,
		log:         []LogEntry{{Term: 0}},
	}
	rf.applyCond = sync.NewCond(&rf.mu)

	rf.readPersist(persister.ReadRaftState())
	rf.snapshot = persister.ReadSnapshot()
	rf.commitIndex = rf.snapshotIndex
	rf.lastApplied = rf.snapshotIndex
	rf.resetElectionTimer()

	go rf.ticker()
	go rf.applier()
	return rf
}
