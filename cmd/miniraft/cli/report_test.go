package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunWritesAReport(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		files    []string // reports that must exist, relative to dir
		contains []string // what the (first) report says
	}{
		{
			name: "one scenario", args: []string{"run", "-q", "--seed", "4", "--report", "one.html", "leader-crash"},
			code: exitPass, files: []string{"one.html"},
			contains: []string{"PASS", "leader-crash", "miniraft run --engine sim --seed 4 leader-crash"},
		},
		{
			name: "several scenarios go to a directory", args: []string{"run", "-q", "--seed", "4", "--report", "many", "leader-crash", "one-way-partition"},
			code: exitPass, files: []string{"many/leader-crash.html", "many/one-way-partition.html"},
			contains: []string{"leader-crash"},
		},
		{
			name: "a chosen window", args: []string{"run", "-q", "--seed", "4", "--report", "window.html", "--report-window", "1s-1.5s", "leader-crash"},
			code: exitPass, files: []string{"window.html"},
			contains: []string{"Messages from 1.000 s to 1.500 s"},
		},
		{
			name: "a failing file, with --peers", args: []string{"run", "-q", "--seed", "5", "--peers", "4", "--report", "fail.html", "three.chaos"},
			code: exitFail, files: []string{"fail.html"},
			contains: []string{"FAIL", "expect leaders == 3", "--peers 4", filepath.Join(dir, "three.chaos")},
		},
	}
	if err := os.WriteFile(filepath.Join(dir, "three.chaos"), []byte("peers 3\nwait leader within 5s\nexpect leaders == 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = a
				if i > 0 && tt.args[i-1] == "--report" || strings.HasSuffix(a, ".chaos") {
					args[i] = filepath.Join(dir, a)
				}
			}
			var out, errb bytes.Buffer
			if code := run(args, &out, &errb); code != tt.code {
				t.Fatalf("miniraft %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, tt.code, out.String(), errb.String())
			}
			for i, f := range tt.files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatalf("the report: %v", err)
				}
				if i > 0 {
					continue
				}
				for _, want := range tt.contains {
					if !strings.Contains(string(b), want) {
						t.Errorf("%s does not say %q", f, want)
					}
				}
			}
		})
	}
}

func TestRunReportBadUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--report-window", "1s-2s", "leader-crash"}, "--report-window needs --report"},
		{[]string{"run", "--report", filepath.Join(t.TempDir(), "r.html"), "--report-window", "2s", "leader-crash"}, `--report-window: window "2s"`},
	} {
		wantUsageError(t, tt.args, tt.want)
	}
}

func TestRunReportBadPath(t *testing.T) {
	var out, errb bytes.Buffer
	path := filepath.Join(t.TempDir(), "missing", "r.html")
	if code := run([]string{"run", "--report", path, "leader-crash"}, &out, &errb); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errb.String(), "--report") || !strings.Contains(errb.String(), "missing") {
		t.Errorf("stderr %q, want it to name --report and the path", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("the run went ahead with a report it cannot write: %q", out.String())
	}
}
