package raft

// The course-style tester: a harness modelled on the MIT 6.824 lab 2 config.go, over
// labrpc. It runs n Raft peers on one simulated network, each with its own applyCh and an
// applier goroutine that checks the course's invariants as commands are applied, and
// offers the course's helpers (crash1, start1, connect, disconnect, checkOneLeader,
// checkTerms, checkNoLeader, nCommitted, one, wait, begin, end) with the course's
// timings and failure messages.
//
// Names here must not collide with the course's config.go or test_test.go, so that
// dropping those two files into raft/ replaces test_test.go and still compiles: no
// config, make_config, randstring, makeSeed, ncpu_once, SnapShotInterval,
// RaftElectionTimeout, MAXLOGSIZE, internalChurn or snapcommon, and no Test functions.
//
// Where the course's tester would crash the process or leak, this one does not: an apply
// error fails the test (t.Errorf from the applier, and t.Fatal at the next nCommitted)
// instead of log.Fatalf; appliers end when their peer is killed; helpers that may run
// in goroutines other than the test's have variants that return errors (tryOne,
// tryNCommitted); and cleanup stops every goroutine the test started (spawn), kills
// every peer, shuts the network down, waits for every peer's goroutines to end and
// checks with goleak that nothing outlives the test.

import (
	"bytes"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/gob"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/labrpc"
)

// The course tester's constants, under names of our own.
const (
	// testElectionTimeout is the course's RaftElectionTimeout: the tester generously
	// allows an election to complete within one second.
	testElectionTimeout = 1000 * time.Millisecond
	// testSnapInterval is the course's SnapShotInterval: applierSnap snapshots after
	// every index i with (i+1) % testSnapInterval == 0.
	testSnapInterval = 10
	// testMaxLogSize is the course's MAXLOGSIZE: the largest persisted Raft state, in
	// bytes, the 2D tests accept.
	testMaxLogSize = 2000
	// testTimeLimit is the course's limit on one test's real time.
	testTimeLimit = 120 * time.Second
)

// randomString returns n random characters from the URL-safe base64 alphabet, as the
// course's randstring does.
func randomString(n int) string {
	b := make([]byte, 2*n)
	crand.Read(b)
	return base64.URLEncoding.EncodeToString(b)[:n]
}

// applierFunc reads peer i's applyCh until it is closed, checking what arrives. rf is
// the peer whose channel it is (applierSnap calls its Snapshot).
type applierFunc func(i int, rf *Raft, applyCh chan ApplyMsg)

// peerApplier is the applier goroutine of one incarnation of a peer.
type peerApplier struct {
	ch   chan ApplyMsg
	done chan struct{} // closed when the applier goroutine returns
}

// harness is a test cluster, the course's config. Its methods are safe for concurrent
// use, except cleanup, which the test's own goroutine calls (deferred) once.
type harness struct {
	t     *testing.T
	net   *labrpc.Network
	n     int
	start time.Time // when newHarness was called
	leaks goleak.Option

	finished atomic.Bool    // set by cleanup: the test is over
	spawned  sync.WaitGroup // goroutines started with spawn

	mu          sync.Mutex
	rafts       []*Raft // the live incarnation of each peer, nil while crashed
	all         []*Raft // every incarnation ever made, for cleanup to wait on
	appliers    []*peerApplier
	applyErr    []string // the first apply error of each peer
	connected   []bool   // whether each peer is on the net
	saved       []*Persister
	endnames    [][]string            // endnames[i][j]: the end peer i sends to j through
	logs        []map[int]interface{} // each peer's applied commands, by index
	lastApplied []int
	maxIndex    int // the highest index any peer applied

	// begin/end statistics.
	t0        time.Time
	rpcs0     int
	bytes0    int64
	maxIndex0 int
}

// newHarness starts n connected peers on a new network, unreliable if asked, with the
// snapshotting applier if snapshot is set, as the course's make_config does. The
// course-style tests run in real time (seconds to a minute each), so -short skips them.
func newHarness(t *testing.T, n int, unreliable, snapshot bool) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("a real-time course-style test: runs without -short")
	}
	h := &harness{
		t:           t,
		net:         labrpc.MakeNetwork(),
		n:           n,
		start:       time.Now(),
		leaks:       goleak.IgnoreCurrent(),
		rafts:       make([]*Raft, n),
		appliers:    make([]*peerApplier, n),
		applyErr:    make([]string, n),
		connected:   make([]bool, n),
		saved:       make([]*Persister, n),
		endnames:    make([][]string, n),
		logs:        make([]map[int]interface{}, n),
		lastApplied: make([]int, n),
	}
	h.setUnreliable(unreliable)
	h.net.LongDelays(true)

	applier := h.applier
	if snapshot {
		applier = h.applierSnap
	}
	for i := 0; i < n; i++ {
		h.logs[i] = map[int]interface{}{}
		h.start1(i, applier)
	}
	for i := 0; i < n; i++ {
		h.connect(i)
	}
	return h
}

// raft returns the live incarnation of peer i, or nil if it is crashed.
func (h *harness) raft(i int) *Raft {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rafts[i]
}

// isConnected reports whether peer i is on the net.
func (h *harness) isConnected(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.connected[i]
}

// crash1 shuts peer i down but keeps its persistent state: it disconnects it, deletes
// its server, kills it, ends its applier and leaves a fresh Persister holding what it
// last saved, so an old incarnation that is still running cannot change it.
func (h *harness) crash1(i int) {
	h.disconnect(i)
	h.net.DeleteServer(i) // disable client connections to the server

	h.mu.Lock()
	if h.saved[i] != nil {
		h.saved[i] = h.saved[i].Copy()
	}
	rf, ap := h.rafts[i], h.appliers[i]
	h.rafts[i], h.appliers[i] = nil, nil
	h.mu.Unlock()

	if rf != nil {
		rf.Kill() // returns once rf's applier has stopped sending on ap.ch
	}
	if ap != nil {
		close(ap.ch)
		<-ap.done
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.saved[i] != nil {
		raftstate := h.saved[i].ReadRaftState()
		snapshot := h.saved[i].ReadSnapshot()
		h.saved[i] = &Persister{}
		h.saved[i].Save(raftstate, snapshot)
	}
}

// start1 starts (or restarts, crashing it first) peer i with fresh end names, a copy of
// its persisted state and a new applier. The peer starts disconnected; see connect.
func (h *harness) start1(i int, applier applierFunc) {
	h.crash1(i)

	// A fresh set of outgoing end names, so the old incarnation's ends cannot send.
	names := make([]string, h.n)
	ends := make([]*labrpc.ClientEnd, h.n)
	for j := 0; j < h.n; j++ {
		names[j] = randomString(20)
		ends[j] = h.net.MakeEnd(names[j])
		h.net.Connect(names[j], j)
	}

	h.mu.Lock()
	h.endnames[i] = names
	h.lastApplied[i] = 0
	// A fresh persister, so the old incarnation cannot overwrite the new one's state,
	// holding the last persisted state.
	if h.saved[i] != nil {
		h.saved[i] = h.saved[i].Copy()
		if snapshot := h.saved[i].ReadSnapshot(); len(snapshot) > 0 {
			// Mimic a KV server, which processes its snapshot at once.
			if err := h.ingestSnap(i, snapshot, -1); err != "" {
				h.mu.Unlock()
				h.t.Fatal(err)
			}
		}
	} else {
		h.saved[i] = MakePersister()
	}
	ps := h.saved[i]
	h.mu.Unlock()

	applyCh := make(chan ApplyMsg)
	rf := Make(ends, i, ps, applyCh)
	ap := &peerApplier{ch: applyCh, done: make(chan struct{})}

	h.mu.Lock()
	h.rafts[i] = rf
	h.appliers[i] = ap
	h.all = append(h.all, rf)
	h.mu.Unlock()

	go func() {
		defer close(ap.done)
		applier(i, rf, applyCh)
	}()

	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(rf))
	h.net.AddServer(i, srv)
}

// applyError records peer i's first apply error and fails the test with it; later
// errors of the same peer, usually consequences of the first, are dropped.
func (h *harness) applyError(i int, msg string) {
	h.mu.Lock()
	first := h.applyErr[i] == ""
	if first {
		h.applyErr[i] = msg
	}
	h.mu.Unlock()
	if first {
		h.t.Errorf("apply error: %v", msg)
	}
}

// checkLogs records that peer i applied m and checks that no peer applied anything else
// at that index. It returns an error message or "", and whether i had applied the
// index before. h.mu must be held.
func (h *harness) checkLogs(i int, m ApplyMsg) (string, bool) {
	errMsg := ""
	v := m.Command
	for j := 0; j < len(h.logs); j++ {
		if old, oldok := h.logs[j][m.CommandIndex]; oldok && old != v {
			// some server has already committed a different value for this entry!
			errMsg = fmt.Sprintf("commit index=%v server=%v %v != server=%v %v",
				m.CommandIndex, i, m.Command, j, old)
		}
	}
	_, prevok := h.logs[i][m.CommandIndex-1]
	h.logs[i][m.CommandIndex] = v
	if m.CommandIndex > h.maxIndex {
		h.maxIndex = m.CommandIndex
	}
	return errMsg, prevok
}

// applier reads peer i's applyCh and checks that commands agree with every other peer's
// and arrive in order, with no gaps and no repeats. It ignores snapshots.
func (h *harness) applier(i int, _ *Raft, applyCh chan ApplyMsg) {
	for m := range applyCh {
		if !m.CommandValid {
			continue // ignore other types of ApplyMsg
		}
		h.mu.Lock()
		errMsg := ""
		if m.CommandIndex != h.lastApplied[i]+1 {
			errMsg = fmt.Sprintf("server %v apply out of order, expected index %v, got %v", i, h.lastApplied[i]+1, m.CommandIndex)
		}
		msg, prevok := h.checkLogs(i, m)
		if errMsg == "" {
			errMsg = msg
		}
		h.lastApplied[i] = m.CommandIndex
		h.mu.Unlock()
		if m.CommandIndex > 1 && !prevok && errMsg == "" {
			errMsg = fmt.Sprintf("server %v apply out of order %v", i, m.CommandIndex)
		}
		if errMsg != "" {
			h.applyError(i, errMsg)
		}
	}
}

// ingestSnap makes a snapshot peer i's applied state, as a service would. The snapshot
// is the course's: a gob-encoded lastIncludedIndex followed by the log of commands from
// index 0. index is the ApplyMsg's SnapshotIndex, or -1 when there is none to check.
// It returns an error message or "". h.mu must be held.
func (h *harness) ingestSnap(i int, snapshot []byte, index int) string {
	if snapshot == nil {
		return "nil snapshot"
	}
	d := gob.NewDecoder(bytes.NewBuffer(snapshot))
	var lastIncludedIndex int
	var xlog []interface{}
	if d.Decode(&lastIncludedIndex) != nil || d.Decode(&xlog) != nil {
		return "snapshot Decode() error"
	}
	if index != -1 && index != lastIncludedIndex {
		return fmt.Sprintf("server %v snapshot doesn't match m.SnapshotIndex", i)
	}
	h.logs[i] = map[int]interface{}{}
	for j := 0; j < len(xlog); j++ {
		h.logs[i][j] = xlog[j]
	}
	h.lastApplied[i] = lastIncludedIndex
	return ""
}

// applierSnap is applier for the 2D tests: it also ingests snapshots from Raft and takes
// a snapshot after every index i with (i+1) % testSnapInterval == 0, as the course's
// applierSnap does.
func (h *harness) applierSnap(i int, rf *Raft, applyCh chan ApplyMsg) {
	for m := range applyCh {
		errMsg := ""
		var snap []byte
		if m.SnapshotValid {
			h.mu.Lock()
			errMsg = h.ingestSnap(i, m.Snapshot, m.SnapshotIndex)
			h.mu.Unlock()
		} else if m.CommandValid {
			h.mu.Lock()
			if m.CommandIndex != h.lastApplied[i]+1 {
				errMsg = fmt.Sprintf("server %v apply out of order, expected index %v, got %v", i, h.lastApplied[i]+1, m.CommandIndex)
			}
			if errMsg == "" {
				var prevok bool
				errMsg, prevok = h.checkLogs(i, m)
				if m.CommandIndex > 1 && !prevok {
					errMsg = fmt.Sprintf("server %v apply out of order %v", i, m.CommandIndex)
				}
			}
			h.lastApplied[i] = m.CommandIndex
			if (m.CommandIndex+1)%testSnapInterval == 0 {
				var w bytes.Buffer
				e := gob.NewEncoder(&w)
				xlog := make([]interface{}, 0, m.CommandIndex+1)
				for j := 0; j <= m.CommandIndex; j++ {
					xlog = append(xlog, h.logs[i][j])
				}
				if err := e.Encode(m.CommandIndex); err != nil {
					errMsg = fmt.Sprintf("server %v cannot encode snapshot: %v", i, err)
				} else if err := e.Encode(xlog); err != nil {
					errMsg = fmt.Sprintf("server %v cannot encode snapshot: %v", i, err)
				} else {
					snap = w.Bytes()
				}
			}
			h.mu.Unlock()
		}
		if snap != nil {
			rf.Snapshot(m.CommandIndex, snap)
		}
		if errMsg != "" {
			h.applyError(i, errMsg)
		}
	}
}

// spawn runs f in a goroutine that cleanup waits for. f should return soon after
// checkFinished turns true, and must report failures with t.Error, not t.Fatal.
func (h *harness) spawn(f func()) {
	h.spawned.Add(1)
	go func() {
		defer h.spawned.Done()
		f()
	}()
}

// checkTimeout fails the test if it has run longer than the course allows.
func (h *harness) checkTimeout() {
	if !h.t.Failed() && time.Since(h.start) > testTimeLimit {
		h.t.Fatalf("test took longer than %v seconds", testTimeLimit.Seconds())
	}
}

// checkFinished reports whether the test is over (cleanup has begun).
func (h *harness) checkFinished() bool {
	return h.finished.Load()
}

// cleanup ends the test: it waits for spawned goroutines, kills every peer, shuts the
// network down, ends every applier, waits for every incarnation's goroutines to end,
// and checks that no goroutine the test started is left.
func (h *harness) cleanup() {
	h.finished.Store(true)
	h.spawned.Wait()
	for i := 0; i < h.n; i++ {
		h.mu.Lock()
		rf, ap := h.rafts[i], h.appliers[i]
		h.appliers[i] = nil
		h.mu.Unlock()
		if rf != nil {
			rf.Kill()
		}
		if ap != nil {
			close(ap.ch)
			<-ap.done
		}
	}
	h.net.Cleanup()
	h.mu.Lock()
	all := h.all
	h.mu.Unlock()
	for _, rf := range all {
		rf.Wait()
	}
	if h.t.Failed() {
		h.t.Logf("labrpc network seed %d", h.net.Seed())
	}
	goleak.VerifyNone(h.t, h.leaks)
	h.checkTimeout()
}

// connect attaches peer i to the net: it enables its ends to, and the ends from, every
// connected peer.
func (h *harness) connect(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connected[i] = true
	for j := 0; j < h.n; j++ {
		if h.connected[j] {
			h.net.Enable(h.endnames[i][j], true) // outgoing
			h.net.Enable(h.endnames[j][i], true) // incoming
		}
	}
}

// disconnect detaches peer i from the net.
func (h *harness) disconnect(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.connected[i] = false
	for j := 0; j < h.n; j++ {
		if h.endnames[i] != nil {
			h.net.Enable(h.endnames[i][j], false) // outgoing
		}
		if h.endnames[j] != nil {
			h.net.Enable(h.endnames[j][i], false) // incoming
		}
	}
}

// rpcCount returns the number of RPCs delivered to peer i's server.
func (h *harness) rpcCount(i int) int { return h.net.GetCount(i) }

// rpcTotal returns the number of RPCs sent.
func (h *harness) rpcTotal() int { return h.net.GetTotalCount() }

// bytesTotal returns the bytes the network carried.
func (h *harness) bytesTotal() int64 { return h.net.GetTotalBytes() }

func (h *harness) setUnreliable(unrel bool)       { h.net.Reliable(!unrel) }
func (h *harness) setLongReordering(longrel bool) { h.net.LongReordering(longrel) }

// checkOneLeader checks that one connected peer thinks it is the leader, and no other
// connected peer thinks so in the same term, trying a few times in case re-elections are
// needed. It returns the leader of the latest term that has one.
func (h *harness) checkOneLeader() int {
	h.t.Helper()
	for iters := 0; iters < 10; iters++ {
		ms := 450 + rand.IntN(100)
		time.Sleep(time.Duration(ms) * time.Millisecond)

		leaders := make(map[int][]int)
		for i := 0; i < h.n; i++ {
			if rf := h.raft(i); rf != nil && h.isConnected(i) {
				if term, leader := rf.GetState(); leader {
					leaders[term] = append(leaders[term], i)
				}
			}
		}

		lastTermWithLeader := -1
		for term, ls := range leaders {
			if len(ls) > 1 {
				h.t.Fatalf("term %d has %d (>1) leaders", term, len(ls))
			}
			if term > lastTermWithLeader {
				lastTermWithLeader = term
			}
		}
		if len(leaders) != 0 {
			return leaders[lastTermWithLeader][0]
		}
	}
	h.t.Fatalf("expected one leader, got none")
	return -1
}

// checkTerms checks that every connected peer has the same term, and returns it.
func (h *harness) checkTerms() int {
	h.t.Helper()
	term := -1
	for i := 0; i < h.n; i++ {
		if rf := h.raft(i); rf != nil && h.isConnected(i) {
			xterm, _ := rf.GetState()
			if term == -1 {
				term = xterm
			} else if term != xterm {
				h.t.Fatalf("servers disagree on term")
			}
		}
	}
	return term
}

// checkNoLeader checks that no connected peer thinks it is the leader.
func (h *harness) checkNoLeader() {
	h.t.Helper()
	for i := 0; i < h.n; i++ {
		if rf := h.raft(i); rf != nil && h.isConnected(i) {
			if _, isLeader := rf.GetState(); isLeader {
				h.t.Fatalf("expected no leader among connected servers, but %v claims to be leader", i)
			}
		}
	}
}

// tryNCommitted returns how many peers have applied index and the command they applied,
// or an error if a peer reported an apply error or peers applied different commands.
func (h *harness) tryNCommitted(index int) (int, interface{}, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	count := 0
	var cmd interface{}
	for i := 0; i < h.n; i++ {
		if h.applyErr[i] != "" {
			return count, cmd, fmt.Errorf("%s", h.applyErr[i])
		}
		if cmd1, ok := h.logs[i][index]; ok {
			if count > 0 && cmd != cmd1 {
				return count, cmd, fmt.Errorf("committed values do not match: index %v, %v, %v", index, cmd, cmd1)
			}
			count++
			cmd = cmd1
		}
	}
	return count, cmd, nil
}

// nCommitted returns how many peers think index is committed (have applied it), and the
// command, failing the test if they disagree.
func (h *harness) nCommitted(index int) (int, interface{}) {
	h.t.Helper()
	n, cmd, err := h.tryNCommitted(index)
	if err != nil {
		h.t.Fatal(err)
	}
	return n, cmd
}

// wait waits, but not forever, for at least n peers to commit index, and returns the
// command. If startTerm > -1 and some peer moves past startTerm, it gives up and
// returns -1, since the command may then never commit.
func (h *harness) wait(index int, n int, startTerm int) interface{} {
	h.t.Helper()
	to := 10 * time.Millisecond
	for iters := 0; iters < 30; iters++ {
		if nd, _ := h.nCommitted(index); nd >= n {
			break
		}
		time.Sleep(to)
		if to < time.Second {
			to *= 2
		}
		if startTerm > -1 {
			for i := 0; i < h.n; i++ {
				if rf := h.raft(i); rf != nil {
					if t, _ := rf.GetState(); t > startTerm {
						// someone has moved on; we can no longer guarantee to win
						return -1
					}
				}
			}
		}
	}
	nd, cmd := h.nCommitted(index)
	if nd < n {
		h.t.Fatalf("only %d decided for index %d; wanted %d", nd, index, n)
	}
	return cmd
}

// tryOne does a complete agreement on cmd: it offers cmd to each connected peer until
// one accepts as leader, then waits up to two seconds for expectedServers peers to
// commit it, and (if retry is set) starts over, for up to ten seconds in all. It
// returns the index cmd committed at, or an error. With retry unset it calls Start
// successfully only once, to keep the early 2B tests simple.
func (h *harness) tryOne(cmd interface{}, expectedServers int, retry bool) (int, error) {
	t0 := time.Now()
	starts := 0
	for time.Since(t0) < 10*time.Second && !h.checkFinished() {
		// try all the servers, maybe one is the leader.
		index := -1
		for si := 0; si < h.n; si++ {
			starts = (starts + 1) % h.n
			var rf *Raft
			h.mu.Lock()
			if h.connected[starts] {
				rf = h.rafts[starts]
			}
			h.mu.Unlock()
			if rf != nil {
				if index1, _, ok := rf.Start(cmd); ok {
					index = index1
					break
				}
			}
		}

		if index != -1 {
			// somebody claimed to be the leader and to have submitted our command;
			// wait a while for agreement.
			t1 := time.Now()
			for time.Since(t1) < 2*time.Second && !h.checkFinished() {
				nd, cmd1, err := h.tryNCommitted(index)
				if err != nil {
					return -1, err
				}
				if nd > 0 && nd >= expectedServers && cmd1 == cmd {
					// committed, and it was the command we submitted.
					return index, nil
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !retry {
				return -1, fmt.Errorf("one(%v) failed to reach agreement", cmd)
			}
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !h.checkFinished() {
		return -1, fmt.Errorf("one(%v) failed to reach agreement", cmd)
	}
	return -1, nil
}

// one is tryOne that fails the test on an error.
func (h *harness) one(cmd interface{}, expectedServers int, retry bool) int {
	h.t.Helper()
	index, err := h.tryOne(cmd, expectedServers, retry)
	if err != nil {
		h.t.Fatal(err)
	}
	return index
}

// begin starts a test: it prints the description, as the course does
// ("Test (2B): RPC counts aren't too high ..."), and starts the statistics.
func (h *harness) begin(description string) {
	fmt.Printf("%s ...\n", description)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.t0 = time.Now()
	h.rpcs0 = h.rpcTotal()
	h.bytes0 = h.bytesTotal()
	h.maxIndex0 = h.maxIndex
}

// end finishes a test that has not failed by printing the course's Passed line: real
// seconds, peers, RPCs sent, RPC bytes and the number of agreements reported.
func (h *harness) end() {
	h.checkTimeout()
	if h.t.Failed() {
		return
	}
	h.mu.Lock()
	secs := time.Since(h.t0).Seconds()
	nrpc := h.rpcTotal() - h.rpcs0
	nbytes := h.bytesTotal() - h.bytes0
	ncmds := h.maxIndex - h.maxIndex0
	h.mu.Unlock()
	fmt.Printf("  ... Passed --  %4.1f  %d %4d %7d %4d\n", secs, h.n, nrpc, nbytes, ncmds)
}

// logSize returns the largest persisted Raft state among the peers, in bytes.
func (h *harness) logSize() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	size := 0
	for i := 0; i < h.n; i++ {
		if n := h.saved[i].RaftStateSize(); n > size {
			size = n
		}
	}
	return size
}
