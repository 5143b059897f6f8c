// Package tui is MiniRaft's terminal UI: a live view of a chaos cluster (every peer's
// role, term, log and commit index, the network, the event stream and the scenario's
// timeline) with keys and a command bar to break it.
//
// It is a view, never the source of truth, and it holds no Raft logic. Data flows one
// way: a Source (a running scenario, RunnerSource) is read by the App's model goroutine,
// which makes immutable frames about ten times a second, or sooner after an event that
// matters, and hands them to the UI goroutine with tview's QueueUpdateDraw, skipping
// frames that would look the same. Views only render the current frame: the render
// functions are pure and return lines of styled text. Key handlers never block: every
// action on the cluster is a command of the scenario language ("crash 2") handed to
// Source.Exec, which queues it for the run's goroutine. One key table (bindings)
// drives dispatch, the help screen and the tests.
package tui

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/scenario"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// Options configure an App.
type Options struct {
	// Screen is drawn on; nil means the terminal. Tests pass a
	// tcell.NewSimulationScreen.
	Screen tcell.Screen
	// Interval is how often the model makes a frame; zero means 100ms.
	Interval time.Duration
	// AfterDraw, when set, is called on the UI goroutine after every draw, before the
	// screen is shown, with the screen drawn on (tests read it back there).
	AfterDraw func(tcell.Screen)
}

// App is the terminal UI over a Source. Create it with New and call Run, which returns
// when the user quits (q) or Stop is called. Run may be called once. Stop is safe for
// concurrent use; the other methods are the UI goroutine's.
type App struct {
	src   Source
	caps  Caps
	app   *tview.Application
	root  *rootView
	bar   *tview.InputField
	model *model

	stopOnce sync.Once
	stopped  atomic.Bool // the tview loop is ending: post no more frames

	// Used by the UI goroutine only.
	now     func() time.Time // the clock of key timings (tests replace it)
	frame   *frame
	view    viewState
	history []string
	histAt  int
}

// viewState is what the person chose to see. The UI goroutine owns it.
type viewState struct {
	sel      int
	follow   bool // sel follows the leader, until the person chooses a peer
	filter   int
	peerOnly bool
	// anchor is the Seq of the event row at the bottom of the events, or 0 to follow
	// the newest; search is the text searched for in them, match the Seq of the row
	// found.
	anchor     uint64
	search     string
	match      uint64
	help       bool
	helpScroll int
	bar        bool
	mode       barMode
	barErr     error
	barText    string // the text barErr is about
	msg        string
	msgBad     bool
	msgAt      time.Time
	lastRate   float64
	lay        layout
	// digit is the peer id digit typed last, at digitAt, or -1: a second digit soon
	// after it selects a peer of two digits.
	digit   int
	digitAt time.Time
	// comp is the completion Tab cycles through, while Tab is pressed.
	comp *cycle
	// rows caches the event rows of a frame, for a filter.
	rows rowsCache
}

// barMode is what the bar at the bottom takes.
type barMode uint8

const (
	barCommand barMode = iota // a command of the scenario language
	barSeek                   // a time to go to, in a replay
	barSearch                 // a text to search the events for
)

// cycle is a completion with several words: each Tab puts the next in the bar.
type cycle struct {
	head  string // the bar's text before the word
	words []string
	i     int
}

// rowsCache is the event rows of a frame, for a filter and a peer.
type rowsCache struct {
	f      *frame
	filter int
	peer   int
	rows   []row
}

// New makes an App over src. It starts nothing until Run.
func New(src Source, opts Options) *App {
	a := &App{src: src, caps: src.Caps(), app: tview.NewApplication(), frame: emptyFrame(), now: time.Now}
	a.view.follow, a.view.digit = true, -1
	if opts.Screen != nil {
		a.app.SetScreen(opts.Screen)
	}
	a.app.EnableMouse(true)
	a.bar = tview.NewInputField().SetLabel(": ").
		SetFieldBackgroundColor(tcell.ColorDefault).SetLabelColor(tcell.ColorYellow)
	a.bar.SetChangedFunc(func(string) { a.view.barErr = nil })
	a.root = &rootView{Box: tview.NewBox(), a: a}
	a.app.SetRoot(a.root, true)
	a.app.SetInputCapture(a.onKey)
	if opts.AfterDraw != nil {
		a.app.SetAfterDrawFunc(opts.AfterDraw)
	}
	a.model = newModel(src, opts.Interval, a.post)
	return a
}

// Run shows the UI until the user quits or Stop is called, and restores the terminal.
func (a *App) Run() error {
	go a.model.run(func() {
		a.stopped.Store(true)
		a.app.Stop()
	})
	err := a.app.Run()
	a.stopped.Store(true)
	a.Stop()
	// The model ends at once unless it is inside QueueUpdateDraw, which can only happen
	// if the tview loop ended by itself (a terminal error): then don't hang on it.
	select {
	case <-a.model.done:
	case <-time.After(time.Second):
	}
	return err
}

// Stop ends Run. It is safe to call from any goroutine, more than once.
func (a *App) Stop() {
	a.stopOnce.Do(func() { close(a.model.quit) })
}

// quit is the q key.
func (a *App) quit() { a.Stop() }

// post hands a frame to the UI goroutine (the model's post function).
func (a *App) post(f *frame) {
	if a.stopped.Load() {
		return
	}
	a.app.QueueUpdateDraw(func() {
		if f.gen != a.frame.gen {
			// The events were replaced (a replay moved back): where the view stood is gone.
			a.view.anchor, a.view.match = 0, 0
		}
		a.frame = f
		if a.view.follow && f.leader != raft.None {
			a.view.sel = f.leader
		}
		if n := len(f.snap.Peers); a.view.sel >= n {
			a.view.sel = max(0, n-1)
		}
	})
}

// onKey is tview's input capture: every key comes here first. It returns nil for keys
// it handled (all of them, but those typed into the command bar).
func (a *App) onKey(ev *tcell.EventKey) *tcell.EventKey {
	switch {
	case a.view.bar:
		a.barKey(ev)
		return nil
	case a.view.help:
		a.helpKey(ev)
		return nil
	}
	b := lookupKey(ev)
	if b == nil {
		a.say(fmt.Sprintf("no key %s: press ? for the keys", keyName(ev)), true)
		return nil
	}
	if b.needs != nil && !b.needs(a.caps) {
		a.say(fmt.Sprintf("%s: not available here", b.help), true)
		return nil
	}
	if b.group == groupPeer && b.label != "L" {
		a.view.follow = false // the person chose a peer, or acted on the one selected
	}
	b.do(a, ev)
	return nil
}

// keyName names a key for messages.
func keyName(ev *tcell.EventKey) string {
	if ev.Key() == tcell.KeyRune {
		return fmt.Sprintf("%q", ev.Rune())
	}
	return ev.Name()
}

// helpKey handles keys while help is open.
func (a *App) helpKey(ev *tcell.EventKey) {
	switch {
	case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && (ev.Rune() == '?' || ev.Rune() == 'q'):
		a.view.help = false
	case ev.Key() == tcell.KeyCtrlC:
		a.quit()
	case ev.Key() == tcell.KeyUp, ev.Key() == tcell.KeyRune && ev.Rune() == 'k':
		a.view.helpScroll = max(0, a.view.helpScroll-1)
	case ev.Key() == tcell.KeyDown, ev.Key() == tcell.KeyRune && ev.Rune() == 'j':
		a.view.helpScroll++
	case ev.Key() == tcell.KeyPgUp:
		a.view.helpScroll = max(0, a.view.helpScroll-10)
	case ev.Key() == tcell.KeyPgDn, ev.Key() == tcell.KeyRune && ev.Rune() == ' ':
		a.view.helpScroll += 10
	}
}

// barKey handles keys while the command bar is open.
func (a *App) barKey(ev *tcell.EventKey) {
	if ev.Key() != tcell.KeyTab && ev.Key() != tcell.KeyBacktab {
		a.view.comp = nil
	}
	switch ev.Key() {
	case tcell.KeyTab, tcell.KeyBacktab:
		if a.view.mode == barCommand {
			a.complete(ev.Key() == tcell.KeyBacktab)
		}
	case tcell.KeyEscape, tcell.KeyCtrlC:
		a.closeBar()
	case tcell.KeyEnter:
		a.submit()
	case tcell.KeyUp:
		if a.histAt > 0 {
			a.histAt--
			a.bar.SetText(a.history[a.histAt])
		}
	case tcell.KeyDown:
		if a.histAt < len(a.history) {
			a.histAt++
			text := ""
			if a.histAt < len(a.history) {
				text = a.history[a.histAt]
			}
			a.bar.SetText(text)
		}
	default:
		if h := a.bar.InputHandler(); h != nil {
			h(ev, func(tview.Primitive) {})
		}
	}
}

func (a *App) openBar() {
	a.view.bar = true
	a.view.mode = barCommand
	a.bar.SetLabel(": ")
	a.view.barErr, a.view.comp = nil, nil
	a.histAt = len(a.history)
	a.bar.SetText("")
	a.bar.Focus(nil)
}

func (a *App) closeBar() {
	a.view.bar = false
	a.view.mode = barCommand
	a.view.barErr, a.view.comp = nil, nil
	a.bar.Blur()
}

// complete completes the word being typed at the command bar from what the language
// accepts there (scenario.Complete): the only word that fits, or as much as the words
// that fit share; when that adds nothing, each Tab puts the next word that fits (the
// previous one with back).
func (a *App) complete(back bool) {
	if c := a.view.comp; c != nil {
		step := 1
		if back {
			step = len(c.words) - 1
		}
		c.i = (c.i + step) % len(c.words)
		a.bar.SetText(c.head + withSpace(c.words[c.i]))
		return
	}
	text := a.bar.GetText()
	c := scenario.Complete(text, len(a.frame.snap.Peers))
	if len(c.Words) == 0 {
		return
	}
	head := text[:c.Start]
	if len(c.Words) == 1 {
		a.bar.SetText(head + withSpace(c.Words[0]))
		return
	}
	if common := commonPrefix(c.Words); len(common) > len(c.Prefix) {
		a.bar.SetText(head + common)
		return
	}
	i := 0
	if back {
		i = len(c.Words) - 1
	}
	a.view.comp = &cycle{head: head, words: c.Words, i: i}
	a.bar.SetText(head + withSpace(c.Words[i]))
}

// withSpace returns a completed word with the space that comes after it, unless what
// follows it comes right after (a value after "=", an id after ",").
func withSpace(w string) string {
	if strings.HasSuffix(w, "=") || w == "," {
		return w
	}
	return w + " "
}

// commonPrefix returns the longest prefix all words share.
func commonPrefix(words []string) string {
	p := words[0]
	for _, w := range words[1:] {
		for !strings.HasPrefix(w, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// barHint says what the command being typed at the bar takes: its usage and summary,
// and what may come next (the words Tab offers, or what belongs there).
func (a *App) barHint(w int) line {
	var l line
	text := a.bar.GetText()
	c := scenario.Complete(text, len(a.frame.snap.Peers))
	if fs := strings.Fields(text); len(fs) > 0 && (len(fs) > 1 || strings.HasSuffix(text, " ")) {
		if spec, ok := scenario.SpecOf(fs[0]); ok && spec.Form == scenario.FormCommand {
			l.add("  "+spec.Usage, stKey)
			l.add("  "+spec.Summary+"   ", stDim)
		}
	}
	switch {
	case len(c.Words) > 0:
		l.add("Tab: "+strings.Join(c.Words, " "), stDefault)
	case c.Want != "":
		l.add("next: "+c.Want, stDefault)
	case text == "":
		l.add("  Enter runs, Esc cancels, ↑↓ recall, Tab completes.  e.g.  crash leader   partition 0,1 | others   loss 20%   wait leader within 5s   (? lists all)", stDim)
	}
	if l.width() > w {
		l = line{{fit(l.String(), w), stDim}}
	}
	return l
}

// submit runs the command bar's text. A bad command keeps the bar open with the error
// shown under the offending token.
func (a *App) submit() {
	text := strings.TrimSpace(a.bar.GetText())
	if text == "" {
		a.closeBar()
		return
	}
	switch a.view.mode {
	case barSeek:
		a.submitSeek(text)
		return
	case barSearch:
		a.closeBar()
		a.startSearch(a.bar.GetText())
		return
	}
	if err := a.src.Exec(text); err != nil {
		a.view.barErr, a.view.barText = err, a.bar.GetText()
		return
	}
	if len(a.history) == 0 || a.history[len(a.history)-1] != text {
		a.history = append(a.history, text)
	}
	a.closeBar()
	a.say("sent: "+text, false)
	a.model.kick()
}

// step moves a replay n events (the → and ← keys).
func (a *App) step(n int) {
	if st, ok := a.src.(Stepper); ok {
		a.say(st.Step(n), false)
		a.model.kick()
	}
}

// openSeek opens the bar for a time to go to (the g key).
func (a *App) openSeek() {
	a.openBar()
	a.view.mode = barSeek
	a.bar.SetLabel("go to: ")
}

// submitSeek goes to the time typed: 12.5s, 1m, 12.5 (seconds), or +2s and -500ms
// from now.
func (a *App) submitSeek(text string) {
	st, ok := a.src.(Stepper)
	if !ok {
		a.closeBar()
		return
	}
	at, err := parseSeek(text, a.frame.snap.Run.Now)
	if err == nil {
		var msg string
		if msg, err = st.Seek(at); err == nil {
			a.closeBar()
			a.say(msg, false)
			a.model.kick()
			return
		}
	}
	a.view.barErr, a.view.barText = err, a.bar.GetText()
}

// parseSeek reads a time to go to: a duration (12.5s), a number of seconds (12.5), or
// either after + or - to move from now.
func parseSeek(text string, now time.Duration) (time.Duration, error) {
	s, sign := strings.TrimSpace(text), 0
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		s, sign = rest, 1
	} else if rest, ok := strings.CutPrefix(s, "-"); ok {
		s, sign = rest, -1
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || secs < 0 || secs > 1e9 {
			return 0, fmt.Errorf("%q is not a time: write 12.5s, 1m30s, 12.5, or +2s to move on", text)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: write -%s to move back", text, -d)
	}
	if sign == 0 {
		return d, nil
	}
	return max(now+time.Duration(sign)*d, 0), nil
}

// jump moves a replay to the next (forward) or previous landmark: a violation, or any
// of a fault, a new leader and a violation (the ], [, v and V keys).
func (a *App) jump(violations, forward bool) {
	if st, ok := a.src.(Stepper); ok {
		msg, err := st.Jump(violations, forward)
		if err != nil {
			a.say(err.Error(), true)
			return
		}
		a.say(msg, false)
		a.model.kick()
	}
}

// exec sends a command made by a key.
func (a *App) exec(cmd string) {
	if err := a.src.Exec(cmd); err != nil {
		a.say(cmd+": "+err.Error(), true)
		return
	}
	a.say("sent: "+cmd, false)
	a.model.kick()
}

// say shows a message on the bottom line for a few seconds.
func (a *App) say(msg string, bad bool) {
	a.view.msg, a.view.msgBad, a.view.msgAt = msg, bad, time.Now()
}

func (a *App) selectPeer(id int) {
	n := len(a.frame.snap.Peers)
	if n == 0 {
		return
	}
	if id < 0 || id >= n {
		id = (id + n) % n
	}
	a.view.sel = id
}

// digitGap is how soon a second digit must follow the first to select a peer of two
// digits.
const digitGap = time.Second

// selectDigit selects a peer by the digit typed: peer d, or, in a cluster of more than
// ten, the peer of two digits when this one comes soon after another (1 then 2: 12).
func (a *App) selectDigit(d int) {
	n, now := len(a.frame.snap.Peers), a.now()
	if prev := a.view.digit; prev > 0 && n > 10 && now.Sub(a.view.digitAt) < digitGap && prev*10+d < n {
		a.view.digit = -1
		a.view.sel = prev*10 + d
		return
	}
	a.view.digit, a.view.digitAt = d, now
	if n == 0 {
		return // no cluster yet: nothing to select, and "peers are 0..-1" says nothing
	}
	if d >= n {
		a.say(fmt.Sprintf("there is no peer %d (peers are 0..%d)", d, n-1), true)
		return
	}
	a.view.sel = d
}

func (a *App) togglePause() {
	if a.frame.snap.Run.Paused {
		a.src.Resume()
		a.say("resumed", false)
	} else {
		a.src.Pause()
		a.say("paused: space resumes", false)
	}
	a.model.kick()
}

func (a *App) setSpeed(x float64) {
	if err := a.src.SetSpeed(x); err != nil {
		a.say(err.Error(), true)
		return
	}
	a.say("speed "+speedText(runmodel.State{Speed: x}, a.caps), false)
	a.model.kick()
}

// workloadCmd turns the workload off, or back on at the rate it had.
func (a *App) workloadCmd() string {
	if r := a.frame.snap.Run.Rate; r > 0 {
		a.view.lastRate = r
		return "workload off"
	}
	r := a.view.lastRate
	if r <= 0 {
		r = 5
	}
	return fmt.Sprintf("workload rate=%g", r)
}

// eventRows is how many event lines the view shows.
func (a *App) eventRows() int { return max(1, a.view.lay.events.h-1) }

func (a *App) eventPeer() int {
	if a.view.peerOnly {
		return a.view.sel
	}
	return -1
}

// rows returns the event rows the events view shows, for the current frame and filter.
func (a *App) rows() []row {
	c := &a.view.rows
	if c.f != a.frame || c.filter != a.view.filter || c.peer != a.eventPeer() {
		*c = rowsCache{f: a.frame, filter: a.view.filter, peer: a.eventPeer(),
			rows: filterEvents(a.frame.events, eventFilters[a.view.filter], a.eventPeer())}
	}
	return c.rows
}

// scrollEvents moves the events view d rows back (d < 0: forward). Scrolled back, the
// view stays where it is as events come; forward to the newest, it follows them again.
func (a *App) scrollEvents(d int) {
	rows := a.rows()
	if len(rows) == 0 {
		return
	}
	bottom := bottomRow(rows, a.view.anchor) - d
	a.showBottom(max(min(bottom, len(rows)-1), min(a.eventRows(), len(rows))-1))
}

// showBottom anchors the events view with row i at its bottom.
func (a *App) showBottom(i int) {
	rows := a.rows()
	if i >= len(rows)-1 {
		a.view.anchor = 0
		return
	}
	a.view.anchor = rows[i].seq()
}

// follow goes back to following the newest events (End).
func (a *App) followEvents() { a.view.anchor = 0 }

// openSearch opens the bar for a text to search the events for (the / key).
func (a *App) openSearch() {
	a.openBar()
	a.view.mode = barSearch
	a.bar.SetLabel("/")
}

// startSearch searches the events for text, from the bottom of the view back, and
// shows the match; it says so when nothing matches.
func (a *App) startSearch(text string) {
	a.view.search, a.view.match = text, 0
	if text == "" {
		return
	}
	rows := a.rows()
	i := findMatch(rows, text, bottomRow(rows, a.view.anchor), -1)
	if i < 0 {
		i = findMatch(rows, text, len(rows)-1, -1)
	}
	if i < 0 {
		a.say(fmt.Sprintf("no event matches %q (yet: the search stays on; Esc ends it)", text), true)
		return
	}
	a.showMatch(i)
}

// searchNext goes to the next match of the search: an older one (dir < 0, n) or a
// newer one (dir > 0, N), round from the other end when there is none.
func (a *App) searchNext(dir int) {
	if a.view.search == "" {
		a.say("no search: / searches the events", true)
		return
	}
	rows := a.rows()
	from := bottomRow(rows, a.view.anchor)
	if a.view.match != 0 {
		if i := sort.Search(len(rows), func(i int) bool { return rows[i].seq() >= a.view.match }); i < len(rows) && rows[i].seq() == a.view.match {
			from = i + dir
		}
	}
	i := findMatch(rows, a.view.search, from, dir)
	if i < 0 {
		end := len(rows) - 1
		if dir > 0 {
			end = 0
		}
		if i = findMatch(rows, a.view.search, end, dir); i >= 0 {
			a.say("search went round to the "+map[bool]string{true: "oldest", false: "newest"}[dir > 0]+" events", false)
		}
	}
	if i < 0 {
		a.say(fmt.Sprintf("no event matches %q", a.view.search), true)
		return
	}
	a.showMatch(i)
}

// showMatch makes row i the current match and scrolls the view to it (a match out of
// view comes to its middle).
func (a *App) showMatch(i int) {
	rows := a.rows()
	a.view.match = rows[i].seq()
	bottom, n := bottomRow(rows, a.view.anchor), a.eventRows()
	if i > bottom || i <= bottom-n {
		a.showBottom(min(len(rows)-1, max(i+n/2, n-1)))
	}
}

// endSearch clears the search (Esc).
func (a *App) endSearch() { a.view.search, a.view.match = "", 0 }

// barErrorLine renders a command's error under the command bar: the command with the
// offending token highlighted, then the error.
func barErrorLine(text string, err error, w int) line {
	var l line
	var se *scenario.Error
	if errors.As(err, &se) && se.Pos.Col > 0 {
		start := min(se.Pos.Col-1, len(text))
		end := min(start+max(1, len(se.Token)), len(text))
		l.add("  "+text[:start], stDefault)
		if start < end {
			l.add(text[start:end], stErrTok)
		} else {
			l.add(" ", stErrTok)
		}
		l.add(text[end:], stDefault)
		l.add("   ", stDefault)
	} else {
		l.add("  ", stDefault)
	}
	l.add("✗ "+err.Error(), stBad)
	l.pad(w, stDefault)
	return l
}

// hintLine renders the bottom line: a recent message, then the main keys.
func (a *App) hintLine(w int) line {
	var l line
	if a.view.msg != "" && time.Since(a.view.msgAt) < 4*time.Second {
		st := stOK
		if a.view.msgBad {
			st = stBad
		}
		l.add(" "+a.view.msg+" ", st)
		l.add("│", stDim)
	}
	hints := [][2]string{{"?", "help"}, {"q", "quit"}, {":", "command"}, {"↑↓", "select"}, {"c", "crash"},
		{"r", "restart"}, {"x", "partition"}, {"h", "heal"}, {"space", "pause"}, {"/", "search"}, {"L", "leader"}, {"i", "isolate"}}
	if a.caps.Replay {
		hints = [][2]string{{"?", "help"}, {"q", "quit"}, {"space", "play/pause"}, {"→←", "step"}, {"][", "fault/leader"},
			{"v", "violation"}, {"g", "go to"}, {"+-", "speed"}, {"/", "search"}, {"↑↓", "select"}, {"f", "filter"}}
	}
	for _, h := range hints {
		if l.width()+len(h[0])+len(h[1])+2 > w {
			break
		}
		l.add(" "+h[0], stKey)
		l.add(" "+h[1], stDim)
	}
	return l
}

// The help screen is in two columns when the terminal is wide enough for a left one
// of helpColumn cells (the keys) and a right one of helpRight (the language).
const (
	helpColumn = 66
	helpRight  = 90
)

// tooSmallLines says that the screen is too small, and what it needs, in words wrapped
// to its width.
func tooSmallLines(w, h, n int) []line {
	var out []line
	for _, m := range []struct {
		text  string
		style tcell.Style
	}{
		{fmt.Sprintf("Terminal too small: %dx%d.", w, h), stBold},
		{fmt.Sprintf("MiniRaft needs %dx%d for %d peers.", minWidth, minHeight(n), n), stDefault},
		{"Make the window bigger, or press q to quit.", stDim},
	} {
		for _, l := range wrap(m.text, w) {
			out = append(out, line{{l, m.style}})
		}
	}
	return out
}

// wrap breaks s into lines of at most w cells, between words where it can.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for textWidth(word) > w {
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			r := []rune(word)
			out = append(out, string(r[:w]))
			word = string(r[w:])
		}
		switch {
		case cur == "":
			cur = word
		case textWidth(cur)+1+textWidth(word) <= w:
			cur += " " + word
		default:
			out = append(out, cur)
			cur = word
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// rootView is the root primitive: it lays out and draws every view from the current
// frame, the help screen over them, or a message when the terminal is too small.
type rootView struct {
	*tview.Box
	a *App
}

// Draw draws everything. It runs on the UI goroutine.
func (r *rootView) Draw(screen tcell.Screen) {
	a := r.a
	x, y, w, h := r.GetRect()
	f := a.frame
	n := len(f.snap.Peers)
	lay := computeLayout(w, h, n, f.snap.Run.Clients != nil)
	a.view.lay = lay
	if lay.tooSmall {
		drawLines(screen, x, y, w, h, tooSmallLines(w, h, n))
		return
	}
	if a.view.help {
		var cmds [][2]string
		for _, c := range scenario.Commands() {
			cmds = append(cmds, [2]string{c.Usage, c.Summary})
		}
		if w >= helpColumn+1+helpRight {
			// Two columns: the keys, and the language and legends beside them.
			keys, more := helpLines(a.caps, cmds, helpColumn)
			a.view.helpScroll = max(0, min(a.view.helpScroll, max(len(keys), len(more))-h))
			keys, more = keys[min(a.view.helpScroll, len(keys)):], more[min(a.view.helpScroll, len(more)):]
			drawLines(screen, x, y, helpColumn, h, keys)
			drawLines(screen, x+helpColumn+1, y, w-helpColumn-1, h, more)
			return
		}
		keys, more := helpLines(a.caps, cmds, w)
		ls := append(append(keys, line{}), more...)
		a.view.helpScroll = max(0, min(a.view.helpScroll, len(ls)-h))
		drawLines(screen, x, y, w, h, ls[a.view.helpScroll:])
		return
	}
	draw := func(rc rect, ls []line) { drawLines(screen, x+rc.x, y+rc.y, rc.w, rc.h, ls) }
	draw(lay.header, renderHeader(f, a.caps, w))
	following := a.view.follow && f.leader == a.view.sel
	if lay.compact {
		draw(lay.peers, renderCompact(f, a.view.sel, following, w))
	} else {
		draw(lay.peers, renderPeers(f, a.view.sel, following, w))
		draw(lay.logs, renderLogs(f, a.view.sel, w))
	}
	what := eventFilters[a.view.filter].name
	if a.view.peerOnly {
		what += fmt.Sprintf(", peer %d only", a.view.sel)
	}
	draw(lay.events, renderEvents(a.rows(), eventsView{what: what, anchor: a.view.anchor, search: a.view.search, match: a.view.match}, lay.events.w, lay.events.h))
	draw(lay.net, renderNetwork(f.snap.Net, lay.net.w, lay.net.h))
	draw(lay.clients, renderClients(f.snap.Run, lay.clients.w, lay.clients.h))
	draw(lay.timeline, renderTimeline(f.snap.Run, a.caps, lay.timeline.w, lay.timeline.h))
	for yy := lay.events.y; yy < lay.events.y+lay.events.h; yy++ {
		screen.SetContent(x+lay.events.w, y+yy, '│', nil, stDim)
	}
	b := lay.bottom
	if !a.view.bar {
		drawLine(screen, x+b.x, y+b.y, b.w, a.hintLine(w), &stDefault)
		return
	}
	// The command bar, with its error or a reminder of the language just above it.
	var above line
	switch {
	case a.view.barErr != nil:
		above = barErrorLine(a.view.barText, a.view.barErr, w)
	case a.view.mode == barSeek:
		above.add("  Enter goes there, Esc cancels.  e.g.  12.5s   1m30s   0   +2s   -500ms", stDim)
	case a.view.mode == barSearch:
		above.add("  Enter searches the events back from the bottom of the view (case ignored unless you type capitals); then n older, N newer, Esc ends", stDim)
	default:
		above = a.barHint(w)
	}
	drawLine(screen, x+b.x, y+b.y-1, b.w, above, &stDefault)
	a.bar.SetRect(x+b.x, y+b.y, b.w, 1)
	a.bar.Draw(screen)
}

// MouseHandler selects the peer of a clicked row (in the peers table or the logs),
// scrolls the events with the wheel, and closes help on a click.
func (r *rootView) MouseHandler() func(tview.MouseAction, *tcell.EventMouse, func(tview.Primitive)) (bool, tview.Primitive) {
	return func(action tview.MouseAction, ev *tcell.EventMouse, _ func(tview.Primitive)) (bool, tview.Primitive) {
		a := r.a
		mx, my := ev.Position()
		lay := a.view.lay
		if lay.tooSmall {
			return false, nil
		}
		switch action {
		case tview.MouseLeftClick:
			if a.view.help {
				a.view.help = false
				return true, nil
			}
			for _, rc := range []rect{lay.peers, lay.logs} {
				if rc.contains(mx, my) && my > rc.y {
					a.view.follow = false
					a.selectPeer(my - rc.y - 1)
					return true, nil
				}
			}
		case tview.MouseScrollUp:
			if lay.events.contains(mx, my) {
				a.scrollEvents(3)
				return true, nil
			}
		case tview.MouseScrollDown:
			if lay.events.contains(mx, my) {
				a.scrollEvents(-3)
				return true, nil
			}
		}
		return false, nil
	}
}
