package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// key is one key that triggers a binding: a special key, or a rune (Key is
// tcell.KeyRune).
type key struct {
	Key  tcell.Key
	Rune rune
}

// binding is one entry of the key table: the keys, how help shows them, what the
// binding does, and what it needs from the source. The table drives dispatch, the help
// screen and the tests.
type binding struct {
	keys  []key
	label string // the keys as help shows them
	group string
	help  string
	needs func(Caps) bool // nil: always available
	do    func(a *App, ev *tcell.EventKey)
}

// The groups of the key table, in the order help shows them.
const (
	groupPeer    = "The selected peer"
	groupCluster = "The cluster"
	groupReplay  = "The replay"
	groupNet     = "The network"
	groupView    = "The view"
)

func runes(rs ...rune) []key {
	ks := make([]key, len(rs))
	for i, r := range rs {
		ks[i] = key{tcell.KeyRune, r}
	}
	return ks
}

func needsCommands(c Caps) bool { return c.Commands }
func needsSpeed(c Caps) bool    { return c.Speed }
func needsReplay(c Caps) bool   { return c.Replay }

// bindings is the key table.
var bindings []binding

func init() {
	bindings = []binding{
		// The selected peer.
		{keys: append([]key{{tcell.KeyUp, 0}}, runes('k')...), label: "↑ k", group: groupPeer, help: "select the previous peer",
			do: func(a *App, _ *tcell.EventKey) { a.selectPeer(a.view.sel - 1) }},
		{keys: append([]key{{tcell.KeyDown, 0}}, runes('j')...), label: "↓ j", group: groupPeer, help: "select the next peer",
			do: func(a *App, _ *tcell.EventKey) { a.selectPeer(a.view.sel + 1) }},
		{keys: runes('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), label: "0-9", group: groupPeer, help: "select peer by id, or click its row; ids from 10: both digits within a second (1 then 2: peer 12)",
			do: func(a *App, ev *tcell.EventKey) { a.selectDigit(int(ev.Rune() - '0')) }},
		{keys: runes('L'), label: "L", group: groupPeer, help: "select the leader, and follow it from leader to leader",
			do: func(a *App, _ *tcell.EventKey) {
				a.view.follow = true
				if a.frame.leader == raft.None {
					a.say("there is no leader now; the selection will follow the next one", false)
					return
				}
				a.view.sel = a.frame.leader
			}},
		{keys: runes('c'), label: "c", group: groupPeer, help: "crash it (it keeps what it persisted)", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(fmt.Sprintf("crash %d", a.view.sel)) }},
		{keys: runes('r'), label: "r", group: groupPeer, help: "restart it from its persisted state", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(fmt.Sprintf("restart %d", a.view.sel)) }},
		{keys: runes('p'), label: "p", group: groupPeer, help: "pause it (timers stop, state kept), or resume it", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(pauseCmd(a.frame.snap.Peers, a.view.sel)) }},
		{keys: runes('i'), label: "i", group: groupPeer, help: "isolate it from every other peer (h heals)", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(fmt.Sprintf("isolate %d", a.view.sel)) }},
		{keys: runes('x'), label: "x", group: groupPeer, help: "partition it, in a minority, from the rest", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(partitionCmd(a.view.sel, len(a.frame.snap.Peers))) }},
		{keys: runes('s'), label: "s", group: groupPeer, help: "skew its clock: 1x, 2x, 0.5x", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(skewCmd(a.frame.snap.Peers, a.view.sel)) }},

		// The cluster.
		{keys: runes(' '), label: "space", group: groupCluster, help: "pause or resume the whole cluster",
			do: func(a *App, _ *tcell.EventKey) { a.togglePause() }},
		{keys: runes('a'), label: "a", group: groupCluster, help: "add a command: propose one through the leader", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec("propose") }},
		{keys: runes('A'), label: "A", group: groupCluster, help: "add a burst: propose 50 commands", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec("propose 50") }},
		{keys: runes('w'), label: "w", group: groupCluster, help: "turn the client workload off, or on again", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(a.workloadCmd()) }},
		{keys: runes('+', '='), label: "+", group: groupCluster, help: "run faster (twice the speed)", needs: needsSpeed,
			do: func(a *App, _ *tcell.EventKey) { a.setSpeed(fasterSpeed(a.frame.snap.Run.Speed)) }},
		{keys: runes('-', '_'), label: "-", group: groupCluster, help: "run slower (half the speed)", needs: needsSpeed,
			do: func(a *App, _ *tcell.EventKey) { a.setSpeed(slowerSpeed(a.frame.snap.Run.Speed)) }},
		{keys: runes(':'), label: ":", group: groupCluster, help: "type any command of the scenario language (Tab completes)", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.openBar() }},

		// The replay.
		{keys: append([]key{{tcell.KeyRight, 0}}, runes('.')...), label: "→ .", group: groupReplay, help: "step one event forward", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.step(1) }},
		{keys: append([]key{{tcell.KeyLeft, 0}}, runes(',')...), label: "← ,", group: groupReplay, help: "step one event back", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.step(-1) }},
		{keys: runes('g'), label: "g", group: groupReplay, help: "go to a time: 12.5s, 1m, +2s, -500ms", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.openSeek() }},
		{keys: runes(']'), label: "]", group: groupReplay, help: "go to the next fault, new leader or violation", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.jump(false, true) }},
		{keys: runes('['), label: "[", group: groupReplay, help: "go back to the previous fault, new leader or violation", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.jump(false, false) }},
		{keys: runes('v'), label: "v", group: groupReplay, help: "go to the next violation (the first, from the start)", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.jump(true, true) }},
		{keys: runes('V'), label: "V", group: groupReplay, help: "go back to the previous violation", needs: needsReplay,
			do: func(a *App, _ *tcell.EventKey) { a.jump(true, false) }},

		// The network.
		{keys: runes('h'), label: "h", group: groupNet, help: "heal: remove every cut, isolation and partition", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec("heal") }},
		{keys: runes('m'), label: "m", group: groupNet, help: "partition a random minority (not the leader) from the rest", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec("partition minority | others") }},
		{keys: runes('l'), label: "l", group: groupNet, help: "message loss on every link: 0, 10%, 30%", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(lossCmd(a.frame.snap.Net.Global.Loss)) }},
		{keys: runes('d'), label: "d", group: groupNet, help: "message delay on every link: 0, 20-50ms, 100-300ms", needs: needsCommands,
			do: func(a *App, _ *tcell.EventKey) { a.exec(delayCmd(a.frame.snap.Net.Global)) }},

		// The view.
		{keys: runes('f'), label: "f", group: groupView, help: "cycle the event filter",
			do: func(a *App, _ *tcell.EventKey) {
				a.view.filter = (a.view.filter + 1) % len(eventFilters)
				a.view.anchor, a.view.match = 0, 0
			}},
		{keys: runes('F'), label: "F", group: groupView, help: "show only the selected peer's events, or all",
			do: func(a *App, _ *tcell.EventKey) {
				a.view.peerOnly = !a.view.peerOnly
				a.view.anchor, a.view.match = 0, 0
			}},
		{keys: runes('/'), label: "/", group: groupView, help: "search the events for a text (from the bottom of the view back)",
			do: func(a *App, _ *tcell.EventKey) { a.openSearch() }},
		{keys: runes('n'), label: "n", group: groupView, help: "the next match of the search, older",
			do: func(a *App, _ *tcell.EventKey) { a.searchNext(-1) }},
		{keys: runes('N'), label: "N", group: groupView, help: "the previous match of the search, newer",
			do: func(a *App, _ *tcell.EventKey) { a.searchNext(+1) }},
		{keys: []key{{tcell.KeyEscape, 0}}, label: "Esc", group: groupView, help: "end the search",
			do: func(a *App, _ *tcell.EventKey) { a.endSearch() }},
		{keys: []key{{tcell.KeyPgUp, 0}}, label: "PgUp", group: groupView, help: "scroll the events back",
			do: func(a *App, _ *tcell.EventKey) { a.scrollEvents(+a.eventRows()) }},
		{keys: []key{{tcell.KeyPgDn, 0}}, label: "PgDn", group: groupView, help: "scroll the events forward",
			do: func(a *App, _ *tcell.EventKey) { a.scrollEvents(-a.eventRows()) }},
		{keys: []key{{tcell.KeyEnd, 0}}, label: "End", group: groupView, help: "follow the newest events",
			do: func(a *App, _ *tcell.EventKey) { a.followEvents() }},
		{keys: runes('?'), label: "?", group: groupView, help: "this help (Esc closes it)",
			do: func(a *App, _ *tcell.EventKey) { a.view.help = !a.view.help; a.view.helpScroll = 0 }},
		{keys: append([]key{{tcell.KeyCtrlC, 0}}, runes('q')...), label: "q", group: groupView, help: "quit",
			do: func(a *App, _ *tcell.EventKey) { a.quit() }},
	}
}

// lookupKey returns the binding for ev, or nil.
func lookupKey(ev *tcell.EventKey) *binding {
	for i := range bindings {
		for _, k := range bindings[i].keys {
			if ev.Key() == k.Key && (k.Key != tcell.KeyRune || ev.Rune() == k.Rune) {
				return &bindings[i]
			}
		}
	}
	return nil
}

// pauseCmd pauses the peer, or resumes it if paused.
func pauseCmd(peers []chaos.PeerStatus, id int) string {
	if id < len(peers) && peers[id].State == chaos.Paused {
		return fmt.Sprintf("resume %d", id)
	}
	return fmt.Sprintf("pause %d", id)
}

// partitionCmd cuts peer id off in a minority with the peers after it: for 5 peers,
// peer 3 and peer 4 against the rest.
func partitionCmd(id, n int) string {
	k := max(1, (n-1)/2)
	side := make([]string, 0, k)
	for i := range k {
		side = append(side, strconv.Itoa((id+i)%n))
	}
	return "partition " + strings.Join(side, ",") + " | others"
}

// skewCmd cycles the peer's clock rate: 1x, 2x, 0.5x.
func skewCmd(peers []chaos.PeerStatus, id int) string {
	rate := 1.0
	if id < len(peers) && peers[id].ClockRate != 0 {
		rate = peers[id].ClockRate
	}
	next := "2x"
	switch {
	case rate > 1:
		next = "0.5x"
	case rate < 1:
		next = "1x"
	}
	return fmt.Sprintf("skew %d %s", id, next)
}

// lossCmd cycles message loss on every link: 0, 10%, 30%.
func lossCmd(cur float64) string {
	switch {
	case cur <= 0:
		return "loss 10%"
	case cur < 0.3:
		return "loss 30%"
	}
	return "loss 0%"
}

// delayCmd cycles message delay on every link: none, 20-50ms, 100-300ms.
func delayCmd(cur chaos.LinkFaults) string {
	switch {
	case cur.DelayMax <= 0:
		return "delay 20ms-50ms"
	case cur.DelayMax < 300e6:
		return "delay 100ms-300ms"
	}
	return "delay 0ms"
}

// speeds are the paces + and - step through.
var speeds = []float64{0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}

func fasterSpeed(cur float64) float64 {
	if cur <= 0 {
		return 0 // already unpaced
	}
	for _, s := range speeds {
		if s > cur {
			return s
		}
	}
	return speeds[len(speeds)-1]
}

func slowerSpeed(cur float64) float64 {
	if cur <= 0 {
		return speeds[len(speeds)-1]
	}
	for i := len(speeds) - 1; i >= 0; i-- {
		if speeds[i] < cur {
			return speeds[i]
		}
	}
	return speeds[0]
}

// helpLines renders the help screen, w cells wide, in two parts: the keys, from the key
// table; then the command bar's language and how to read the views.
func helpLines(caps Caps, commands [][2]string, w int) (keys, more []line) {
	var out []line
	title := func(s string) {
		var l line
		l.add(fit(" "+s, w), stTitle)
		l.pad(w, stTitle)
		out = append(out, l)
	}
	text := func(s string, st tcell.Style) {
		var l line
		l.add(s, st)
		out = append(out, l)
	}
	title("MiniRaft keys   (Esc, q or ? closes this; ↑↓ PgUp PgDn scroll)")
	for _, g := range []string{groupPeer, groupCluster, groupReplay, groupNet, groupView} {
		text("", stDefault)
		text(" "+g, stBold)
		for _, b := range bindings {
			if b.group != g {
				continue
			}
			var l line
			l.add(fmt.Sprintf("   %-7s ", b.label), stKey)
			if b.needs != nil && !b.needs(caps) {
				l.add(b.help+" (not available here)", stDim)
			} else {
				l.add(b.help, stDefault)
			}
			out = append(out, l)
		}
	}
	keys, out = out, nil
	title("The command bar (:) takes any command of the scenario language")
	text(" SEL is a peer id (2), ids (0,1), or leader, follower, followers, random,", stDefault)
	text(" majority, minority, all, others, crashed. Enter runs, Esc cancels, ↑↓ recall", stDefault)
	text(" earlier commands, Tab completes (again: the next word that fits).", stDefault)
	for _, c := range commands {
		var l line
		l.add(fmt.Sprintf("   %-31s ", c[0]), stKey)
		l.add(c[1], stDefault)
		out = append(out, l)
	}
	text("", stDefault)
	title("Reading the views")
	text(" Logs: one row per peer, one cell per entry, aligned by index. The character", stDefault)
	text(" and colour are the entry's term: 1-9, then a-z for terms 10-35 and A-Z for", stDefault)
	text(" 36-61 (then round again, in another colour); the logs' title names the terms", stDefault)
	text(" above 9 in view (a=10 c=12). A filled cell is committed, a bare one is not yet;", stDefault)
	text(" ▒ is the part of the log compacted into a snapshot. The ruler shows every", stDefault)
	text(" tenth index. On a short screen each peer's row holds its figures and its log.", stDefault)
	text(" Network: row = sender, column = receiver. · up, X cut, L lossy, S slow,", stDefault)
	text(" R reordering, D duplicating; in words when the matrix does not fit.", stDefault)
	text(" Peers: the leader's match/next column is what the leader knows of each log.", stDefault)
	text(" The selection (▶) follows the leader until you choose a peer; L follows again.", stDefault)
	text(" Peers 10 to 14: type both digits within a second (1 then 2 selects 12).", stDefault)
	text(" Events: a peer standing for election again and again, with nothing else shown", stDefault)
	text(" about it, is one line (peer 4: 12 elections, terms 3-14, none won yet).", stDefault)
	text(" KV clients (with a kv workload): answers per second, operations pending, the", stDefault)
	text(" linearizability check once the timeline is over, the last operations.", stDefault)
	return keys, out
}
