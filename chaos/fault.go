package chaos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrStopped is returned by a stopped cluster.
var ErrStopped = errors.New("cluster stopped")

// FaultKind says what a Fault does.
type FaultKind uint8

// The fault kinds. The comment on each says which Fault fields it uses.
const (
	// Crash stops Peers; they keep what they persisted.
	Crash FaultKind = iota + 1
	// Restart starts crashed Peers again from what they persisted (running peers are
	// left alone).
	Restart
	// Pause freezes Peers as if their processes were stopped: no ticks, messages to them
	// wait. Their state is kept.
	Pause
	// Resume unfreezes paused Peers.
	Resume
	// Isolate cuts Peers off from everyone else, both ways.
	Isolate
	// Partition splits the cluster into Groups that cannot reach each other; peers not in
	// any group form one more group.
	Partition
	// Bridge makes Groups[0] and Groups[2] unable to reach each other while both reach
	// Groups[1] (a single peer): a non-transitive network.
	Bridge
	// Cut loses every message travelling from each peer of From to each peer of To
	// (one way).
	Cut
	// Heal removes every cut (isolations, partitions, bridges, one-way cuts). Link
	// settings (loss, delay, reorder, duplicate) stay.
	Heal
	// Loss sets the probability P that a message is lost, on the links From->To, or
	// everywhere when From and To are empty.
	Loss
	// Delay sets the delay range Min..Max of messages, on links or everywhere.
	Delay
	// Reorder sets the probability P that a message is held back so later ones overtake
	// it, on links or everywhere.
	Reorder
	// Duplicate sets the probability P that a message is delivered twice, on links or
	// everywhere.
	Duplicate
	// Skew makes Peers' clocks run at Rate times real speed.
	Skew
	// Reset removes every cut and every link setting, and resets clock skew.
	Reset
	// Tear arms Peers' disks for their current lives: the next save a peer makes in two
	// writes (its Raft state, then its snapshot, or the reverse) crashes it between the
	// two. A save made in one write is never torn, so a Raft that saves atomically never
	// notices; see raft.Persister.Tear.
	Tear
)

// FaultArgs is the shape of a fault's arguments in the scenario language, and so which
// Fault fields it uses. The parser, the formatter, selector resolution and validation go
// by it, so a new fault kind of an existing shape needs nothing new from them.
type FaultArgs uint8

// The argument shapes.
const (
	// ArgsNone: no arguments (heal).
	ArgsNone FaultArgs = iota
	// ArgsPeers: SEL, into Peers (crash leader).
	ArgsPeers
	// ArgsPeersRate: SEL RATE, into Peers and Rate (skew leader 2x).
	ArgsPeersRate
	// ArgsGroups: SEL | SEL [| SEL...], into Groups (partition minority | others).
	ArgsGroups
	// ArgsBridge: SEL - ID - SEL, into Groups (bridge 0,1 - 2 - 3,4).
	ArgsBridge
	// ArgsLinks: SEL -> SEL, into From and To (cut leader -> others).
	ArgsLinks
	// ArgsProb: P [replies] [SEL -> SEL], into P, Replies, and From and To when links
	// are named (loss 10%).
	ArgsProb
	// ArgsDelay: D[-D] [replies] [SEL -> SEL], into Min, Max, Replies, and From and To
	// (delay 5ms-20ms).
	ArgsDelay
)

// LinkSetting reports whether faults of shape a set something on links (loss, delay,
// reorder, duplicate), which may be for replies only.
func (a FaultArgs) LinkSetting() bool { return a == ArgsProb || a == ArgsDelay }

// FaultSpec is everything about one fault kind that is not an engine's: its name, the
// shape of its arguments, its help, and its effect on the network's state. One entry of
// FaultSpecs per kind; CONTRIBUTING.md says how to add one.
type FaultSpec struct {
	Kind FaultKind
	Name string
	Args FaultArgs
	// Usage is the fault as a command of the scenario language; Summary what it does.
	Usage, Summary string
	// Net changes a network's state as the fault does, or is nil for a fault on peers
	// (which the engines and the run model carry out themselves).
	Net func(s *NetState, f Fault)
	// Cuts: the fault cuts links, which heal removes.
	Cuts bool
	// Undo is the fault that undoes this one (restart for crash, heal for a cut, reset
	// for a link setting), or 0 for a fault that is itself a remedy.
	Undo FaultKind
}

// FaultSpecs lists every fault kind, in the order of the FaultKind constants.
var FaultSpecs = []FaultSpec{
	{Crash, "crash", ArgsPeers, "crash SEL", "stop peers; they keep what they persisted", nil, false, Restart},
	{Restart, "restart", ArgsPeers, "restart SEL", "start crashed peers again from their persisted state", nil, false, 0},
	{Pause, "pause", ArgsPeers, "pause SEL", "freeze peers: no ticks, messages to them wait", nil, false, Resume},
	{Resume, "resume", ArgsPeers, "resume SEL", "unfreeze paused peers", nil, false, 0},
	{Isolate, "isolate", ArgsPeers, "isolate SEL", "cut peers off from everyone, both ways", netIsolate, true, Heal},
	{Partition, "partition", ArgsGroups, "partition SEL | SEL [| SEL...]", "split the cluster into groups (unnamed peers form one more)", netPartition, true, Heal},
	{Bridge, "bridge", ArgsBridge, "bridge SEL - ID - SEL", "the two sides cannot talk but both reach the middle peer", netBridge, true, Heal},
	{Cut, "cut", ArgsLinks, "cut SEL -> SEL", "lose every message from the first peers to the second (one way)", netCut, true, Heal},
	{Heal, "heal", ArgsNone, "heal", "remove every cut, isolation, partition and bridge", netHeal, false, 0},
	{Loss, "loss", ArgsProb, "loss P [replies] [SEL -> SEL]", "lose messages (or only replies) with probability P (10% or 0.1)", linkSetting(func(l *LinkFaults, f Fault) {
		*pick(&l.Loss, &l.Replies.Loss, f.Replies) = f.P
	}), false, Reset},
	{Delay, "delay", ArgsDelay, "delay D[-D] [replies] [SEL -> SEL]", "delay messages (or only replies) by D, or by a random time in a range", linkSetting(func(l *LinkFaults, f Fault) {
		*pick(&l.DelayMin, &l.Replies.DelayMin, f.Replies), *pick(&l.DelayMax, &l.Replies.DelayMax, f.Replies) = f.Min, f.Max
	}), false, Reset},
	{Reorder, "reorder", ArgsProb, "reorder P [replies] [SEL -> SEL]", "hold messages (or only replies) back with probability P so later ones overtake them", linkSetting(func(l *LinkFaults, f Fault) {
		*pick(&l.Reorder, &l.Replies.Reorder, f.Replies) = f.P
	}), false, Reset},
	{Duplicate, "duplicate", ArgsProb, "duplicate P [replies] [SEL -> SEL]", "deliver requests (or replies) twice with probability P", linkSetting(func(l *LinkFaults, f Fault) {
		*pick(&l.Duplicate, &l.Replies.Duplicate, f.Replies) = f.P
	}), false, Reset},
	{Skew, "skew", ArgsPeersRate, "skew SEL RATE", "run peers' clocks at RATE times real speed (1.5x, 0.5)", nil, false, Reset},
	{Reset, "reset", ArgsNone, "reset", "heal, and remove link settings and clock skew", netReset, false, 0},
	{Tear, "tear", ArgsPeers, "tear SEL", "crash peers between the two writes of the next save they make in two (state, snapshot)", nil, false, Restart},
}

// pick returns all, or replies when replies is set: the field a link setting changes.
func pick[T any](all, replies *T, isReplies bool) *T {
	if isReplies {
		return replies
	}
	return all
}

// Spec returns k's entry of FaultSpecs, and false for a kind that has none.
func (k FaultKind) Spec() (FaultSpec, bool) {
	if k == 0 || int(k) > len(FaultSpecs) {
		return FaultSpec{}, false
	}
	return FaultSpecs[k-1], true
}

// FaultByName returns the kind named name, and false if there is none.
func FaultByName(name string) (FaultKind, bool) {
	for _, s := range FaultSpecs {
		if s.Name == name {
			return s.Kind, true
		}
	}
	return 0, false
}

func (k FaultKind) String() string {
	if s, ok := k.Spec(); ok {
		return s.Name
	}
	return fmt.Sprintf("FaultKind(%d)", k)
}

// Fault is one change to the cluster, with concrete peer ids (selectors such as
// "leader" are resolved before a Fault is made).
type Fault struct {
	Kind   FaultKind     `json:"kind"`
	Peers  []int         `json:"peers,omitempty"`
	Groups [][]int       `json:"groups,omitempty"`
	From   []int         `json:"from,omitempty"`
	To     []int         `json:"to,omitempty"`
	P      float64       `json:"p,omitempty"`
	Min    time.Duration `json:"min,omitempty"`
	Max    time.Duration `json:"max,omitempty"`
	Rate   float64       `json:"rate,omitempty"`
	// Replies makes a link setting (loss, delay, reorder, duplicate) apply to replies
	// only, on top of the setting for every message.
	Replies bool `json:"replies,omitempty"`
}

// FormatPercent renders a probability as a percentage that reads back exactly: the
// shortest decimal for p with the point moved two places (0.356 is "35.6%").
func FormatPercent(p float64) string {
	whole, frac, _ := strings.Cut(strconv.FormatFloat(p, 'f', -1, 64), ".")
	frac += "00"
	whole = strings.TrimLeft(whole+frac[:2], "0")
	if whole == "" {
		whole = "0"
	}
	if frac = strings.TrimRight(frac[2:], "0"); frac != "" {
		return whole + "." + frac + "%"
	}
	return whole + "%"
}

func ids(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}

func (f Fault) links() string {
	if len(f.From) == 0 && len(f.To) == 0 {
		return ""
	}
	return fmt.Sprintf(" %s->%s", ids(f.From), ids(f.To))
}

// String renders f in the scenario language.
func (f Fault) String() string {
	spec, _ := f.Kind.Spec()
	switch spec.Args {
	case ArgsPeers:
		return fmt.Sprintf("%s %s", f.Kind, ids(f.Peers))
	case ArgsPeersRate:
		return fmt.Sprintf("%s %s %gx", f.Kind, ids(f.Peers), f.Rate)
	case ArgsGroups, ArgsBridge:
		gs := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			gs[i] = ids(g)
		}
		sep := " | "
		if spec.Args == ArgsBridge {
			sep = " - "
		}
		return fmt.Sprintf("%s %s", f.Kind, strings.Join(gs, sep))
	case ArgsLinks:
		return fmt.Sprintf("%s %s->%s", f.Kind, ids(f.From), ids(f.To))
	case ArgsProb:
		return fmt.Sprintf("%s %s%s%s", f.Kind, FormatPercent(f.P), f.replies(), f.links())
	case ArgsDelay:
		return fmt.Sprintf("%s %v-%v%s%s", f.Kind, f.Min, f.Max, f.replies(), f.links())
	}
	return f.Kind.String()
}

func (f Fault) replies() string {
	if f.Replies {
		return " replies"
	}
	return ""
}

// Validate checks f against a cluster of n peers.
func (f Fault) Validate(n int) error {
	check := func(what string, ps []int) error {
		seen := map[int]bool{}
		for _, p := range ps {
			if p < 0 || p >= n {
				return fmt.Errorf("%s: peer %d does not exist (peers are 0..%d)", what, p, n-1)
			}
			if seen[p] {
				return fmt.Errorf("%s: peer %d given twice", what, p)
			}
			seen[p] = true
		}
		return nil
	}
	prob := func() error {
		if !(f.P >= 0 && f.P <= 1) {
			return fmt.Errorf("%s: probability %g is outside 0..1", f.Kind, f.P)
		}
		return nil
	}
	spec, ok := f.Kind.Spec()
	if !ok {
		return fmt.Errorf("unknown fault kind %d", f.Kind)
	}
	switch spec.Args {
	case ArgsPeers, ArgsPeersRate:
		if err := check(f.Kind.String(), f.Peers); err != nil {
			return err
		}
		if spec.Args == ArgsPeersRate && !(f.Rate > 0 && f.Rate <= 100) {
			return fmt.Errorf("%s: rate %g is outside (0, 100]", f.Kind, f.Rate)
		}
	case ArgsGroups, ArgsBridge:
		var all []int
		for _, g := range f.Groups {
			all = append(all, g...)
		}
		if err := check(f.Kind.String(), all); err != nil {
			return err
		}
		if spec.Args == ArgsBridge && (len(f.Groups) != 3 || len(f.Groups[1]) != 1) {
			return fmt.Errorf("%s: want two sides and one middle peer, as in '%s 0,1 - 2 - 3,4'", f.Kind, f.Kind)
		}
	case ArgsProb:
		if err := prob(); err != nil {
			return err
		}
	case ArgsDelay:
		if f.Min < 0 || f.Max < f.Min || f.Max > 24*time.Hour {
			return fmt.Errorf("%s: bad range %v-%v", f.Kind, f.Min, f.Max)
		}
	}
	if f.Replies && !spec.Args.LinkSetting() {
		return fmt.Errorf("%s: only link settings (loss, delay, reorder, duplicate) can be for replies", f.Kind)
	}
	if spec.Args == ArgsLinks || spec.Args.LinkSetting() {
		if err := check(f.Kind.String()+" from", f.From); err != nil {
			return err
		}
		if err := check(f.Kind.String()+" to", f.To); err != nil {
			return err
		}
	}
	return nil
}

// LinkFaults are the settings of one directed link (or of the whole network): for every
// message on it (requests, and replies to requests that came the other way; Duplicate
// copies requests only), and, in Replies, for its replies alone, on top.
type LinkFaults struct {
	Loss      float64
	DelayMin  time.Duration
	DelayMax  time.Duration
	Reorder   float64
	Duplicate float64
	Replies   ReplyFaults
}

// ReplyFaults are link settings for replies only: a reply is lost if either its
// link's Loss or Replies.Loss says so, delayed by both delays, held back by either
// reordering, and duplicated with probability Replies.Duplicate.
type ReplyFaults struct {
	Loss      float64
	DelayMin  time.Duration
	DelayMax  time.Duration
	Reorder   float64
	Duplicate float64
}

// NetState is the state of the network: which directed links are cut, and each link's
// settings. It is a copy; indexes are peer ids.
type NetState struct {
	Cut    [][]bool       // Cut[i][j]: messages from i to j are lost
	Links  [][]LinkFaults // Links[i][j]: settings of the link i->j (global ones included)
	Global LinkFaults     // settings applied to every link
	// Groups gives each peer the partition group it is in (0 for all when connected),
	// for display.
	Groups []int
}

// NewNetState returns the state of a healthy network of n peers.
func NewNetState(n int) NetState {
	s := NetState{Cut: make([][]bool, n), Links: make([][]LinkFaults, n), Groups: make([]int, n)}
	for i := range n {
		s.Cut[i] = make([]bool, n)
		s.Links[i] = make([]LinkFaults, n)
	}
	return s
}

// Clone returns a deep copy of s.
func (s NetState) Clone() NetState {
	c := NetState{Global: s.Global, Groups: append([]int(nil), s.Groups...)}
	for i := range s.Cut {
		c.Cut = append(c.Cut, append([]bool(nil), s.Cut[i]...))
		c.Links = append(c.Links, append([]LinkFaults(nil), s.Links[i]...))
	}
	return c
}

// Apply changes s as fault f does (for network faults; others leave it alone). Engines
// use it to keep their NetState, and then make their network match it.
func (s *NetState) Apply(f Fault) {
	if spec, ok := f.Kind.Spec(); ok && spec.Net != nil {
		spec.Net(s, f)
	}
	s.regroup()
}

func (s *NetState) cutBoth(a, b int) { s.Cut[a][b], s.Cut[b][a] = true, true }

func netIsolate(s *NetState, f Fault) {
	for _, p := range f.Peers {
		for q := range len(s.Cut) {
			if q != p {
				s.cutBoth(p, q)
			}
		}
	}
}

func netPartition(s *NetState, f Fault) {
	n := len(s.Cut)
	group := make([]int, n)
	for i := range group {
		group[i] = len(f.Groups) + 1 // the peers named in no group
	}
	for g, ps := range f.Groups {
		for _, p := range ps {
			group[p] = g + 1
		}
	}
	for a := range n {
		for b := range n {
			if group[a] != group[b] {
				s.Cut[a][b] = true
			}
		}
	}
}

func netBridge(s *NetState, f Fault) {
	for _, a := range f.Groups[0] {
		for _, b := range f.Groups[2] {
			s.cutBoth(a, b)
		}
	}
}

func netCut(s *NetState, f Fault) {
	for _, a := range f.From {
		for _, b := range f.To {
			if a != b {
				s.Cut[a][b] = true
			}
		}
	}
}

func netHeal(s *NetState, _ Fault) {
	for a := range s.Cut {
		clear(s.Cut[a])
	}
}

func netReset(s *NetState, _ Fault) {
	for a := range s.Cut {
		clear(s.Cut[a])
		clear(s.Links[a])
	}
	s.Global = LinkFaults{}
}

// linkSetting returns the Net of a fault that sets something on links: on every link
// (and as the global setting) when the fault names none, else on those it names.
func linkSetting(set func(l *LinkFaults, f Fault)) func(*NetState, Fault) {
	return func(s *NetState, f Fault) {
		n := len(s.Cut)
		if len(f.From) == 0 && len(f.To) == 0 {
			set(&s.Global, f)
			for a := range n {
				for b := range n {
					set(&s.Links[a][b], f)
				}
			}
			return
		}
		from, to := f.From, f.To
		if len(from) == 0 {
			from = seq(n)
		}
		if len(to) == 0 {
			to = seq(n)
		}
		for _, a := range from {
			for _, b := range to {
				if a != b {
					set(&s.Links[a][b], f)
				}
			}
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// regroup recomputes Groups: peers that reach each other both ways, directly, share a
// group; with no cuts everyone is in group 0.
func (s *NetState) regroup() {
	n := len(s.Cut)
	anyCut := false
	for a := range n {
		for b := range n {
			anyCut = anyCut || s.Cut[a][b]
		}
	}
	for i := range s.Groups {
		s.Groups[i] = 0
	}
	if !anyCut {
		return
	}
	next := 1
	for a := range n {
		if s.Groups[a] != 0 {
			continue
		}
		s.Groups[a] = next
		for b := a + 1; b < n; b++ {
			if s.Groups[b] == 0 && !s.Cut[a][b] && !s.Cut[b][a] && sameCuts(s.Cut, a, b) {
				s.Groups[b] = next
			}
		}
		next++
	}
}

// sameCuts reports whether a and b are cut from the same other peers.
func sameCuts(cut [][]bool, a, b int) bool {
	for c := range cut {
		if c == a || c == b {
			continue
		}
		if cut[a][c] != cut[b][c] || cut[c][a] != cut[c][b] {
			return false
		}
	}
	return true
}

// Connected reports whether i and j can exchange messages both ways.
func (s NetState) Connected(i, j int) bool {
	return i == j || !s.Cut[i][j] && !s.Cut[j][i]
}

// Reliable reports whether no link loses, delays, reorders or duplicates anything.
func (s NetState) Reliable() bool {
	for a := range s.Links {
		for b := range s.Links[a] {
			if a != b && s.Links[a][b] != (LinkFaults{}) {
				return false
			}
		}
	}
	return true
}

// MarshalText renders k by name (for JSON traces).
func (k FaultKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *FaultKind) UnmarshalText(b []byte) error {
	if kind, ok := FaultByName(string(b)); ok {
		*k = kind
		return nil
	}
	return fmt.Errorf("unknown fault kind %q", b)
}
