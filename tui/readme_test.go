package tui

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
)

// readmeKeys returns the first column of the README's table of the TUI's keys, and the
// README's text.
func readmeKeys(t *testing.T) ([]string, string) {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "| key | does |")
	if start < 0 {
		t.Fatal("the README has no table of keys")
	}
	var firsts []string
	for _, l := range strings.Split(text[start:], "\n")[2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		firsts = append(firsts, strings.Split(l, "|")[1])
	}
	return firsts, text
}

// keyLabels are how the README writes keys the table names otherwise.
var keyLabels = map[string]tcell.Key{"↑": tcell.KeyUp, "↓": tcell.KeyDown, "→": tcell.KeyRight, "←": tcell.KeyLeft,
	"PgUp": tcell.KeyPgUp, "PgDn": tcell.KeyPgDn, "End": tcell.KeyEnd, "Esc": tcell.KeyEscape}

// The README's table of keys names every key of the key table, and only those (Tab,
// the command bar's, aside).
func TestREADMEKeys(t *testing.T) {
	firsts, _ := readmeKeys(t)
	inREADME := map[key]bool{}
	tick := regexp.MustCompile("`([^`]+)`")
	for _, col := range firsts {
		for _, m := range tick.FindAllStringSubmatch(col, -1) {
			name := m[1]
			var k key
			switch {
			case name == "space":
				k = key{tcell.KeyRune, ' '}
			case name == "Tab":
				continue
			case keyLabels[name] != 0:
				k = key{keyLabels[name], 0}
			case len([]rune(name)) == 1:
				k = key{tcell.KeyRune, []rune(name)[0]}
			default:
				t.Errorf("the README's table names a key %q the test cannot read", name)
				continue
			}
			inREADME[k] = true
			if lookupKey(tcell.NewEventKey(k.Key, k.Rune, tcell.ModNone)) == nil {
				t.Errorf("the README's table names %q, which is no key", name)
			}
		}
	}
	for _, b := range bindings {
		found := false
		for _, k := range b.keys {
			// 0-9 is written `0`-`9`; + and - stand for = and _ too; q for Ctrl-C.
			if inREADME[k] || k.Key == tcell.KeyRune && strings.ContainsRune("12345678=_", k.Rune) || k.Key == tcell.KeyCtrlC {
				found = true
			}
		}
		if !found {
			t.Errorf("the README's table of keys lacks %q (%s)", b.label, b.help)
		}
	}
}

// The sizes the README gives are the layout's.
func TestREADMESizes(t *testing.T) {
	_, text := readmeKeys(t)
	text = strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		fmt.Sprintf("the TUI needs %d columns, and %d rows more than the cluster has peers (%d rows for 3 peers, %d for 5, %d for 15): 80x24 shows up to %d peers",
			minWidth, minHeight(0), minHeight(3), minHeight(5), minHeight(15), 24-minHeight(0)),
		fmt.Sprintf("From 2n+%d rows for n peers (%d for 5, %d for 9, %d for 15)", fullHeight(0), fullHeight(5), fullHeight(9), fullHeight(15)),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the README does not say %q", want)
		}
	}
	for n := range 16 {
		if minHeight(n) != minHeight(0)+n || fullHeight(n) != fullHeight(0)+2*n {
			t.Fatalf("the sizes are not of the form the README gives")
		}
	}
}
