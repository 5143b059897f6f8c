// Package fuzz looks for schedules of faults that break Raft, and makes the ones it finds
// small.
//
// A Generator turns a seed into a random fault schedule: a scenario (see chaos/scenario)
// whose timeline is a run of faults at random times, each undone sooner or later, with a
// client workload throughout and the network healed at the end. The seed is written into
// the scenario, so the scenario file alone fixes the run on the sim engine.
//
// A Campaign runs many seeds across parallel workers (and, with a shard, across
// machines), counts what the checkers report, and Shrink reduces each failure's
// schedule (dropping steps, shortening times, lowering rates, removing peers) while the
// same checker still fails, so that a failure can be handed on as one small file.
//
// Every type here is either a plain value or says whether it is safe for concurrent use.
package fuzz

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// Kind is a kind of trouble the generator can schedule. Each fault kind comes with its
// remedy: crashed peers are restarted, paused ones resumed, cuts healed, link settings
// reset.
type Kind string

// The kinds of trouble.
const (
	KindCrash     Kind = "crash"     // crash a peer, or reboot it at once (then restart it)
	KindPause     Kind = "pause"     // pause a peer (then resume)
	KindIsolate   Kind = "isolate"   // isolate a peer (then heal)
	KindPartition Kind = "partition" // split the cluster (then heal)
	KindBridge    Kind = "bridge"    // a non-transitive network (then heal)
	KindCut       Kind = "cut"       // one-way cuts (then heal)
	KindLoss      Kind = "loss"      // lose messages (then reset)
	KindDelay     Kind = "delay"     // delay messages (then reset)
	KindReorder   Kind = "reorder"   // reorder messages (then reset)
	KindDuplicate Kind = "duplicate" // duplicate messages (then reset)
	KindSkew      Kind = "skew"      // skew a peer's clock (then reset)
	KindWorkload  Kind = "workload"  // stop the client, or send a burst (then start again)
)

// Kinds lists every kind, in the order help shows them.
var Kinds = []Kind{KindCrash, KindPause, KindIsolate, KindPartition, KindBridge, KindCut,
	KindLoss, KindDelay, KindReorder, KindDuplicate, KindSkew, KindWorkload}

// ParseKinds parses a comma-separated list of kinds; "all" means every kind.
func ParseKinds(s string) ([]Kind, error) {
	if strings.TrimSpace(s) == "all" {
		return slices.Clone(Kinds), nil
	}
	var out []Kind
	for _, w := range strings.Split(s, ",") {
		k := Kind(strings.TrimSpace(w))
		if !slices.Contains(Kinds, k) {
			names := make([]string, len(Kinds))
			for i, k := range Kinds {
				names[i] = string(k)
			}
			return nil, fmt.Errorf("unknown fault kind %q (kinds: %s, or all)", k, strings.Join(names, ","))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Defaults of a Generator's fields.
const (
	DefaultDuration  = 30 * time.Second
	DefaultFaultRate = 1.0  // faults per second
	DefaultRate      = 20.0 // proposals per second
	// Settle is how long a schedule runs after its final heal, so the checkers see the
	// cluster recover (longer than the default liveness bounds).
	Settle = 6 * time.Second
)

// Generator makes random fault schedules. The zero value is usable: zero fields take the
// defaults above. A Generator is a plain value, safe for concurrent use.
type Generator struct {
	// Peers is the cluster size; zero picks 3 or 5 by seed.
	Peers int
	// Duration is how long faults keep coming (default 30s); the run lasts Settle longer.
	Duration time.Duration
	// Kinds are the troubles to choose from (default: all).
	Kinds []Kind
	// FaultRate is the mean number of faults (and remedies) a second (default 1).
	FaultRate float64
	// Rate is the client's proposals per second (default 20; negative for none).
	Rate float64
	// PreVote and CheckQuorum switch on the Raft options of those names.
	PreVote, CheckQuorum bool
	// NoLiveness switches the liveness checker off: only safety is checked.
	NoLiveness bool
}

// ErrGenerator is wrapped by the errors Validate returns.
var ErrGenerator = errors.New("bad fuzz settings")

// Validate reports settings out of range.
func (g Generator) Validate() error {
	g = g.withDefaults()
	switch {
	case g.Peers < 0 || g.Peers > scenario.MaxPeers:
		return fmt.Errorf("%w: %d peers; want 1..%d", ErrGenerator, g.Peers, scenario.MaxPeers)
	case g.Duration < time.Second || g.Duration > time.Hour:
		return fmt.Errorf("%w: duration %v; want 1s..1h", ErrGenerator, g.Duration)
	case !(g.FaultRate > 0 && g.FaultRate <= 100):
		return fmt.Errorf("%w: fault rate %g a second; want above 0, at most 100", ErrGenerator, g.FaultRate)
	case g.Rate > scenario.MaxRate:
		return fmt.Errorf("%w: workload rate %g a second; want at most %d", ErrGenerator, g.Rate, scenario.MaxRate)
	case len(g.Kinds) == 0:
		return fmt.Errorf("%w: no fault kinds", ErrGenerator)
	}
	for _, k := range g.Kinds {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("%w: unknown fault kind %q", ErrGenerator, k)
		}
	}
	return nil
}

func (g Generator) withDefaults() Generator {
	if g.Duration == 0 {
		g.Duration = DefaultDuration
	}
	if g.Kinds == nil {
		g.Kinds = Kinds
	}
	if g.FaultRate == 0 {
		g.FaultRate = DefaultFaultRate
	}
	if g.Rate == 0 {
		g.Rate = DefaultRate
	}
	return g
}

// action is one thing the generator can schedule, with how often to pick it.
type action struct {
	weight int
	make   func(r *gen) []timed
}

// timed is a command due some time after the action's.
type timed struct {
	after time.Duration
	cmd   scenario.Command
}

func now(c scenario.Command) []timed { return []timed{{0, c}} }

// gen is the state of one generation.
type gen struct {
	g   Generator
	rng *rand.Rand
	// What is broken now, to pick remedies that do something.
	crashed, paused, cut, links, skewed, quiet bool
}

// Generate returns the schedule for seed. The same Generator and seed always give the
// same scenario; it carries the seed, so running it repeats the same run.
func (g Generator) Generate(seed int64) (*scenario.Scenario, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g = g.withDefaults()
	r := &gen{g: g, rng: rand.New(rand.NewPCG(uint64(seed), 0x66757a7a))}
	if g.Peers == 0 {
		r.g.Peers = oneOf(r, 3, 5)
		g.Peers = r.g.Peers
	}
	sc := &scenario.Scenario{
		Name:        fmt.Sprintf("fuzz-%d", seed),
		Description: fmt.Sprintf("Generated by miniraft fuzz from seed %d.", seed),
		Header: scenario.Header{
			Peers:         g.Peers,
			Seed:          seed,
			HasSeed:       true,
			PreVote:       g.PreVote,
			CheckQuorum:   g.CheckQuorum,
			Duration:      g.Duration + Settle,
			Liveness:      scenario.Liveness{Leader: scenario.DefaultLiveness, Commit: scenario.DefaultLiveness},
			SnapshotEvery: chaos.DefaultSnapshotEvery,
		},
	}
	if g.NoLiveness {
		sc.Header.Liveness = scenario.Liveness{Off: true}
	}
	if g.Rate > 0 {
		sc.Header.Workload = rateSpec(g.Rate)
	}
	// Faults come as a Poisson process, at whole milliseconds. Some are two commands in
	// quick succession (a reboot, a crash right after a proposal).
	for at := r.gap(); at < g.Duration; at += r.gap() {
		for _, c := range r.next() {
			sc.Steps = append(sc.Steps, scenario.Step{When: scenario.When{Kind: scenario.Absolute, At: at + c.after}, Cmd: c.cmd})
		}
	}
	slices.SortStableFunc(sc.Steps, func(a, b scenario.Step) int { return cmp.Compare(a.When.At, b.When.At) })
	// The end: undo everything, and let the cluster recover while the checkers watch.
	end := func(c scenario.Command) {
		sc.Steps = append(sc.Steps, scenario.Step{When: scenario.When{Kind: scenario.Absolute, At: g.Duration}, Cmd: c})
	}
	end(scenario.FaultCmd{Kind: chaos.Reset})
	if r.crashed {
		end(scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelCrashed)})
	}
	if r.paused {
		end(scenario.FaultCmd{Kind: chaos.Resume, Peers: sel(chaos.SelAll)})
	}
	if r.quiet {
		end(scenario.WorkloadCmd{Spec: rateSpec(g.Rate)})
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("fuzz: generated an invalid scenario (a bug): %w", err)
	}
	return reparse(sc)
}

// reparse returns sc as read back from its text, so that its Source is its text and
// every step's position is its line there (the runner reports steps by line, and a
// replay of the trace matches them against the text).
func reparse(sc *scenario.Scenario) (*scenario.Scenario, error) {
	out, err := scenario.Parse(sc.Name+".chaos", []byte(scenario.Format(sc)))
	if err != nil {
		return nil, fmt.Errorf("fuzz: a scenario does not read back (a bug): %w", err)
	}
	out.Name = sc.Name
	return out, nil
}

// gap draws the time to the next fault.
func (r *gen) gap() time.Duration {
	d := time.Duration(r.rng.ExpFloat64() / r.g.FaultRate * float64(time.Second))
	return max(d.Round(time.Millisecond), time.Millisecond)
}

func rateSpec(rate float64) *scenario.WorkloadSpec {
	return &scenario.WorkloadSpec{Kind: scenario.DefaultWorkloadKind, Params: []scenario.Param{{Key: "rate", Value: fmtRate(rate)}}}
}

func fmtRate(r float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", r), "0"), ".")
}

func sel(k chaos.SelectorKind) scenario.Sel { return scenario.Sel{Selector: chaos.Selector{Kind: k}} }

func ids(ps ...int) scenario.Sel {
	return scenario.Sel{Selector: chaos.Selector{Kind: chaos.SelIDs, IDs: ps}}
}

// oneOf picks one of xs.
func oneOf[T any](r *gen, xs ...T) T { return xs[r.rng.IntN(len(xs))] }

// next picks the next commands: a fault of an enabled kind, or the remedy of something
// broken.
func (r *gen) next() []timed {
	var acts []action
	add := func(w int, f func(r *gen) []timed) { acts = append(acts, action{w, f}) }
	one := func(w int, f func(r *gen) scenario.Command) { add(w, func(r *gen) []timed { return now(f(r)) }) }
	for _, k := range r.g.Kinds {
		switch k {
		case KindCrash:
			one(3, (*gen).crash)
			add(2, (*gen).reboot)
			if r.crashed {
				one(2, func(*gen) scenario.Command {
					return scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelCrashed)}
				})
				one(1, func(*gen) scenario.Command {
					return scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelRandom)}
				})
			}
			if r.g.Rate > 0 {
				// A leader that falls right after taking a proposal leaves an entry that
				// only it holds: the start of the Raft paper's Figure 8.
				add(2, func(r *gen) []timed {
					return []timed{{0, scenario.ProposeCmd{N: oneOf(r, 1, 3)}}, {0, r.crashLeader()}}
				})
			}
		case KindPause:
			one(1, (*gen).pause)
			if r.paused {
				one(1, func(r *gen) scenario.Command {
					r.paused = false
					return scenario.FaultCmd{Kind: chaos.Resume, Peers: sel(chaos.SelAll)}
				})
			}
		case KindIsolate:
			one(2, func(r *gen) scenario.Command {
				r.cut = true
				return scenario.FaultCmd{Kind: chaos.Isolate, Peers: sel(oneOf(r, chaos.SelLeader, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom))}
			})
		case KindPartition:
			one(3, (*gen).partition)
		case KindBridge:
			if r.g.Peers >= 3 {
				one(1, (*gen).bridge)
			}
		case KindCut:
			if r.g.Peers >= 2 {
				one(1, (*gen).oneWay)
			}
		case KindLoss, KindDelay, KindReorder, KindDuplicate:
			one(1, func(r *gen) scenario.Command { return r.link(k) })
		case KindSkew:
			one(1, func(r *gen) scenario.Command {
				r.skewed = true
				return scenario.FaultCmd{Kind: chaos.Skew, Peers: sel(oneOf(r, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom)), Rate: oneOf(r, 0.5, 0.75, 1.5, 2)}
			})
		case KindWorkload:
			if r.g.Rate > 0 {
				one(2, (*gen).workload)
			}
		}
	}
	if r.cut {
		one(5, func(r *gen) scenario.Command { r.cut = false; return scenario.FaultCmd{Kind: chaos.Heal} })
	}
	if r.links || r.skewed {
		one(2, func(r *gen) scenario.Command {
			r.cut, r.links, r.skewed = false, false, false
			return scenario.FaultCmd{Kind: chaos.Reset}
		})
	}
	total := 0
	for _, a := range acts {
		total += a.weight
	}
	n := r.rng.IntN(total)
	for _, a := range acts {
		if n < a.weight {
			return a.make(r)
		}
		n -= a.weight
	}
	panic("unreachable")
}

// crashLeader crashes the leader or, if isolating is asked for too, sometimes isolates
// it (the same to the others, but it lives on in its own term).
func (r *gen) crashLeader() scenario.Command {
	if slices.Contains(r.g.Kinds, KindIsolate) && r.rng.IntN(3) == 0 {
		r.cut = true
		return scenario.FaultCmd{Kind: chaos.Isolate, Peers: sel(chaos.SelLeader)}
	}
	r.crashed = true
	return scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(chaos.SelLeader)}
}

// reboot crashes a peer and restarts it a moment later, as a process that dies and is
// brought back by its supervisor: it comes back in the middle of whatever it was doing.
func (r *gen) reboot() []timed {
	crash := r.crash()
	return []timed{{0, crash}, {time.Duration(oneOf(r, 5, 20, 50, 100)) * time.Millisecond, scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelCrashed)}}}
}

func (r *gen) crash() scenario.Command {
	r.crashed = true
	return scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(oneOf(r, chaos.SelLeader, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom, chaos.SelMinority))}
}

func (r *gen) pause() scenario.Command {
	r.paused = true
	return scenario.FaultCmd{Kind: chaos.Pause, Peers: sel(oneOf(r, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom))}
}

func (r *gen) partition() scenario.Command {
	r.cut = true
	if r.rng.IntN(2) == 0 {
		return scenario.FaultCmd{Kind: chaos.Partition, Groups: []scenario.Sel{
			sel(oneOf(r, chaos.SelMinority, chaos.SelMajority, chaos.SelLeader)), sel(chaos.SelOthers),
		}}
	}
	// Explicit groups: shuffle the peers and cut the line into two or three pieces.
	perm := r.rng.Perm(r.g.Peers)
	groups := 2 + r.rng.IntN(2)
	if groups > r.g.Peers {
		groups = r.g.Peers
	}
	cuts := r.rng.Perm(r.g.Peers - 1)[:groups-1]
	slices.Sort(cuts)
	var out []scenario.Sel
	from := 0
	for _, c := range append(cuts, r.g.Peers-1) {
		g := slices.Clone(perm[from : c+1])
		slices.Sort(g)
		out = append(out, ids(g...))
		from = c + 1
	}
	return scenario.FaultCmd{Kind: chaos.Partition, Groups: out}
}

func (r *gen) bridge() scenario.Command {
	r.cut = true
	perm := r.rng.Perm(r.g.Peers)
	mid := perm[0]
	rest := perm[1:]
	k := 1 + r.rng.IntN(len(rest)-1)
	a, b := slices.Clone(rest[:k]), slices.Clone(rest[k:])
	slices.Sort(a)
	slices.Sort(b)
	return scenario.FaultCmd{Kind: chaos.Bridge, Groups: []scenario.Sel{ids(a...), ids(mid), ids(b...)}}
}

func (r *gen) oneWay() scenario.Command {
	r.cut = true
	if r.rng.IntN(2) == 0 {
		return scenario.FaultCmd{Kind: chaos.Cut, From: sel(chaos.SelLeader), To: sel(oneOf(r, chaos.SelFollower, chaos.SelFollowers, chaos.SelMinority))}
	}
	perm := r.rng.Perm(r.g.Peers)
	return scenario.FaultCmd{Kind: chaos.Cut, From: ids(perm[0]), To: ids(perm[1])}
}

// link sets a link fault, everywhere or on some links.
func (r *gen) link(k Kind) scenario.Command {
	r.links = true
	c := scenario.FaultCmd{}
	switch k {
	case KindLoss:
		c.Kind, c.P = chaos.Loss, oneOf(r, 0.05, 0.1, 0.2, 0.3, 0.5)
	case KindDelay:
		c.Kind = chaos.Delay
		c.Min = oneOf(r, 0, time.Millisecond, 5*time.Millisecond, 20*time.Millisecond)
		c.Max = c.Min + oneOf(r, 5*time.Millisecond, 20*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond, 500*time.Millisecond)
	case KindReorder:
		c.Kind, c.P = chaos.Reorder, oneOf(r, 0.05, 0.1, 0.25, 0.5)
	case KindDuplicate:
		c.Kind, c.P = chaos.Duplicate, oneOf(r, 0.05, 0.1, 0.25)
	}
	if r.g.Peers > 1 && r.rng.IntN(2) == 0 {
		c.From, c.To = sel(oneOf(r, chaos.SelLeader, chaos.SelRandom, chaos.SelFollowers)), sel(chaos.SelOthers)
	}
	return c
}

// workload stops the client (so leaders have only old entries to replicate), starts it
// again, or proposes a burst.
func (r *gen) workload() scenario.Command {
	switch {
	case r.quiet:
		r.quiet = false
		return scenario.WorkloadCmd{Spec: rateSpec(r.g.Rate)}
	case r.rng.IntN(3) == 0:
		return scenario.ProposeCmd{N: oneOf(r, 1, 5, 20)}
	}
	r.quiet = true
	return scenario.WorkloadCmd{}
}
