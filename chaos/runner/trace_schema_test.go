package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// schemaScenario makes every kind of event: faults of every kind, proposals, a kv
// workload's clients, snapshots, steps that pass, and the run's end.
const schemaScenario = `# Every kind of event, for the trace schema's test.
peers 3
workload kv rate=100 clients=3 keys=2
wait leader within 5s
propose 3
at 300ms partition leader | others
at +300ms heal
at +50ms loss 10% 0 -> 1
at +50ms delay 1ms-3ms
at +50ms duplicate 20%
at +50ms reorder 20%
at +50ms skew 1 2x
at +50ms pause 2
at +50ms resume 2
at +50ms isolate 0
at +50ms cut 1 -> 2
at +50ms bridge 0 - 1 - 2
at +50ms crash 1
at +100ms restart 1
at +50ms reset
wait leader within 5s
wait commit +3 within 5s
`

// traceSchema compiles docs/trace.schema.json's header and event.
func traceSchema(t *testing.T) (header, event *jsonschema.Schema) {
	t.Helper()
	f, err := os.Open("../../docs/trace.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatalf("the schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("trace.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	header, err = c.Compile("trace.schema.json#/$defs/header")
	if err != nil {
		t.Fatalf("the schema: %v", err)
	}
	event, err = c.Compile("trace.schema.json#/$defs/event")
	if err != nil {
		t.Fatalf("the schema: %v", err)
	}
	return header, event
}

// Both engines write traces that docs/trace.schema.json, the schema docs/TRACE.md
// describes, accepts line by line.
func TestTracesMatchTheSchema(t *testing.T) {
	header, event := traceSchema(t)
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			if engine == "live" && testing.Short() {
				t.Skip("runs in real time")
			}
			sc, err := scenario.Parse("schema.chaos", []byte(schemaScenario))
			if err != nil {
				t.Fatal(err)
			}
			var trace bytes.Buffer
			r, err := New(sc, Options{Engine: engine, Seed: 3, Trace: &trace})
			if err != nil {
				t.Fatal(err)
			}
			// A sink for every kind, so the live engine publishes its messages too.
			r.Cluster().Events().Observe(func(chaos.Event) {})
			res, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !res.Pass {
				t.Fatalf("the run failed: %v", res.Failure)
			}
			kinds := map[string]bool{}
			sc2 := bufio.NewScanner(&trace)
			sc2.Buffer(nil, 64<<20)
			for line := 1; sc2.Scan(); line++ {
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc2.Bytes()))
				if err != nil {
					t.Fatalf("line %d: %v", line, err)
				}
				s := event
				if line == 1 {
					s = header
				}
				if err := s.Validate(inst); err != nil {
					t.Fatalf("line %d does not match the schema: %v\n%s", line, err, sc2.Bytes())
				}
				var e struct {
					Kind string `json:"kind"`
					Raft *struct {
						Kind string `json:"kind"`
					} `json:"raft"`
					Net *struct {
						Msg *struct {
							Kind string `json:"kind"`
						} `json:"msg"`
					} `json:"net"`
				}
				if err := json.Unmarshal(sc2.Bytes(), &e); err != nil {
					t.Fatal(err)
				}
				kinds[e.Kind] = true
				if e.Raft != nil {
					kinds["raft "+e.Raft.Kind] = true
				}
				if e.Net != nil && e.Net.Msg != nil {
					kinds["msg "+e.Net.Msg.Kind] = true
				}
			}
			for _, k := range []string{"raft", "net", "fault", "propose", "step", "expect", "client", "call", "end",
				"raft boot", "raft role", "raft term", "raft vote", "raft append", "raft commit", "raft apply", "raft progress",
				"msg vote", "msg append", "msg heartbeat", "msg vote-reply", "msg append-reply", "msg heartbeat-reply"} {
				if !kinds[k] {
					t.Errorf("no %s in the trace: the test no longer covers it (saw %v)", k, kinds)
				}
			}
		})
	}
}
