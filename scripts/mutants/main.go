// Command mutants measures how many of the deliberate bugs of internal/bugs MiniRaft's
// tools catch: for each bug it switches the bug on and runs a fuzz campaign against it
// (miniraft fuzz --bug NAME, built with -tags bugs) for a budget, and prints a table:
// caught or not, the time to the first failure, the checker that caught it, and the size
// of the shrunk scenario. It reads each campaign's record (chaos/fuzz.Record), never its
// printed summary.
//
//	go run ./scripts/mutants                       every bug, 2 minutes each on 2 workers
//	go run ./scripts/mutants -quick                the CI subset; exit 1 if one is missed
//	go run ./scripts/mutants -bugs figure8,quorum-half -budget 30s
//	go run ./scripts/mutants -library -unit -markdown
//
// With -library it also runs the scenario library against each bug (miniraft run --bug
// NAME all); with -unit, raft's unit tests (go test -short ./raft/ with MINIRAFT_BUGS set).
// Campaigns run one at a time, each in its own process group, killed if it overruns its
// budget by -grace. Every campaign's files (failing schedules, shrunk ones, traces, its
// record) are kept under -out.
//
// It exits 0 when it printed the table (and, with -quick, every bug of the subset was
// caught), 1 when a bug of the quick subset was missed, 2 on bad usage or a failed build.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/internal/bugs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// setting is how the campaign against one bug is set up, beyond the defaults.
type setting struct {
	// flags are extra flags of miniraft fuzz: the Raft options the bug's code needs.
	flags []string
	// quick puts the bug in the CI subset: it must be caught within the quick budget.
	quick bool
}

// settings holds the bugs that need more than the defaults. The quick subset (what CI
// runs, one or two per layer fuzz reaches) holds bugs the full table showed caught within
// about a second, in under 20 runs, so that it stays a test of the harness rather than of
// luck: a miss means fuzzing lost power.
var settings = map[string]setting{
	bugs.QuorumHalf:           {quick: true},
	bugs.TruncateMatching:     {quick: true},
	bugs.TermNotSaved:         {quick: true},
	bugs.OldSnapshotInstalled: {quick: true},
	bugs.NoDupDetection:       {quick: true},
	bugs.PreVoteRaisesTerm:    {flags: []string{"--prevote"}},
}

// Row is what was found for one bug.
type Row struct {
	Bug    string     `json:"bug"`
	Layer  bugs.Layer `json:"layer"`
	Engine string     `json:"engine"`
	Flags  []string   `json:"flags,omitempty"`
	// Verdict is caught, unattributed (caught by a checker that fails the correct code
	// too, on the live engine: see -baseline), missed, crashed (the campaign died: Message says how), hung
	// (killed after its budget and grace), or pending (the wrapper's bugs, while
	// miniraft fuzz has no live engine).
	Verdict string `json:"verdict"`
	Message string `json:"message,omitempty"`
	// Runs counts the campaign's runs; After is the time to the first failure; Checker
	// the checker of that failure.
	Runs    int           `json:"runs"`
	After   time.Duration `json:"after_ns,omitempty"`
	Checker string        `json:"checker,omitempty"`
	// Steps and Peers are the size of the shrunk scenario (File) of that checker.
	Steps int    `json:"steps,omitempty"`
	Peers int    `json:"peers,omitempty"`
	File  string `json:"file,omitempty"`
	// Wall is how long the campaign took, shrinking included.
	Wall    time.Duration `json:"wall_ns"`
	Library *Library      `json:"library,omitempty"`
	Unit    *Unit         `json:"unit,omitempty"`
}

// Library is what the scenario library made of a bug.
type Library struct {
	Failed, Scenarios int
	// First is the first scenario that failed, and Checker its checker.
	First, Checker string
	// Hung says the library was killed after its time (-library-time): a deadlock, most
	// likely, as no scenario of the library runs that long.
	Hung bool
	Wall time.Duration
}

// Unit is what raft's unit tests made of a bug.
type Unit struct {
	Failed bool
	// First is the first test that failed.
	First string
	Wall  time.Duration
}

type options struct {
	budget, liveBudget, quickBudget, grace time.Duration
	libraryTime                            time.Duration
	workers                                int
	names                                  string
	quick, library, unit, markdown         bool
	baseline                               bool
	out, json                              string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.budget, "budget", 2*time.Minute, "search time of each campaign on the sim engine")
	fs.DurationVar(&o.liveBudget, "live-budget", 5*time.Minute, "search time of each campaign on the live engine")
	fs.DurationVar(&o.quickBudget, "quick-budget", 30*time.Second, "search time of each campaign with -quick")
	fs.DurationVar(&o.grace, "grace", 3*time.Minute, "time a campaign may take beyond its budget (shrinking) before it is killed")
	fs.IntVar(&o.workers, "workers", 2, "fuzz workers of each campaign")
	fs.StringVar(&o.names, "bugs", "", "comma-separated bugs to try (default: all, or the quick subset with -quick)")
	fs.BoolVar(&o.quick, "quick", false, "only the quick subset (what CI runs); exit 1 if one of them is missed")
	fs.BoolVar(&o.library, "library", false, "also run the scenario library against each bug")
	fs.DurationVar(&o.libraryTime, "library-time", 15*time.Minute, "time the scenario library may take against one bug before it is killed (-library)")
	fs.BoolVar(&o.baseline, "baseline", true, "fuzz the correct raft.Raft on the live engine first: a live bug's failure with a checker that fails there too is unattributed")
	fs.BoolVar(&o.unit, "unit", false, "also run raft's unit tests (go test -short ./raft/) against each bug")
	fs.BoolVar(&o.markdown, "markdown", false, "print the table in Markdown")
	fs.StringVar(&o.out, "out", "", "directory for the campaigns' files (default out/mutants-TIME)")
	fs.StringVar(&o.json, "json", "", "also write the rows as JSON to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mutants [flags]\n\nFuzzes each deliberate bug of internal/bugs for a budget and prints what caught it.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...interface{}) int {
		fmt.Fprintf(stderr, "mutants: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q (mutants takes flags only)", fs.Arg(0))
	}
	if o.budget <= 0 || o.liveBudget <= 0 || o.quickBudget <= 0 || o.grace <= 0 || o.libraryTime <= 0 || o.workers < 1 {
		return usage("-budget, -live-budget, -quick-budget, -grace and -library-time must be positive, -workers at least 1")
	}
	list, err := choose(o.names, o.quick)
	if err != nil {
		return usage("%v", err)
	}
	if o.out == "" {
		o.out = filepath.Join("out", "mutants-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return usage("%v", err)
	}

	bin := filepath.Join(o.out, "miniraft")
	fmt.Fprintf(stderr, "building %s with -tags bugs\n", bin)
	if out, err := exec.CommandContext(ctx, "go", "build", "-tags", "bugs", "-o", bin, "./cmd/miniraft").CombinedOutput(); err != nil {
		return usage("go build: %v\n%s", err, out)
	}
	live := hasLiveFuzz(ctx, bin)
	var alarms map[string]int // checkers that fail the correct code on the live engine
	if live && o.baseline && slices.ContainsFunc(list, func(b bugs.Bug) bool { return b.Live }) {
		fmt.Fprintf(stderr, "baseline: the correct raft.Raft on the live engine for %v: ", o.liveBudget)
		alarms, err = baseline(ctx, o, bin)
		if err != nil {
			fmt.Fprintf(stderr, "failed (%v); live verdicts are not checked against it\n", err)
		} else {
			fmt.Fprintf(stderr, "false alarms %v\n", alarms)
		}
	}

	rows := make([]Row, 0, len(list))
	missed := 0
	for i, b := range list {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "[%d/%d] %s ", i+1, len(list), b.Name)
		r := campaign(ctx, o, bin, b, live, alarms)
		if o.library {
			r.Library = library(ctx, bin, b, filepath.Join(o.out, b.Name), o.libraryTime)
		}
		if o.unit && !b.Live && b.Layer != bugs.KV {
			r.Unit = unit(ctx, b)
		}
		fmt.Fprintln(stderr, summary(r))
		rows = append(rows, r)
		if o.quick && r.Verdict != "caught" {
			missed++
		}
	}
	if o.markdown {
		writeMarkdown(stdout, rows, o)
	} else {
		writeTable(stdout, rows)
	}
	if o.json != "" {
		b, err := json.MarshalIndent(rows, "", "  ")
		if err == nil {
			err = os.WriteFile(o.json, append(b, '\n'), 0o644)
		}
		if err != nil {
			return usage("-json: %v", err)
		}
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "mutants: interrupted; the table covers the bugs tried")
		return 2
	case missed > 0:
		fmt.Fprintf(stderr, "mutants: %d bug(s) of the quick subset not caught within %v\n", missed, o.quickBudget)
		return 1
	}
	return 0
}

// choose returns the bugs to try: those named, or the quick subset, or all.
func choose(names string, quick bool) ([]bugs.Bug, error) {
	var out []bugs.Bug
	if names != "" {
		for _, n := range strings.Split(names, ",") {
			b, ok := bugs.Lookup(strings.TrimSpace(n))
			if !ok {
				return nil, fmt.Errorf("-bugs: unknown bug %q (known: %s)", n, strings.Join(bugs.Known, ", "))
			}
			out = append(out, b)
		}
		return out, nil
	}
	for _, b := range bugs.Catalog {
		if !quick || settings[b.Name].quick {
			out = append(out, b)
		}
	}
	return out, nil
}

// hasLiveFuzz reports whether this miniraft fuzz can run the live engine (--engine).
func hasLiveFuzz(ctx context.Context, bin string) bool {
	out, _ := exec.CommandContext(ctx, bin, "fuzz", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("--engine"))
}

// campaign fuzzes one bug and reads the campaign's record.
//
// On the live engine it goes on to the fifth failure, and the row takes the first whose
// checker the baseline did not see fail (alarms): the bug's own failure, not a false
// alarm. If every failure's checker is among the alarms, the row is unattributed.
func campaign(ctx context.Context, o options, bin string, b bugs.Bug, live bool, alarms map[string]int) Row {
	s := settings[b.Name]
	r := Row{Bug: b.Name, Layer: b.Layer, Engine: "sim", Flags: s.flags}
	budget, stopAfter := o.budget, "1"
	var engine []string
	if b.Live {
		r.Engine, budget, engine, stopAfter = "live", o.liveBudget, []string{"--engine", "live"}, "5"
		if !live {
			r.Verdict, r.Message = "pending", "needs miniraft fuzz --engine live, which this build lacks"
			return r
		}
	}
	if o.quick {
		budget = o.quickBudget
	}
	args := append([]string{"fuzz", "--bug", b.Name, "--time", budget.String(), "--workers", fmt.Sprint(o.workers),
		"--stop-after", stopAfter, "--shrink", "1", "-q"}, engine...)
	dir, err := filepath.Abs(filepath.Join(o.out, b.Name))
	if err == nil {
		err = os.RemoveAll(dir)
	}
	if err != nil {
		r.Verdict, r.Message = "crashed", err.Error()
		return r
	}
	args = append(append(args, "--out", dir), s.flags...)

	start := time.Now()
	code, stderr, err := execGroup(ctx, budget+o.grace, nil, bin, args...)
	r.Wall = time.Since(start)
	rec, rerr := fuzz.ReadRecord(dir)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		r.Verdict, r.Message = "hung", fmt.Sprintf("killed after %v: %s", budget+o.grace, lastLine(stderr))
		return r
	case err != nil:
		r.Verdict, r.Message = "crashed", err.Error()
		return r
	case rerr != nil || code > 1:
		r.Verdict, r.Message = "crashed", fmt.Sprintf("exit %d: %s", code, crashLine(stderr))
		return r
	}
	r.Runs = rec.Runs
	if rec.Failed == 0 {
		r.Verdict = "missed"
		return r
	}
	r.Verdict = "caught"
	byTime := func(a, b fuzz.Failure) int { return int(a.After - b.After) }
	first := slices.MinFunc(rec.Failures, byTime)
	own := slices.DeleteFunc(slices.Clone(rec.Failures), func(f fuzz.Failure) bool { return alarms[f.Checker] > 0 })
	if len(own) > 0 {
		first = slices.MinFunc(own, byTime)
	} else if alarms[first.Checker] > 0 {
		r.Verdict = "unattributed"
		r.Message = fmt.Sprintf("the correct code fails %s too (%s of the baseline)", first.Checker, plural(alarms[first.Checker], "run"))
	}
	r.After, r.Checker = first.After, first.Checker
	for _, m := range rec.Minimal {
		if m.Checker == r.Checker {
			r.Steps, r.Peers, r.File = m.Steps, m.Peers, filepath.Join(dir, m.File)
		}
	}
	return r
}

// baseline fuzzes the correct code on the live engine for the live budget and returns
// how many runs each checker failed: a live bug's failure with one of these checkers
// cannot be told from a false alarm.
func baseline(ctx context.Context, o options, bin string) (map[string]int, error) {
	dir, err := filepath.Abs(filepath.Join(o.out, "baseline-live"))
	if err == nil {
		err = os.RemoveAll(dir)
	}
	if err != nil {
		return nil, err
	}
	args := []string{"fuzz", "--engine", "live", "--time", o.liveBudget.String(), "--workers", fmt.Sprint(o.workers),
		"--shrink", "0", "-q", "--out", dir}
	code, out, err := execGroup(ctx, o.liveBudget+o.grace, nil, bin, args...)
	if err != nil {
		return nil, err
	}
	rec, err := fuzz.ReadRecord(dir)
	if err != nil {
		return nil, fmt.Errorf("exit %d: %s: %w", code, crashLine(out), err)
	}
	return rec.Violations, nil
}

// library runs the scenario library against bug b, on the engine its code runs on.
func library(ctx context.Context, bin string, b bugs.Bug, dir string, timeout time.Duration) *Library {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil
	}
	file := filepath.Join(dir, "library.json")
	args := []string{"run", "--bug", b.Name, "-q", "--json", file}
	if b.Live {
		args = append(args, "--engine", "live")
	}
	if b.Layer == bugs.KV {
		args = append(args, "--kv")
	}
	args = append(args, append(settings[b.Name].flags, "all")...)
	args = slices.DeleteFunc(args, func(a string) bool { return a == "--prevote" }) // scenarios choose
	start := time.Now()
	_, _, err := execGroup(ctx, timeout, nil, bin, args...)
	l := &Library{Wall: time.Since(start), Hung: errors.Is(err, context.DeadlineExceeded)}
	data, rerr := os.ReadFile(file)
	if err != nil || rerr != nil || readLibrary(data, l) != nil {
		l.First = "(no results)"
	}
	return l
}

// readLibrary reads the results miniraft run --json wrote into l: how many scenarios
// failed, the first that did and its checker.
func readLibrary(data []byte, l *Library) error {
	var doc struct {
		Results []struct {
			Name    string `json:"name"` // the scenario's name ("scenario" is its text)
			Pass    bool   `json:"pass"`
			Failure *struct {
				Checker string `json:"checker"`
			} `json:"failure"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	l.Scenarios = len(doc.Results)
	for _, res := range doc.Results {
		if res.Pass {
			continue
		}
		l.Failed++
		if l.First == "" {
			l.First = res.Name
			if res.Failure != nil {
				l.Checker = res.Failure.Checker
			}
		}
	}
	return nil
}

// unit runs raft's short unit tests with bug b switched on, and reports the first test
// that failed (from go test -json) and how long the tests took.
func unit(ctx context.Context, b bugs.Bug) *Unit {
	start := time.Now()
	env := append(os.Environ(), bugs.EnvVar+"="+b.Name)
	_, out, _ := execGroup(ctx, 15*time.Minute, env, "go", "test", "-tags", "bugs", "-short", "-count=1", "-json", "./raft/")
	u := &Unit{Wall: time.Since(start)}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct{ Action, Test string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Action == "fail" {
			u.Failed = true
			if ev.Test != "" && u.First == "" {
				u.First = ev.Test
			}
		}
	}
	return u
}

// execGroup runs name with args in a process group of its own, which is killed when ctx
// ends or timeout passes, and returns its exit code and its standard output and error
// together. The error is for a command that could not be run, or was killed
// (context.DeadlineExceeded for the timeout).
func execGroup(ctx context.Context, timeout time.Duration, env []string, name string, args ...string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return -1, out.Bytes(), ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.Bytes(), nil
	}
	return 0, out.Bytes(), err
}

// crashLine returns the line of a dead campaign's output that says why: a panic or a
// fatal error of the runtime, or the last line.
func crashLine(out []byte) string {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return line
		}
	}
	return lastLine(out)
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// summary is the progress line of one row.
func summary(r Row) string {
	switch r.Verdict {
	case "caught":
		return fmt.Sprintf("caught by %s after %s (%d runs), shrunk to %s", r.Checker, secs(r.After), r.Runs, plural(r.Steps, "step"))
	case "missed":
		return fmt.Sprintf("missed in %d runs", r.Runs)
	}
	return r.Verdict + ": " + r.Message
}

// plural returns "1 step", "2 steps".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%.0fs", d.Seconds())
}

// cells returns a row's cells: bug, layer, engine, verdict, first failure, checker,
// shrunk, runs, and the library's and unit tests' columns when asked for.
func cells(r Row, lib, unit bool) []string {
	bug := r.Bug
	if len(r.Flags) > 0 {
		bug += " (" + strings.Join(r.Flags, " ") + ")"
	}
	c := []string{bug, string(r.Layer), r.Engine, r.Verdict, "-", "-", "-", fmt.Sprint(r.Runs)}
	switch r.Verdict {
	case "caught":
		c[4], c[5] = secs(r.After), r.Checker
		if r.File != "" { // 0 steps is a size: the run with no fault fails
			c[6] = plural(r.Steps, "step") + ", " + plural(r.Peers, "peer")
		}
	case "crashed", "hung", "pending":
		c[5] = r.Message
	case "unattributed":
		c[4], c[5] = secs(r.After), r.Message
	}
	if lib {
		s := "-"
		if l := r.Library; l != nil && l.Hung {
			s = "hung: killed after " + secs(l.Wall)
		} else if l != nil && l.Failed > 0 {
			s = fmt.Sprintf("%d of %d (%s: %s)", l.Failed, l.Scenarios, l.First, l.Checker)
		} else if l != nil {
			s = fmt.Sprintf("0 of %d", l.Scenarios)
		}
		c = append(c, s)
	}
	if unit {
		s := "-"
		if u := r.Unit; u != nil && u.Failed {
			s = fmt.Sprintf("fail in %s (%s)", secs(u.Wall), u.First)
		} else if u != nil {
			s = fmt.Sprintf("pass (%s)", secs(u.Wall))
		}
		c = append(c, s)
	}
	return c
}

func headers(lib, unit bool) []string {
	h := []string{"BUG", "LAYER", "ENGINE", "VERDICT", "FIRST FAILURE", "CHECKER", "SHRUNK TO", "RUNS"}
	if lib {
		h = append(h, "LIBRARY")
	}
	if unit {
		h = append(h, "UNIT TESTS")
	}
	return h
}

func hasLib(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return r.Library != nil })
}
func hasUnit(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return r.Unit != nil })
}

func writeTable(w io.Writer, rows []Row) {
	lib, unit := hasLib(rows), hasUnit(rows)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers(lib, unit), "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r, lib, unit), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w, caughtLine(rows))
}

func writeMarkdown(w io.Writer, rows []Row, o options) {
	lib, unit := hasLib(rows), hasUnit(rows)
	h := headers(lib, unit)
	for i := range h {
		h[i] = strings.ToLower(h[i])
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat(" --- |", len(h)))
	for _, r := range rows {
		c := cells(r, lib, unit)
		c[0] = "`" + r.Bug + "`" + strings.TrimPrefix(c[0], r.Bug)
		if r.Verdict == "caught" {
			c[5] = "`" + r.Checker + "`"
		}
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
	}
	fmt.Fprintf(w, "\n%s (budget %v per bug on the sim engine, %v on the live one, %d workers, GOMAXPROCS %d)\n",
		caughtLine(rows), o.budget, o.liveBudget, o.workers, runtime.GOMAXPROCS(0))
}

func caughtLine(rows []Row) string {
	n := 0
	for _, r := range rows {
		if r.Verdict == "caught" {
			n++
		}
	}
	return fmt.Sprintf("%d of %d bugs caught by fuzzing", n, len(rows))
}
