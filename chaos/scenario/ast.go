// Package scenario is the MiniRaft scenario language: a plain-text file that sets up a
// cluster (peers, seed, options, workload) and a timeline of faults and checks, in the
// spirit of etcd-io/raft's datadriven testdata:
//
//	# The leader crashes; the others elect a new one.
//	peers 5
//	workload rate=10
//
//	wait leader within 5s
//	at 2s crash leader
//	wait leader within 5s
//	expect elections >= 2
//
// Parse turns a file into a Scenario (an AST), reporting every error with its
// file:line:col, the offending token and a hint. ParseCommand parses one command, as typed
// into the TUI's command bar. Format renders a Scenario back into the language, so that
// generated and shrunk scenarios can be saved and read again.
//
// The package only describes scenarios. It resolves selectors into peer ids
// (FaultCmd.Resolve) and evaluates conditions (Cond.Eval) against an Observation, but
// running a timeline on a cluster is the runner's job.
//
// Every type here is a plain value without internal state or locks: safe for concurrent
// reads, not for concurrent modification. The package has no global mutable state.
package scenario

import (
	"fmt"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Scenario is a parsed scenario file. It is a plain value: safe for concurrent reads,
// not for concurrent modification.
type Scenario struct {
	// Name is the file's base name without the .chaos extension.
	Name string
	// Description is the text of the leading block of # comment lines, without the #s.
	// Its first line is the one-line summary.
	Description string
	// Source is the text the scenario was parsed from.
	Source string
	Header Header
	Steps  []Step
}

// Summary returns the first line of the description.
func (s *Scenario) Summary() string {
	return firstLine(s.Description)
}

// Default values of the header lines.
const (
	DefaultPeers    = 5
	DefaultLiveness = 5 * time.Second
	// MaxPeers is the largest cluster a scenario may ask for.
	MaxPeers = 15
	// MaxDuration bounds every duration in a scenario.
	MaxDuration = 24 * time.Hour
	// MaxRate bounds proposal rates, in proposals per second.
	MaxRate = 100000
	// MinPeriod is the shortest period of an every step.
	MinPeriod = time.Millisecond
)

// Header is the cluster set-up: the lines before the first step. Parse fills in the
// defaults, so Peers, Liveness and SnapshotEvery are set even when their lines are
// absent.
type Header struct {
	// Peers is the number of peers (peers N; default 5).
	Peers int
	// Seed seeds the run when HasSeed (seed S); otherwise the caller picks a seed.
	Seed    int64
	HasSeed bool
	// PreVote and CheckQuorum turn the Raft options on (prevote on, checkquorum on).
	PreVote     bool
	CheckQuorum bool
	// Timing overrides Raft's timing; zero fields keep the defaults.
	Timing Timing
	// Workload is the client workload running from the start, or nil for none.
	Workload *WorkloadSpec
	// Duration is the least time the scenario runs (duration D); zero means until the
	// last step finishes.
	Duration time.Duration
	// Liveness configures the liveness checker.
	Liveness Liveness
	// SnapshotEvery is how many commands each peer's service applies between snapshots
	// (snapshot every=N; default chaos.DefaultSnapshotEvery); 0 means never
	// (snapshot off).
	SnapshotEvery int
}

// Timing is the timing line: timing tick=10ms heartbeat=100ms election=300ms-550ms. A
// zero field keeps Raft's default, which is counted in ticks (heartbeat 10 ticks,
// election 30-55 ticks), so changing only the tick scales the whole protocol. Heartbeat
// and election must be whole numbers of ticks.
type Timing struct {
	Tick        time.Duration
	Heartbeat   time.Duration
	ElectionMin time.Duration
	ElectionMax time.Duration
}

// Liveness is the liveness line: the bounds within which, once a majority is up and
// connected on a reliable network, a leader must be elected and a proposal committed.
// When Off, the checker is disabled and the bounds are zero.
type Liveness struct {
	Off    bool
	Leader time.Duration
	Commit time.Duration
}

// DefaultWorkloadKind is the workload kind used when a workload line names none: client
// proposals of opaque commands at a fixed rate.
const DefaultWorkloadKind = "basic"

// WorkloadSpec is a workload: a kind and its key=value parameters, in the order given.
// Every kind's parameters are checked by Parse.
type WorkloadSpec struct {
	Kind   string
	Params []Param
}

// Param is one key=value parameter.
type Param struct {
	Key, Value string
}

// Get returns the value of key, and whether it was given.
func (w *WorkloadSpec) Get(key string) (string, bool) {
	for _, p := range w.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Rate returns the rate parameter in proposals per second, or 0 if it is missing or
// malformed (Parse rejects both for the kinds it knows).
func (w *WorkloadSpec) Rate() float64 {
	v, ok := w.Get("rate")
	if !ok {
		return 0
	}
	r, err := parseFloat(v)
	if err != nil {
		return 0
	}
	return r
}

// Pos is a position in a scenario: a file name, a line and a byte column, both counted
// from 1. A command typed on its own (ParseCommand) has no file and line 0.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.File != "":
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	case p.Col > 0:
		return fmt.Sprintf("col %d", p.Col)
	}
	return ""
}

// WhenKind says when a step is due.
type WhenKind uint8

// The kinds of When.
const (
	// Immediate: due as soon as the previous step finishes (a bare command).
	Immediate WhenKind = iota
	// Absolute: due at cluster time At (at 2s).
	Absolute
	// Relative: due At after the previous step was due (at +500ms).
	Relative
)

// When is when a step is due. A step starts when it is due or when the previous step
// finishes, whichever is later.
type When struct {
	Kind WhenKind
	At   time.Duration
}

func (w When) String() string {
	switch w.Kind {
	case Absolute:
		return "at " + fmtDur(w.At)
	case Relative:
		return "at +" + fmtDur(w.At)
	}
	return ""
}

// Every makes a step a background repetition: the command runs every Period, alongside
// the rest of the timeline, until the scenario ends, Until passes or it has run Times
// times. Without From its first run is one Period after the timeline reaches it; with
// From, at cluster time From (or when reached, if that is later).
type Every struct {
	Period  time.Duration
	From    time.Duration
	HasFrom bool
	// Until is the cluster time after which no run starts; zero means no limit.
	Until time.Duration
	// Times is how many runs to make; zero means no limit.
	Times int
}

func (e *Every) String() string {
	s := "every " + fmtDur(e.Period)
	if e.HasFrom {
		s += " from " + fmtDur(e.From)
	}
	if e.Until > 0 {
		s += " until " + fmtDur(e.Until)
	}
	if e.Times > 0 {
		s += fmt.Sprintf(" times %d", e.Times)
	}
	return s
}

// Step is one line of the timeline.
type Step struct {
	// Pos is where the line starts.
	Pos  Pos
	When When
	// Every, when not nil, makes the step a background repetition; When is then
	// Immediate.
	Every *Every
	Cmd   Command
}

// String renders the step as one line of the language.
func (s Step) String() string {
	if sch := scheduleOf(s); sch != nil {
		return sch.describeStep(s) + " " + s.Cmd.String()
	}
	return s.Cmd.String()
}

// Command is one command: a FaultCmd, ProposeCmd, WorkloadCmd, SleepCmd, WaitCmd or
// ExpectCmd. Name is the command's word (its entry in Specs), and String renders it in
// the language.
type Command interface {
	fmt.Stringer
	Name() string
	command()
}

// Sel is a peer selector as written, with where it was written.
type Sel struct {
	chaos.Selector
	Pos Pos
}

// FaultCmd is a fault, with selectors where chaos.Fault has peer ids. Which fields a
// kind uses follows chaos.Fault: Peers for crash, restart, pause, resume, isolate, tear
// and skew; Groups for partition (one or more groups) and bridge (side, middle, side);
// From and To for cut and, when given, for loss, delay, reorder and duplicate (a zero
// From means every link); P for loss, reorder and duplicate; Min and Max for delay;
// Rate for skew; Replies (a setting for replies only) for loss, delay, reorder and
// duplicate.
type FaultCmd struct {
	Kind     chaos.FaultKind
	Peers    Sel
	Groups   []Sel
	From, To Sel
	P        float64
	Min, Max time.Duration
	Rate     float64
	Replies  bool
}

// HasLinks reports whether the fault names links (SEL -> SEL).
func (c FaultCmd) HasLinks() bool { return c.From.Kind != 0 }

// ProposeCmd proposes N commands through the leader.
type ProposeCmd struct {
	N int
}

// WorkloadCmd changes the client workload; a nil Spec turns it off.
type WorkloadCmd struct {
	Spec *WorkloadSpec
}

// SleepCmd blocks the timeline for D.
type SleepCmd struct {
	D time.Duration
}

// WaitCmd blocks the timeline until Cond holds, and fails if it does not within Within.
type WaitCmd struct {
	Cond   Cond
	Within time.Duration
}

// ExpectCmd fails unless Cond holds now or, when For is set, throughout the next For
// (blocking the timeline meanwhile).
type ExpectCmd struct {
	Cond Cond
	For  time.Duration
}

func (FaultCmd) command()    {}
func (ProposeCmd) command()  {}
func (WorkloadCmd) command() {}
func (SleepCmd) command()    {}
func (WaitCmd) command()     {}
func (ExpectCmd) command()   {}

// Name returns the fault's name.
func (c FaultCmd) Name() string { return c.Kind.String() }

// Name returns "propose".
func (ProposeCmd) Name() string { return "propose" }

// Name returns "workload".
func (WorkloadCmd) Name() string { return "workload" }

// Name returns "sleep".
func (SleepCmd) Name() string { return "sleep" }

// Name returns "wait".
func (WaitCmd) Name() string { return "wait" }

// Name returns "expect".
func (ExpectCmd) Name() string { return "expect" }

func (c FaultCmd) String() string    { return describe(c) }
func (c ProposeCmd) String() string  { return describe(c) }
func (c WorkloadCmd) String() string { return describe(c) }
func (c SleepCmd) String() string    { return describe(c) }
func (c WaitCmd) String() string     { return describe(c) }
func (c ExpectCmd) String() string   { return describe(c) }

// CondKind says what a condition tests.
type CondKind uint8

// The condition kinds. The counters (CondTerm and after) compare a number with Op.
const (
	// CondLeader: some up peer leads with a connected majority following it (see
	// Cond.Eval).
	CondLeader CondKind = iota + 1
	// CondNoLeader: no peer leads with a connected majority.
	CondNoLeader
	// CondLeaderIs: there is a leader and it is one of Sel's peers.
	CondLeaderIs
	// CondLeaderNot: there is a leader and it is none of Sel's peers.
	CondLeaderNot
	// CondCommit: a majority of the peers are up with commitIndex >= N.
	CondCommit
	// CondConverged: every up peer has the same last index, last term and commit index.
	CondConverged
	// CondTerm: the highest term of any peer.
	CondTerm
	// CondCommits: proposals committed so far.
	CondCommits
	// CondLost: proposals lost so far.
	CondLost
	// CondElections: leaders elected so far.
	CondElections
	// CondLeaders: up peers that believe they are leader, at any term.
	CondLeaders
)

var condNames = [...]string{"", "leader", "no leader", "leader is", "leader not", "commit", "converged", "term", "commits", "lost", "elections", "leaders"}

func (k CondKind) String() string {
	if int(k) < len(condNames) && k != 0 {
		return condNames[k]
	}
	return fmt.Sprintf("CondKind(%d)", k)
}

// counter reports whether k compares a number with an Op.
func (k CondKind) counter() bool { return k >= CondTerm && k <= CondLeaders }

// Op is a comparison operator.
type Op uint8

// The operators.
const (
	OpEQ Op = iota + 1
	OpNE
	OpLT
	OpLE
	OpGT
	OpGE
)

var opNames = [...]string{"", "==", "!=", "<", "<=", ">", ">="}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// Compare reports whether a o b.
func (o Op) Compare(a, b int) bool {
	switch o {
	case OpEQ:
		return a == b
	case OpNE:
		return a != b
	case OpLT:
		return a < b
	case OpLE:
		return a <= b
	case OpGT:
		return a > b
	case OpGE:
		return a >= b
	}
	return false
}

// Cond is a condition for wait and expect. N is the number that commit and the
// counters compare with; Op the counters' operator; Sel the peers of leader is/not.
// When Relative, N counts from the value when the wait (or expect ... for) starts:
// see Bind.
type Cond struct {
	Kind     CondKind
	Op       Op
	N        int
	Relative bool
	Sel      Sel
}

func (c Cond) String() string {
	n := fmt.Sprint(c.N)
	if c.Relative {
		n = "+" + n
	}
	switch {
	case c.Kind == CondLeaderIs || c.Kind == CondLeaderNot:
		return c.Kind.String() + " " + c.Sel.String()
	case c.Kind == CondCommit:
		return "commit " + n
	case c.Kind.counter():
		return fmt.Sprintf("%s %s %s", c.Kind, c.Op, n)
	}
	return c.Kind.String()
}

// String renders the spec as the words after "workload"; the default kind is left out.
func (w *WorkloadSpec) String() string {
	s := ""
	if w.Kind != DefaultWorkloadKind {
		s = w.Kind
	}
	for _, p := range w.Params {
		if s != "" {
			s += " "
		}
		s += p.Key + "=" + p.Value
	}
	return s
}

// AsKV turns every workload of the default kind, in the header and in workload steps,
// into a kv workload at the same rate (with the kv kind's defaults for the rest), so
// any scenario can be run against clients of a key-value service whose history is
// checked for linearizability. It reports how many workloads it changed. Conditions on
// proposals (commits, lost) then count kv operations: answered ones as commits, and
// none as lost, since a kv client retries an operation whose leader fell.
func (s *Scenario) AsKV() int {
	n := 0
	conv := func(w *WorkloadSpec) {
		if w == nil || w.Kind != DefaultWorkloadKind {
			return
		}
		w.Kind = KVWorkloadKind
		n++
	}
	conv(s.Header.Workload)
	for i := range s.Steps {
		if c, ok := s.Steps[i].Cmd.(WorkloadCmd); ok {
			conv(c.Spec)
		}
	}
	return n
}
