//go:build bugs

package cli

import (
	"bytes"
	"fmt"
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
	// The file's name gives the seed it carries (the shrinker may try other seeds).
	if want := fmt.Sprintf("-seed%d.min.chaos", sc.Header.Seed); !strings.HasSuffix(file, want) {
		t.Errorf("%s carries seed %d: its name does not say so", file, sc.Header.Seed)
	}
	base := strings.TrimSuffix(file, ".chaos")
	if _, err := os.Stat(base + ".jsonl"); err != nil {
		t.Errorf("no trace beside the scenario: %v", err)
	}
	// The report of its run beside it, as miniraft run --report writes it.
	page, err := os.ReadFile(base + ".html")
	if err != nil {
		t.Errorf("no report beside the scenario: %v", err)
	}
	for _, want := range []string{">FAIL<", checker, "miniraft run --bug figure8 " + file, "deliberate bugs switched on</dt><dd>figure8"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the report %s.html lacks %q", base, want)
		}
	}
	if want := "report " + base + ".html"; !strings.Contains(out.String(), want) {
		t.Errorf("fuzz output lacks %q:\n%s", want, out.String())
	}
	// The record says with what the campaign ran: its settings, the bugs, the build.
	rec, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"bugs": [` + "\n" + `    "figure8"`, `"settings": {`, `"faults": [`, `"build": {`, `"page": "` + filepath.Base(base) + `.html"`} {
		if !bytes.Contains(rec, []byte(want)) {
			t.Errorf("record.json lacks %q:\n%s", want, rec)
		}
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
