package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"go.uber.org/goleak"

	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testScenario elects a leader and then holds; the tests break it by hand.
const testScenario = `# A cluster for the tests to break.
peers 5
seed 3
wait leader within 5s
`

// harness runs the whole App on a simulated screen over a sim cluster, and reads the
// screen back after every draw.
type harness struct {
	t      *testing.T
	screen tcell.SimulationScreen
	app    *App
	close  func() // ends the source
	done   chan error
	drawn  chan struct{}

	mu     sync.Mutex
	rows   []string
	styles [][]tcell.Style
	frame  *frame
}

func start(t *testing.T, text string, w, h int) *harness {
	t.Helper()
	sc, err := scenario.Parse("test.chaos", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(sc, runner.Options{Engine: "sim", Seed: 1, Hold: true, Speed: 4})
	if err != nil {
		t.Fatal(err)
	}
	src := r.Source()
	src.Start(context.Background())
	return startOn(t, src, func() { src.Close() }, w, h)
}

// startOn runs the App over src on a w x h simulated screen, after configure (if any)
// has set it up; close ends src.
func startOn(t *testing.T, src Source, close func(), w, h int, configure ...func(*App)) *harness {
	t.Helper()
	hs := &harness{t: t, screen: tcell.NewSimulationScreen("UTF-8"), close: close, done: make(chan error, 1), drawn: make(chan struct{}, 1)}
	hs.app = New(src, Options{Screen: hs.screen, AfterDraw: hs.afterDraw})
	for _, c := range configure {
		c(hs.app)
	}
	hs.screen.SetSize(w, h)
	go func() { hs.done <- hs.app.Run() }()
	t.Cleanup(hs.stop)
	return hs
}

// afterDraw copies the screen (on the UI goroutine).
func (hs *harness) afterDraw(s tcell.Screen) {
	s.Show()
	rows, styles := contents(hs.screen)
	hs.mu.Lock()
	hs.rows, hs.styles, hs.frame = rows, styles, hs.app.frame
	hs.mu.Unlock()
	select {
	case hs.drawn <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds for the screen as last drawn.
func (hs *harness) waitFor(what string, cond func(rows []string, f *frame) bool) {
	hs.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		hs.mu.Lock()
		rows, f := hs.rows, hs.frame
		hs.mu.Unlock()
		if rows != nil && cond(rows, f) {
			return
		}
		select {
		case <-hs.drawn:
		case <-deadline:
			hs.t.Fatalf("waiting for %s; the screen shows:\n%s", what, strings.Join(rows, "\n"))
		}
	}
}

// waitText waits until some row contains s, and returns that row's index.
func (hs *harness) waitText(s string) int {
	hs.t.Helper()
	y := -1
	hs.waitFor(fmt.Sprintf("%q on the screen", s), func(rows []string, _ *frame) bool {
		y = rowWith(rows, s)
		return y >= 0
	})
	return y
}

func rowWith(rows []string, s string) int {
	for y, r := range rows {
		if strings.Contains(r, s) {
			return y
		}
	}
	return -1
}

func (hs *harness) typeKeys(s string) {
	for _, r := range s {
		hs.screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

func (hs *harness) key(k tcell.Key) { hs.screen.InjectKey(k, 0, tcell.ModNone) }

// stop quits with q and waits for Run and the cluster to end.
func (hs *harness) stop() {
	select {
	case err := <-hs.done:
		hs.done <- err
	default:
		hs.typeKeys("q")
	}
	select {
	case err := <-hs.done:
		if err != nil {
			hs.t.Errorf("Run: %v", err)
		}
		hs.done <- nil
	case <-time.After(30 * time.Second):
		hs.t.Fatal("q did not end Run")
	}
	hs.close()
}

// peerRow is a row of the peers table as the screen shows it.
type peerRow struct {
	id          int
	state, role string
	term        int
	selected    bool
}

// peerRows reads the peers table off the screen: the rows after its title row.
func peerRows(rows []string) []peerRow {
	head := rowWith(rows, " id state")
	if head < 0 {
		return nil
	}
	var out []peerRow
	for _, r := range rows[head+1:] {
		fs := strings.Fields(r)
		sel := len(fs) > 0 && fs[0] == "▶"
		if sel {
			fs = fs[1:]
		}
		if len(fs) < 4 {
			break
		}
		id, err1 := strconv.Atoi(fs[0])
		term, err2 := strconv.Atoi(fs[3])
		if err1 != nil || err2 != nil {
			break
		}
		out = append(out, peerRow{id: id, state: fs[1], role: fs[2], term: term, selected: sel})
	}
	return out
}

func leaderRow(rows []string) (peerRow, bool) {
	for _, p := range peerRows(rows) {
		if p.role == "leader" && p.state == "up" {
			return p, true
		}
	}
	return peerRow{}, false
}

func TestAppCrashLeader(t *testing.T) {
	hs := start(t, testScenario, 100, 30)
	var old peerRow
	hs.waitFor("a leader in the peers table", func(rows []string, _ *frame) bool {
		var ok bool
		old, ok = leaderRow(rows)
		return ok
	})
	hs.waitFor("the selection following the leader", func(rows []string, _ *frame) bool {
		for _, p := range peerRows(rows) {
			if p.selected {
				return p.id == old.id
			}
		}
		return false
	})
	hs.typeKeys(strconv.Itoa(old.id))
	hs.waitFor("the leader selected", func(rows []string, _ *frame) bool {
		for _, p := range peerRows(rows) {
			if p.selected {
				return p.id == old.id
			}
		}
		return false
	})
	hs.typeKeys("c")
	hs.waitText(fmt.Sprintf("fault: crash %d", old.id))
	hs.waitFor("the old leader crashed and a new leader in a later term", func(rows []string, _ *frame) bool {
		crashed := false
		for _, p := range peerRows(rows) {
			crashed = crashed || p.id == old.id && p.state == "crashed"
		}
		now, ok := leaderRow(rows)
		return crashed && ok && now.id != old.id && now.term > old.term
	})
	// The event stream names the election.
	hs.waitText("is leader of term")
}

func TestAppBadCommand(t *testing.T) {
	hs := start(t, testScenario, 100, 30)
	hs.waitText(" id state")
	hs.typeKeys(":crsh 2")
	hs.key(tcell.KeyEnter)
	const msg = `col 1: unknown command "crsh" (did you mean "crash"?)`
	y := hs.waitText(msg)
	hs.mu.Lock()
	row, styles := hs.rows[y], hs.styles[y]
	hs.mu.Unlock()
	at := len([]rune(row[:strings.Index(row, "crsh")]))
	for x := at; x < at+4; x++ {
		if _, bg, _ := styles[x].Decompose(); bg != tcell.ColorRed {
			t.Errorf("cell %d of the bad token %q is not highlighted (background %v)", x, "crsh", bg)
		}
	}
	if _, bg, _ := styles[at+4].Decompose(); bg == tcell.ColorRed {
		t.Errorf("the highlight runs past the bad token")
	}
	// The bar is still open with the text; fix it and run it.
	hs.waitFor("the command bar still holding the text", func(rows []string, _ *frame) bool {
		return strings.HasPrefix(rows[len(rows)-1], ": crsh 2")
	})
	for range len("crsh 2") {
		hs.key(tcell.KeyBackspace2)
	}
	hs.typeKeys("crash 2")
	hs.key(tcell.KeyEnter)
	hs.waitText("> crash 2")
	hs.waitFor("peer 2 crashed and the bar closed", func(rows []string, _ *frame) bool {
		for _, p := range peerRows(rows) {
			if p.id == 2 && p.state == "crashed" {
				return !strings.HasPrefix(rows[len(rows)-1], ":")
			}
		}
		return false
	})
	// A bad peer id is caught with its position too.
	hs.typeKeys(":restart 9")
	hs.key(tcell.KeyEnter)
	hs.waitText(`col 9: no such peer "9" (peers are 0..4)`)
	hs.key(tcell.KeyEscape)
	hs.waitFor("the bar closed", func(rows []string, _ *frame) bool {
		return rowWith(rows, "no such peer") < 0 && strings.Contains(rows[len(rows)-1], "? help")
	})
}

func TestAppHelp(t *testing.T) {
	hs := start(t, testScenario, 120, 100)
	hs.waitText(" id state")
	hs.typeKeys("?")
	hs.waitText("MiniRaft keys")
	hs.mu.Lock()
	rows := hs.rows
	hs.mu.Unlock()
	for _, b := range bindings {
		found := false
		for _, r := range rows {
			if strings.Contains(r, " "+b.label+" ") && strings.Contains(r, b.help) {
				found = true
			}
		}
		if !found {
			t.Errorf("help does not list %q: %s", b.label, b.help)
		}
	}
	hs.key(tcell.KeyEscape)
	hs.waitFor("help closed", func(rows []string, _ *frame) bool {
		return rowWith(rows, "MiniRaft keys") < 0 && rowWith(rows, " id state") >= 0
	})
}

func TestAppTooSmallAndResize(t *testing.T) {
	hs := start(t, testScenario, 80, 24)
	hs.waitText(" Logs")
	hs.screen.SetSize(50, 12)
	hs.screen.PostEvent(tcell.NewEventResize(50, 12))
	hs.waitText("Terminal too small: 50x12")
	hs.typeKeys("c") // keys do nothing harmful while too small
	hs.screen.SetSize(130, 40)
	hs.screen.PostEvent(tcell.NewEventResize(130, 40))
	hs.waitFor("the views back at 130x40", func(rows []string, _ *frame) bool {
		return len(rows) == 40 && len(rows[0]) >= 130 && rowWith(rows, " Logs") >= 0 && rowWith(rows, " Timeline") >= 0
	})
}

func TestAppPauseAndPartition(t *testing.T) {
	hs := start(t, testScenario, 100, 30)
	hs.waitFor("a leader", func(rows []string, _ *frame) bool { _, ok := leaderRow(rows); return ok })
	hs.typeKeys(" ")
	var at time.Duration
	hs.waitFor("paused", func(rows []string, f *frame) bool {
		at = f.snap.Run.Now
		return rowWith(rows, "PAUSED") == 0 && f.snap.Run.Paused
	})
	// Commands still run while paused: partition peer 0 with peer 1 against the rest.
	hs.typeKeys("0x")
	hs.waitText("partitioned: {0,1} {2,3,4}")
	hs.mu.Lock()
	if now := hs.frame.snap.Run.Now; now != at {
		t.Errorf("cluster time moved from %v to %v while paused", at, now)
	}
	hs.mu.Unlock()
	hs.typeKeys("h ")
	hs.waitFor("healed and running", func(rows []string, f *frame) bool {
		return rowWith(rows, "partitioned:") < 0 && rowWith(rows, "PAUSED") < 0 && f.snap.Run.Now > at
	})
}

func TestAppMouseSelects(t *testing.T) {
	hs := start(t, testScenario, 100, 30)
	hs.waitFor("five peers", func(rows []string, _ *frame) bool { return len(peerRows(rows)) == 5 })
	head := hs.waitText(" id state")
	hs.screen.InjectMouse(10, head+4, tcell.Button1, tcell.ModNone)
	hs.screen.InjectMouse(10, head+4, tcell.ButtonNone, tcell.ModNone)
	hs.waitFor("peer 3 selected", func(rows []string, _ *frame) bool {
		for _, p := range peerRows(rows) {
			if p.selected {
				return p.id == 3
			}
		}
		return false
	})
}

func TestAppQuitLeavesNothing(t *testing.T) {
	hs := start(t, testScenario, 80, 24)
	hs.waitText(" Logs")
	hs.stop()
	goleak.VerifyNone(t)
}

func TestAppUnknownKey(t *testing.T) {
	hs := start(t, testScenario, 100, 30)
	hs.waitText(" Logs")
	hs.typeKeys("Z")
	hs.waitText(`no key 'Z': press ? for the keys`)
}

// contents returns a simulated screen's rows (a cell's first rune, a space for an empty
// cell) and each cell's style.
func contents(s tcell.SimulationScreen) ([]string, [][]tcell.Style) {
	cells, w, h := s.GetContents()
	rows := make([]string, h)
	styles := make([][]tcell.Style, h)
	for y := range h {
		var b strings.Builder
		styles[y] = make([]tcell.Style, w)
		for x := range w {
			c := cells[y*w+x]
			if len(c.Runes) == 0 {
				b.WriteRune(' ')
			} else {
				b.WriteRune(c.Runes[0])
			}
			styles[y][x] = c.Style
		}
		rows[y] = b.String()
	}
	return rows, styles
}
