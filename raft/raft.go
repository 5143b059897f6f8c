package raft

import (
	"log"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/internal/bugs"
	"github.com/miniraft/miniraft/labrpc"
)

// Raft is one peer with the MIT 6.824/6.5840 lab interface: a Node driven by a ticker,
// labrpc calls and an applier. It is safe for concurrent use.
//
// Its goroutines are a ticker, a flusher (which batches entries from Start), an applier
// (which sends on applyCh without holding any lock, so the service may call Snapshot from
// the goroutine that reads applyCh) and one per outgoing RPC. Kill ends the first three at
// once; an RPC goroutine ends when its labrpc call returns, which a Network's Cleanup
// makes immediate (RPC goroutines are kept for the next RPC while the peer lives, so
// that a stack grown for gob and reflection is used again). Wait waits for all of them.
type Raft struct {
	peers     []*labrpc.ClientEnd
	persister *Persister
	me        int
	applyCh   chan ApplyMsg
	cfg       Config

	stop     chan struct{}
	stopOnce sync.Once
	dead     atomic.Bool
	loops    sync.WaitGroup // ticker, flusher, applier
	senders  senders        // goroutines making outgoing RPCs
	kick     chan struct{}  // wakes the flusher; buffered, one pending kick is enough
	retick   chan struct{}  // tells the ticker its interval changed

	props proposals // Start's view; see Start

	mu        sync.Mutex
	node      *Node
	applyQ    []ApplyMsg
	applyCond *sync.Cond // signalled when applyQ grows or the peer dies; uses mu
	paused    bool
	pauseCond *sync.Cond // broadcast when paused turns false or the peer dies; uses mu
	tickEvery time.Duration
	// observe is the Config's Observer (nil for none); events holds what the node
	// emitted that observe has not been told yet. See publishLocked.
	observe func(Event)
	events  []Event
}

// Make creates a peer, as the course's tester does: peers[me] is this peer's own end,
// persister holds what an earlier incarnation saved (it is restored from), and committed
// commands are sent on applyCh. It uses the package defaults (Figure 2 as the paper has
// it: PreVote and CheckQuorum off) with a random seed; MakeWithConfig with CourseConfig
// replaces a lost leader sooner. If the persisted
// state cannot be decoded, Make logs why and returns a peer that is already dead, leaving
// the persister untouched.
func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft {
	rf, err := MakeWithConfig(peers, me, persister, applyCh, Config{})
	if err != nil {
		log.Printf("raft: peer %d cannot start: %v", me, err)
	}
	return rf
}

// CourseConfig returns options tuned for the course's tester and services: PreVote, so that a follower that missed a
// few heartbeats cannot depose a leader the others still hear, and, safe with it,
// election timeouts of 20-40 ticks (200-400 ms, two to four heartbeats) instead of 30-55,
// so that a lost leader is replaced sooner. Heartbeats stay at 10 a second. CheckQuorum
// stays off: its leader counts replies, and the course's LongReordering holds most
// replies back 200 ms to 2.2 s, so leaders would step down for nothing.
func CourseConfig() Config {
	return Config{PreVote: true, ElectionTicksMin: 20, ElectionTicksMax: 40}
}

// MakeWithConfig is Make with options. cfg.ID and cfg.Peers are set from me and peers;
// zero fields take their defaults. On an error (a bad config or an undecodable persisted
// state) it returns the error and a dead peer whose methods are harmless no-ops.
func MakeWithConfig(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg, cfg Config) (*Raft, error) {
	cfg.ID, cfg.Peers = me, len(peers)
	cfg.SetDefaults()
	if cfg.Seed == 0 {
		cfg.Seed = rand.Int64()
	}
	if persister == nil {
		persister = MakePersister()
	}
	observe := withDebugLog(cfg.Observer)
	rf := &Raft{
		peers:     peers,
		persister: persister,
		me:        me,
		applyCh:   applyCh,
		cfg:       cfg,
		stop:      make(chan struct{}),
		kick:      make(chan struct{}, 1),
		retick:    make(chan struct{}, 1),
		tickEvery: cfg.TickInterval,
		observe:   observe,
	}
	if observe != nil {
		// The node's events wait for the state they describe to be saved or shown (see
		// publishLocked); the node runs with rf.mu held, so the buffer needs no lock of
		// its own.
		rf.cfg.Observer = func(e Event) { rf.events = append(rf.events, e) }
		cfg = rf.cfg
	}
	rf.senders.stop, rf.senders.send = rf.stop, rf.call
	rf.applyCond = sync.NewCond(&rf.mu)
	rf.pauseCond = sync.NewCond(&rf.mu)
	node, err := NewNode(cfg, persister.ReadRaftState(), persister.ReadSnapshot())
	if err != nil {
		rf.dead.Store(true)
		rf.stopOnce.Do(func() { close(rf.stop) })
		rf.node, _ = NewNode(Config{ID: 0, Peers: 1}, nil, nil)
		return rf, err
	}
	rf.node = node
	rf.syncProposalsLocked() // nobody else has rf yet
	rf.publishLocked()
	rf.loops.Add(3)
	go rf.ticker()
	go rf.flusher()
	go rf.applier()
	if bugs.On(bugs.SecondApplier) {
		rf.loops.Add(1)
		go rf.applier() // the bug: two appliers drain one queue
	}
	return rf, nil
}

// Start proposes command. If this peer is the leader it appends the command to its log
// and returns at once with the index the command will have if it is ever committed, the
// current term and true; otherwise it returns -1, the term and false. There is no
// guarantee the command will be committed. A paused or dead peer is not the leader.
//
// Start does not wait for rf.mu, which replies and the ticker hold: it takes the index
// from the proposals' view and queues the command, and the next flush appends the queue
// to the node's log (see syncProposalsLocked), so that many proposers do not queue up
// behind one lock. A command that is not of a basic type is encoded here, outside any
// lock, and one that cannot be encoded is refused.
func (rf *Raft) Start(command interface{}) (index int, term int, isLeader bool) {
	enc, err := encodeProposal(command)
	p := &rf.props
	p.mu.Lock()
	term = p.term
	if err != nil || !p.open || rf.killed() {
		p.mu.Unlock()
		if err != nil {
			log.Printf("raft: peer %d: Start(%T): %v", rf.me, command, err)
		}
		return -1, term, false
	}
	index = p.next
	p.next++
	p.queue = append(p.queue, proposal{cmd: command, enc: enc})
	p.mu.Unlock()
	select {
	case rf.kick <- struct{}{}:
	default:
	}
	return index, term, true
}

// proposals is Start's view of the peer, kept without rf.mu, and the commands Start has
// accepted that are not in the node's log yet. Lock order: rf.mu, then mu.
type proposals struct {
	mu    sync.Mutex
	open  bool // the node leads in term, and the peer is neither paused nor dead
	term  int
	next  int        // the index the next accepted command gets
	queue []proposal // accepted, to be appended in order from next-len(queue)
}

type proposal struct {
	cmd interface{}
	enc []byte // the command's encoding, or nil for the node to encode
}

// syncProposalsLocked appends the queued proposals to the node's log, if it still leads
// in the term they were accepted in (else they are dropped, as by a leader that crashed
// right after Start), and brings Start's view up to date. The indexes Start returned
// hold: while a peer leads in a term only its own proposals extend its log, and every
// critical section that gives the node an input ends here (in flushLocked). rf.mu must
// be held.
func (rf *Raft) syncProposalsLocked() {
	p := &rf.props
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) > 0 {
		first := p.next - len(p.queue)
		if rf.node.Role() == Leader && rf.node.Term() == p.term {
			for i, pr := range p.queue {
				if idx, _, err := rf.node.propose(pr.cmd, pr.enc); err != nil || idx != first+i {
					// Cannot happen (see above); refuse the rest rather than misplace them.
					log.Printf("raft: peer %d: proposal %d of term %d went to index %d: %v", rf.me, first+i, p.term, idx, err)
					break
				}
			}
		}
		clear(p.queue)
		p.queue = p.queue[:0]
	}
	p.term = rf.node.Term()
	p.open = rf.node.Role() == Leader && (!rf.paused || bugs.On(bugs.PausedStartAccepted)) && !rf.killed()
	p.next = rf.node.log.lastIndex() + 1
}

// GetState returns the current term and whether this peer believes it is the leader.
func (rf *Raft) GetState() (int, bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.node.Term(), rf.node.Role() == Leader && !rf.killed()
}

// Status returns a consistent copy of the peer's state.
func (rf *Raft) Status() Status {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.node.Status()
}

// Snapshot tells the peer that the service has a snapshot of its state through index, so
// the log through index can be discarded. The service may call it from the goroutine
// that reads applyCh. An index that is not applied yet, or already compacted, is ignored.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.killed() {
		return
	}
	if err := rf.node.Snapshot(index, clone(snapshot)); err != nil {
		debugf(rf.me, rf.node.Term(), "snap", "ignoring Snapshot(%d): %v", index, err)
		return
	}
	rf.flushLocked()
}

// CondInstallSnapshot is the 2021 course interface's hook; snapshots from the leader are
// installed when they arrive, so it only returns true.
func (rf *Raft) CondInstallSnapshot(lastIncludedTerm int, lastIncludedIndex int, snapshot []byte) bool {
	return true
}

// Kill stops the peer: it stops ticking, handling RPCs and applying, and ends its ticker,
// flusher and applier before returning. Outgoing RPCs still in flight end when labrpc
// returns them; see Wait.
func (rf *Raft) Kill() {
	rf.dead.Store(true)
	rf.stopOnce.Do(func() { close(rf.stop) })
	rf.mu.Lock()
	rf.applyCond.Broadcast()
	rf.pauseCond.Broadcast()
	rf.mu.Unlock()
	rf.loops.Wait()
}

// Wait waits until every goroutine the peer started has ended. Call it after Kill; it
// returns once outstanding labrpc calls return (at once after the Network's Cleanup).
func (rf *Raft) Wait() {
	rf.loops.Wait()
	rf.senders.wait()
}

func (rf *Raft) killed() bool { return rf.dead.Load() }

// SetPaused freezes or thaws the peer, as if its process were stopped: while paused it
// does not tick, and RPCs to it and replies for it wait until it resumes. Its state is
// kept. A paused peer refuses Start.
func (rf *Raft) SetPaused(paused bool) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.paused = paused
	if !paused {
		rf.pauseCond.Broadcast()
	}
	rf.syncProposalsLocked()
}

// SetClockRate makes the peer's clock run rate times as fast as real time (1 is normal,
// 2 ticks twice as often, 0.5 half as often), to model clock skew. Rates that are not
// positive and finite are ignored.
func (rf *Raft) SetClockRate(rate float64) {
	if !(rate > 0) || math.IsInf(rate, 1) {
		return
	}
	rf.mu.Lock()
	rf.tickEvery = max(time.Duration(float64(rf.cfg.TickInterval)/rate), time.Microsecond)
	rf.mu.Unlock()
	select {
	case rf.retick <- struct{}{}:
	default:
	}
}

// enterLocked waits while the peer is paused and reports whether it is still alive.
// rf.mu must be held.
func (rf *Raft) enterLocked() bool {
	for rf.paused && !rf.killed() {
		rf.pauseCond.Wait()
	}
	return !rf.killed()
}

// RequestVote is the RequestVote RPC handler.
func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if !rf.enterLocked() {
		return
	}
	defer rf.publishLocked() // what the reply shows, even if it is not saved (a bug)
	rf.node.RequestVote(args, reply)
	if !bugs.On(bugs.ReplyBeforeSave) { // the bug: the vote is saved by the next tick, after the reply
		rf.flushLocked()
	}
}

// AppendEntries is the AppendEntries RPC handler.
func (rf *Raft) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if !rf.enterLocked() {
		return
	}
	defer rf.publishLocked() // what the reply shows, even if it is not saved (a bug)
	rf.node.AppendEntries(args, reply)
	if !bugs.On(bugs.ReplyBeforeSave) { // the bug: the entries are saved by the next tick, after the reply
		rf.flushLocked()
	}
}

// InstallSnapshot is the InstallSnapshot RPC handler.
func (rf *Raft) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if !rf.enterLocked() {
		return
	}
	defer rf.publishLocked() // what the reply shows, even if it is not saved (a bug)
	rf.node.InstallSnapshot(args, reply)
	rf.flushLocked()
}

// flushLocked appends the proposals Start queued, then carries out the node's Ready:
// persist, then send, then queue applies.
// rf.mu must be held; it is held throughout, so a reply to an RPC being handled is
// returned only after the state it depends on is saved.
func (rf *Raft) flushLocked() {
	rf.syncProposalsLocked()
	if !rf.node.HasReady() {
		rf.publishLocked()
		return
	}
	rd := rf.node.Ready()
	if bugs.On(bugs.StateSnapshotTwoSteps) && rd.Snapshot != nil {
		rf.persister.SaveReady(Ready{State: rd.State}) // the bug: the state alone first
	}
	rf.persister.SaveReady(rd)
	rf.publishLocked()
	for _, m := range rd.Messages {
		rf.sendAsync(m)
	}
	if len(rd.Apply) > 0 {
		rf.applyQ = append(rf.applyQ, rd.Apply...)
		rf.applyCond.Signal()
	}
}

// publishLocked tells the Observer what the node emitted since the last time: after
// the state the events describe is saved (flushLocked), or when an RPC handler's reply
// shows it. An observer is thus never told of a term, vote or entry that a crash could
// still take back unseen: a harness that crashes a peer by copying its persister, as
// the course's does, between a step and its save saw nothing of that step.
// rf.mu must be held.
func (rf *Raft) publishLocked() {
	if rf.observe == nil {
		return
	}
	for i, e := range rf.events {
		rf.observe(e)
		rf.events[i] = Event{}
	}
	rf.events = rf.events[:0]
}

// sendAsync sends m on a goroutine of its own (see call).
func (rf *Raft) sendAsync(m Message) {
	debugf(rf.me, rf.node.Term(), "rpc", "send %v", m)
	rf.senders.do(m)
}

// call sends m, waits for the outcome and steps the node with it.
func (rf *Raft) call(m Message) {
	reply := m.NewReply()
	if a, ok := m.Args.(*AppendEntriesArgs); ok && bugs.On(bugs.RestampTerm) {
		a.Term, _ = rf.GetState() // the bug: the request goes out in today's term, not the one it was made in
	}
	locked := bugs.On(bugs.LockAcrossCall)
	if locked {
		rf.mu.Lock() // the bug: the lock is held while the call waits for its reply
	}
	ok := rf.peers[m.To].Call(m.Method(), m.Args, reply)
	if !locked {
		rf.mu.Lock()
	}
	defer rf.mu.Unlock()
	if !rf.enterLocked() {
		return
	}
	if ok {
		rf.node.StepReply(m, reply)
	} else {
		rf.node.StepFailure(m)
	}
	rf.flushLocked()
}

func (rf *Raft) ticker() {
	defer rf.loops.Done()
	rf.mu.Lock()
	every := rf.tickEvery
	rf.mu.Unlock()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-rf.stop:
			return
		case <-rf.retick:
			rf.mu.Lock()
			every = rf.tickEvery
			rf.mu.Unlock()
			t.Reset(every)
		case <-t.C:
			rf.mu.Lock()
			if !rf.paused && !rf.killed() {
				rf.node.Tick()
				rf.flushLocked()
			}
			rf.mu.Unlock()
		}
	}
}

// flusher sends what Start appended, so that entries proposed close together travel,
// and are persisted, together.
func (rf *Raft) flusher() {
	defer rf.loops.Done()
	for {
		select {
		case <-rf.stop:
			return
		case <-rf.kick:
			runtime.Gosched() // let proposers that are ready to run join this batch
			rf.mu.Lock()
			if !rf.paused && !rf.killed() {
				rf.flushLocked()
			}
			rf.mu.Unlock()
		}
	}
}

// applier hands queued ApplyMsgs to the service, in order, without holding rf.mu while
// it waits for the service to take them.
func (rf *Raft) applier() {
	defer rf.loops.Done()
	for {
		rf.mu.Lock()
		for len(rf.applyQ) == 0 && !rf.killed() {
			rf.applyCond.Wait()
		}
		batch := rf.applyQ
		rf.applyQ = nil
		held := bugs.On(bugs.ApplyUnderLock) // the bug: rf.mu stays held while the service takes the batch
		if !held {
			rf.mu.Unlock()
		}
		for _, msg := range batch {
			if rf.killed() {
				return
			}
			select {
			case rf.applyCh <- msg:
			case <-rf.stop:
				return
			}
		}
		if held {
			rf.mu.Unlock()
		}
		if rf.killed() {
			return
		}
	}
}
