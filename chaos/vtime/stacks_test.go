package vtime_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos/vtime"
)

// A dump as the runtime prints it on a crash, with a panic message, a bubble, labels,
// wait minutes, crash-only words, inlined and elided frames.
const dump = `panic: boom [recovered]
	panic: boom

goroutine 23 [sync.Mutex.Lock, 2 minutes, synctest bubble 1 labels:{"peer": "0", "life": "a\"b"}]:
internal/sync.runtime_SemacquireMutex(0x81fa0049c60?, 0xd1?, 0x670ec0?)
	/usr/local/go/src/runtime/sema.go:95 +0x25
sync.(*Mutex).Lock(...)
	/usr/local/go/src/sync/mutex.go:46
github.com/miniraft/miniraft/raft.(*Raft).GetState(0x81fa007c000?)
	/work/raft/raft.go:35 +0x52
created by github.com/miniraft/miniraft/chaos/live.(*Cluster).boot in goroutine 22
	/work/chaos/live/live.go:150 +0x277

goroutine 5 gp=0xc000003180 m=nil [chan receive (durable), synctest bubble 12]:
main.run.func1.1()
	/work/main.go:110 +0x19
...additional frames elided...

goroutine 1 [running]:
main.main()
	/work/main.go:3 +0x1
`

func TestParseStacks(t *testing.T) {
	got := vtime.ParseStacks([]byte(dump))
	want := []vtime.Goroutine{
		{
			ID: 23, State: "sync.Mutex.Lock", Bubble: 1, Labels: map[string]string{"peer": "0", "life": `a"b`},
			Funcs:   []string{"internal/sync.runtime_SemacquireMutex", "sync.(*Mutex).Lock", "github.com/miniraft/miniraft/raft.(*Raft).GetState"},
			Creator: "github.com/miniraft/miniraft/chaos/live.(*Cluster).boot",
		},
		{ID: 5, State: "chan receive (durable)", Bubble: 12, Funcs: []string{"main.run.func1.1"}},
		{ID: 1, State: "running", Funcs: []string{"main.main"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d goroutines, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if !strings.HasPrefix(g.Text, "goroutine ") || strings.HasSuffix(g.Text, "\n") {
			t.Errorf("goroutine %d: Text %q, want its block without the blank line", g.ID, g.Text)
		}
		g.Text = ""
		if !reflect.DeepEqual(g, want[i]) {
			t.Errorf("goroutine %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
	g := got[0]
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"Runs(raft)", g.Runs(vtime.RaftPackage), true},
		{"Runs(live), by its creator", g.Runs("github.com/miniraft/miniraft/chaos/live."), true},
		{"Runs(labrpc)", g.Runs("github.com/miniraft/miniraft/labrpc."), false},
		{"Calls(GetState)", g.Calls("GetState"), true},
		{"Calls(boot), the creator", g.Calls("boot"), false},
		{"Calls(State)", g.Calls("State"), false},
		{"MutexWait", g.MutexWait(), true},
		{"MutexWait of a channel wait", got[1].MutexWait(), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// Dump's own goroutine is in it, parsed.
func TestDump(t *testing.T) {
	gs := vtime.ParseStacks(vtime.Dump())
	found := false
	for _, g := range gs {
		found = found || g.Calls("TestDump") && g.State == "running"
	}
	if !found {
		t.Errorf("the running TestDump is not among the %d goroutines of the dump", len(gs))
	}
}
