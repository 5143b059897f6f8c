package kv

import (
	"bytes"
	"errors"
	"maps"
	"testing"

	"github.com/miniraft/miniraft/chaos"
)

// cmd encodes an op for tests.
func cmd(t *testing.T, kind OpKind, key, value string, client, seq int) string {
	t.Helper()
	c, err := Op{Kind: kind, Key: key, Value: value, Client: client, Seq: seq}.Command()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStoreApply(t *testing.T) {
	s := NewStore(0)
	steps := []struct {
		cmd  interface{}
		want map[string]string
	}{
		{cmd(t, Put, "a", "1", 0, 1), map[string]string{"a": "1"}},
		{cmd(t, Append, "a", "2", 1, 1), map[string]string{"a": "12"}},
		{cmd(t, Append, "a", "2", 1, 1), map[string]string{"a": "12"}}, // a retry: applied once
		{42, map[string]string{"a": "12"}},                             // another workload's command
		{cmd(t, Append, "b", "x", 0, 2), map[string]string{"a": "12", "b": "x"}},
		{cmd(t, Put, "a", "old", 0, 1), map[string]string{"a": "12", "b": "x"}}, // an older request
		{cmd(t, Put, "a", "3", 1, 2), map[string]string{"a": "3", "b": "x"}},
		{nil, map[string]string{"a": "3", "b": "x"}},
	}
	for i, st := range steps {
		if snap := s.Apply(i+1, st.cmd); snap != nil {
			t.Errorf("step %d: snapshot without a size bound", i+1)
		}
		if got := s.Data(); !maps.Equal(got, st.want) {
			t.Errorf("after applying %v at %d: data %v, want %v", st.cmd, i+1, got, st.want)
		}
	}
	if got := s.Applied(); got != len(steps) {
		t.Errorf("Applied() = %d, want %d", got, len(steps))
	}
}

func TestStoreAwait(t *testing.T) {
	s := NewStore(0)
	s.Apply(1, cmd(t, Put, "k", "v", 0, 1))

	type call struct {
		r   Reply
		got bool
	}
	var calls []call
	done := func(r Reply) { calls = append(calls, call{r, true}) }

	// Index 1 is applied already: Await answers at once, from the duplicate table.
	if r, now := s.Await(1, 0, 1, done); !now || !r.OK || r.Index != 1 {
		t.Errorf("Await on an applied index of ours = %+v, %v; want OK at once", r, now)
	}
	if r, now := s.Await(1, 5, 1, done); !now || r.OK {
		t.Errorf("Await on an applied index of another's = %+v, %v; want not OK at once", r, now)
	}

	// A Get waiting on index 2 hears its value when 2 is applied.
	if _, now := s.Await(2, 1, 1, done); now {
		t.Fatal("Await on a future index answered at once")
	}
	s.Apply(2, cmd(t, Get, "k", "", 1, 1))
	if len(calls) != 1 || !calls[0].r.OK || calls[0].r.Value != "v" || calls[0].r.Index != 2 {
		t.Fatalf("after applying the Get: calls %+v; want one OK reply with v", calls)
	}

	// Another command takes index 3: the wait is answered as not applied.
	s.Await(3, 1, 2, done)
	s.Apply(3, cmd(t, Put, "k", "w", 2, 1))
	if len(calls) != 2 || calls[1].r.OK {
		t.Fatalf("after another command at 3: calls %+v; want a second, not OK", calls)
	}

	// A second wait on an index answers the first as overwritten.
	s.Await(4, 1, 3, done)
	s.Await(4, 3, 1, done)
	if len(calls) != 3 || calls[2].r.OK || calls[2].r.Index != 4 {
		t.Fatalf("after a second wait on 4: calls %+v; want the first answered not OK", calls)
	}

	// Cancel drops a wait, but only its own.
	s.Cancel(4, 1, 3)
	s.Cancel(4, 3, 1)
	s.Apply(4, cmd(t, Get, "k", "", 3, 1))
	if len(calls) != 3 {
		t.Fatalf("a cancelled wait was answered: %+v", calls)
	}
}

func TestStoreRestoreSettlesWaits(t *testing.T) {
	src := NewStore(0)
	src.Apply(1, cmd(t, Put, "k", "v", 0, 1))
	src.Apply(2, cmd(t, Get, "k", "", 1, 1))
	snap := src.encodeForTest()

	s := NewStore(0)
	var got []Reply
	s.Await(2, 1, 1, func(r Reply) { got = append(got, r) }) // the Get is in the snapshot
	s.Await(1, 9, 1, func(r Reply) { got = append(got, r) }) // not ours
	s.Await(3, 1, 2, func(r Reply) { got = append(got, r) }) // beyond the snapshot
	if err := s.Restore(2, snap); err != nil {
		t.Fatal(err)
	}
	want := []Reply{{OK: false, Index: 1}, {OK: true, Index: 2, Value: "v"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("replies after Restore = %+v, want %+v (in log order)", got, want)
	}
}

// encodeForTest snapshots the store whatever its size.
func (s *Store) encodeForTest() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.encodeLocked()
}

func TestStoreSnapshotRoundTrip(t *testing.T) {
	s := NewStore(0)
	s.Apply(1, cmd(t, Put, "k0", "a b c", 3, 1))
	s.Apply(2, cmd(t, Append, "k1", "", 1, 4))
	s.Apply(3, cmd(t, Get, "k0", "", 2, 7))
	snap := s.encodeForTest()

	if i, err := NewStore(0).SnapshotIndex(snap); i != 3 || err != nil {
		t.Errorf("SnapshotIndex = %d, %v; want 3, nil", i, err)
	}
	if _, err := NewStore(0).SnapshotIndex([]byte("junk")); err == nil {
		t.Error("SnapshotIndex of junk: no error")
	}
	r := NewStore(0)
	if err := r.Restore(3, snap); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(r.Data(), s.Data()) || r.Applied() != 3 {
		t.Errorf("restored data %v applied %d; want %v applied 3", r.Data(), r.Applied(), s.Data())
	}
	if !bytes.Equal(r.encodeForTest(), snap) {
		t.Error("a restored store snapshots to different bytes")
	}
	// The duplicate table came along: retries are still no-ops.
	r.Apply(4, cmd(t, Put, "k0", "again", 3, 1))
	if got := r.Data()["k0"]; got != "a b c" {
		t.Errorf("a retry after Restore changed k0 to %q", got)
	}
	// And a Get's answer survives for a clerk that asks again.
	if rep, now := r.Await(3, 2, 7, nil); !now || !rep.OK || rep.Value != "a b c" {
		t.Errorf("Await of a Get in the snapshot = %+v, %v; want its value", rep, now)
	}
}

func TestStoreSnapshotIsDeterministic(t *testing.T) {
	build := func(order []int) []byte {
		s := NewStore(0)
		for i, k := range order {
			s.Apply(i+1, cmd(t, Put, "k"+string(rune('a'+k)), "v", k, 1))
		}
		s.mu.Lock()
		s.applied = 99
		s.mu.Unlock()
		return s.encodeForTest()
	}
	a, b := build([]int{0, 1, 2, 3, 4, 5}), build([]int{5, 3, 1, 0, 2, 4})
	if !bytes.Equal(a, b) {
		t.Error("equal states gave different snapshots")
	}
}

func TestStoreRestoreRefusesGarbage(t *testing.T) {
	s := NewStore(0)
	s.Apply(1, cmd(t, Put, "key", "value", 1, 1))
	s.Apply(2, cmd(t, Get, "key", "", 2, 1))
	snap := s.encodeForTest()
	// Every proper prefix, and the snapshot with a byte added, must be refused cleanly.
	for n := range len(snap) {
		if err := NewStore(0).Restore(2, snap[:n]); !errors.Is(err, chaos.ErrBadSnapshot) {
			t.Errorf("Restore of %d of %d bytes: %v; want ErrBadSnapshot", n, len(snap), err)
		}
	}
	if err := NewStore(0).Restore(2, append(snap, 0)); !errors.Is(err, chaos.ErrBadSnapshot) {
		t.Errorf("Restore with trailing data: %v; want ErrBadSnapshot", err)
	}
	if err := NewStore(0).Restore(3, snap); !errors.Is(err, chaos.ErrBadSnapshot) {
		t.Errorf("Restore at the wrong index: %v; want ErrBadSnapshot", err)
	}
	// A huge length must not make it allocate or read out of bounds.
	bad := append([]byte(snapMagic), 1, 0xff, 0xff, 0xff, 0xff, 0x0f)
	if err := NewStore(0).Restore(1, bad); !errors.Is(err, chaos.ErrBadSnapshot) {
		t.Errorf("Restore with a huge count: %v; want ErrBadSnapshot", err)
	}
}

func TestStoreSnapshotsBySize(t *testing.T) {
	s := NewStore(100)
	size := 0
	s.SetStateSize(func() int { return size })
	var snaps []int
	for i := 1; i <= 10; i++ {
		size = i * 30 // the raft state grows with each command...
		if i == 6 {
			size = 90 // ...until a snapshot shrinks it (one Ready later)
		}
		if snap := s.Apply(i, cmd(t, Append, "k", "x", 0, i)); snap != nil {
			snaps = append(snaps, i)
		}
	}
	// Sizes 120 at 4 and 150 at 5 pass the bound; 90 at 6 does not; 210.. at 7.. do, each a
	// new size.
	want := []int{4, 5, 7, 8, 9, 10}
	if len(snaps) != len(want) {
		t.Fatalf("snapshots at %v, want %v", snaps, want)
	}
	for i := range want {
		if snaps[i] != want[i] {
			t.Fatalf("snapshots at %v, want %v", snaps, want)
		}
	}
	// The same size twice (a batch applied before raft persists the compaction) asks once.
	s2 := NewStore(100)
	s2.SetStateSize(func() int { return 500 })
	n := 0
	for i := 1; i <= 5; i++ {
		if s2.Apply(i, 7) != nil {
			n++
		}
	}
	if n != 1 || s2.Snapshots() != 1 {
		t.Errorf("%d snapshots (Snapshots() = %d) for one size; want 1", n, s2.Snapshots())
	}
}
