package chaos

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// TraceHeader is the first line of a trace: everything needed to run the same scenario
// again (for the sim engine, to get the same trace again).
type TraceHeader struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Name     string `json:"name"`
	Engine   string `json:"engine"`
	Seed     int64  `json:"seed"`
	Peers    int    `json:"peers"`
	Scenario string `json:"scenario"` // the scenario's source text
	// Tool is the program that wrote the trace, with its version.
	Tool string `json:"tool,omitempty"`
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
