package scenario

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// Parse parses a scenario file. name is used in error positions and, without its
// directory and .chaos extension, as the scenario's Name. On failure it returns an
// ErrorList holding every problem in the file (one per line), sorted.
func Parse(name string, src []byte) (*Scenario, error) {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "" {
		base = ""
	}
	s := &Scenario{
		Name:   strings.TrimSuffix(base, ".chaos"),
		Source: string(src),
		Header: defaultHeader(),
	}
	lines := strings.Split(string(src), "\n")
	s.Description = description(lines)

	var errs ErrorList
	seen := map[string]int{} // header keyword -> line
	firstStep := 0
	peersOK := true
	for i, line := range lines {
		toks := lex(line)
		if len(toks) == 0 {
			continue
		}
		p := &parser{file: name, line: i + 1, toks: toks}
		kw := toks[0].text
		var err *Error
		if isHeaderKey(kw) && !(kw == "workload" && firstStep > 0) {
			if firstStep > 0 {
				err = p.errorAt(toks[0], "header line after the first step:",
					fmt.Sprintf("move it above line %d, where the steps begin", firstStep))
			} else {
				err = p.run(func() { p.parseHeader(&s.Header, seen) })
				if err != nil && kw == "peers" {
					peersOK = false
				}
			}
		} else {
			if firstStep == 0 {
				firstStep = i + 1
			}
			if peersOK {
				p.peers = s.Header.Peers
			}
			var st Step
			err = p.run(func() { st = p.parseStep() })
			if err == nil {
				s.Steps = append(s.Steps, st)
			}
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) > maxErrors {
				break
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs.sortAndCap()
	}
	return s, nil
}

// ParseCommand parses one command, as typed into the TUI's command bar: a fault, propose,
// workload, sleep, wait or expect, without "at" or "every". Peer ids are checked only
// against MaxPeers; check them against a cluster with ValidateCommand. Errors are
// *Error, with positions "col N".
func ParseCommand(line string) (Command, error) {
	p := &parser{toks: lex(line)}
	var c Command
	if err := p.run(func() {
		if t, ok := p.peek(); ok {
			if s, ok := byName[t.text]; ok && s.Form == FormSchedule {
				p.fail(t, "a command cannot be scheduled here:", "type the command alone; "+strings.Join(names(FormSchedule), " and ")+" belong in scenario files")
			}
		}
		c = p.parseCommand()
		p.done()
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// description returns the text of the leading block of # comment lines: each line
// without its # and one following space, without leading and trailing empty lines.
func description(lines []string) string {
	var out []string
	for _, line := range lines {
		t := strings.TrimLeft(line, " \t\r\v\f")
		if t == "" && len(out) == 0 {
			continue
		}
		text, ok := strings.CutPrefix(t, "#")
		if !ok {
			break
		}
		text = strings.TrimPrefix(text, " ")
		out = append(out, strings.TrimRight(text, " \t\r\v\f"))
	}
	for len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

func defaultHeader() Header {
	return Header{
		Peers:         DefaultPeers,
		Liveness:      Liveness{Leader: DefaultLiveness, Commit: DefaultLiveness},
		SnapshotEvery: chaos.DefaultSnapshotEvery,
	}
}

// parser parses one line. Its methods report an error by panicking with a bailout, which
// run recovers; nothing else is recovered.
type parser struct {
	file  string
	line  int
	toks  []token
	i     int
	peers int // the cluster size to check ids against, or 0 for MaxPeers
	// grouped holds the ids named so far by the groups of a partition or bridge, which
	// must not overlap; nil outside them.
	grouped *[]int

	// Completion (see Complete): when completing, the words offered for the token at
	// index stop, and what belongs there when it is not a word from a list.
	completing bool
	stop       int
	cands      []string
	want       string
}

// offer records words that may stand at the next token, when completing it.
func (p *parser) offer(words ...string) {
	if p.completing && p.i == p.stop {
		p.cands = append(p.cands, words...)
	}
}

// offerWant records what may stand at the next token when it is not a word from a list
// (a duration, a number), when completing it.
func (p *parser) offerWant(what string) {
	if p.completing && p.i == p.stop && p.want == "" {
		p.want = what
	}
}

// offerSel offers the words of a selector; after says whether an earlier selector is on
// the line.
func (p *parser) offerSel(after bool) {
	if !p.completing || p.i != p.stop {
		return
	}
	n := p.peers
	if n == 0 {
		n = MaxPeers
	}
	for id := range n {
		if p.grouped == nil || !slices.Contains(*p.grouped, id) {
			p.offer(strconv.Itoa(id))
		}
	}
	for _, name := range chaos.SelectorNames() {
		if name != "others" || after {
			p.offer(name)
		}
	}
}

type bailout struct{ err *Error }

// run calls f and returns the error it bailed out with, if any.
func (p *parser) run(f func()) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

func (p *parser) pos(col int) Pos { return Pos{File: p.file, Line: p.line, Col: col} }

func (p *parser) errorAt(t token, msg, hint string) *Error {
	return &Error{Pos: p.pos(t.col), Token: t.text, Msg: msg, Hint: hint}
}

// fail reports a problem with token t.
func (p *parser) fail(t token, msg, hint string) {
	panic(bailout{p.errorAt(t, msg, hint)})
}

// failEnd reports something missing at the end of the line.
func (p *parser) failEnd(msg, hint string) {
	col := 1
	if n := len(p.toks); n > 0 {
		col = p.toks[n-1].end() + 1
	}
	panic(bailout{&Error{Pos: p.pos(col), Msg: msg, Hint: hint}})
}

func (p *parser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

// peekIs reports whether the next token is text.
func (p *parser) peekIs(text string) bool {
	t, ok := p.peek()
	return ok && t.text == text
}

// prev returns the text of the token before the next one.
func (p *parser) prev() string {
	if p.i > 0 && p.i <= len(p.toks) {
		return p.toks[p.i-1].text
	}
	return ""
}

// need returns the next token, or reports that what is missing after the previous one.
func (p *parser) need(what, hint string) token {
	p.offerWant(what)
	t, ok := p.peek()
	if !ok {
		msg := "expected " + what
		if prev := p.prev(); prev != "" {
			msg += " after " + strconv.Quote(prev)
		}
		p.failEnd(msg, hint)
	}
	p.i++
	return t
}

// expect consumes the token text, or reports it missing.
func (p *parser) expect(text, hint string) token {
	t, ok := p.peek()
	if !ok {
		p.need(strconv.Quote(text), hint)
	}
	if t.text != text {
		p.fail(t, "expected "+strconv.Quote(text)+", got", hint)
	}
	p.i++
	return t
}

// done reports any token left on the line.
func (p *parser) done() {
	if t, ok := p.peek(); ok {
		p.fail(t, "unexpected", "the line is complete before it")
	}
}

// Header lines.

var headerKeys = []string{"peers", "seed", "prevote", "checkquorum", "timing", "workload", "duration", "liveness", "snapshot"}

func isHeaderKey(s string) bool { return slices.Contains(headerKeys, s) }

func (p *parser) parseHeader(h *Header, seen map[string]int) {
	kw := p.toks[0]
	p.i = 1
	if line, ok := seen[kw.text]; ok {
		p.fail(kw, "duplicate header line", fmt.Sprintf("first given on line %d", line))
	}
	seen[kw.text] = p.line
	switch kw.text {
	case "peers":
		t := p.need("a number of peers", "as in peers 5")
		n, err := strconv.Atoi(t.text)
		if err != nil || !isDigits(t.text) || n < 1 || n > MaxPeers {
			p.fail(t, fmt.Sprintf("expected a number of peers from 1 to %d, got", MaxPeers), "")
		}
		h.Peers = n
	case "seed":
		h.Seed = p.parseSeed()
		h.HasSeed = true
	case "prevote":
		h.PreVote = p.parseOnOff()
	case "checkquorum":
		h.CheckQuorum = p.parseOnOff()
	case "timing":
		h.Timing = p.parseTiming()
	case "workload":
		h.Workload = p.parseWorkload()
	case "duration":
		t := p.need("a duration", "as in duration 30s")
		h.Duration = p.durationOf(t, "")
		if h.Duration == 0 {
			p.fail(t, "expected a duration longer than 0, got", "leave the line out to run until the last step ends")
		}
	case "liveness":
		h.Liveness = p.parseLiveness()
	case "snapshot":
		h.SnapshotEvery = p.parseSnapshot()
	}
	p.done()
}

func (p *parser) parseSeed() int64 {
	t := p.need("a seed", "as in seed 42")
	text := t.text
	if t.text == "-" {
		if n, ok := p.peek(); ok && n.col == t.end() {
			p.i++
			text = "-" + n.text
		}
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || !isDigits(strings.TrimPrefix(text, "-")) {
		p.fail(token{text, t.col}, "expected a seed (a 64-bit integer), got", "")
	}
	return v
}

func (p *parser) parseOnOff() bool {
	t := p.need("on or off", "")
	switch t.text {
	case "on":
		return true
	case "off":
		return false
	}
	p.fail(t, "expected on or off, got", "")
	return false
}

// keyValue splits a key=value token, checking the key against keys.
func (p *parser) keyValue(t token, keys []string, example string) (key, value string) {
	key, value, ok := strings.Cut(t.text, "=")
	if !ok {
		hint := didYouMean(t.text, keys, "as in "+example)
		if slices.Contains(keys, t.text) {
			hint = "write " + t.text + "=..., as in " + example
		}
		p.fail(t, "expected key=value, got", hint)
	}
	if !slices.Contains(keys, key) {
		p.fail(token{key, t.col}, "unknown key", didYouMean(key, keys, "keys are "+strings.Join(keys, ", ")))
	}
	if value == "" {
		// The lexer splits "rate=-5" into "rate=", "-" and "5": a negative value.
		if m, ok := p.peek(); ok && m.text == "-" && m.col == t.end() {
			neg := "-"
			if p.i+1 < len(p.toks) && p.toks[p.i+1].col == m.end() {
				neg += p.toks[p.i+1].text
			}
			p.fail(token{neg, m.col}, key+" is out of range: it cannot be negative, got", "as in "+example)
		}
		p.fail(t, "expected a value after", "as in "+example)
	}
	return key, value
}

// durationOf parses t as a duration; prefix is stripped from the text first (for
// key=value tokens).
func (p *parser) durationOf(t token, prefix string) time.Duration {
	text := strings.TrimPrefix(t.text, prefix)
	d, err := parseDuration(text)
	if err != nil {
		hint := ""
		switch {
		case isDecimal(text):
			hint = "add a unit, as in " + text + "s"
		case text == "-":
			hint = "durations cannot be negative"
		}
		p.fail(token{text, t.col + len(prefix)}, "expected a duration like 500ms or 2s, got", hint)
	}
	if d > MaxDuration {
		p.fail(token{text, t.col + len(prefix)}, "expected a duration of at most 24h, got", "")
	}
	return d
}

var timingKeys = []string{"tick", "heartbeat", "election"}

func (p *parser) parseTiming() Timing {
	const example = "timing tick=10ms heartbeat=100ms election=300ms-550ms"
	var tm Timing
	at := map[string]token{}
	if _, ok := p.peek(); !ok {
		p.need("key=value settings", "as in "+example)
	}
	for {
		t, ok := p.peek()
		if !ok {
			break
		}
		p.i++
		key, _ := p.keyValue(t, timingKeys, example)
		if _, dup := at[key]; dup {
			p.fail(token{key, t.col}, "duplicate key", "")
		}
		at[key] = t
		d := p.durationOf(t, key+"=")
		if d <= 0 {
			p.fail(token{t.text[len(key)+1:], t.col + len(key) + 1}, "expected a duration longer than 0, got", "")
		}
		switch key {
		case "tick":
			tm.Tick = d
		case "heartbeat":
			tm.Heartbeat = d
		case "election":
			tm.ElectionMin, tm.ElectionMax = d, d
			if p.peekIs("-") {
				p.i++
				hi := p.need("the end of the election range", "as in election=300ms-550ms")
				tm.ElectionMax = p.durationOf(hi, "")
				at["election"] = token{t.text + "-" + hi.text, t.col}
			}
		}
	}
	if key, msg, hint := tm.problem(); msg != "" {
		t := at[key]
		_, v, _ := strings.Cut(t.text, "=")
		p.fail(token{v, t.col + len(key) + 1}, msg, hint)
	}
	return tm
}

// problem checks a timing: it names the key at fault, what is wrong and a hint, or
// returns an empty msg.
func (tm Timing) problem() (key, msg, hint string) {
	if tm.Tick != 0 && (tm.Tick < time.Millisecond || tm.Tick > time.Second) {
		return "tick", "expected a tick from 1ms to 1s, got", ""
	}
	if (tm.ElectionMin == 0) != (tm.ElectionMax == 0) || tm.Heartbeat < 0 || tm.ElectionMin < 0 {
		return "election", "expected an election range like 300ms-550ms, got", ""
	}
	tick := tm.tick()
	if tm.Heartbeat%tick != 0 {
		return "heartbeat", fmt.Sprintf("expected a multiple of the tick (%v), got", tick), ""
	}
	if tm.ElectionMin%tick != 0 || tm.ElectionMax%tick != 0 {
		return "election", fmt.Sprintf("expected multiples of the tick (%v), got", tick), ""
	}
	hb, lo, hi := tm.ticks()
	if hi < lo {
		return "election", "expected an election range low-high, got", ""
	}
	if lo <= hb {
		return "election", fmt.Sprintf("expected an election timeout longer than the heartbeat (%v), got", time.Duration(hb)*tick),
			"Raft needs several heartbeats per election timeout"
	}
	return "", "", ""
}

// describeProblem returns a description of what is wrong with tm, or "".
func (tm Timing) describeProblem() string {
	key, msg, hint := tm.problem()
	if msg == "" {
		return ""
	}
	s := "timing " + key + ": " + msg
	if hint != "" {
		s += " (" + hint + ")"
	}
	return s
}

func (tm Timing) tick() time.Duration {
	if tm.Tick > 0 {
		return tm.Tick
	}
	return defaultTick
}

// workloadKeys lists every workload kind's keys, for hints.
var workloadKeys = []string{"rate", "clients", "keys", "reads", "timeout"}

// paramSpec describes one parameter of a workload kind.
type paramSpec struct {
	key      string
	required bool
	want     string // what a good value looks like, for errors
	ok       func(string) bool
}

// KVWorkloadKind is the workload kind of clients of a key-value service on the cluster,
// whose history is checked for linearizability:
//
//	workload kv clients=5 keys=3 rate=100 reads=0.5 timeout=5s
//
// rate (operations per second across clients) is required; clients (default 5), keys
// (default 3), reads (the fraction of Gets, default 0.5; the rest are Puts and Appends)
// and timeout (how long a client tries an operation before giving up; default 5s, 0 for
// never) are optional.
const KVWorkloadKind = "kv"

// The bounds of the kv workload's parameters.
const (
	MaxKVClients = 1000
	MaxKVKeys    = 1_000_000
)

// workloadKinds lists the workload kinds and their parameters.
var workloadKinds = map[string][]paramSpec{
	DefaultWorkloadKind: {
		{key: "rate", required: true, want: fmt.Sprintf("a rate from 0 to %d per second", MaxRate), ok: rateOK},
	},
	KVWorkloadKind: {
		{key: "clients", want: fmt.Sprintf("a number of clients from 1 to %d", MaxKVClients), ok: intOK(1, MaxKVClients)},
		{key: "keys", want: fmt.Sprintf("a number of keys from 1 to %d", MaxKVKeys), ok: intOK(1, MaxKVKeys)},
		{key: "rate", required: true, want: fmt.Sprintf("a rate from 0 to %d operations per second", MaxRate), ok: rateOK},
		{key: "reads", want: "a fraction of reads from 0 to 1, like 0.5 or 50%", ok: fractionOK},
		{key: "timeout", want: "a duration like 5s (0 for never), at most 24h", ok: durationOK},
	},
}

// workloadExamples shows each kind's line, for hints.
var workloadExamples = map[string]string{
	DefaultWorkloadKind: "workload rate=20",
	KVWorkloadKind:      "workload kv clients=5 keys=3 rate=100",
}

func intOK(lo, hi int) func(string) bool {
	return func(s string) bool {
		v, err := strconv.Atoi(s)
		return err == nil && isDigits(s) && v >= lo && v <= hi
	}
}

func fractionOK(s string) bool {
	v, ok := parseProb(s)
	return ok && v <= 1
}

func durationOK(s string) bool {
	if s == "0" {
		return true
	}
	d, err := parseDuration(s)
	return err == nil && d <= MaxDuration
}

func rateOK(s string) bool {
	v, err := parseFloat(s)
	return err == nil && v <= MaxRate
}

// offerKeys offers the keys of specs not yet in w, as "key=".
func (p *parser) offerKeys(specs []paramSpec, w *WorkloadSpec) {
	for _, s := range specs {
		if w == nil {
			p.offer(s.key + "=")
		} else if _, given := w.Get(s.key); !given {
			p.offer(s.key + "=")
		}
	}
}

func workloadKindNames() []string {
	names := make([]string, 0, len(workloadKinds))
	for k := range workloadKinds {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// parseWorkload parses what follows "workload": off (nil), or an optional kind and
// key=value parameters.
func (p *parser) parseWorkload() *WorkloadSpec {
	example := workloadExamples[DefaultWorkloadKind]
	p.offer("off")
	p.offer(workloadKindNames()...)
	p.offerKeys(workloadKinds[DefaultWorkloadKind], nil)
	t := p.need("rate=R or off", "as in "+example)
	if t.text == "off" {
		return nil
	}
	w := &WorkloadSpec{Kind: DefaultWorkloadKind}
	if !strings.Contains(t.text, "=") {
		if _, ok := workloadKinds[t.text]; !ok {
			if slices.Contains(workloadKeys, t.text) {
				p.fail(t, "expected key=value, got", "write "+t.text+"=..., as in "+example)
			}
			kinds := workloadKindNames()
			p.fail(t, "unknown workload kind", didYouMean(t.text, append(kinds, "off"), "known kinds: "+strings.Join(kinds, ", ")))
		}
		w.Kind = t.text
	} else {
		p.i--
	}
	example = workloadExamples[w.Kind]
	specs := workloadKinds[w.Kind]
	keys := make([]string, len(specs))
	for i, s := range specs {
		keys[i] = s.key
	}
	for {
		p.offerKeys(specs, w)
		t, ok := p.peek()
		if !ok {
			break
		}
		p.i++
		key, value := p.keyValue(t, keys, example)
		if _, dup := w.Get(key); dup {
			p.fail(token{key, t.col}, "duplicate key", "")
		}
		for _, s := range specs {
			if s.key == key && !s.ok(value) {
				p.fail(token{value, t.col + len(key) + 1}, "expected "+s.want+", got", "")
			}
		}
		w.Params = append(w.Params, Param{key, value})
	}
	for _, s := range specs {
		if _, ok := w.Get(s.key); s.required && !ok {
			p.failEnd("the workload needs "+s.key+"=", "as in "+example)
		}
	}
	return w
}

var livenessKeys = []string{"leader", "commit"}

func (p *parser) parseLiveness() Liveness {
	const example = "liveness leader=5s commit=10s"
	l := Liveness{Leader: DefaultLiveness, Commit: DefaultLiveness}
	t := p.need("off or bounds", "as in "+example)
	if t.text == "off" {
		return Liveness{Off: true}
	}
	p.i--
	seen := map[string]bool{}
	for {
		t, ok := p.peek()
		if !ok {
			break
		}
		p.i++
		key, _ := p.keyValue(t, livenessKeys, example)
		if seen[key] {
			p.fail(token{key, t.col}, "duplicate key", "")
		}
		seen[key] = true
		d := p.durationOf(t, key+"=")
		if d <= 0 {
			p.fail(token{t.text[len(key)+1:], t.col + len(key) + 1}, "expected a duration longer than 0, got", "use liveness off to disable the checker")
		}
		if key == "leader" {
			l.Leader = d
		} else {
			l.Commit = d
		}
	}
	return l
}

// maxSnapshotEvery bounds snapshot every=N.
const maxSnapshotEvery = 1_000_000

func (p *parser) parseSnapshot() int {
	const example = "snapshot every=100"
	t := p.need("every=N or off", "as in "+example)
	if t.text == "off" {
		return 0
	}
	_, v := p.keyValue(t, []string{"every"}, example)
	n, err := strconv.Atoi(v)
	if err != nil || !isDigits(v) || n < 1 || n > maxSnapshotEvery {
		p.fail(token{v, t.col + len("every=")}, fmt.Sprintf("expected a number of entries from 1 to %d, got", maxSnapshotEvery), "")
	}
	return n
}

// Steps.

// parseStep parses a step: a schedule (at, every) and its command, or a command.
func (p *parser) parseStep() Step {
	first := p.toks[0]
	st := Step{Pos: p.pos(first.col)}
	p.offer(names(FormSchedule)...)
	if s, ok := byName[first.text]; ok && s.Form == FormSchedule {
		p.i++
		s.schedule(p, &st)
	} else {
		st.Cmd = p.parseCommand()
	}
	p.done()
	return st
}

// single reports whether s always picks exactly one peer.
func (s Sel) single() bool {
	switch s.Kind {
	case chaos.SelIDs:
		return len(s.IDs) == 1
	case chaos.SelLeader, chaos.SelFollower, chaos.SelRandom:
		return true
	}
	return false
}

// parseSel parses a selector; after says whether an earlier selector is on the line
// (which "others" needs).
func (p *parser) parseSel(after bool) Sel {
	p.offerSel(after)
	return p.sel(after)
}

// sel is parseSel without offering words for completion.
func (p *parser) sel(after bool) Sel {
	const hint = "selectors are ids like 0,2,4 and leader follower followers random majority minority all others crashed"
	t := p.need("peers (an id like 0 or 0,2,4, or a role like leader)", "")
	s := Sel{Pos: p.pos(t.col)}
	if t.text != "" && t.text[0] >= '0' && t.text[0] <= '9' {
		s.Kind = chaos.SelIDs
		s.IDs = []int{p.peerID(t, s.IDs)}
		for {
			p.offer(",")
			if !p.peekIs(",") {
				break
			}
			p.i++
			p.offerIDs(s.IDs)
			s.IDs = append(s.IDs, p.peerID(p.need("a peer id", ""), s.IDs))
		}
		return s
	}
	k, ok := chaos.SelectorByName(t.text)
	if !ok {
		p.fail(t, "unknown selector", didYouMean(t.text, chaos.SelectorNames(), hint))
	}
	if k == chaos.SelOthers && !after {
		p.fail(t, "nothing before", `"others" means the peers not picked earlier on the line, as in partition leader | others`)
	}
	s.Kind = k
	return s
}

// offerIDs offers the peer ids not in ids.
func (p *parser) offerIDs(ids []int) {
	if !p.completing || p.i != p.stop {
		return
	}
	n := p.peers
	if n == 0 {
		n = MaxPeers
	}
	for id := range n {
		if !slices.Contains(ids, id) {
			p.offer(strconv.Itoa(id))
		}
	}
}

// peerID parses t as a peer id not already in ids.
func (p *parser) peerID(t token, ids []int) int {
	if !isDigits(t.text) {
		p.fail(t, "expected a peer id, got", "")
	}
	id, err := strconv.Atoi(t.text)
	n := p.peers
	if n == 0 {
		n = MaxPeers
	}
	if err != nil || id >= n {
		p.fail(t, "no such peer", peersHint(p.peers))
	}
	if slices.Contains(ids, id) {
		p.fail(t, "peer given twice:", "")
	}
	if p.grouped != nil {
		if slices.Contains(*p.grouped, id) {
			p.fail(t, "peer in two groups:", "")
		}
		*p.grouped = append(*p.grouped, id)
	}
	return id
}

func peersHint(n int) string {
	switch {
	case n == 0:
		return fmt.Sprintf("a cluster has at most %d peers, 0..%d", MaxPeers, MaxPeers-1)
	case n == 1:
		return "the only peer is 0"
	}
	return fmt.Sprintf("peers are 0..%d", n-1)
}

// Conditions.

// condFirst are the words a condition starts with, for completion.
var condFirst = []string{"leader", "no", "commit", "converged", "term", "commits", "lost", "elections", "leaders"}

var condWords = []string{"leader", "no leader", "commit", "converged", "term", "commits", "lost", "elections", "leaders"}

var counterKinds = map[string]CondKind{
	"term": CondTerm, "commits": CondCommits, "lost": CondLost, "elections": CondElections, "leaders": CondLeaders,
}

// maxCount bounds the numbers in conditions.
const maxCount = 1_000_000_000

func (p *parser) parseCond() Cond {
	const hint = "conditions are leader, no leader, leader is ID, leader not ID, commit N, converged, and term, commits, lost, elections or leaders with an operator"
	p.offer(condFirst...)
	t := p.need("a condition", "as in leader or commits >= 10")
	switch t.text {
	case "leader":
		p.offer("is", "not")
		if p.peekIs("is") || p.peekIs("not") {
			kind := CondLeaderIs
			if p.need("", "").text == "not" {
				kind = CondLeaderNot
			}
			p.offerIDs(nil)
			st, _ := p.peek()
			s := p.sel(false)
			if s.Kind != chaos.SelIDs {
				p.fail(st, "expected peer ids, got", "a condition names peers by id, as in leader not 2")
			}
			return Cond{Kind: kind, Sel: s}
		}
		return Cond{Kind: CondLeader}
	case "no":
		p.offer("leader")
		p.expect("leader", "as in wait no leader within 5s")
		return Cond{Kind: CondNoLeader}
	case "converged":
		return Cond{Kind: CondConverged}
	case "commit":
		n := p.need("a log index", "as in commit 10 or commit +5")
		if !p.isCount(n) {
			h := "as in commit 10 or commit +5"
			if strings.ContainsAny(n.text, "<>=!") {
				h = `commit N waits for commit index N; to compare proposals committed write "commits >= N"`
			}
			p.fail(n, "expected a log index, got", h)
		}
		v, rel := p.count(n)
		return Cond{Kind: CondCommit, N: v, Relative: rel}
	}
	if k, ok := counterKinds[t.text]; ok {
		p.offer(opNames[1:]...)
		ot := p.need("an operator (== != < <= > >=)", "as in "+t.text+" >= 3")
		op := Op(0)
		for i, name := range opNames {
			if i > 0 && name == ot.text {
				op = Op(i)
			}
		}
		if op == 0 {
			h := "as in " + t.text + " >= 3"
			if ot.text == "=" {
				h = `did you mean "=="?`
			}
			p.fail(ot, "expected an operator (== != < <= > >=), got", h)
		}
		n := p.need("a number", "as in "+t.text+" >= 3")
		if !p.isCount(n) {
			h := ""
			if n.text == "-" {
				h = "counts cannot be negative"
			} else if isDigits(strings.TrimPrefix(n.text, "+")) {
				h = fmt.Sprintf("at most %d", maxCount)
			}
			p.fail(n, "expected a number, got", h)
		}
		v, rel := p.count(n)
		return Cond{Kind: k, Op: op, N: v, Relative: rel}
	}
	h := didYouMean(t.text, condWords, hint)
	if strings.ContainsAny(t.text, "<>=!") {
		h = "put spaces around the operator, as in term >= 3"
	}
	p.fail(t, "unknown condition", h)
	return Cond{}
}

// isCount reports whether t is a count: digits, or + and digits, at most maxCount.
func (p *parser) isCount(t token) bool {
	s := strings.TrimPrefix(t.text, "+")
	v, err := strconv.Atoi(s)
	return isDigits(s) && err == nil && v <= maxCount
}

func (p *parser) count(t token) (int, bool) {
	s, rel := strings.CutPrefix(t.text, "+")
	v, _ := strconv.Atoi(s)
	return v, rel
}
