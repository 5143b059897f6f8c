package chaos

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// TraceFormat names the trace file format in its header.
const TraceFormat = "miniraft-trace"

// TraceVersion is the version of the format written.
const TraceVersion = 1

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
	if h.Version > TraceVersion {
		return h, nil, fmt.Errorf("trace version %d is newer than this program reads (%d)", h.Version, TraceVersion)
	}
	var events []Event
	for line := 2; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return h, events, fmt.Errorf("trace line %d: %w", line, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		return h, events, fmt.Errorf("read trace: %w", err)
	}
	return h, events, nil
}
