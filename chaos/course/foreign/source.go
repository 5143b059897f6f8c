package foreign

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/miniraft/miniraft"
)

// miniraftModule is MiniRaft's module path.
const miniraftModule = "github.com/miniraft/miniraft"

// A binary built around a user's Raft is built from MiniRaft's sources: the very sources
// of the running binary, so that the result behaves as this binary does. They are found,
// in order of preference, in
//
//  1. the directory the binary was compiled from (miniraft.Dir: a checkout, or the module
//     cache for a binary installed with go install pkg@version), if its files are still
//     those the binary embeds;
//  2. the module cache, for a binary built with -trimpath from a released version;
//  3. a copy written out from the binary itself (miniraft.Source) into the cache
//     directory, once.
//
// The first two let the go command reuse what it compiled when it built this binary, so
// the first build of a user's Raft compiles little more than the user's package; the
// third always works, and costs one compilation of MiniRaft's packages the first time.

// sourceFile is one file of MiniRaft's sources.
type sourceFile struct {
	name string // slash-separated, relative to the module root
	data []byte
}

// sources returns the files of miniraft.Source that a build needs: everything but tests
// and test data, sorted by name, and a hash of them all. It reads them once.
var sources = sync.OnceValues(func() ([]sourceFile, string) {
	var files []sourceFile
	err := fs.WalkDir(miniraft.Source, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := miniraft.Source.ReadFile(name)
		if err != nil {
			return err
		}
		files = append(files, sourceFile{name: name, data: data})
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("foreign: reading the embedded sources: %v", err)) // cannot happen: an embed.FS
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s %d\n", f.name, len(f.data))
		h.Write(f.data)
	}
	return files, hex.EncodeToString(h.Sum(nil))
})

// sourceHash identifies the MiniRaft this binary was built from.
func sourceHash() string {
	_, h := sources()
	return h
}

// matchesSources reports whether dir holds exactly the embedded sources: every file
// identical, and no other non-test Go file in their directories (which the go command
// would compile too).
func matchesSources(dir string) bool {
	files, _ := sources()
	dirs := map[string]map[string]bool{} // package directory -> its embedded Go files
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.name)))
		if err != nil || !bytes.Equal(data, f.data) {
			return false
		}
		if strings.HasSuffix(f.name, ".go") {
			d := path.Dir(f.name)
			if dirs[d] == nil {
				dirs[d] = map[string]bool{}
			}
			dirs[d][path.Base(f.name)] = true
		}
	}
	for d, names := range dirs {
		entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(d)))
		if err != nil {
			return false
		}
		for _, e := range entries {
			n := e.Name()
			if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !names[n] {
				return false
			}
		}
	}
	return true
}

// sourceCandidates returns the directories that may hold this binary's sources, best
// first: where it was compiled, and its version in the module cache.
func sourceCandidates(gomodcache string) []string {
	var dirs []string
	if d := miniraft.Dir(); d != "" {
		dirs = append(dirs, d)
	}
	if info, ok := debug.ReadBuildInfo(); ok && gomodcache != "" {
		v := info.Main.Version
		if info.Main.Path == miniraftModule && semver.IsValid(v) && !strings.Contains(v, "+") {
			if esc, err := module.EscapePath(miniraftModule); err == nil {
				dirs = append(dirs, filepath.Join(gomodcache, filepath.FromSlash(esc)+"@"+v))
			}
		}
	}
	return dirs
}

// candidates is sourceCandidates; benchmarks replace it to take the other paths.
var candidates = sourceCandidates

// locateSources returns a directory holding this binary's sources: one of
// sourceCandidates if it matches, else a copy written under cache (cache/src/HASH),
// written once and shared by every later build.
func locateSources(cache, gomodcache string) (string, error) {
	for _, d := range candidates(gomodcache) {
		if matchesSources(d) {
			return d, nil
		}
	}
	return extractSources(filepath.Join(cache, "src"))
}

// extractSources writes the embedded sources to parent/HASH, unless they are there
// already, and returns that directory. It writes to a temporary directory and renames
// it, so that concurrent runs never see half a copy.
func extractSources(parent string) (string, error) {
	files, hash := sources()
	dir := filepath.Join(parent, hash[:20])
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("writing MiniRaft's sources: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, hash[:20]+".tmp")
	if err != nil {
		return "", fmt.Errorf("writing MiniRaft's sources: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("writing MiniRaft's sources: %w", err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return "", fmt.Errorf("writing MiniRaft's sources: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			return dir, nil // another run wrote them first
		}
		return "", fmt.Errorf("writing MiniRaft's sources: %w", err)
	}
	return dir, nil
}

// errNoGoMod is returned by findModule when no go.mod is found.
var errNoGoMod = errors.New("no go.mod")
