package scenario

import (
	"slices"
	"strings"
	"testing"
)

func TestComplete(t *testing.T) {
	tests := []struct {
		line  string
		peers int
		start int
		words []string // want exactly these, in order, when not nil
		has   []string // want at least these
		not   []string // and none of these
		want  string
	}{
		{line: "", has: []string{"crash", "propose", "wait", "expect", "heal"}, not: []string{"at", "every", "peers"}},
		{line: "cr", words: []string{"crash"}},
		{line: "re", words: []string{"restart", "resume", "reorder", "reset"}},
		{line: "crash ", peers: 3, start: 6, words: []string{"0", "1", "2", "leader", "follower", "followers", "random", "majority", "minority", "all", "crashed"}},
		{line: "crash lea", start: 6, words: []string{"leader"}},
		{line: "crash 1", peers: 12, start: 6, words: []string{"1", "10", "11"}},
		{line: "crash 0,", peers: 3, start: 8, words: []string{"1", "2"}},
		{line: "crash 0 ", words: []string{","}},
		{line: "partition leader ", words: []string{"|"}},
		{line: "partition leader | ", has: []string{"others", "leader"}},
		{line: "partition 0 | ", peers: 3, has: []string{"1", "2"}, not: []string{"0"}},
		{line: "cut 0 ", words: []string{",", "->"}},
		{line: "cut 0 -", start: 6, words: []string{"->"}},
		{line: "cut 0 ->", peers: 2, has: []string{"0", "1", "others"}},
		{line: "bridge 0 ", words: []string{",", "-"}},
		{line: "bridge 0 -", peers: 2, has: []string{"1", "leader"}, not: []string{"0"}},
		{line: "loss ", want: "a probability like 10% or 0.1"},
		{line: "loss 10% ", has: []string{"leader", "0"}, not: []string{"others"}},
		{line: "delay 5ms", want: "a delay like 10ms or 5ms-50ms"},
		{line: "delay 5ms ", has: []string{"-", "leader"}},
		{line: "wait ", has: []string{"leader", "no", "commit", "commits"}},
		{line: "wait leader ", words: []string{"is", "not", "within"}},
		{line: "wait leader w", start: 12, words: []string{"within"}},
		{line: "wait leader within ", want: "a duration"},
		{line: "expect leader is ", peers: 2, words: []string{"0", "1"}},
		{line: "expect term ", words: []string{"==", "!=", "<", "<=", ">", ">="}},
		{line: "expect converged ", words: []string{"for"}},
		{line: "workload ", has: []string{"off", "basic", "kv", "rate="}},
		{line: "workload kv ", words: []string{"clients=", "keys=", "rate=", "reads=", "timeout="}},
		{line: "workload kv rate=1 ", words: []string{"clients=", "keys=", "reads=", "timeout="}},
		{line: "propose ", want: "a number of commands"},
		{line: "on ", words: []string{"leader", "candidate", "stepdown", "term", "vote", "append", "truncate", "commit", "snapshot", "install", "persist", "boot"}},
		{line: "on vote ", peers: 2, has: []string{"0", "1", "once", "times", "crash", "tear"}, not: []string{"propose", "leader"}},
		{line: "on vote 1 once ", has: []string{"crash", "heal"}, not: []string{"times", "wait"}},
		{line: "loss 10% ", has: []string{"replies"}},
		{line: "crsh ", words: nil},       // after a word the parser rejects: nothing
		{line: "at 2s crash", words: nil}, // schedules are for files
		{line: "crash leader # a comment", words: nil},
	}
	for _, tt := range tests {
		c := Complete(tt.line, tt.peers)
		switch {
		case tt.words != nil && !slices.Equal(c.Words, tt.words), tt.words == nil && tt.has == nil && len(c.Words) > 0:
			t.Errorf("Complete(%q).Words = %q, want %q", tt.line, c.Words, tt.words)
		case tt.start != 0 && c.Start != tt.start:
			t.Errorf("Complete(%q).Start = %d, want %d", tt.line, c.Start, tt.start)
		case tt.want != "" && c.Want != tt.want:
			t.Errorf("Complete(%q).Want = %q, want %q", tt.line, c.Want, tt.want)
		}
		for _, w := range tt.has {
			if !slices.Contains(c.Words, w) {
				t.Errorf("Complete(%q).Words = %q, want it to hold %q", tt.line, c.Words, w)
			}
		}
		for _, w := range tt.not {
			if slices.Contains(c.Words, w) {
				t.Errorf("Complete(%q).Words = %q, want it without %q", tt.line, c.Words, w)
			}
		}
	}
}

// Every word Complete offers continues the line into one the parser accepts a word
// further: it never offers what the parser would reject there.
func TestCompleteOffersOnlyWhatParses(t *testing.T) {
	lines := []string{"", "crash ", "partition 0 ", "partition 0 | ", "cut leader ", "cut leader -> ", "wait ", "wait leader ", "expect ", "expect term ", "workload ", "workload kv "}
	for _, line := range lines {
		for _, w := range Complete(line, 5).Words {
			if strings.HasSuffix(w, "=") {
				continue // a key, whose value comes in the same word
			}
			got := Complete(line+w+" ", 5)
			_, err := ParseCommand(line + w)
			if err != nil && len(got.Words) == 0 && got.Want == "" {
				t.Errorf("Complete(%q) offers %q, after which nothing parses: %v", line, w, err)
			}
		}
	}
}
