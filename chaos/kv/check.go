package kv

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/miniraft/miniraft/chaos"
)

// DefaultBudget is how long Check may search for a linearization by default.
const DefaultBudget = 10 * time.Second

// Outcome is the verdict of a linearizability check.
type Outcome string

// The outcomes.
const (
	// Linearizable: porcupine found an order of the operations, consistent with their
	// real-time order, that a single copy of the store would produce.
	Linearizable Outcome = "linearizable"
	// NotLinearizable: there is no such order; some client saw something impossible.
	NotLinearizable Outcome = "not linearizable"
	// Unknown: the search ran out of its time budget before deciding.
	Unknown Outcome = "unknown"
)

// CheckResult is what Check found. It is not modified after Check returns: safe for
// concurrent reads (Visualize included).
type CheckResult struct {
	Outcome Outcome `json:"outcome"`
	// Operations is the number of operations checked: every answered one, and every
	// write whose outcome is unknown (a Get that was never answered says nothing).
	Operations int `json:"operations"`
	// Keys is the number of keys (porcupine checks each key's history on its own).
	Keys    int           `json:"keys"`
	Elapsed time.Duration `json:"elapsed"`
	Budget  time.Duration `json:"budget"`
	// Key is the key whose history is not linearizable; Culprit the first operation on
	// it, by response time, that no linearization could include: usually the read that
	// returned what it should not have.
	Key     string     `json:"key,omitempty"`
	Culprit *Operation `json:"culprit,omitempty"`
	// Message says what was found, in a sentence.
	Message string `json:"message"`

	info    *porcupine.LinearizationInfo // set when a visualization can be drawn
	visNote string                       // why there is none
}

// ErrNoVisualization is returned by Visualize when the check did not produce one.
var ErrNoVisualization = errors.New("no linearizability visualization")

// HasVisualization reports whether Visualize can draw the check.
func (r *CheckResult) HasVisualization() bool { return r != nil && r.info != nil }

// Visualize writes porcupine's visualization of the check: a self-contained HTML page
// that shows, per key, every operation on a timeline and the longest linearizations
// found, with the point where they fail. It is drawn only for a history that is not
// linearizable.
func (r *CheckResult) Visualize(w io.Writer) error {
	if !r.HasVisualization() {
		note := "the history was linearizable"
		if r != nil && r.visNote != "" {
			note = r.visNote
		}
		return fmt.Errorf("%w: %s", ErrNoVisualization, note)
	}
	return porcupine.Visualize(model, *r.info, w)
}

// Violation returns the check as a violation for a run's result ("linearizability",
// naming the peer that answered the culprit), or nil if the history was not shown to be
// non-linearizable.
func (r *CheckResult) Violation() *chaos.Violation {
	if r == nil || r.Outcome != NotLinearizable {
		return nil
	}
	v := &chaos.Violation{Checker: "linearizability", Message: r.Message}
	if c := r.Culprit; c != nil {
		v.At = c.Return
		if c.Peer >= 0 {
			v.Peers = []int{c.Peer}
		}
		if c.Index > 0 {
			v.Indexes = []int{c.Index}
		}
	}
	return v
}

// input and output are what porcupine sees of an operation.
type input struct {
	kind       OpKind
	key, value string
}

type output struct {
	value   string
	unknown bool // a write whose outcome the client never learned
}

// meta is an operation's porcupine metadata: where it is in the history, and how to
// describe it.
type meta struct {
	hist int
	text string
}

// model is a key-value store partitioned by key: each partition's state is one key's
// value.
var model = porcupine.Model{
	Partition: partition,
	Init:      func() interface{} { return "" },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		st, i := state.(string), in.(input)
		switch i.kind {
		case Get:
			return out.(output).value == st, st
		case Put:
			return true, i.value
		case Append:
			return true, st + i.value
		}
		return false, st
	},
	Hash: func(state interface{}) uint64 {
		h := fnv.New64a()
		h.Write([]byte(state.(string)))
		return h.Sum64()
	},
	DescribeOperation: func(in, out interface{}) string {
		i, o := in.(input), out.(output)
		switch {
		case i.kind == Get:
			return fmt.Sprintf("get(%s) → %q", i.key, o.value)
		case o.unknown:
			return fmt.Sprintf("%s(%s, %q) ?", i.kind, i.key, i.value)
		}
		return fmt.Sprintf("%s(%s, %q)", i.kind, i.key, i.value)
	},
	DescribeState: func(state interface{}) string { return fmt.Sprintf("%q", state) },
	DescribeOperationMetadata: func(m interface{}) string {
		if m, ok := m.(meta); ok {
			return m.text
		}
		return ""
	},
}

// partition splits a history by key, keys in ascending order, keeping each key's
// operations in the order given.
func partition(ops []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	for _, op := range ops {
		k := op.Input.(input).key
		byKey[k] = append(byKey[k], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]porcupine.Operation, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

// operations turns a history into porcupine's operations. A write whose outcome is
// unknown may take effect at any time after its call, so it is given a response after
// everything else; a Get never answered constrains nothing and is left out. Clients
// become porcupine's processes, each a sequence of operations that do not overlap: after
// an operation with an unknown outcome (still pending, as far as the check knows), the
// client continues as a new process, as Jepsen does.
func operations(history []Operation) []porcupine.Operation {
	var end time.Duration
	for _, h := range history {
		end = max(end, h.Call, h.Return)
	}
	end++
	proc := map[int]int{} // client -> its current process
	nextProc := 0
	for _, h := range history {
		if _, ok := proc[h.Client]; !ok {
			proc[h.Client] = -1
		}
		nextProc = max(nextProc, h.Client+1)
	}
	ops := make([]porcupine.Operation, 0, len(history))
	for i, h := range history {
		var kind OpKind
		if err := kind.UnmarshalText([]byte(h.Op)); err != nil {
			continue
		}
		p := proc[h.Client]
		if p < 0 {
			p = h.Client
			proc[h.Client] = p
		}
		in := input{kind: kind, key: h.Key, value: h.Input}
		ret, out := h.Return, output{value: h.Output}
		if h.Status != chaos.ClientOK {
			proc[h.Client] = nextProc // the next operation cannot follow this one
			nextProc++
			if kind == Get {
				continue
			}
			ret, out.unknown = end, true
		}
		text := fmt.Sprintf("client %d #%d, %s", h.Client, h.Seq, h.Status)
		if h.Peer >= 0 {
			text += fmt.Sprintf(", answered by peer %d", h.Peer)
			if h.Index > 0 {
				text += fmt.Sprintf(" at log index %d", h.Index)
			} else {
				text += " from its local state"
			}
		}
		ops = append(ops, porcupine.Operation{
			ClientId: p, Input: in, Output: out,
			Call: int64(h.Call), Return: int64(ret),
			Metadata: meta{hist: i, text: text},
		})
	}
	return ops
}

// Check decides whether history is linearizable, giving porcupine at most budget (0
// means DefaultBudget). When it is not, the result names the key and the first
// operation that could not be linearized, and can draw porcupine's visualization.
func Check(history []Operation, budget time.Duration) CheckResult {
	if budget <= 0 {
		budget = DefaultBudget
	}
	start := time.Now()
	ops := operations(history)
	parts := partition(ops)
	res := CheckResult{Operations: len(ops), Keys: len(parts), Budget: budget}
	outcome := porcupine.CheckOperationsTimeout(model, ops, budget)
	res.Elapsed = time.Since(start)
	switch outcome {
	case porcupine.Ok:
		res.Outcome = Linearizable
		res.Message = fmt.Sprintf("%d operations on %d keys are linearizable", len(ops), len(parts))
		return res
	case porcupine.Unknown:
		res.Outcome = Unknown
		res.Message = fmt.Sprintf("could not decide whether %d operations on %d keys are linearizable within the %s budget", len(ops), len(parts), budget)
		return res
	}
	res.Outcome = NotLinearizable
	res.Message = fmt.Sprintf("%d operations on %d keys are not linearizable", len(ops), len(parts))
	// Search again, recording the partial linearizations, to say where and to draw it.
	left := budget - time.Since(start)
	if left <= 0 {
		res.visNote = "the budget ran out before the visualization could be computed"
		res.Elapsed = time.Since(start)
		return res
	}
	again, info := porcupine.CheckOperationsVerbose(model, ops, left)
	res.Elapsed = time.Since(start)
	if again != porcupine.Illegal {
		res.visNote = "the budget ran out before the visualization could be computed"
		return res
	}
	res.info = &info
	res.describe(history, parts, info)
	return res
}

// describe finds the first key whose history is not linearizable, and its culprit: of
// the operations the longest partial linearization leaves out, the one answered first.
func (r *CheckResult) describe(history []Operation, parts [][]porcupine.Operation, info porcupine.LinearizationInfo) {
	partials := info.PartialLinearizationsOperations()
	for p, part := range parts {
		if p >= len(partials) {
			break
		}
		var longest []porcupine.Operation
		for _, l := range partials[p] {
			if len(l) > len(longest) {
				longest = l
			}
		}
		if len(longest) == len(part) {
			continue // this key's history is linearizable
		}
		in := make(map[int]bool, len(longest))
		for _, op := range longest {
			in[op.Metadata.(meta).hist] = true
		}
		var culprit *porcupine.Operation
		for i := range part {
			op := &part[i]
			if in[op.Metadata.(meta).hist] {
				continue
			}
			if culprit == nil || op.Return < culprit.Return || op.Return == culprit.Return && op.Call < culprit.Call {
				culprit = op
			}
		}
		r.Key = part[0].Input.(input).key
		var b strings.Builder
		fmt.Fprintf(&b, "the history of key %s (%d operations) is not linearizable", r.Key, len(part))
		if culprit != nil {
			h := history[culprit.Metadata.(meta).hist]
			r.Culprit = &h
			fmt.Fprintf(&b, ": no order explains %s", describeOp(h))
			if last := lastWriteBefore(history, part, h.Call); last != nil {
				fmt.Fprintf(&b, ", after %s", describeOp(*last))
			}
		}
		b.WriteString(" (porcupine's visualization shows the longest linearizations)")
		r.Message = b.String()
		return
	}
}

// describeOp describes a history entry for a violation message.
func describeOp(h Operation) string {
	var s string
	if h.Op == "get" {
		s = fmt.Sprintf("client %d's get(%s) → %q", h.Client, h.Key, h.Output)
	} else {
		s = fmt.Sprintf("client %d's %s(%s, %q)", h.Client, h.Op, h.Key, h.Input)
	}
	s += fmt.Sprintf(" [%.3fs-%.3fs", h.Call.Seconds(), h.Return.Seconds())
	if h.Peer >= 0 {
		s += fmt.Sprintf(", answered by peer %d", h.Peer)
		if h.Index == 0 {
			s += " from its local state"
		} else {
			s += fmt.Sprintf(" at index %d", h.Index)
		}
	}
	return s + "]"
}

// lastWriteBefore returns the write on the partition's key answered last before t, if
// any: the one a read that started at t should have seen (or a later one).
func lastWriteBefore(history []Operation, part []porcupine.Operation, t time.Duration) *Operation {
	var last *Operation
	for _, op := range part {
		h := &history[op.Metadata.(meta).hist]
		if h.Op == "get" || h.Status != chaos.ClientOK || h.Return >= t {
			continue
		}
		if last == nil || h.Return > last.Return {
			last = h
		}
	}
	return last
}
