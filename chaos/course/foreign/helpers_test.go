package foreign

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the root of the MiniRaft checkout the tests run in.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the checkout")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// fixture returns the directory of the course-style fixture Raft (name "raft") or its
// buggy copy ("raft-forgetvote").
func fixture(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "testdata", "course", name)
}

// writeTree writes files (slash-separated names relative to dir) into dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readFixture returns the fixture's files, by name.
func readFixture(t testing.TB, name string) map[string]string {
	t.Helper()
	dir := fixture(t, name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// edit replaces old with new in s exactly n times (all of them), and fails the test if
// s holds old any other number of times: edits of the fixture must not silently miss.
func edit(t testing.TB, s, old, new string, n int) string {
	t.Helper()
	if got := strings.Count(s, old); got != n {
		t.Fatalf("edit: %q occurs %d times, want %d", old, got, n)
	}
	return strings.ReplaceAll(s, old, new)
}

// needGo skips tests that run the go command when it is not there.
func needGo(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}
