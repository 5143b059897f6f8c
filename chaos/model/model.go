// Package model is the run model: the one fold of a run's event stream into the state
// that every view reads. A Run applies events one at a time (Apply) and holds the run
// (time, timeline, verdict), every peer as the events show it (role, term, vote, leader,
// log terms, commit and apply indexes, snapshot, a leader's match and next for each
// follower, up, crashed or paused, clock rate), the network (cuts, link settings, totals),
// the client workload's proposals and their fate, a kv workload's figures, and the
// recoveries after heals. The runner folds a live run into one as it goes; a replay
// folds a trace into one; a report reads one; a UI shows its Views. The checkers (package
// check) fold the same events on their own, on purpose: a second opinion.
//
// The package holds only plain values and the fold: it links no engine and no network,
// so every view can import it.
package model

import (
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// Bounds on what a model keeps, whatever the length of the run.
const (
	// MaxViolations is how many violations a model keeps (it counts the rest).
	MaxViolations = 100
	// MaxRecoveries is how many recoveries a model keeps (it counts the rest).
	MaxRecoveries = 1000
)

// Info is what a model knows of a run before its first event: what a trace's header and
// scenario say. It is a plain value.
type Info struct {
	Name   string
	Engine string
	Seed   int64
	Peers  int
	// Config is the rest of what fixes the run, as a trace's header has it (the
	// scenario's text, the overrides, bugs, build and the command that runs it again);
	// a Result carries it, with the Name, Engine, Seed and Peers above.
	Config chaos.RunConfig
	// Steps is the scenario's timeline, nothing started; Bound how long it can take;
	// Duration the least time it runs (its duration line), whatever its steps.
	Steps    []StepState
	Bound    time.Duration
	Duration time.Duration
	// Rate is the workload's rate at the start; Rates the rate each workload step sets,
	// by its line. KVRate and KVRates are the same for a kv workload.
	Rate    float64
	Rates   map[int]float64
	KVRate  float64
	KVRates map[int]float64
}

// InfoOf returns the Info of a run of sc on engine with seed.
func InfoOf(sc *scenario.Scenario, engine string, seed int64) Info {
	in := Info{Name: sc.Name, Engine: engine, Seed: seed, Peers: sc.Header.Peers, Bound: sc.Bound(),
		Duration: sc.Header.Duration, Rates: map[int]float64{}, KVRates: map[int]float64{}, Config: chaos.RunConfig{Scenario: sc.Source}}
	for _, s := range sc.Steps {
		in.Steps = append(in.Steps, StepState{Text: s.String(), Line: s.Pos.Line})
		if w, ok := s.Cmd.(scenario.WorkloadCmd); ok {
			in.Rates[s.Pos.Line], in.KVRates[s.Pos.Line] = rateOf(w), kvRateOf(w)
		}
	}
	h := scenario.WorkloadCmd{Spec: sc.Header.Workload}
	in.Rate, in.KVRate = rateOf(h), kvRateOf(h)
	return in
}

// InfoFromHeader returns the Info a trace's header gives: its run, and the timeline of
// the scenario it carries, with the command line's overrides applied as they were during
// the run (no timeline if the scenario no longer parses: the run still plays).
func InfoFromHeader(h chaos.TraceHeader) Info {
	in := Info{Name: h.Name, Engine: h.Engine, Seed: h.Seed, Peers: h.Peers}
	if sc, err := scenario.Parse(h.Name+".chaos", []byte(h.Scenario)); err == nil {
		if h.Overrides != nil {
			ApplyOverrides(sc, *h.Overrides)
		}
		sc.Header.Peers = h.Peers
		in = InfoOf(sc, h.Engine, h.Seed)
	}
	in.Config = h.RunConfig
	return in
}

func rateOf(w scenario.WorkloadCmd) float64 {
	if w.Spec == nil || w.Spec.Kind != scenario.DefaultWorkloadKind {
		return 0
	}
	return w.Spec.Rate()
}

// kvRateOf returns the rate of a kv workload line, 0 for another.
func kvRateOf(w scenario.WorkloadCmd) float64 {
	if w.Spec == nil || w.Spec.Kind != scenario.KVWorkloadKind {
		return 0
	}
	return w.Spec.Rate()
}

// Run is the model of one run: the events applied so far, folded. Create it with New,
// feed it every event of the run in order with Apply, read it with View, State, Result
// and the other methods. Not safe for concurrent use: a caller that applies events from
// a bus sink and reads from another goroutine serialises the two.
type Run struct {
	info Info

	now       time.Duration
	ended     bool
	stoppedIn *Interruption // where the run was stopped, if before its timeline was over
	peers     []peer
	net       chaos.NetState
	netStats  chaos.NetStats
	steps     []StepState
	current   int
	rate      float64
	kvRate    float64
	failure   *chaos.Violation
	viols     []chaos.Violation
	moreViol  int
	fig       Figures
	leaders   map[[2]int]bool // (term, peer) pairs seen leading
	wl        workload
	kv        kvFold
	recov     []Recovery
	moreRec   int
	waitLead  int // recoveries still without a leader
	waitCom   int // recoveries still without a commit

	settled []Settled // of the last Apply
}

// New returns the model of a run as in says, before its first event: every peer down
// and empty (each boots with its first event), a healthy network.
func New(in Info) *Run {
	m := &Run{info: in, net: chaos.NewNetState(in.Peers), peers: make([]peer, in.Peers),
		steps: slices.Clone(in.Steps), current: -1, rate: in.Rate, kvRate: in.KVRate, leaders: map[[2]int]bool{},
		wl: workload{pending: map[int][]pending{}}}
	for i := range m.peers {
		m.peers[i] = newPeer(i)
	}
	return m
}

// Clone returns a copy of m that shares nothing it changes with it: applying events to
// one leaves the other as it was.
func (m *Run) Clone() *Run {
	c := *m
	c.peers = make([]peer, len(m.peers))
	for i := range m.peers {
		c.peers[i] = m.peers[i].clone()
	}
	c.net = m.net.Clone()
	c.steps = slices.Clone(m.steps)
	if m.failure != nil {
		f := *m.failure
		c.failure = &f
	}
	c.viols = slices.Clone(m.viols)
	c.leaders = make(map[[2]int]bool, len(m.leaders))
	for k, v := range m.leaders {
		c.leaders[k] = v
	}
	c.wl = m.wl.clone()
	c.kv = m.kv.clone()
	c.recov = slices.Clone(m.recov)
	c.settled = nil
	return &c
}

// Settled is a workload proposal whose fate an event decided: committed (applied with
// its command at its index, by the first peer to apply that index) or lost (another
// command was). It is a plain value.
type Settled struct {
	Proposed, Done time.Duration
	Committed      bool
}

// Effect is what an event changed that the event alone does not say. The slices are
// the model's: valid until the next Apply.
type Effect struct {
	// StepDown: a leader became a follower.
	StepDown bool
	// Settled are the proposals the event settled.
	Settled []Settled
}

// Apply folds e into the model, and says what it changed that e does not say. Events
// must come in the order of the run (by Seq).
func (m *Run) Apply(e chaos.Event) Effect {
	m.fig.Events++
	m.now = max(m.now, e.At)
	m.settled = m.settled[:0]
	var eff Effect
	switch e.Kind {
	case chaos.EventRaft:
		if r := e.Raft; r != nil && r.Peer >= 0 && r.Peer < len(m.peers) {
			if e.Sampled {
				m.peers[r.Peer].sampled = true
			}
			eff.StepDown = m.raft(e.At, r)
		}
	case chaos.EventDeliver:
		if d := e.Deliver; d != nil && e.Peer >= 0 && e.Peer < len(m.peers) && m.peers[e.Peer].sampled {
			m.delivered(e.At, e.Peer, d)
		}
	case chaos.EventNet:
		if n := e.Net; n != nil {
			switch n.Kind {
			case chaos.NetSent:
				m.netStats.RPCs++
				m.netStats.Bytes += int64(n.Bytes)
			case chaos.NetReplied, chaos.NetDuplicated:
				m.netStats.Bytes += int64(n.Bytes)
			}
		}
	case chaos.EventFault:
		if e.Fault != nil {
			m.fault(e.At, *e.Fault)
		}
	case chaos.EventPropose:
		if p := e.Propose; p != nil && p.Source == "" {
			m.propose(e.At, *p)
		}
	case chaos.EventStep:
		m.step(e)
	case chaos.EventExpect:
		if !e.OK {
			m.finishStep(e.Line, StepFailed)
		}
	case chaos.EventViolation:
		if e.Violation != nil {
			m.violation(e)
		}
	case chaos.EventNote:
		// Older traces said a step was skipped only in a note.
		if e.Line > 0 && strings.Contains(e.Text, ": skipped: ") {
			m.finishStep(e.Line, StepSkipped)
		}
		if e.KV != nil {
			k := *e.KV
			m.kv.check, m.kv.checkAt = &k, e.At
		}
	case chaos.EventCall:
		if c := e.Client; c != nil {
			m.kv.call(*c)
		}
	case chaos.EventClient:
		if c := e.Client; c != nil {
			m.kv.add(*c)
		}
	case chaos.EventEnd:
		m.end(e.End)
	}
	eff.Settled = m.settled
	return eff
}

// ---- Peers --------------------------------------------------------------------------------

// raft folds a peer's event; it reports whether a leader stepped down.
func (m *Run) raft(at time.Duration, r *raftpb.Event) (stepDown bool) {
	p := &m.peers[r.Peer]
	m.fig.MaxTerm = max(m.fig.MaxTerm, r.Term)
	if r.Kind == raftpb.EventBoot {
		p.boot(r)
		if p.lives > 1 {
			m.fig.Restarts++
		}
		m.leadersChanged(at)
		return false
	}
	wasLeader := p.role == raftpb.Leader
	termChanged := p.term != r.Term
	p.term, p.role = r.Term, r.Role
	switch r.Kind {
	case raftpb.EventRole:
		p.leader = r.Other
		switch r.Role {
		case raftpb.Candidate:
			p.votedFor = p.id
		case raftpb.Leader:
			p.leader = p.id
			p.progress = make([]raftpb.Progress, len(m.peers))
			m.elected(r.Term, p.id)
		}
		if r.Role != raftpb.Leader {
			p.progress = nil
		}
		m.leadersChanged(at)
		return wasLeader && r.Role != raftpb.Leader
	case raftpb.EventTerm:
		p.votedFor, p.leader = raftpb.None, raftpb.None
		m.leadersChanged(at)
	case raftpb.EventVote:
		if r.Granted && !r.PreVote {
			p.votedFor = r.Other
		}
	case raftpb.EventAppend:
		p.put(r.Index, r.Entries)
	case raftpb.EventTruncate:
		p.cut(r.Index - 1)
		m.fig.Truncated += r.LastIndex - r.Index + 1
	case raftpb.EventCommit:
		p.commit = max(p.commit, r.LastIndex)
		m.fig.CommitIndex = max(m.fig.CommitIndex, r.LastIndex)
	case raftpb.EventApply:
		p.applied = max(p.applied, r.LastIndex)
		m.fig.Applied = max(m.fig.Applied, r.LastIndex)
		m.applied(at, r)
	case raftpb.EventSnapshot:
		p.compact(r.LastIndex, r.PrevTerm)
		m.fig.Snapshots++
	case raftpb.EventInstallSnapshot:
		p.compact(r.LastIndex, r.PrevTerm)
		p.commit, p.applied = max(p.commit, r.LastIndex), r.LastIndex
		m.fig.Installs++
	case raftpb.EventProgress:
		if p.progress != nil && r.Other >= 0 && r.Other < len(p.progress) {
			p.progress[r.Other] = raftpb.Progress{Match: r.Index, Next: r.LastIndex, State: r.State}
		}
	}
	if termChanged {
		m.leadersChanged(at)
	}
	return false
}

// delivered folds what the service of a peer seen from outside received: the only news
// of its log, its commit index and its applies (commit as seen through applies). The
// core events of a peer MiniRaft can see into say all that already, and better.
func (m *Run) delivered(at time.Duration, id int, d *chaos.Delivery) {
	p := &m.peers[id]
	if d.Snapshot {
		p.compact(d.Index, d.Term)
	} else if d.Index > p.snapIndex {
		p.put(d.Index, []raftpb.Entry{{Term: d.Term, Command: d.Command}})
	}
	p.commit, p.applied = max(p.commit, d.Index), d.Index
	m.fig.CommitIndex = max(m.fig.CommitIndex, d.Index)
	m.fig.Applied = max(m.fig.Applied, d.Index)
	if d.Snapshot {
		m.fig.Installs++
		return
	}
	m.applied(at, &raftpb.Event{Kind: raftpb.EventApply, Peer: id, Index: d.Index, LastIndex: d.Index,
		Entries: []raftpb.Entry{{Term: d.Term, Command: d.Command}}})
}

// elected counts a (term, leader) pair once, and forgets pairs of terms no peer can lead
// any more (below every peer's term), so the set stays small however long the run.
func (m *Run) elected(term, id int) {
	k := [2]int{term, id}
	if m.leaders[k] {
		return
	}
	m.leaders[k] = true
	m.fig.Elections++
	if len(m.leaders) > 64 {
		low := term
		for i := range m.peers {
			low = min(low, m.peers[i].term)
		}
		for k := range m.leaders {
			if k[0] < low {
				delete(m.leaders, k)
			}
		}
	}
}

func (m *Run) fault(at time.Duration, f chaos.Fault) {
	m.fig.Faults++
	for _, id := range f.Peers {
		if id < 0 || id >= len(m.peers) {
			continue
		}
		p := &m.peers[id]
		switch f.Kind {
		case chaos.Crash:
			p.state, p.role, p.leader, p.progress = chaos.Crashed, raftpb.Follower, raftpb.None, nil
		case chaos.Pause:
			if p.state == chaos.Up {
				p.state = chaos.Paused
			}
		case chaos.Resume:
			if p.state == chaos.Paused {
				p.state = chaos.Up
			}
		case chaos.Skew:
			p.rate = f.Rate
		}
	}
	if f.Kind == chaos.Reset {
		for i := range m.peers {
			m.peers[i].rate = 1
		}
	}
	if f.Validate(len(m.peers)) == nil {
		m.net.Apply(f)
	}
	if f.Kind == chaos.Heal || f.Kind == chaos.Reset {
		if len(m.recov) < MaxRecoveries {
			m.recov = append(m.recov, Recovery{Fault: f.String(), At: at, Leader: -1, Commit: -1})
			m.waitLead++
			m.waitCom++
		} else {
			m.moreRec++
		}
	}
	m.leadersChanged(at)
}

// leadersChanged settles the recoveries waiting for a leader, if there is one now.
func (m *Run) leadersChanged(at time.Duration) {
	if m.waitLead == 0 {
		return
	}
	if id, _ := (scenario.Observation{Peers: m.Peers(), Net: m.net}).Leader(); id == raftpb.None {
		return
	}
	for i := range m.recov {
		if r := &m.recov[i]; r.Leader < 0 {
			r.Leader = at - r.At
		}
	}
	m.waitLead = 0
}

// ---- The timeline ---------------------------------------------------------------------------

// step follows the timeline: a step starting (a repetition of an every step, or a
// command typed at a UI, leaves it alone) or finishing; and workload changes.
func (m *Run) step(e chaos.Event) {
	if e.Outcome != "" {
		m.finishStep(e.Line, stepStatusOf(e.Outcome))
		return
	}
	if r, ok := m.info.Rates[e.Line]; ok && e.Line > 0 {
		m.rate, m.kvRate = r, m.info.KVRates[e.Line]
	}
	if typed, ok := strings.CutPrefix(e.Text, "> "); ok && e.Line <= 0 {
		if c, err := scenario.ParseCommand(typed); err == nil {
			if w, ok := c.(scenario.WorkloadCmd); ok {
				m.rate, m.kvRate = rateOf(w), kvRateOf(w)
			}
		}
	}
	if e.Line <= 0 {
		return
	}
	i := slices.IndexFunc(m.steps, func(st StepState) bool { return st.Line == e.Line })
	if i < 0 || m.steps[i].Status != StepPending {
		return
	}
	if m.current >= 0 && m.steps[m.current].Status == StepRunning {
		m.steps[m.current].Status = StepDone
	}
	m.steps[i].Status, m.steps[i].At, m.current = StepRunning, e.At, i
}

func (m *Run) finishStep(line int, status StepStatus) {
	if line <= 0 {
		return
	}
	if i := slices.IndexFunc(m.steps, func(st StepState) bool { return st.Line == line }); i >= 0 && m.steps[i].Status != StepPending {
		m.steps[i].Status = status
	}
}

func (m *Run) violation(e chaos.Event) {
	v := *e.Violation
	if v.Seq == 0 {
		v.Seq = e.Seq
	}
	if v.At == 0 {
		v.At = e.At
	}
	if m.failure == nil {
		f := v
		m.failure = &f
	}
	if len(m.viols) < MaxViolations {
		m.viols = append(m.viols, v)
	} else {
		m.moreViol++
	}
}

func (m *Run) end(r *chaos.RunEnd) {
	m.ended = true
	if r != nil && r.Interrupted {
		// The step the run was in stays running: it never finished.
		m.stoppedIn = m.interruption()
	} else {
		for i := range m.steps {
			if m.steps[i].Status == StepRunning {
				m.steps[i].Status = StepDone
			}
		}
	}
	if r != nil {
		m.netStats = r.Net
		m.fig.LongestLeaderless, m.fig.MaxCommitWait = r.LongestLeaderless, r.MaxCommitWait
		if r.KV != nil {
			k := *r.KV
			m.kv.check, m.kv.checkAt = &k, m.now
		}
	}
}

// interruption says where the run stands, for a run stopped now.
func (m *Run) interruption() *Interruption {
	in := &Interruption{Steps: len(m.steps), At: m.now, Bound: m.info.Bound}
	if m.current >= 0 {
		in.Step = m.current + 1
		in.Finished = m.steps[m.current].Status != StepRunning
		in.Text = m.steps[m.current].Text
	}
	return in
}

// usesKV reports whether a step of the scenario sets a kv workload.
func (m *Run) usesKV() bool {
	for _, r := range m.info.KVRates {
		if r > 0 {
			return true
		}
	}
	return false
}

// ---- Reading ------------------------------------------------------------------------------

// Now returns the time of the latest event.
func (m *Run) Now() time.Duration { return m.now }

// Info returns what the model was made with.
func (m *Run) Info() Info { return m.info }

// Ended reports whether the run's end event has been applied.
func (m *Run) Ended() bool { return m.ended }

// Peers returns every peer's status, as the engines report it.
func (m *Run) Peers() []chaos.PeerStatus {
	out := make([]chaos.PeerStatus, len(m.peers))
	for i := range m.peers {
		out[i] = m.peers[i].status()
	}
	return out
}

// PeerState returns whether peer id is up, crashed or paused, and its role and term.
func (m *Run) PeerState(id int) (chaos.PeerState, raftpb.Role, int) {
	p := &m.peers[id]
	if p.state == chaos.Crashed {
		return p.state, raftpb.Follower, p.term
	}
	return p.state, p.role, p.term
}

// InFlight returns when each workload proposal still waiting for its fate was made, in
// order.
func (m *Run) InFlight() []time.Duration {
	var out []time.Duration
	for _, ps := range m.wl.pending {
		for _, p := range ps {
			out = append(out, p.at)
		}
	}
	slices.Sort(out)
	return out
}

// Net returns the network's state.
func (m *Run) Net() chaos.NetState { return m.net.Clone() }

// NetStats returns the network's totals: from the message events seen, or from the
// run's end event once it has come.
func (m *Run) NetStats() chaos.NetStats { return m.netStats }

// Figures returns the run's figures.
func (m *Run) Figures() Figures { return m.fig }

// Workload returns the workload's figures.
func (m *Run) Workload() WorkloadStats { return m.wl.stats() }

// KV returns the kv workload's figures, or nil if no kv operation has ended.
func (m *Run) KV() *KVStats {
	if m.kv.ops == 0 {
		return nil
	}
	s := m.kv.stats()
	return &s
}

// Committed returns the proposals committed and kv operations answered so far (what a
// scenario's commits condition counts).
func (m *Run) Committed() int { return m.wl.committed + m.kv.ok }

// Lost returns the proposals lost so far.
func (m *Run) Lost() int { return m.wl.lost }

// Failure returns the first violation or failed expectation, or nil.
func (m *Run) Failure() *chaos.Violation {
	if m.failure == nil {
		return nil
	}
	f := *m.failure
	return &f
}

// Observation returns what a scenario's conditions are evaluated against, now.
func (m *Run) Observation() scenario.Observation {
	return scenario.Observation{Peers: m.Peers(), Net: m.net.Clone(), Commits: m.Committed(), Lost: m.Lost(), Elections: m.fig.Elections}
}

// State returns the run's progress as of the latest event. Paused and Speed are the
// caller's to fill; Done says whether the run's end event has come.
func (m *Run) State() State {
	st := State{
		Name: m.info.Name, Engine: m.info.Engine, Seed: m.info.Seed, Now: m.now, Bound: m.info.Bound, Duration: m.info.Duration,
		Steps: slices.Clone(m.steps), Current: m.current, Done: m.ended, Rate: m.rate,
		Faults: m.fig.Faults, Failure: m.Failure(), Workload: m.wl.stats(), Checks: m.fig, KV: m.KV(),
	}
	if m.stoppedIn != nil {
		in := *m.stoppedIn
		st.Interrupted = &in
	}
	if m.kvRate > 0 || m.kv.ops > 0 || len(m.kv.pending) > 0 || m.info.KVRate > 0 || m.usesKV() {
		st.Clients = m.kv.clientsAt(m.now, m.kvRate)
	}
	return st
}

// View returns the cluster as the model shows it now.
func (m *Run) View() View {
	return View{Run: m.State(), Peers: m.Peers(), Net: m.net.Clone(), Stats: m.netStats}
}

// Result returns the run's outcome as of now: the model's figures and the verdict.
func (m *Run) Result() Result {
	res := Result{
		RunConfig: m.info.Config,
		Duration:  m.now, Failure: m.Failure(), Violations: slices.Clone(m.viols),
		Checks: m.fig, Workload: m.wl.stats(), Net: m.netStats, Faults: m.fig.Faults,
		Recoveries: slices.Clone(m.recov), KVStats: m.KV(),
	}
	res.Name, res.Engine, res.Seed, res.Peers = m.info.Name, m.info.Engine, m.info.Seed, m.info.Peers
	res.Bugs = slices.Clone(res.Bugs)
	if k := m.kv.check; k != nil {
		c := *k
		res.KVCheck = &c
	}
	if m.stoppedIn != nil {
		in := *m.stoppedIn
		res.Interrupted = &in
	}
	res.Pass = res.Failure == nil && res.Interrupted == nil
	for _, s := range m.steps {
		if s.Status == StepSkipped {
			res.Skipped++
		}
	}
	return res
}
