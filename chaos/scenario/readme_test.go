package scenario

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The README's table of commands lists every command the parser knows, each fault with
// the usage its entry in chaos.FaultSpecs gives (the table the parser and the TUI's help
// are made from), and each row's example parses.
func TestREADMECommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### Commands\n")
	if !ok {
		t.Fatal(`the README has no "### Commands" section`)
	}
	table, _, _ = strings.Cut(table, "\n### ")
	usage := map[string]string{}
	for _, c := range Commands() {
		usage[c.Name] = c.Usage
	}
	var listed []string
	for _, row := range strings.Split(table, "\n") {
		if !strings.HasPrefix(row, "| `") {
			continue
		}
		row = strings.ReplaceAll(row, `\|`, "¦")
		cols := strings.Split(row, "|")
		if len(cols) < 4 {
			t.Errorf("row %q: want a command, an example and an effect", row)
			continue
		}
		cmd := strings.ReplaceAll(strings.Trim(strings.TrimSpace(cols[1]), "`"), "¦", "|")
		name, _, _ := strings.Cut(cmd, " ")
		listed = append(listed, name)
		want, known := usage[name]
		switch {
		case !known:
			t.Errorf("the README lists %q, which the parser does not know", name)
		case name != "workload" && cmd != want:
			t.Errorf("the README gives %q as %q, the help as %q", name, cmd, want)
		}
		example := strings.ReplaceAll(strings.Trim(strings.TrimSpace(cols[2]), "`"), "¦", "|")
		if _, err := ParseCommand(example); err != nil {
			t.Errorf("the README's example %q: %v", example, err)
		}
	}
	for name := range usage {
		if !slices.Contains(listed, name) {
			t.Errorf("the README's table of commands leaves out %q", name)
		}
	}
}
