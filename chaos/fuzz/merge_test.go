package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// shard returns a record of shard i of n with runs runs, failed of them failing
// election-safety, each of the minimal ones given as scenario texts.
func shard(i, n, runs, failed int, first int64, minimal ...MinimalRecord) *Record {
	rec := &Record{
		Version: RecordVersion, Tool: "miniraft test", Runs: runs, Failed: failed,
		Violations: map[string]int{}, Faults: 10 * runs, Events: 1000, Messages: 100, KVRuns: runs / 2, KVUnsettled: 1,
		Virtual: time.Duration(runs) * 8 * time.Second, Wall: time.Second, Workers: 2,
		FirstSeed: first, LastSeed: first + int64((runs-1)*n), Shards: []string{fmt.Sprintf("%d/%d", i, n)},
		Dir: filepath.Join("out", fmt.Sprint(i)),
	}
	if failed > 0 {
		rec.Violations["election-safety"] = failed
		rec.Failures = append(rec.Failures, Failure{Seed: first, Checker: "election-safety", File: "election-safety-seed.chaos"})
	}
	rec.Minimal = minimal
	return rec
}

func minimal(seed int64, steps int, src string) MinimalRecord {
	return MinimalRecord{
		Checker: "election-safety", Seed: seed, Steps: steps, Peers: 3, File: "m.chaos", Trace: "m.jsonl",
		Repro: "miniraft run --bug forget-vote fuzz-failures/m.chaos", Scenario: src, Found: 1, Seeds: []int64{seed},
		Failure: chaos.Violation{Checker: "election-safety", Message: "two leaders"},
	}
}

func TestMergeSumsAndDeduplicates(t *testing.T) {
	same1 := "# found from seed 7\npeers 3\nseed 7\n\nat 1s crash leader\nat 2s restart crashed\n"
	same2 := "# found from seed 4, differently worded\npeers 3\nseed 4\nat 1s   crash leader   # a comment\nat 2s restart crashed\n"
	other := "peers 3\nseed 9\nat 1s isolate leader\n"
	a := shard(0, 2, 10, 1, 0, minimal(7, 2, same1))
	b := shard(1, 2, 10, 2, 1, minimal(4, 2, same2), minimal(9, 1, other))
	got, err := Merge([]*Record{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got.Runs != 20 || got.Failed != 3 || got.Violations["election-safety"] != 3 || got.Faults != 200 {
		t.Errorf("merged counts: runs %d failed %d violations %v faults %d; want 20, 3, 3, 200", got.Runs, got.Failed, got.Violations, got.Faults)
	}
	if got.KVRuns != 10 || got.KVUnsettled != 2 {
		t.Errorf("merged kv runs %d, unsettled %d; want 10 and 2", got.KVRuns, got.KVUnsettled)
	}
	if got.Virtual != 160*time.Second || got.Wall != time.Second || got.Workers != 4 {
		t.Errorf("merged times: virtual %v wall %v workers %d; want 2m40s, 1s (shards run side by side), 4", got.Virtual, got.Wall, got.Workers)
	}
	if got.FirstSeed != 0 || got.LastSeed != 19 {
		t.Errorf("merged seeds %d..%d, want 0..19", got.FirstSeed, got.LastSeed)
	}
	if len(got.Minimal) != 2 {
		t.Fatalf("merged minimal: %d shapes, want 2 (two of the three are one shape): %+v", len(got.Minimal), got.Minimal)
	}
	// Sorted by checker, then steps: the one-step shape first.
	m := got.Minimal[1]
	if m.Seed != 4 || m.Found != 2 || !slices.Equal(m.Seeds, []int64{4, 7}) {
		t.Errorf("deduplicated shape: seed %d found %d seeds %v; want the lowest seed 4, found 2 times, seeds [4 7]", m.Seed, m.Found, m.Seeds)
	}
	if want := filepath.Join("out", "1", "m.chaos"); m.File != want {
		t.Errorf("file %q, want %q (relative to the shard's directory)", m.File, want)
	}
	var sum bytes.Buffer
	got.WriteSummary(&sum)
	for _, want := range []string{"shards 0/2 1/2", "(8 checked for linearizability, 2 not settled within 2s)", "found 2 times, from seeds 4, 7", "repro: miniraft run --bug forget-vote " + filepath.Join("out", "1", "m.chaos"), "and 1 other shapes"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
	if strings.Contains(sum.String(), "no record of shards") {
		t.Errorf("summary calls a shard missing though both are there:\n%s", sum.String())
	}
}

func TestMergeRefuses(t *testing.T) {
	a, b := shard(0, 2, 5, 0, 0), shard(0, 2, 5, 0, 0)
	other := shard(1, 2, 5, 0, 1)
	other.Tool = "miniraft with bugs figure8"
	elsewise := shard(1, 2, 5, 0, 1)
	elsewise.Settings = SettingsOf(Generator{Peers: 3})
	tests := []struct {
		name string
		recs []*Record
		want string
	}{
		{"nothing", nil, "nothing to merge"},
		{"a shard twice", []*Record{a, b}, "shard 0/2 is in both"},
		{"two programs", []*Record{a, other}, "merge records of one program"},
		{"two settings", []*Record{a, elsewise}, "made their schedules with other settings"},
	}
	for _, tt := range tests {
		_, err := Merge(tt.recs)
		if err == nil || !errors.Is(err, ErrRecord) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Merge error = %v, want ErrRecord saying %q", tt.name, err, tt.want)
		}
	}
}

func TestMissingShards(t *testing.T) {
	rec := &Record{Shards: []string{"0/4", "2/4"}}
	if got := rec.MissingShards(); !slices.Equal(got, []string{"1/4", "3/4"}) {
		t.Errorf("MissingShards = %v, want [1/4 3/4]", got)
	}
	mixed := &Record{Shards: []string{"0/4", "1/2"}}
	if got := mixed.MissingShards(); got != nil {
		t.Errorf("MissingShards of mixed splits = %v, want nil (nothing can be said)", got)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{
		Runs: 3, Failed: 1, ByChecker: map[string]int{"durability": 1}, Workers: 2, Shard: 1, Shards: 3,
		FirstSeed: 1, LastSeed: 7,
		Failures: []Failure{{Seed: 4, Checker: "durability", File: filepath.Join(dir, "durability-seed4.chaos")}},
	}
	rec := rep.Record("miniraft v1", dir)
	if rec.Failures[0].File != "durability-seed4.chaos" {
		t.Errorf("record file %q, want it relative to the output directory", rec.Failures[0].File)
	}
	f, err := os.Create(filepath.Join(dir, RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteRecord(f, rec); err != nil {
		t.Fatal(err)
	}
	f.Close()
	back, err := ReadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Runs != 3 || back.Failed != 1 || !slices.Equal(back.Shards, []string{"1/3"}) || back.Dir != dir || back.Tool != "miniraft v1" {
		t.Errorf("read back %+v", back)
	}
}

func TestReadRecordErrors(t *testing.T) {
	write := func(body string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, RecordFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name, dir, want string
	}{
		{"no record", t.TempDir(), "no record.json"},
		{"not JSON", write("runs: 3"), "invalid character"},
		{"unknown field", write(`{"version":1,"runz":3}`), `unknown field "runz"`},
		{"other version", write(`{"version":9}`), "version 9"},
		{"more failed than runs", write(`{"version":1,"runs":1,"failed":2}`), "2 failed of 1 runs"},
	}
	for _, tt := range tests {
		_, err := ReadRecord(tt.dir)
		if err == nil || !errors.Is(err, ErrRecord) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ReadRecord error = %v, want ErrRecord saying %q", tt.name, err, tt.want)
		}
	}
}

func TestShapeIgnoresSeedCommentsAndLayout(t *testing.T) {
	a := shape("# seed 3 found it\npeers 3\nseed 3\nat 1s crash leader\n")
	b := shape("peers   3\n\nseed 99   # another\nat 1s crash leader # here\n")
	if a != b {
		t.Errorf("shapes differ:\n%q\n%q", a, b)
	}
	if c := shape("peers 3\nat 1s crash 0\n"); c == a {
		t.Errorf("different steps gave the same shape %q", c)
	}
}
