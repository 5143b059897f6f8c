package report

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/net/html"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	"github.com/miniraft/miniraft/chaos/runner"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorded is a run of a scenario on the sim engine, with every event recorded.
type recorded struct {
	sc     *scenario.Scenario
	res    *runner.Result
	rec    *Recorder
	events []chaos.Event
	trace  []byte
}

// runScenario runs src (or the library scenario named name, when src is empty) on the
// sim engine with seed, recording it and writing its trace.
func runScenario(t testing.TB, name, src string, seed int64) recorded {
	t.Helper()
	return runScenarioKeep(t, name, src, seed, 0)
}

// runScenarioKeep is runScenario with a recorder that keeps keep events of each kind.
func runScenarioKeep(t testing.TB, name, src string, seed int64, keep int) recorded {
	t.Helper()
	b := []byte(src)
	if src == "" {
		var err error
		if b, err = scripts.Read(name); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := scenario.Parse(name+".chaos", b)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	sc.Header.Seed, sc.Header.HasSeed = seed, true
	rec := NewRecorder(keep, model.InfoOf(sc, "sim", seed))
	var trace bytes.Buffer
	r, err := runner.New(sc, runner.Options{Engine: "sim", Observers: []func(chaos.Event){rec.Observe}, Trace: &trace})
	if err != nil {
		t.Fatalf("runner.New(%s): %v", name, err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return recorded{sc: sc, res: res, rec: rec, events: rec.Events(), trace: trace.Bytes()}
}

// render writes the report of d and returns it.
func render(t testing.TB, d Data) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.String()
}

// parse parses a page with an HTML5 parser, as a browser would.
func parse(t testing.TB, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return doc
}

// walk calls fn on every node under n, depth first.
func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

// byID returns the element with id, or nil.
func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "id"); ok && v == id && n.Type == html.ElementNode && found == nil {
			found = n
		}
	})
	return found
}

// all returns the elements under n with the tag and, if class is not empty, the class.
func all(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && c.Data == tag && (class == "" || hasClass(c, class)) {
			out = append(out, c)
		}
	})
	return out
}

// text returns the text under n, with runs of white space collapsed.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteByte(' ')
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q; it is:\n%.2000s", what, w, got)
		}
	}
}

// chart returns the drawing of a section: its first svg (the legends' come after it).
func chart(doc *html.Node, id string) *html.Node {
	svgs := all(byID(doc, id), "svg", "")
	if len(svgs) == 0 {
		return nil
	}
	return svgs[0]
}
