package foreign

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// installer is a program that uses package foreign as miniraft --raft does: built from
// the module cache, as go install pkg@version builds miniraft, it builds the Raft in
// its first argument (cache in its second) and runs the result.
const installer = `package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/miniraft/miniraft/chaos/course/foreign"
)

func main() {
	res, err := foreign.Build(context.Background(), foreign.Options{Dir: os.Args[1], Cache: os.Args[2], Main: foreign.MainSmoke})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("sources:", res.Sources)
	out, err := exec.Command(res.Binary).CombinedOutput()
	os.Stdout.Write(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// TestBuildFromModuleCache takes the path of a binary installed with go install
// github.com/miniraft/miniraft/cmd/miniraft@VERSION, where no checkout exists: MiniRaft
// is published (to a module proxy in a directory) at a test version, a program is built
// against it from a fresh module cache, and that program's Build must find MiniRaft's
// sources in the module cache and build the fixture from them, offline.
func TestBuildFromModuleCache(t *testing.T) {
	slow(t)
	tmp := t.TempDir()
	const version = "v0.0.1-installtest"
	m := module.Version{Path: miniraftModule, Version: version}

	// Publish the embedded sources at version.
	src, err := extractSources(filepath.Join(tmp, "src"))
	if err != nil {
		t.Fatal(err)
	}
	at := filepath.Join(tmp, "proxy", "github.com", "miniraft", "miniraft", "@v")
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, at, map[string]string{
		"list":            version + "\n",
		version + ".info": `{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`,
		version + ".mod":  string(gomod),
	})
	zf, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zf, m, src); err != nil {
		t.Fatalf("zipping the module: %v", err)
	}
	if err := zf.Close(); err != nil {
		t.Fatal(err)
	}

	// Build the installer from a fresh module cache: MiniRaft from the proxy, the other
	// modules from the module cache's own download directory.
	gomodcache := filepath.Join(tmp, "gomodcache")
	real := strings.TrimPrefix(goCaches(t)[1], "GOMODCACHE=")
	env := append(os.Environ(),
		"GOMODCACHE="+gomodcache,
		"GOPROXY=file://"+filepath.ToSlash(filepath.Join(tmp, "proxy"))+",file://"+filepath.ToSlash(filepath.Join(real, "cache", "download")),
		"GOSUMDB=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local",
	)
	t.Cleanup(func() {
		// Files in a module cache are read-only: let the go command remove them.
		cmd := exec.Command("go", "clean", "-modcache")
		cmd.Env = env
		cmd.Run()
	})
	inst := filepath.Join(tmp, "installer")
	writeTree(t, inst, map[string]string{
		"go.mod":  "module example.com/installer\n\ngo 1.26\n\nrequire " + miniraftModule + " " + version + "\n",
		"main.go": installer,
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", "installer", ".")
	cmd.Dir, cmd.Env = inst, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the installer: %v\n%s", err, out)
	}

	cmd = exec.CommandContext(ctx, filepath.Join(inst, "installer"), fixture(t, "raft"), filepath.Join(tmp, "cache"))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "PASS\n") {
		t.Fatalf("the installed program: %v\n%s", err, out)
	}
	want := "sources: " + filepath.Join(gomodcache, "github.com", "miniraft", "miniraft@"+version) + "\n"
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("the installed program built from other sources than the module cache's:\n%s\nwant the first line %q", out, want)
	}
}
