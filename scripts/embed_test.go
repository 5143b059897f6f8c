package scripts_test

import (
	"errors"
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
	"demo", "leader-crash", "leader-isolation", "partition-majority-minority", "bridge", "one-way-cut",
	"flaky-network", "crash-restart-all", "follower-pause", "clock-skew", "figure8", "snapshot-catchup",
	"prevote-disruption",
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
