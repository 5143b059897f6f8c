package vtime

import (
	"bytes"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Goroutine is one goroutine of a stack dump in the runtime's format (runtime.Stack with
// all set, a crash, SIGQUIT). It is a plain value.
type Goroutine struct {
	// ID is the goroutine's id.
	ID int64 `json:"id"`
	// State is why it waits ("sync.Mutex.Lock", "chan receive (durable)", "select",
	// "running"...), as the runtime prints it. "(durable)" marks a goroutine in a synctest
	// bubble that only another goroutine of the bubble can wake.
	State string `json:"state"`
	// Bubble is the id of its synctest bubble, or 0 outside any.
	Bubble int64 `json:"bubble,omitempty"`
	// Labels are its runtime/pprof labels; the runtime prints them only with
	// GODEBUG=tracebacklabels=1 (see EnableTracebackLabels).
	Labels map[string]string `json:"labels,omitempty"`
	// Funcs are the functions on its stack, innermost first, without arguments:
	// "github.com/miniraft/miniraft/raft.(*Raft).GetState".
	Funcs []string `json:"funcs"`
	// Creator is the function whose go statement started it ("" for the main goroutine).
	Creator string `json:"creator,omitempty"`
	// Text is its block of the dump, as the runtime printed it.
	Text string `json:"text"`
}

// Runs reports whether one of the goroutine's functions, the creator included, starts
// with one of prefixes.
func (g *Goroutine) Runs(prefixes ...string) bool {
	in := func(f string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f, p) })
	}
	return slices.ContainsFunc(g.Funcs, in) || g.Creator != "" && in(g.Creator)
}

// Calls reports whether the goroutine is inside a function whose name ends with
// "."+name, such as "GetState" for "raft.(*Raft).GetState".
func (g *Goroutine) Calls(name string) bool {
	return slices.ContainsFunc(g.Funcs, func(f string) bool { return strings.HasSuffix(f, "."+name) })
}

// MutexWait reports whether the goroutine is blocked locking a sync.Mutex or
// sync.RWMutex: not durably blocked, so in a bubble it keeps the clock from advancing.
func (g *Goroutine) MutexWait() bool {
	return strings.HasPrefix(g.State, "sync.Mutex.Lock") || strings.HasPrefix(g.State, "sync.RWMutex.")
}

// Dump returns the stacks of every goroutine of the process, as runtime.Stack prints
// them.
func Dump() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// header matches a goroutine's first line: "goroutine 7 [sync.Mutex.Lock, synctest
// bubble 3 labels:{"peer": "0"}]:". GOTRACEBACK=system and crash dumps may add gp=, m=
// and mp= words after the id.
var header = regexp.MustCompile(`^goroutine (\d+)(?: [a-z]+=\S+)* \[(.*)\]:$`)

// label matches one "key": "value" pair of a labels:{...} list.
var label = regexp.MustCompile(`("(?:[^"\\]|\\.)*"): ("(?:[^"\\]|\\.)*")`)

// ParseStacks parses a dump in the runtime's format into goroutines, in dump order.
// Lines before the first goroutine (a panic message) and blocks that do not start with a
// goroutine header are skipped.
func ParseStacks(dump []byte) []Goroutine {
	var out []Goroutine
	var cur *Goroutine
	var text strings.Builder
	flush := func() {
		if cur != nil {
			cur.Text = strings.TrimRight(text.String(), "\n")
			out = append(out, *cur)
		}
		cur = nil
		text.Reset()
	}
	for line := range strings.Lines(string(dump)) {
		line = strings.TrimRight(line, "\r\n")
		if m := header.FindStringSubmatch(line); m != nil {
			flush()
			id, _ := strconv.ParseInt(m[1], 10, 64)
			cur = &Goroutine{ID: id}
			parseStatus(cur, m[2])
			text.WriteString(line + "\n")
			continue
		}
		if cur == nil {
			continue
		}
		if line == "" {
			flush()
			continue
		}
		text.WriteString(line + "\n")
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "...") {
			continue // a file:line, or "...additional frames elided..."
		}
		if rest, ok := strings.CutPrefix(line, "created by "); ok {
			cur.Creator, _, _ = strings.Cut(rest, " in goroutine ")
			continue
		}
		fn := line
		if i := strings.LastIndexByte(fn, '('); i > 0 {
			fn = fn[:i]
		}
		cur.Funcs = append(cur.Funcs, fn)
	}
	flush()
	return out
}

// parseStatus reads the bracketed part of a goroutine header into g.
func parseStatus(g *Goroutine, s string) {
	if i := strings.Index(s, " labels:{"); i >= 0 {
		for _, m := range label.FindAllStringSubmatch(s[i:], -1) {
			k, err1 := strconv.Unquote(m[1])
			v, err2 := strconv.Unquote(m[2])
			if err1 == nil && err2 == nil {
				if g.Labels == nil {
					g.Labels = make(map[string]string)
				}
				g.Labels[k] = v
			}
		}
		s = s[:i]
	}
	parts := strings.Split(s, ", ")
	g.State = parts[0]
	for _, p := range parts[1:] {
		if id, ok := strings.CutPrefix(p, "synctest bubble "); ok {
			g.Bubble, _ = strconv.ParseInt(id, 10, 64)
		}
	}
}

// InBubble reports whether the calling goroutine runs in a synctest bubble: then a
// channel made outside (such as a Watchdog's Done) must not be waited on.
func InBubble() bool { return currentBubble() != 0 }

// currentBubble returns the id of the calling goroutine's synctest bubble, or 0 when it
// is in none.
func currentBubble() int64 {
	buf := make([]byte, 512)
	n := runtime.Stack(buf, false)
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	gs := ParseStacks(append(line, '\n'))
	if len(gs) == 0 {
		return 0
	}
	return gs[0].Bubble
}
