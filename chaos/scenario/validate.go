package scenario

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Validate checks a scenario built in code (a generator's or a shrinker's) by the rules
// Parse applies: header values in range, selectors valid with ids below Header.Peers,
// values in range, and the commands an every step may repeat. Errors are at the
// selector's or the step's position. A scenario Parse returned always passes. It returns
// an ErrorList, or nil.
func (s *Scenario) Validate() error {
	v := &validator{peers: s.Header.Peers}
	v.header(&s.Header)
	if v.errs == nil {
		for _, st := range s.Steps {
			v.step(st)
		}
	}
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs.sortAndCap()
}

// ValidateCommand checks a command (from ParseCommand, say) against a cluster of peers
// peers: every id must be below peers.
func ValidateCommand(c Command, peers int) error {
	if peers < 1 {
		return ErrNoPeers
	}
	v := &validator{peers: peers}
	v.cmd(Pos{}, c)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs[0]
}

// ErrNoPeers is returned by ValidateCommand for a cluster without peers.
var ErrNoPeers = errors.New("a cluster needs at least one peer")

type validator struct {
	peers int
	errs  ErrorList
}

func (v *validator) add(pos Pos, token, msg, hint string) {
	v.errs = append(v.errs, &Error{Pos: pos, Token: token, Msg: msg, Hint: hint})
}

// dur checks that d is within 0..MaxDuration, and above zero if positive is set.
func (v *validator) dur(pos Pos, what string, d time.Duration, positive bool) {
	switch {
	case d < 0 || d > MaxDuration:
		v.add(pos, fmtDur(d), what+": expected a duration from 0 to 24h, got", "")
	case positive && d == 0:
		v.add(pos, fmtDur(d), what+": expected a duration longer than 0, got", "")
	}
}

func (v *validator) header(h *Header) {
	var pos Pos
	if h.Peers < 1 || h.Peers > MaxPeers {
		v.add(pos, fmt.Sprint(h.Peers), fmt.Sprintf("expected a number of peers from 1 to %d, got", MaxPeers), "")
	}
	v.dur(pos, "timing tick", h.Timing.Tick, false)
	v.dur(pos, "timing heartbeat", h.Timing.Heartbeat, false)
	v.dur(pos, "timing election", h.Timing.ElectionMin, false)
	v.dur(pos, "timing election", h.Timing.ElectionMax, false)
	if msg := h.Timing.describeProblem(); msg != "" && v.errs == nil {
		v.add(pos, "", msg, "")
	}
	v.workload(pos, h.Workload)
	v.dur(pos, "duration", h.Duration, false)
	if l := h.Liveness; l.Off && (l.Leader != 0 || l.Commit != 0) {
		v.add(pos, "", "liveness off takes no bounds", "")
	} else if !l.Off {
		v.dur(pos, "liveness leader", l.Leader, true)
		v.dur(pos, "liveness commit", l.Commit, true)
	}
	if h.SnapshotEvery < 0 || h.SnapshotEvery > maxSnapshotEvery {
		v.add(pos, fmt.Sprint(h.SnapshotEvery), fmt.Sprintf("snapshot: expected a number of entries from 1 to %d, got", maxSnapshotEvery), "")
	}
}

func (v *validator) workload(pos Pos, w *WorkloadSpec) {
	if w == nil {
		return
	}
	specs, ok := workloadKinds[w.Kind]
	if !ok {
		v.add(pos, w.Kind, "unknown workload kind", "")
		return
	}
	for i, p := range w.Params {
		j := slices.IndexFunc(specs, func(s paramSpec) bool { return s.key == p.Key })
		switch {
		case j < 0:
			v.add(pos, p.Key, "unknown workload key", "")
		case !specs[j].ok(p.Value):
			v.add(pos, p.Value, "expected "+specs[j].want+", got", "")
		case slices.ContainsFunc(w.Params[:i], func(q Param) bool { return q.Key == p.Key }):
			v.add(pos, p.Key, "duplicate key", "")
		}
	}
	for _, s := range specs {
		if _, ok := w.Get(s.key); s.required && !ok {
			v.add(pos, "", "the workload needs "+s.key+"=", "")
		}
	}
}

func (v *validator) step(st Step) {
	if sch := scheduleOf(st); sch != nil {
		sch.validateStep(v, st)
	} else if st.When.At != 0 {
		v.add(st.Pos, "", "a bare step has no time", "")
	}
	v.cmd(st.Pos, st.Cmd)
}

func (v *validator) cmd(pos Pos, c Command) {
	if c == nil {
		v.add(pos, "", "missing command", "")
		return
	}
	s, ok := byName[c.Name()]
	if !ok || s.Form != FormCommand {
		v.add(pos, fmt.Sprintf("%T", c), "unknown command type", "")
		return
	}
	s.validate(v, pos, c)
}

// sel checks a selector; after says whether an earlier one is on the line.
func (v *validator) sel(s Sel, after bool) {
	pos := s.Pos
	switch {
	case s.Kind == chaos.SelIDs:
		if len(s.IDs) == 0 {
			v.add(pos, "", "an id selector without ids", "")
		}
		for i, id := range s.IDs {
			switch {
			case id < 0 || id >= v.peers:
				v.add(pos, fmt.Sprint(id), "no such peer", peersHint(v.peers))
			case slices.Contains(s.IDs[:i], id):
				v.add(pos, fmt.Sprint(id), "peer given twice:", "")
			}
		}
	case s.Kind == chaos.SelOthers && !after:
		v.add(pos, "others", "nothing before", "")
	case s.Kind < chaos.SelIDs || s.Kind > chaos.SelCrashed:
		v.add(pos, s.String(), "unknown selector", "")
	}
}

func (v *validator) fault(pos Pos, c FaultCmd) {
	spec, ok := c.Kind.Spec()
	if !ok {
		v.add(pos, c.Kind.String(), "unknown fault", "")
		return
	}
	if c.Replies && !spec.Args.LinkSetting() {
		v.add(pos, c.String(), "only link settings (loss, delay, reorder, duplicate) can be for replies:", "")
	}
	switch spec.Args {
	case chaos.ArgsPeers:
		v.sel(c.Peers, false)
	case chaos.ArgsPeersRate:
		v.sel(c.Peers, false)
		if !(c.Rate >= minSkew && c.Rate <= maxSkew) {
			v.add(pos, fmtFloat(c.Rate), "expected a clock rate from 0.01x to 100x, got", "")
		}
	case chaos.ArgsGroups, chaos.ArgsBridge:
		bridge := spec.Args == chaos.ArgsBridge
		if len(c.Groups) == 0 || bridge && len(c.Groups) != 3 {
			v.add(pos, c.String(), "wrong number of groups:", "")
			return
		}
		var seen []int
		for i, g := range c.Groups {
			v.sel(g, i > 0)
			for _, id := range g.IDs {
				if slices.Contains(seen, id) {
					v.add(g.Pos, fmt.Sprint(id), "peer in two groups:", "")
				}
			}
			seen = append(seen, g.IDs...)
		}
		if bridge && !c.Groups[1].single() {
			v.add(c.Groups[1].Pos, c.Groups[1].String(), "expected one peer in the middle of a bridge, got", "")
		}
	case chaos.ArgsLinks:
		v.sel(c.From, false)
		v.sel(c.To, true)
	case chaos.ArgsProb, chaos.ArgsDelay:
		if spec.Args == chaos.ArgsDelay {
			v.dur(pos, "delay", c.Min, false)
			v.dur(pos, "delay", c.Max, false)
			if c.Max < c.Min {
				v.add(pos, fmtDur(c.Min)+"-"+fmtDur(c.Max), "expected a delay range low-high, got", "")
			}
		} else if !(c.P >= 0 && c.P <= 1) {
			v.add(pos, fmtFloat(c.P), "expected a probability like 10% or 0.1, got", "")
		}
		if c.HasLinks() || c.To.Kind != 0 {
			v.sel(c.From, false)
			v.sel(c.To, true)
		}
	}
}

func (v *validator) cond(pos Pos, c Cond, relOK bool) {
	switch {
	case c.Kind < CondLeader || c.Kind > CondLeaders:
		v.add(pos, c.Kind.String(), "unknown condition", "")
	case c.Kind.counter() && (c.Op < OpEQ || c.Op > OpGE):
		v.add(pos, c.Op.String(), "expected an operator (== != < <= > >=), got", "")
	case c.N < 0 || c.N > maxCount:
		v.add(pos, fmt.Sprint(c.N), "expected a number, got", "")
	case !(c.Kind == CondCommit || c.Kind.counter()) && (c.N != 0 || c.Op != 0 || c.Relative),
		c.Kind == CondCommit && c.Op != 0:
		v.add(pos, c.String(), "a number or operator where the condition takes none:", "")
	case c.Kind != CondLeaderIs && c.Kind != CondLeaderNot && c.Sel.Kind != 0:
		v.add(pos, c.String(), "peers where the condition takes none:", "")
	case c.Relative && !relOK:
		v.add(pos, "+"+fmt.Sprint(c.N), "a relative number needs a span of time:", "")
	case c.Kind == CondLeaderIs || c.Kind == CondLeaderNot:
		if c.Sel.Kind != chaos.SelIDs {
			v.add(c.Sel.Pos, c.Sel.String(), "expected peer ids, got", "")
		} else {
			v.sel(c.Sel, false)
		}
	}
}
