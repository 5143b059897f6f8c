package fuzz

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/report"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// Defaults of a Campaign's fields.
const (
	// DefaultShrinkEach is how many failures of each checker the CLI shrinks.
	DefaultShrinkEach = 3
	// KeepEach is how many failing schedules of each checker a campaign writes out.
	KeepEach = 10
)

// Campaign runs many generated schedules and collects their failures. Set its fields,
// then call Run once. The seeds it tries are those of the range SeedStart,
// SeedStart+1, ... (SeedStart+Runs-1 when Runs is set) that belong to its shard, so
// Shards machines given shards 0..Shards-1 and the same range split it between them
// without overlap.
type Campaign struct {
	// Generator makes each seed's schedule.
	Generator Generator
	// Engine is where the schedules run (the zero value: the sim engine).
	Engine Engine
	// SeedStart is the first seed of the range.
	SeedStart int64
	// Runs is the length of the seed range; zero means no end, and Time must be set.
	Runs int64
	// Time bounds the search in wall-clock time; zero means no bound. Shrinking what
	// was found may take a little longer.
	Time time.Duration
	// Shard and Shards: this campaign takes the seeds s with s mod Shards == Shard.
	// Shards 0 or 1 means all seeds.
	Shard, Shards int
	// Workers is how many runs go at once (default GOMAXPROCS; DefaultRealTimeWorkers
	// for a live engine in real time).
	Workers int
	// ShrinkEach is how many failures of each checker to shrink; the smallest result is
	// kept. Zero shrinks none.
	ShrinkEach int
	// ShrinkRuns bounds the runs of each shrink (default DefaultShrinkRuns).
	ShrinkRuns int
	// StopAfter ends the search after that many failing runs; zero never does.
	StopAfter int
	// Out, when set, is the directory failures are written to: the first KeepEach
	// failing schedules of each checker, for each checker the smallest shrunk schedule
	// with its trace, and, at the end, the campaign's Record (RecordFile), which Merge
	// combines with other shards'.
	Out string
	// Tool names the program in traces.
	Tool string
	// Repro returns the command that runs a scenario file again; nil means
	// "miniraft run FILE".
	Repro func(file string) string
	// Progress, when non-nil, is called after every run, never concurrently.
	Progress func(Progress)
}

// Progress is how far a campaign has got.
type Progress struct {
	Runs, Failed int
	// Total is the number of runs the campaign will make, or -1 when it runs until
	// its time is up.
	Total   int64
	Elapsed time.Duration
	// Shrinking is the number of shrinks under way.
	Shrinking int
}

// Report is what a campaign found.
type Report struct {
	// Runs and Failed count the runs made and those that failed.
	Runs, Failed int
	// ByChecker counts failing runs by the checker of their first failure.
	ByChecker map[string]int
	// Faults, Events and RPCs sum the runs' faults applied, bus events and messages.
	Faults int
	Events uint64
	RPCs   int
	// KVRuns counts the runs whose clients used a kv store, and KVUnsettled those of
	// them whose history's linearizability check did not finish within KVCheckBudget
	// (it counts as no failure, so it is a run checked for safety but not for
	// linearizability).
	KVRuns, KVUnsettled int
	// Virtual is the cluster time of all runs together; Wall the campaign's time.
	Virtual, Wall time.Duration
	Workers       int
	// Engine names the engine the runs ran on (Engine.Name).
	Engine string
	// Leaks counts the runs that left goroutines of a Raft other than MiniRaft's behind
	// once its peers were killed (Outcome.Leaked), and Leak is the first one's message.
	Leaks int
	Leak  string
	// FirstSeed and LastSeed are the lowest and highest seeds run.
	FirstSeed, LastSeed int64
	Shard, Shards       int
	// Failures lists the failing runs, by seed.
	Failures []Failure
	// Minimal holds, for each checker that failed, the smallest shrunk schedule, by
	// checker name.
	Minimal []Minimal
	// Settings are the generator's settings; Build and Bugs the program's build and
	// the deliberate bugs switched on.
	Settings *Settings
	Build    *chaos.Build
	Bugs     []string
}

// Failure is one failing run.
type Failure struct {
	Seed      int64           `json:"seed"`
	Checker   string          `json:"checker"`
	Violation chaos.Violation `json:"violation"`
	// File is where its schedule was written, if it was.
	File string `json:"file,omitempty"`
	// After is how long the campaign had been running when the run failed.
	After time.Duration `json:"after_ns,omitempty"`
}

// Minimal is the smallest failing schedule found for one checker.
type Minimal struct {
	Checker string
	// Seed is the generated schedule it was shrunk from.
	Seed int64
	*Shrunk
	// File, Trace and Page are where the scenario, its run's trace and the report of
	// that run were written, if they were; Repro is the command that runs it again.
	File, Trace, Page, Repro string
	// Reproduced counts the Reruns (Engine.Reruns, on an engine that is not exactly
	// repeatable) that failed with the same checker again; both 0 on the sim engine,
	// where every rerun does.
	Reproduced, Reruns int
}

// ErrCampaign is wrapped by the errors Run returns for bad settings.
var ErrCampaign = errors.New("bad campaign")

func (c *Campaign) validate() error {
	if err := c.Generator.Validate(); err != nil {
		return err
	}
	if err := c.Engine.validate(); err != nil {
		return err
	}
	switch {
	case c.Runs < 0:
		return fmt.Errorf("%w: %d runs", ErrCampaign, c.Runs)
	case c.Runs == 0 && c.Time <= 0:
		return fmt.Errorf("%w: neither a number of runs nor a time limit", ErrCampaign)
	case c.Shards < 0 || c.Shards > 1 && (c.Shard < 0 || c.Shard >= c.Shards) || c.Shards <= 1 && c.Shard != 0:
		return fmt.Errorf("%w: shard %d of %d; want 0 <= shard < shards", ErrCampaign, c.Shard, c.Shards)
	case c.Workers < 0 || c.ShrinkEach < 0 || c.ShrinkRuns < 0 || c.StopAfter < 0:
		return fmt.Errorf("%w: negative workers, shrink or stop-after", ErrCampaign)
	}
	return nil
}

// campaign is the state of one Run. Its fields below mu are guarded by it.
type campaign struct {
	*Campaign
	start    time.Time
	total    int64
	repro    func(string) string
	failures chan struct{} // closed when StopAfter failures were seen

	mu        sync.Mutex
	rep       Report
	kept      map[string]int // schedules written, by checker
	shrinks   map[string]int // shrinks started, by checker
	shrinking int
	best      map[string]*Minimal
	errs      []error
	stopOnce  sync.Once
}

// Run runs the campaign until its seed range is done, its time is up or ctx ends, then
// writes out what it found and reports. The error is for a campaign that could not be
// carried out (bad settings, a directory it cannot write); failing runs are in the
// Report.
func (c *Campaign) Run(ctx context.Context) (*Report, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	cc := &campaign{
		Campaign: c, start: time.Now(), total: -1, repro: c.Repro, failures: make(chan struct{}),
		kept: map[string]int{}, shrinks: map[string]int{}, best: map[string]*Minimal{},
	}
	if cc.repro == nil {
		cc.repro = func(file string) string { return "miniraft run " + file }
	}
	workers := c.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
		if c.Engine.Live && c.Engine.RealTime {
			workers = DefaultRealTimeWorkers
		}
	}
	shards := max(c.Shards, 1)
	if c.Runs > 0 {
		cc.total = 0
		for s := c.SeedStart; s < c.SeedStart+c.Runs; s++ {
			if inShard(s, c.Shard, shards) {
				cc.total++
			}
		}
	}
	build := chaos.CurrentBuild()
	cc.rep = Report{ByChecker: map[string]int{}, Workers: workers, Engine: c.Engine.Name(), Shard: c.Shard, Shards: shards, FirstSeed: c.SeedStart, LastSeed: c.SeedStart - 1,
		Settings: SettingsOf(c.Generator), Build: &build, Bugs: chaos.ActiveBugs()}
	if c.Out != "" {
		if err := os.MkdirAll(c.Out, 0o755); err != nil {
			return nil, fmt.Errorf("fuzz: output directory: %w", err)
		}
	}

	search, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.Time > 0 {
		search, cancel = context.WithTimeout(search, c.Time)
		defer cancel()
	}
	seeds := make(chan int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(seeds)
		for s := c.SeedStart; c.Runs == 0 || s < c.SeedStart+c.Runs; s++ {
			if !inShard(s, c.Shard, shards) {
				continue
			}
			select {
			case seeds <- s:
			case <-search.Done():
				return
			case <-cc.failures:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ex := c.Engine.executor()
			defer ex.close()
			for s := range seeds {
				cc.one(ctx, search, ex, s)
			}
		}()
	}
	wg.Wait()

	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.rep.Wall = time.Since(cc.start)
	slices.SortFunc(cc.rep.Failures, func(a, b Failure) int { return cmp.Compare(a.Seed, b.Seed) })
	for _, m := range cc.best {
		cc.rep.Minimal = append(cc.rep.Minimal, *m)
	}
	slices.SortFunc(cc.rep.Minimal, func(a, b Minimal) int { return strings.Compare(a.Checker, b.Checker) })
	if len(cc.rep.Minimal) > 0 {
		ex := c.Engine.executor()
		for i := range cc.rep.Minimal {
			if err := cc.writeMinimal(ctx, ex, &cc.rep.Minimal[i]); err != nil {
				cc.errs = append(cc.errs, err)
			}
		}
		ex.close()
	}
	if c.Out != "" {
		if err := cc.writeRecord(); err != nil {
			cc.errs = append(cc.errs, err)
		}
	}
	rep := cc.rep
	return &rep, errors.Join(cc.errs...)
}

// writeRecord writes the campaign's Record to its output directory. cc.mu must be held.
func (cc *campaign) writeRecord() error {
	path := filepath.Join(cc.Out, RecordFile)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	err = WriteRecord(f, cc.rep.Record(cc.Tool, cc.Out))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fuzz: %s: %w", path, err)
	}
	return nil
}

// inShard reports whether seed s belongs to shard i of n.
func inShard(s int64, i, n int) bool {
	m := s % int64(n)
	if m < 0 {
		m += int64(n)
	}
	return m == int64(i)
}

// one runs seed s with ex and deals with its failure, if any.
func (cc *campaign) one(ctx, search context.Context, ex executor, s int64) {
	if search.Err() != nil {
		return
	}
	sc, err := cc.Generator.Generate(s)
	if err == nil {
		var o Outcome
		o, err = ex.run(search, sc, s, "", "")
		if err == nil {
			cc.record(ctx, ex, s, sc, o)
			return
		}
	}
	if search.Err() != nil {
		return // the run was cut short by the end of the search: not a result
	}
	cc.mu.Lock()
	cc.errs = append(cc.errs, fmt.Errorf("seed %d: %w", s, err))
	cc.mu.Unlock()
}

// record counts a run, keeps its schedule if it failed, and shrinks it if it is among
// the first failures of its checker.
func (cc *campaign) record(ctx context.Context, ex executor, s int64, sc *scenario.Scenario, o Outcome) {
	cc.mu.Lock()
	r := &cc.rep
	r.Runs++
	r.Faults += o.Faults
	r.Events += o.Events
	r.RPCs += o.Net.RPCs
	if o.KV != nil {
		r.KVRuns++
		if o.KV.Check.Outcome == kv.Unknown {
			r.KVUnsettled++
		}
	}
	r.Virtual += o.Duration
	r.LastSeed = max(r.LastSeed, s)
	if r.Runs == 1 || s < r.FirstSeed {
		r.FirstSeed = s
	}
	if o.Leaked != "" {
		if r.Leaks++; r.Leak == "" {
			r.Leak = o.Leaked
		}
	}
	checker := o.Checker()
	shrink := false
	var f Failure
	if checker != "" {
		r.Failed++
		r.ByChecker[checker]++
		f = Failure{Seed: s, Checker: checker, Violation: *o.Failure, After: time.Since(cc.start)}
		if cc.Out != "" && cc.kept[checker] < KeepEach {
			cc.kept[checker]++
			f.File = filepath.Join(cc.Out, fmt.Sprintf("%s-seed%d.chaos", checker, s))
		}
		if cc.shrinks[checker] < cc.ShrinkEach {
			cc.shrinks[checker]++
			cc.shrinking++
			shrink = true
		}
		if cc.StopAfter > 0 && r.Failed >= cc.StopAfter {
			cc.stopOnce.Do(func() { close(cc.failures) })
		}
	}
	cc.progress()
	cc.mu.Unlock()
	if checker == "" {
		return
	}
	if f.File != "" {
		kept := clone(sc)
		kept.Description = fmt.Sprintf("Generated by miniraft fuzz from seed %d: fails with %s at %s.\n\n%s\n\nRepro: %s",
			s, o.Failure, fmtAt(o.Failure.At), cc.Generator.describe(), cc.repro(f.File))
		if err := os.WriteFile(f.File, []byte(scenario.Format(kept)), 0o644); err != nil {
			f.File = ""
			cc.mu.Lock()
			cc.errs = append(cc.errs, fmt.Errorf("fuzz: %w", err))
			cc.mu.Unlock()
		}
	}
	var m *Minimal
	if shrink {
		run := func(ctx context.Context, sc *scenario.Scenario, seed int64) (Outcome, error) {
			return ex.run(ctx, sc, seed, "", "")
		}
		sh, err := Shrinker{MaxRuns: cc.ShrinkRuns, Seed: s, Run: run, Tries: cc.Engine.tries()}.Shrink(ctx, sc, checker)
		if err == nil {
			if sh.AsFound {
				sh.Failure = *o.Failure // what the campaign's run saw
			}
			m = &Minimal{Checker: checker, Seed: s, Shrunk: sh}
		} else if ctx.Err() == nil {
			err = fmt.Errorf("fuzz: shrink seed %d: %w", s, err)
		}
		cc.mu.Lock()
		cc.shrinking--
		if err != nil && ctx.Err() == nil {
			cc.errs = append(cc.errs, err)
		}
		cc.mu.Unlock()
	}
	cc.mu.Lock()
	cc.rep.Failures = append(cc.rep.Failures, f)
	if m != nil {
		if b := cc.best[checker]; b == nil || smallerThan(m, b) {
			cc.best[checker] = m
		}
	}
	cc.progress()
	cc.mu.Unlock()
}

// smallerThan orders shrunk schedules: fewer steps, then fewer peers, then shorter,
// then the lower seed.
func smallerThan(a, b *Minimal) bool {
	ka := []int64{int64(a.StepsAfter), int64(a.PeersAfter), int64(a.Scenario.Header.Duration), a.Seed}
	kb := []int64{int64(b.StepsAfter), int64(b.PeersAfter), int64(b.Scenario.Header.Duration), b.Seed}
	return slices.Compare(ka, kb) < 0
}

// progress reports progress. cc.mu must be held.
func (cc *campaign) progress() {
	if cc.Progress == nil {
		return
	}
	cc.Progress(Progress{Runs: cc.rep.Runs, Failed: cc.rep.Failed, Total: cc.total, Elapsed: time.Since(cc.start), Shrinking: cc.shrinking})
}

// writeMinimal writes m's scenario, the trace of its run and the report of that run to
// the output directory, having run it Engine.Reruns times more, on an engine that is
// not exactly repeatable, to say how often it fails so. They are named for the checker
// and the seed the scenario carries (which the shrinker may have changed from the seed
// of the schedule it shrank).
func (cc *campaign) writeMinimal(ctx context.Context, ex executor, m *Minimal) error {
	base := fmt.Sprintf("%s-seed%d.min", m.Checker, m.Scenario.Header.Seed)
	m.Scenario.Name = base
	if cc.Out != "" {
		m.File = filepath.Join(cc.Out, base+".chaos")
		m.Trace = filepath.Join(cc.Out, base+".jsonl")
		m.Page = filepath.Join(cc.Out, base+".html")
	} else {
		m.File = base + ".chaos"
	}
	m.Repro = cc.repro(m.File)
	// The message of a deadlock or a panic carries stacks: the file's description
	// keeps its first line.
	first, _, _ := strings.Cut(m.Failure.Message, "\n")
	describe := func(sc *scenario.Scenario) (*scenario.Scenario, error) {
		from := ""
		if sc.Header.Seed != m.Seed {
			from = fmt.Sprintf(", which runs with seed %d", sc.Header.Seed)
		}
		sc.Description = fmt.Sprintf("%s %s violation found by miniraft fuzz in the schedule of seed %d (engine: %s), shrunk from %d steps and %d peers\nto %d steps and %d peers in %d runs%s.\n\nFirst failure at %s: %s",
			article(m.Checker), m.Checker, m.Seed, cc.Engine.Name(), m.StepsBefore, m.PeersBefore, m.StepsAfter, m.PeersAfter, m.Runs, from, fmtAt(m.Failure.At), first)
		if m.AsFound {
			sc.Description = fmt.Sprintf("%s %s violation found by miniraft fuzz in the schedule of seed %d (engine: %s), not shrunk:\nit did not fail so again in its first %d runs, so no smaller schedule could be judged.\n\nFirst failure at %s: %s",
				article(m.Checker), m.Checker, m.Seed, cc.Engine.Name(), m.Runs, fmtAt(m.Failure.At), first)
		}
		if m.Reruns > 0 {
			sc.Description += fmt.Sprintf("\n\nIt failed so again in %d of %d reruns (%s): runs of goroutine code are not exactly repeatable.", m.Reproduced, m.Reruns, cc.Engine.Name())
		}
		sc.Description += "\n\nRepro: " + m.Repro
		return reparse(sc)
	}
	sc, err := describe(m.Scenario)
	if err != nil {
		return err
	}
	if n := cc.Engine.reruns(); n > 0 {
		// Not exactly repeatable: say how often it fails so, as the file will run.
		m.Reruns = n
		for range n {
			o, err := ex.run(ctx, sc, m.Seed, "", "")
			if err != nil {
				return fmt.Errorf("fuzz: %s: %w", m.File, err)
			}
			if o.Checker() == m.Checker {
				m.Reproduced++
			}
		}
		if sc, err = describe(sc); err != nil {
			return err
		}
	} else {
		// The description moved the steps down the file; a failed expectation names its
		// line, so word the failure as a run of the file does (the message is one line,
		// so rewording it moves nothing).
		o, err := ex.run(ctx, sc, m.Seed, "", "")
		if err != nil {
			return fmt.Errorf("fuzz: %s: %w", m.File, err)
		}
		if o.Failure != nil && o.Checker() == m.Checker && o.Failure.Message != m.Failure.Message {
			m.Failure = *o.Failure
			if sc, err = describe(sc); err != nil {
				return err
			}
		}
	}
	m.Scenario = sc
	if cc.Out == "" {
		return nil
	}
	if err := os.WriteFile(m.File, []byte(m.Scenario.Source), 0o644); err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	if !cc.Engine.Live {
		return cc.traceSim(ctx, m)
	}
	// Elsewhere, the trace of a run that failed so, if one of a few does, and its page.
	for k := 0; ; k++ {
		o, err := ex.run(ctx, m.Scenario, m.Seed, m.Trace, cc.Tool)
		if err != nil {
			return fmt.Errorf("fuzz: trace of %s: %w", m.File, err)
		}
		if o.Checker() == m.Checker {
			if fi, err := os.Stat(m.Trace); err == nil && fi.Size() == 0 {
				// A deadlock or a panic ends the worker before the trace is written.
				os.Remove(m.Trace)
				m.Trace, m.Page = "", ""
				return nil
			}
			return writePage(m.Page, m.Trace)
		}
		if k+1 >= cc.Engine.tries() {
			// None of the traced runs failed so: keep no trace, rather than a wrong one.
			os.Remove(m.Trace)
			m.Trace, m.Page = "", ""
			return nil
		}
	}
}

// traceSim writes the trace and the report page of m's run on the sim engine, which
// the file repeats exactly.
func (cc *campaign) traceSim(ctx context.Context, m *Minimal) error {
	f, err := os.Create(m.Trace)
	if err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	rec := report.NewRecorder(0, model.InfoOf(m.Scenario, "sim", m.Scenario.Header.Seed))
	res, _, err := run(ctx, m.Scenario, runner.Options{Seed: m.Seed, Trace: f, Tool: cc.Tool, Repro: m.Repro,
		Observers: []func(chaos.Event){rec.Observe}})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fuzz: trace of %s: %w", m.File, err)
	}
	if o := (Outcome{Result: res}); o.Checker() != m.Checker {
		return fmt.Errorf("fuzz: %s ran differently when traced (%q, not %q): the sim is not deterministic", m.File, o.Checker(), m.Checker)
	}
	if err := report.WriteFile(m.Page, rec.Data(m.Scenario, &res.Result, res.KV)); err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	return nil
}

// writePage writes the report page of the run whose trace is the file trace.
func writePage(page, trace string) error {
	f, err := os.Open(trace)
	if err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	defer f.Close()
	d, err := report.FromTrace(f)
	if err != nil {
		return fmt.Errorf("fuzz: report of %s: %w", trace, err)
	}
	if err := report.WriteFile(page, d); err != nil {
		return fmt.Errorf("fuzz: %w", err)
	}
	return nil
}

func fmtAt(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// describe says what the generator was asked for, for the header of kept schedules.
func (g Generator) describe() string {
	kinds := make([]string, len(g.withDefaults().Kinds))
	for i, k := range g.withDefaults().Kinds {
		kinds[i] = string(k)
	}
	peers := "2 to 7 (by seed)"
	if g.Peers > 0 {
		peers = fmt.Sprint(g.Peers)
	}
	gd := g.withDefaults()
	swarm := "swarm testing"
	if gd.NoSwarm {
		swarm = "no swarm testing"
	}
	return fmt.Sprintf("Generator: peers %s, duration %v, faults %g/s of %s, workload %g/s (kv in %g of runs), %s.",
		peers, gd.Duration, gd.FaultRate, strings.Join(kinds, ","), gd.Rate, max(gd.KV, 0), swarm)
}

// WriteSummary writes the campaign's figures and what it found as tables.
func (r *Report) WriteSummary(w io.Writer) {
	shard := ""
	if r.Shards > 1 {
		shard = fmt.Sprintf("shard %d/%d", r.Shard, r.Shards)
	}
	r.writeFigures(w, shard)
	if r.Leaks > 0 {
		first, _, _ := strings.Cut(r.Leak, "\n")
		fmt.Fprintf(w, "\nnote: %d of %d runs left goroutines of the Raft behind once its peers were killed (not a failure; %s)\n", r.Leaks, r.Runs, first)
	}
	if r.Failed == 0 {
		fmt.Fprintln(w, "\nno violations")
		return
	}
	rows := make([]violationRow, 0, len(r.ByChecker))
	for _, k := range sortedKeys(r.ByChecker) {
		row := violationRow{checker: k, runs: r.ByChecker[k], first: firstSeed(r.Failures, k), shrunk: "-"}
		for _, m := range r.Minimal {
			if m.Checker == k {
				row.shrunk = fmt.Sprintf("%d steps, %d peers (from seed %d)", m.StepsAfter, m.PeersAfter, m.Seed)
				if m.AsFound {
					row.shrunk = fmt.Sprintf("not shrunk: %d steps, %d peers (seed %d)", m.StepsAfter, m.PeersAfter, m.Seed)
				}
			}
		}
		rows = append(rows, row)
	}
	writeViolations(w, rows)
	for _, m := range r.Minimal {
		fmt.Fprintf(w, "\n%s: %s\n", m.Checker, m.Failure.Message)
		if m.Trace != "" {
			fmt.Fprintf(w, "  scenario %s, trace %s, report %s\n", m.File, m.Trace, m.Page)
		}
		fmt.Fprintf(w, "  repro: %s\n", m.Repro)
		if m.Reruns > 0 {
			fmt.Fprintf(w, "  it failed so again in %d of %d reruns: runs of goroutine code are not exactly repeatable\n", m.Reproduced, m.Reruns)
		}
	}
}

// writeFigures writes the table of a campaign's figures; where says which seeds' shards
// it covers ("" for all).
func (r *Report) writeFigures(w io.Writer, where string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	secs := r.Wall.Seconds()
	rate := func(x float64) string {
		if secs <= 0 {
			return "-"
		}
		return humanCount(x / secs)
	}
	if where != "" {
		where = ", " + where
	}
	fmt.Fprintf(tw, "runs\t%d\t(seeds %d..%d%s)\n", r.Runs, r.FirstSeed, r.LastSeed, where)
	fmt.Fprintf(tw, "failed\t%d\t\n", r.Failed)
	fmt.Fprintf(tw, "faults applied\t%d\t\n", r.Faults)
	fmt.Fprintf(tw, "events\t%s\t(%s/s)\n", humanCount(float64(r.Events)), rate(float64(r.Events)))
	fmt.Fprintf(tw, "messages\t%s\t(%s/s)\n", humanCount(float64(r.RPCs)), rate(float64(r.RPCs)))
	if r.KVRuns > 0 {
		fmt.Fprintf(tw, "kv runs\t%d\t(%d checked for linearizability, %d not settled within %v)\n",
			r.KVRuns, r.KVRuns-r.KVUnsettled, r.KVUnsettled, KVCheckBudget)
	}
	vx := "-"
	if secs > 0 {
		vx = fmt.Sprintf("%.0fx real time", r.Virtual.Seconds()/secs)
	}
	fmt.Fprintf(tw, "virtual time\t%s\t(%s)\n", r.Virtual.Round(time.Second), vx)
	workers := fmt.Sprintf("%d workers", r.Workers)
	if r.Engine != "" && r.Engine != "sim" {
		workers += ", " + r.Engine
	}
	fmt.Fprintf(tw, "wall time\t%s\t(%s)\n", r.Wall.Round(10*time.Millisecond), workers)
	tw.Flush()
}

// violationRow is one row of the table of violations found.
type violationRow struct {
	checker string
	runs    int
	first   int64
	shrunk  string
}

func writeViolations(w io.Writer, rows []violationRow) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VIOLATION\tRUNS\tFIRST SEED\tSHRUNK TO")
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", row.checker, row.runs, row.first, row.shrunk)
	}
	tw.Flush()
}

// humanCount renders x with a k, M or G suffix.
func humanCount(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.1fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.0fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// article returns "An" or "A" for word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}
