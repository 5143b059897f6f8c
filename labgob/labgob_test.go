package labgob

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// The tests share the package's state, so none of them is parallel; each starts from a
// clean slate with its output captured.
func capture(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	mu.Lock()
	out, problems, checked = &syncWriter{w: &buf}, 0, map[reflect.Type]bool{}
	mu.Unlock()
	t.Cleanup(func() { SetOutput(nil) })
	return &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type persistentState struct {
	CurrentTerm int
	VotedFor    int
	Log         []logEntry
}

type logEntry struct {
	Term    int
	Command interface{}
}

type command struct {
	Key, Value string
}

func TestRoundTrip(t *testing.T) {
	buf := capture(t)
	Register(command{})
	want := persistentState{
		CurrentTerm: 7,
		VotedFor:    2,
		Log:         []logEntry{{Term: 0}, {Term: 3, Command: 42}, {Term: 7, Command: command{"x", "1"}}},
	}
	var w bytes.Buffer
	e := NewEncoder(&w)
	if err := e.Encode(want); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if err := e.EncodeValue(reflect.ValueOf("tail")); err != nil {
		t.Fatalf("EncodeValue: %v", err)
	}
	d := NewDecoder(&w)
	var got persistentState
	if err := d.Decode(&got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var tail string
	if err := d.Decode(&tail); err != nil {
		t.Fatalf("Decode tail: %v", err)
	}
	if !reflect.DeepEqual(got, want) || tail != "tail" {
		t.Errorf("decoded %+v and %q, want %+v and %q", got, tail, want, "tail")
	}
	if buf.Len() != 0 || Problems() != 0 {
		t.Errorf("warnings for clean types (%d problems): %q", Problems(), buf.String())
	}
}

type lowerState struct {
	Term     int
	votedFor int
	Inner    lowerInner
}

type lowerInner struct {
	Size int
	log  []int
}

func TestLowerCaseFields(t *testing.T) {
	buf := capture(t)
	var w bytes.Buffer
	e := NewEncoder(&w)
	for range 3 { // each type is checked once
		if err := e.Encode(lowerState{Term: 1}); err != nil {
			t.Fatalf("Encode: %v", err)
		}
	}
	want := "labgob error: lower-case field votedFor of lowerState in RPC or persist/snapshot will break your Raft\n" +
		"labgob error: lower-case field log of lowerInner in RPC or persist/snapshot will break your Raft\n"
	if got := buf.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if got := Problems(); got != 2 {
		t.Errorf("Problems() = %d, want 2", got)
	}
}

type reply struct {
	Term        int
	VoteGranted bool
	XLen        *int
	Nested      nested
}

type nested struct {
	Name string
}

func TestDecodeIntoNonDefault(t *testing.T) {
	tests := []struct {
		name string
		into func() interface{}
		want string // the warning, or "" for none
	}{
		{"fresh reply", func() interface{} { return &reply{} }, ""},
		{"reused reply", func() interface{} { return &reply{Term: 3} }, "Term"},
		{"bool field", func() interface{} { return &reply{VoteGranted: true} }, "VoteGranted"},
		// As in the course, the check stops three levels down: the pointer, the struct,
		// its fields.
		{"a pointer field's target", func() interface{} { n := 4; return &reply{XLen: &n} }, ""},
		{"a field's field", func() interface{} { return &reply{Nested: nested{Name: "x"}} }, ""},
		{"a plain int", func() interface{} { x := 5; return &x }, "int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := capture(t)
			var w bytes.Buffer
			if err := NewEncoder(&w).Encode(tt.into()); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if err := NewDecoder(&w).Decode(tt.into()); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := ""
			if tt.want != "" {
				want = "labgob warning: Decoding into a non-default variable/field " + tt.want + " may not work\n"
			}
			if got := buf.String(); got != want {
				t.Errorf("output %q, want %q", got, want)
			}
		})
	}
}

func TestDefaultWarningOnlyFirst(t *testing.T) {
	buf := capture(t)
	for range 3 {
		var w bytes.Buffer
		if err := NewEncoder(&w).Encode(reply{Term: 1}); err != nil {
			t.Fatal(err)
		}
		if err := NewDecoder(&w).Decode(&reply{Term: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(buf.String(), "labgob warning"); got != 1 {
		t.Errorf("%d warnings printed, want 1:\n%s", got, buf.String())
	}
	if got := Problems(); got != 3 {
		t.Errorf("Problems() = %d, want 3", got)
	}
}

func TestRegisterName(t *testing.T) {
	buf := capture(t)
	type op struct{ key string }
	RegisterName("labgob_test.op", op{})
	if !strings.Contains(buf.String(), "lower-case field key of op") {
		t.Errorf("RegisterName did not check the type: %q", buf.String())
	}
	var w bytes.Buffer
	type named struct{ Key, Value string }
	var v interface{} = named{"k", "v"}
	RegisterName("labgob_test.named", named{})
	if err := NewEncoder(&w).Encode(&v); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var got interface{}
	if err := NewDecoder(&w).Decode(&got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got != v {
		t.Errorf("decoded %#v, want %#v", got, v)
	}
}

func TestSetOutputNilDiscards(t *testing.T) {
	capture(t)
	SetOutput(nil)
	NewEncoder(&bytes.Buffer{}).Encode(lowerInner{})
	if got := Problems(); got != 1 {
		t.Errorf("Problems() = %d, want 1 (counted though not printed)", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	capture(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var w bytes.Buffer
			if err := NewEncoder(&w).Encode(reply{Term: i}); err != nil {
				t.Error(err)
			}
			var r reply
			if err := NewDecoder(&w).Decode(&r); err != nil || r.Term != i {
				t.Errorf("decoded %+v, %v; want term %d", r, err, i)
			}
		})
	}
	wg.Wait()
}
