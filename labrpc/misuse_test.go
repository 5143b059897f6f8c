package labrpc

import (
	"bytes"
	"errors"
	"log"
	"strings"
	"sync"
	"testing"
	"time"
)

type UnencodableReply struct {
	C chan int
}

type BadServer struct{}

// Unencodable's reply has nothing gob can encode.
func (BadServer) Unencodable(args int, reply *UnencodableReply) {}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Bad API use makes Call return false promptly with a clear error, never hang or crash.
func TestMisuse(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	var logs syncBuffer
	rn.SetLogger(log.New(&logs, "", 0))
	js := newJunk(rn, "s")
	defer js.release()
	rn.AddServer("s", func() *Server {
		rs := MakeServer()
		rs.AddService(MakeService(js))
		rs.AddService(MakeService(BadServer{}))
		return rs
	}())
	e := connect(rn, "e", "s")
	rec := newRecorder(rn)

	var n int
	var s string
	var jr JunkReply
	var nilPtr *int
	cases := []struct {
		name     string
		meth     string
		args     interface{}
		reply    interface{}
		sentinel error
		mention  []string
	}{
		{"unknown service", "Nope.Handler1", "1", &n, ErrUnknownService, []string{`"Nope"`, "JunkServer (", "Handler1", "BadServer"}},
		{"no dot", "Handler1", "1", &n, ErrUnknownService, []string{"Service.Method"}},
		{"unknown method", "JunkServer.Nope", "1", &n, ErrUnknownMethod, []string{"JunkServer.Nope", "Handler1, Handler2"}},
		{"not a handler", "JunkServer.NotAHandler", 1, &n, ErrUnknownMethod, []string{"not a handler", "1 parameter"}},
		{"reply not a pointer", "JunkServer.Handler1", "1", n, ErrBadReply, []string{"non-nil pointer", "int"}},
		{"nil reply", "JunkServer.Handler1", "1", nil, ErrBadReply, []string{"non-nil pointer"}},
		{"nil reply pointer", "JunkServer.Handler1", "1", nilPtr, ErrBadReply, []string{"non-nil pointer"}},
		{"channel args", "JunkServer.Handler1", make(chan int), &n, ErrBadArgs, []string{"chan int"}},
		{"func args", "JunkServer.Handler1", func() {}, &n, ErrBadArgs, []string{"encode"}},
		{"nil pointer args", "JunkServer.Handler4", (*JunkArgs)(nil), &jr, ErrBadArgs, []string{"encode"}},
		{"nil args", "JunkServer.Handler4", nil, &jr, ErrBadArgs, []string{"encode"}},
		{"args of the wrong type", "JunkServer.Handler1", JunkArgs{X: 1}, &n, ErrBadArgs, []string{"decode", "string"}},
		{"reply of the wrong type", "JunkServer.Handler2", 1, &jr, ErrBadReply, []string{"decode", "*labrpc.JunkReply"}},
		{"reply gob cannot encode", "BadServer.Unencodable", 1, &s, ErrBadReply, []string{"encode", "UnencodableReply"}},
	}
	for _, tc := range cases {
		start := time.Now()
		err := e.CallErr(tc.meth, tc.args, tc.reply)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", tc.name, d)
		}
		if !errors.Is(err, tc.sentinel) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.sentinel)
			continue
		}
		for _, m := range tc.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, m)
			}
		}
		if !strings.HasPrefix(err.Error(), "labrpc: call "+tc.meth) {
			t.Errorf("%s: error %q lacks context", tc.name, err)
		}
		if e.Call(tc.meth, tc.args, tc.reply) {
			t.Errorf("%s: Call returned true", tc.name)
		}
		t.Logf("%s: %v", tc.name, err)
	}

	// The observer's Failed events carry the same errors.
	fails := 0
	for _, ev := range rec.snapshot() {
		if ev.Kind == EventFailed {
			fails++
			if ev.Err == nil || ev.Reason == NoFailure || !errors.Is(ev.Err, ev.Reason.Err()) {
				t.Errorf("failed event without a matching error: %v", ev)
			}
		}
	}
	if fails != 2*len(cases) {
		t.Errorf("%d failed events, want %d", fails, 2*len(cases))
	}
	// Each problem is logged once although each call was made twice.
	out := logs.String()
	if c := strings.Count(out, `unknown method "JunkServer.Nope"`); c != 1 {
		t.Errorf("unknown method logged %d times, want once:\n%s", c, out)
	}
	if !strings.Contains(out, "Handler1, Handler2") {
		t.Errorf("log does not list the known methods:\n%s", out)
	}

	// Misuse is reported even when the end is disabled, since the server is known.
	rn.Enable("e", false)
	if err := e.CallErr("JunkServer.Nope", 1, &n); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("disabled end, unknown method: %v", err)
	}
	// The network still works.
	rn.Enable("e", true)
	if !e.Call("JunkServer.Handler1", "3", &n) || n != 3 {
		t.Fatal("network broken after misuse")
	}
}

func TestMakeEndTwice(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	var logs syncBuffer
	rn.SetLogger(log.New(&logs, "", 0))
	newJunk(rn, "s")
	e1 := connect(rn, "e", "s")
	e2 := rn.MakeEnd("e")
	var n int
	if !e1.Call("JunkServer.Handler1", "1", &n) || !e2.Call("JunkServer.Handler1", "2", &n) || n != 2 {
		t.Fatal("ends sharing a name do not both work")
	}
	if !strings.Contains(logs.String(), "already") {
		t.Fatalf("duplicate MakeEnd not logged: %q", logs.String())
	}
	if e2.Name() != "e" || rn.EndOwner("e") != nil {
		t.Fatal("Name or EndOwner wrong")
	}
	rn.SetEndOwner("e", "X")
	if rn.EndOwner("e") != "X" {
		t.Fatal("EndOwner wrong")
	}
}
