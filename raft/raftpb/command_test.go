package raftpb

import (
	"encoding/json"
	"reflect"
	"testing"
)

type op struct {
	Key, Value string
}

// Commands read back from JSON as the type they were written as.
func TestCommandRoundTrip(t *testing.T) {
	for _, c := range []interface{}{
		nil, 0, 42, -7, 1 << 62, "x", "", true, false,
		int8(-3), int16(300), int32(7), int64(1 << 40), uint(3), uint8(255), uint16(9), uint32(10), uint64(1 << 63), uintptr(5),
		float32(1.5), float64(2), 2.5, []byte("bytes"), []byte{},
	} {
		b, err := MarshalCommand(c)
		if err != nil {
			t.Fatalf("MarshalCommand(%#v): %v", c, err)
		}
		got, err := UnmarshalCommand(b)
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("%#v written as %s reads back as %#v (%T), %v", c, b, got, got, err)
		}
	}
}

// A command of a type the reader does not know reads back as a ForeignCommand, equal to
// another of an equal value, and writes again as it was read.
func TestForeignCommand(t *testing.T) {
	b, err := MarshalCommand(op{"k", "v"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"raftpb.op","value":{"Key":"k","Value":"v"}}`; string(b) != want {
		t.Errorf("written as %s, want %s", b, want)
	}
	a, err1 := UnmarshalCommand(b)
	c, err2 := UnmarshalCommand([]byte(`{ "value": {"Key": "k", "Value": "v"}, "type": "raftpb.op" }`))
	if err1 != nil || err2 != nil || a != c {
		t.Errorf("read as %#v and %#v (%v, %v), want two equal ForeignCommands", a, c, err1, err2)
	}
	if a != (ForeignCommand{Type: "raftpb.op", JSON: `{"Key":"k","Value":"v"}`}) {
		t.Errorf("read as %#v", a)
	}
	again, err := MarshalCommand(a)
	if err != nil || string(again) != string(b) {
		t.Errorf("written again as %s (%v), want %s", again, err, b)
	}
}

// Plain JSON, as older traces hold it, reads as well as it can.
func TestCommandPlainJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want interface{}
	}{
		{`17`, 17},
		{`1.5`, 1.5},
		{`1e3`, 1000.0},
		{`99999999999999999999`, 1e20},
		{`{"Key":"k"}`, map[string]interface{}{"Key": "k"}},
		{`{"type":"int64"}`, map[string]interface{}{"type": "int64"}},
		{`[1,2]`, []interface{}{1.0, 2.0}},
	} {
		got, err := UnmarshalCommand([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("UnmarshalCommand(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"type":"int64","value":"x"}`, `nope`} {
		if got, err := UnmarshalCommand([]byte(bad)); err == nil {
			t.Errorf("UnmarshalCommand(%q) = %#v, want an error", bad, got)
		}
	}
}

// Entries, and the events that carry them, keep their commands' types through JSON.
func TestEventJSON(t *testing.T) {
	e := Event{Kind: EventAppend, Peer: 2, Term: 3, Role: Leader, Other: 2, Index: 4, LastIndex: 6,
		Entries: []Entry{{Term: 3, Command: 7}, {Term: 3, Command: "put k v"}, {Term: 3}}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"append","peer":2,"term":3,"role":"leader","other":2,"index":4,"last_index":6,` +
		`"entries":[{"term":3,"command":7},{"term":3,"command":"put k v"},{"term":3}]}`
	if string(b) != want {
		t.Errorf("written as\n%s\nwant\n%s", b, want)
	}
	var got Event
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, e) {
		t.Errorf("reads back as %+v, %v; want %+v", got, err, e)
	}
	p := Event{Kind: EventProgress, Peer: 0, Term: 2, Role: Leader, Other: 1, Index: 3, LastIndex: 4, State: Replicate}
	b, _ = json.Marshal(p)
	var gotP Event
	if err := json.Unmarshal(b, &gotP); err != nil || !reflect.DeepEqual(gotP, p) {
		t.Errorf("%s reads back as %+v, %v; want %+v", b, gotP, err, p)
	}
}
