package foreign

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const raftFile = `package raft

import (
	"6.5840/labgob"
	"6.5840/labrpc"
)

var _ = labgob.Register
var _ *labrpc.ClientEnd
`

func TestScanFixture(t *testing.T) {
	p, err := scan(fixture(t, "raft"))
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if p.module != "6.5840" || p.pkg != "6.5840/raft" || p.self || p.modRoot != filepath.Join(repoRoot(t), "testdata", "course") {
		t.Errorf("module %q, package %q, self %v, root %q; want 6.5840, 6.5840/raft, false, testdata/course", p.module, p.pkg, p.self, p.modRoot)
	}
	if len(p.copies) != 1 {
		t.Fatalf("%d packages to copy, want 1", len(p.copies))
	}
	if got, want := strings.Join(p.copies[0].fileNames, " "), "persister.go raft.go util.go"; got != want {
		t.Errorf("files %q, want %q", got, want)
	}
}

func TestScanLayouts(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		dir     string // the package directory within the tree
		module  string
		pkg     string
		copies  []string // import paths of the packages copied
		skipped []string // files left out
	}{
		{
			name:   "2023 layout",
			files:  map[string]string{"src/go.mod": "module 6.5840\n\ngo 1.22\n", "src/raft/raft.go": raftFile, "src/raft/raft_test.go": "package raft\n", "src/raft/config.go": "package raft\n\nimport \"testing\"\n\ntype config struct{ t *testing.T }\n"},
			dir:    "src/raft",
			module: "6.5840", pkg: "6.5840/raft", copies: []string{"6.5840/raft"},
			skipped: []string{"config.go"},
		},
		{
			name: "2022 layout, 6.824",
			files: map[string]string{"src/go.mod": "module 6.824\n\ngo 1.15\n", "src/raft/raft.go": strings.ReplaceAll(raftFile, "6.5840", "6.824"),
				"src/raft/debug.go": "//go:build ignore\n\npackage raft\n"},
			dir:    "src/raft",
			module: "6.824", pkg: "6.824/raft", copies: []string{"6.824/raft"},
			skipped: []string{"debug.go"},
		},
		{
			name: "2025 layout with the course's tester files",
			files: map[string]string{
				"src/go.mod":          "module 6.5840\n\ngo 1.22\n",
				"src/raft1/raft.go":   raftFile + "\nimport tester \"6.5840/tester1\"\n\nvar _ *tester.Persister\n",
				"src/raft1/util.go":   "package raft\n",
				"src/raft1/test.go":   "package raft\n\nimport \"testing\"\n\ntype Test struct{ t *testing.T }\n\nfunc makeTest() *Test { return nil }\n",
				"src/raft1/server.go": "package raft\n\ntype rfsrv struct{ ts *Test }\n\nconst SnapShotInterval = 10\n",
				"src/raft1/more.go":   "package raft\n\nfunc use() { _ = newServer }\n",
				"src/raft1/srv2.go":   "package raft\n\nvar newServer = func() *rfsrv { return nil }\n",
			},
			dir:    "src/raft1",
			module: "6.5840", pkg: "6.5840/raft1", copies: []string{"6.5840/raft1"},
			skipped: []string{"more.go", "server.go", "srv2.go", "test.go"},
		},
		{
			name: "own packages and course packages",
			files: map[string]string{
				"src/go.mod":             "module 6.5840\n\ngo 1.22\n",
				"src/raft/raft.go":       raftFile + "\nimport (\n\t\"6.5840/raft/logs\"\n\t\"6.5840/models\"\n)\n",
				"src/raft/logs/logs.go":  "package logs\n\nimport \"6.5840/porcupine\"\n",
				"src/models/kv.go":       "package models\n",
				"src/porcupine/model.go": "package porcupine\n\nimport \"fmt\"\n",
			},
			dir:    "src/raft",
			module: "6.5840", pkg: "6.5840/raft", copies: []string{"6.5840/raft", "6.5840/raft/logs", "6.5840/models", "6.5840/porcupine"},
		},
		{
			name:   "no module: loose files",
			files:  map[string]string{"myraft/raft.go": strings.ReplaceAll(raftFile, "6.5840", "6.824")},
			dir:    "myraft",
			module: "6.824", pkg: "6.824/myraft", copies: []string{"6.824/myraft"},
		},
		{
			name:   "no module, no course import",
			files:  map[string]string{"r/raft.go": "package raft\n\nimport \"sync\"\n\nvar mu sync.Mutex\n"},
			dir:    "r",
			module: "6.5840", pkg: "6.5840/r", copies: []string{"6.5840/r"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			p, err := scan(filepath.Join(root, tt.dir))
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if p.module != tt.module || p.pkg != tt.pkg {
				t.Errorf("module %q, package %q; want %q, %q", p.module, p.pkg, tt.module, tt.pkg)
			}
			var copies []string
			for _, c := range p.copies {
				copies = append(copies, c.importPath)
			}
			if strings.Join(copies, " ") != strings.Join(tt.copies, " ") {
				t.Errorf("copies %v, want %v", copies, tt.copies)
			}
			var skipped []string
			for _, s := range p.skips {
				name, _, _ := strings.Cut(s, ":")
				skipped = append(skipped, filepath.Base(name))
			}
			if strings.Join(skipped, " ") != strings.Join(tt.skipped, " ") {
				t.Errorf("skipped %v, want %v (%q)", skipped, tt.skipped, p.skips)
			}
		})
	}
}

func TestScanProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		dir   string
		want  []string // each in the error, in order
	}{
		{
			name:  "unknown package of the course module",
			files: map[string]string{"src/go.mod": "module 6.5840\n", "src/raft/raft.go": "package raft\n\nimport (\n\t\"fmt\"\n\t\"6.5840/shardkv\"\n)\n"},
			dir:   "src/raft",
			want:  []string{"raft.go:5:2: package 6.5840/shardkv is not in", "shardkv"},
		},
		{
			name:  "third-party module not required",
			files: map[string]string{"src/go.mod": "module 6.5840\n", "src/raft/raft.go": "package raft\n\nimport \"github.com/sasha-s/go-deadlock\"\n"},
			dir:   "src/raft",
			want:  []string{"raft.go:3:8: package github.com/sasha-s/go-deadlock is not provided"},
		},
		{
			name:  "MiniRaft's internal package",
			files: map[string]string{"r/raft.go": "package raft\n\nimport \"github.com/miniraft/miniraft/internal/bugs\"\n"},
			dir:   "r",
			want:  []string{"raft.go:3:8: package github.com/miniraft/miniraft/internal/bugs is internal to MiniRaft"},
		},
		{
			name:  "package main",
			files: map[string]string{"r/main.go": "package main\n\nfunc main() {}\n"},
			dir:   "r",
			want:  []string{"package main: MiniRaft needs your Raft package"},
		},
		{
			name:  "only tests",
			files: map[string]string{"r/raft_test.go": "package raft\n"},
			dir:   "r",
			want:  []string{"no Go files to build"},
		},
		{
			name:  "two packages",
			files: map[string]string{"r/a.go": "package raft\n", "r/b.go": "package other\n"},
			dir:   "r",
			want:  []string{"b.go:1:9: package other; expected package raft (as in a.go)"},
		},
		{
			name:  "package at the module root",
			files: map[string]string{"go.mod": "module example.com/raft\n", "raft.go": "package raft\n"},
			dir:   ".",
			want:  []string{"the package is the root of module example.com/raft"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			_, err := scan(filepath.Join(root, tt.dir))
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("scan: %v, want a *ProblemsError", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error lacks %q:\n%s", w, msg)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestScanNotADirectory(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing"), writeFile1(t, dir, "raft.go")} {
		if _, err := scan(path); err == nil || !strings.Contains(err.Error(), "--raft "+path) {
			t.Errorf("scan(%q): %v, want an error naming --raft and the path", path, err)
		}
	}
}

func writeFile1(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("package raft\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanSelf(t *testing.T) {
	p, err := scan(filepath.Join(repoRoot(t), "raft"))
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if !p.self || p.pkg != "github.com/miniraft/miniraft/raft" {
		t.Errorf("self %v, package %q; want MiniRaft's own raft package", p.self, p.pkg)
	}
}

func TestKey(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"src/go.mod": "module 6.5840\n", "src/raft/raft.go": raftFile, "src/raft/notes.txt": "a"})
	dir := filepath.Join(root, "src", "raft")
	key := func(opts Options) string {
		t.Helper()
		p, err := scan(dir)
		if err != nil {
			t.Fatal(err)
		}
		return p.key("src", &opts)
	}
	base := key(Options{Main: MainCLI})
	if again := key(Options{Main: MainCLI}); again != base {
		t.Errorf("the key changed with nothing changed: %s, %s", base, again)
	}
	writeTree(t, root, map[string]string{"src/raft/notes.txt": "b", "src/raft/raft_test.go": "package raft\n"})
	if k := key(Options{Main: MainCLI}); k != base {
		t.Errorf("the key changed with files the build ignores")
	}
	for what, opts := range map[string]Options{"race": {Main: MainCLI, Race: true}, "main": {Main: MainSmoke}} {
		if key(opts) == base {
			t.Errorf("the key ignores %s", what)
		}
	}
	writeTree(t, root, map[string]string{"src/raft/raft.go": raftFile + "\n// a comment\n"})
	if key(Options{Main: MainCLI}) == base {
		t.Errorf("the key ignores a change of raft.go")
	}
	writeTree(t, root, map[string]string{"src/go.mod": "module 6.5840\n\ngo 1.22\n"})
	if key(Options{Main: MainCLI}) == base {
		t.Errorf("the key ignores a change of go.mod")
	}
}

func TestRaftFlag(t *testing.T) {
	tests := []struct {
		args []string
		dir  string
		ok   bool
	}{
		{[]string{"run", "--raft", "src/raft", "all"}, "src/raft", true},
		{[]string{"run", "all", "--raft=~/r"}, "~/r", true},
		{[]string{"--raft", "x"}, "x", true},
		{[]string{"run", "all"}, "", false},
		{[]string{"run", "--", "--raft", "x"}, "", false},
		{[]string{"run", "--raft"}, "", false},
		{[]string{"run", "--rafts", "x"}, "", false},
	}
	for _, tt := range tests {
		dir, ok := RaftFlag(tt.args)
		if dir != tt.dir || ok != tt.ok {
			t.Errorf("RaftFlag(%q) = %q, %v; want %q, %v", tt.args, dir, ok, tt.dir, tt.ok)
		}
	}
}

func TestMapPaths(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"src/go.mod":            "module 6.5840\n",
		"src/raft/raft.go":      raftFile + "\nimport _ \"6.5840/raft/logs\"\n",
		"src/raft/logs/logs.go": "package logs\n",
	})
	p, err := scan(filepath.Join(root, "src", "raft"))
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{plan: p, modDir: "/cache/build/k/mod"}
	user := displayPath(filepath.Join(root, "src", "raft"))
	in := "# 6.5840/raft\n" +
		"raft/raft.go:12:3: undefined: x\n" +
		"./raft/logs/logs.go:1:1: oops\n" +
		"\traft/util.go:5:6: other declaration of y\n" +
		"/cache/build/k/mod/raft/raft.go:7:1: from go/types\n" +
		"miniraft_main/main.go:1:1: ours\n"
	want := "# 6.5840/raft\n" +
		user + "/raft.go:12:3: undefined: x\n" +
		user + "/logs/logs.go:1:1: oops\n" +
		"\t" + user + "/util.go:5:6: other declaration of y\n" +
		user + "/raft.go:7:1: from go/types\n" +
		"miniraft_main/main.go:1:1: ours\n"
	if got := b.mapPaths(in); got != want {
		t.Errorf("mapPaths:\n%s\nwant:\n%s", got, want)
	}
}

func TestAliasPackage(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.go":      "package x\n\ntype T struct{}\ntype G[P any] struct{}\ntype hidden int\n\nconst C, c = 1, 2\n\nvar V, Err = 3, error(nil)\n\nfunc F() {}\nfunc Gen[P any]() {}\nfunc (T) M() {}\n",
		"a_test.go": "package x\n\nfunc TestOnly() {}\n",
	})
	code, err := aliasPackage(dir, "y", "example.com/x")
	if err != nil {
		t.Fatalf("aliasPackage: %v", err)
	}
	src := string(code)
	for _, want := range []string{"package y", `import m "example.com/x"`, "T = m.T", "C = m.C", "V   = m.V", "Err = m.Err", "F   = m.F"} {
		if !strings.Contains(src, want) {
			t.Errorf("the alias package lacks %q:\n%s", want, src)
		}
	}
	for _, unwanted := range []string{"G = ", "Gen", "hidden", "c = ", "TestOnly", " M "} {
		if strings.Contains(src, unwanted) {
			t.Errorf("the alias package has %q:\n%s", unwanted, src)
		}
	}
	if _, err := aliasPackage(t.TempDir(), "z", "example.com/empty"); err == nil {
		t.Errorf("aliasPackage of an empty package: no error")
	}
}

// TestForgetVoteFixture checks that the buggy fixture is the correct one with exactly
// its one bug: votedFor is neither saved nor restored.
func TestForgetVoteFixture(t *testing.T) {
	good, bad := readFixture(t, "raft"), readFixture(t, "raft-forgetvote")
	if len(good) != len(bad) {
		t.Fatalf("the copies hold %d and %d files", len(good), len(bad))
	}
	for name, g := range good {
		b, ok := bad[name]
		if !ok {
			t.Errorf("raft-forgetvote lacks %s", name)
			continue
		}
		if name != "raft.go" {
			if b != g {
				t.Errorf("%s differs between the copies", name)
			}
			continue
		}
		fixed := edit(t, b, "\t// BUG: votedFor is not saved.\n", "\te.Encode(rf.votedFor)\n", 1)
		fixed = edit(t, fixed, "\tvar currentTerm, snapshotIndex int\n\tvotedFor := -1 // BUG: votedFor is not restored.\n", "\tvar currentTerm, votedFor, snapshotIndex int\n", 1)
		fixed = edit(t, fixed, "\tif d.Decode(&currentTerm) != nil ||\n\t\td.Decode(&snapshotIndex) != nil ||", "\tif d.Decode(&currentTerm) != nil ||\n\t\td.Decode(&votedFor) != nil ||\n\t\td.Decode(&snapshotIndex) != nil ||", 1)
		if fixed != g {
			t.Errorf("raft-forgetvote/raft.go differs from raft/raft.go by more than its bug")
		}
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		writeTree(t, p, map[string]string{"miniraft": "binary"})
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i := range 12 {
		mk(fmt.Sprintf("build%02d", i), time.Duration(i)*time.Minute) // build00 is the newest
	}
	current := mk("current", 24*time.Hour) // just built, though its directory is old
	mk("build05.tmp123", 2*time.Hour)      // a build that died
	mk("build06.tmp456", time.Minute)      // a build in progress
	prune(dir, 8, current)
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := "build00 build01 build02 build03 build04 build05 build06 build06.tmp456 current"
	if got := strings.Join(left, " "); got != want {
		t.Errorf("left %s\nwant %s", got, want)
	}
}
