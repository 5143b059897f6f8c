package runner

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/scenario"
)

func mathFloat64bits(f float64) uint64     { return math.Float64bits(f) }
func mathFloat64frombits(b uint64) float64 { return math.Float64frombits(b) }

// StepStatus is where a timeline step stands.
type StepStatus uint8

// The step statuses.
const (
	StepPending StepStatus = iota
	StepRunning
	StepDone
	StepSkipped
	StepFailed
)

func (s StepStatus) String() string {
	return [...]string{"pending", "running", "done", "skipped", "failed"}[s]
}

// StepState is one timeline step as the run sees it.
type StepState struct {
	Text   string
	Line   int
	Status StepStatus
	At     time.Duration // when it started (for steps that have)
}

// State is a copy of a run's progress, for progress lines and the UI.
type State struct {
	Name    string
	Engine  string
	Seed    int64
	Now     time.Duration
	Bound   time.Duration // how long the scenario can take
	Steps   []StepState
	Current int // the step running or last run, or -1
	Done    bool
	Paused  bool
	Speed   float64
	Rate    float64 // the workload's proposals per second
	Faults  int
	// Failure is the first violation or failed expectation.
	Failure  *chaos.Violation
	Workload WorkloadStats
	Checks   check.Stats
}

func newState(sc *scenario.Scenario, engine string, seed int64) State {
	st := State{Name: sc.Name, Engine: engine, Seed: seed, Bound: sc.Bound(), Current: -1}
	for _, s := range sc.Steps {
		st.Steps = append(st.Steps, StepState{Text: s.String(), Line: s.Pos.Line})
	}
	return st
}

func (r *Runner) setStep(i int, s StepStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Current = i
	r.state.Steps[i].Status = s
	if s == StepRunning {
		r.state.Steps[i].At = r.c.Now()
	}
}

// State returns a copy of the run's progress.
func (r *Runner) State() State {
	ws := r.wl.Stats()
	cs := r.checkStats()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	st.Steps = slices.Clone(st.Steps)
	st.Now = r.c.Now()
	st.Paused = r.paused
	st.Speed = r.Speed()
	st.Rate = r.rate
	st.Workload = ws
	st.Checks = cs
	if st.Failure != nil {
		f := *st.Failure
		st.Failure = &f
	}
	return st
}

func (r *Runner) progress(now time.Duration) {
	if r.opts.Progress == nil || time.Since(r.lastProgress) < 200*time.Millisecond {
		return
	}
	r.lastProgress = time.Now()
	r.opts.Progress(r.State())
}

// Recovery is how a cluster came back after a heal.
type Recovery struct {
	Fault string        `json:"fault"`
	At    time.Duration `json:"at"`
	// Leader is how long until a leader with a connected majority existed, or -1.
	Leader time.Duration `json:"leader"`
	// Commit is how long until the workload's next commit, or -1.
	Commit time.Duration `json:"commit"`
}

// Result is the outcome of a run.
type Result struct {
	Name     string        `json:"name"`
	Engine   string        `json:"engine"`
	Seed     int64         `json:"seed"`
	Peers    int           `json:"peers"`
	Pass     bool          `json:"pass"`
	Duration time.Duration `json:"duration"` // cluster time
	Wall     time.Duration `json:"wall"`
	// Failure is the first violation or failed expectation; Violations has the first of
	// each checker and every failed expectation.
	Failure    *chaos.Violation  `json:"failure,omitempty"`
	Violations []chaos.Violation `json:"violations,omitempty"`
	Checks     check.Stats       `json:"checks"`
	Workload   WorkloadStats     `json:"workload"`
	Net        chaos.NetStats    `json:"net"`
	Faults     int               `json:"faults"`
	Skipped    int               `json:"skipped_steps"`
	Recoveries []Recovery        `json:"recoveries,omitempty"`
	// KV is the kv workload's result: its figures, the linearizability check (which can
	// draw porcupine's visualization) and the history. Nil without a kv workload.
	KV *kv.Result `json:"kv,omitempty"`
}

func (r *Runner) result(end, wall time.Duration) *Result {
	st := r.State()
	commits := r.wl.CommitTimes()
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &Result{
		Name: st.Name, Engine: st.Engine, Seed: st.Seed, Peers: r.sc.Header.Peers,
		Duration: end, Wall: wall,
		Failure: st.Failure, Violations: slices.Clone(r.failures),
		Checks: st.Checks, Workload: st.Workload, Net: r.c.Stats(), Faults: st.Faults,
		KV: r.kvResult,
	}
	res.Pass = res.Failure == nil
	for _, s := range st.Steps {
		if s.Status == StepSkipped {
			res.Skipped++
		}
	}
	for _, rc := range r.recoveries {
		if i, ok := slices.BinarySearch(commits, rc.At); ok || i < len(commits) {
			rc.Commit = commits[i] - rc.At
		}
		res.Recoveries = append(res.Recoveries, rc)
	}
	return res
}

// WriteSummary writes a readable account of res.
func (res *Result) WriteSummary(w io.Writer) {
	verdict := "PASS"
	if !res.Pass {
		verdict = "FAIL"
	}
	speed := ""
	if res.Wall > 0 {
		speed = fmt.Sprintf(", %.0fx real time", res.Duration.Seconds()/res.Wall.Seconds())
	}
	fmt.Fprintf(w, "%s %s (engine %s, seed %d, %d peers): %.1fs of cluster time in %.1fs%s\n",
		verdict, res.Name, res.Engine, res.Seed, res.Peers, res.Duration.Seconds(), res.Wall.Seconds(), speed)
	if res.Failure != nil {
		fmt.Fprintf(w, "  first failure at %.3fs: %s\n", res.Failure.At.Seconds(), res.Failure)
		for _, v := range res.Violations {
			if v.Checker != res.Failure.Checker || v.Message != res.Failure.Message {
				fmt.Fprintf(w, "  also at %.3fs: %s\n", v.At.Seconds(), v)
			}
		}
	}
	c := res.Checks
	fmt.Fprintf(w, "  elections %d, highest term %d, commit index %d, restarts %d, snapshots %d taken %d installed\n",
		c.Elections, c.MaxTerm, c.CommitIndex, c.Restarts, c.Snapshots, c.Installs)
	fmt.Fprintf(w, "  faults %d", res.Faults)
	if res.Skipped > 0 {
		fmt.Fprintf(w, " (%d steps skipped)", res.Skipped)
	}
	fmt.Fprintf(w, ", RPCs %d, %s\n", res.Net.RPCs, chaos.FormatBytes(res.Net.Bytes))
	wl := res.Workload
	if wl.Proposed > 0 {
		fmt.Fprintf(w, "  proposals %d: %d committed, %d lost, %d in flight", wl.Proposed, wl.Committed, wl.Lost, wl.InFlight)
		if wl.Refused > 0 {
			fmt.Fprintf(w, " (%d found no leader)", wl.Refused)
		}
		if wl.Committed > 0 {
			fmt.Fprintf(w, "; commit latency p50 %s p99 %s", chaos.FormatDuration(wl.P50), chaos.FormatDuration(wl.P99))
		}
		fmt.Fprintln(w)
	}
	if res.KV != nil {
		res.KV.WriteSummary(w)
	}
	if c.LongestLeaderless > 0 {
		fmt.Fprintf(w, "  longest without a leader (majority up and connected): %s\n", chaos.FormatDuration(c.LongestLeaderless))
	}
	if len(res.Recoveries) > 0 {
		var parts []string
		for _, rc := range res.Recoveries {
			p := fmt.Sprintf("%s at %.1fs: ", rc.Fault, rc.At.Seconds())
			if rc.Leader >= 0 {
				p += "leader in " + chaos.FormatDuration(rc.Leader)
			} else {
				p += "no leader"
			}
			if rc.Commit >= 0 {
				p += ", commit in " + chaos.FormatDuration(rc.Commit)
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(w, "  recovery: %s\n", strings.Join(parts, "; "))
	}
}
