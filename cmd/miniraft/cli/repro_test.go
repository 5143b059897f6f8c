package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
)

// reproCase is a run whose printed command must repeat it.
type reproCase struct {
	name string
	args []string // between "run" and the scenario
	arg  string   // the scenario
	code int      // -1: any, as long as the run again gives the same
	// want are what the trace header's configuration must say; page what the report
	// must say.
	want, page []string
}

// A run's every record (the summary, the trace's header, the JSON result, the report)
// gives one command, and that command, run again on the sim engine, gives the same run:
// the trace again, byte for byte.
func TestPrintedCommandRepeatsTheRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "my scenario.chaos") // a path the command must quote
	if err := os.WriteFile(file, []byte("peers 3\nworkload rate=20\nwait leader within 5s\nat 1s crash leader\nwait leader within 5s\nwait commit +5 within 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []reproCase{
		{name: "prevote off", args: []string{"--prevote=false", "--seed", "1"}, arg: "disruptive-rejoin", code: exitFail,
			want: []string{`"overrides":{"prevote":false}`, "--prevote=false"},
			page: []string{"overridden on the command line</dt><dd><code>--prevote=false</code>", `<pre id="effective">`}},
		{name: "peers, kv and checkquorum", args: []string{"--peers", "3", "--kv", "--checkquorum", "--seed", "2"}, arg: "leader-crash", code: -1,
			want: []string{`"overrides":{"peers":3,"checkquorum":true,"kv":true}`, "--peers 3 --checkquorum --kv", "workload kv rate=", "checkquorum on"}},
		{name: "peers", args: []string{"--peers", "7", "--seed", "3"}, arg: "leader-crash", code: -1,
			want: []string{`"overrides":{"peers":7}`, "--peers 7"}},
		{name: "kv", args: []string{"--kv", "--seed", "3"}, arg: "leader-crash", code: -1,
			want: []string{`"overrides":{"kv":true}`, "--kv"}},
		{name: "checkquorum", args: []string{"--checkquorum", "--seed", "3"}, arg: "leader-isolation", code: -1,
			want: []string{`"overrides":{"checkquorum":true}`, "--checkquorum"}},
		{name: "prevote", args: []string{"--prevote", "--seed", "3"}, arg: "leader-isolation", code: -1,
			want: []string{`"overrides":{"prevote":true}`, "--prevote"}},
		{name: "prevote on, which the scenario has", args: []string{"--prevote"}, arg: "disruptive-rejoin", code: exitPass},
		{name: "a seed", args: []string{"--seed", "7"}, arg: "leader-crash", code: exitPass, want: []string{`"seed":7`, "--seed 7"}},
		{name: "a random seed", arg: "leader-crash", code: exitPass},
		{name: "a file, checkquorum off", args: []string{"--checkquorum=false", "--peers", "5"}, arg: file, code: exitPass,
			want: []string{`"overrides":{"peers":5}`, "'" + file + "'"}}, // the file has checkquorum off already
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { testRepro(t, tt) })
	}
}

func testRepro(t *testing.T, tt reproCase) {
	t.Helper()
	dir := t.TempDir()
	first, again := filepath.Join(dir, "first.jsonl"), filepath.Join(dir, "again.jsonl")
	page, result := filepath.Join(dir, "first.html"), filepath.Join(dir, "first.json")
	args := append(append([]string{"run"}, tt.args...), "--trace", first, "--report", page, "--json", result, tt.arg)
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	if code != tt.code && (tt.code != -1 || code == exitUsage) {
		t.Fatalf("miniraft %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, tt.code, out.String(), errb.String())
	}

	// The summary's command.
	m := regexp.MustCompile(`(?m)^  run it again: (.*)$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the summary gives no command:\n%s", out.String())
	}
	cmd := m[1]
	// The trace header's.
	trace, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := bytes.Cut(trace, []byte("\n"))
	var h chaos.TraceHeader
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	// The JSON result's.
	b, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results []struct {
			Repro string `json:"repro"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Results) != 1 {
		t.Fatalf("the JSON result: %v, %d results", err, len(doc.Results))
	}
	// The report's.
	b, err = os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	pm := regexp.MustCompile(`<code class="repro">([^<]*)</code>`).FindSubmatch(b)
	if pm == nil {
		t.Fatal("the report gives no command")
	}
	for what, c := range map[string]string{"trace header": h.Repro, "JSON result": doc.Results[0].Repro, "report": html.UnescapeString(string(pm[1]))} {
		if c != cmd {
			t.Errorf("the %s's command %q differs from the summary's %q", what, c, cmd)
		}
	}
	for _, w := range tt.page {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("the report lacks %q", w)
		}
	}
	for _, w := range tt.want {
		if !strings.Contains(string(header), w) && !strings.Contains(cmd, w) {
			t.Errorf("neither the trace header nor the command says %q:\n%s\n%s", w, header, cmd)
		}
	}

	// Run the command again, with a trace.
	words := shellSplit(t, cmd)
	if len(words) < 2 || words[0] != "miniraft" {
		t.Fatalf("the command %q is not a miniraft command", cmd)
	}
	args = append(append(words[1:len(words)-1:len(words)-1], "--trace", again), words[len(words)-1])
	out.Reset()
	errb.Reset()
	if again := run(args, &out, &errb); again != code {
		t.Errorf("%s: exit %d, want %d as the first time\n%s%s", cmd, again, code, out.String(), errb.String())
	}
	repeat, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(trace, repeat) {
		t.Errorf("%s gives another trace: %s", cmd, firstDifference(trace, repeat))
	}
}

// shellSplit splits a command line as a POSIX shell does for plain words and single
// quotes (what shellWord writes).
func shellSplit(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, in = true, true
		case c == ' ':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// firstDifference describes the first line where two traces differ.
func firstDifference(a, b []byte) string {
	la, lb := bufio.NewScanner(bytes.NewReader(a)), bufio.NewScanner(bytes.NewReader(b))
	la.Buffer(nil, 64<<20)
	lb.Buffer(nil, 64<<20)
	for n := 1; ; n++ {
		oka, okb := la.Scan(), lb.Scan()
		if !oka || !okb {
			return "one ends before the other"
		}
		if !bytes.Equal(la.Bytes(), lb.Bytes()) {
			return "line " + strconv.Itoa(n) + ":\n" + la.Text() + "\n" + lb.Text()
		}
	}
}
