package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/miniraft/miniraft/chaos"
)

// ids returns a selector of peer ids, without a position.
func ids(id ...int) Sel { return Sel{Selector: chaos.Selector{Kind: chaos.SelIDs, IDs: id}} }

// role returns a role selector, without a position.
func role(k chaos.SelectorKind) Sel { return Sel{Selector: chaos.Selector{Kind: k}} }

// stripSel, stripCmd and strip zero every position, so that ASTs parsed from different
// layouts compare equal.
func stripSel(s Sel) Sel {
	s.Pos = Pos{}
	return s
}

func stripCmd(c Command) Command {
	switch c := c.(type) {
	case FaultCmd:
		c.Peers, c.From, c.To = stripSel(c.Peers), stripSel(c.From), stripSel(c.To)
		if c.Groups != nil {
			gs := make([]Sel, len(c.Groups))
			for i, g := range c.Groups {
				gs[i] = stripSel(g)
			}
			c.Groups = gs
		}
		return c
	case WaitCmd:
		c.Cond.Sel = stripSel(c.Cond.Sel)
		return c
	case ExpectCmd:
		c.Cond.Sel = stripSel(c.Cond.Sel)
		return c
	case OnCmd:
		c.Peers = stripSel(c.Peers)
		c.Cmd = stripCmd(c.Cmd).(FaultCmd)
		return c
	}
	return c
}

// strip returns a copy of s without positions and source.
func strip(s *Scenario) *Scenario {
	c := *s
	c.Source = ""
	c.Steps = nil
	for _, st := range s.Steps {
		st.Pos = Pos{}
		st.Cmd = stripCmd(st.Cmd)
		c.Steps = append(c.Steps, st)
	}
	return &c
}

// checkRoundTrip checks that s formats to text that parses back to s, and that
// formatting is then stable.
func checkRoundTrip(t testing.TB, s *Scenario) {
	t.Helper()
	text := Format(s)
	back, err := Parse(s.Name, []byte(text))
	if err != nil {
		t.Fatalf("Parse(Format(s)) failed: %v\nformatted:\n%s", err, text)
	}
	if got, want := strip(back), strip(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(Format(s)) differs from s\nformatted:\n%s\ngot:  %#v\nwant: %#v", text, got, want)
	}
	if again := Format(back); again != text {
		t.Fatalf("Format is not stable:\nfirst:\n%s\nsecond:\n%s", text, again)
	}
}

// libraryFiles returns the scenario library's files.
func libraryFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../../scripts/*.chaos")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no library files in ../../scripts")
	}
	files := map[string][]byte{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = src
	}
	return files
}

func mustParse(t testing.TB, src string) *Scenario {
	t.Helper()
	s, err := Parse("t.chaos", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return s
}
