package foreign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary act as the outer miniraft: it calls Handoff with its
// arguments and exits with its code (3 when there was nothing to hand off).
const helperEnv = "MINIRAFT_FOREIGN_TEST_HELPER"

func helperMain(mode string) int {
	switch mode {
	case "handoff":
		code, handled := Handoff(context.Background(), os.Args[1:], os.Stderr)
		if !handled {
			fmt.Fprintln(os.Stderr, "not handled")
			return 3
		}
		return code
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 1
}

// outer runs the test binary as the outer miniraft with args, its cache in cache, and
// returns its exit code and output.
func outer(t testing.TB, cache string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return outerWithin(t, 3*time.Minute, cache, env, args...)
}

// outerWithin is outer, killing the outer miniraft after limit.
func outerWithin(t testing.TB, limit time.Duration, cache string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// The user's cache directory moves to cache; the go command's own caches stay.
	cmd.Env = append(os.Environ(), goCaches(t)...)
	cmd.Env = append(cmd.Env, helperEnv+"=handoff", "XDG_CACHE_HOME="+cache, "HOME="+cache, "LocalAppData="+cache)
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running the outer miniraft: %v", err)
	}
	return code, out.String(), errOut.String()
}

// goCaches returns the go command's GOCACHE, GOMODCACHE and GOPATH settings, which
// follow HOME unless set.
func goCaches(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(v) != 3 {
		t.Fatalf("go env: %q", out)
	}
	return []string{"GOCACHE=" + v[0], "GOMODCACHE=" + v[1], "GOPATH=" + v[2]}
}

func TestHandoff(t *testing.T) {
	slow(t)
	cache := t.TempDir()
	dir := fixture(t, "raft")

	// The first run builds, then the binary it built prints the usage: -h is the
	// inner command line's.
	code, stdout, stderr := outer(t, cache, nil, "-h", "--raft", dir)
	if code != 0 || !strings.Contains(stdout, "usage: miniraft") || !strings.Contains(stderr, "building the Raft in") {
		t.Fatalf("-h --raft: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The second reuses the binary, and its exit code is the outer's.
	code, _, stderr = outer(t, cache, nil, "run", "no-such-scenario", "--raft", dir)
	if code != exitUsage || strings.Contains(stderr, "building") {
		t.Errorf("run no-such-scenario --raft: exit %d, want %d without a build\nstderr:\n%s", code, exitUsage, stderr)
	}
	// A binary started by another never starts a third.
	code, _, stderr = outer(t, cache, []string{EnvRaft + "=/some/other/raft"}, "-h", "--raft", dir)
	if code != exitUsage || !strings.Contains(stderr, "this binary was built for the Raft in /some/other/raft") {
		t.Errorf("with %s set: exit %d, stderr:\n%s", EnvRaft, code, stderr)
	}
	// Nothing to hand off.
	if code, _, _ := outer(t, cache, nil, "run", "all"); code != 3 {
		t.Errorf("without --raft: exit %d, want 3 (not handled)", code)
	}
}

func TestHandoffBadRaft(t *testing.T) {
	slow(t)
	dir := filepath.Join(t.TempDir(), "raft")
	files := readFixture(t, "raft")
	files["raft.go"] = edit(t, files["raft.go"], "func (rf *Raft) Kill() {", "func (rf *Raft) Kill() int {", 1)
	writeTree(t, dir, files)
	code, _, stderr := outer(t, t.TempDir(), nil, "run", "--raft", dir, "all")
	if code != exitUsage || !strings.Contains(stderr, filepath.Join(dir, "raft.go")) || !strings.Contains(stderr, "missing return") {
		t.Errorf("exit %d, want %d with the compiler's message\nstderr:\n%s", code, exitUsage, stderr)
	}
	code, _, stderr = outer(t, t.TempDir(), nil, "run", "--raft", filepath.Join(dir, "nowhere"), "all")
	if code != exitUsage || !strings.Contains(stderr, "nowhere") {
		t.Errorf("a missing directory: exit %d, stderr:\n%s", code, stderr)
	}
}

// BenchmarkCachedHandoff measures a run of miniraft --raft whose binary is built: the
// outer process starts, finds the binary, and the binary it runs prints its usage.
func BenchmarkCachedHandoff(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command")
	}
	cache := b.TempDir()
	dir := fixture(b, "raft")
	if code, _, stderr := outer(b, cache, nil, "-h", "--raft", dir); code != 0 {
		b.Fatalf("building: exit %d\n%s", code, stderr)
	}
	for b.Loop() {
		if code, _, stderr := outer(b, cache, nil, "-h", "--raft", dir); code != 0 {
			b.Fatalf("exit %d\n%s", code, stderr)
		}
	}
}

// BenchmarkCachedBuild measures Build finding a binary already built: reading and
// hashing the user's files.
func BenchmarkCachedBuild(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command")
	}
	opts := Options{Dir: fixture(b, "raft"), Cache: b.TempDir()}
	if _, err := Build(b.Context(), opts); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := Build(b.Context(), opts)
		if err != nil || !res.Cached {
			b.Fatalf("Build: %v, cached %v", err, res != nil && res.Cached)
		}
	}
}
