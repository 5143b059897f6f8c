package bugs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCatalog checks the catalog: every name once, a layer and a source for each, and
// Known in the catalog's order.
func TestCatalog(t *testing.T) {
	if len(Catalog) < 25 {
		t.Errorf("%d bugs in the catalog, want at least 25", len(Catalog))
	}
	layers := []Layer{Core, Persistence, Snapshots, Wrapper, KV}
	seen := map[string]bool{}
	for _, b := range Catalog {
		if seen[b.Name] {
			t.Errorf("%s: listed twice", b.Name)
		}
		seen[b.Name] = true
		if !slices.Contains(layers, b.Layer) {
			t.Errorf("%s: layer %q, want one of %v", b.Name, b.Layer, layers)
		}
		if strings.TrimSpace(b.Source) == "" {
			t.Errorf("%s: no source", b.Name)
		}
		if got, ok := Lookup(b.Name); !ok || got != b {
			t.Errorf("Lookup(%q) = %v, %v", b.Name, got, ok)
		}
	}
	if !slices.Equal(Known, names(Catalog)) {
		t.Errorf("Known = %v, want the catalog's names", Known)
	}
	if _, ok := Lookup("no-such-bug"); ok {
		t.Error("Lookup found a bug that does not exist")
	}
}

// TestEveryBugPlanted reads the package's constants and the module's non-test sources:
// every bug of the catalog has a documented constant, is switched by bugs.On somewhere
// outside this package, and every bugs.On names a constant of the catalog.
func TestEveryBugPlanted(t *testing.T) {
	consts := constants(t) // identifier -> name
	byName := map[string]string{}
	for id, name := range consts {
		byName[name] = id
	}
	for _, b := range Catalog {
		if _, ok := byName[b.Name]; !ok {
			t.Errorf("%s: no documented constant has this name", b.Name)
		}
	}

	root := filepath.Join("..", "..")
	on := regexp.MustCompile(`bugs\.On\(bugs\.(\w+)\)`)
	planted := map[string][]string{} // identifier -> files
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bench" || name == "deploy") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range on.FindAllSubmatch(src, -1) {
			id := string(m[1])
			planted[id] = append(planted[id], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, files := range planted {
		if _, ok := consts[id]; !ok {
			t.Errorf("%v: bugs.On(bugs.%s): no such bug", files, id)
		}
	}
	for _, b := range Catalog {
		if id := byName[b.Name]; id != "" && len(planted[id]) == 0 {
			t.Errorf("%s (bugs.%s) is planted nowhere", b.Name, id)
		}
	}
}

// constants returns the string constants of bugs.go whose doc comment names a source,
// by identifier.
func constants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "bugs.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Values) != 1 || vs.Type != nil {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			name, _ := strconv.Unquote(lit.Value)
			if vs.Doc == nil || !strings.Contains(vs.Doc.Text(), "Source:") {
				if _, bug := Lookup(name); bug {
					t.Errorf("%s: its doc comment does not say its source (\"Source: ...\")", vs.Names[0].Name)
				}
				continue
			}
			out[vs.Names[0].Name] = name
		}
	}
	return out
}
