package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
)

// barText returns the command bar's text as the screen shows it, or "" when closed.
func barText(rows []string) string {
	last := rows[len(rows)-1]
	if t, ok := strings.CutPrefix(last, ": "); ok {
		return strings.TrimRight(t, " ")
	}
	return ""
}

// Tab completes the command word, then selectors, peer ids and keywords, from the
// language's table; the line above the bar shows the usage of the command typed and
// what may come next.
func TestBarCompletes(t *testing.T) {
	src := newFakeSource(5)
	hs := startOn(t, src, func() {}, 140, 30)
	hs.waitText(" id state")
	bar := func(want string) {
		hs.t.Helper()
		hs.waitFor(fmt.Sprintf("the bar holding %q", want), func(rows []string, _ *frame) bool { return barText(rows) == want })
	}
	hs.typeKeys(":cr")
	hs.key(tcell.KeyTab)
	bar("crash")
	hs.waitText("crash SEL")             // the usage
	hs.waitText("Tab: 0 1 2 3 4 leader") // what may come next
	hs.typeKeys("le")
	hs.key(tcell.KeyTab)
	bar("crash leader")
	// Several words and nothing in common: each Tab puts the next, Shift-Tab the one before.
	for range len("crash leader ") {
		hs.key(tcell.KeyBackspace2)
	}
	hs.typeKeys("re")
	hs.key(tcell.KeyTab)
	bar("restart")
	hs.key(tcell.KeyTab)
	bar("resume")
	hs.key(tcell.KeyBacktab)
	bar("restart")
	// A keyword after a condition; then what the parser wants there.
	hs.key(tcell.KeyEscape)
	hs.typeKeys(":wait leader w")
	hs.key(tcell.KeyTab)
	bar("wait leader within")
	hs.waitText("wait COND within D")
	hs.waitText("next: a duration")
	hs.typeKeys("5s")
	hs.key(tcell.KeyEnter)
	hs.waitFor("the command sent", func([]string, *frame) bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return len(src.execs) == 1 && src.execs[0] == "wait leader within 5s"
	})
}

// / searches the events back from the bottom of the view, n goes to older matches, N
// to newer ones, round from the other end; the match is highlighted and stays in view
// as events come; Esc ends the search.
func TestSearchEvents(t *testing.T) {
	src := newFakeSource(3)
	hs := startOn(t, src, func() {}, 100, 30)
	hs.waitText(" id state")
	var seq uint64
	push := func(texts ...string) {
		for _, s := range texts {
			seq++
			src.q.Push(chaos.Event{Seq: seq, Kind: chaos.EventNote, Peer: -1, Text: s})
		}
	}
	push("alpha 1", "beta", "Alpha 2", "gamma", "alpha 3")
	for i := range 40 {
		push(fmt.Sprintf("filler %d", i))
	}
	hs.waitText("filler 39")
	current := func(want string) {
		hs.t.Helper()
		hs.waitFor("the current match "+want, func(rows []string, _ *frame) bool {
			hs.mu.Lock()
			defer hs.mu.Unlock()
			for y, r := range hs.rows {
				if strings.Contains(r, want) {
					if st := hs.styles[y][3]; st == stSearchRow {
						return true
					}
				}
			}
			return false
		})
	}
	hs.typeKeys("/alpha")
	hs.key(tcell.KeyEnter)
	current("alpha 3")
	hs.waitText("/alpha: 1 of 3 (n older, N newer)")
	hs.typeKeys("n")
	current("Alpha 2")
	hs.typeKeys("n")
	current("alpha 1")
	hs.typeKeys("n")
	current("alpha 3") // round to the newest
	hs.typeKeys("N")
	current("alpha 1") // round to the oldest
	// New events do not move the view off the match.
	for i := range 40 {
		push(fmt.Sprintf("more %d", i))
	}
	hs.waitFor("the new events", func(_ []string, f *frame) bool {
		return len(f.events) > 0 && f.events[len(f.events)-1].ev.Text == "more 39"
	})
	current("alpha 1")
	// Capitals: the case counts.
	hs.typeKeys("/Alpha")
	hs.key(tcell.KeyEnter)
	hs.waitText("/Alpha: 1 of 1")
	current("Alpha 2")
	hs.key(tcell.KeyEscape)
	hs.waitFor("the search ended", func(rows []string, _ *frame) bool { return rowWith(rows, "/Alpha") < 0 })
	hs.typeKeys("n")
	hs.waitText("no search: / searches the events")
	hs.typeKeys("/zeta")
	hs.key(tcell.KeyEnter)
	hs.waitText(`no event matches "zeta"`)
}
