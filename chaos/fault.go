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
)

var faultNames = [...]string{"", "crash", "restart", "pause", "resume", "isolate", "partition", "bridge", "cut", "heal", "loss", "delay", "reorder", "duplicate", "skew", "reset"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) && k != 0 {
		return faultNames[k]
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
	switch f.Kind {
	case Crash, Restart, Pause, Resume, Isolate:
		return fmt.Sprintf("%s %s", f.Kind, ids(f.Peers))
	case Partition, Bridge:
		gs := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			gs[i] = ids(g)
		}
		sep := " | "
		if f.Kind == Bridge {
			sep = " - "
		}
		return fmt.Sprintf("%s %s", f.Kind, strings.Join(gs, sep))
	case Cut:
		return fmt.Sprintf("cut %s->%s", ids(f.From), ids(f.To))
	case Heal, Reset:
		return f.Kind.String()
	case Loss, Reorder, Duplicate:
		return fmt.Sprintf("%s %s%s", f.Kind, FormatPercent(f.P), f.links())
	case Delay:
		return fmt.Sprintf("delay %v-%v%s", f.Min, f.Max, f.links())
	case Skew:
		return fmt.Sprintf("skew %s %gx", ids(f.Peers), f.Rate)
	}
	return f.Kind.String()
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
	switch f.Kind {
	case Crash, Restart, Pause, Resume, Isolate, Skew:
		if err := check(f.Kind.String(), f.Peers); err != nil {
			return err
		}
		if f.Kind == Skew && !(f.Rate > 0 && f.Rate <= 100) {
			return fmt.Errorf("skew: rate %g is outside (0, 100]", f.Rate)
		}
	case Partition, Bridge:
		var all []int
		for _, g := range f.Groups {
			all = append(all, g...)
		}
		if err := check(f.Kind.String(), all); err != nil {
			return err
		}
		if f.Kind == Bridge && (len(f.Groups) != 3 || len(f.Groups[1]) != 1) {
			return errors.New("bridge: want two sides and one middle peer, as in 'bridge 0,1 - 2 - 3,4'")
		}
	case Cut:
		if err := check("cut from", f.From); err != nil {
			return err
		}
		if err := check("cut to", f.To); err != nil {
			return err
		}
	case Loss, Reorder, Duplicate:
		if err := prob(); err != nil {
			return err
		}
	case Delay:
		if f.Min < 0 || f.Max < f.Min || f.Max > 24*time.Hour {
			return fmt.Errorf("delay: bad range %v-%v", f.Min, f.Max)
		}
	case Heal, Reset:
	default:
		return fmt.Errorf("unknown fault kind %d", f.Kind)
	}
	if f.Kind >= Loss && f.Kind <= Duplicate {
		if err := check(f.Kind.String()+" from", f.From); err != nil {
			return err
		}
		if err := check(f.Kind.String()+" to", f.To); err != nil {
			return err
		}
	}
	return nil
}

// LinkFaults are the settings of one directed link (or of the whole network).
type LinkFaults struct {
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
	n := len(s.Cut)
	cutBoth := func(a, b int) { s.Cut[a][b], s.Cut[b][a] = true, true }
	switch f.Kind {
	case Isolate:
		for _, p := range f.Peers {
			for q := range n {
				if q != p {
					cutBoth(p, q)
				}
			}
		}
	case Partition:
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
	case Bridge:
		for _, a := range f.Groups[0] {
			for _, b := range f.Groups[2] {
				cutBoth(a, b)
			}
		}
	case Cut:
		for _, a := range f.From {
			for _, b := range f.To {
				if a != b {
					s.Cut[a][b] = true
				}
			}
		}
	case Heal:
		for a := range n {
			clear(s.Cut[a])
		}
	case Reset:
		for a := range n {
			clear(s.Cut[a])
			clear(s.Links[a])
		}
		s.Global = LinkFaults{}
	case Loss, Delay, Reorder, Duplicate:
		set := func(l *LinkFaults) {
			switch f.Kind {
			case Loss:
				l.Loss = f.P
			case Delay:
				l.DelayMin, l.DelayMax = f.Min, f.Max
			case Reorder:
				l.Reorder = f.P
			case Duplicate:
				l.Duplicate = f.P
			}
		}
		if len(f.From) == 0 && len(f.To) == 0 {
			set(&s.Global)
			for a := range n {
				for b := range n {
					set(&s.Links[a][b])
				}
			}
			break
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
					set(&s.Links[a][b])
				}
			}
		}
	}
	s.regroup()
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
	for i, n := range faultNames {
		if i > 0 && n == string(b) {
			*k = FaultKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fault kind %q", b)
}
