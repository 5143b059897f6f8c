package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"go.uber.org/goleak"
)

// recordTrace runs a library scenario with a trace and returns the trace's path.
func recordTrace(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".jsonl")
	var out, errb bytes.Buffer
	args = append(append([]string{"run", "--seed", "3", "--trace", path}, args...), name)
	if code := run(args, &out, &errb); code == exitUsage {
		t.Fatalf("miniraft %s: %s", strings.Join(args, " "), errb.String())
	}
	return path
}

func TestReplayBadUsage(t *testing.T) {
	trace := recordTrace(t, "leader-crash")
	notTrace := filepath.Join(t.TempDir(), "x.jsonl")
	os.WriteFile(notTrace, []byte("hello\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "name one trace file (got 0 arguments)"},
		{[]string{"replay", trace, trace}, "got 2 arguments"},
		{[]string{"replay", "--speed", "0", trace}, "--speed 0"},
		{[]string{"replay", "--at", "-1s", trace}, "--at -1s"},
		{[]string{"replay", "--at", "1s", "--violation", trace}, "give one"},
		{[]string{"replay", "no/such.jsonl"}, "no such file"},
		{[]string{"replay", notTrace}, "not a miniraft trace"},
		{[]string{"replay", "--violation", "--print", trace}, "the trace has no violation"},
		{[]string{"replay", trace}, "needs a terminal"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
}

func TestReplayPrint(t *testing.T) {
	trace := recordTrace(t, "leader-crash")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--at", "0"}, []string{"at 0.000s", "PEER  STATE", "network: connected"}},
		{[]string{"--at", "2.5s"}, []string{"at 2.500s", " of ", "elections "}},
		{nil, []string{"the recording ends at", "leader", "faults "}},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		args := append(append([]string{"replay", "--print"}, tt.args...), trace)
		if code := run(args, &out, &errb); code != exitPass {
			t.Fatalf("miniraft %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("miniraft %s: output lacks %q:\n%s", strings.Join(args, " "), w, out.String())
			}
		}
	}
}

func TestReplayFailingRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "fails.chaos")
	os.WriteFile(file, []byte("peers 3\nseed 4\nworkload rate=10\nat 1s crash leader\nat 2s expect term >= 99\n"), 0o644)
	trace := filepath.Join(dir, "fails.jsonl")
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--trace", trace, file}, &out, &errb); code != exitFail {
		t.Fatalf("run: exit %d, want %d: %s%s", code, exitFail, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"replay", "--print", "--violation", trace}, &out, &errb); code != exitPass {
		t.Fatalf("replay: exit %d: %s", code, errb.String())
	}
	for _, w := range []string{"at 2.000s", "first failure at 2.000s: expect: line 5: expect term >= 99", "crashed"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestReplayTUI drives the replay TUI on a simulated screen: it starts paused, g goes
// to a time, → steps, v reports no violation, space plays, q quits.
func TestReplayTUI(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	trace := recordTrace(t, "leader-crash")
	screen := &readyScreen{tcell.NewSimulationScreen("UTF-8"), make(chan struct{})}
	old := newScreen
	newScreen = func() (tcell.Screen, error) { return screen, nil }
	defer func() { newScreen = old }()

	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"replay", "--paused", trace}, &out, &errb) }()
	select {
	case <-screen.ready:
	case code := <-done:
		t.Fatalf("miniraft replay ended at once with %d: %s", code, errb.String())
	}
	screen.SetSize(120, 40)
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(screenText(screen), what) {
			if time.Now().After(deadline) {
				t.Fatalf("the screen never showed %q:\n%s", what, screenText(screen))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	key := func(k tcell.Key, r rune) { screen.InjectKey(k, r, tcell.ModNone) }
	waitFor("REPLAY PAUSED")
	waitFor("t=0.0s")

	key(tcell.KeyRune, 'g')
	for _, r := range "3.5s" {
		key(tcell.KeyRune, r)
	}
	key(tcell.KeyEnter, 0)
	waitFor("t=3.5s")

	key(tcell.KeyRight, 0)
	waitFor("event ")
	key(tcell.KeyRune, 'v')
	waitFor("no violation after event")
	key(tcell.KeyRune, ']')
	waitFor("s: fault: crash ") // the message, not the events list ("4.100s fault: crash 0")
	key(tcell.KeyRune, ' ')
	waitFor("replaying")

	key(tcell.KeyRune, 'q')
	select {
	case code := <-done:
		if code != exitPass {
			t.Errorf("exit %d, want %d; stderr: %s", code, exitPass, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("q did not end miniraft replay")
	}
}
