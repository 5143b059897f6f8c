package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/fuzz"
	"github.com/miniraft/miniraft/chaos/runner"
)

// schema compiles the JSON Schema docs/NAME (which may refer to the trace's schema).
func schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, f := range []string{"trace.schema.json", "run.schema.json", "fuzz-record.schema.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("docs/%s: %v", f, err)
		}
		if err := c.AddResource("https://github.com/miniraft/miniraft/docs/"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("https://github.com/miniraft/miniraft/docs/" + name)
	if err != nil {
		t.Fatalf("docs/%s: %v", name, err)
	}
	return s
}

// matchSchema checks that b, one JSON document, is what docs/name says.
func matchSchema(t *testing.T, name string, b []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, b)
	}
	if err := schema(t, name).Validate(doc); err != nil {
		t.Errorf("does not match docs/%s: %v", name, err)
	}
}

// miniraft run --json - writes the results, and nothing else, to stdout, even with -q
// or -v; they match docs/run.schema.json, whatever the run: passed, failed, with
// overrides, with a kv workload, interrupted.
func TestRunJSONOnStdout(t *testing.T) {
	for _, args := range [][]string{
		{"--seed", "1", "--prevote", "leader-crash", "flaky-network"},
		{"-q", "--seed", "1", "--prevote=false", "disruptive-rejoin"},
		{"-v", "--seed", "1", "kv-stale-read"},
		{"--seed", "1", "--kv", "--peers", "3", "leader-isolation"},
	} {
		var out, errb bytes.Buffer
		args = append([]string{"run", "--json", "-"}, args...)
		code := run(args, &out, &errb)
		if code == exitUsage {
			t.Fatalf("miniraft %s: exit %d\n%s", strings.Join(args, " "), code, errb.String())
		}
		var doc runDoc
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Errorf("miniraft %s: stdout is not the JSON alone: %v\n%s", strings.Join(args, " "), err, out.String())
			continue
		}
		matchSchema(t, "run.schema.json", out.Bytes())
		if doc.Pass != (code == exitPass) || len(doc.Results) == 0 {
			t.Errorf("miniraft %s: exit %d, JSON pass %v with %d results", strings.Join(args, " "), code, doc.Pass, len(doc.Results))
		}
		if !strings.Contains(errb.String(), doc.Results[0].Name) {
			t.Errorf("miniraft %s: the summary is not on stderr:\n%s", strings.Join(args, " "), errb.String())
		}
	}
	// An interrupted run, as Ctrl-C leaves it.
	sc, err := loadScenario("leader-crash")
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.New(sc, runner.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.Cluster().Events().Observe(func(e chaos.Event) {
		if e.Line == 12 && e.Outcome == "" {
			r.Stop()
		}
	}, chaos.EventStep)
	res, err := r.Run(context.Background())
	if err != nil || res.Interrupted == nil {
		t.Fatalf("the run was not interrupted: %v, %v", err, res)
	}
	b, err := jsonDoc(runDoc{Tool: toolName(), Results: []*runner.Result{res}})
	if err != nil {
		t.Fatal(err)
	}
	matchSchema(t, "run.schema.json", b)
}

// miniraft fuzz --json - writes the campaign's record, and nothing else, to stdout; it
// and record.json match docs/fuzz-record.schema.json.
func TestFuzzJSONOnStdout(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"fuzz", "--json", "-", "--runs", "4", "--peers", "3", "--duration", "2s", "--workers", "2", "--out", dir}
	if code := run(args, &out, &errb); code != exitPass {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var rec struct{ Runs int }
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil || rec.Runs != 4 {
		t.Fatalf("stdout is not the record alone (%v, %d runs):\n%s", err, rec.Runs, out.String())
	}
	matchSchema(t, "fuzz-record.schema.json", out.Bytes())
	b, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	matchSchema(t, "fuzz-record.schema.json", b)
	if !strings.Contains(errb.String(), "no violations") {
		t.Errorf("the summary is not on stderr:\n%s", errb.String())
	}
}

// jsonFields returns the JSON names of t's fields, those of embedded structs included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, jsonFields(ft)...)
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// The schemas name every field the programs write, so that a field added to a result or
// a record is documented (the documents' own tests see only the fields their runs fill).
func TestSchemasNameEveryField(t *testing.T) {
	props := func(file string, path ...string) map[string]any {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", file))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range path {
			doc, _ = doc[p].(map[string]any)
		}
		return doc
	}
	tests := []struct {
		file string
		path []string
		typ  reflect.Type
	}{
		{"run.schema.json", []string{"properties"}, reflect.TypeFor[runDoc]()},
		{"run.schema.json", []string{"$defs", "result", "properties"}, reflect.TypeFor[runner.Result]()},
		{"fuzz-record.schema.json", []string{"properties"}, reflect.TypeFor[fuzz.Record]()},
		{"fuzz-record.schema.json", []string{"properties", "settings", "properties"}, reflect.TypeFor[fuzz.Settings]()},
		{"fuzz-record.schema.json", []string{"properties", "minimal", "items", "properties"}, reflect.TypeFor[fuzz.MinimalRecord]()},
	}
	for _, tt := range tests {
		p := props(tt.file, tt.path...)
		if len(p) == 0 {
			t.Fatalf("docs/%s has nothing at %v", tt.file, tt.path)
		}
		for _, name := range jsonFields(tt.typ) {
			if _, ok := p[name]; !ok {
				t.Errorf("docs/%s does not name %s's field %q", tt.file, tt.typ, name)
			}
		}
	}
}
