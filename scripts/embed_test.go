package scripts_test

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

// The scenarios the brief asks the library to have.
var required = []string{
	"leader-isolation", "minority-leader", "majority-crash-and-recover", "rolling-restarts",
	"flaky-network", "slow-network", "reordering", "duplication", "one-way-partition", "bridge",
	"partition-ring", "figure-8", "snapshot-catch-up", "clock-skew", "disruptive-rejoin", "soak",
	"demo", "leader-crash", "checkquorum", "crash-restart-all", "follower-pause",
	"partition-majority-minority", "kv-crash-restart", "kv-stale-read",
}

func TestList(t *testing.T) {
	list := scripts.List()
	paths, err := filepath.Glob("*.chaos")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(paths) {
		t.Fatalf("List has %d scenarios, the directory %d files", len(list), len(paths))
	}
	names := scripts.Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names not sorted: %v", names)
	}
	for _, want := range append(required, scripts.Default) {
		if !slices.Contains(names, want) {
			t.Errorf("the library lacks %q", want)
		}
	}
	for _, s := range list {
		if s.Summary == "" {
			t.Errorf("%s: no summary", s.Name)
		}
	}
}

// Every library file parses, and the summary List gives is the parser's.
func TestParseAll(t *testing.T) {
	for _, s := range scripts.List() {
		src, err := scripts.Read(s.Name)
		if err != nil {
			t.Fatalf("Read(%q): %v", s.Name, err)
		}
		disk, err := os.ReadFile(s.Name + scripts.Ext)
		if err != nil || string(disk) != string(src) {
			t.Errorf("Read(%q) differs from the file on disk (%v)", s.Name, err)
		}
		sc, err := scenario.Parse(s.Name+scripts.Ext, src)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if sc.Name != s.Name || sc.Summary() != s.Summary {
			t.Errorf("%s: List says %q, the parser %q (%q)", s.Name, s.Summary, sc.Summary(), sc.Name)
		}
	}
}

func TestRead(t *testing.T) {
	a, err := scripts.Read("demo")
	if err != nil {
		t.Fatal(err)
	}
	b, err := scripts.Read("demo.chaos")
	if err != nil || string(a) != string(b) {
		t.Errorf("Read(demo.chaos) = %v, differs from Read(demo)", err)
	}
	for _, name := range []string{"", "nope", "../go.mod", "demo/../demo", "embed.go", ".chaos", "/demo"} {
		_, err := scripts.Read(name)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "leader-crash") {
			t.Errorf("Read(%q) error = %v, want fs.ErrNotExist listing the library", name, err)
		}
	}
	if _, err := fs.ReadFile(scripts.FS(), "demo.chaos"); err != nil {
		t.Errorf("FS: %v", err)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", ""},
		{"peers 3\n# x", ""},
		{"\n  # First line.  \n# second", "First line."},
		{"#\n#   Indented\n", "  Indented"},
		{"#\n\n# later", ""},
		{"#x", "x"},
	}
	for _, tt := range tests {
		if got := scripts.Summary([]byte(tt.src)); got != tt.want {
			t.Errorf("Summary(%q) = %q, want %q", tt.src, got, tt.want)
		}
		s, err := scenario.Parse("s", []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Summary(); got != tt.want {
			t.Errorf("scenario Summary(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

// The readme's table of the library is the one this package generates from the files:
// go test ./scripts -run README -update rewrites it.
var update = flag.Bool("update", false, "rewrite the readme's table of the library")

func TestREADMETable(t *testing.T) {
	const path = "../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| Name | Summary |\n|---|---|\n")
	for _, s := range scripts.List() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", s.Name, strings.ReplaceAll(s.Summary, "|", `\|`))
	}
	want := b.String()

	// The table is the first one after the heading "### The library".
	text := string(readme)
	head := strings.Index(text, "\n### The library\n")
	if head < 0 {
		t.Fatalf("%s: no heading \"### The library\"", path)
	}
	start := head + strings.Index(text[head:], "\n| Name | Summary |\n") + 1
	if start <= head {
		t.Fatalf("%s: no table \"| Name | Summary |\" after \"### The library\"", path)
	}
	end := start
	for end < len(text) && text[end] == '|' {
		end += strings.IndexByte(text[end:], '\n') + 1
	}
	if got := text[start:end]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(text[:start]+want+text[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s: the library's table is out of date (go test ./scripts -run README -update rewrites it); want\n%s", path, want)
	}
}
