package raft

// The course-style suite: every situation of the MIT 6.824 lab 2 tests (2A elections, 2B
// agreement, 2C persistence, 2D snapshots), with the course's structure, timings and
// checks, run against this package over labrpc with the harness in harness_test.go.
// Test names end in the part, so `go test -run 2A ./raft/` runs one part.
//
// This file is named as the course's is, so that dropping the course's own test_test.go
// and config.go into raft/ replaces it cleanly.

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestInitialElection2A(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2A): initial election")

	// is a leader elected?
	h.checkOneLeader()

	// sleep a bit to avoid racing with followers learning of the
	// election, then check that all peers agree on the term.
	time.Sleep(50 * time.Millisecond)
	term1 := h.checkTerms()
	if term1 < 1 {
		t.Fatalf("term is %v, but should be at least 1", term1)
	}

	// does the leader+term stay the same if there is no network failure?
	time.Sleep(2 * testElectionTimeout)
	term2 := h.checkTerms()
	if term1 != term2 {
		fmt.Printf("warning: term changed even though there were no failures")
	}

	// there should still be a leader.
	h.checkOneLeader()

	h.end()
}

func TestReElection2A(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2A): election after network failure")

	leader1 := h.checkOneLeader()

	// if the leader disconnects, a new one should be elected.
	h.disconnect(leader1)
	h.checkOneLeader()

	// if the old leader rejoins, that shouldn't
	// disturb the new leader. and the old leader
	// should switch to follower.
	h.connect(leader1)
	leader2 := h.checkOneLeader()

	// if there's no quorum, no new leader should
	// be elected.
	h.disconnect(leader2)
	h.disconnect((leader2 + 1) % servers)
	time.Sleep(2 * testElectionTimeout)

	// check that the one connected server
	// does not think it is the leader.
	h.checkNoLeader()

	// if a quorum arises, it should elect a leader.
	h.connect((leader2 + 1) % servers)
	h.checkOneLeader()

	// re-join of last node shouldn't prevent leader from existing.
	h.connect(leader2)
	h.checkOneLeader()

	h.end()
}

func TestManyElections2A(t *testing.T) {
	servers := 7
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2A): multiple elections")

	h.checkOneLeader()

	iters := 10
	for ii := 1; ii < iters; ii++ {
		// disconnect three nodes
		i1 := rand.IntN(servers)
		i2 := rand.IntN(servers)
		i3 := rand.IntN(servers)
		h.disconnect(i1)
		h.disconnect(i2)
		h.disconnect(i3)

		// either the current leader should still be alive,
		// or the remaining four should elect a new one.
		h.checkOneLeader()

		h.connect(i1)
		h.connect(i2)
		h.connect(i3)
	}

	h.checkOneLeader()

	h.end()
}

func TestBasicAgree2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): basic agreement")

	iters := 3
	for index := 1; index < iters+1; index++ {
		nd, _ := h.nCommitted(index)
		if nd > 0 {
			t.Fatalf("some have committed before Start()")
		}

		xindex := h.one(index*100, servers, false)
		if xindex != index {
			t.Fatalf("got index %v but expected %v", xindex, index)
		}
	}

	h.end()
}

// TestRPCBytes2B checks, by counting the bytes of RPCs, that each command is sent to
// each peer just once.
func TestRPCBytes2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): RPC byte count")

	h.one(99, servers, false)
	bytes0 := h.bytesTotal()

	iters := 10
	var sent int64
	for index := 2; index < iters+2; index++ {
		cmd := randomString(5000)
		xindex := h.one(cmd, servers, false)
		if xindex != index {
			t.Fatalf("got index %v but expected %v", xindex, index)
		}
		sent += int64(len(cmd))
	}

	bytes1 := h.bytesTotal()
	got := bytes1 - bytes0
	expected := int64(servers) * sent
	if got > expected+50000 {
		t.Fatalf("too many RPC bytes; got %v, expected %v", got, expected)
	}

	h.end()
}

// TestFollowerFailure2B tests just the failure of followers.
func TestFollowerFailure2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): test progressive failure of followers")

	h.one(101, servers, false)

	// disconnect one follower from the network.
	leader1 := h.checkOneLeader()
	h.disconnect((leader1 + 1) % servers)

	// the leader and remaining follower should be
	// able to agree despite the disconnected follower.
	h.one(102, servers-1, false)
	time.Sleep(testElectionTimeout)
	h.one(103, servers-1, false)

	// disconnect the remaining follower
	leader2 := h.checkOneLeader()
	h.disconnect((leader2 + 1) % servers)
	h.disconnect((leader2 + 2) % servers)

	// submit a command.
	index, _, ok := h.raft(leader2).Start(104)
	if !ok {
		t.Fatalf("leader rejected Start()")
	}
	if index != 4 {
		t.Fatalf("expected index 4, got %v", index)
	}

	time.Sleep(2 * testElectionTimeout)

	// check that command 104 did not commit.
	n, _ := h.nCommitted(index)
	if n > 0 {
		t.Fatalf("%v committed but no majority", n)
	}

	h.end()
}

// TestLeaderFailure2B tests just the failure of leaders.
func TestLeaderFailure2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): test failure of leaders")

	h.one(101, servers, false)

	// disconnect the first leader.
	leader1 := h.checkOneLeader()
	h.disconnect(leader1)

	// the remaining followers should elect
	// a new leader.
	h.one(102, servers-1, false)
	time.Sleep(testElectionTimeout)
	h.one(103, servers-1, false)

	// disconnect the new leader.
	leader2 := h.checkOneLeader()
	h.disconnect(leader2)

	// submit a command to each server.
	for i := 0; i < servers; i++ {
		h.raft(i).Start(104)
	}

	time.Sleep(2 * testElectionTimeout)

	// check that command 104 did not commit.
	n, _ := h.nCommitted(4)
	if n > 0 {
		t.Fatalf("%v committed but no majority", n)
	}

	h.end()
}

// TestFailAgree2B tests that a follower participates after disconnect and re-connect.
func TestFailAgree2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): agreement after follower reconnects")

	h.one(101, servers, false)

	// disconnect one follower from the network.
	leader := h.checkOneLeader()
	h.disconnect((leader + 1) % servers)

	// the leader and remaining follower should be
	// able to agree despite the disconnected follower.
	h.one(102, servers-1, false)
	h.one(103, servers-1, false)
	time.Sleep(testElectionTimeout)
	h.one(104, servers-1, false)
	h.one(105, servers-1, false)

	// re-connect
	h.connect((leader + 1) % servers)

	// the full set of servers should preserve
	// previous agreements, and be able to agree
	// on new commands.
	h.one(106, servers, true)
	time.Sleep(testElectionTimeout)
	h.one(107, servers, true)

	h.end()
}

func TestFailNoAgree2B(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): no agreement if too many followers disconnect")

	h.one(10, servers, false)

	// 3 of 5 followers disconnect
	leader := h.checkOneLeader()
	h.disconnect((leader + 1) % servers)
	h.disconnect((leader + 2) % servers)
	h.disconnect((leader + 3) % servers)

	index, _, ok := h.raft(leader).Start(20)
	if !ok {
		t.Fatalf("leader rejected Start()")
	}
	if index != 2 {
		t.Fatalf("expected index 2, got %v", index)
	}

	time.Sleep(2 * testElectionTimeout)

	n, _ := h.nCommitted(index)
	if n > 0 {
		t.Fatalf("%v committed but no majority", n)
	}

	// repair
	h.connect((leader + 1) % servers)
	h.connect((leader + 2) % servers)
	h.connect((leader + 3) % servers)

	// the disconnected majority may have chosen a leader from
	// among their own ranks, forgetting index 2.
	leader2 := h.checkOneLeader()
	index2, _, ok2 := h.raft(leader2).Start(30)
	if !ok2 {
		t.Fatalf("leader2 rejected Start()")
	}
	if index2 < 2 || index2 > 3 {
		t.Fatalf("unexpected index %v", index2)
	}

	h.one(1000, servers, true)

	h.end()
}

func TestConcurrentStarts2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): concurrent Start()s")

	var success bool
loop:
	for try := 0; try < 5; try++ {
		if try > 0 {
			// give solution some time to settle
			time.Sleep(3 * time.Second)
		}

		leader := h.checkOneLeader()
		rf := h.raft(leader)
		_, term, ok := rf.Start(1)
		if !ok {
			// leader moved on really quickly
			continue
		}

		iters := 5
		var wg sync.WaitGroup
		is := make(chan int, iters)
		for ii := 0; ii < iters; ii++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				i, term1, ok := rf.Start(100 + i)
				if term1 != term {
					return
				}
				if !ok {
					return
				}
				is <- i
			}(ii)
		}

		wg.Wait()
		close(is)

		for j := 0; j < servers; j++ {
			if t, _ := h.raft(j).GetState(); t != term {
				// term changed -- can't expect low RPC counts
				continue loop
			}
		}

		failed := false
		cmds := []int{}
		for index := range is {
			cmd := h.wait(index, servers, term)
			if ix, ok := cmd.(int); ok {
				if ix == -1 {
					// peers have moved on to later terms
					// so we can't expect all Start()s to
					// have succeeded
					failed = true
					break
				}
				cmds = append(cmds, ix)
			} else {
				t.Fatalf("value %v is not an int", cmd)
			}
		}

		if failed {
			continue
		}

		for ii := 0; ii < iters; ii++ {
			x := 100 + ii
			ok := false
			for j := 0; j < len(cmds); j++ {
				if cmds[j] == x {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("cmd %v missing in %v", x, cmds)
			}
		}

		success = true
		break
	}

	if !success {
		t.Fatalf("term changed too often")
	}

	h.end()
}

func TestRejoin2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): rejoin of partitioned leader")

	h.one(101, servers, true)

	// leader network failure
	leader1 := h.checkOneLeader()
	h.disconnect(leader1)

	// make old leader try to agree on some entries
	h.raft(leader1).Start(102)
	h.raft(leader1).Start(103)
	h.raft(leader1).Start(104)

	// new leader commits, also for index=2
	h.one(103, 2, true)

	// new leader network failure
	leader2 := h.checkOneLeader()
	h.disconnect(leader2)

	// old leader connected again
	h.connect(leader1)

	h.one(104, 2, true)

	// all together now
	h.connect(leader2)

	h.one(105, servers, true)

	h.end()
}

func TestBackup2B(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): leader backs up quickly over incorrect follower logs")

	h.one(rand.Int(), servers, true)

	// put leader and one follower in a partition
	leader1 := h.checkOneLeader()
	h.disconnect((leader1 + 2) % servers)
	h.disconnect((leader1 + 3) % servers)
	h.disconnect((leader1 + 4) % servers)

	// submit lots of commands that won't commit
	for i := 0; i < 50; i++ {
		h.raft(leader1).Start(rand.Int())
	}

	time.Sleep(testElectionTimeout / 2)

	h.disconnect((leader1 + 0) % servers)
	h.disconnect((leader1 + 1) % servers)

	// allow other partition to recover
	h.connect((leader1 + 2) % servers)
	h.connect((leader1 + 3) % servers)
	h.connect((leader1 + 4) % servers)

	// lots of successful commands to new group.
	for i := 0; i < 50; i++ {
		h.one(rand.Int(), 3, true)
	}

	// now another partitioned leader and one follower
	leader2 := h.checkOneLeader()
	other := (leader1 + 2) % servers
	if leader2 == other {
		other = (leader2 + 1) % servers
	}
	h.disconnect(other)

	// lots more commands that won't commit
	for i := 0; i < 50; i++ {
		h.raft(leader2).Start(rand.Int())
	}

	time.Sleep(testElectionTimeout / 2)

	// bring original leader back to life,
	for i := 0; i < servers; i++ {
		h.disconnect(i)
	}
	h.connect((leader1 + 0) % servers)
	h.connect((leader1 + 1) % servers)
	h.connect(other)

	// lots of successful commands to new group.
	for i := 0; i < 50; i++ {
		h.one(rand.Int(), 3, true)
	}

	// now everyone
	for i := 0; i < servers; i++ {
		h.connect(i)
	}
	h.one(rand.Int(), servers, true)

	h.end()
}

func TestCount2B(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2B): RPC counts aren't too high")

	rpcs := func() (n int) {
		for j := 0; j < servers; j++ {
			n += h.rpcCount(j)
		}
		return
	}

	h.checkOneLeader()

	total1 := rpcs()

	if total1 > 30 || total1 < 1 {
		t.Fatalf("too many or few RPCs (%v) to elect initial leader", total1)
	}

	var total2 int
	var success bool
loop:
	for try := 0; try < 5; try++ {
		if try > 0 {
			// give solution some time to settle
			time.Sleep(3 * time.Second)
		}

		leader := h.checkOneLeader()
		total1 = rpcs()

		iters := 10
		starti, term, ok := h.raft(leader).Start(1)
		if !ok {
			// leader moved on really quickly
			continue
		}
		cmds := []int{}
		for i := 1; i < iters+2; i++ {
			x := int(rand.Int32())
			cmds = append(cmds, x)
			index1, term1, ok := h.raft(leader).Start(x)
			if term1 != term {
				// Term changed while starting
				continue loop
			}
			if !ok {
				// No longer the leader, so term has changed
				continue loop
			}
			if starti+i != index1 {
				t.Fatalf("Start() failed")
			}
		}

		for i := 1; i < iters+1; i++ {
			cmd := h.wait(starti+i, servers, term)
			if ix, ok := cmd.(int); !ok || ix != cmds[i-1] {
				if ix == -1 {
					// term changed -- try again
					continue loop
				}
				t.Fatalf("wrong value %v committed for index %v; expected %v", cmd, starti+i, cmds)
			}
		}

		failed := false
		total2 = 0
		for j := 0; j < servers; j++ {
			if t, _ := h.raft(j).GetState(); t != term {
				// term changed -- can't expect low RPC counts
				// need to keep going to update total2
				failed = true
			}
			total2 += h.rpcCount(j)
		}

		if failed {
			continue loop
		}

		if total2-total1 > (iters+1+3)*3 {
			t.Fatalf("too many RPCs (%v) for %v entries", total2-total1, iters)
		}

		success = true
		break
	}

	if !success {
		t.Fatalf("term changed too often")
	}

	time.Sleep(testElectionTimeout)

	total3 := 0
	for j := 0; j < servers; j++ {
		total3 += h.rpcCount(j)
	}

	if total3-total2 > 3*20 {
		t.Fatalf("too many RPCs (%v) for 1 second of idleness", total3-total2)
	}

	h.end()
}

func TestPersist12C(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2C): basic persistence")

	h.one(11, servers, true)

	// crash and re-start all
	for i := 0; i < servers; i++ {
		h.start1(i, h.applier)
	}
	for i := 0; i < servers; i++ {
		h.disconnect(i)
		h.connect(i)
	}

	h.one(12, servers, true)

	leader1 := h.checkOneLeader()
	h.disconnect(leader1)
	h.start1(leader1, h.applier)
	h.connect(leader1)

	h.one(13, servers, true)

	leader2 := h.checkOneLeader()
	h.disconnect(leader2)
	h.one(14, servers-1, true)
	h.start1(leader2, h.applier)
	h.connect(leader2)

	h.wait(4, servers, -1) // wait for leader2 to join before killing i3

	i3 := (h.checkOneLeader() + 1) % servers
	h.disconnect(i3)
	h.one(15, servers-1, true)
	h.start1(i3, h.applier)
	h.connect(i3)

	h.one(16, servers, true)

	h.end()
}

func TestPersist22C(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2C): more persistence")

	index := 1
	for iters := 0; iters < 5; iters++ {
		h.one(10+index, servers, true)
		index++

		leader1 := h.checkOneLeader()

		h.disconnect((leader1 + 1) % servers)
		h.disconnect((leader1 + 2) % servers)

		h.one(10+index, servers-2, true)
		index++

		h.disconnect((leader1 + 0) % servers)
		h.disconnect((leader1 + 3) % servers)
		h.disconnect((leader1 + 4) % servers)

		h.start1((leader1+1)%servers, h.applier)
		h.start1((leader1+2)%servers, h.applier)
		h.connect((leader1 + 1) % servers)
		h.connect((leader1 + 2) % servers)

		time.Sleep(testElectionTimeout)

		h.start1((leader1+3)%servers, h.applier)
		h.connect((leader1 + 3) % servers)

		h.one(10+index, servers-2, true)
		index++

		h.connect((leader1 + 4) % servers)
		h.connect((leader1 + 0) % servers)
	}

	h.one(1000, servers, true)

	h.end()
}

func TestPersist32C(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2C): partitioned leader and one follower crash, leader restarts")

	h.one(101, 3, true)

	leader := h.checkOneLeader()
	h.disconnect((leader + 2) % servers)

	h.one(102, 2, true)

	h.crash1((leader + 0) % servers)
	h.crash1((leader + 1) % servers)
	h.connect((leader + 2) % servers)
	h.start1((leader+0)%servers, h.applier)
	h.connect((leader + 0) % servers)

	h.one(103, 2, true)

	h.start1((leader+1)%servers, h.applier)
	h.connect((leader + 1) % servers)

	h.one(104, servers, true)

	h.end()
}

// TestFigure82C tests the scenarios of Figure 8 of the extended Raft paper. Each
// iteration asks a leader, if there is one, to insert a command in the Raft log. If
// there is a leader, that leader will fail quickly with a high probability (perhaps
// without committing the command), or crash after a while with low probability (most
// likely committing the command). If the number of alive servers isn't enough to form a
// majority, perhaps start a new server. The leader in a new term may try to finish
// replicating log entries that haven't been committed yet.
func TestFigure82C(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, false, false)
	defer h.cleanup()

	h.begin("Test (2C): Figure 8")

	h.one(rand.Int(), 1, true)

	nup := servers
	for iters := 0; iters < 1000; iters++ {
		leader := -1
		for i := 0; i < servers; i++ {
			if rf := h.raft(i); rf != nil {
				if _, _, ok := rf.Start(rand.Int()); ok {
					leader = i
				}
			}
		}

		if rand.IntN(1000) < 100 {
			ms := rand.Int64N(int64(testElectionTimeout/time.Millisecond) / 2)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		} else {
			ms := rand.Int64N(13)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}

		if leader != -1 {
			h.crash1(leader)
			nup--
		}

		if nup < 3 {
			s := rand.IntN(servers)
			if h.raft(s) == nil {
				h.start1(s, h.applier)
				h.connect(s)
				nup++
			}
		}
	}

	for i := 0; i < servers; i++ {
		if h.raft(i) == nil {
			h.start1(i, h.applier)
			h.connect(i)
		}
	}

	h.one(rand.Int(), servers, true)

	h.end()
}

func TestUnreliableAgree2C(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, true, false)
	defer h.cleanup()

	h.begin("Test (2C): unreliable agreement")

	var wg sync.WaitGroup

	for iters := 1; iters < 50; iters++ {
		for j := 0; j < 4; j++ {
			wg.Add(1)
			h.spawn(func() {
				defer wg.Done()
				if _, err := h.tryOne((100*iters)+j, 1, true); err != nil {
					t.Error(err)
				}
			})
		}
		h.one(iters, 1, true)
	}

	h.setUnreliable(false)

	wg.Wait()

	h.one(100, servers, true)

	h.end()
}

func TestFigure8Unreliable2C(t *testing.T) {
	servers := 5
	h := newHarness(t, servers, true, false)
	defer h.cleanup()

	h.begin("Test (2C): Figure 8 (unreliable)")

	h.one(rand.IntN(10000), 1, true)

	nup := servers
	for iters := 0; iters < 1000; iters++ {
		if iters == 200 {
			h.setLongReordering(true)
		}
		leader := -1
		for i := 0; i < servers; i++ {
			_, _, ok := h.raft(i).Start(rand.IntN(10000))
			if ok && h.isConnected(i) {
				leader = i
			}
		}

		if rand.IntN(1000) < 100 {
			ms := rand.Int64N(int64(testElectionTimeout/time.Millisecond) / 2)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		} else {
			ms := rand.Int64N(13)
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}

		if leader != -1 && rand.IntN(1000) < int(testElectionTimeout/time.Millisecond)/2 {
			h.disconnect(leader)
			nup--
		}

		if nup < 3 {
			s := rand.IntN(servers)
			if !h.isConnected(s) {
				h.connect(s)
				nup++
			}
		}
	}

	for i := 0; i < servers; i++ {
		if !h.isConnected(i) {
			h.connect(i)
		}
	}

	h.one(rand.IntN(10000), servers, true)

	h.end()
}

// runChurn is the course's churn test: three clients propose commands to whoever is
// leader while peers are disconnected, crashed and restarted at random, and then every
// command a client saw committed must be in the final log.
func runChurn(t *testing.T, unreliable bool) {
	servers := 5
	h := newHarness(t, servers, unreliable, false)
	defer h.cleanup()

	if unreliable {
		h.begin("Test (2C): unreliable churn")
	} else {
		h.begin("Test (2C): churn")
	}

	var stop atomic.Bool

	// create concurrent clients
	cfn := func(me int, ch chan []int) {
		var ret []int
		defer func() { ch <- ret }()
		values := []int{}
		for !stop.Load() && !h.checkFinished() {
			x := rand.Int()
			index := -1
			ok := false
			for i := 0; i < servers; i++ {
				// try them all, maybe one of them is a leader
				if rf := h.raft(i); rf != nil {
					index1, _, ok1 := rf.Start(x)
					if ok1 {
						ok = ok1
						index = index1
					}
				}
			}
			if ok {
				// maybe leader will commit our value, maybe not.
				// but don't wait forever.
				for _, to := range []int{10, 20, 50, 100, 200} {
					nd, cmd, err := h.tryNCommitted(index)
					if err != nil {
						t.Error(err)
						return
					}
					if nd > 0 {
						if xx, ok := cmd.(int); ok {
							if xx == x {
								values = append(values, x)
							}
						} else {
							t.Errorf("wrong command type")
							return
						}
						break
					}
					time.Sleep(time.Duration(to) * time.Millisecond)
				}
			} else {
				time.Sleep(time.Duration(79+me*17) * time.Millisecond)
			}
		}
		ret = values
	}

	ncli := 3
	cha := []chan []int{}
	for i := 0; i < ncli; i++ {
		ch := make(chan []int, 1)
		cha = append(cha, ch)
		h.spawn(func() { cfn(i, ch) })
	}

	for iters := 0; iters < 20; iters++ {
		if rand.IntN(1000) < 200 {
			i := rand.IntN(servers)
			h.disconnect(i)
		}

		if rand.IntN(1000) < 500 {
			i := rand.IntN(servers)
			if h.raft(i) == nil {
				h.start1(i, h.applier)
			}
			h.connect(i)
		}

		if rand.IntN(1000) < 200 {
			i := rand.IntN(servers)
			if h.raft(i) != nil {
				h.crash1(i)
			}
		}

		// Make crash/restart infrequent enough that the peers can often
		// keep up, but not so infrequent that everything has settled
		// down from one change to the next. Pick a value smaller than
		// the election timeout, but not hugely smaller.
		time.Sleep((testElectionTimeout * 7) / 10)
	}

	time.Sleep(testElectionTimeout)
	h.setUnreliable(false)
	for i := 0; i < servers; i++ {
		if h.raft(i) == nil {
			h.start1(i, h.applier)
		}
		h.connect(i)
	}

	stop.Store(true)

	values := []int{}
	for i := 0; i < ncli; i++ {
		vv := <-cha[i]
		if vv == nil {
			t.Fatal("client failed")
		}
		values = append(values, vv...)
	}

	time.Sleep(testElectionTimeout)

	lastIndex := h.one(rand.Int(), servers, true)

	really := make([]int, lastIndex+1)
	for index := 1; index <= lastIndex; index++ {
		v := h.wait(index, servers, -1)
		if vi, ok := v.(int); ok {
			really = append(really, vi)
		} else {
			t.Fatalf("not an int")
		}
	}

	for _, v1 := range values {
		ok := false
		for _, v2 := range really {
			if v1 == v2 {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("didn't find a value")
		}
	}

	h.end()
}

func TestReliableChurn2C(t *testing.T) {
	runChurn(t, false)
}

func TestUnreliableChurn2C(t *testing.T) {
	runChurn(t, true)
}

// runSnapshotTest is the course's common 2D test: 30 rounds in which a victim (a
// follower, or every third round the leader) is disconnected or crashed while enough
// commands are proposed to make the others snapshot, after which the victim comes back
// and must catch up, in general from a snapshot.
func runSnapshotTest(t *testing.T, name string, disconnect bool, reliable bool, crash bool) {
	iters := 30
	servers := 3
	h := newHarness(t, servers, !reliable, true)
	defer h.cleanup()

	h.begin(name)

	h.one(rand.Int(), servers, true)
	leader1 := h.checkOneLeader()

	for i := 0; i < iters; i++ {
		victim := (leader1 + 1) % servers
		sender := leader1
		if i%3 == 1 {
			sender = (leader1 + 1) % servers
			victim = leader1
		}

		if disconnect {
			h.disconnect(victim)
			h.one(rand.Int(), servers-1, true)
		}
		if crash {
			h.crash1(victim)
			h.one(rand.Int(), servers-1, true)
		}

		// perhaps send enough to get a snapshot
		nn := (testSnapInterval / 2) + rand.IntN(testSnapInterval)
		for i := 0; i < nn; i++ {
			if rf := h.raft(sender); rf != nil {
				rf.Start(rand.Int())
			}
		}

		// let applier threads catch up with the Start()'s
		if !disconnect && !crash {
			// make sure all followers have caught up, so that
			// an InstallSnapshot RPC isn't required for
			// TestSnapshotBasic2D().
			h.one(rand.Int(), servers, true)
		} else {
			h.one(rand.Int(), servers-1, true)
		}

		if h.logSize() >= testMaxLogSize {
			t.Fatalf("Log size too large")
		}
		if disconnect {
			// reconnect a follower, who maybe behind and
			// needs to receive a snapshot to catch up.
			h.connect(victim)
			h.one(rand.Int(), servers, true)
			leader1 = h.checkOneLeader()
		}
		if crash {
			h.start1(victim, h.applierSnap)
			h.connect(victim)
			h.one(rand.Int(), servers, true)
			leader1 = h.checkOneLeader()
		}
	}
	h.end()
}

func TestSnapshotBasic2D(t *testing.T) {
	runSnapshotTest(t, "Test (2D): snapshots basic", false, true, false)
}

func TestSnapshotInstall2D(t *testing.T) {
	runSnapshotTest(t, "Test (2D): install snapshots (disconnect)", true, true, false)
}

func TestSnapshotInstallUnreliable2D(t *testing.T) {
	runSnapshotTest(t, "Test (2D): install snapshots (disconnect+unreliable)", true, false, false)
}

func TestSnapshotInstallCrash2D(t *testing.T) {
	runSnapshotTest(t, "Test (2D): install snapshots (crash)", false, true, true)
}

func TestSnapshotInstallUnCrash2D(t *testing.T) {
	runSnapshotTest(t, "Test (2D): install snapshots (unreliable+crash)", false, false, true)
}

// TestSnapshotAllCrash2D checks that the servers persist their snapshots and restart
// from a snapshot along with the tail of the log.
func TestSnapshotAllCrash2D(t *testing.T) {
	servers := 3
	iters := 5
	h := newHarness(t, servers, false, true)
	defer h.cleanup()

	h.begin("Test (2D): crash and restart all servers")

	h.one(rand.Int(), servers, true)

	for i := 0; i < iters; i++ {
		// perhaps enough to get a snapshot
		nn := (testSnapInterval / 2) + rand.IntN(testSnapInterval)
		for i := 0; i < nn; i++ {
			h.one(rand.Int(), servers, true)
		}

		index1 := h.one(rand.Int(), servers, true)

		// crash all
		for i := 0; i < servers; i++ {
			h.crash1(i)
		}

		// revive all
		for i := 0; i < servers; i++ {
			h.start1(i, h.applierSnap)
			h.connect(i)
		}

		index2 := h.one(rand.Int(), servers, true)
		if index2 < index1+1 {
			t.Fatalf("index decreased from %v to %v", index1, index2)
		}
	}
	h.end()
}

// TestSnapshotInit2D checks that servers initialize their in-memory copy of the
// snapshot correctly, so that later writes to persistent state don't lose it.
func TestSnapshotInit2D(t *testing.T) {
	servers := 3
	h := newHarness(t, servers, false, true)
	defer h.cleanup()

	h.begin("Test (2D): snapshot initialization")

	h.one(rand.Int(), servers, true)

	// enough ops to make a snapshot
	nn := testSnapInterval + 1
	for i := 0; i < nn; i++ {
		h.one(rand.Int(), servers, true)
	}

	// crash all
	for i := 0; i < servers; i++ {
		h.crash1(i)
	}

	// revive all
	for i := 0; i < servers; i++ {
		h.start1(i, h.applierSnap)
		h.connect(i)
	}

	// a single op, to get something to be written back to persistent storage.
	h.one(rand.Int(), servers, true)

	// crash all
	for i := 0; i < servers; i++ {
		h.crash1(i)
	}

	// revive all
	for i := 0; i < servers; i++ {
		h.start1(i, h.applierSnap)
		h.connect(i)
	}

	// do another op to trigger potential bug
	h.one(rand.Int(), servers, true)
	h.end()
}
