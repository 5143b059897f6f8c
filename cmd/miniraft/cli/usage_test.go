package cli

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
)

// wantUsageError runs miniraft with args and checks that it exits with exitUsage and
// that its standard error says want.
func wantUsageError(t *testing.T, args []string, want string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := "miniraft " + strings.Join(args, " ")
	if code := run(args, &out, &errb); code != exitUsage {
		t.Errorf("%s: exit %d, want %d", cmd, code, exitUsage)
	}
	if !strings.Contains(errb.String(), want) {
		t.Errorf("%s: stderr %q, want it to say %q", cmd, errb.String(), want)
	}
}

// A usage error is its one line and one line saying where the help is, as the go
// command does, not the whole usage after it.
func TestUsageErrorsAreShort(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--nope", "leader-crash"}, "miniraft run: unknown flag: --nope\nRun \"miniraft run --help\" for usage.\n"},
		{[]string{"fuzz", "--runs", "x"}, "miniraft fuzz: invalid argument \"x\" for \"--runs\" flag: must be an integer\nRun \"miniraft fuzz --help\" for usage.\n"},
		{[]string{"tui", "-z"}, "miniraft tui: unknown shorthand flag: 'z' in -z\nRun \"miniraft tui --help\" for usage.\n"},
		{[]string{"rn"}, "miniraft: unknown command \"rn\" (did you mean \"run\"?)\nRun \"miniraft --help\" for the commands.\n"},
		{[]string{"help", "rn"}, "miniraft help: no command \"rn\" (did you mean \"run\"?)\nRun \"miniraft --help\" for the commands.\n"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != exitUsage {
			t.Errorf("miniraft %s: exit %d, want %d", strings.Join(tt.args, " "), code, exitUsage)
		}
		if errb.String() != tt.want || out.Len() != 0 {
			t.Errorf("miniraft %s: stderr %q, stdout %q; want stderr %q", strings.Join(tt.args, " "), errb.String(), out.String(), tt.want)
		}
	}
}

// The version line names the module's version, the VCS revision, its time and whether
// the tree was modified, and the Go version.
func TestVersionLine(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261206104636-c494b4900000+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "c494b49000001111"}, {Key: "vcs.time", Value: "2026-12-06T10:46:36Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionLine(chaos.BuildOf(bi))
	want := "miniraft v0.0.0-20261206104636-c494b4900000+dirty (revision c494b49000001111, 2026-12-06T10:46:36Z, modified; go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	got = versionLine(chaos.BuildOf(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}))
	if want := "miniraft (devel) (no VCS information; go1.26.8 "; !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != exitPass || !strings.HasPrefix(out.String(), "miniraft ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("miniraft version: exit %d, %q", code, out.String())
	}
}
