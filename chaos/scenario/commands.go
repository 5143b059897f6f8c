package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/miniraft/miniraft/chaos"
)

// Form says where a command of the language may stand.
type Form uint8

// The forms.
const (
	// FormCommand is a command: a step of a scenario file, or a line typed at the TUI's
	// command bar.
	FormCommand Form = iota
	// FormSchedule is a step's schedule (at, every): the words before a step's command,
	// in scenario files only.
	FormSchedule
)

// CommandSpec is one command of the scenario language: its name, syntax and summary,
// and how it is parsed, validated and described. The table of them (Specs) drives the
// parser, Validate, Format, the TUI's help (Commands), completion (Complete) and the
// README's tables (a test keeps them true). The faults' entries are made from
// chaos.FaultSpecs. Adding a command is one entry here, its AST type, and what the
// runner does with it.
type CommandSpec struct {
	Name string
	// Usage is the syntax as help shows it ("wait COND within D"); Summary says what the
	// command does, in one line.
	Usage, Summary string
	Form           Form
	// Fault is the fault kind of a fault's entry, and 0 for the other commands.
	Fault chaos.FaultKind

	// A command's (FormCommand) parse reads its arguments, the parser standing after its
	// name; validate checks one built in code by the rules parse applies; describe
	// renders it in the language (its String).
	parse    func(p *parser) Command
	validate func(v *validator, pos Pos, c Command)
	describe func(c Command) string

	// A schedule's (FormSchedule) schedule reads its words after its name into st, then
	// the step's command; scheduled reports whether a step has this schedule;
	// validateStep checks a step built in code; describeStep renders the schedule's
	// words.
	schedule     func(p *parser, st *Step)
	scheduled    func(st Step) bool
	validateStep func(v *validator, st Step)
	describeStep func(st Step) string
}

// specs is every command and schedule: the faults, in the order of chaos.FaultSpecs,
// then the other commands, then the schedules. It is filled by init (its functions
// refer back to it, which a variable's initializer may not).
var (
	specs  []CommandSpec
	byName map[string]*CommandSpec
)

func init() {
	for _, f := range chaos.FaultSpecs {
		specs = append(specs, CommandSpec{
			Name: f.Name, Usage: f.Usage, Summary: f.Summary, Fault: f.Kind,
			parse:    func(p *parser) Command { return p.parseFault(f.Kind) },
			validate: func(v *validator, pos Pos, c Command) { v.fault(pos, c.(FaultCmd)) },
			describe: func(c Command) string { return describeFault(c.(FaultCmd)) },
		})
	}
	specs = append(specs, otherCommands...)
	specs = append(specs, triggerCommand, atSchedule, everySchedule)
	byName = make(map[string]*CommandSpec, len(specs))
	for i := range specs {
		byName[specs[i].Name] = &specs[i]
	}
}

// Specs returns the table of commands and schedules.
func Specs() []CommandSpec { return append([]CommandSpec(nil), specs...) }

// SpecOf returns the entry of the command or schedule named name, and false if there is
// none.
func SpecOf(name string) (CommandSpec, bool) {
	if s, ok := byName[name]; ok {
		return *s, true
	}
	return CommandSpec{}, false
}

// CommandHelp describes one command, for help screens and suggestions.
type CommandHelp struct {
	Name, Usage, Summary string
}

// Commands lists the commands (not the schedules) with their syntax, in the table's
// order: what can be typed at the command bar.
func Commands() []CommandHelp {
	var out []CommandHelp
	for _, s := range specs {
		if s.Form == FormCommand {
			out = append(out, CommandHelp{s.Name, s.Usage, s.Summary})
		}
	}
	return out
}

// names returns the names of the entries of form f.
func names(f Form) []string {
	var out []string
	for _, s := range specs {
		if s.Form == f {
			out = append(out, s.Name)
		}
	}
	return out
}

// describe renders a command by its entry.
func describe(c Command) string {
	if s, ok := byName[c.Name()]; ok && s.describe != nil {
		return s.describe(c)
	}
	return c.Name()
}

// scheduleOf returns the schedule of st, or nil for a step without one.
func scheduleOf(st Step) *CommandSpec {
	for i := range specs {
		if s := &specs[i]; s.Form == FormSchedule && s.scheduled(st) {
			return s
		}
	}
	return nil
}

// ---- The commands other than faults -------------------------------------------------------

var otherCommands = []CommandSpec{
	{
		Name: "propose", Usage: "propose [N]", Summary: "propose N commands (default 1) through the leader",
		parse: func(p *parser) Command {
			c := ProposeCmd{N: 1}
			p.offerWant("a number of commands")
			if n, ok := p.peek(); ok {
				p.i++
				c.N = p.number(n, "commands", 1, maxTimes)
			}
			return c
		},
		validate: func(v *validator, pos Pos, c Command) {
			if n := c.(ProposeCmd).N; n < 1 || n > maxTimes {
				v.add(pos, fmt.Sprint(n), fmt.Sprintf("expected a number of commands from 1 to %d, got", maxTimes), "")
			}
		},
		describe: func(c Command) string {
			if n := c.(ProposeCmd).N; n != 1 {
				return fmt.Sprintf("propose %d", n)
			}
			return "propose"
		},
	},
	{
		Name:    "workload",
		Usage:   "workload rate=R | workload kv rate=R [clients=N keys=N reads=F timeout=D] | workload off",
		Summary: "set the client workload (proposals, or kv clients checked for linearizability), or stop it",
		parse:   func(p *parser) Command { return WorkloadCmd{Spec: p.parseWorkload()} },
		validate: func(v *validator, pos Pos, c Command) {
			v.workload(pos, c.(WorkloadCmd).Spec)
		},
		describe: func(c Command) string {
			if s := c.(WorkloadCmd).Spec; s != nil {
				return "workload " + s.String()
			}
			return "workload off"
		},
	},
	{
		Name: "sleep", Usage: "sleep D", Summary: "let the cluster run for D",
		parse: func(p *parser) Command {
			return SleepCmd{D: p.durationOf(p.need("a duration", "as in sleep 2s"), "")}
		},
		validate: func(v *validator, pos Pos, c Command) { v.dur(pos, "sleep", c.(SleepCmd).D, false) },
		describe: func(c Command) string { return "sleep " + fmtDur(c.(SleepCmd).D) },
	},
	{
		Name: "wait", Usage: "wait COND within D", Summary: "block until COND holds; fail if it does not within D",
		parse: func(p *parser) Command {
			c := WaitCmd{Cond: p.parseCond()}
			p.offer("within")
			p.expect("within", "wait needs a time limit, as in wait leader within 5s")
			wt := p.need("a duration", "as in wait leader within 5s")
			c.Within = p.durationOf(wt, "")
			if c.Within == 0 {
				p.fail(wt, "expected a time limit longer than 0, got", "")
			}
			return c
		},
		validate: func(v *validator, pos Pos, c Command) {
			w := c.(WaitCmd)
			v.dur(pos, "wait", w.Within, true)
			v.cond(pos, w.Cond, true)
		},
		describe: func(c Command) string {
			w := c.(WaitCmd)
			return "wait " + w.Cond.String() + " within " + fmtDur(w.Within)
		},
	},
	{
		Name: "expect", Usage: "expect COND [for D]", Summary: "fail unless COND holds now (or throughout the next D)",
		parse: func(p *parser) Command {
			relTok := p.relativeToken()
			c := ExpectCmd{Cond: p.parseCond()}
			p.offer("for")
			if p.peekIs("for") {
				p.i++
				ft := p.need("a duration", "as in expect leader for 5s")
				c.For = p.durationOf(ft, "")
				if c.For == 0 {
					p.fail(ft, "expected a duration longer than 0, got", "")
				}
			}
			if c.Cond.Relative && c.For == 0 {
				p.fail(relTok(), "a relative number needs a span of time:", "+N counts from the start of a wait or an expect ... for")
			}
			return c
		},
		validate: func(v *validator, pos Pos, c Command) {
			e := c.(ExpectCmd)
			v.dur(pos, "expect", e.For, false)
			v.cond(pos, e.Cond, e.For > 0)
		},
		describe: func(c Command) string {
			e := c.(ExpectCmd)
			if e.For > 0 {
				return "expect " + e.Cond.String() + " for " + fmtDur(e.For)
			}
			return "expect " + e.Cond.String()
		},
	},
}

// ---- The schedules ------------------------------------------------------------------------

var atSchedule = CommandSpec{
	Name: "at", Usage: "at T CMD", Summary: "run CMD at cluster time T (at +D: D after the previous step was due)",
	Form: FormSchedule,
	schedule: func(p *parser, st *Step) {
		t := p.need("a time like 2s or +500ms", "")
		if rest, ok := strings.CutPrefix(t.text, "+"); ok {
			if rest == "" {
				p.fail(t, "expected a time like 2s or +500ms, got", "")
			}
			st.When = When{Kind: Relative, At: p.durationOf(token{rest, t.col + 1}, "")}
		} else {
			st.When = When{Kind: Absolute, At: p.durationOf(t, "")}
		}
		st.Cmd = p.parseCommand()
	},
	scheduled: func(st Step) bool { return st.Every == nil && st.When.Kind != Immediate },
	validateStep: func(v *validator, st Step) {
		switch st.When.Kind {
		case Absolute, Relative:
			v.dur(st.Pos, "at", st.When.At, false)
		default:
			v.add(st.Pos, "", fmt.Sprintf("unknown step timing %d", st.When.Kind), "")
		}
	},
	describeStep: func(st Step) string { return st.When.String() },
}

var everySchedule = CommandSpec{
	Name: "every", Usage: "every P [from T] [until T | times N] CMD", Summary: "run CMD every P in the background, from T (or one period on), until T or N times",
	Form: FormSchedule,
	schedule: func(p *parser, st *Step) {
		st.Every = p.parseEvery()
		cmdTok, _ := p.peek()
		st.Cmd = p.parseCommand()
		if msg := everyProblem(st.Cmd); msg != "" {
			p.fail(cmdTok, msg, "sleep, wait and expect ... for block the timeline; every runs in the background")
		}
	},
	scheduled: func(st Step) bool { return st.Every != nil },
	validateStep: func(v *validator, st Step) {
		if st.When.Kind != Immediate || st.When.At != 0 {
			v.add(st.Pos, "", "a step has at most one at or every", "")
		}
		e := st.Every
		v.dur(st.Pos, "every", e.Period, false)
		if e.Period < MinPeriod {
			v.add(st.Pos, fmtDur(e.Period), "expected a period of at least 1ms, got", "")
		}
		v.dur(st.Pos, "from", e.From, false)
		v.dur(st.Pos, "until", e.Until, false)
		if e.From != 0 && !e.HasFrom {
			v.add(st.Pos, fmtDur(e.From), "from is set but HasFrom is not:", "")
		}
		if e.Until != 0 && e.Until <= e.From {
			v.add(st.Pos, fmtDur(e.Until), "expected an until time after the start, got", "")
		}
		if e.Times < 0 || e.Times > maxTimes {
			v.add(st.Pos, fmt.Sprint(e.Times), fmt.Sprintf("expected a number of times from 1 to %d, got", maxTimes), "")
		}
		if e.Until != 0 && e.Times != 0 {
			v.add(st.Pos, "", "cannot use both until and times", "")
		}
		if msg := everyProblem(st.Cmd); msg != "" {
			v.add(st.Pos, st.Cmd.String(), msg, "")
		}
	},
	describeStep: func(st Step) string { return st.Every.String() },
}

// everyProblem says why c cannot be repeated by every, or "".
func everyProblem(c Command) string {
	switch c := c.(type) {
	case SleepCmd, WaitCmd, OnCmd:
		return "every cannot repeat"
	case ExpectCmd:
		if c.For > 0 {
			return "every cannot repeat"
		}
	}
	return ""
}

// maxTimes bounds every ... times N, on ... times N and propose N.
const maxTimes = 1_000_000

func (p *parser) parseEvery() *Every {
	t := p.need("a period like 2s", "as in every 2s crash random")
	e := &Every{Period: p.durationOf(t, "")}
	if e.Period < MinPeriod {
		p.fail(t, "expected a period of at least 1ms, got", "")
	}
	var untilTok token
	seen := map[string]bool{}
	for {
		for _, w := range []string{"from", "until", "times"} {
			if !seen[w] {
				p.offer(w)
			}
		}
		p.offer(names(FormCommand)...)
		t, ok := p.peek()
		if !ok || (t.text != "from" && t.text != "until" && t.text != "times") {
			break
		}
		p.i++
		if seen[t.text] {
			p.fail(t, "duplicate", "")
		}
		seen[t.text] = true
		switch t.text {
		case "from":
			e.From = p.durationOf(p.need("a time like 5s", ""), "")
			e.HasFrom = true
		case "until":
			if seen["times"] {
				p.fail(t, "cannot use both until and times:", "pick one")
			}
			untilTok = p.need("a time like 20s", "")
			e.Until = p.durationOf(untilTok, "")
		case "times":
			if seen["until"] {
				p.fail(t, "cannot use both until and times:", "pick one")
			}
			e.Times = p.number(p.need("a number of times", "as in every 2s times 5 crash random"), "times", 1, maxTimes)
		}
	}
	if seen["until"] && e.Until <= e.From {
		hint := "no run could start"
		if e.HasFrom {
			hint = "it is not after from " + fmtDur(e.From)
		}
		p.fail(untilTok, "expected an until time after the start, got", hint)
	}
	return e
}

// number parses t as a whole number from lo to hi of what ("times", "commands").
func (p *parser) number(t token, what string, lo, hi int) int {
	v, err := strconv.Atoi(t.text)
	if err != nil || !isDigits(t.text) || v < lo || v > hi {
		p.fail(t, fmt.Sprintf("expected a number of %s from %d to %d, got", what, lo, hi), "")
	}
	return v
}

// ---- Parsing a command --------------------------------------------------------------------

// parseCommand parses the command at the current token.
func (p *parser) parseCommand() Command {
	p.offer(names(FormCommand)...)
	t := p.need("a command", "as in crash leader")
	s, ok := byName[t.text]
	switch {
	case ok && s.Form == FormCommand:
		return s.parse(p)
	case ok:
		p.fail(t, "expected a command, got", "a step has at most one at or every")
	case isHeaderKey(t.text):
		p.fail(t, "not a command:", "header lines go at the top of a scenario file")
	}
	cmds := names(FormCommand)
	p.fail(t, "unknown command", didYouMean(t.text, append(cmds, headerKeys...), "commands are "+strings.Join(cmds, " ")))
	return nil
}

// relativeToken returns a function that finds the first token starting with "+" from
// the current position on (for errors about relative numbers).
func (p *parser) relativeToken() func() token {
	start := p.i
	return func() token {
		for _, t := range p.toks[start:p.i] {
			if strings.HasPrefix(t.text, "+") {
				return t
			}
		}
		return p.toks[p.i-1]
	}
}

// ---- Faults -------------------------------------------------------------------------------

// parseFault parses a fault's arguments, by their shape (chaos.FaultArgs).
func (p *parser) parseFault(k chaos.FaultKind) Command {
	c := FaultCmd{Kind: k}
	spec, _ := k.Spec()
	switch spec.Args {
	case chaos.ArgsPeers:
		c.Peers = p.parseSel(false)
	case chaos.ArgsGroups:
		p.grouped = new([]int)
		c.Groups = []Sel{p.parseSel(false)}
		for {
			p.offer("|")
			if !p.peekIs("|") {
				break
			}
			p.i++
			c.Groups = append(c.Groups, p.parseSel(true))
		}
	case chaos.ArgsBridge:
		hint := "as in " + spec.Name + " 0,1 - 2 - 3,4"
		p.grouped = new([]int)
		a := p.parseSel(false)
		p.offer("-")
		p.expect("-", hint)
		mt, _ := p.peek()
		m := p.parseSel(true)
		if !m.single() {
			p.fail(token{m.String(), mt.col}, "expected one peer in the middle of a bridge, got", hint)
		}
		p.offer("-")
		p.expect("-", hint)
		c.Groups = []Sel{a, m, p.parseSel(true)}
	case chaos.ArgsLinks:
		c.From = p.parseSel(false)
		p.offer("->")
		p.expect("->", "as in "+spec.Name+" 0 -> 1,2")
		c.To = p.parseSel(true)
	case chaos.ArgsNone:
	case chaos.ArgsProb:
		t := p.need("a probability like 10% or 0.1", "")
		v, ok := parseProb(t.text)
		if !ok || v > 1 {
			p.fail(t, "expected a probability like 10% or 0.1, got", "")
		}
		c.P = v
		c.Replies = p.parseReplies()
		p.parseLinks(&c)
	case chaos.ArgsDelay:
		t := p.need("a delay like 10ms or 5ms-50ms", "")
		c.Min = p.durationOf(t, "")
		c.Max = c.Min
		p.offer("-")
		if p.peekIs("-") {
			p.i++
			hi := p.need("the end of the delay range", "as in delay 5ms-50ms")
			c.Max = p.durationOf(hi, "")
			if c.Max < c.Min {
				p.fail(token{t.text + "-" + hi.text, t.col}, "expected a delay range low-high, got", "")
			}
		}
		c.Replies = p.parseReplies()
		p.parseLinks(&c)
	case chaos.ArgsPeersRate:
		c.Peers = p.parseSel(false)
		t := p.need("a clock rate like 1.5x or 0.5", "")
		v, err := parseFloat(strings.TrimSuffix(t.text, "x"))
		if err != nil || v < minSkew || v > maxSkew {
			p.fail(t, "expected a clock rate from 0.01x to 100x, got", "")
		}
		c.Rate = v
	}
	return c
}

// Skew bounds.
const (
	minSkew = 0.01
	maxSkew = 100
)

// parseReplies parses an optional "replies", which makes a link setting for replies
// only.
func (p *parser) parseReplies() bool {
	p.offer("replies")
	if p.peekIs("replies") {
		p.i++
		return true
	}
	return false
}

// parseLinks parses an optional SEL -> SEL.
func (p *parser) parseLinks(c *FaultCmd) {
	p.offerSel(false)
	if _, ok := p.peek(); !ok {
		return
	}
	c.From = p.parseSel(false)
	p.offer("->")
	p.expect("->", "name links as in 0 -> 1,2")
	c.To = p.parseSel(true)
}

// describeFault renders a fault in the language.
func describeFault(c FaultCmd) string {
	links := ""
	if c.Replies {
		links = " replies"
	}
	if c.HasLinks() {
		links += " " + c.From.String() + " -> " + c.To.String()
	}
	spec, _ := c.Kind.Spec()
	switch spec.Args {
	case chaos.ArgsPeers:
		return c.Kind.String() + " " + c.Peers.String()
	case chaos.ArgsGroups, chaos.ArgsBridge:
		sep := " | "
		if spec.Args == chaos.ArgsBridge {
			sep = " - "
		}
		s := c.Kind.String()
		for i, g := range c.Groups {
			if i == 0 {
				s += " " + g.String()
			} else {
				s += sep + g.String()
			}
		}
		return s
	case chaos.ArgsLinks:
		return c.Kind.String() + " " + c.From.String() + " -> " + c.To.String()
	case chaos.ArgsProb:
		return c.Kind.String() + " " + fmtProb(c.P) + links
	case chaos.ArgsDelay:
		d := fmtDur(c.Min)
		if c.Max != c.Min {
			d += "-" + fmtDur(c.Max)
		}
		return c.Kind.String() + " " + d + links
	case chaos.ArgsPeersRate:
		return c.Kind.String() + " " + c.Peers.String() + " " + fmtFloat(c.Rate) + "x"
	}
	return c.Kind.String()
}
