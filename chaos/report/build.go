package report

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/chaos/model"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// page is what the template draws. Every string in it is plain text; the template
// escapes it.
type page struct {
	Title       string
	Name        string
	Engine      string
	Seed        int64
	Peers       int
	Tool        string
	Pass        bool
	Badge       string // PASS, FAIL or INTERRUPTED
	BadgeClass  string // the badge's colour: "" (pass), fail or unknown
	Verdict     string // a plain sentence
	Failure     *violView
	Repro       string
	ReproNote   string   // what running Repro again gives, on this engine
	Overrides   string   // the command line's overrides, as flags
	Effective   string   // the scenario as it ran, after the overrides
	Bugs        string   // the deliberate bugs switched on
	Build       string   // the program's build
	Description []string // paragraphs
	Notes       []string
	KeyFigures  []figure
	Figures     []figure
	SummaryText string

	Story     []eventRow // the key events, in order
	StoryMore int

	Timeline *timelineView
	Commits  *commitView
	Latency  []*latencyView
	Messages *msgView

	Violations []violView
	Before     []eventRow
	BeforeNote string
	Sections   []sectionView
	Steps      []stepRow
	StepsMore  int
	Source     []srcLine
	Limits     string
}

type figure struct{ Name, Value, Help string }

type violView struct {
	Checker string
	Explain string // what the property is, in plain words
	Message string
	At      string
	Peers   string
	Terms   string
	Indexes string
	// Seq is the last event at the violation's time: the one that revealed it, or, for
	// a violation a check found later (the kv history's, at the end of the run), the
	// last event of the moment it dates; Found then says when and by which event it was
	// found.
	Seq   uint64
	Found string
}

type eventRow struct {
	At, Kind, Peer, Text string
	Seq                  uint64
	Involved             bool
}

type sectionView struct {
	Section
	StatusClass string
	Anchor      string
	Intro       string
}

type stepRow struct {
	At, Text, Outcome, Class string
	Line                     int
}

type srcLine struct {
	N     int
	Text  string
	Class string
}

// explain says, for each checker, what it found in plain words.
var explain = map[string]string{
	"election-safety":      "Two peers were leader in the same term. Raft allows at most one leader per term.",
	"log-matching":         "Two logs hold an entry with the same index and term but differ before it. Logs must agree on everything up to an entry they share.",
	"leader-completeness":  "A peer became leader without an entry that was already committed. Every leader must hold every committed entry.",
	"state-machine-safety": "Two peers applied different commands at the same log index. Every peer must apply the same commands in the same order.",
	"term-monotonic":       "A peer's term went down. A term must never decrease, not even across a restart.",
	"index-monotonic":      "A peer's commit index or last applied index went down within one life.",
	"apply-order":          "A peer applied entries out of order, skipped or repeated one, or applied one that was not committed.",
	"durability":           "A committed entry was lost or overwritten. Once committed, an entry must stay, at its index, forever.",
	"liveness":             "The cluster stopped making progress although a majority was up and connected on a reliable network: no leader, or no commit, within the bound.",
	"delivery":             "A peer's service received something its Raft should never hand it: a command out of order, skipped, repeated, uncommitted, or different from what the peer or another peer applied at that index.",
	"progress":             "A leader's bookkeeping went wrong: a follower's match index fell within one leadership, or named an entry the follower does not hold.",
	"event-stream":         "The event stream contradicts itself: a bug in an engine or in the raft observer, not in Raft.",
	"expect":               "A check written in the scenario did not hold (the message names its line).",
	"linearizability":      "The clients saw results that no one-at-a-time order of their operations explains: the service is not linearizable.",
	"service":              "A peer's state machine failed (for example, it could not restore a snapshot it was sent).",
}

func build(d Data) *page {
	h := d.Header
	res := d.Result
	p := &page{Name: h.Name, Engine: h.Engine, Seed: h.Seed, Peers: h.Peers, Tool: h.Tool, Notes: d.Notes}
	if res != nil {
		p.Name, p.Engine, p.Seed = res.Name, res.Engine, res.Seed
		if res.Peers > 0 {
			p.Peers = res.Peers
		}
	}
	if p.Name == "" {
		p.Name = "unnamed scenario"
	}
	if p.Engine == "" {
		p.Engine = "?"
	}
	p.Title = "MiniRaft run: " + p.Name

	// The cluster's size, the run's length, its history and its result.
	n, end, hist, res := p.history(d, res)
	if end <= 0 {
		end = time.Second // nothing happened: draw an empty second
	}

	first, viols := p.verdict(res, d.Events, end)
	p.Repro = d.Repro
	if p.Repro == "" {
		p.Repro = h.Repro
	}
	if p.Repro == "" {
		p.Repro = fmt.Sprintf("miniraft run --engine %s --seed %d %s", p.Engine, p.Seed, shellQuote(p.Name))
	}
	p.ReproNote = reproNote(p.Engine)
	if h.Overrides != nil {
		p.Overrides = strings.Join(h.Overrides.Flags(), " ")
	}
	p.Effective = h.Effective
	p.Bugs = strings.Join(h.Bugs, ", ")
	if h.Build != nil {
		p.Build = h.Build.String()
	}
	p.Description = describe(h.Scenario)
	p.figures(res, end)

	win := messageWindow(d.Window, first, end)
	p.Messages = buildMessages(d, hist, n, win, first)
	if win.From >= end {
		p.Messages.Empty = fmt.Sprintf("The window chosen, %s to %s, is outside the run, which ended at %s: there is nothing to draw.",
			fmtSec(win.From), fmtSec(win.To), fmtSec(end))
	}
	p.Timeline = buildTimeline(hist, end, first, viols, p.Messages)
	p.Commits = buildCommits(hist, end, viols)
	if len(hist.props) > 0 || len(hist.ops) == 0 {
		p.Latency = append(p.Latency, buildProposalLatency(hist, res.Workload, end, viols))
	}
	if len(hist.ops) > 0 {
		p.Latency = append(p.Latency, buildOpLatency(hist, end, viols))
	}

	if first != nil {
		p.Before, p.BeforeNote = eventsBefore(d.Events, *first, hist)
	}
	for _, m := range hist.story {
		p.Story = append(p.Story, eventRow{At: fmtSec(m.at), Text: m.text})
	}
	p.StoryMore = hist.nstory - len(hist.story)
	p.Sections = extraSections(d)
	p.Steps, p.StepsMore = steps(d.Events)
	p.Source = source(h.Scenario, p.Steps, first)
	p.Limits = fmt.Sprintf("Limits of this page: the timeline and charts merge changes closer together than a pixel; "+
		"the message diagram draws at most %d messages; the timeline draws at most %d marks of each kind per peer; "+
		"the step table shows at most %d rows; the violation section lists the %d events before it.",
		maxMessages(d), MaxMarks, MaxStepRows, EventsBefore)
	return p
}

// history returns the run's history and result, and the cluster's size and the run's
// length: a Recorder's history, or one folded from the events with the run model; the
// run's Result, or the model's of the events (for a trace, which the page then says).
func (p *page) history(d Data, res *model.Result) (n int, end time.Duration, hist *history, _ *model.Result) {
	n = p.Peers
	for _, e := range d.Events {
		end = max(end, e.At)
		if id := eventPeer(e); id >= 0 && id < maxPeers {
			n = max(n, id+1)
		}
	}
	if res != nil {
		end = max(end, res.Duration)
	}
	if d.folded != nil { // a Recorder's, folded as the run went
		end = max(end, d.folded.lastAt)
		hist = d.folded.finish(end) // a copy of our own: d is only read
	}
	if hist == nil || res == nil {
		m, folded := fold(d.Header, n, d.Events, end)
		if hist == nil {
			hist = folded
		}
		if res == nil {
			r := m.Result()
			res = &r
			p.Notes = append(p.Notes, "Made from a trace: the verdict and the figures are the run model's of its events, as during the run, but for the real time the run took, which a trace does not hold.")
		}
	}
	hist.grow(n)
	n = hist.n
	if p.Peers == 0 {
		p.Peers = n
	}
	return n, end, hist, res
}

// verdict fills the page's verdict and violations from res, and returns the first
// failure (or nil) and the violations the charts mark.
func (p *page) verdict(res *model.Result, events []chaos.Event, end time.Duration) (*chaos.Violation, []chaos.Violation) {
	viols := res.Violations
	if res.Failure != nil && !slices.ContainsFunc(viols, func(v chaos.Violation) bool { return sameViolation(v, *res.Failure) }) {
		viols = append([]chaos.Violation{*res.Failure}, viols...)
	}
	var first *chaos.Violation
	if res.Failure != nil {
		f := *res.Failure
		first = &f
	}
	p.Pass = first == nil && res.Pass
	p.Badge, p.BadgeClass = res.Verdict(), "fail"
	switch {
	case p.Pass:
		p.BadgeClass = ""
	case first == nil && res.Interrupted != nil:
		p.BadgeClass = "unknown"
	}
	for i, v := range viols {
		if i == MaxViolations {
			break
		}
		p.Violations = append(p.Violations, viewViolation(v, events))
	}
	if first != nil {
		fv := viewViolation(*first, events)
		p.Failure = &fv
		p.Verdict = fmt.Sprintf("Failed at %s: %s", fmtSec(first.At), fv.Explain)
	} else if p.Pass {
		p.Verdict = fmt.Sprintf("Passed: over %s of cluster time no checker found a violation and every expectation of the scenario held.", fmtSec(end))
	} else if in := res.Interrupted; in != nil {
		p.Verdict = fmt.Sprintf("Stopped before its end, %s into the run: %s. Neither a pass nor a failure: no checker had found a violation and every expectation so far had held, but the scenario did not run to its end.",
			fmtSec(in.At), in)
	} else {
		p.Verdict = "Failed (the result names no violation)."
	}

	return first, viols
}

// reproNote says what running the run's command again gives on engine.
func reproNote(engine string) string {
	switch engine {
	case "sim":
		return "the sim engine repeats a run event for event from its seed, so this command gives this very run again"
	case "live":
		return "on the live engine the seed fixes the scenario's random choices, but real time and goroutine scheduling decide the order of events, so a run again may go differently (a failure may not recur); the trace shows this run exactly (miniraft replay), and --engine sim repeats a run event for event"
	}
	return "the seed fixes the scenario's random choices"
}

// extraSections returns the kv workload's section, if any, and the caller's.
func extraSections(d Data) []sectionView {
	var out []sectionView
	if d.KV != nil {
		out = append(out, kvSection(d.KV))
	}
	for i, s := range d.Sections {
		sv := sectionView{Section: s, Anchor: "extra-" + strconv.Itoa(i+1)}
		switch strings.ToLower(s.Status) {
		case "pass", "ok", "passed":
			sv.StatusClass = "pass"
		case "fail", "failed", "illegal":
			sv.StatusClass = "fail"
		case "unknown":
			sv.StatusClass = "unknown"
		}
		out = append(out, sv)
	}
	return out
}

// maxRecoveries is how many recoveries the figures list.
const maxRecoveries = 20

func maxMessages(d Data) int {
	if d.MaxMessages > 0 {
		return d.MaxMessages
	}
	return DefaultMaxMessages
}

// eventPeer returns the peer an event is about, or -1.
func eventPeer(e chaos.Event) int {
	switch {
	case e.Raft != nil:
		return e.Raft.Peer
	case e.Net != nil:
		return max(e.Net.From, e.Net.To)
	}
	return -1
}

func sameViolation(a, b chaos.Violation) bool {
	return a.Checker == b.Checker && a.Message == b.Message && a.At == b.At
}

func viewViolation(v chaos.Violation, events []chaos.Event) violView {
	vv := violView{Checker: v.Checker, Message: v.Message, At: fmtSec(v.At), Seq: v.Seq, Peers: ids(v.Peers), Explain: explain[v.Checker]}
	if v.Seq > 0 {
		// A violation dated before the event that revealed it: give the event of its
		// time, as the table of the events before it ends there, and say when it was found.
		i, found := slices.BinarySearchFunc(events, v.Seq, func(e chaos.Event, seq uint64) int { return cmp.Compare(e.Seq, seq) })
		if found && events[i].At > v.At {
			j := i
			for j > 0 && events[j-1].At > v.At {
				j--
			}
			if j > 0 {
				vv.Seq = events[j-1].Seq
				vv.Found = fmt.Sprintf("found at %s, by event #%d", fmtSec(events[i].At), v.Seq)
			}
		}
	}
	if vv.Explain == "" {
		vv.Explain = fmt.Sprintf("The %q check failed.", v.Checker)
	}
	terms := make([]string, len(v.Terms))
	for i, t := range v.Terms {
		terms[i] = strconv.Itoa(t)
	}
	vv.Terms = andList(terms)
	idx := make([]string, len(v.Indexes))
	for i, x := range v.Indexes {
		idx[i] = strconv.Itoa(x)
	}
	vv.Indexes = andList(idx)
	return vv
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// describe returns the scenario's opening comment as paragraphs.
func describe(src string) []string {
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, " "))
			cur = nil
		}
	}
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "#") {
			break
		}
		t = strings.TrimSpace(strings.TrimPrefix(t, "#"))
		if t == "" {
			flush()
			continue
		}
		cur = append(cur, t)
	}
	flush()
	return paras
}

// figures fills the summary figures, from the Result when there is one, else from the
// events.
func (p *page) figures(res *model.Result, end time.Duration) {
	add := func(key bool, name, value, help string) {
		f := figure{Name: name, Value: value, Help: help}
		p.Figures = append(p.Figures, f)
		if key {
			p.KeyFigures = append(p.KeyFigures, f)
		}
	}
	c := res.Checks
	speed := ""
	if res.Wall > 0 {
		speed = fmt.Sprintf(" in %s of real time", fmtDur(res.Wall))
		if res.Paused > 0 {
			speed += fmt.Sprintf(", %s of it paused", fmtDur(res.Paused))
		}
		if x := res.Speedup(); x != "" {
			speed += " (" + x + ")"
		}
	}
	add(true, "cluster time", fmtSec(max(res.Duration, end))+speed, "how long the run lasted on the cluster's clock")
	add(true, "elections", strconv.Itoa(c.Elections), "peers that became leader of a term")
	add(true, "highest term", strconv.Itoa(c.MaxTerm), "")
	add(true, "commit index", strconv.Itoa(c.CommitIndex), "the highest log index any peer knew committed")
	add(false, "restarts", strconv.Itoa(c.Restarts), "boots other than a peer's first")
	add(false, "snapshots", fmt.Sprintf("%d taken, %d installed from a leader", c.Snapshots, c.Installs), "")
	add(false, "entries truncated", strconv.Itoa(c.Truncated), "log entries removed because they conflicted with a leader's")
	faults := strconv.Itoa(res.Faults)
	if res.Skipped > 0 {
		faults += fmt.Sprintf(" (%s skipped)", model.Plural(res.Skipped, "step"))
	}
	add(true, "faults", faults, "faults applied")
	add(true, "RPCs", fmt.Sprintf("%d (%s)", res.Net.RPCs, fmtBytes(res.Net.Bytes)), "requests sent, and their size")
	wl := res.Workload
	if wl.Proposed > 0 || wl.Refused > 0 {
		add(true, "proposals", fmt.Sprintf("%d: %d committed, %d lost, %d in flight; %d found no leader", wl.Proposed, wl.Committed, wl.Lost, wl.InFlight, wl.Refused),
			"lost: a leader took it but fell before it committed, and another command took its index")
		if wl.Committed > 0 {
			add(true, "commit latency", fmt.Sprintf("median %s, 99th percentile %s", fmtDur(wl.P50), fmtDur(wl.P99)), "from proposal to the first peer applying it")
		}
	}
	if c.LongestLeaderless > 0 {
		add(false, "longest without a leader", fmtDur(c.LongestLeaderless), "while a majority was up and connected on a reliable network")
	}
	if c.MaxCommitWait > 0 {
		add(false, "longest commit wait", fmtDur(c.MaxCommitWait), "the longest a watched proposal waited to commit")
	}
	for i, rc := range res.Recoveries {
		if i == maxRecoveries {
			add(false, "recoveries", fmt.Sprintf("%d more, not listed", len(res.Recoveries)-i), "")
			break
		}
		v := "no leader by the end"
		if rc.Leader >= 0 {
			v = "a leader after " + fmtDur(rc.Leader)
		}
		if rc.Commit >= 0 {
			v += ", a commit after " + fmtDur(rc.Commit)
		}
		add(false, fmt.Sprintf("recovery from %s at %s", rc.Fault, fmtSec(rc.At)), v, "")
	}
	var b bytes.Buffer
	res.WriteSummary(&b)
	p.SummaryText = b.String()
}

// eventsBefore lists the events up to the one that revealed v, but messages.
func eventsBefore(events []chaos.Event, v chaos.Violation, h *history) ([]eventRow, string) {
	involved := map[int]bool{}
	for _, p := range v.Peers {
		involved[p] = true
	}
	cut := len(events)
	for i, e := range events {
		// The event that revealed v, or the time v dates (a check run at the end, such as
		// linearizability, dates the operation it found), whichever comes first.
		if v.Seq > 0 && e.Seq > v.Seq || e.At > v.At || e.Kind == chaos.EventViolation && e.Violation != nil && sameViolation(*e.Violation, v) {
			cut = i
			break
		}
	}
	var rows []eventRow
	skipped := 0
	for i := cut - 1; i >= 0 && len(rows) < EventsBefore; i-- {
		e := events[i]
		if e.Kind == chaos.EventNet {
			skipped++
			continue
		}
		if e.Kind == chaos.EventDeliver || e.Raft != nil && e.Raft.Kind == raft.EventProgress {
			continue // the deliveries repeat the applies; a leader's progress the replies
		}
		rows = append(rows, eventRow{At: fmtSecFine(e.At), Seq: e.Seq, Kind: e.Kind.String(), Peer: peerText(e), Text: eventText(e), Involved: involved[e.Peer] || e.Raft != nil && involved[e.Raft.Peer]})
	}
	slices.Reverse(rows)
	note := fmt.Sprintf("The last %d events up to the violation (at %s), oldest first; rows about the peers involved are marked.", len(rows), fmtSec(v.At))
	if skipped > 0 {
		note += fmt.Sprintf(" %d message events among them are left out: the message diagram shows them.", skipped)
	}
	return rows, note
}

func peerText(e chaos.Event) string {
	id := e.Peer
	if e.Raft != nil {
		id = e.Raft.Peer
	}
	if id < 0 {
		return ""
	}
	return strconv.Itoa(id)
}

// eventText describes an event without its time and number.
func eventText(e chaos.Event) string {
	switch {
	case e.Raft != nil:
		return raftText(e.Raft)
	case e.Net != nil:
		return e.Net.String()
	case e.Violation != nil:
		return e.Violation.String()
	case e.Propose != nil:
		return e.Propose.String()
	case e.Client != nil:
		return e.Client.String()
	case e.Fault != nil:
		return e.Fault.String()
	}
	s := e.Text
	if e.Kind == chaos.EventExpect {
		if e.OK {
			s = "held: " + s
		} else {
			s = "did not hold: " + s
		}
	}
	if prefix := fmt.Sprintf("line %d: ", e.Line); e.Line > 0 && !strings.Contains(s, prefix) {
		s = prefix + s
	}
	return s
}

func raftText(r *raft.Event) string {
	s := r.String()
	if r.Kind == raft.EventAppend || r.Kind == raft.EventApply {
		if len(r.Entries) > 0 && len(r.Entries) <= 4 {
			var cmds []string
			for _, en := range r.Entries {
				c := fmt.Sprintf("%v", en.Command)
				if len(c) > 40 {
					c = c[:40] + "..."
				}
				cmds = append(cmds, fmt.Sprintf("t%d:%s", en.Term, c))
			}
			s += " [" + strings.Join(cmds, " ") + "]"
		}
	}
	return s
}

// steps lists the steps the scenario ran, with what came of each.
func steps(events []chaos.Event) ([]stepRow, int) {
	var rows []stepRow
	more := 0
	byLine := map[int]int{} // line -> its latest row
	last := -1
	for _, e := range events {
		switch e.Kind {
		case chaos.EventStep:
			if len(rows) >= MaxStepRows {
				more++
				last = -1
				continue
			}
			rows = append(rows, stepRow{At: fmtSec(e.At), Text: e.Text, Line: e.Line, Class: "run"})
			last = len(rows) - 1
			if e.Line > 0 {
				byLine[e.Line] = last
			}
		case chaos.EventExpect, chaos.EventNote:
			i, ok := byLine[e.Line]
			if e.Line == 0 || !ok {
				continue
			}
			r := &rows[i]
			switch {
			case e.Kind == chaos.EventExpect && e.OK:
				r.Outcome, r.Class = appendOutcome(r.Outcome, "held at "+fmtSec(e.At)+": "+afterColon(e.Text)), "ok"
			case e.Kind == chaos.EventExpect:
				r.Outcome, r.Class = appendOutcome(r.Outcome, "FAILED at "+fmtSec(e.At)+": "+e.Text), "fail"
			default:
				r.Outcome = appendOutcome(r.Outcome, e.Text)
				if strings.Contains(e.Text, "skipped") {
					r.Class = "skip"
				}
			}
		case chaos.EventFault:
			if last >= 0 && e.Fault != nil && rows[last].Outcome == "" && rows[last].At == fmtSec(e.At) {
				rows[last].Outcome = "applied: " + e.Fault.String()
			}
		}
	}
	return rows, more
}

func appendOutcome(old, s string) string {
	if old == "" {
		return s
	}
	return old + "; " + s
}

// afterColon returns what follows the first ": " in s (a wait's report after its
// command), or s.
func afterColon(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// source numbers the scenario's lines and marks those of failed steps.
func source(src string, rows []stepRow, first *chaos.Violation) []srcLine {
	if src == "" {
		return nil
	}
	failed := map[int]bool{}
	ran := map[int]bool{}
	for _, r := range rows {
		ran[r.Line] = true
		if r.Class == "fail" {
			failed[r.Line] = true
		}
	}
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	out := make([]srcLine, len(lines))
	for i, l := range lines {
		out[i] = srcLine{N: i + 1, Text: l}
		switch {
		case failed[i+1]:
			out[i].Class = "fail"
		case ran[i+1]:
			out[i].Class = "ran"
		case strings.HasPrefix(strings.TrimSpace(l), "#"):
			out[i].Class = "comment"
		}
	}
	return out
}

// MaxEmbed is the largest visualization of a linearizability check that a page embeds.
const MaxEmbed = 8 << 20

// kvSection tells what the kv workload's clients saw and what the linearizability check
// made of it, with porcupine's visualization when the history is not linearizable.
func kvSection(r *kv.Result) sectionView {
	c := r.Check
	sv := sectionView{Anchor: "kv", Section: Section{Title: "The clients' view: the kv workload and linearizability", Status: string(c.Outcome)}}
	switch c.Outcome {
	case kv.Linearizable:
		sv.StatusClass = "pass"
	case kv.NotLinearizable:
		sv.StatusClass = "fail"
	default:
		sv.StatusClass = "unknown"
	}
	sv.Intro = "The kv workload's clients ran Get, Put and Append on a key-value store replicated by the cluster, and every operation was recorded from invocation to answer. " +
		"Porcupine then looked for one order of all the operations, each taking effect at some moment between its invocation and its answer, that a single copy of the store would produce. " +
		"If there is none, some client saw something impossible: a read of a value already overwritten (a stale read), a write applied twice, a write lost."
	var b bytes.Buffer
	r.WriteSummary(&b)
	text := b.String()
	if c.Message != "" && !strings.Contains(text, c.Message) {
		text += c.Message + "\n"
	}
	if op := c.Culprit; op != nil {
		text += fmt.Sprintf("The first operation no order can include: %s, invoked at %s, answered at %s.\n", op, fmtSecFine(op.Call), fmtSecFine(op.Return))
	}
	if c.HasVisualization() {
		var vis bytes.Buffer
		switch err := r.WriteVisualization(&vis); {
		case err != nil:
			text += fmt.Sprintf("Porcupine could not draw its visualization: %v\n", err)
		case vis.Len() > MaxEmbed:
			text += fmt.Sprintf("Porcupine's visualization is too large to show here (%s); miniraft run --trace FILE writes it beside the trace.\n", fmtBytes(int64(vis.Len())))
		default:
			sv.Embed = vis.String()
			sv.Intro += " Below, porcupine's own drawing of the key whose history fails: each client is a row, each operation a box from invocation to answer; the longest orders it found are drawn, and where they break."
		}
	}
	sv.Text = strings.TrimRight(text, "\n")
	return sv
}
