package scenario

import (
	"strings"
	"testing"
	"time"
)

const tour = `# A tour of the language.
#
#   Indented text stays indented.

peers 3
seed -7
prevote on
checkquorum on
timing tick=5ms heartbeat=50ms election=300ms-550ms
workload rate=2.5
duration 45s
liveness leader=3s
snapshot every=50

at 2s crash leader      # a comment
at +500ms partition leader | others
bridge 0 - 1 - 2
cut majority->others
loss 7% 0 -> 1,2
delay 10ms-20ms
reorder 0.05
duplicate 1%
skew 0 1.5x
heal
reset
every 2s from 1s until 10s crash random
every 250ms times 3 propose 5
every 1s expect leaders <= 1
pause follower
resume all
isolate minority
restart crashed
workload off
sleep 1m30s
wait commit +5 within 5s
wait no leader within 2s
expect term >= +1 for 2s
expect leader not 1
expect leader is 0,2
expect converged
expect lost == 0
expect elections != 3
expect commits > 1
expect term < 100
`

const tourFormatted = `# A tour of the language.
#
#   Indented text stays indented.

peers 3
seed -7
prevote on
checkquorum on
timing tick=5ms heartbeat=50ms election=300ms-550ms
workload rate=2.5
duration 45s
liveness leader=3s commit=5s
snapshot every=50

at 2s crash leader
at +500ms partition leader | others
bridge 0 - 1 - 2
cut majority -> others
loss 7% 0 -> 1,2
delay 10ms-20ms
reorder 5%
duplicate 1%
skew 0 1.5x
heal
reset
every 2s from 1s until 10s crash random
every 250ms times 3 propose 5
every 1s expect leaders <= 1
pause follower
resume all
isolate minority
restart crashed
workload off
sleep 1m30s
wait commit +5 within 5s
wait no leader within 2s
expect term >= +1 for 2s
expect leader not 1
expect leader is 0,2
expect converged
expect lost == 0
expect elections != 3
expect commits > 1
expect term < 100
`

func TestFormat(t *testing.T) {
	s := mustParse(t, tour)
	if got := Format(s); got != tourFormatted {
		t.Errorf("Format:\n%s\nwant:\n%s", got, tourFormatted)
	}
	if s.String() != Format(s) {
		t.Error("String differs from Format")
	}
	checkRoundTrip(t, s)
}

func TestFormatMinimal(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "peers 5\n"},
		{"# Only words.", "# Only words.\n\npeers 5\n"},
		{"liveness off\ncrash 1", "peers 5\nliveness off\n\ncrash 1\n"},
		{"timing election=400ms", "peers 5\ntiming election=400ms\n"},
		{"workload rate=0", "peers 5\nworkload rate=0\n"},
		{"snapshot off", "peers 5\nsnapshot off\n"},
		{"snapshot every=100", "peers 5\n"},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.src)
		if got := Format(s); got != tt.want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tt.src, got, tt.want)
		}
		checkRoundTrip(t, s)
	}
}

// Every file of the library parses, passes Validate, round-trips through Format, has a
// description, checks something, and is short enough for CI.
func TestLibrary(t *testing.T) {
	for name, src := range libraryFiles(t) {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			checkRoundTrip(t, s)
			// A summary line (miniraft scenarios prints it), a blank line, and at least a
			// line on what the scenario shows and what must hold.
			if sum := s.Summary(); sum == "" || len(sum) > 100 || strings.Count(s.Description, "\n") < 2 {
				t.Errorf("want a summary line of at most 100 bytes, a blank line and more description; got %q", s.Description)
			}
			checks := 0
			for _, st := range s.Steps {
				switch st.Cmd.(type) {
				case WaitCmd, ExpectCmd:
					checks++
				}
			}
			if checks < 2 {
				t.Errorf("%d waits and expects; a library scenario must check things", checks)
			}
			// Bound assumes every wait takes its whole limit; real runs are far shorter
			// (on a correct Raft, 2 to 20 s of cluster time, and a minute for the soak).
			// CI runs the whole library in real time, so keep it short.
			limit := 90 * time.Second
			if name == "soak.chaos" {
				limit = 3 * time.Minute
			}
			if b := s.Bound(); b > limit {
				t.Errorf("Bound = %v, want at most %v", b, limit)
			}
			if s.Steps[len(s.Steps)-1].Every != nil {
				t.Error("the last step is an every: nothing would run it")
			}
		})
	}
}

// BenchmarkParse parses the whole library; the TUI parses a command per keystroke and
// a scenario per run, so this only needs to be far below a millisecond per file.
func BenchmarkParse(b *testing.B) {
	files := libraryFiles(b)
	b.ResetTimer()
	for b.Loop() {
		for name, src := range files {
			if _, err := Parse(name, src); err != nil {
				b.Fatal(err)
			}
		}
	}
}
