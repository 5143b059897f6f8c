package fuzz

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// RecordFile is the name of the record a campaign writes in its output directory when it
// ends: the campaign's figures and what it found, with file names relative to the
// directory, so the directory can be copied anywhere (out of a cluster's job, say) and
// merged with other shards' (Merge).
const RecordFile = "record.json"

// RecordVersion is the version of the Record format written now.
const RecordVersion = 1

// Record is what one campaign, or several merged, found, in a form that can be written
// and read back. Its fields' JSON names are the format; see RecordFile. A Record is a
// plain value, not safe for concurrent modification.
type Record struct {
	Version int `json:"version"`
	// Tool is the program that ran the campaign (its version, and the deliberate bugs
	// switched on, which a repro needs); Build is its build and Bugs those bugs.
	Tool  string       `json:"tool,omitempty"`
	Build *chaos.Build `json:"build,omitempty"`
	Bugs  []string     `json:"bugs,omitempty"`
	// Settings are what the campaign's schedules were made with.
	Settings *Settings `json:"settings,omitempty"`
	// Runs and Failed count runs; Violations counts failing runs by checker.
	Runs       int            `json:"runs"`
	Failed     int            `json:"failed"`
	Violations map[string]int `json:"violations"`
	// Faults, Events and Messages sum the runs' faults applied, events and RPCs.
	Faults   int    `json:"faults"`
	Events   uint64 `json:"events"`
	Messages int    `json:"messages"`
	// KVRuns counts the runs with kv clients, KVUnsettled those whose linearizability
	// check did not finish within its budget.
	KVRuns      int `json:"kv_runs,omitempty"`
	KVUnsettled int `json:"kv_unsettled,omitempty"`
	// Virtual is the cluster time of every run together. Wall is the campaign's time
	// (for a merge, the longest shard's: shards run side by side); Workers the runs at
	// once (for a merge, summed).
	Virtual time.Duration `json:"virtual_ns"`
	Wall    time.Duration `json:"wall_ns"`
	Workers int           `json:"workers"`
	// FirstSeed and LastSeed are the lowest and highest seeds run.
	FirstSeed int64 `json:"first_seed"`
	LastSeed  int64 `json:"last_seed"`
	// Shards lists the shards the record covers (one for a single campaign), each as
	// "i/n"; "0/1" is a whole range.
	Shards []string `json:"shards"`
	// Failures lists the failing runs, by seed. File is relative to Dir.
	Failures []Failure `json:"failures"`
	// Minimal lists the smallest failing schedules, one per distinct shrunk scenario.
	Minimal []MinimalRecord `json:"minimal"`
	// Dir is where the record's files are: the directory it was read from. Not written.
	Dir string `json:"-"`
}

// MinimalRecord is one shrunk failing schedule of a Record.
type MinimalRecord struct {
	Checker string `json:"checker"`
	// Seed is the generated schedule it was shrunk from.
	Seed int64 `json:"seed"`
	// Steps and Peers are its size after shrinking.
	Steps int `json:"steps"`
	Peers int `json:"peers"`
	// Failure is its first failure.
	Failure chaos.Violation `json:"failure"`
	// File, Trace and Page are its scenario, its trace and the report of its run,
	// relative to the record's directory ("" if they were not written); Repro runs it
	// again.
	File  string `json:"file,omitempty"`
	Trace string `json:"trace,omitempty"`
	Page  string `json:"page,omitempty"`
	Repro string `json:"repro,omitempty"`
	// Scenario is the shrunk scenario's text.
	Scenario string `json:"scenario"`
	// Found is how many campaigns (shards) shrank a failure to this scenario; Seeds the
	// seeds they shrank it from.
	Found int     `json:"found"`
	Seeds []int64 `json:"seeds"`
}

// Settings are what a campaign's schedules were made with: its Generator's settings,
// defaults filled in. They are plain values.
type Settings struct {
	// Peers is the cluster size; 0 means drawn by seed, from 2 to 7.
	Peers int `json:"peers"`
	// Duration is how long faults keep coming in each run (it lasts Settle longer).
	Duration time.Duration `json:"duration_ns"`
	// Faults are the fault kinds used; FaultRate the mean faults (and remedies) a second.
	Faults    []string `json:"faults"`
	FaultRate float64  `json:"fault_rate"`
	// Rate is the client's proposals (or kv operations) a second (negative: none); KV the
	// share of runs with kv clients (negative: none); NoSwarm: every run used every kind.
	Rate    float64 `json:"rate"`
	KV      float64 `json:"kv"`
	NoSwarm bool    `json:"no_swarm,omitempty"`
	// PreVote, CheckQuorum: Raft's options; NoLiveness: the liveness checker was off.
	PreVote     bool `json:"prevote,omitempty"`
	CheckQuorum bool `json:"checkquorum,omitempty"`
	NoLiveness  bool `json:"no_liveness,omitempty"`
}

// SettingsOf returns the settings of g, defaults filled in.
func SettingsOf(g Generator) *Settings {
	g = g.withDefaults()
	s := &Settings{Peers: g.Peers, Duration: g.Duration, FaultRate: g.FaultRate, Rate: g.Rate, KV: g.KV, NoSwarm: g.NoSwarm,
		PreVote: g.PreVote, CheckQuorum: g.CheckQuorum, NoLiveness: g.NoLiveness}
	for _, k := range g.Kinds {
		s.Faults = append(s.Faults, string(k))
	}
	return s
}

// Record returns r as a Record whose file names are relative to dir (the campaign's
// output directory; "" keeps them as they are).
func (r *Report) Record(tool, dir string) *Record {
	rec := &Record{
		Version: RecordVersion, Tool: tool, Build: r.Build, Bugs: slices.Clone(r.Bugs), Settings: r.Settings,
		Runs: r.Runs, Failed: r.Failed,
		Violations: maps(r.ByChecker), Faults: r.Faults, Events: r.Events, Messages: r.RPCs,
		KVRuns: r.KVRuns, KVUnsettled: r.KVUnsettled,
		Virtual: r.Virtual, Wall: r.Wall, Workers: r.Workers, FirstSeed: r.FirstSeed, LastSeed: r.LastSeed,
		Shards:   []string{fmt.Sprintf("%d/%d", r.Shard, max(r.Shards, 1))},
		Failures: []Failure{},
		Minimal:  []MinimalRecord{},
	}
	for _, f := range r.Failures {
		f.File = relTo(dir, f.File)
		rec.Failures = append(rec.Failures, f)
	}
	for _, m := range r.Minimal {
		mr := MinimalRecord{
			Checker: m.Checker, Seed: m.Seed, Failure: m.Failure,
			File: relTo(dir, m.File), Trace: relTo(dir, m.Trace), Page: relTo(dir, m.Page), Repro: m.Repro,
			Found: 1, Seeds: []int64{m.Seed},
		}
		if m.Shrunk != nil {
			mr.Steps, mr.Peers = m.StepsAfter, m.PeersAfter
			if m.Scenario != nil {
				mr.Scenario = m.Scenario.Source
				if mr.Scenario == "" {
					mr.Scenario = scenario.Format(m.Scenario)
				}
			}
		}
		rec.Minimal = append(rec.Minimal, mr)
	}
	return rec
}

func maps(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// relTo returns path relative to dir when it lies inside it.
func relTo(dir, path string) string {
	if dir == "" || path == "" {
		return path
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// WriteRecord writes rec as indented JSON.
func WriteRecord(w io.Writer, rec *Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rec)
}

// ErrRecord is wrapped by the errors ReadRecord and Merge return for a record that
// cannot be used.
var ErrRecord = errors.New("bad fuzz record")

// ReadRecord reads the record a campaign wrote in dir (dir/RecordFile).
func ReadRecord(dir string) (*Record, error) {
	path := filepath.Join(dir, RecordFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: no %s (is it the --out directory of a fuzz campaign that finished?)", ErrRecord, dir, RecordFile)
		}
		return nil, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	rec := &Record{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRecord, path, err)
	}
	if rec.Version != RecordVersion {
		return nil, fmt.Errorf("%w: %s: version %d, this program reads version %d", ErrRecord, path, rec.Version, RecordVersion)
	}
	if rec.Runs < 0 || rec.Failed < 0 || rec.Failed > rec.Runs {
		return nil, fmt.Errorf("%w: %s: %d failed of %d runs", ErrRecord, path, rec.Failed, rec.Runs)
	}
	rec.Dir = dir
	return rec, nil
}

// Merge combines the records of several campaigns (the shards of one campaign, usually)
// into one: counts are summed, failures listed together by seed, and shrunk schedules
// deduplicated by checker and scenario (two shards that shrink different seeds to the
// same steps found one bug shape: it is listed once, the smallest seed's, with both
// seeds). File names in the result are relative to the current directory, so each
// stays valid. Records must come from the same program (Tool: the same version, with the
// same deliberate bugs), and two records of one shard are refused, since their runs
// would count twice.
func Merge(recs []*Record) (*Record, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrRecord)
	}
	out := &Record{Version: RecordVersion, Tool: recs[0].Tool, Build: recs[0].Build, Bugs: recs[0].Bugs, Settings: recs[0].Settings,
		Violations: map[string]int{}, Failures: []Failure{}, Minimal: []MinimalRecord{}}
	seen := map[string]string{}
	byKey := map[string]int{} // dedupe key -> index in out.Minimal
	for _, r := range recs {
		if r.Tool != out.Tool {
			return nil, fmt.Errorf("%w: %s was made by %q and %s by %q: merge records of one program", ErrRecord, recs[0].Dir, out.Tool, r.Dir, r.Tool)
		}
		if !reflect.DeepEqual(r.Settings, out.Settings) {
			return nil, fmt.Errorf("%w: %s and %s made their schedules with other settings (%+v, %+v): merge the shards of one campaign", ErrRecord, recs[0].Dir, r.Dir, out.Settings, r.Settings)
		}
		for _, s := range r.Shards {
			if s != "0/1" || len(recs) > 1 {
				if prev, dup := seen[s]; dup {
					return nil, fmt.Errorf("%w: shard %s is in both %s and %s", ErrRecord, s, prev, r.Dir)
				}
			}
			seen[s] = r.Dir
		}
		out.Runs += r.Runs
		out.Failed += r.Failed
		for k, v := range r.Violations {
			out.Violations[k] += v
		}
		out.Faults += r.Faults
		out.Events += r.Events
		out.Messages += r.Messages
		out.KVRuns += r.KVRuns
		out.KVUnsettled += r.KVUnsettled
		out.Virtual += r.Virtual
		out.Wall = max(out.Wall, r.Wall)
		out.Workers += r.Workers
		if r.Runs > 0 {
			if out.Runs == r.Runs || r.FirstSeed < out.FirstSeed {
				out.FirstSeed = r.FirstSeed
			}
			if out.Runs == r.Runs || r.LastSeed > out.LastSeed {
				out.LastSeed = r.LastSeed
			}
		}
		out.Shards = append(out.Shards, r.Shards...)
		for _, f := range r.Failures {
			f.File = inDir(r.Dir, f.File)
			out.Failures = append(out.Failures, f)
		}
		for _, m := range r.Minimal {
			m.File, m.Trace, m.Page = inDir(r.Dir, m.File), inDir(r.Dir, m.Trace), inDir(r.Dir, m.Page)
			key := m.Checker + "\x00" + shape(m.Scenario)
			j, ok := byKey[key]
			if !ok {
				byKey[key] = len(out.Minimal)
				out.Minimal = append(out.Minimal, m)
				continue
			}
			have := &out.Minimal[j]
			seeds := append(append([]int64(nil), have.Seeds...), m.Seeds...)
			found := have.Found + m.Found
			if m.Seed < have.Seed {
				*have = m
			}
			slices.Sort(seeds)
			have.Seeds, have.Found = slices.Compact(seeds), found
		}
	}
	slices.SortStableFunc(out.Failures, func(a, b Failure) int { return cmp.Compare(a.Seed, b.Seed) })
	slices.SortStableFunc(out.Minimal, func(a, b MinimalRecord) int {
		return cmp.Or(strings.Compare(a.Checker, b.Checker), cmp.Compare(a.Steps, b.Steps), cmp.Compare(a.Seed, b.Seed))
	})
	slices.SortFunc(out.Shards, compareShards)
	return out, nil
}

// inDir returns name, relative to dir, as a path usable from the current directory.
func inDir(dir, name string) string {
	if name == "" || dir == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// shape is a scenario's text with what does not change the failure's shape taken out:
// comments (the description names the seed and the failure's time), the seed line and
// the layout. Two scenarios of one shape differ at most in their seed.
func shape(src string) string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] == "seed" {
			continue
		}
		b.WriteString(strings.Join(fields, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// compareShards orders "i/n" shard names by n, then i.
func compareShards(a, b string) int {
	var ai, an, bi, bn int
	fmt.Sscanf(a, "%d/%d", &ai, &an)
	fmt.Sscanf(b, "%d/%d", &bi, &bn)
	return cmp.Or(cmp.Compare(an, bn), cmp.Compare(ai, bi), strings.Compare(a, b))
}

// MissingShards returns the shards of an n-way split that rec does not cover, when every
// shard rec covers is of the same split; nil otherwise.
func (rec *Record) MissingShards() []string {
	n := -1
	have := map[int]bool{}
	for _, s := range rec.Shards {
		var i, m int
		if _, err := fmt.Sscanf(s, "%d/%d", &i, &m); err != nil || n >= 0 && m != n {
			return nil
		}
		n = m
		have[i] = true
	}
	var missing []string
	for i := range max(n, 0) {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	return missing
}

// WriteSummary writes the record's figures and what it found as tables, as
// Report.WriteSummary does for a campaign that just ran.
func (rec *Record) WriteSummary(w io.Writer) {
	r := &Report{
		Runs: rec.Runs, Failed: rec.Failed, ByChecker: rec.Violations, Faults: rec.Faults,
		Events: rec.Events, RPCs: rec.Messages, KVRuns: rec.KVRuns, KVUnsettled: rec.KVUnsettled,
		Virtual: rec.Virtual, Wall: rec.Wall,
		Workers: rec.Workers, FirstSeed: rec.FirstSeed, LastSeed: rec.LastSeed,
		Failures: rec.Failures,
	}
	r.writeFigures(w, "shards "+strings.Join(rec.Shards, " "))
	if missing := rec.MissingShards(); len(missing) > 0 {
		fmt.Fprintf(w, "warning: no record of shards %s: their seeds are not covered\n", strings.Join(missing, " "))
	}
	if rec.Failed == 0 {
		fmt.Fprintln(w, "\nno violations")
		return
	}
	rows := make([]violationRow, 0, len(rec.Violations))
	for _, k := range sortedKeys(rec.Violations) {
		row := violationRow{checker: k, runs: rec.Violations[k], first: firstSeed(rec.Failures, k), shrunk: "-"}
		n := 0
		for _, m := range rec.Minimal {
			if m.Checker == k {
				if n == 0 {
					row.shrunk = fmt.Sprintf("%d steps, %d peers (from seed %d)", m.Steps, m.Peers, m.Seed)
				}
				n++
			}
		}
		if n > 1 {
			row.shrunk += fmt.Sprintf(" and %d other shapes", n-1)
		}
		rows = append(rows, row)
	}
	writeViolations(w, rows)
	for _, m := range rec.Minimal {
		fmt.Fprintf(w, "\n%s: %s\n", m.Checker, m.Failure.Message)
		if m.Found > 1 {
			fmt.Fprintf(w, "  found %d times, from seeds %s\n", m.Found, joinSeeds(m.Seeds))
		}
		if m.File != "" {
			fmt.Fprintf(w, "  scenario %s", m.File)
			if m.Trace != "" {
				fmt.Fprintf(w, ", trace %s", m.Trace)
			}
			if m.Page != "" {
				fmt.Fprintf(w, ", report %s", m.Page)
			}
			fmt.Fprintln(w)
		}
		if m.Repro != "" && m.File != "" {
			fmt.Fprintf(w, "  repro: %s\n", reproIn(m.Repro, m.File))
		}
	}
}

// reproIn rewrites a repro command, which names the scenario file by the name it had
// where the campaign ran, to name file instead.
func reproIn(repro, file string) string {
	fields := strings.Fields(repro)
	if len(fields) == 0 {
		return repro
	}
	if strings.HasSuffix(fields[len(fields)-1], ".chaos") {
		fields[len(fields)-1] = file
	}
	return strings.Join(fields, " ")
}

func joinSeeds(seeds []int64) string {
	s := make([]string, len(seeds))
	for i, x := range seeds {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstSeed(fs []Failure, checker string) int64 {
	for _, f := range fs {
		if f.Checker == checker {
			return f.Seed
		}
	}
	return 0
}
