package labrpc

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// A handler's goroutine carries its server's name as the HandlerLabel, whoever called:
// a stack dump then says whose handler a goroutine runs (the deadlock watchdog reads it).
func TestHandlerGoroutineLabel(t *testing.T) {
	rn := MakeNetwork()
	defer rn.Cleanup()
	js := &JunkServer{block: make(chan struct{})}
	defer js.release()
	srv := MakeServer()
	srv.AddService(MakeService(js))
	rn.AddServer("server-7", srv)
	e := rn.MakeEnd("end")
	rn.Connect("end", "server-7")
	rn.Enable("end", true)

	done := make(chan bool)
	go func() {
		var reply int
		done <- e.Call("JunkServer.Block", 3, &reply)
	}()
	want := `# labels: {"` + HandlerLabel + `":"server-7"}`
	deadline := time.Now().Add(10 * time.Second)
	for {
		var b bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&b, 1); err != nil {
			t.Fatal(err)
		}
		if labelledBlock(b.String(), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no goroutine running JunkServer.Block carries %s:\n%s", want, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	js.release()
	if ok := <-done; !ok {
		t.Error("Call returned false, want true")
	}
}

// labelledBlock reports whether the goroutine profile (debug=1) has a record running
// JunkServer.Block with the labels line want.
func labelledBlock(profile, want string) bool {
	for _, rec := range strings.Split(profile, "\n\n") {
		if strings.Contains(rec, "(*JunkServer).Block") && strings.Contains(rec, want) {
			return true
		}
	}
	return false
}
