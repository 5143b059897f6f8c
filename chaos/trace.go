package chaos

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// TraceFormat names the trace file format in its header.
const TraceFormat = "miniraft-trace"

// TraceVersion is the version of the format written. Version 2 names every field in
// lower case, describes messages (NetEvent.Msg) and keeps commands' types; ReadTrace
// still reads version 1. docs/TRACE.md describes the format.
const TraceVersion = 2

// TraceHeader is the first line of a trace: the format, and the run's configuration,
// everything needed to run the same scenario again (for the sim engine, to get the same
// trace again).
type TraceHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	RunConfig
}

// RunConfig is everything that fixes a run: the scenario as written and as it ran (after
// the command line's overrides), the engine, seed and cluster size, the deliberate bugs
// switched on and the build of the program, with the command that runs it again. A
// trace's header, a run's JSON result and its report all carry it. It is a plain value.
type RunConfig struct {
	Name   string `json:"name"`
	Engine string `json:"engine"`
	Seed   int64  `json:"seed"`
	Peers  int    `json:"peers"`
	// Scenario is the scenario's source text, as written: the lines that events name
	// are its lines.
	Scenario string `json:"scenario"`
	// Overrides are what the command line changed in the scenario's header; nil for
	// none. Effective is then the scenario as it ran, with the overrides and the seed
	// written into it (in the scenario language, without the original's comments and
	// layout).
	Overrides *Overrides `json:"overrides,omitempty"`
	Effective string     `json:"effective,omitempty"`
	// Bugs are the deliberate bugs switched on (a build with -tags bugs); a run again
	// needs them.
	Bugs []string `json:"bugs,omitempty"`
	// Build is the build of the program that ran it.
	Build *Build `json:"build,omitempty"`
	// Tool is the program that ran it, with its version (and the bugs switched on).
	Tool string `json:"tool,omitempty"`
	// Repro is the command that runs it again.
	Repro string `json:"repro,omitempty"`
}

// Overrides are the changes a command line made to a scenario's header, each one a
// change from what the scenario's text says (a flag that repeats the text is none). With
// the text they give the scenario that ran. It is a plain value.
type Overrides struct {
	// Peers is the cluster's size, if changed.
	Peers int `json:"peers,omitempty"`
	// PreVote and CheckQuorum are Raft's options, if changed.
	PreVote     *bool `json:"prevote,omitempty"`
	CheckQuorum *bool `json:"checkquorum,omitempty"`
	// KV: the scenario's basic workloads were made kv workloads.
	KV bool `json:"kv,omitempty"`
}

// IsZero reports whether o changes nothing.
func (o Overrides) IsZero() bool { return o == Overrides{} }

// Flags returns the command-line flags that make o, in a fixed order: --peers 3
// --prevote=false --checkquorum --kv.
func (o Overrides) Flags() []string {
	var fs []string
	if o.Peers != 0 {
		fs = append(fs, "--peers", fmt.Sprint(o.Peers))
	}
	option := func(name string, v *bool) {
		switch {
		case v == nil:
		case *v:
			fs = append(fs, "--"+name)
		default:
			fs = append(fs, "--"+name+"=false")
		}
	}
	option("prevote", o.PreVote)
	option("checkquorum", o.CheckQuorum)
	if o.KV {
		fs = append(fs, "--kv")
	}
	return fs
}

// Build identifies a build of the program, as the go command stamped it. It is a plain
// value.
type Build struct {
	// Version is the main module's version: a release's tag, a pseudo-version with
	// +dirty for uncommitted changes, or "(devel)".
	Version string `json:"version"`
	// Revision, Time and Modified are the version control revision built, its commit
	// time and whether the tree had uncommitted changes; empty when the go command
	// recorded none (go test, go run, -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// Go is the Go version it was built with.
	Go string `json:"go"`
}

// CurrentBuild returns the build of the running program, from its build information.
func CurrentBuild() Build {
	b := Build{Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	return BuildOf(bi)
}

// BuildOf returns the Build that bi describes.
func BuildOf(bi *debug.BuildInfo) Build {
	b := Build{Version: bi.Main.Version, Go: bi.GoVersion}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String renders b on one line: "v1.2.0 (revision 3f2a9c1d0b7e, 2026-01-02T03:04:05Z,
// modified; go1.26.8)".
func (b Build) String() string {
	var parts []string
	if b.Revision != "" {
		rev := "revision " + b.Revision
		if b.Time != "" {
			rev += ", " + b.Time
		}
		if b.Modified {
			rev += ", modified"
		}
		parts = append(parts, rev)
	} else {
		parts = append(parts, "no VCS information")
	}
	parts = append(parts, b.Go)
	return b.Version + " (" + strings.Join(parts, "; ") + ")"
}

// TraceWriter writes a cluster's events as JSON Lines: a TraceHeader, then one Event per
// line, in order. Observe (a Bus sink) queues events and a goroutine of its own writes
// them, so it never slows the cluster; Close drains and flushes it. Safe for concurrent
// use.
type TraceWriter struct {
	q    *Queue
	done chan struct{}
	stop chan struct{}
	once sync.Once

	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
	err error
	n   int
}

// NewTraceWriter writes h to w and starts the writer; give it events with Observe.
func NewTraceWriter(w io.Writer, h TraceHeader) (*TraceWriter, error) {
	h.Format, h.Version = TraceFormat, TraceVersion
	bw := bufio.NewWriterSize(w, 64<<10)
	t := &TraceWriter{q: NewQueue(), w: bw, enc: json.NewEncoder(bw), done: make(chan struct{}), stop: make(chan struct{})}
	if err := t.enc.Encode(h); err != nil {
		return nil, fmt.Errorf("write trace header: %w", err)
	}
	go t.loop()
	return t, nil
}

// Observe queues e to be written. It never blocks; use it as a Bus sink (or in
// ClusterConfig.Observers). Events after Close are dropped.
func (t *TraceWriter) Observe(e Event) { t.q.Push(e) }

func (t *TraceWriter) loop() {
	defer close(t.done)
	for {
		select {
		case <-t.q.Wait():
			t.write(t.q.Drain())
		case <-t.stop:
			t.write(t.q.Drain())
			return
		}
	}
}

func (t *TraceWriter) write(es []Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range es {
		if t.err != nil {
			return
		}
		if err := t.enc.Encode(e); err != nil {
			t.err = fmt.Errorf("write trace event %d: %w", e.Seq, err)
		}
		t.n++
	}
}

// Events returns the number of events written so far.
func (t *TraceWriter) Events() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// Close writes what is queued, flushes, and returns the first error met. It does not
// close the underlying writer. Detach it from the bus (or stop the cluster) first.
func (t *TraceWriter) Close() error {
	t.once.Do(func() {
		close(t.stop)
		<-t.done
		t.mu.Lock()
		defer t.mu.Unlock()
		if err := t.w.Flush(); err != nil && t.err == nil {
			t.err = fmt.Errorf("flush trace: %w", err)
		}
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// ErrNotTrace is wrapped by ReadTrace's error for input that is not a trace.
var ErrNotTrace = errors.New("not a miniraft trace")

// ReadTrace reads a trace written by TraceWriter. Errors name the line.
func ReadTrace(r io.Reader) (TraceHeader, []Event, error) {
	var h TraceHeader
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return h, nil, fmt.Errorf("read trace: %w", err)
		}
		return h, nil, fmt.Errorf("%w: empty input", ErrNotTrace)
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != TraceFormat {
		return h, nil, fmt.Errorf("%w: line 1 is not a trace header", ErrNotTrace)
	}
	switch {
	case h.Version > TraceVersion:
		return h, nil, fmt.Errorf("trace version %d is newer than this program reads (1 to %d): use a newer miniraft", h.Version, TraceVersion)
	case h.Version < 1:
		return h, nil, fmt.Errorf("%w: line 1 gives no trace version", ErrNotTrace)
	}
	decode := decodeEvent
	if h.Version == 1 {
		decode = decodeEventV1
	}
	var events []Event
	for line := 2; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		e, err := decode(sc.Bytes())
		if err != nil {
			return h, events, fmt.Errorf("trace line %d: %w", line, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		return h, events, fmt.Errorf("read trace: %w", err)
	}
	return h, events, nil
}

func decodeEvent(b []byte) (Event, error) {
	var e Event
	err := json.Unmarshal(b, &e)
	return e, err
}

// decodeEventV1 reads an event of a version-1 trace: its raft events named their fields
// as Go does (LastIndex, PrevTerm), and its message events summarised requests as text
// (sim) or not at all (live), where version 2 describes them.
func decodeEventV1(b []byte) (Event, error) {
	var v1 struct {
		Event
		Raft *struct {
			raftpb.Event
			LastIndex int `json:"LastIndex"`
			PrevTerm  int `json:"PrevTerm"`
		} `json:"raft"`
		Net *struct {
			NetEvent
			Summary string `json:"summary"`
		} `json:"net"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		return Event{}, err
	}
	e := v1.Event
	if r := v1.Raft; r != nil {
		ev := r.Event
		ev.LastIndex = max(ev.LastIndex, r.LastIndex)
		ev.PrevTerm = max(ev.PrevTerm, r.PrevTerm)
		e.Raft = &ev
	}
	if n := v1.Net; n != nil {
		ne := n.NetEvent
		if ne.Kind == NetSent && ne.Msg == nil {
			ne.Msg = msgFromSummary(ne.Method, n.Summary)
		}
		e.Net = &ne
	}
	return e, nil
}

// msgFromSummary reads what a version-1 summary of a request says ("0->1
// AppendEntries{term 3 prev 5/2 n 0 commit 5}"); without one, the method gives the kind.
func msgFromSummary(method, summary string) *Msg {
	_, body, _ := strings.Cut(summary, " ")
	var m Msg
	switch {
	case scan(body, "RequestVote{term %d last %d/%d}", &m.Term, &m.LastLogIndex, &m.LastLogTerm):
		m.Kind = MsgVote
	case scan(body, "PreVote{term %d last %d/%d}", &m.Term, &m.LastLogIndex, &m.LastLogTerm):
		m.Kind = MsgPreVote
	case scan(body, "AppendEntries{term %d prev %d/%d n %d commit %d}", &m.Term, &m.PrevLogIndex, &m.PrevLogTerm, &m.Entries, &m.Commit):
		m.Kind = MsgAppend
		if m.Entries == 0 {
			m.Kind = MsgHeartbeat
		}
	case scan(body, "InstallSnapshot{term %d at %d/%d, %d bytes}", &m.Term, &m.SnapshotIndex, &m.SnapshotTerm, &m.SnapshotBytes):
		m.Kind = MsgSnapshot
	default:
		m = Msg{Kind: requestKind(method, &fieldSet{})}
	}
	return &m
}

// scan reports whether s holds every value format asks for.
func scan(s, format string, args ...interface{}) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}
