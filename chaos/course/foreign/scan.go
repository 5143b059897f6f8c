package foreign

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// The course packages MiniRaft provides, by the last element of their import path, and
// the MiniRaft package each one stands for.
var shims = map[string]struct{ name, target string }{
	"labrpc":  {"labrpc", miniraftModule + "/labrpc"},
	"labgob":  {"labgob", miniraftModule + "/labgob"},
	"raftapi": {"raftapi", miniraftModule + "/chaos/course/raftapi"},
	"tester1": {"tester", miniraftModule + "/chaos/course/tester1"},
}

// plan is what scanning a user's directory finds: the packages to copy into the
// generated module, where they come from, and what the build depends on.
type plan struct {
	dir     string // the user's directory, absolute
	display string // dir as messages show it: relative to the working directory if inside it

	// module is the path of the generated module: the user's module path (6.5840,
	// 6.824...); modRoot is the user's module root, "" if DIR is in no module.
	module  string
	modRoot string
	goMod   *modfile.File // the user's go.mod, or nil

	// pkg is the user's package, as the generated module imports it.
	pkg string
	// self is set when dir is a package of MiniRaft's own module: the generated module
	// then builds against that module and copies nothing.
	self bool

	copies []*pkgCopy // the user's package first, then the packages it imports
	skips  []string   // files left out, as "name: why"
}

// pkgCopy is one package copied into the generated module.
type pkgCopy struct {
	importPath string // in the generated module
	rel        string // its directory in the generated module, slash-separated
	src        string // where its files come from
	name       string // the package name
	files      []*ast.File
	fileNames  []string // base names, as files
	data       [][]byte // contents, as files
}

// Problem is one thing wrong with a user's package, said as a compiler would: Pos is
// "file:line:col" (or the directory, for the package as a whole) with the user's own
// file names.
type Problem struct {
	Pos string
	Msg string
}

func (p Problem) String() string { return p.Pos + ": " + p.Msg }

// ProblemsError is the error of a package MiniRaft cannot run: it imports what MiniRaft
// cannot provide, or lacks what the engine needs. Each problem says where and what.
type ProblemsError struct {
	Dir      string
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the Raft in %s cannot run in MiniRaft:", e.Dir)
	for _, p := range e.Problems {
		b.WriteString("\n" + p.String())
	}
	return b.String()
}

// scan reads the user's package in dir and everything of theirs it imports, and returns
// the plan of the generated module, or a *ProblemsError.
func scan(dir string) (*plan, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("--raft %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--raft %s: not a directory (name the directory that holds raft.go)", dir)
	}
	p := &plan{dir: abs, display: displayPath(abs)}
	if err := p.findModule(); err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	user, problems, err := p.readPackage(fset, abs, true)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, &ProblemsError{Dir: p.display, Problems: problems}
	}
	if user.name == "main" {
		return nil, &ProblemsError{Dir: p.display, Problems: []Problem{{p.display, "package main: MiniRaft needs your Raft package (package raft), the one with Make"}}}
	}
	if p.self {
		rel, _ := filepath.Rel(p.modRoot, abs)
		p.pkg = path.Join(miniraftModule, filepath.ToSlash(rel))
		p.module = "miniraft.local/self"
		user.importPath = p.pkg
		p.copies = []*pkgCopy{user}
		return p, nil
	}
	if p.module == "" {
		p.module = inferModule(user)
	}
	user.rel = filepath.Base(abs)
	if p.modRoot != "" {
		rel, _ := filepath.Rel(p.modRoot, abs)
		user.rel = filepath.ToSlash(rel)
	}
	if user.rel == "." {
		return nil, &ProblemsError{Dir: p.display, Problems: []Problem{{p.display, fmt.Sprintf("the package is the root of module %s; MiniRaft needs it in a directory of its own, as src/raft is in the course", p.module)}}}
	}
	user.importPath = p.module + "/" + user.rel
	p.pkg = user.importPath
	p.copies = []*pkgCopy{user}
	if problems := p.resolveImports(fset); len(problems) > 0 {
		return nil, &ProblemsError{Dir: p.display, Problems: problems}
	}
	return p, nil
}

// findModule finds the go.mod of the module dir belongs to, if any.
func (p *plan) findModule() error {
	for d := p.dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			f, err := modfile.ParseLax(filepath.Join(d, "go.mod"), data, nil)
			if err != nil {
				return fmt.Errorf("reading the module of %s: %w", p.display, err)
			}
			if f.Module == nil {
				return fmt.Errorf("%s: no module line", filepath.Join(displayPath(d), "go.mod"))
			}
			p.modRoot, p.module, p.goMod = d, f.Module.Mod.Path, f
			p.self = p.module == miniraftModule
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reading the module of %s: %w", p.display, err)
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// inferModule guesses the course module of a package outside any module from its
// imports: 6.824 or 6.5840 (the default).
func inferModule(pkg *pkgCopy) string {
	for _, f := range pkg.files {
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if first, _, ok := strings.Cut(ip, "/"); ok && (first == "6.824" || first == "6.5840") {
				return first
			}
		}
	}
	return "6.5840"
}

// readPackage reads the Go files of the package in dir that a build would compile:
// not tests, and matching the build constraints of this machine. In the user's own
// package (user set) it leaves out the course's tester files (config.go, and in the
// 2025 layout server.go and test.go), which import "testing" or use what those do.
func (p *plan) readPackage(fset *token.FileSet, dir string, user bool) (*pkgCopy, []Problem, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", displayPath(dir), err)
	}
	pkg := &pkgCopy{src: dir}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	ctxt := build.Default
	for _, n := range names {
		if ok, err := ctxt.MatchFile(dir, n); err != nil || !ok {
			if err == nil {
				p.skips = append(p.skips, displayPath(filepath.Join(dir, n))+": excluded by its build constraints")
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", displayPath(filepath.Join(dir, n)), err)
		}
		// A file with a syntax error is kept as far as it parses: the compiler will say
		// what is wrong, in its own words, when the package is built.
		f, _ := parser.ParseFile(fset, filepath.Join(dir, n), data, 0)
		if f == nil || f.Name == nil {
			continue
		}
		pkg.files = append(pkg.files, f)
		pkg.fileNames = append(pkg.fileNames, n)
		pkg.data = append(pkg.data, data)
	}
	if user {
		p.dropTesterFiles(pkg)
	}
	if len(pkg.files) == 0 {
		return nil, []Problem{{displayPath(dir), "no Go files to build (only tests, or none at all)"}}, nil
	}
	var problems []Problem
	pkg.name = pkg.files[0].Name.Name
	for _, f := range pkg.files[1:] {
		if f.Name.Name != pkg.name {
			problems = append(problems, Problem{
				displayPosition(fset.Position(f.Name.Pos()).String()),
				fmt.Sprintf("package %s; expected package %s (as in %s)", f.Name.Name, pkg.name, pkg.fileNames[0]),
			})
		}
	}
	return pkg, problems, nil
}

// dropTesterFiles removes the course's tester files from the user's package: files that
// import "testing", and then, until none is left, files that use a name only a removed
// file declares.
func (p *plan) dropTesterFiles(pkg *pkgCopy) {
	removed := map[int]string{}
	decls := map[string]bool{}
	for i, f := range pkg.files {
		for _, imp := range f.Imports {
			if imp.Path.Value == `"testing"` {
				removed[i] = `imports "testing": a file of the course's tester`
				declaredNames(f, decls)
			}
		}
	}
	for changed := len(removed) > 0; changed; {
		changed = false
		for i, f := range pkg.files {
			if _, ok := removed[i]; ok {
				continue
			}
			for _, id := range f.Unresolved {
				if decls[id.Name] {
					removed[i] = fmt.Sprintf("uses %s, which a file of the course's tester declares", id.Name)
					declaredNames(f, decls)
					changed = true
					break
				}
			}
		}
	}
	if len(removed) == 0 {
		return
	}
	var files []*ast.File
	var names []string
	var data [][]byte
	for i := range pkg.files {
		if why, ok := removed[i]; ok {
			p.skips = append(p.skips, displayPath(filepath.Join(pkg.src, pkg.fileNames[i]))+": "+why)
			continue
		}
		files, names, data = append(files, pkg.files[i]), append(names, pkg.fileNames[i]), append(data, pkg.data[i])
	}
	pkg.files, pkg.fileNames, pkg.data = files, names, data
}

// declaredNames adds the names f declares at package level to decls.
func declaredNames(f *ast.File, decls map[string]bool) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				decls[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					decls[s.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range s.Names {
						decls[n.Name] = true
					}
				}
			}
		}
	}
}

// resolveImports follows the imports of the packages to copy, adding the user's own
// packages they import, and returns a problem for each import MiniRaft cannot provide.
func (p *plan) resolveImports(fset *token.FileSet) []Problem {
	var problems []Problem
	seen := map[string]bool{p.pkg: true}
	for i := 0; i < len(p.copies); i++ {
		pkg := p.copies[i]
		for _, f := range pkg.files {
			for _, imp := range f.Imports {
				ip, _ := strconv.Unquote(imp.Path.Value)
				if seen[ip] {
					continue
				}
				seen[ip] = true
				pos := fset.Position(imp.Path.Pos())
				at := displayPosition(pos.String())
				switch kind, rest := p.classify(ip); kind {
				case importStd, importShim, importMiniRaft:
				case importMiniRaftInternal:
					problems = append(problems, Problem{at, fmt.Sprintf("package %s is internal to MiniRaft", ip)})
				case importLocal:
					src, ok := p.localDir(ip, rest)
					if !ok {
						problems = append(problems, Problem{at, fmt.Sprintf("package %s is not in %s (MiniRaft provides %s/labrpc, labgob, raftapi and tester1; your other packages must be in your module)", ip, displayPath(src), p.module)})
						continue
					}
					c, more, err := p.readPackage(fset, src, false)
					if err != nil {
						problems = append(problems, Problem{at, err.Error()})
						continue
					}
					problems = append(problems, more...)
					if c == nil {
						continue
					}
					c.importPath, c.rel = ip, rest
					p.copies = append(p.copies, c)
				case importThirdParty:
					if !p.requires(ip) {
						problems = append(problems, Problem{at, fmt.Sprintf("package %s is not provided: MiniRaft builds your Raft offline, with its own modules and those your go.mod requires", ip)})
					}
				}
			}
		}
	}
	return problems
}

type importKind int

const (
	importStd importKind = iota
	importShim
	importMiniRaft
	importMiniRaftInternal
	importLocal
	importThirdParty
)

// classify says where import path ip comes from; for a local package it also returns
// the path within the user's module.
func (p *plan) classify(ip string) (importKind, string) {
	if rest, ok := strings.CutPrefix(ip, p.module+"/"); ok {
		if _, ok := shims[rest]; ok {
			return importShim, rest
		}
		return importLocal, rest
	}
	if ip == miniraftModule || strings.HasPrefix(ip, miniraftModule+"/") {
		if strings.Contains(ip+"/", "/internal/") {
			return importMiniRaftInternal, ""
		}
		return importMiniRaft, ""
	}
	first, _, _ := strings.Cut(ip, "/")
	if !strings.Contains(first, ".") {
		return importStd, ""
	}
	return importThirdParty, ""
}

// localDir returns the directory of the user's package ip (rest is ip within the
// module), and whether it holds Go files.
func (p *plan) localDir(ip, rest string) (string, bool) {
	var dir string
	switch {
	case p.modRoot != "":
		dir = filepath.Join(p.modRoot, filepath.FromSlash(rest))
	case strings.HasPrefix(ip, p.pkg+"/"):
		dir = filepath.Join(p.dir, filepath.FromSlash(strings.TrimPrefix(ip, p.pkg+"/")))
	default:
		// Outside any module, only the package's own subdirectories can be found.
		return filepath.Join(filepath.Dir(p.dir), filepath.FromSlash(rest)), false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return dir, false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return dir, true
		}
	}
	return dir, false
}

// requires reports whether the user's go.mod requires a module providing ip.
func (p *plan) requires(ip string) bool {
	if p.goMod == nil {
		return false
	}
	for _, r := range p.goMod.Require {
		if ip == r.Mod.Path || strings.HasPrefix(ip, r.Mod.Path+"/") {
			return true
		}
	}
	return false
}

// key identifies a build of this plan: the same key means the same binary. It covers
// the generator, MiniRaft's sources, the options, and every byte that is copied.
func (p *plan) key(srcHash string, opts *Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "generator %d\nminiraft %s\nos %s/%s\nrace %v\nmain %s\ndir %s\nmodule %s\npkg %s\n",
		generatorVersion, srcHash, build.Default.GOOS, build.Default.GOARCH, opts.Race, opts.Main, p.dir, p.module, p.pkg)
	if p.goMod != nil {
		data, _ := p.goMod.Format()
		fmt.Fprintf(h, "go.mod %d\n", len(data))
		h.Write(data)
	}
	if p.self {
		fmt.Fprintf(h, "self %s\n", hashTree(p.modRoot))
	}
	for _, c := range p.copies {
		fmt.Fprintf(h, "package %s %s\n", c.importPath, c.rel)
		for i, n := range c.fileNames {
			fmt.Fprintf(h, "file %s %d\n", n, len(c.data[i]))
			h.Write(c.data[i])
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// hashTree hashes the files of the module at root that a build reads: non-test Go
// files, go.mod, go.sum, and the files packages embed (scenarios, templates). Test data
// and hidden directories are left out. Unreadable trees hash to a random-free constant,
// which only costs a rebuild.
func hashTree(root string) string {
	h := sha256.New()
	filepath.WalkDir(root, func(name string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		base := d.Name()
		if d.IsDir() {
			if name != root && (strings.HasPrefix(base, ".") || base == "testdata" || base == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		switch ext := filepath.Ext(base); {
		case ext == ".go" && !strings.HasSuffix(base, "_test.go"), base == "go.mod", base == "go.sum", ext == ".chaos", ext == ".tmpl":
			f, err := os.Open(name)
			if err != nil {
				return nil
			}
			defer f.Close()
			fmt.Fprintf(h, "%s\n", name)
			io.Copy(h, f)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

// displayPath returns abs relative to the working directory if it is inside it, as the
// go command shows paths; abs itself otherwise.
func displayPath(abs string) string {
	wd, err := os.Getwd()
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return rel
}

// displayPosition rewrites the file of a "file:line:col" position with displayPath.
func displayPosition(pos string) string {
	i := strings.Index(pos, ".go:")
	if i < 0 || !filepath.IsAbs(pos[:i+3]) {
		return pos
	}
	return displayPath(pos[:i+3]) + pos[i+3:]
}
