package foreign

import (
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

// cacheDir is the cache the tests of this package share, so that each variant of the
// fixture is built once per run of the tests.
var cacheDir string

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	dir, err := os.MkdirTemp("", "miniraft-foreign-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// slow skips tests that build binaries: seconds each, and more the first time.
func slow(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds binaries with the go command")
	}
	needGo(t)
}

// buildSmoke builds the Raft in dir with a main that runs course.Smoke.
func buildSmoke(t *testing.T, dir string) *Result {
	t.Helper()
	res, err := Build(t.Context(), Options{Dir: dir, Cache: cacheDir, Main: MainSmoke})
	if err != nil {
		t.Fatalf("Build(%s): %v", dir, err)
	}
	return res
}

// smoke runs a binary built with MainSmoke and checks that it passes.
func smoke(t *testing.T, res *Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, res.Binary).CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "PASS\n") {
		t.Fatalf("%s: %v\n%s", res.Binary, err, out)
	}
}

func TestBuildFixture(t *testing.T) {
	slow(t)
	res := buildSmoke(t, fixture(t, "raft"))
	if res.Cached {
		t.Errorf("the first build was cached")
	}
	if want := "the 6.824/6.5840 interface of 2020-2024"; res.API != want {
		t.Errorf("API %q, want %q", res.API, want)
	}
	smoke(t, res)
	again := buildSmoke(t, fixture(t, "raft"))
	if !again.Cached || again.Binary != res.Binary || again.API != res.API {
		t.Errorf("the second build: cached %v, %s (%s); want the first's binary, cached", again.Cached, again.Binary, again.API)
	}
}

// The fixture rewritten to the other layouts a student's tree may have.

func layout2022(t *testing.T) map[string]string {
	files := readFixture(t, "raft")
	raft := strings.ReplaceAll(files["raft.go"], `"6.5840/`, `"6.824/`)
	raft = edit(t, raft, "rf.persister.Save(", "rf.persister.SaveStateAndSnapshot(", 1)
	raft += `
// CondInstallSnapshot is the 2021-2022 hook: the service asks before it installs a
// snapshot from applyCh. Snapshots are installed when they arrive, so the answer is yes.
func (rf *Raft) CondInstallSnapshot(lastIncludedTerm int, lastIncludedIndex int, snapshot []byte) bool {
	return true
}
`
	return map[string]string{
		"src/go.mod":            "module 6.824\n\ngo 1.15\n",
		"src/raft/raft.go":      raft,
		"src/raft/persister.go": edit(t, files["persister.go"], "func (ps *Persister) Save(", "func (ps *Persister) SaveStateAndSnapshot(", 1),
		"src/raft/util.go":      files["util.go"],
		"src/raft/config.go":    "package raft\n\nimport \"testing\"\n\ntype config struct{ t *testing.T }\n",
	}
}

func layout2025(t *testing.T) map[string]string {
	files := readFixture(t, "raft")
	raft := edit(t, files["raft.go"], "\t\"6.5840/labrpc\"\n)", "\t\"6.5840/labrpc\"\n\t\"6.5840/raftapi\"\n\ttester \"6.5840/tester1\"\n)", 1)
	i, j := strings.Index(raft, "type ApplyMsg struct {"), strings.Index(raft, "// Timing.")
	raft = raft[:i] + "type ApplyMsg = raftapi.ApplyMsg\n\n" + raft[j:]
	raft = edit(t, raft, "*Persister", "*tester.Persister", 2)
	raft = edit(t, raft, "applyCh chan ApplyMsg) *Raft {", "applyCh chan ApplyMsg) raftapi.Raft {", 1)
	raft += `
func (rf *Raft) PersistBytes() int {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	return rf.persister.RaftStateSize()
}
`
	return map[string]string{
		"src/go.mod":          "module 6.5840\n\ngo 1.22\n",
		"src/raft1/raft.go":   raft,
		"src/raft1/util.go":   files["util.go"],
		"src/raft1/test.go":   "package raft\n\nimport (\n\t\"testing\"\n\n\ttester \"6.5840/tester1\"\n)\n\ntype Test struct {\n\t*tester.Config\n\tt *testing.T\n}\n",
		"src/raft1/server.go": "package raft\n\nimport \"6.5840/raftapi\"\n\nconst SnapShotInterval = 10\n\ntype rfsrv struct {\n\tts   *Test\n\traft raftapi.Raft\n}\n",
	}
}

func TestBuildLayouts(t *testing.T) {
	slow(t)
	loose := map[string]string{}
	for name, content := range readFixture(t, "raft") {
		loose["myraft/"+name] = content
	}
	tests := []struct {
		name  string
		files map[string]string
		dir   string
		api   string
		skips int
	}{
		{"2022", layout2022(t), "src/raft", "the 6.824 interface of 2021-2022 (CondInstallSnapshot)", 1},
		{"2025", layout2025(t), "src/raft1", "the 6.5840 interface from 2025 (raftapi, tester1)", 2},
		{"loose files", loose, "myraft", "the 6.824/6.5840 interface of 2020-2024", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			res := buildSmoke(t, filepath.Join(root, filepath.FromSlash(tt.dir)))
			if res.API != tt.api || len(res.Skipped) != tt.skips {
				t.Errorf("API %q, skipped %q; want %q and %d skipped", res.API, res.Skipped, tt.api, tt.skips)
			}
			smoke(t, res)
		})
	}
}

// TestBuildSelf builds MiniRaft's own raft package as a foreign Raft.
func TestBuildSelf(t *testing.T) {
	slow(t)
	res := buildSmoke(t, filepath.Join(repoRoot(t), "raft"))
	if res.API != "MiniRaft's own raft package" {
		t.Errorf("API %q", res.API)
	}
	smoke(t, res)
}

func TestBuildCompileError(t *testing.T) {
	slow(t)
	dir := filepath.Join(t.TempDir(), "raft")
	files := readFixture(t, "raft")
	raft := edit(t, files["raft.go"], "\trf.currentTerm++\n", "\trf.currentTrm++\n", 1)
	files["raft.go"] = raft
	writeTree(t, dir, files)
	line := strings.Count(raft[:strings.Index(raft, "rf.currentTrm++")], "\n") + 1

	_, err := Build(t.Context(), Options{Dir: dir, Cache: cacheDir})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Build: %v, want a *CompileError", err)
	}
	want := fmt.Sprintf("%s:%d:5: rf.currentTrm undefined", filepath.Join(dir, "raft.go"), line)
	if !strings.Contains(ce.Output, want) {
		t.Errorf("the compiler's output lacks %q:\n%s", want, ce.Output)
	}
	if strings.Contains(ce.Output, cacheDir) || strings.Contains(ce.Output, "mod/raft") {
		t.Errorf("the output shows the generated module's paths:\n%s", ce.Output)
	}
}

func TestBuildMissingAPI(t *testing.T) {
	slow(t)
	const lacking = `package raft

import "6.5840/labrpc"

type ApplyMsg struct {
	CommandValid bool
	Command      interface{}
	SnapshotIndex string
}

type Persister struct{}

func (ps *Persister) ReadRaftState() []byte { return nil }

type Raft struct{}

func (rf *Raft) Start(command interface{}) (int, int, bool) { return -1, 0, false }
func (rf *Raft) GetState() int                              { return 0 }

func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft {
	return &Raft{}
}
`
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"lacking methods and fields", lacking, []string{
			"raft.go:11:6: *Persister lacks method ReadSnapshot() []byte",
			"raft.go:11:6: *Persister lacks method RaftStateSize() int",
			"raft.go:11:6: *Persister lacks method Copy() *Persister",
			"raft.go:5:6: ApplyMsg lacks field CommandIndex int",
			"raft.go:8:2: ApplyMsg.SnapshotIndex has type string, want int",
			"raft.go:18:17: method GetState has the wrong type\n\thave GetState() int\n\twant GetState() (int, bool)",
			"raft.go:15:6: *Raft lacks method Snapshot(index int, snapshot []byte)",
			"raft.go:15:6: *Raft lacks method Kill()",
		}},
		{"no Make", "package raft\n\ntype Raft struct{}\n", []string{
			": missing func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft",
		}},
		{"Make of the wrong type", strings.Replace(lacking, "me int, persister", "me string, persister", 1), []string{
			"raft.go:20:6: Make has the wrong type\n\thave func(peers []*labrpc.ClientEnd, me string, persister *Persister, applyCh chan ApplyMsg) *Raft\n\twant func Make(",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "raft")
			writeTree(t, dir, map[string]string{"raft.go": tt.src})
			_, err := Build(t.Context(), Options{Dir: dir, Cache: cacheDir})
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("Build: %v, want a *ProblemsError", err)
			}
			msg := err.Error()
			if len(pe.Problems) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(pe.Problems), len(tt.want), msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestExtractedSources checks the copy of MiniRaft's sources a binary writes out when
// it finds none it can use: it matches what the binary embeds, and it builds offline.
func TestExtractedSources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	needGo(t)
	parent := t.TempDir()
	dir, err := extractSources(parent)
	if err != nil {
		t.Fatalf("extractSources: %v", err)
	}
	if again, err := extractSources(parent); err != nil || again != dir {
		t.Errorf("extracting again: %q, %v; want %q, nil", again, err, dir)
	}
	if !matchesSources(dir) {
		t.Fatalf("the extracted sources do not match the embedded ones")
	}
	if !matchesSources(repoRoot(t)) {
		t.Errorf("the checkout does not match the embedded sources")
	}
	cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "./cmd/miniraft")
	cmd.Dir, cmd.Env = dir, Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go list in the extracted sources: %v\n%s", err, out)
	}

	// A source tree that differs is not used.
	writeTree(t, dir, map[string]string{"raft/extra.go": "package raft\n"})
	if matchesSources(dir) {
		t.Errorf("a tree with an extra Go file matches")
	}
	os.Remove(filepath.Join(dir, "raft", "extra.go"))
	writeTree(t, dir, map[string]string{"labrpc/doc.go": "package labrpc\n"})
	if matchesSources(dir) {
		t.Errorf("a tree with a changed file matches")
	}
	if matchesSources(t.TempDir()) {
		t.Errorf("an empty directory matches")
	}
}

func TestSourceCandidates(t *testing.T) {
	got := sourceCandidates("")
	if len(got) == 0 || got[0] != filepath.Clean(repoRoot(t)) {
		t.Errorf("sourceCandidates() = %q, want the checkout first", got)
	}
}
