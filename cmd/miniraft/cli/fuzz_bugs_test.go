//go:build bugs

package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugFigure8FuzzShrinkRun is the whole story on the command line: with the Figure 8
// bug switched on, fuzz finds a violation and shrinks it to at most 10 steps, and
// "miniraft run" on the file it wrote fails the same way, with the bug, every time, and
// passes without it. The seed range starts a little before a failing seed to keep the
// test short.
func TestBugFigure8FuzzShrinkRun(t *testing.T) {
	defer bugs.Set()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"fuzz", "--bug", "figure8", "--seed-start", "2270", "--runs", "3000", "--stop-after", "1", "--out", dir}
	if code := run(args, &out, &errb); code != exitFail {
		t.Fatalf("fuzz: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFail, out.String(), errb.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.min.chaos"))
	if len(files) != 1 {
		t.Fatalf("fuzz wrote %v, want one shrunk scenario\n%s", files, out.String())
	}
	file := files[0]
	checker := strings.TrimSuffix(filepath.Base(file), ".min.chaos")
	checker = checker[:strings.LastIndex(checker, "-seed")]
	if want := "repro: miniraft run --bug figure8 " + file; !strings.Contains(out.String(), want) {
		t.Errorf("fuzz output lacks %q:\n%s", want, out.String())
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenario.Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Steps) > 10 || !sc.Header.HasSeed {
		t.Errorf("shrunk scenario: %d steps, seed in header %v; want at most 10 and a seed\n%s", len(sc.Steps), sc.Header.HasSeed, src)
	}
	if _, err := os.Stat(strings.TrimSuffix(file, ".chaos") + ".jsonl"); err != nil {
		t.Errorf("no trace beside the scenario: %v", err)
	}

	var first string
	for i := range 2 {
		var out, errb bytes.Buffer
		if code := run([]string{"run", "--bug", "figure8", file}, &out, &errb); code != exitFail {
			t.Fatalf("run %d: exit %d, want %d\n%s%s", i, code, exitFail, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), "first failure at") || !strings.Contains(out.String(), checker+": ") {
			t.Errorf("run %d does not fail with %s:\n%s", i, checker, out.String())
		}
		line := strings.SplitN(out.String(), "\n", 3)[1] // "  first failure at ...": the same every time
		if i == 0 {
			first = line
		} else if line != first {
			t.Errorf("two runs failed differently:\n%s\n%s", first, line)
		}
	}
	out.Reset()
	bugs.Set() // as in a build without the bugs
	if code := run([]string{"run", file}, &out, &errb); code != exitPass {
		t.Errorf("without the bug: exit %d, want %d\n%s", code, exitPass, out.String())
	}
}
