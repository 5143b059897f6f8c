// Package scripts is MiniRaft's library of scenarios: the *.chaos files in this
// directory, embedded into the binary. Each file starts with a block of # comment lines
// describing it; the first line is its one-line summary. The package only serves the
// files; chaos/scenario parses them.
package scripts

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.chaos
var files embed.FS

// Ext is the extension of scenario files.
const Ext = ".chaos"

// Default names the scenario the TUI runs when given none.
const Default = "demo"

// FS returns the library as a read-only file system of *.chaos files at its root.
// It is safe for concurrent use.
func FS() fs.FS { return files }

// Script describes one scenario of the library.
type Script struct {
	// Name is the file name without the extension, e.g. "leader-crash".
	Name string
	// Summary is the first line of the file's description.
	Summary string
}

// List returns every scenario of the library, sorted by name.
func List() []Script {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil // cannot happen: the embedded root always exists
	}
	var out []Script
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), Ext)
		if !ok || e.IsDir() {
			continue
		}
		src, err := fs.ReadFile(files, e.Name())
		if err != nil {
			continue
		}
		out = append(out, Script{Name: name, Summary: Summary(src)})
	}
	slices.SortFunc(out, func(a, b Script) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Names returns the names of every scenario of the library, sorted.
func Names() []string {
	var names []string
	for _, s := range List() {
		names = append(names, s.Name)
	}
	return names
}

// Read returns the source of the scenario called name, with or without the extension.
// For a name not in the library it returns an error that wraps fs.ErrNotExist and lists
// the names there are.
func Read(name string) ([]byte, error) {
	base := strings.TrimSuffix(name, Ext)
	if base == "" || strings.ContainsAny(base, `/\`) || !fs.ValidPath(base+Ext) {
		return nil, fmt.Errorf("scenario %q: %w (the library has %s)", name, fs.ErrNotExist, strings.Join(Names(), ", "))
	}
	src, err := fs.ReadFile(files, base+Ext)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w (the library has %s)", name, fs.ErrNotExist, strings.Join(Names(), ", "))
	}
	return src, nil
}

// Summary returns the one-line summary of a scenario's source: the first non-empty line
// of its leading block of # comment lines, without the #. It follows the same rule as
// chaos/scenario's Description, and a test checks that they agree.
func Summary(src []byte) string {
	inBlock := false
	for _, line := range strings.Split(string(src), "\n") {
		t := strings.TrimLeft(line, " \t\r\v\f")
		if t == "" && !inBlock {
			continue
		}
		inBlock = true
		text, ok := strings.CutPrefix(t, "#")
		if !ok {
			return ""
		}
		if text = strings.TrimRight(strings.TrimPrefix(text, " "), " \t\r\v\f"); text != "" {
			return text
		}
	}
	return ""
}
