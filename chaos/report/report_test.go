package report

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/check"
	"github.com/miniraft/miniraft/raft"
)

// The sections every page has, by id.
var sections = []string{"top", "about", "timeline", "commits", "messages", "steps", "source", "figures"}

func TestPassingRunHasEverySection(t *testing.T) {
	run := runScenario(t, "leader-isolation", "", 3)
	if !run.res.Pass {
		t.Fatalf("leader-isolation seed 3 failed: %v", run.res.Failure)
	}
	doc := parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
	for _, id := range sections {
		if byID(doc, id) == nil {
			t.Errorf("no section with id %q", id)
		}
	}
	if byID(doc, "violation") != nil {
		t.Errorf("a passing run's page has a violation section")
	}
	top := text(byID(doc, "top"))
	mustContain(t, "the header", top, "PASS", "leader-isolation", "engine sim", "seed 3", "5 peers", "miniraft run --engine sim --seed 3 leader-isolation")

	// A lane per peer in the timeline and in the message diagram.
	for _, id := range []string{"timeline", "messages"} {
		lanes := all(byID(doc, id), "text", "lane")
		if len(lanes) != 5 {
			t.Errorf("%s: %d lanes, want 5", id, len(lanes))
		}
		for i, l := range lanes {
			if got, want := text(l), fmt.Sprintf("peer %d", i); got != want {
				t.Errorf("%s: lane %d is labelled %q, want %q", id, i, got, want)
			}
		}
	}
	// The isolation shows as a cut on the network row, naming the leader it isolated.
	var isolated string
	for _, e := range run.events {
		if e.Kind == chaos.EventFault && e.Fault.Kind == chaos.Isolate {
			isolated = e.Fault.String()
		}
	}
	if isolated == "" {
		t.Fatal("the run isolated nobody")
	}
	cuts := all(chart(doc, "timeline"), "rect", "cut")
	if len(cuts) != 1 || !strings.Contains(text(cuts[0]), isolated) {
		t.Errorf("network cut bands: %d, want 1 saying %q", len(cuts), isolated)
	}
	// The key events tell the story.
	mustContain(t, "the key events", text(byID(doc, "story")), "fault: "+isolated, "became leader of term 1", "became leader of term 2", "fault: heal")
	// Both leaders are marked elected.
	if got := len(all(chart(doc, "timeline"), "circle", "mk-elected")); got != run.res.Checks.Elections {
		t.Errorf("%d election marks, want %d (the run's elections)", got, run.res.Checks.Elections)
	}
	// Commit lines for every peer, and latency marks.
	if got := len(all(byID(doc, "commits"), "path", "commit")); got != 5 {
		t.Errorf("%d commit lines, want 5", got)
	}
	if len(all(byID(doc, "commits"), "circle", "lat")) == 0 {
		t.Error("no latency marks")
	}
	// Messages: some arrows, no more than the limit.
	arrows := all(byID(doc, "messages"), "g", "msg")
	if len(arrows) == 0 || len(arrows) > DefaultMaxMessages {
		t.Errorf("%d messages drawn, want 1..%d", len(arrows), DefaultMaxMessages)
	}
	// The scenario's text, every line of it, numbered.
	lines := strings.Split(strings.TrimRight(run.sc.Source, "\n"), "\n")
	rows := all(byID(doc, "source"), "tr", "")
	if len(rows) != len(lines) {
		t.Fatalf("the scenario text has %d rows, want %d", len(rows), len(lines))
	}
	for i, r := range rows {
		if got, want := text(r), strings.Join(strings.Fields(fmt.Sprintf("%d %s", i+1, lines[i])), " "); got != want {
			t.Errorf("scenario line %d: got %q, want %q", i+1, got, want)
		}
	}
	// The steps table has a row per step that ran, with the isolation resolved.
	mustContain(t, "the steps", text(byID(doc, "steps")), "isolate leader", "applied: "+isolated, "held at")
	mustContain(t, "the figures", text(byID(doc, "figures")), "elections", strconv.Itoa(run.res.Checks.Elections), "RPCs", strconv.Itoa(run.res.Net.RPCs))
}

func TestFailedExpectationIsNamed(t *testing.T) {
	src := `# Expects three leaders, which no correct Raft gives.
peers 3
workload rate=20
wait leader within 5s
at 1s isolate leader
expect leaders == 3
`
	run := runScenario(t, "three-leaders", src, 5)
	if run.res.Pass {
		t.Fatal("the run passed; want a failed expectation")
	}
	doc := parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
	top := text(byID(doc, "top"))
	mustContain(t, "the header", top, "FAIL", "expect", "line 6", "expect leaders == 3")
	v := byID(doc, "violation")
	if v == nil {
		t.Fatal("no violation section")
	}
	mustContain(t, "the violation section", text(v), run.res.Failure.Message, "The events just before it")
	rows := all(v, "tr", "")
	if n := len(rows) - 1; n < 1 || n > EventsBefore {
		t.Errorf("%d events before the violation, want 1..%d", n, EventsBefore)
	}
	// The failed line is marked in the scenario text and in the steps.
	failed := all(byID(doc, "source"), "tr", "fail")
	if len(failed) != 1 || !strings.HasPrefix(text(failed[0]), "6 ") {
		t.Errorf("failed source lines: %d, want line 6 only", len(failed))
	}
	if steps := all(byID(doc, "steps"), "tr", "fail"); len(steps) != 1 || !strings.Contains(text(steps[0]), "FAILED") {
		t.Errorf("failed steps: %d, want 1 saying FAILED", len(steps))
	}
	// The key events name the failure once.
	story := text(byID(doc, "story"))
	if n := strings.Count(story, "expect leaders == 3"); n != 1 {
		t.Errorf("the key events name the failure %d times, want once:\n%s", n, story)
	}
	// A red line marks the failure on the timeline.
	if got := len(all(chart(doc, "timeline"), "line", "viol")); got != 1 {
		t.Errorf("%d violation lines on the timeline, want 1", got)
	}
}

// story writes a raft event stream by hand, as peers would report it.
type story struct {
	events []chaos.Event
	at     time.Duration
	term   []int
	role   []raft.Role
}

func newStory(n int) *story {
	s := &story{term: make([]int, n), role: make([]raft.Role, n)}
	for p := range n {
		s.raft(raft.Event{Kind: raft.EventBoot, Peer: p, Other: raft.None})
	}
	return s
}

func (s *story) add(e chaos.Event) {
	e.Seq = uint64(len(s.events) + 1)
	e.At = s.at
	s.events = append(s.events, e)
}

func (s *story) raft(r raft.Event) {
	r.Term, r.Role = s.term[r.Peer], s.role[r.Peer]
	s.add(chaos.Event{Kind: chaos.EventRaft, Peer: r.Peer, Raft: &r})
}

// elect makes p leader of term t with votes from voters.
func (s *story) elect(p, t int, voters ...int) {
	prev := s.term[p]
	s.term[p], s.role[p] = t, raft.Candidate
	s.raft(raft.Event{Kind: raft.EventTerm, Peer: p, PrevTerm: prev})
	s.raft(raft.Event{Kind: raft.EventRole, Peer: p, Other: raft.None})
	for _, v := range voters {
		pv := s.term[v]
		s.term[v], s.role[v] = t, raft.Follower
		if pv != t {
			s.raft(raft.Event{Kind: raft.EventTerm, Peer: v, PrevTerm: pv})
		}
		s.raft(raft.Event{Kind: raft.EventVote, Peer: v, Other: p, Index: t, Granted: true})
	}
	s.at += 5 * time.Millisecond
	s.role[p] = raft.Leader
	s.raft(raft.Event{Kind: raft.EventRole, Peer: p, Other: p})
}

// splitBrain is a run in which peers 0 and 2 both lead term 2: peer 2 votes twice. The
// checkers find the violation.
func splitBrain(t *testing.T) []chaos.Event {
	t.Helper()
	s := newStory(3)
	s.at = 300 * time.Millisecond
	s.elect(0, 1, 1, 2)
	s.at = time.Second
	s.add(chaos.Event{Kind: chaos.EventFault, Peer: -1, Fault: &chaos.Fault{Kind: chaos.Isolate, Peers: []int{1}}})
	s.at = 1400 * time.Millisecond
	s.elect(0, 2, 2)
	s.at = 1500 * time.Millisecond
	s.elect(1, 2, 2) // the bug: peer 2 votes again in term 2
	var found []chaos.Violation
	suite, err := check.New(3, check.Options{OnViolation: func(v chaos.Violation) { found = append(found, v) }})
	if err != nil {
		t.Fatal(err)
	}
	events := s.events
	for _, e := range events {
		suite.Observe(e)
	}
	if len(found) == 0 {
		t.Fatal("the checkers found nothing in the split-brain story")
	}
	for _, v := range found {
		s.add(chaos.Event{Kind: chaos.EventViolation, Peer: v.Peers[0], Violation: &v})
	}
	return s.events
}

func TestCheckerViolationFromATrace(t *testing.T) {
	events := splitBrain(t)
	d := Data{Header: chaos.TraceHeader{RunConfig: chaos.RunConfig{Name: "split-brain", Engine: "sim", Seed: 11, Peers: 3}}, Events: events}
	doc := parse(t, render(t, d))
	top := text(byID(doc, "top"))
	mustContain(t, "the header", top, "FAIL", "election-safety", "Two peers were leader in the same term", "peers involved 0 and 1", "terms 2")
	mustContain(t, "the violation section", text(byID(doc, "violation")), "election-safety", "peers involved 0 and 1 (marked")
	// The peers involved are marked in the timeline; the other is not.
	var marked []string
	for _, l := range all(chart(doc, "timeline"), "text", "lane") {
		if hasClass(l, "involved") {
			marked = append(marked, text(l))
		}
	}
	if got, want := strings.Join(marked, ", "), "peer 0 ◀, peer 1 ◀"; got != want {
		t.Errorf("lanes marked as involved: %q, want %q", got, want)
	}
	// Without a Result, the figures come from the events, and the page says so.
	mustContain(t, "the figures", text(byID(doc, "figures")), "elections 3", "highest term 2")
	mustContain(t, "the header", top, "Made from a trace")
	// The events before the violation end with the second leader of term 2.
	rows := all(byID(doc, "violation"), "tr", "")
	last := text(rows[len(rows)-1])
	mustContain(t, "the last event before the violation", last, "peer 1 term 2 leader: role -> leader")
}

func TestUntrustedTextIsEscaped(t *testing.T) {
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	src := "# A scenario " + evil + " & more\npeers 3\nwait leader within 5s # " + evil + "\n"
	run := runScenario(t, "evil<b>", src, 1)
	d := run.rec.Data(run.sc, &run.res.Result, run.res.KV)
	d.Header.Tool = evil
	d.Repro = "miniraft run '" + evil + "'"
	d.Notes = []string{"note " + evil}
	d.Sections = []Section{{
		Title: "Extra " + evil, Status: evil, Text: "text " + evil,
		Link: "javascript:alert(1)", LinkText: "link " + evil,
		Embed: "<!DOCTYPE html><p>embedded</p><script>parent.document.title='pwned'</script>\"'></iframe>" + evil,
	}}
	v := chaos.Violation{Checker: "expect" + evil, Message: "</title></svg>" + evil, Peers: []int{1}, At: 10 * time.Millisecond, Seq: 3}
	d.Events = append(d.Events, chaos.Event{Seq: 99999, At: 20 * time.Millisecond, Kind: chaos.EventViolation, Peer: 1, Violation: &v})
	d.Events = append(d.Events, chaos.Event{Seq: 100000, At: 20 * time.Millisecond, Kind: chaos.EventStep, Peer: -1, Text: evil, Line: 3})
	d.Result = nil // the verdict then comes from the events, so the violation's text is shown everywhere
	page := render(t, d)

	// A tokenizer sees the page as a browser does: only the page's own script and no
	// element or attribute from the text.
	z := html.NewTokenizer(strings.NewReader(page))
	scripts, iframes := 0, 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script":
			scripts++
		case "img":
			t.Errorf("an <img> element got into the page: %v", tok)
		case "iframe":
			iframes++
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", tok.Data, a.Key, a.Val)
			}
			if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("<%s %s=%q>: a javascript: URL got through", tok.Data, a.Key, a.Val)
			}
		}
	}
	if scripts != 1 {
		t.Errorf("%d <script> elements, want 1 (the page's own)", scripts)
	}
	if iframes != 1 {
		t.Errorf("%d <iframe> elements, want 1 (the embedded section)", iframes)
	}
	// The text itself is shown, as text.
	doc := parse(t, page)
	mustContain(t, "the page's text", text(doc), `A scenario <script>alert("x")</script>`, "text "+evil, "note "+evil)
	// The embedded document is whole in srcdoc, sandboxed without same-origin rights.
	frame := all(doc, "iframe", "")[0]
	if got, _ := attr(frame, "srcdoc"); got != d.Sections[0].Embed {
		t.Errorf("srcdoc = %q, want the embedded document unchanged", got)
	}
	if got, _ := attr(frame, "sandbox"); got != "allow-scripts" {
		t.Errorf("sandbox = %q, want allow-scripts", got)
	}
}

func TestPageNeedsNoNetwork(t *testing.T) {
	run := runScenario(t, "leader-crash", "", 2)
	d := run.rec.Data(run.sc, &run.res.Result, run.res.KV)
	d.Sections = []Section{{Title: "Linearizability", Status: "fail", Text: "not linearizable", Link: "porcupine.html", Embed: "<p>hi</p>"}}
	doc := parse(t, render(t, d))
	csp := ""
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		if v, _ := attr(n, "http-equiv"); n.Data == "meta" && v == "Content-Security-Policy" {
			csp, _ = attr(n, "content")
		}
		for _, a := range n.Attr {
			v := strings.ToLower(a.Val)
			switch a.Key {
			case "src":
				t.Errorf("<%s src=%q>: the page loads something", n.Data, a.Val)
			case "href":
				if !strings.HasPrefix(v, "#") && v != "porcupine.html" {
					t.Errorf("<%s href=%q>: a link that is not within the page", n.Data, a.Val)
				}
			}
			if strings.Contains(v, "http://") || strings.Contains(v, "https://") || strings.Contains(v, "url(//") {
				t.Errorf("<%s %s=%q>: a network URL", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "style" || n.Data == "script" {
			body := text(n)
			for _, bad := range []string{"@import", "http://", "https://", "fetch(", "XMLHttpRequest"} {
				if strings.Contains(body, bad) && !strings.Contains(body, "http://www.w3.org/2000/svg") {
					t.Errorf("<%s> mentions %q", n.Data, bad)
				}
			}
		}
	})
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy is %q; want default-src 'none'", csp)
	}
}

func TestReportFromTraceMatchesTheRun(t *testing.T) {
	run := runScenario(t, "demo", "", 1)
	d, err := FromTrace(bytes.NewReader(run.trace))
	if err != nil {
		t.Fatal(err)
	}
	doc := parse(t, render(t, d))
	figs := map[string]string{}
	for _, r := range all(byID(doc, "figures"), "tr", "") {
		if th := all(r, "th", ""); len(th) == 1 {
			figs[text(th[0])] = text(all(r, "td", "")[0])
		}
	}
	c := run.res.Checks
	for _, tc := range []struct {
		name string
		want int
	}{
		{"elections", c.Elections},
		{"highest term", c.MaxTerm},
		{"commit index", c.CommitIndex},
		{"restarts", c.Restarts},
		{"faults", run.res.Faults},
	} {
		got := strings.Fields(figs[tc.name])
		if len(got) == 0 || got[0] != strconv.Itoa(tc.want) {
			t.Errorf("figure %q from the trace = %q, want %d as the run counted", tc.name, figs[tc.name], tc.want)
		}
	}
	mustContain(t, "the header", text(byID(doc, "top")), "PASS", "demo", "seed 1")
}

func TestMessageWindowAndLimit(t *testing.T) {
	run := runScenario(t, "leader-isolation", "", 3)
	for _, tc := range []struct {
		name        string
		window      Window
		max         int
		wantEmpty   bool
		wantBeats   bool
		wantTrimmed bool
		any         bool // the data decide whether to summarise and trim
	}{
		{name: "default", max: 0, any: true},
		{name: "a small limit summarises heartbeats and trims", window: Window{From: time.Second, To: 3 * time.Second}, max: 20, wantBeats: true, wantTrimmed: true},
		{name: "a quiet window", window: Window{From: 10 * time.Minute, To: 11 * time.Minute}, wantEmpty: true},
		{name: "a short window draws everything", window: Window{From: 2 * time.Second, To: 2100 * time.Millisecond}, max: 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := run.rec.Data(run.sc, &run.res.Result, run.res.KV)
			d.Window, d.MaxMessages = tc.window, tc.max
			sec := byID(parse(t, render(t, d)), "messages")
			arrows := all(sec, "g", "msg")
			limit := tc.max
			if limit == 0 {
				limit = DefaultMaxMessages
			}
			if len(arrows) > limit {
				t.Errorf("%d messages drawn, limit %d", len(arrows), limit)
			}
			if tc.wantEmpty != (len(arrows) == 0) {
				t.Errorf("%d messages drawn; want none: %v", len(arrows), tc.wantEmpty)
			}
			body := text(sec)
			if tc.window.From > run.res.Duration && !strings.Contains(body, "is outside the run, which ended at "+fmtSec(run.res.Duration)) {
				t.Errorf("a window after the run's end does not say so: %q", body)
			}
			if tc.any {
				return
			}
			if got := strings.Contains(body, "heartbeats (AppendEntries that carry no entries) are not drawn as arrows"); got != tc.wantBeats {
				t.Errorf("heartbeats summarised: %v, want %v", got, tc.wantBeats)
			}
			if got := strings.Contains(body, "sent nearest"); got != tc.wantTrimmed {
				t.Errorf("trimmed to the limit: %v, want %v", got, tc.wantTrimmed)
			}
			if !tc.window.IsZero() && !tc.wantTrimmed {
				mustContain(t, "the diagram's title", text(all(sec, "h2", "")[0]), fmtSec(tc.window.From), fmtSec(tc.window.To))
			}
			if tc.name == "a short window draws everything" {
				want := 0
				for _, e := range run.events {
					if e.Net != nil && e.Net.Kind == chaos.NetSent && e.At >= tc.window.From && e.At <= tc.window.To {
						want++
					}
				}
				if len(arrows) != want {
					t.Errorf("%d messages drawn, want every one of the %d sent in the window", len(arrows), want)
				}
			}
		})
	}
}

func TestBadInputIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Data
		want string
	}{
		{"window backwards", Data{Window: Window{From: 2 * time.Second, To: time.Second}}, "ends before it starts"},
		{"window before the run", Data{Window: Window{From: -time.Second, To: time.Second}}, "before the run"},
		{"negative limit", Data{MaxMessages: -1}, "MaxMessages is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Write: %v, want an error saying %q", err, tc.want)
			}
		})
	}
	t.Run("writer fails", func(t *testing.T) {
		errBroken := errors.New("broken pipe")
		err := Write(failWriter{errBroken}, Data{})
		if !errors.Is(err, errBroken) {
			t.Errorf("Write: %v, want it to wrap %v", err, errBroken)
		}
	})
	t.Run("file in a missing directory", func(t *testing.T) {
		err := WriteFile(t.TempDir()+"/no/such/dir/r.html", Data{})
		if err == nil || !strings.Contains(err.Error(), "no/such/dir") {
			t.Errorf("WriteFile: %v, want an error naming the path", err)
		}
	})
	t.Run("not a trace", func(t *testing.T) {
		_, err := FromTrace(strings.NewReader("hello\n"))
		if !errors.Is(err, chaos.ErrNotTrace) {
			t.Errorf("FromTrace: %v, want chaos.ErrNotTrace", err)
		}
	})
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// TestNonsenseEventsDoNotBreakThePage feeds events no engine would publish: unknown
// kinds, missing payloads, peers that do not exist, time going backwards.
func TestNonsenseEventsDoNotBreakThePage(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 50 {
		var events []chaos.Event
		for i := range 300 {
			e := chaos.Event{Seq: uint64(i + 1), At: time.Duration(rng.Int64N(int64(5*time.Second))) - time.Second, Kind: chaos.EventKind(rng.IntN(10)), Peer: rng.IntN(12) - 3}
			p := rng.IntN(12) - 3
			switch rng.IntN(6) {
			case 0:
				e.Raft = &raft.Event{Kind: raft.EventKind(rng.IntN(12)), Peer: p, Term: rng.IntN(5) - 1, Role: raft.Role(rng.IntN(5)), Other: rng.IntN(8) - 2,
					Index: rng.IntN(20) - 2, LastIndex: rng.IntN(20) - 2, Entries: []raft.Entry{{Term: 1, Command: rng.IntN(3)}}}
			case 1:
				e.Net = &chaos.NetEvent{Kind: chaos.NetEventKind(rng.IntN(8)), ID: uint64(rng.IntN(40)), From: p, To: rng.IntN(8) - 2, Method: raft.MethodAppendEntries, Bytes: rng.IntN(100) - 10}
			case 2:
				e.Fault = &chaos.Fault{Kind: chaos.FaultKind(rng.IntN(18)), Peers: []int{p}, Groups: [][]int{{p}, {0}}, From: []int{p}, To: []int{1}, P: rng.Float64()*2 - 0.5, Rate: rng.Float64()}
			case 3:
				e.Violation = &chaos.Violation{Checker: "x", Peers: []int{p}, Terms: []int{-1}}
			case 4:
				e.Propose = &chaos.Proposal{Command: rng.IntN(5), ProposeResult: chaos.ProposeResult{Peer: p, Index: rng.IntN(20), OK: rng.IntN(2) == 0}}
			}
			events = append(events, e)
		}
		d := Data{Header: chaos.TraceHeader{RunConfig: chaos.RunConfig{Peers: rng.IntN(4)}}, Events: events, MaxMessages: rng.IntN(30)}
		doc := parse(t, render(t, d))
		if byID(doc, "timeline") == nil {
			t.Fatalf("round %d: no timeline", round)
		}
	}
}

func TestEmptyRun(t *testing.T) {
	doc := parse(t, render(t, Data{}))
	for _, id := range sections {
		if byID(doc, id) == nil {
			t.Errorf("no section %q in the page of an empty run", id)
		}
	}
	mustContain(t, "the messages", text(byID(doc, "messages")), "No message events were recorded")
}

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Window
		wantErr string
	}{
		{in: "2s-4.5s", want: Window{From: 2 * time.Second, To: 4500 * time.Millisecond}},
		{in: "1500ms..3s", want: Window{From: 1500 * time.Millisecond, To: 3 * time.Second}},
		{in: "0-0.25", want: Window{To: 250 * time.Millisecond}},
		{in: " 1s - 2s ", want: Window{From: time.Second, To: 2 * time.Second}},
		{in: "4s-2s", wantErr: "ends before it starts"},
		{in: "3s", wantErr: "no '-'"},
		{in: "x-2s", wantErr: `"x" is not a duration`},
		{in: "1s-NaN", wantErr: `"NaN" is not a duration`},
		{in: "-1s-2s", wantErr: `"" is not a duration`},
	} {
		got, err := ParseWindow(tc.in)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseWindow(%q) = %v, %v; want an error saying %q", tc.in, got, err, tc.wantErr)
			}
		case err != nil || got != tc.want:
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestKVRunHasTheClientsView(t *testing.T) {
	run := runScenario(t, "kv-crash-restart", "", 2)
	if run.res.KV == nil {
		t.Fatal("the run has no kv result")
	}
	doc := parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
	kv := byID(doc, "kv")
	if kv == nil {
		t.Fatal("no kv section")
	}
	want := string(run.res.KV.Check.Outcome)
	mustContain(t, "the kv section", text(kv), want, "operations")
	if got := len(all(kv, "iframe", "")); got != 0 {
		t.Errorf("%d frames, want none: a linearizable history has no visualization", got)
	}
	// The client operations get their own latency chart, with every operation.
	charts := all(byID(doc, "commits"), "h3", "")
	var titles []string
	for _, h := range charts {
		titles = append(titles, text(h))
	}
	mustContain(t, "the charts", strings.Join(titles, "; "), "Client operations (kv workload)")
	mustContain(t, "the charts", text(byID(doc, "commits")), fmt.Sprintf("%d operations:", run.res.KV.Stats.Operations))
}

// The page says what running the command again gives on the engine the run used: the
// same run on the sim engine, possibly another on the live engine.
func TestReproSaysWhatHoldsForTheEngine(t *testing.T) {
	events := splitBrain(t)
	for _, tt := range []struct {
		engine    string
		want, not string
	}{
		{"sim", "the sim engine repeats a run event for event", "on the live engine"},
		{"live", "on the live engine the seed fixes the scenario's random choices, but real time", "the sim engine repeats a run event for event from its seed, so this command gives this very run"},
	} {
		d := Data{Header: chaos.TraceHeader{RunConfig: chaos.RunConfig{Name: "split-brain", Engine: tt.engine, Seed: 11, Peers: 3}}, Events: events}
		top := text(byID(parse(t, render(t, d)), "top"))
		mustContain(t, tt.engine+": the header", top, "miniraft run --engine "+tt.engine+" --seed 11 split-brain", tt.want)
		if strings.Contains(top, tt.not) {
			t.Errorf("%s: the header says %q", tt.engine, tt.not)
		}
	}
}

// The page gives each figure once, from one source: the proposals the figures count are
// the ones the latency chart counts, refused ones apart in both.
func TestProposalCountsAgree(t *testing.T) {
	run := runScenario(t, "leader-crash", "", 1)
	wl := run.res.Workload
	if wl.Refused == 0 || wl.Proposed == 0 {
		t.Fatalf("leader-crash seed 1: %+v; want proposals some of which found no leader", wl)
	}
	doc := parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
	figures := fmt.Sprintf("proposals %d: %d committed, %d lost, %d in flight; %d found no leader", wl.Proposed, wl.Committed, wl.Lost, wl.InFlight, wl.Refused)
	mustContain(t, "the figures", text(byID(doc, "figures")), figures)
	latency := fmt.Sprintf("%d proposals: %d committed, %d lost, %d never committed; %d more found no leader.", wl.Proposed, wl.Committed, wl.Lost, wl.InFlight, wl.Refused)
	mustContain(t, "the latency chart", text(byID(doc, "commits")), latency)
}

// One step skipped is "1 step skipped".
func TestOneStepSkipped(t *testing.T) {
	run := runScenario(t, "skip", "peers 1\nwait leader within 5s\ncrash follower\n", 1)
	if run.res.Skipped != 1 {
		t.Fatalf("%d steps skipped, want 1 (a lone peer has no follower)", run.res.Skipped)
	}
	fig := text(byID(parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV))), "figures"))
	mustContain(t, "the figures", fig, "0 (1 step skipped)")
	if strings.Contains(fig, "steps skipped") {
		t.Errorf("the figures say %q", fig)
	}
}
