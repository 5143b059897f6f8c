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

// Kind is a kind of trouble the generator can schedule: a fault kind of chaos.FaultSpecs
// that something undoes (crash, pause, isolate, partition, bridge, cut, loss, delay,
// reorder, duplicate, skew, tear), each scheduled with its remedy (its entry's Undo:
// crashed peers are restarted, paused ones resumed, cuts healed, link settings and
// skew reset), or one of two that are not faults: the client workload, and triggers
// (faults fired by events rather than at times).
type Kind string

// The kinds of trouble. The fault kinds come from chaos.FaultSpecs; these constants name
// those the generator treats in a way of its own.
const (
	KindCrash     Kind = "crash"     // crash a peer, or reboot it at once (then restart it)
	KindPause     Kind = "pause"     // pause a peer (then resume)
	KindIsolate   Kind = "isolate"   // isolate a peer (then heal)
	KindPartition Kind = "partition" // split the cluster (then heal)
	KindBridge    Kind = "bridge"    // a non-transitive network (then heal)
	KindCut       Kind = "cut"       // one-way cuts (then heal)
	KindLoss      Kind = "loss"      // lose messages, or only replies (then reset)
	KindDelay     Kind = "delay"     // delay messages, or only replies (then reset)
	KindReorder   Kind = "reorder"   // reorder messages, or only replies (then reset)
	KindDuplicate Kind = "duplicate" // duplicate requests, or replies (then reset)
	KindSkew      Kind = "skew"      // skew a peer's clock (then reset)
	KindTear      Kind = "tear"      // tear a peer's next save made in two writes (then restart)
	KindWorkload  Kind = "workload"  // stop the client, or send a burst (then start again)
	KindTrigger   Kind = "trigger"   // a fault the moment after an event: a vote, an election... (on ...)
)

// Kinds lists every kind, in the order help shows them: the fault kinds of
// chaos.FaultSpecs that have a remedy, in its order, then workload and trigger.
var Kinds = faultKinds()

func faultKinds() []Kind {
	var out []Kind
	for _, s := range chaos.FaultSpecs {
		if s.Undo != 0 {
			out = append(out, Kind(s.Name))
		}
	}
	return append(out, KindWorkload, KindTrigger)
}

// fault returns the fault kind k names, and false for the kinds that are not faults.
func (k Kind) fault() (chaos.FaultSpec, bool) {
	if f, ok := chaos.FaultByName(string(k)); ok {
		return f.Spec()
	}
	return chaos.FaultSpec{}, false
}

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
	DefaultKV        = 0.25 // the share of runs whose clients use a kv store
	// Settle is how long a schedule runs after its final heal, so the checkers see the
	// cluster recover (longer than the default liveness bounds).
	Settle = 6 * time.Second
)

// peerWeights are the cluster sizes a Generator without Peers draws from, and how
// often: mostly the odd sizes clusters are deployed with, and the even ones, where a
// quorum is more than half and a wrong count of it shows.
var peerWeights = []struct{ peers, weight int }{{2, 1}, {3, 4}, {4, 2}, {5, 3}, {6, 1}, {7, 1}}

// Generator makes random fault schedules. The zero value is usable: zero fields take the
// defaults above. A Generator is a plain value, safe for concurrent use.
type Generator struct {
	// Peers is the cluster size; zero draws it by seed from 2 to 7, mostly 3 and 5.
	Peers int
	// Duration is how long faults keep coming (default 30s); the run lasts Settle longer.
	Duration time.Duration
	// Kinds are the troubles to choose from (default: all).
	Kinds []Kind
	// FaultRate is the mean number of faults (and remedies) a second (default 1).
	FaultRate float64
	// Rate is the client's proposals (or kv operations) per second (default 20; negative
	// for none).
	Rate float64
	// KV is the share of runs whose client workload is kv clients whose history is
	// checked for linearizability, rather than plain proposals (default 0.25; negative
	// for none, 1 for every run).
	KV float64
	// NoSwarm turns swarm testing off. By default each run uses a random part of Kinds,
	// each kind with a random weight, and a random fault rate and workload rate around
	// FaultRate and Rate: runs that leave some trouble out reach states that runs of
	// everything at once crowd out (Groce et al., "Swarm Testing", ISSTA 2012).
	NoSwarm bool
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
	case g.Rate > scenario.MaxRate/2:
		return fmt.Errorf("%w: workload rate %g a second; want at most %d", ErrGenerator, g.Rate, scenario.MaxRate/2)
	case g.KV > 1 || g.KV != g.KV:
		return fmt.Errorf("%w: kv share %g; want at most 1", ErrGenerator, g.KV)
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
	if g.KV == 0 {
		g.KV = DefaultKV
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
	// The kinds this run uses and their weights (1 without swarm testing).
	kinds  []Kind
	weight map[Kind]int
	// The client workload, to start again after a lull.
	workload *scenario.WorkloadSpec
	// What is broken now, to pick remedies that do something: the remedies due, by
	// fault kind, and a lull of the workload; and the remedies ever due, for the end
	// (a trigger may fire after its remedy).
	undo, ever map[chaos.FaultKind]bool
	quiet      bool
}

// broke notes that remedy u is due.
func (r *gen) broke(u chaos.FaultKind) { r.undo[u], r.ever[u] = true, true }

// Generate returns the schedule for seed. The same Generator and seed always give the
// same scenario; it carries the seed, so running it repeats the same run.
func (g Generator) Generate(seed int64) (*scenario.Scenario, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	g = g.withDefaults()
	r := &gen{g: g, rng: rand.New(rand.NewPCG(uint64(seed), 0x66757a7a)), undo: map[chaos.FaultKind]bool{}, ever: map[chaos.FaultKind]bool{}}
	if g.Peers == 0 {
		r.g.Peers = r.peers()
	}
	swarm := r.swarm()
	g = r.g
	if g.Rate > 0 {
		r.workload = rateSpec(g.Rate)
		if g.KV > 0 && r.rng.Float64() < g.KV {
			r.workload = kvSpec(g.Rate, r.g.Peers)
		}
	}
	sc := &scenario.Scenario{
		Name:        fmt.Sprintf("fuzz-%d", seed),
		Description: fmt.Sprintf("Generated by miniraft fuzz from seed %d.%s", seed, swarm),
		Header: scenario.Header{
			Peers:         g.Peers,
			Seed:          seed,
			HasSeed:       true,
			PreVote:       g.PreVote,
			CheckQuorum:   g.CheckQuorum,
			Workload:      r.workload,
			Duration:      g.Duration + Settle,
			Liveness:      scenario.Liveness{Leader: scenario.DefaultLiveness, Commit: scenario.DefaultLiveness},
			SnapshotEvery: chaos.DefaultSnapshotEvery,
		},
	}
	if g.NoLiveness {
		sc.Header.Liveness = scenario.Liveness{Off: true}
	}
	// Faults come as a Poisson process, at whole milliseconds. Some are two commands in
	// quick succession (a reboot, a crash right after a proposal).
	for at := r.gap(); at < g.Duration; at += r.gap() {
		for _, c := range r.next() {
			sc.Steps = append(sc.Steps, scenario.Step{When: scenario.When{Kind: scenario.Absolute, At: min(at+c.after, g.Duration)}, Cmd: c.cmd})
		}
	}
	slices.SortStableFunc(sc.Steps, func(a, b scenario.Step) int { return cmp.Compare(a.When.At, b.When.At) })
	// The end: undo everything, and let the cluster recover while the checkers watch.
	end := func(c scenario.Command) {
		sc.Steps = append(sc.Steps, scenario.Step{When: scenario.When{Kind: scenario.Absolute, At: g.Duration}, Cmd: c})
	}
	end(scenario.FaultCmd{Kind: chaos.Reset})
	if r.ever[chaos.Restart] {
		end(scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelCrashed)})
	}
	if r.ever[chaos.Resume] {
		end(scenario.FaultCmd{Kind: chaos.Resume, Peers: sel(chaos.SelAll)})
	}
	if r.quiet {
		end(scenario.WorkloadCmd{Spec: r.workload})
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("fuzz: generated an invalid scenario (a bug): %w", err)
	}
	return reparse(sc)
}

// peers draws a cluster size from peerWeights.
func (r *gen) peers() int {
	total := 0
	for _, w := range peerWeights {
		total += w.weight
	}
	n := r.rng.IntN(total)
	for _, w := range peerWeights {
		if n < w.weight {
			return w.peers
		}
		n -= w.weight
	}
	panic("unreachable")
}

// swarm picks the run's kinds and their weights, and its fault and workload rates: with
// swarm testing, each kind of the Generator's with probability 1/2 (at least one fault
// kind) and a weight of 1, 2 or 4, and each rate half, once or twice the Generator's;
// without, every kind with weight 1. It says what it picked, for the description.
func (r *gen) swarm() string {
	r.weight = map[Kind]int{}
	if r.g.NoSwarm {
		r.kinds = r.g.Kinds
		for _, k := range r.kinds {
			r.weight[k] = 1
		}
		return ""
	}
	for _, k := range r.g.Kinds {
		if r.rng.IntN(2) == 0 {
			r.kinds = append(r.kinds, k)
			r.weight[k] = oneOf(r, 1, 2, 4)
		}
	}
	if !slices.ContainsFunc(r.kinds, func(k Kind) bool { _, ok := k.fault(); return ok }) {
		var faults []Kind
		for _, k := range r.g.Kinds {
			if _, ok := k.fault(); ok {
				faults = append(faults, k)
			}
		}
		if len(faults) > 0 {
			k := faults[r.rng.IntN(len(faults))]
			r.kinds = append(r.kinds, k)
			r.weight[k] = 1
		}
	}
	r.g.FaultRate *= oneOf(r, 0.5, 1, 2)
	if r.g.Rate > 0 {
		r.g.Rate *= oneOf(r, 0.5, 1, 2)
	}
	words := make([]string, len(r.kinds))
	for i, k := range r.kinds {
		words[i] = fmt.Sprintf("%s x%d", k, r.weight[k])
	}
	return fmt.Sprintf("\nSwarm: %s; %g faults a second.", strings.Join(words, ", "), r.g.FaultRate)
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

// kvSpec is a kv workload of rate operations a second: a few clients on a few keys, so
// that operations contend and the history is worth checking.
func kvSpec(rate float64, peers int) *scenario.WorkloadSpec {
	return &scenario.WorkloadSpec{Kind: scenario.KVWorkloadKind, Params: []scenario.Param{
		{Key: "clients", Value: fmt.Sprint(min(peers+1, 5))},
		{Key: "keys", Value: "3"},
		{Key: "rate", Value: fmtRate(rate)},
	}}
}

// withRate returns a copy of w with its rate set to rate.
func withRate(w *scenario.WorkloadSpec, rate float64) *scenario.WorkloadSpec {
	c := &scenario.WorkloadSpec{Kind: w.Kind, Params: slices.Clone(w.Params)}
	for i := range c.Params {
		if c.Params[i].Key == "rate" {
			c.Params[i].Value = fmtRate(rate)
		}
	}
	return c
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

// weights of the kinds' actions, before swarm testing scales them; the generator's
// taste, not the faults': crashes and partitions are where most bugs show.
var weights = map[Kind]int{KindCrash: 3, KindIsolate: 2, KindPartition: 3, KindWorkload: 2, KindTrigger: 2}

// next picks the next commands: a fault of an enabled kind, or the remedy of something
// broken.
func (r *gen) next() []timed {
	var acts []action
	add := func(w int, f func(r *gen) []timed) { acts = append(acts, action{w, f}) }
	one := func(w int, f func(r *gen) scenario.Command) { add(w, func(r *gen) []timed { return now(f(r)) }) }
	for _, k := range r.kinds {
		w := cmp.Or(weights[k], 1) * r.weight[k]
		if spec, ok := k.fault(); ok {
			if f := r.faultOf(spec); f != nil {
				one(w, f)
			}
		}
		switch k {
		case KindCrash:
			add(2*r.weight[k], (*gen).reboot)
			if r.g.Rate > 0 {
				// A leader that falls right after taking a proposal leaves an entry that
				// only it holds: the start of the Raft paper's Figure 8.
				add(2*r.weight[k], func(r *gen) []timed {
					return []timed{{0, scenario.ProposeCmd{N: oneOf(r, 1, 3)}}, {0, r.crashLeader()}}
				})
			}
		case KindWorkload:
			if r.g.Rate > 0 {
				one(w, (*gen).lull)
			}
		case KindTrigger:
			one(w, (*gen).trigger)
		}
	}
	// The remedies of what is broken, by the faults' Undo.
	for _, u := range []chaos.FaultKind{chaos.Restart, chaos.Resume, chaos.Heal, chaos.Reset} {
		if r.undo[u] {
			one(remedyWeight[u], func(r *gen) scenario.Command { return r.remedy(u) })
		}
	}
	if len(acts) == 0 {
		return now(scenario.FaultCmd{Kind: chaos.Heal}) // nothing applies (a kind this cluster size cannot have)
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

var remedyWeight = map[chaos.FaultKind]int{chaos.Restart: 3, chaos.Resume: 1, chaos.Heal: 5, chaos.Reset: 2}

// remedy returns the command of remedy u, and notes what it undoes.
func (r *gen) remedy(u chaos.FaultKind) scenario.Command {
	switch u {
	case chaos.Restart:
		r.undo[u] = false
		return scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(oneOf(r, chaos.SelCrashed, chaos.SelCrashed, chaos.SelRandom))}
	case chaos.Resume:
		r.undo[u] = false
		return scenario.FaultCmd{Kind: chaos.Resume, Peers: sel(chaos.SelAll)}
	case chaos.Reset:
		r.undo[chaos.Heal], r.undo[chaos.Reset] = false, false
	default:
		r.undo[u] = false
	}
	return scenario.FaultCmd{Kind: u}
}

// faultOf returns the maker of a fault of kind spec, by the shape of its arguments, or
// nil if the cluster is too small for it.
func (r *gen) faultOf(spec chaos.FaultSpec) func(r *gen) scenario.Command {
	var f func(r *gen) scenario.FaultCmd
	switch spec.Args {
	case chaos.ArgsPeers:
		f = func(r *gen) scenario.FaultCmd {
			return scenario.FaultCmd{Kind: spec.Kind, Peers: sel(oneOf(r, peerPicks[spec.Kind]...))}
		}
	case chaos.ArgsGroups:
		f = (*gen).partition
	case chaos.ArgsBridge:
		if r.g.Peers < 3 {
			return nil
		}
		f = (*gen).bridge
	case chaos.ArgsLinks:
		if r.g.Peers < 2 {
			return nil
		}
		f = (*gen).oneWay
	case chaos.ArgsProb, chaos.ArgsDelay:
		f = func(r *gen) scenario.FaultCmd { return r.link(spec) }
	case chaos.ArgsPeersRate:
		f = func(r *gen) scenario.FaultCmd {
			return scenario.FaultCmd{Kind: spec.Kind, Peers: sel(oneOf(r, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom)), Rate: oneOf(r, 0.5, 0.75, 1.5, 2)}
		}
	default:
		return nil
	}
	return func(r *gen) scenario.Command {
		c := f(r)
		r.broke(spec.Undo)
		return c
	}
}

// peerPicks are the selectors a fault on peers picks from, more often the leader for
// the faults that hurt most there.
var peerPicks = map[chaos.FaultKind][]chaos.SelectorKind{
	chaos.Crash:   {chaos.SelLeader, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom, chaos.SelMinority},
	chaos.Pause:   {chaos.SelLeader, chaos.SelFollower, chaos.SelRandom},
	chaos.Isolate: {chaos.SelLeader, chaos.SelLeader, chaos.SelFollower, chaos.SelRandom},
	chaos.Tear:    {chaos.SelLeader, chaos.SelFollower, chaos.SelRandom, chaos.SelAll},
}

// crashLeader crashes the leader or, if isolating is asked for too, sometimes isolates
// it (the same to the others, but it lives on in its own term).
func (r *gen) crashLeader() scenario.Command {
	if slices.Contains(r.kinds, KindIsolate) && r.rng.IntN(3) == 0 {
		r.broke(chaos.Heal)
		return scenario.FaultCmd{Kind: chaos.Isolate, Peers: sel(chaos.SelLeader)}
	}
	r.broke(chaos.Restart)
	return scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(chaos.SelLeader)}
}

// reboot crashes a peer and restarts it a moment later, as a process that dies and is
// brought back by its supervisor: it comes back in the middle of whatever it was doing.
func (r *gen) reboot() []timed {
	crash := scenario.FaultCmd{Kind: chaos.Crash, Peers: sel(oneOf(r, peerPicks[chaos.Crash]...))}
	r.broke(chaos.Restart)
	return []timed{{0, crash}, {time.Duration(oneOf(r, 5, 20, 50, 100)) * time.Millisecond, scenario.FaultCmd{Kind: chaos.Restart, Peers: sel(chaos.SelCrashed)}}}
}

func (r *gen) partition() scenario.FaultCmd {
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

func (r *gen) bridge() scenario.FaultCmd {
	perm := r.rng.Perm(r.g.Peers)
	mid := perm[0]
	rest := perm[1:]
	k := 1 + r.rng.IntN(len(rest)-1)
	a, b := slices.Clone(rest[:k]), slices.Clone(rest[k:])
	slices.Sort(a)
	slices.Sort(b)
	return scenario.FaultCmd{Kind: chaos.Bridge, Groups: []scenario.Sel{ids(a...), ids(mid), ids(b...)}}
}

func (r *gen) oneWay() scenario.FaultCmd {
	if r.rng.IntN(2) == 0 {
		return scenario.FaultCmd{Kind: chaos.Cut, From: sel(chaos.SelLeader), To: sel(oneOf(r, chaos.SelFollower, chaos.SelFollowers, chaos.SelMinority))}
	}
	perm := r.rng.Perm(r.g.Peers)
	return scenario.FaultCmd{Kind: chaos.Cut, From: ids(perm[0]), To: ids(perm[1])}
}

// link sets a link setting of kind spec, everywhere or on some links, for every message
// or, two times in five, for replies alone (which may be delayed long enough for leaders
// to change meanwhile).
func (r *gen) link(spec chaos.FaultSpec) scenario.FaultCmd {
	c := scenario.FaultCmd{Kind: spec.Kind, Replies: r.rng.IntN(5) < 2}
	switch spec.Args {
	case chaos.ArgsProb:
		c.P = oneOf(r, 0.05, 0.1, 0.2, 0.3, 0.5)
	case chaos.ArgsDelay:
		c.Min = oneOf(r, 0, time.Millisecond, 5*time.Millisecond, 20*time.Millisecond)
		c.Max = c.Min + oneOf(r, 5*time.Millisecond, 20*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond, 500*time.Millisecond)
		if c.Replies && r.rng.IntN(2) == 0 {
			c.Min, c.Max = oneOf(r, 100*time.Millisecond, 300*time.Millisecond), oneOf(r, time.Second, 2*time.Second)
		}
	}
	if r.g.Peers > 1 && r.rng.IntN(2) == 0 {
		c.From, c.To = sel(oneOf(r, chaos.SelLeader, chaos.SelRandom, chaos.SelFollowers)), sel(chaos.SelOthers)
	}
	return c
}

// lull stops the client (so leaders have only old entries to replicate), starts it
// again, or proposes a burst.
func (r *gen) lull() scenario.Command {
	switch {
	case r.quiet:
		r.quiet = false
		return scenario.WorkloadCmd{Spec: r.workload}
	case r.rng.IntN(3) == 0:
		return scenario.ProposeCmd{N: oneOf(r, 1, 5, 20)}
	}
	r.quiet = true
	return scenario.WorkloadCmd{}
}

// triggerEvents are the events a trigger waits for: mostly those after which a crash
// finds what a peer should have saved (a vote, a new term, entries, a snapshot).
var triggerEvents = []scenario.TriggerKind{
	scenario.OnVote, scenario.OnVote, scenario.OnTerm, scenario.OnAppend, scenario.OnPersist, scenario.OnPersist,
	scenario.OnLeader, scenario.OnLeader, scenario.OnCandidate, scenario.OnStepDown, scenario.OnTruncate,
	scenario.OnCommit, scenario.OnSnapshot, scenario.OnInstall, scenario.OnBoot,
}

// trigger arms a fault for the moment after an event: mostly a crash of the peer the
// event happens at (its restart comes later, by time), sometimes cutting it off or
// pausing it, or, after an election, a fault on the new leader.
func (r *gen) trigger() scenario.Command {
	ev := oneOf(r, triggerEvents...)
	c := scenario.OnCmd{Event: ev, Times: oneOf(r, 1, 1, 1, 2, 3)}
	target := sel(chaos.SelLeader)
	if ev != scenario.OnLeader || r.rng.IntN(2) == 0 {
		id := r.rng.IntN(r.g.Peers)
		c.Peers, target = ids(id), ids(id)
	}
	switch n := r.rng.IntN(10); {
	case n < 7:
		c.Cmd = scenario.FaultCmd{Kind: chaos.Crash, Peers: target}
		r.broke(chaos.Restart)
	case n < 9:
		c.Cmd = scenario.FaultCmd{Kind: chaos.Isolate, Peers: target}
		r.broke(chaos.Heal)
	default:
		c.Cmd = scenario.FaultCmd{Kind: chaos.Pause, Peers: target}
		r.broke(chaos.Resume)
	}
	return c
}
