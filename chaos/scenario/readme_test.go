package scenario

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// readmeTable returns the rows of the first table under the README's heading, each as
// its columns with the backquotes of the first two taken off and \| read as |.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), heading+"\n")
	if !ok {
		t.Fatalf("the README has no %q section", heading)
	}
	table, _, _ = strings.Cut(table, "\n### ")
	var rows [][]string
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
		cols = cols[1 : len(cols)-1]
		for i := range cols {
			cols[i] = strings.ReplaceAll(strings.TrimSpace(cols[i]), "¦", "|")
			if i < 2 {
				cols[i] = strings.Trim(cols[i], "`")
			}
		}
		rows = append(rows, cols)
	}
	return rows
}

// The README's table of commands lists every command the parser knows, each with the
// usage its entry in Specs gives (the table the parser and the TUI's help are made
// from), and each row's example parses.
func TestREADMECommands(t *testing.T) {
	usage := map[string]string{}
	for _, c := range Commands() {
		usage[c.Name] = c.Usage
	}
	var listed []string
	for _, row := range readmeTable(t, "### Commands") {
		cmd := row[0]
		name, _, _ := strings.Cut(cmd, " ")
		listed = append(listed, name)
		want, known := usage[name]
		switch {
		case !known:
			t.Errorf("the README lists %q, which the parser does not know", name)
		case name != "workload" && cmd != want:
			t.Errorf("the README gives %q as %q, the help as %q", name, cmd, want)
		}
		if _, err := ParseCommand(row[1]); err != nil {
			t.Errorf("the README's example %q: %v", row[1], err)
		}
	}
	for name := range usage {
		if !slices.Contains(listed, name) {
			t.Errorf("the README's table of commands leaves out %q", name)
		}
	}
}

// The README's table of the timeline gives every schedule of Specs with its usage, and
// each row's example parses as a step.
func TestREADMETimeline(t *testing.T) {
	rows := readmeTable(t, "### Timeline")
	for _, s := range Specs() {
		if s.Form != FormSchedule {
			continue
		}
		if !slices.ContainsFunc(rows, func(row []string) bool { return row[0] == s.Usage }) {
			t.Errorf("the README's timeline table has no row %q", s.Usage)
		}
	}
	for _, row := range rows {
		name, _, _ := strings.Cut(row[0], " ")
		if s, ok := SpecOf(name); name != "CMD" && (!ok || s.Form != FormSchedule) {
			t.Errorf("the README's timeline table lists %q, which is no schedule", row[0])
		}
		if _, err := Parse("readme.chaos", []byte(row[1])); err != nil {
			t.Errorf("the README's example %q: %v", row[1], err)
		}
	}
}
