package cli

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildMiniraft builds the miniraft binary, as a user does, into a directory of the test
// and returns its path. The go command stamps it with the module's version and VCS
// revision. It needs the go command, so -short skips the tests that use it.
func buildMiniraft(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the miniraft binary")
	}
	bin := filepath.Join(t.TempDir(), "miniraft")
	// -buildvcs=auto: stamp the VCS revision where the go command can (GOFLAGS may say
	// false), without failing where it cannot.
	cmd := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Ctrl-C during a run stops it where it is: the summary says INTERRUPTED and at which
// step, and the exit code is 130, neither a pass (0) nor a violation (1).
func TestRunInterruptedBySignal(t *testing.T) {
	bin := buildMiniraft(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "long.chaos")
	if err := os.WriteFile(file, []byte("peers 3\nwait leader within 5s\nsleep 24h\nexpect leader\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "-v", "--seed", "1", file)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// -v prints events as they happen: once the sleep has begun, interrupt.
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "sleep 24h") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("miniraft did not stop within a minute of SIGINT\n%s", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("exit: %v, want code %d\nstderr: %s", err, 130, stderr.String())
	}
	for _, want := range []string{"INTERRUPTED long (engine sim, seed 1, 3 peers)", "interrupted at step 2 of 3 (sleep 24h0m0s): it neither passed nor failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("stderr says %q", stderr.String())
	}
}

// miniraft version prints the module's version, the VCS revision it was built from and
// the Go version, from the build information the go command records.
func TestVersionOfABuiltBinary(t *testing.T) {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout (%v): no revision to compare", err)
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a git worktree: the go command records no VCS information there (its .git is a file)")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := buildMiniraft(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("miniraft version: %v\n%s", err, out)
	}
	for _, want := range []string{"revision " + strings.TrimSpace(string(head)), runtime.Version()} {
		if !strings.Contains(string(out), want) {
			t.Errorf("miniraft version says %q, want it to name %q", out, want)
		}
	}
	if strings.HasPrefix(string(out), "miniraft (devel)") || strings.HasPrefix(string(out), "miniraft devel") {
		t.Errorf("miniraft version says %q, want the module's version (the go command stamps one from the VCS)", out)
	}
}
