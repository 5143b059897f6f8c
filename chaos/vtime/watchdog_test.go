package vtime_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos/vtime"
	"github.com/miniraft/miniraft/chaos/vtime/internal/stuck"
)

// Outside any bubble the watchdog works in real time: a GetState stuck behind a lock
// held across a call gives a verdict within the bound, naming the peer, with the stacks
// of the stuck code; once the call returns everything ends.
func TestWatchdogRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the bound in real time")
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const bound = 200 * time.Millisecond
	var calls atomic.Int32
	wd := vtime.New(vtime.Options{Bound: bound, Packages: []string{stuckPkg},
		OnVerdict: func(vtime.Verdict) { calls.Add(1) }})
	defer wd.Close()
	stop := wd.Pulse()
	defer stop()

	entered, release := make(chan struct{}), make(chan struct{})
	p := stuck.New(func() { close(entered); <-release }, 10*time.Millisecond)
	defer p.Kill()
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	p.Send()
	<-entered // the sender holds the lock
	start := time.Now()
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		defer wd.Watch(3, "GetState")()
		p.GetState()
	}()
	select {
	case <-wd.Done():
	case <-time.After(bound + 5*time.Second):
		t.Fatal("no verdict")
	}
	if took := time.Since(start); took < bound {
		t.Errorf("verdict after %v, before the bound %v", took, bound)
	}
	v := wd.Verdict()
	if v.Peer != 3 || v.Op != "GetState" || v.Stalled || calls.Load() != 1 {
		t.Errorf("verdict peer %d op %q stalled %v, OnVerdict called %d times; want peer 3, GetState, not stalled, once", v.Peer, v.Op, v.Stalled, calls.Load())
	}
	if v.At < bound {
		t.Errorf("verdict at %v, before the bound", v.At)
	}
	if vi := v.Violation(); vi.Checker != "deadlock" || len(vi.Peers) != 1 || vi.Peers[0] != 3 {
		t.Errorf("Violation() = %+v, want checker deadlock naming peer 3", vi)
	}
	if len(v.Stacks) == 0 || !v.Stacks[0].Calls("GetState") {
		t.Errorf("first stack is not the stuck GetState:\n%s", v)
	}
	wantStacks(t, v.Stacks, []stackWant{
		{fn: "stuck.(*Peer).GetState", state: "sync.Mutex.Lock"},
		{fn: "stuck.(*Peer).send", state: "chan receive"},
	})
	unblock()
	<-returned
}

// In a bubble, a call that blocks durably while other goroutines keep the clock moving
// gets its verdict at the bound of cluster time, to the tick, in a moment of real time.
func TestWatchdogBubbleBound(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	wd := vtime.New(vtime.Options{Packages: []string{stuckPkg}})
	defer wd.Close()
	var v *vtime.Verdict
	var calledAt time.Duration
	synctest.Test(t, func(t *testing.T) {
		stop := wd.Pulse()
		defer stop()
		start := time.Now()
		wire := make(chan struct{})
		p := stuck.New(func() { <-wire }, 10*time.Millisecond)
		p.SendUnlocked()
		time.Sleep(1500 * time.Millisecond)
		// The bubble's goroutines cannot wait on wd.Done (made outside: not durable),
		// so a goroutine of the bubble polls for the verdict, then ends the hang.
		go func() {
			for wd.Verdict() == nil {
				time.Sleep(time.Millisecond)
			}
			close(wire)
		}()
		calledAt = time.Since(start)
		func() {
			defer wd.Watch(1, "Kill")()
			p.Kill()
		}()
		v = wd.Verdict()
	})
	if v == nil {
		t.Fatal("Kill returned without a verdict")
	}
	lo, hi := calledAt+vtime.DefaultBound, calledAt+vtime.DefaultBound+vtime.DefaultTick
	if v.At <= lo || v.At > hi || v.Peer != 1 || v.Op != "Kill" {
		t.Errorf("verdict at %v for peer %d op %q, want at (%v, %v] for peer 1, Kill", v.At, v.Peer, v.Op, lo, hi)
	}
	if !strings.Contains(v.Message, "Kill has not returned after 2s of cluster time") {
		t.Errorf("message %q", v.Message)
	}
	wantStacks(t, v.Stacks, []stackWant{
		{fn: "stuck.(*Peer).Kill", state: "sync.WaitGroup.Wait (durable)"},
		{fn: "stuck.(*Peer).SendUnlocked.func1", state: "chan receive (durable)"},
	})
}

// A healthy Raft cluster whose every call is watched gives no verdict.
func TestWatchdogNoFalseAlarm(t *testing.T) {
	wd := vtime.New(vtime.Options{})
	defer wd.Close()
	synctest.Test(t, func(t *testing.T) {
		stop := wd.Pulse()
		defer stop()
		c := startRaft(t, 5, 1)
		c.drive(t, 10*time.Second, wd)
		c.stop(t, wd)
	})
	if v := wd.Verdict(); v != nil {
		t.Errorf("verdict on a healthy cluster: %s", v)
	}
}

// The watchdog's goroutine must see real time: New refuses to run in a bubble.
func TestNewInBubblePanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "called in synctest bubble") {
				t.Errorf("New in a bubble: recovered %v, want a panic saying so", r)
			}
		}()
		vtime.New(vtime.Options{}).Close()
	})
}
