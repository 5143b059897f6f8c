package model

import (
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// StepStatus is where a timeline step stands.
type StepStatus uint8

// The step statuses.
const (
	StepPending StepStatus = iota
	StepRunning
	StepDone
	StepSkipped
	StepFailed
)

func (s StepStatus) String() string {
	if int(s) < len(stepStatusNames) {
		return stepStatusNames[s]
	}
	return "?"
}

var stepStatusNames = [...]string{"pending", "running", "done", "skipped", "failed"}

// stepStatusOf returns the status an EventStep's Outcome names.
func stepStatusOf(outcome string) StepStatus {
	switch outcome {
	case chaos.StepDone:
		return StepDone
	case chaos.StepSkipped:
		return StepSkipped
	case chaos.StepFailed:
		return StepFailed
	}
	return StepRunning
}

// StepState is one timeline step as the run sees it. It is a plain value.
type StepState struct {
	Text   string
	Line   int
	Status StepStatus
	At     time.Duration // when it started (for steps that have)
}

// Figures are a run's figures, as the events tell them: elections, terms, indexes,
// restarts, snapshots, faults; and, once the run has ended, what the checkers measured
// (LongestLeaderless, MaxCommitWait). It is a plain value.
type Figures struct {
	Events      uint64 `json:"events"`       // events seen
	Elections   int    `json:"elections"`    // distinct (term, leader) pairs seen
	MaxTerm     int    `json:"max_term"`     // the highest term any peer reached
	CommitIndex int    `json:"commit_index"` // the highest index any peer committed
	Applied     int    `json:"applied"`      // the highest index any peer applied
	Restarts    int    `json:"restarts"`     // boots other than a peer's first
	Snapshots   int    `json:"snapshots"`    // snapshots taken by services
	Installs    int    `json:"installs"`     // snapshots installed from a leader
	Truncated   int    `json:"truncated"`    // log entries removed by conflicts
	Faults      int    `json:"faults"`       // faults applied
	// LongestLeaderless is the longest time without a leader while a majority was up and
	// connected on a reliable network (from the run's end event).
	LongestLeaderless time.Duration `json:"longest_leaderless"`
	// MaxCommitWait is the longest a proposal the liveness checker watched waited to
	// commit (from the run's end event).
	MaxCommitWait time.Duration `json:"max_commit_wait"`
}

// WorkloadStats are the figures of the client workload's proposals. It is a plain value.
type WorkloadStats struct {
	Proposed  int           `json:"proposed"`
	Committed int           `json:"committed"`
	Lost      int           `json:"lost"`
	InFlight  int           `json:"in_flight"`
	Refused   int           `json:"refused"`
	P50       time.Duration `json:"latency_p50"`
	P99       time.Duration `json:"latency_p99"`
}

// KVStats are the figures of a kv workload's operations, from the clients' view (the
// EventClient events). It is a plain value.
type KVStats struct {
	// Operations started, and how they ended.
	Operations int `json:"operations"`
	OK         int `json:"ok"`
	TimedOut   int `json:"timed_out"`
	Unfinished int `json:"unfinished"`
	// Clients and Keys are how many clients ran operations, on how many keys.
	Clients int `json:"clients"`
	Keys    int `json:"keys"`
	// Reads and Writes split Operations by kind.
	Reads  int `json:"reads"`
	Writes int `json:"writes"`
	// LocalReads were answered by a server from its own state, without the log.
	LocalReads int `json:"local_reads,omitempty"`
	// Retries counts requests sent to another server after a refusal, a timeout or a
	// lost leadership.
	Retries int `json:"retries"`
	// Throughput is answered operations per second of cluster time, from the first call
	// to the last answer.
	Throughput float64 `json:"throughput"`
	// Latency of answered operations, from call to answer.
	P50 time.Duration `json:"latency_p50"`
	P99 time.Duration `json:"latency_p99"`
	Max time.Duration `json:"latency_max"`
}

// Recovery is how a cluster came back after a heal (or a reset). It is a plain value.
type Recovery struct {
	Fault string        `json:"fault"`
	At    time.Duration `json:"at"`
	// Leader is how long until a leader with a connected majority existed, or -1.
	Leader time.Duration `json:"leader"`
	// Commit is how long until the workload's next commit, or -1.
	Commit time.Duration `json:"commit"`
}

// State is a run's progress, for progress lines and views. It is a plain value; a State
// a model returns shares nothing with the model.
type State struct {
	Name   string
	Engine string
	Seed   int64
	Now    time.Duration
	Bound  time.Duration // how long the scenario can take
	// Duration is the least time the scenario runs (its duration line).
	Duration time.Duration
	Steps    []StepState
	Current  int // the step running or last run, or -1
	Done     bool
	Paused   bool
	Speed    float64
	Rate     float64 // the workload's proposals per second
	Faults   int
	// Failure is the first violation or failed expectation.
	Failure  *chaos.Violation
	Workload WorkloadStats
	// Checks are the run's figures (see Figures); the name is older than the model.
	Checks Figures
	KV     *KVStats // nil without kv operations
	// Clients is what a kv workload's clients are doing now; nil when no kv workload
	// has run.
	Clients *KVClients
	// Interrupted says where the run was stopped, if its end came before its timeline
	// was over.
	Interrupted *Interruption
}

// KVClients is what a kv workload's clients are doing, for a view. It is a plain value.
type KVClients struct {
	// Rate is the workload's rate (operations per second, all clients), 0 when off.
	Rate float64
	// Answering is the operations answered per second over the last second.
	Answering float64
	// Pending is how many operations have been invoked and not yet ended; Oldest is
	// when the oldest of them was invoked.
	Pending int
	Oldest  time.Duration
	// Recent are the last operations that ended, oldest first.
	Recent []chaos.ClientOp
	// Check is the latest linearizability check of the history: of the history so far
	// when the timeline was over (CheckAt), or of the whole at the run's end. Nil until
	// one has run.
	Check   *chaos.KVCheck
	CheckAt time.Duration
}

// TimelineOver reports whether the scenario's timeline has been carried out: every step
// has finished (done, skipped or failed) and its duration has passed. A held-open run
// (the TUI) goes on after it; a run stopped before it was interrupted.
func (s State) TimelineOver() bool {
	for _, st := range s.Steps {
		if st.Status == StepPending || st.Status == StepRunning {
			return false
		}
	}
	return s.Now >= s.Duration
}

// View is a cluster at one moment as the views show it: the run, every peer, the network.
// It is what a live run and a replay hand a UI alike. A View shares nothing with the
// model that made it, so it may be handed between goroutines and kept (it is read-only
// once made).
type View struct {
	// Run is the run's progress: scenario name, engine, seed, cluster time, speed,
	// paused, the timeline's steps, the first violation, workload and other figures.
	Run State
	// Peers is every peer's status, indexed by id.
	Peers []chaos.PeerStatus
	// Net is the state of the network's links.
	Net chaos.NetState
	// Stats are the network's totals.
	Stats chaos.NetStats
}

// Seen is an event as a model applied it: the event, and what the model knew that the
// event alone does not say. It is a plain value.
type Seen struct {
	chaos.Event
	// StepDown: a leader became a follower (an EventRaft of kind role).
	StepDown bool
}

// Caps says which controls a source of Views supports (a live run, a replay), so that a
// UI shows the controls it cannot honour as unavailable instead of failing.
type Caps struct {
	// Commands: the source takes commands of the scenario language (a replay cannot).
	Commands bool
	// Speed: the pace can change (a live cluster runs in real time only).
	Speed bool
	// Replay: the source plays back a recording and can step and seek.
	Replay bool
}

// Result is the outcome of a run: the model at the end, and the verdict. It is a plain
// value.
type Result struct {
	// RunConfig is what fixes the run: name, engine, seed, peers, the scenario as written
	// and as it ran, the bugs switched on, the build, and the command that runs it again
	// (as the run's trace header has them).
	chaos.RunConfig
	Pass     bool          `json:"pass"`
	Duration time.Duration `json:"duration"` // cluster time
	// Wall is the real time the run took; a run rebuilt from a trace does not know it.
	// Paused is the part of it the run spent paused (a person paused the TUI).
	Wall   time.Duration `json:"wall,omitempty"`
	Paused time.Duration `json:"paused,omitempty"`
	// Failure is the first violation or failed expectation; Violations has the first of
	// each checker and every failed expectation.
	Failure    *chaos.Violation  `json:"failure,omitempty"`
	Violations []chaos.Violation `json:"violations,omitempty"`
	Checks     Figures           `json:"checks"`
	Workload   WorkloadStats     `json:"workload"`
	Net        chaos.NetStats    `json:"net"`
	Faults     int               `json:"faults"`
	Skipped    int               `json:"skipped_steps"`
	// Interrupted, when set, says the run was stopped (a person quit, a signal came)
	// before its timeline was over, and where: such a run neither passed nor failed,
	// unless a failure came first (then Failure says so).
	Interrupted *Interruption `json:"interrupted,omitempty"`
	Recoveries  []Recovery    `json:"recoveries,omitempty"`
	// KVStats are the kv workload's figures, and KVCheck its linearizability check; nil
	// without one. KVCheckTook is how long the check took, which only the run knows.
	KVStats     *KVStats       `json:"kv_stats,omitempty"`
	KVCheck     *chaos.KVCheck `json:"kv_check,omitempty"`
	KVCheckTook time.Duration  `json:"kv_check_took,omitempty"`
}

// Verdict returns the run's verdict in a word: PASS, FAIL (a violation or a failed
// expectation, whether or not the run was then interrupted) or INTERRUPTED (stopped
// before the end of its timeline, with nothing wrong found so far).
func (res *Result) Verdict() string {
	switch {
	case res.Failure != nil:
		return "FAIL"
	case res.Interrupted != nil:
		return "INTERRUPTED"
	case res.Pass:
		return "PASS"
	}
	return "FAIL"
}

// Interruption is where a run stood when it was stopped before its timeline was over.
// It is a plain value.
type Interruption struct {
	// Step is the step running or last started, from 1 (0: none had started); Steps is
	// how many the timeline has. Finished says that step had finished (the run was
	// waiting for the next one); Text is the step.
	Step     int    `json:"step"`
	Steps    int    `json:"steps"`
	Finished bool   `json:"finished,omitempty"`
	Text     string `json:"text,omitempty"`
	// At is the cluster time it was stopped at; Bound how long the timeline can take.
	At    time.Duration `json:"at"`
	Bound time.Duration `json:"bound,omitempty"`
}

// String says where the run was stopped: "interrupted at step 2 of 20 (crash leader)".
func (in Interruption) String() string {
	switch {
	case in.Steps == 0 && in.Bound > 0:
		return fmt.Sprintf("interrupted at %.1fs of %.1fs", in.At.Seconds(), in.Bound.Seconds())
	case in.Steps == 0:
		return fmt.Sprintf("interrupted at %.1fs", in.At.Seconds())
	case in.Step == 0:
		return fmt.Sprintf("interrupted before step 1 of %d", in.Steps)
	case in.Finished:
		return fmt.Sprintf("interrupted after step %d of %d (%s)", in.Step, in.Steps, in.Text)
	}
	return fmt.Sprintf("interrupted at step %d of %d (%s)", in.Step, in.Steps, in.Text)
}

// Watched reports whether e is an event a person follows in a UI's list of events:
// not the many that other views show better (messages, appends, applies, deliveries, a
// leader's progress, clients' operations) nor a step's end.
func Watched(e chaos.Event) bool {
	switch e.Kind {
	case chaos.EventRaft:
		if e.Raft == nil {
			return false
		}
		switch e.Raft.Kind {
		case raftpb.EventAppend, raftpb.EventApply, raftpb.EventProgress:
			return false
		}
		return true
	case chaos.EventStep:
		return e.Outcome == ""
	case chaos.EventFault, chaos.EventPropose, chaos.EventViolation, chaos.EventExpect, chaos.EventNote:
		return true
	}
	return false
}
