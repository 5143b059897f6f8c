// Package report writes a run of a scenario as one self-contained HTML page that a person
// can read after the fact: the verdict and how to reproduce it; a timeline of every
// peer's role and term with the faults shaded; commits and proposal latency over time; a
// Lamport-style diagram of the messages around the first violation (or a chosen window);
// the violation with the events just before it; the scenario's text and steps; and the
// run's summary figures.
//
// The page needs nothing from the network: its CSS, script and drawings (SVG) are inline,
// and it declares a Content-Security-Policy that forbids loading anything. Everything that
// comes from a scenario, a trace or a caller is escaped (the page is made with
// html/template).
//
// Input is the run's events (recorded with a Recorder during the run, or read back from a
// trace with chaos.ReadTrace) and its trace header. Its figures and verdict are those of
// the run model (package model) of the events: the same whether the report is made
// during the run or from its trace, but for the real time the run took and a kv
// workload's history, which a run can add (Data.Result, Data.KV):
//
//	rec := report.NewRecorder(0, model.InfoOf(sc, engine, seed))
//	opts.Observers = append(opts.Observers, rec.Observe)
//	... run ...
//	err := report.WriteFile("run.html", rec.Data(sc, &res.Result, res.KV))
//
// Limits keep the page of a long run small (a few hundred KiB): the timeline and the
// charts are drawn at a fixed width (changes closer together than a pixel are merged, and
// proposals are summarised per column), the message diagram draws at most
// Data.MaxMessages messages, and the tables are cut (see the Max constants). The page
// says where it summarised or cut.
package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// The limits of a page. They bound its size whatever the length of the run.
const (
	// DefaultMaxMessages is how many messages the message diagram draws when
	// Data.MaxMessages is zero.
	DefaultMaxMessages = 100
	// MaxMarks is how many marks of one kind (elections, restarts, snapshots...) the
	// timeline draws per peer.
	MaxMarks = 300
	// MaxStepRows is how many rows the table of scenario steps shows.
	MaxStepRows = 400
	// EventsBefore is how many events the violation section lists before the violation.
	EventsBefore = 40
	// MaxViolations is how many violations the page lists and marks.
	MaxViolations = 20
	// MaxStory is how many key events (faults, elections, restarts, failures) the page
	// tells in order.
	MaxStory = 200
)

// Window is a span of cluster time, From to To. It is a plain value.
type Window struct {
	From, To time.Duration
}

// IsZero reports whether w is unset.
func (w Window) IsZero() bool { return w.From == 0 && w.To == 0 }

// Section is an extra part of the page that another part of the tool supplies, such as a
// linearizability verdict with porcupine's visualization. Every field is optional but
// Title. It is a plain value.
type Section struct {
	// Title heads the section.
	Title string
	// Status, if set, is shown as a badge: "pass", "fail" or "unknown" are coloured, any
	// other word is shown plain.
	Status string
	// Text is shown as preformatted plain text.
	Text string
	// Link is a URL to more, usually the relative path of a file written beside the
	// report (such as porcupine's visualization). html/template refuses unsafe schemes.
	Link string
	// LinkText is the text of the link; the default is the URL.
	LinkText string
	// Embed is a complete HTML document (porcupine's visualization, say) shown inside the
	// page in a sandboxed frame: its scripts run, isolated from the report. It must need
	// no network access either.
	Embed string
}

// Data is everything a report is made from. Only Header (or Result) and Events matter
// much; the rest refines the page. Write only reads a Data, so several goroutines may
// write reports of one Data at once, as long as nobody changes it meanwhile.
type Data struct {
	// Header describes the run: name, engine, seed, peers and the scenario's text, as a
	// trace's first line has them.
	Header chaos.TraceHeader
	// Result is the outcome of the run, as the run model had it at the end (with the
	// real time the run took); nil means the model of Events (a trace's).
	Result *model.Result
	// KV is a kv workload's result, with its history and linearizability check (which
	// can draw porcupine's visualization); nil without one, or from a trace.
	KV *kv.Result
	// Events are the run's events, in order. Network events feed the message diagram;
	// the live engine publishes them only when a sink wants them, which a Recorder does.
	Events []chaos.Event
	// Repro is the command that runs the scenario again; empty means one is made from
	// Header ("miniraft run --engine E --seed S NAME").
	Repro string
	// Window is the span the message diagram shows; zero means the second before the
	// first violation (and a little after), or the last two seconds of a run that passed.
	Window Window
	// MaxMessages is how many messages the diagram draws at most (DefaultMaxMessages when
	// zero). Beyond it, heartbeats are summarised as ticks, and then only the messages
	// nearest the violation (or the end) are drawn.
	MaxMessages int
	// Sections are extra sections, shown after the violation.
	Sections []Section
	// Notes are caveats about the data, shown under the header (a Recorder adds one when
	// it had to forget early messages).
	Notes []string

	// folded is the run's history as a Recorder recorded it while it went; Events then
	// holds only the events the Recorder kept (see Recorder).
	folded *history
}

// Write writes the report of d to w as one HTML page. It fails on bad input (a window
// that ends before it starts) or when w fails; events it cannot place (a peer id out of
// range, an event without its payload) are skipped, not fatal.
func Write(w io.Writer, d Data) error {
	if !d.Window.IsZero() && d.Window.To <= d.Window.From {
		return fmt.Errorf("report: message window %v-%v ends before it starts", d.Window.From, d.Window.To)
	}
	if d.Window.From < 0 {
		return fmt.Errorf("report: message window starts at %v, before the run", d.Window.From)
	}
	if d.MaxMessages < 0 {
		return fmt.Errorf("report: MaxMessages is %d, want 0 (the default) or more", d.MaxMessages)
	}
	p := build(d)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTemplate.Execute(bw, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// WriteFile writes the report of d to the file at path, replacing it.
func WriteFile(path string, d Data) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("report: %w", cerr)
		}
	}()
	return Write(f, d)
}

// Header returns the trace header of a run of sc that gave res, as the runner writes it
// into a trace.
func Header(sc *scenario.Scenario, res *model.Result) chaos.TraceHeader {
	h := chaos.TraceHeader{Format: chaos.TraceFormat, Version: chaos.TraceVersion}
	if res != nil {
		h.RunConfig = res.RunConfig
	}
	if sc != nil {
		if h.Name == "" {
			h.Name = sc.Name
		}
		if h.Scenario == "" {
			h.Scenario = sc.Source
		}
		if h.Peers == 0 {
			h.Peers = sc.Header.Peers
		}
		if res == nil {
			h.Seed = sc.Header.Seed
		}
	}
	return h
}

// FromRun returns the Data of a run of sc that gave res (and kv, with a kv workload),
// with its events.
func FromRun(sc *scenario.Scenario, res *model.Result, kv *kv.Result, events []chaos.Event) Data {
	return Data{Header: Header(sc, res), Result: res, KV: kv, Events: events}
}

// FromTrace reads a trace written by chaos.TraceWriter and returns its Data (with no
// Result: the run model of its events gives the verdict and figures).
func FromTrace(r io.Reader) (Data, error) {
	h, events, err := chaos.ReadTrace(r)
	if err != nil {
		return Data{}, err
	}
	return Data{Header: h, Events: events}, nil
}

// ParseWindow parses a window written FROM-TO (or FROM..TO), each a duration such as
// 2s or 1500ms or a number of seconds: "2s-4.5s", "2..4.5".
func ParseWindow(s string) (Window, error) {
	bad := func(why string) (Window, error) {
		return Window{}, fmt.Errorf("window %q: %s (want FROM-TO, as in 2s-4.5s)", s, why)
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		from, to, ok = strings.Cut(s, "-")
	}
	if !ok {
		return bad("no '-' between its start and end")
	}
	var w Window
	for i, part := range []string{from, to} {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil {
			f, ferr := strconv.ParseFloat(part, 64)
			if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
				return bad(fmt.Sprintf("%q is not a duration", part))
			}
			d = time.Duration(f * float64(time.Second))
		}
		if i == 0 {
			w.From = d
		} else {
			w.To = d
		}
	}
	switch {
	case w.From < 0:
		return bad("it starts before the run")
	case w.To <= w.From:
		return bad("it ends before it starts")
	}
	return w, nil
}
