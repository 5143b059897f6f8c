package tui

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/raft"
)

// sampleFrame is a cluster of n peers in the middle of a scenario: peer 0 leads term 12,
// the logs hold entries of terms 1, 9, 10 and 12, the last peer is crashed, the step
// running is the third of five.
func sampleFrame(n int) *frame {
	f := &frame{leader: 0}
	runs := []raft.TermRun{{Index: 1, Term: 1}, {Index: 11, Term: 9}, {Index: 21, Term: 10}, {Index: 31, Term: 12}}
	for i := range n {
		p := peer(i, raft.Follower, 12, 40, 35, 0, runs...)
		if i == 0 {
			p.Role = raft.Leader
		}
		if i == n-1 && n > 1 {
			p.State = chaos.Crashed
		}
		f.snap.Peers = append(f.snap.Peers, p)
	}
	f.snap.Net = chaos.NewNetState(n)
	run := runmodel.State{Name: "sample", Engine: "sim", Seed: 7, Now: 12300 * time.Millisecond, Speed: 1, Current: 2,
		Rate: 5, Faults: 3, Workload: runmodel.WorkloadStats{Proposed: 40, Committed: 35}}
	for i, text := range []string{"wait leader within 5s", "at 3s crash leader", "wait leader within 5s", "at +3s restart crashed", "expect commits >= 30"} {
		st := runmodel.StepState{Text: text, Line: i + 2, Status: runmodel.StepDone, At: time.Duration(i) * time.Second}
		switch {
		case i == 2:
			st.Status = runmodel.StepRunning
		case i > 2:
			st.Status, st.At = runmodel.StepPending, 0
		}
		run.Steps = append(run.Steps, st)
	}
	run.Checks.Elections = 4
	f.snap.Run = run
	var es []chaos.Event
	for i := range 30 {
		es = append(es, chaos.Event{Kind: chaos.EventNote, Peer: -1, At: time.Duration(i) * 100 * time.Millisecond, Text: fmt.Sprintf("note %d", i)})
	}
	f.events = items(es...)
	return f
}

// screen draws a's views of f on a w x h screen and returns its rows and styles.
func screen(t *testing.T, a *App, f *frame, w, h int) ([]string, [][]tcell.Style) {
	t.Helper()
	s := tcell.NewSimulationScreen("UTF-8")
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	defer s.Fini()
	s.SetSize(w, h)
	a.frame = f
	a.root.SetRect(0, 0, w, h)
	a.root.Draw(s)
	s.Show()
	return contents(s)
}

// Every cluster size the language allows is laid out usably at 80x24 and 120x40, or
// told plainly that the terminal is too small and what it needs: each peer has a row
// (its figures and its log), the events, the network (a matrix whose header reads, or
// the same in words) and the timeline show, and the header keeps the leader, the commits
// and the workload.
func TestScreenSizes(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, n := range []int{3, 5, 7, 9, 15} {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("%dx%d %d peers", w, h, n), func(t *testing.T) {
				a := New(newFakeSource(n), Options{})
				rows, _ := screen(t, a, sampleFrame(n), w, h)
				all := strings.Join(rows, "\n")
				if h < minHeight(n) {
					want := fmt.Sprintf("MiniRaft needs %dx%d for %d peers.", minWidth, minHeight(n), n)
					if !strings.Contains(strings.Join(strings.Fields(all), " "), want) {
						t.Errorf("too small, but the screen does not say %q:\n%s", want, all)
					}
					return
				}
				for id := range n {
					re := regexp.MustCompile(fmt.Sprintf(`(?m)^[ ▶]\s*%d (up|crashed|foll|lead|down)`, id))
					if len(re.FindAllString(all, -1)) < 1 {
						t.Errorf("no row for peer %d:\n%s", id, all)
					}
				}
				if !a.view.lay.compact && strings.Count(all, "1111111111999999999") < n {
					t.Errorf("the logs do not show every peer's entries:\n%s", all)
				}
				for _, want := range []string{" Events", " Network", " Timeline", "leader 0 (term 12)", "commits 35", "workload 5/s", "step 3/5"} {
					if !strings.Contains(all, want) {
						t.Errorf("the screen lacks %q:\n%s", want, all)
					}
				}
				if strings.Contains(all, `from\to`) {
					var ids []string
					for id := range n {
						ids = append(ids, fmt.Sprint(id))
					}
					if head := strings.Join(ids, " "); n > 10 && (!strings.Contains(all, strings.Join(ids[9:], " ")) || strings.Contains(all, "91011")) ||
						n <= 10 && !strings.Contains(all, head) {
						t.Errorf("the matrix's header does not read as ids:\n%s", all)
					}
				} else if !strings.Contains(all, "every link up") {
					t.Errorf("neither the network's matrix nor its summary:\n%s", all)
				}
				if w == 120 && !strings.Contains(all, `from\to`) {
					t.Errorf("at 120x40, the matrix of %d peers does not show:\n%s", n, all)
				}
			})
		}
	}
}

// At 40x10 the too-small message is whole, wrapped to the width.
func TestScreenTooSmallIsReadable(t *testing.T) {
	a := New(newFakeSource(5), Options{})
	rows, _ := screen(t, a, sampleFrame(5), 40, 10)
	text := strings.Join(strings.Fields(strings.Join(rows, " ")), " ")
	for _, want := range []string{"Terminal too small: 40x10.", fmt.Sprintf("MiniRaft needs 60x%d for 5 peers.", minHeight(5)), "Make the window bigger, or press q to quit."} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q: %q", want, rows)
		}
	}
}

// At 80x24 the network's legend shows beside its matrix, and the header keeps what
// matters most, dropping the rest.
func TestScreen80x24KeepsWhatMatters(t *testing.T) {
	a := New(newFakeSource(5), Options{})
	f := sampleFrame(5)
	f.snap.Net.Apply(chaos.Fault{Kind: chaos.Cut, From: []int{0}, To: []int{1}})
	rows, _ := screen(t, a, f, 80, 24)
	all := strings.Join(rows, "\n")
	for _, want := range []string{"X cut", "L loss", "· up", "MiniRaft", "t=12.3s", "▶ running", "step 3/5: wait leader",
		"safety checks pass", "leader 0 (term 12)", "commits 35", "workload 5/s"} {
		if !strings.Contains(all, want) {
			t.Errorf("80x24 lacks %q:\n%s", want, all)
		}
	}
	for y, r := range rows[:2] {
		if len([]rune(strings.TrimRight(r, " "))) > 80 {
			t.Errorf("header line %d runs past the screen: %q", y, r)
		}
	}
}

// Peers from 10 are selected by their two digits typed within a second; a digit
// typed later starts again.
func TestSelectTwoDigitPeers(t *testing.T) {
	src := newFakeSource(15)
	var clock fakeClock
	hs := startOn(t, src, func() {}, 120, 40, func(a *App) { a.now = clock.now })
	hs.waitFor("the 15 peers", func(_ []string, f *frame) bool { return f != nil && len(f.snap.Peers) == 15 })
	sel := regexp.MustCompile(`^▶\s*(\d+) `)
	selected := func(want int) {
		hs.t.Helper()
		hs.waitFor(fmt.Sprintf("peer %d selected", want), func(rows []string, _ *frame) bool {
			for _, r := range rows {
				if m := sel.FindStringSubmatch(r); m != nil {
					return m[1] == fmt.Sprint(want)
				}
			}
			return false
		})
	}
	hs.typeKeys("12")
	selected(12)
	hs.typeKeys("3")
	selected(3)
	hs.typeKeys("1")
	selected(1)
	hs.typeKeys("4")
	selected(14)
	hs.typeKeys("1")
	selected(1)
	clock.add(2 * time.Second)
	hs.typeKeys("2")
	selected(2)
	hs.typeKeys("19") // there is no peer 19: 1, then 9
	selected(9)
}

// fakeClock is a clock the test moves. Safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
