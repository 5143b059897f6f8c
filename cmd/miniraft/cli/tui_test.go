package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"go.uber.org/goleak"
)

func TestTUIBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"tui", "--engine", "nope"}, `--engine "nope": want sim or live`},
		{[]string{"tui", "--speed", "-1"}, "--speed -1: want 0"},
		{[]string{"tui", "--engine", "live", "--speed", "2"}, "--speed applies to the sim engine only"},
		{[]string{"tui", "no-such-scenario"}, `no scenario file or built-in scenario "no-such-scenario"`},
		{[]string{"tui", "demo", "leader-crash"}, "one scenario at a time"},
		{[]string{"tui", "--peers", "99"}, "--peers 99"},
		{[]string{"tui"}, "needs a terminal"}, // stdout is not one here
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
}

// screenText returns the simulated screen's rows.
func screenText(s tcell.Screen) string {
	w, h := s.Size()
	var b strings.Builder
	for y := range h {
		for x := range w {
			str, _, _ := s.Get(x, y)
			if str == "" {
				str = " "
			}
			b.WriteString(str)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// readyScreen is a simulated screen that says when it has been initialised (tcell's
// Init is not safe to run alongside reads of the screen).
type readyScreen struct {
	tcell.SimulationScreen
	ready chan struct{}
}

func (s *readyScreen) Init() error {
	err := s.SimulationScreen.Init()
	close(s.ready)
	return err
}

// tuiUntil runs miniraft with args on a simulated screen until the screen shows want,
// then quits with q and returns what miniraft printed once it exits with wantCode.
func tuiUntil(t *testing.T, args []string, want string, wantCode int) (out, errb *bytes.Buffer) {
	t.Helper()
	screen := &readyScreen{tcell.NewSimulationScreen("UTF-8"), make(chan struct{})}
	old := newScreen
	newScreen = func() (tcell.Screen, error) { return screen, nil }
	defer func() { newScreen = old }()

	out, errb = new(bytes.Buffer), new(bytes.Buffer)
	done := make(chan int, 1)
	go func() { done <- run(args, out, errb) }()
	select {
	case <-screen.ready:
	case code := <-done:
		t.Fatalf("miniraft tui ended at once with %d: %s", code, errb.String())
	}
	// Poll the screen until it shows want, then quit.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(screenText(screen), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not shown; the screen:\n%s\nstderr: %s", want, screenText(screen), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	screen.InjectKey(tcell.KeyRune, 'q', tcell.ModNone)
	select {
	case code := <-done:
		if code != wantCode {
			t.Errorf("exit %d, want %d; stderr: %s", code, wantCode, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("q did not end miniraft tui")
	}
	return out, errb
}

// Quitting in the middle of the timeline interrupts the run: neither a pass nor a
// failure.
func TestTUIRunsAndQuits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	trace, page := filepath.Join(dir, "s.jsonl"), filepath.Join(dir, "s.html")
	out, _ := tuiUntil(t, []string{"tui", "--speed", "8", "--seed", "2", "--trace", trace, "--report", page, "leader-crash"},
		"is leader of term", exitInterrupted)
	if !strings.Contains(out.String(), "INTERRUPTED leader-crash (engine sim, seed 2, 5 peers)") ||
		!regexp.MustCompile(`interrupted (at|after) step \d+ of \d+`).MatchString(out.String()) || strings.Contains(out.String(), "PASS") {
		t.Errorf("the summary after quitting does not say the run was interrupted: %q", out.String())
	}
	// --report writes the page of the session when it ends, and says where; miniraft
	// report makes the same page from its trace.
	if !strings.Contains(out.String(), "  report: "+page+"\n") {
		t.Errorf("the summary does not say where the report went: %q", out.String())
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">INTERRUPTED<", "leader-crash", "miniraft tui --engine sim --seed 2 leader-crash"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	samePage(t, page, trace)
}

// Quitting once the scenario's timeline is over gives its verdict: the header said
// "scenario passed", and the run passed.
func TestTUIQuitAfterTheTimeline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	out, _ := tuiUntil(t, []string{"tui", "--speed", "64", "--seed", "2", "leader-crash"}, "✓ scenario passed", exitPass)
	if !strings.HasPrefix(out.String(), "PASS leader-crash (engine sim, seed 2, 5 peers)") || strings.Contains(out.String(), "interrupted") {
		t.Errorf("the summary: %q", out.String())
	}
}
