package chaos

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// EventKind says what an Event carries.
type EventKind uint8

// The event kinds.
const (
	// EventRaft: something happened inside peer Peer; Raft holds it.
	EventRaft EventKind = iota + 1
	// EventNet: a message event; Net holds it.
	EventNet
	// EventFault: a fault was applied; Fault holds it, Text renders it.
	EventFault
	// EventPropose: a client proposed a command; Propose holds where it went.
	EventPropose
	// EventStep: a scenario step began (Text is the step, Line its line; Line is 0 for a
	// command typed at the command bar), or, with Outcome set, the step of that Line
	// finished: "done", "skipped" or "failed".
	EventStep
	// EventViolation: a checker found a violation; Violation holds it.
	EventViolation
	// EventExpect: an expectation or wait finished; Text says which, OK how.
	EventExpect
	// EventNote: anything else worth showing (pause, resume, a workload change).
	EventNote
	// EventClient: a client of the service under test (the kv workload's clerks) finished
	// an operation: answered, gave up, or was left waiting when the run ended. Client
	// holds it; Peer is the server that answered, or -1.
	EventClient
	// EventDeliver: peer Peer's service received a message on the peer's applyCh (or, on
	// the sim engine, from the Node's Ready): Deliver holds it. Where the core's
	// EventApply says what Raft meant to apply, this is what the service saw, in the
	// order it saw it, so a wrapper that reorders, repeats or drops messages shows here.
	EventDeliver
	// EventEnd: the run ended; End holds what only the runner knows of it (the
	// checkers' figures, the network's totals). It is the last event of a run.
	EventEnd
	// EventCall: a client of the service under test (the kv workload's clerks) invoked
	// an operation; Client holds it, with Status ClientPending (an EventClient reports
	// its end).
	EventCall
)

var eventKindNames = [...]string{"", "raft", "net", "fault", "propose", "step", "violation", "expect", "note", "client", "deliver", "end", "call"}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", k)
}

// MarshalText renders k by name, for traces.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *EventKind) UnmarshalText(b []byte) error {
	for i, n := range eventKindNames {
		if i > 0 && n == string(b) {
			*k = EventKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown event kind %q", b)
}

// Event is one entry of a cluster's event stream. Seq numbers events in the order the bus
// delivered them; At is the cluster time. Events are immutable once published.
type Event struct {
	Seq  uint64        `json:"seq"`
	At   time.Duration `json:"at"`
	Kind EventKind     `json:"kind"`
	// Peer is the peer the event is about, or -1.
	Peer int `json:"peer"`

	Raft      *raftpb.Event `json:"raft,omitempty"`
	Net       *NetEvent     `json:"net,omitempty"`
	Fault     *Fault        `json:"fault,omitempty"`
	Propose   *Proposal     `json:"propose,omitempty"`
	Violation *Violation    `json:"violation,omitempty"`
	Client    *ClientOp     `json:"client,omitempty"`
	Deliver   *Delivery     `json:"deliver,omitempty"`
	End       *RunEnd       `json:"end,omitempty"`
	// KV, with an EventNote, is the linearizability check of a kv workload's history so
	// far (a held-open run checks it when its timeline is over).
	KV      *KVCheck `json:"kv,omitempty"`
	Text    string   `json:"text,omitempty"`
	Outcome string   `json:"outcome,omitempty"`
	Line    int      `json:"line,omitempty"`
	OK      bool     `json:"ok,omitempty"`
	// Sampled marks a raft event the engine made up from outside a peer whose insides it
	// cannot see (a course Raft it did not build, see package course): no such peer
	// reports events of its own. Only three kinds come so: EventBoot when the engine
	// starts a life (Term is the term GetState gives then, Index the snapshot its service
	// was restored from, LastIndex equal to Index: the log is unknown), and EventRole and
	// EventTerm when GetState or the peer's messages show a new role or term (Role is
	// only ever Leader or Follower; Other is the leader a follower answered, if any).
	// What the peer's service receives is in its EventDeliver events, as for any peer.
	Sampled bool `json:"sampled,omitempty"`
}

func (e Event) String() string {
	head := fmt.Sprintf("%10.3fs #%d %s", e.At.Seconds(), e.Seq, e.Kind)
	switch {
	case e.Raft != nil:
		return head + " " + e.Raft.String()
	case e.Net != nil:
		return head + " " + e.Net.String()
	case e.Violation != nil:
		return head + " " + e.Violation.String()
	case e.Propose != nil:
		return head + " " + e.Propose.String()
	case e.Fault != nil:
		return head + " " + e.Fault.String()
	case e.Client != nil:
		return head + " " + e.Client.String()
	case e.Deliver != nil:
		return head + " " + e.Deliver.String()
	case e.End != nil:
		return head + " " + e.End.String()
	case e.Outcome != "":
		return head + " " + e.Text + ": " + e.Outcome
	}
	return head + " " + e.Text
}

// The statuses of a ClientOp.
const (
	// ClientOK: the operation was answered.
	ClientOK = "ok"
	// ClientTimeout: the client gave up waiting; the operation may or may not take
	// effect.
	ClientTimeout = "timeout"
	// ClientUnfinished: the run ended while the client still waited; the operation may or
	// may not take effect.
	ClientUnfinished = "unfinished"
	// ClientPending: the operation was just invoked (an EventCall).
	ClientPending = "pending"
)

// ClientOp is one operation of a client of the service under test, from invocation to
// response: one entry of the history a linearizability checker reads.
type ClientOp struct {
	// Client is the client's id and Seq its number for the operation (1, 2, 3...).
	Client int `json:"client"`
	Seq    int `json:"seq"`
	// Op is the operation: "get", "put" or "append", on Key.
	Op  string `json:"op"`
	Key string `json:"key"`
	// Input is the value written; Output the value read (when Status is ok).
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	// Status is ClientOK, ClientTimeout or ClientUnfinished.
	Status string `json:"status"`
	// Call is when the client invoked the operation; Return when it was answered, gave
	// up, or the run ended (cluster times).
	Call   time.Duration `json:"call"`
	Return time.Duration `json:"return"`
	// Peer is the server that answered, or -1; Index the log index at which the answer
	// was applied, 0 if the server answered without the log.
	Peer  int `json:"peer"`
	Index int `json:"index,omitempty"`
	// Tries is how many servers took the request (retries after timeouts or lost
	// leaderships count).
	Tries int `json:"tries,omitempty"`
}

func (o ClientOp) String() string {
	s := fmt.Sprintf("client %d #%d %s %s", o.Client, o.Seq, o.Op, o.Key)
	if o.Input != "" {
		s += fmt.Sprintf(" %q", o.Input)
	}
	switch o.Status {
	case ClientOK:
		if o.Op == "get" {
			s += fmt.Sprintf(" -> %q", o.Output)
		} else {
			s += " ok"
		}
		if o.Peer >= 0 {
			s += fmt.Sprintf(" from peer %d", o.Peer)
		}
		if o.Index > 0 {
			s += fmt.Sprintf(" at index %d", o.Index)
		}
	case ClientPending:
		return s + " called" // no answer yet, so no latency to give
	default:
		s += " " + o.Status
	}
	return s + fmt.Sprintf(" (%.1fms)", float64(o.Return-o.Call)/float64(time.Millisecond))
}

// Delivery is one message a peer's service received from its Raft: a command at Index
// (Term, when the peer reports it; 0 for peers that do not) or, with Snapshot set, a
// snapshot through Index whose last entry has Term.
type Delivery struct {
	Index    int         `json:"index"`
	Term     int         `json:"term,omitempty"`
	Snapshot bool        `json:"snapshot,omitempty"`
	Command  interface{} `json:"command,omitempty"`
}

// MarshalJSON writes d with its command in raftpb.MarshalCommand's form.
func (d Delivery) MarshalJSON() ([]byte, error) {
	type plain Delivery
	j := struct {
		plain
		Command json.RawMessage `json:"command,omitempty"`
	}{plain: plain(d)}
	if d.Command != nil {
		c, err := raftpb.MarshalCommand(d.Command)
		if err != nil {
			return nil, err
		}
		j.Command = c
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Delivery) UnmarshalJSON(b []byte) error {
	type plain Delivery
	var j struct {
		plain
		Command json.RawMessage `json:"command"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Delivery(j.plain)
	return unmarshalCommand(j.Command, &d.Command)
}

func (d Delivery) String() string {
	if d.Snapshot {
		return fmt.Sprintf("deliver snapshot through %d (term %d)", d.Index, d.Term)
	}
	return fmt.Sprintf("deliver %d (term %d): %v", d.Index, d.Term, d.Command)
}

// NetEventKind says what happened to a message.
type NetEventKind uint8

// The message event kinds, as labrpc reports them.
const (
	NetSent NetEventKind = iota + 1
	NetDelivered
	NetDropped
	NetReplied
	NetFailed
	NetDuplicated
)

var netKindNames = [...]string{"", "sent", "delivered", "dropped", "replied", "failed", "duplicated"}

func (k NetEventKind) String() string {
	if int(k) < len(netKindNames) && k != 0 {
		return netKindNames[k]
	}
	return fmt.Sprintf("NetEventKind(%d)", k)
}

// MarshalText renders k by name, for traces.
func (k NetEventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *NetEventKind) UnmarshalText(b []byte) error {
	for i, n := range netKindNames {
		if i > 0 && n == string(b) {
			*k = NetEventKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown net event kind %q", b)
}

// NetEvent is one event of one RPC. ID joins the events of one call.
type NetEvent struct {
	Kind    NetEventKind  `json:"kind"`
	ID      uint64        `json:"id"`
	From    int           `json:"from"`
	To      int           `json:"to"`
	Method  string        `json:"method"`
	Bytes   int           `json:"bytes,omitempty"`
	Latency time.Duration `json:"latency,omitempty"`
	// Reason says why a message was dropped or a call failed.
	Reason string `json:"reason,omitempty"`
	// Msg describes the message: the request on NetSent, the reply on NetReplied (see
	// DescribeRequest); nil on the other events of the call, which share its ID.
	Msg *Msg `json:"msg,omitempty"`
}

func (n NetEvent) String() string {
	s := fmt.Sprintf("%d->%d %s %s #%d", n.From, n.To, n.Method, n.Kind, n.ID)
	if n.Reason != "" {
		s += " (" + n.Reason + ")"
	}
	if n.Msg != nil {
		s += " " + n.Msg.String()
	}
	return s
}

// Proposal is a command a client handed the cluster. In JSON its command keeps its
// type (see raftpb.MarshalCommand).
type Proposal struct {
	Command interface{} `json:"command"`
	// Source names the client when it is not the runner's workload (which leaves it
	// empty): "kv" for the kv workload's clerks, whose operations EventClient reports.
	Source string `json:"source,omitempty"`
	ProposeResult
}

// The step outcomes of an EventStep's Outcome.
const (
	StepDone    = "done"
	StepSkipped = "skipped"
	StepFailed  = "failed"
)

// RunEnd is what a runner knows of a run at its end that the events before do not
// say: the checkers' figures and the engine's network totals (which count every
// message, whether or not message events were published). Wall-clock time is not in it:
// a sim run's trace is the same however fast the machine.
type RunEnd struct {
	// Net is the network's totals (Cluster.Stats).
	Net NetStats `json:"net"`
	// LongestLeaderless is the longest time without a leader while a majority was up and
	// connected on a reliable network; MaxCommitWait the longest a proposal the liveness
	// checker watched waited to commit.
	LongestLeaderless time.Duration `json:"longest_leaderless,omitempty"`
	MaxCommitWait     time.Duration `json:"max_commit_wait,omitempty"`
	// KV is the linearizability check of a kv workload's history, if there was one.
	KV *KVCheck `json:"kv,omitempty"`
	// Interrupted says the run was stopped (a person quit, a signal came) before its
	// timeline was over: it neither passed nor failed, unless a failure came first.
	Interrupted bool `json:"interrupted,omitempty"`
}

// KVCheck is the outcome of a linearizability check, as a run's end reports it (how long
// it took is left out: a trace holds no wall-clock time).
type KVCheck struct {
	// Outcome is "linearizable", "not linearizable" or "unknown".
	Outcome string `json:"outcome"`
	// Message says what was found; Key is the key whose history is not linearizable.
	Message    string `json:"message"`
	Key        string `json:"key,omitempty"`
	Operations int    `json:"operations"`
}

func (r RunEnd) String() string {
	return fmt.Sprintf("end: %d RPCs, %d bytes; longest without a leader %v", r.Net.RPCs, r.Net.Bytes, r.LongestLeaderless)
}

// MarshalJSON writes p with its command in raftpb.MarshalCommand's form.
func (p Proposal) MarshalJSON() ([]byte, error) {
	type plain Proposal
	c, err := raftpb.MarshalCommand(p.Command)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		plain
		Command json.RawMessage `json:"command"`
	}{plain(p), c})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Proposal) UnmarshalJSON(b []byte) error {
	type plain Proposal
	var j struct {
		plain
		Command json.RawMessage `json:"command"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Proposal(j.plain)
	return unmarshalCommand(j.Command, &p.Command)
}

// unmarshalCommand reads a command written by raftpb.MarshalCommand into c, leaving it
// nil when b is empty.
func unmarshalCommand(b json.RawMessage, c *interface{}) error {
	*c = nil
	if len(b) == 0 {
		return nil
	}
	v, err := raftpb.UnmarshalCommand(b)
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// SameCommand reports whether two commands are the same: equal values of the same type.
// Commands keep their type through a trace (see raftpb.MarshalCommand), so this one
// comparison serves commands from a running cluster and from a trace alike.
func SameCommand(a, b interface{}) bool {
	switch x := a.(type) {
	case int:
		y, ok := b.(int)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func (p Proposal) String() string {
	if !p.OK {
		return fmt.Sprintf("propose %v: no leader took it", p.Command)
	}
	return fmt.Sprintf("propose %v -> peer %d index %d term %d", p.Command, p.Peer, p.Index, p.Term)
}

// Violation is a broken safety or liveness property, or a failed expectation.
type Violation struct {
	// Checker names the property, e.g. "election-safety".
	Checker string `json:"checker"`
	// Message says what happened, naming the peers, terms and indexes involved.
	Message string        `json:"message"`
	Peers   []int         `json:"peers,omitempty"`
	Terms   []int         `json:"terms,omitempty"`
	Indexes []int         `json:"indexes,omitempty"`
	At      time.Duration `json:"at"`
	// Seq is the event that revealed the violation.
	Seq uint64 `json:"seq"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s", v.Checker, v.Message)
}

func (v *Violation) Error() string { return v.String() }

// Bus is a cluster's ordered event stream. Publishers never wait for subscribers: an
// event is queued, and whichever publisher finds no delivery under way delivers the
// queue, in order, to every sink. So a sink may publish (its event is delivered after the
// current one), but a sink must be quick and must never call back into the cluster
// (which may be publishing while holding its own locks). Safe for concurrent use.
type Bus struct {
	clock func() time.Duration

	mu         sync.Mutex
	seq        uint64
	queue      []Event
	spare      []Event // the buffer last delivered, reused for the next queue
	delivering bool
	sinks      []*sink
	wanted     atomic.Uint32 // union of the sinks' kinds, with bit 0 set if any wants all
}

type sink struct {
	fn    func(Event)
	kinds uint32 // bit k set: wants EventKind k; 0: wants everything
}

func (s *sink) wants(k EventKind) bool { return s.kinds == 0 || s.kinds&(1<<k) != 0 }

// NewBus returns a bus that stamps events with clock when their At is zero.
func NewBus(clock func() time.Duration) *Bus {
	return &Bus{clock: clock}
}

// Publish queues e for delivery, giving it the next Seq and, if e.At is zero, the time.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	b.seq++
	e.Seq = b.seq
	if e.At == 0 && b.clock != nil {
		e.At = b.clock()
	}
	if b.delivering {
		b.queue = append(b.queue, e)
		b.mu.Unlock()
		return
	}
	// Nobody is delivering: deliver e at once, then whatever others queued meanwhile.
	b.delivering = true
	sinks := b.sinks
	b.mu.Unlock()
	delivered := false
	defer func() {
		if !delivered {
			// A sink panicked: the bus goes on delivering later events; those queued
			// behind the one that panicked are dropped (their order cannot be kept).
			b.mu.Lock()
			b.delivering = false
			clear(b.queue)
			b.queue = b.queue[:0]
			b.mu.Unlock()
		}
	}()
	for _, s := range sinks {
		if s.wants(e.Kind) {
			s.fn(e)
		}
	}
	b.mu.Lock()
	for len(b.queue) > 0 {
		q := b.queue
		b.queue, b.spare = b.spare[:0], nil
		sinks := b.sinks
		b.mu.Unlock()
		for _, ev := range q {
			for _, s := range sinks {
				if s.wants(ev.Kind) {
					s.fn(ev)
				}
			}
		}
		clear(q) // let the events' payloads go
		b.mu.Lock()
		b.spare = q[:0]
	}
	b.delivering = false
	b.mu.Unlock()
	delivered = true
}

// Observe adds fn as a sink, called with every event published from now on (or, if
// kinds are given, every event of those kinds), in order, one at a time. cancel removes
// it.
func (b *Bus) Observe(fn func(Event), kinds ...EventKind) (cancel func()) {
	s := &sink{fn: fn}
	for _, k := range kinds {
		s.kinds |= 1 << k
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sinks = append(append([]*sink(nil), b.sinks...), s)
	b.rewant()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		var kept []*sink
		for _, x := range b.sinks {
			if x != s {
				kept = append(kept, x)
			}
		}
		b.sinks = kept
		b.rewant()
	}
}

// rewant recomputes wanted. b.mu must be held.
func (b *Bus) rewant() {
	var w uint32
	for _, s := range b.sinks {
		if s.kinds == 0 {
			w |= 1
		}
		w |= s.kinds
	}
	b.wanted.Store(w)
}

// Wants reports whether any sink wants events of kind k, so a publisher can skip
// building events nobody reads (network events are many).
func (b *Bus) Wants(k EventKind) bool {
	w := b.wanted.Load()
	return w&1 != 0 || w&(1<<k) != 0
}

// Skip takes the next Seq without publishing anything: a publisher that does not build
// an event nobody wants (see Wants) calls it, so that events are numbered alike whether
// or not anyone watches that kind (a traced and an untraced sim run agree).
func (b *Bus) Skip() {
	b.mu.Lock()
	b.seq++
	b.mu.Unlock()
}

// Seq returns the Seq of the last event published.
func (b *Bus) Seq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}

// Queue is an unbounded FIFO of events with a wake-up channel, for a goroutine that
// consumes a Bus at its own pace (a UI, a trace writer). Safe for concurrent use.
type Queue struct {
	mu     sync.Mutex
	events []Event
	wake   chan struct{}
}

// NewQueue returns an empty queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Push appends e and wakes the consumer. It never blocks; use it as a Bus sink.
func (q *Queue) Push(e Event) {
	q.mu.Lock()
	q.events = append(q.events, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Wait returns a channel that receives after Push.
func (q *Queue) Wait() <-chan struct{} { return q.wake }

// Drain removes and returns everything queued.
func (q *Queue) Drain() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.events
	q.events = nil
	return e
}
