// Package course is how MiniRaft runs a Raft it does not own: any implementation of the
// MIT 6.824/6.5840 lab interface, a student's Raft built in from a directory as much as
// MiniRaft's own raft.Raft.
//
// An Impl says how to start peers of one implementation (its MakeFunc) and how to make
// the durable storage they are given (its MakePersister). The engine holds every peer as
// a Peer, the course's four methods, and every persister as a Persister, the methods the
// course's tester uses to crash and restart a peer. What an engine cannot read inside a
// foreign peer it observes from outside, with the helpers here: a Tap carries each
// applied message from the peer to its service and reports it on the way; a Sampler asks
// every peer GetState at a steady rate and reports the answers, and the calls that do not
// return. (The RPCs between peers are read from labrpc's events, whose args and replies
// chaos.DescribeRequest and chaos.DescribeReply read by their usual field names.)
//
// A binary built around a user's Raft (see package foreign) registers the user's Impl
// with Register before it runs MiniRaft's command line; the engine looks it up with
// ForDir. Mini is MiniRaft's own raft.Raft as an Impl.
package course

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"

	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// Peer is one Raft peer with the course's interface.
//
// The engine registers a Peer as a labrpc service (labrpc.MakeService(peer)), which
// finds the RPC handlers on it by name, as the course's tester does; so a Peer is the
// implementation's own Raft value, never a wrapper around it.
type Peer interface {
	// Start proposes command and returns at once: the index it will have if it is ever
	// committed, the current term, and whether this peer believes it is the leader.
	Start(command interface{}) (index int, term int, isLeader bool)
	// GetState returns the current term and whether this peer believes it leads.
	GetState() (term int, isLeader bool)
	// Snapshot tells the peer that the service has a snapshot of everything through
	// index, so the log through index may be discarded.
	Snapshot(index int, snapshot []byte)
	// Kill stops the peer.
	Kill()
}

// CondInstaller is a Peer with the 2021-2022 course interface's CondInstallSnapshot: its
// service asks, on each snapshot it receives on the apply channel, whether to install it.
type CondInstaller interface {
	CondInstallSnapshot(lastIncludedTerm int, lastIncludedIndex int, snapshot []byte) bool
}

// PersistSizer is a Peer with the 2025 course interface's PersistBytes: the size of its
// persisted Raft state.
type PersistSizer interface {
	PersistBytes() int
}

// Waiter is a Peer that can wait until every goroutine it started has ended, as
// raft.Raft can; the engine calls Wait after Kill where a Peer has it.
type Waiter interface {
	Wait()
}

// AcceptSnapshot reports whether the service of p should install the snapshot in m, a
// SnapshotValid message p sent: it asks p's CondInstallSnapshot where p has one (the
// 2021-2022 interface), and says yes otherwise.
func AcceptSnapshot(p Peer, m raft.ApplyMsg) bool {
	if c, ok := p.(CondInstaller); ok {
		return c.CondInstallSnapshot(m.SnapshotTerm, m.SnapshotIndex, m.Snapshot)
	}
	return true
}

// Persister is a peer's durable storage as the engine sees it: what the course's tester
// does with a Persister. A crashed peer's successor is given a Copy, as in the course,
// so that the old incarnation, which may still be running, cannot change what the new
// one reads. Persisters must be safe for concurrent use.
type Persister interface {
	ReadRaftState() []byte
	ReadSnapshot() []byte
	RaftStateSize() int
	SnapshotSize() int
	// Copy returns a new Persister of the same kind holding the same state and snapshot.
	Copy() Persister
}

// MakeFunc starts one incarnation of peer me of a cluster: ends[i] is its client end to
// peer i, persister holds what earlier incarnations saved (it comes from the same Impl's
// MakePersister, or a Copy of one), and apply carries what it applies: the MakeFunc
// makes the peer's own apply channel and hands it to apply with Forward before it
// starts the peer. It returns the peer, which must be registered with labrpc as is.
type MakeFunc func(ends []*labrpc.ClientEnd, me int, persister Persister, apply *Tap) Peer

// Impl is one Raft implementation the engine can run. Its fields are set once, before
// it is registered or used; an Impl is then safe for concurrent use.
type Impl struct {
	// Name says what it is, for people: "MiniRaft", or "the Raft in ~/6.5840/src/raft".
	Name string
	// Dir is the absolute directory the implementation was built from; empty for
	// MiniRaft's own.
	Dir string
	// API names the course interface it has, e.g. "6.5840 2023-2024 (Persister.Save)".
	API string
	// Package is the import path of the implementation's code, as it appears in stack
	// traces ("6.5840/raft"): a deadlock watchdog shows the goroutines running it.
	Package string
	// Make starts a peer.
	Make MakeFunc
	// MakePersister returns empty storage for a new peer.
	MakePersister func() Persister
	// Snapshots is whether its ApplyMsg can carry snapshots (it has SnapshotValid).
	Snapshots bool
}

func (impl *Impl) validate() error {
	switch {
	case impl == nil:
		return errors.New("nil Impl")
	case impl.Make == nil || impl.MakePersister == nil:
		return fmt.Errorf("impl %q: Make and MakePersister must be set", impl.Name)
	case impl.Dir == "" || !filepath.IsAbs(impl.Dir):
		return fmt.Errorf("impl %q: Dir %q is not an absolute directory", impl.Name, impl.Dir)
	}
	return nil
}

// registry holds the implementations a binary carries, by directory.
var registry struct {
	mu    sync.Mutex
	byDir map[string]*Impl
}

// Register adds impl, built from impl.Dir, to the implementations this binary carries.
// A binary built around a user's Raft calls it from main, before anything else runs.
// It fails if impl is incomplete or another is registered for the same directory.
func Register(impl *Impl) error {
	if err := impl.validate(); err != nil {
		return fmt.Errorf("course: register: %w", err)
	}
	dir := filepath.Clean(impl.Dir)
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.byDir == nil {
		registry.byDir = map[string]*Impl{}
	}
	if old := registry.byDir[dir]; old != nil {
		return fmt.Errorf("course: register %q: %s is already registered for %s", impl.Name, old.Name, dir)
	}
	registry.byDir[dir] = impl
	return nil
}

// ForDir returns the implementation registered for dir, or nil if this binary carries
// none: then the Raft in dir has to be built into a binary first (package foreign).
func ForDir(dir string) *Impl {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.byDir[filepath.Clean(abs)]
}

// Registered returns every registered implementation, by directory.
func Registered() []*Impl {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	impls := make([]*Impl, 0, len(registry.byDir))
	for _, impl := range registry.byDir {
		impls = append(impls, impl)
	}
	sort.Slice(impls, func(i, j int) bool { return impls[i].Dir < impls[j].Dir })
	return impls
}
