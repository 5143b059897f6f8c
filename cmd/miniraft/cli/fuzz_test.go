package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestFuzzBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"fuzz", "extra"}, `unexpected argument "extra"`},
		{[]string{"fuzz", "--shard", "4/4"}, `--shard "4/4": want i/n with 0 <= i < n`},
		{[]string{"fuzz", "--shard", "x"}, `--shard "x"`},
		{[]string{"fuzz", "--faults", "crash,meteor"}, `unknown fault kind "meteor"`},
		{[]string{"fuzz", "--runs", "0"}, "--runs 0: want at least 1"},
		{[]string{"fuzz", "--rate", "-3"}, "--rate -3"},
		{[]string{"fuzz", "--peers", "40"}, "40 peers"},
		{[]string{"fuzz", "--duration", "10ms"}, "duration 10ms"},
		{[]string{"fuzz", "--workers", "-2"}, "--workers -2"},
		{[]string{"fuzz", "--shrink-runs", "0"}, "--shrink-runs"},
		{[]string{"fuzz", "--nope"}, "unknown flag: --nope"},
	}
	for _, tt := range tests {
		wantUsageError(t, tt.args, tt.want)
	}
}

func TestFuzzPasses(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	var out, errb bytes.Buffer
	args := []string{"fuzz", "--runs", "12", "--seed-start", "40", "--shard", "1/2", "--peers", "3", "--duration", "2s",
		"--faults", "crash,partition,loss", "--workers", "2", "--out", filepath.Join(dir, "failures"), "--json", report}
	if code := run(args, &out, &errb); code != exitPass {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitPass, out.String(), errb.String())
	}
	for _, want := range []string{"runs", "(seeds 41..51, shard 1/2)", "no violations", "virtual time", "x real time"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs, Failed int
		Shard        string
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Runs != 6 || doc.Failed != 0 || doc.Shard != "1/2" {
		t.Errorf("JSON report: %+v, want 6 runs, none failed, shard 1/2", doc)
	}
}

func TestHelpListsFuzz(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"help"}, &out, &errb)
	if !strings.Contains(out.String(), "fuzz") {
		t.Errorf("help does not list fuzz:\n%s", out.String())
	}
}
