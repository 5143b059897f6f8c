package miniraft

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourceHasEveryPackage checks that Source holds every Go file of every package of
// the module, so that a binary can rebuild itself from it: a new top-level directory
// must be added to Source's go:embed line.
func TestSourceHasEveryPackage(t *testing.T) {
	root := Dir()
	if root == "" {
		t.Skip("built with -trimpath: the checkout is unknown")
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := Source.ReadFile(filepath.ToSlash(rel))
		if err != nil {
			t.Errorf("%s is not in Source: add its top-level directory to the go:embed line", rel)
			return nil
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the embedded copy", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Errorf("only %d files checked: the walk missed the module", n)
	}
}
