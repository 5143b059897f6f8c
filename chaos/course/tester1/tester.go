// Package tester is the part of the course's tester1 package (MIT 6.5840, from 2025 on)
// that a Raft implementation uses: the Persister it is given. The Persister is MiniRaft's
// own raft.Persister, which has the course's methods, so the live engine can crash and
// restart course peers as it does its own. Course code that imports 6.5840/tester1 is
// built against this package when MiniRaft runs it (see miniraft run --raft).
package tester

import (
	"time"

	"github.com/miniraft/miniraft/raft"
)

// Persister holds a peer's Raft state and snapshot across crashes. It is safe for
// concurrent use.
type Persister = raft.Persister

// MakePersister returns an empty Persister.
func MakePersister() *Persister { return raft.MakePersister() }

// The course's tester lets Raft code annotate its visualisation of a test. MiniRaft
// shows what it observes itself, so these accept the course's calls and record nothing;
// they exist so that code calling them builds unchanged.

// Annotate records nothing; in the course it marks a point in time.
func Annotate(tag, desp, details string) {}

// AnnotateInterval records nothing; in the course it marks the interval from start.
func AnnotateInterval(tag string, start int64, desp, details string) {}

// AnnotateContinuous records nothing; in the course it starts or continues a band.
func AnnotateContinuous(tag, desp, details string) {}

// AnnotateContinuousEnd records nothing; in the course it ends a band.
func AnnotateContinuousEnd(tag string) {}

// GetAnnotateTimestamp returns the course's timestamp: nanoseconds since the Unix epoch.
func GetAnnotateTimestamp() int64 { return time.Now().UnixNano() }
