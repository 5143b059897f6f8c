package scenario

import (
	"fmt"
	"strings"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft/raftpb"
)

// TriggerKind is the kind of event an on command waits for.
type TriggerKind uint8

// The trigger kinds: see triggers for what each matches.
const (
	OnLeader TriggerKind = iota + 1
	OnCandidate
	OnStepDown
	OnTerm
	OnVote
	OnAppend
	OnTruncate
	OnCommit
	OnSnapshot
	OnInstall
	OnPersist
	OnBoot
)

// TriggerSpec describes one kind of event an on command can wait for.
type TriggerSpec struct {
	Kind          TriggerKind
	Name, Summary string
	// match reports whether a raft event is of this kind, given its peer's role just
	// before it.
	match func(e *raftpb.Event, was raftpb.Role) bool
}

// triggers lists the trigger kinds, in the order of their constants: the moments where
// persistence and term bugs hide (right after a vote, an election, a snapshot installed,
// a save).
var triggers = []TriggerSpec{
	{OnLeader, "leader", "a peer becomes leader", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventRole && e.Role == raftpb.Leader
	}},
	{OnCandidate, "candidate", "a peer starts an election (becomes candidate; pre-votes do not count)", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventRole && e.Role == raftpb.Candidate
	}},
	{OnStepDown, "stepdown", "a leader steps down", func(e *raftpb.Event, was raftpb.Role) bool {
		return e.Kind == raftpb.EventRole && was == raftpb.Leader && e.Role != raftpb.Leader
	}},
	{OnTerm, "term", "a peer's term rises", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventTerm
	}},
	{OnVote, "vote", "a peer grants its vote (pre-votes do not count)", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventVote && e.Granted && !e.PreVote
	}},
	{OnAppend, "append", "entries are appended to a peer's log", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventAppend
	}},
	{OnTruncate, "truncate", "a peer removes conflicting entries from its log", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventTruncate
	}},
	{OnCommit, "commit", "a peer's commit index rises", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventCommit
	}},
	{OnSnapshot, "snapshot", "a peer compacts its log into a snapshot", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventSnapshot
	}},
	{OnInstall, "install", "a peer installs a snapshot sent by the leader", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventInstallSnapshot
	}},
	{OnPersist, "persist", "a peer changes what it persists: term, vote, log or snapshot", func(e *raftpb.Event, _ raftpb.Role) bool {
		switch e.Kind {
		case raftpb.EventTerm, raftpb.EventAppend, raftpb.EventTruncate, raftpb.EventSnapshot, raftpb.EventInstallSnapshot:
			return true
		case raftpb.EventVote:
			return e.Granted && !e.PreVote
		}
		return false
	}},
	{OnBoot, "boot", "a peer starts (a restart)", func(e *raftpb.Event, _ raftpb.Role) bool {
		return e.Kind == raftpb.EventBoot
	}},
}

// Triggers lists the kinds of events an on command can wait for.
func Triggers() []TriggerSpec { return append([]TriggerSpec(nil), triggers...) }

func (k TriggerKind) spec() (TriggerSpec, bool) {
	if k == 0 || int(k) > len(triggers) {
		return TriggerSpec{}, false
	}
	return triggers[k-1], true
}

func (k TriggerKind) String() string {
	if s, ok := k.spec(); ok {
		return s.Name
	}
	return fmt.Sprintf("TriggerKind(%d)", k)
}

func triggerNames() []string {
	out := make([]string, len(triggers))
	for i, t := range triggers {
		out[i] = t.Name
	}
	return out
}

// OnCmd arms a fault to fire at the moment after an event, rather than at a time: the
// first Times events of kind Event at the peers Peers picks (ids; any peer when its Kind
// is zero) each fire Cmd, resolved then (so "leader" is the leader of that moment). A
// firing that is still to be carried out when more such events happen takes them with
// it: one moment, one firing.
type OnCmd struct {
	Event TriggerKind
	Peers Sel
	Times int
	Cmd   FaultCmd
}

func (OnCmd) command() {}

// Name returns "on".
func (OnCmd) Name() string     { return "on" }
func (c OnCmd) String() string { return describe(c) }

// Matches reports whether the raft event e (of any peer) is one the command waits for;
// was is e's peer's role just before e.
func (c OnCmd) Matches(e raftpb.Event, was raftpb.Role) bool {
	t, ok := c.Event.spec()
	if !ok || !t.match(&e, was) {
		return false
	}
	if c.Peers.Kind == 0 {
		return true
	}
	for _, id := range c.Peers.IDs {
		if id == e.Peer {
			return true
		}
	}
	return false
}

// triggerCommand is the on command's entry in the table of commands.
var triggerCommand = CommandSpec{
	Name:    "on",
	Usage:   "on EVENT [IDS] [once | times N] FAULT",
	Summary: "fire FAULT the moment after EVENT (leader, vote, persist...) at those peers, once or N times",
	parse: func(p *parser) Command {
		names := triggerNames()
		p.offer(names...)
		t := p.need("an event like leader, vote or persist", "as in on vote 2 crash 2")
		c := OnCmd{Times: 1}
		for i, n := range names {
			if n == t.text {
				c.Event = TriggerKind(i + 1)
			}
		}
		if c.Event == 0 {
			p.fail(t, "unknown event", didYouMean(t.text, names, "events are "+strings.Join(names, " ")))
		}
		p.offerIDs(nil)
		if n, ok := p.peek(); ok && n.text != "" && n.text[0] >= '0' && n.text[0] <= '9' {
			c.Peers = p.sel(false)
		}
		p.offer("once", "times")
		switch {
		case p.peekIs("once"):
			p.i++
		case p.peekIs("times"):
			p.i++
			c.Times = p.number(p.need("a number of times", "as in on leader times 3 crash leader"), "times", 1, maxTimes)
		}
		var faults []string
		for _, s := range specs {
			if s.Fault != 0 {
				faults = append(faults, s.Name)
			}
		}
		p.offer(faults...)
		ft := p.need("a fault", "as in on vote 2 crash 2")
		s, ok := byName[ft.text]
		switch {
		case ok && s.Fault != 0:
			c.Cmd = p.parseFault(s.Fault).(FaultCmd)
		case ok || isHeaderKey(ft.text):
			p.fail(ft, "on fires faults only, got", "as in on vote 2 crash 2")
		default:
			p.fail(ft, "unknown fault", didYouMean(ft.text, faults, "faults are "+strings.Join(faults, " ")))
		}
		return c
	},
	validate: func(v *validator, pos Pos, cmd Command) {
		c := cmd.(OnCmd)
		if _, ok := c.Event.spec(); !ok {
			v.add(pos, c.Event.String(), "unknown event", "")
		}
		switch {
		case c.Peers.Kind == chaos.SelIDs:
			v.sel(c.Peers, false)
		case c.Peers.Kind != 0:
			v.add(c.Peers.Pos, c.Peers.String(), "expected peer ids, got", "an on command names the peers whose events count by id")
		}
		if c.Times < 1 || c.Times > maxTimes {
			v.add(pos, fmt.Sprint(c.Times), fmt.Sprintf("expected a number of times from 1 to %d, got", maxTimes), "")
		}
		v.fault(pos, c.Cmd)
	},
	describe: func(cmd Command) string {
		c := cmd.(OnCmd)
		s := "on " + c.Event.String()
		if c.Peers.Kind != 0 {
			s += " " + c.Peers.String()
		}
		if c.Times != 1 {
			s += fmt.Sprintf(" times %d", c.Times)
		}
		return s + " " + c.Cmd.String()
	},
}
