package foreign

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// generatorVersion is part of every build key: change it whenever the generated module
// changes, so that binaries built by an older generator are not reused.
const generatorVersion = 1

// mainDir is the directory of the generated main package in the generated module.
const mainDir = "miniraft_main"

// miniraftPseudoVersion is the version the generated go.mod requires MiniRaft at; a
// replace directive points it at the sources.
const miniraftPseudoVersion = "v0.0.0-00010101000000-000000000000"

// writeModule writes the generated module into dir: go.mod and go.sum, the course
// packages MiniRaft provides (as aliases of its own), and copies of the user's packages.
// src is the directory of MiniRaft's sources.
func writeModule(dir, src string, p *plan) error {
	gomod, gosum, err := moduleFiles(src, p)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "go.mod"), gomod); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "go.sum"), gosum); err != nil {
		return err
	}
	if !p.self {
		for elem, shim := range shims {
			rel := strings.TrimPrefix(shim.target, miniraftModule+"/")
			code, err := aliasPackage(filepath.Join(src, filepath.FromSlash(rel)), shim.name, shim.target)
			if err != nil {
				return err
			}
			if err := writeFile(filepath.Join(dir, elem, elem+".go"), code); err != nil {
				return err
			}
		}
	}
	for _, c := range p.copies {
		if p.self {
			break // built from MiniRaft's module itself
		}
		for i, n := range c.fileNames {
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(c.rel), n), c.data[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// moduleFiles returns the generated module's go.mod and go.sum: MiniRaft required at
// the sources in src, with MiniRaft's requirements and the user's.
func moduleFiles(src string, p *plan) (gomod, gosum []byte, err error) {
	mrData, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading MiniRaft's go.mod: %w", err)
	}
	mr, err := modfile.Parse(filepath.Join(src, "go.mod"), mrData, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("reading MiniRaft's go.mod: %w", err)
	}
	f := new(modfile.File)
	f.AddModuleStmt(p.module)
	goVersion := mr.Go.Version
	if p.goMod != nil && p.goMod.Go != nil && semver.Compare("v"+p.goMod.Go.Version, "v"+goVersion) > 0 {
		goVersion = p.goMod.Go.Version
	}
	f.AddGoStmt(goVersion)
	versions := map[string]string{miniraftModule: miniraftPseudoVersion}
	add := func(reqs []*modfile.Require) {
		for _, r := range reqs {
			if r.Mod.Path == miniraftModule {
				continue
			}
			if v, ok := versions[r.Mod.Path]; !ok || semver.Compare(r.Mod.Version, v) > 0 {
				versions[r.Mod.Path] = r.Mod.Version
			}
		}
	}
	add(mr.Require)
	if p.goMod != nil && !p.self {
		add(p.goMod.Require)
	}
	paths := make([]string, 0, len(versions))
	for m := range versions {
		paths = append(paths, m)
	}
	sort.Strings(paths)
	for _, m := range paths {
		f.AddNewRequire(m, versions[m], m != miniraftModule)
	}
	root := src
	if p.self {
		root = p.modRoot
	}
	if err := f.AddReplace(miniraftModule, "", root, ""); err != nil {
		return nil, nil, err
	}
	f.Cleanup()
	gomod, err = f.Format()
	if err != nil {
		return nil, nil, err
	}

	sums := map[string]bool{}
	var lines []string
	for _, name := range []string{filepath.Join(src, "go.sum"), filepath.Join(p.modRoot, "go.sum")} {
		if name == filepath.Join(p.modRoot, "go.sum") && (p.modRoot == "" || p.self) {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			continue // a module without dependencies has no go.sum
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && !sums[l] {
				sums[l] = true
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return gomod, []byte(strings.Join(lines, "\n") + "\n"), nil
}

// aliasPackage returns the source of a package named name that gives every exported
// name of the package in dir (whose import path is target) under its own name: type
// aliases, and constants, variables and functions bound to the originals. Generic
// declarations are left out.
func aliasPackage(dir, name, target string) ([]byte, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", target, err)
	}
	var types, consts, vars, funcs []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", target, err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() && d.Type.TypeParams == nil {
					funcs = append(funcs, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() && s.TypeParams == nil {
							types = append(types, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, id := range s.Names {
							if !id.IsExported() {
								continue
							}
							if d.Tok == token.CONST {
								consts = append(consts, id.Name)
							} else {
								vars = append(vars, id.Name)
							}
						}
					}
				}
			}
		}
	}
	if len(types)+len(consts)+len(vars)+len(funcs) == 0 {
		return nil, fmt.Errorf("%s exports nothing", target)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by miniraft; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Package %s is MiniRaft's %s under the course's import path.\n", name, target)
	fmt.Fprintf(&b, "package %s\n\nimport m %q\n\n", name, target)
	group := func(kind, format string, names []string) {
		if len(names) == 0 {
			return
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "%s (\n", kind)
		for _, n := range names {
			fmt.Fprintf(&b, format, n, n)
		}
		fmt.Fprintf(&b, ")\n\n")
	}
	group("type", "\t%s = m.%s\n", types)
	group("const", "\t%s = m.%s\n", consts)
	group("var", "\t%s = m.%s\n", append(vars, funcs...))
	return format.Source(b.Bytes())
}

// writeFile writes data to name, creating its directory.
func writeFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
