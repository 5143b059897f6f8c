// Package foreign builds a user's course Raft into a MiniRaft binary, so that MiniRaft's
// engine, checkers, fuzzer and TUI run it: what happens behind miniraft run --raft DIR.
//
// DIR holds a course-style package raft (raft.go, maybe util.go, persister.go and the
// user's helpers) written for the MIT 6.824/6.5840 lab interface: 2020-2024 (with or
// without CondInstallSnapshot; Persister.Save or SaveStateAndSnapshot) or the 2025
// layout (src/raft1, importing 6.5840/raftapi and 6.5840/tester1). The user's files are
// never changed. Build writes a Go module into the cache directory (os.UserCacheDir()/
// miniraft): copies of the user's package and of the packages of theirs it imports, the
// course packages MiniRaft provides under the course's import paths (labrpc, labgob,
// raftapi, tester1: aliases of MiniRaft's own), and a main package that registers the
// user's Raft with package course and runs MiniRaft's command line. It type-checks the
// user's package first: one that does not compile gets the compiler's messages with the
// user's file names (CompileError); one that lacks what the engine needs gets the list
// of what is missing, each with the signature it needs (ProblemsError). Then it builds
// the binary with the user's own go command, offline (GOPROXY=off): everything it needs
// is what building MiniRaft needed. The binary is kept, keyed by the content of the
// user's files and MiniRaft's own sources, and reused as long as neither changes.
//
// MiniRaft's sources for the build are those of the running binary: the directory it
// was compiled from if it still holds them (a checkout, or the module cache after go
// install), else a copy the binary carries (package miniraft) written out once.
//
// Handoff is the command line's entry: given miniraft's arguments, if they name --raft
// DIR and this binary does not carry DIR's Raft, it builds one that does and runs it in
// this process's place (Exec), with the same arguments.
package foreign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Options says what to build and how.
type Options struct {
	// Dir is the directory of the user's Raft package.
	Dir string
	// Cache is the cache directory (default os.UserCacheDir()/miniraft).
	Cache string
	// Go is the go command (default: "go" from PATH).
	Go string
	// Race builds the binary with the race detector.
	Race bool
	// Main is what the binary's main runs: MainCLI (the default), MiniRaft's command
	// line, or MainSmoke, course.Smoke on the user's Raft (for tests).
	Main string
	// Log, if not nil, receives a line when a build starts and one when it ends.
	Log io.Writer
}

// What a built binary's main runs.
const (
	MainCLI   = "cli"
	MainSmoke = "smoke"
)

// Result is a built binary.
type Result struct {
	// Binary is the path of the binary.
	Binary string
	// Module is the directory of the generated module the binary was built from.
	Module string
	// Package is the directory of the copy of the user's package in Module (for the
	// self case, MiniRaft's own package directory).
	Package string
	// Cached is set when the binary was already built.
	Cached bool
	// API describes the course interface found in the user's package.
	API string
	// Skipped lists the user's files left out of the build, and why.
	Skipped []string
	// Sources is the directory of the MiniRaft sources the binary was built with;
	// empty when it was already built.
	Sources string
}

// builder is one build in progress.
type builder struct {
	opts   Options
	plan   *plan
	goCmdP string   // the go command
	env    []string // the environment of every go command
	modDir string   // the generated module
	src    string   // MiniRaft's sources
}

// Build builds (or finds already built) the MiniRaft binary carrying the Raft in
// opts.Dir. Its errors are a *ProblemsError or a *CompileError when the user's package
// is at fault, and others when the build could not be done.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.Main == "" {
		opts.Main = MainCLI
	}
	if opts.Main != MainCLI && opts.Main != MainSmoke {
		return nil, fmt.Errorf("foreign: unknown Main %q", opts.Main)
	}
	if opts.Cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache directory for the build (set $XDG_CACHE_HOME or $HOME): %w", err)
		}
		opts.Cache = filepath.Join(dir, "miniraft")
	}
	p, err := scan(opts.Dir)
	if err != nil {
		return nil, err
	}
	key := p.key(sourceHash(), &opts)
	final := filepath.Join(opts.Cache, "build", key)
	res := &Result{
		Binary:  filepath.Join(final, "miniraft"+exeSuffix()),
		Module:  filepath.Join(final, "mod"),
		Skipped: p.skips,
	}
	res.Package = packageDir(res.Module, p)
	if info, err := readInfo(final); err == nil {
		if _, err := os.Stat(res.Binary); err == nil {
			res.Cached, res.API = true, info
			now := time.Now()
			os.Chtimes(final, now, now) // recently used: pruning keeps it
			return res, nil
		}
	}

	start := time.Now()
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "miniraft: building the Raft in %s into MiniRaft...\n", p.display)
	}
	b := &builder{opts: opts, plan: p}
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), key+".tmp")
	if err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	b.modDir = filepath.Join(tmp, "mod")
	api, err := b.build(ctx, filepath.Join(tmp, filepath.Base(res.Binary)))
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(tmp, "info.txt"), []byte(api.name+"\n")); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(res.Binary); statErr != nil {
			return nil, fmt.Errorf("cache directory: %w", err)
		}
		// Another run built the same binary first: use theirs.
	}
	res.API, res.Sources = api.name, b.src
	prune(filepath.Dir(final), keepBuilds, final)
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "miniraft: built in %.1fs (%s); later runs reuse it until a file changes\n", time.Since(start).Seconds(), api.name)
	}
	return res, nil
}

// keepBuilds is how many built binaries the cache keeps: each is about 15 MB, and a
// user who edits their Raft makes a new one at every run.
const keepBuilds = 8

// staleTmp is how old a temporary directory must be before prune takes it for the
// remains of a build that died, rather than one in progress.
const staleTmp = time.Hour

// prune removes all but the keep most recently used builds in dir, never keep, and
// the temporary directories of builds that died. Errors are ignored: pruning is
// housekeeping, and a directory another run removes first is no loss.
func prune(dir string, keep int, current string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type build struct {
		path string
		used time.Time
	}
	var builds []build
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.Contains(e.Name(), ".tmp") {
			if time.Since(info.ModTime()) > staleTmp {
				os.RemoveAll(path)
			}
			continue
		}
		if path != current {
			builds = append(builds, build{path, info.ModTime()})
		}
	}
	sort.Slice(builds, func(i, j int) bool { return builds[i].used.After(builds[j].used) })
	for i, b := range builds {
		if i >= keep-1 {
			os.RemoveAll(b.path)
		}
	}
}

// packageDir is where the user's package is in the generated module.
func packageDir(mod string, p *plan) string {
	if p.self {
		return p.dir
	}
	return filepath.Join(mod, filepath.FromSlash(p.copies[0].rel))
}

func readInfo(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "info.txt"))
	return strings.TrimSpace(string(data)), err
}

// setup finds the go command and sets the environment of the go commands: offline, in
// module mode, with the local toolchain, and nothing from a workspace.
func (b *builder) setup(ctx context.Context) error {
	name := b.opts.Go
	if name == "" {
		name = "go"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("--raft builds your Raft with the go command, and %s is not to be found (https://go.dev/dl): %w", name, err)
	}
	b.goCmdP = p
	// go/packages runs the go command found on PATH: make it this one.
	b.env = append(os.Environ(), "PATH="+filepath.Dir(b.goCmdP)+string(filepath.ListSeparator)+os.Getenv("PATH"))
	b.env = append(b.env,
		"GOFLAGS=-mod=mod",
		"GOPROXY=off",
		"GOSUMDB=off",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GO111MODULE=on",
	)
	return nil
}

// build generates the module, checks the user's package and builds the binary into bin.
func (b *builder) build(ctx context.Context, bin string) (*api, error) {
	out, err := b.goCmd(ctx, "env", "GOMODCACHE", "GOVERSION")
	if err != nil {
		return nil, fmt.Errorf("running %s env: %v\n%s", b.goCmdP, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		return nil, fmt.Errorf("unexpected output of %s env: %q", b.goCmdP, out)
	}
	b.src, err = locateSources(b.opts.Cache, strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, err
	}
	if err := writeModule(b.modDir, b.src, b.plan); err != nil {
		return nil, fmt.Errorf("writing the module for %s: %w", b.plan.display, err)
	}
	pkg, fset, err := loadPackage(ctx, b)
	if err != nil {
		var ce *CompileError
		if errors.As(err, &ce) && strings.Contains(ce.Output, "requires go >=") {
			ce.Output += fmt.Sprintf("(MiniRaft needs a newer Go than your %s: https://go.dev/dl)\n", strings.TrimSpace(lines[1]))
		}
		return nil, err
	}
	a, problems := analyze(pkg.Types, fset, b)
	if len(problems) > 0 {
		return nil, &ProblemsError{Dir: b.plan.display, Problems: problems}
	}
	main, err := mainSource(b.plan, a, b.opts.Main)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(b.modDir, mainDir, "main.go"), main); err != nil {
		return nil, err
	}
	args := []string{"build", "-o", bin}
	if b.opts.Race {
		args = append(args, "-race")
	}
	if out, err := b.goCmd(ctx, append(args, "./"+mainDir)...); err != nil {
		if err := offline(out); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("building the binary for %s failed (a bug in MiniRaft: please report it, with this):\n%s", b.plan.display, b.mapPaths(out))
	}
	return a, nil
}

// goCmd runs the go command in the generated module and returns its combined output.
func (b *builder) goCmd(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.goCmdP, args...)
	cmd.Dir = b.modDir
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := os.MkdirAll(b.modDir, 0o755); err != nil {
		return "", err
	}
	err := cmd.Run()
	return out.String(), err
}

// Env returns the environment in which the go command builds in a generated module, for
// tests that run go test there.
func Env() []string {
	b := &builder{}
	b.setup(context.Background())
	return b.env
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
