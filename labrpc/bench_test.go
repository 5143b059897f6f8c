package labrpc

import (
	"reflect"
	"testing"
)

// benchArgs is shaped like a RequestVote: a few small fields.
type benchArgs struct {
	Term, CandidateID, LastLogIndex, LastLogTerm int
}

type benchReply struct {
	Term        int
	VoteGranted bool
}

type benchServer struct{}

func (benchServer) Vote(args *benchArgs, reply *benchReply) {
	reply.Term = args.Term
	reply.VoteGranted = true
}

func benchNet(b *testing.B) (*Network, *ClientEnd) {
	rn := MakeNetwork()
	rs := MakeServer()
	rs.AddService(MakeService(&benchServer{}))
	rn.AddServer("s", rs)
	e := rn.MakeEnd("e")
	rn.Connect("e", "s")
	rn.Enable("e", true)
	return rn, e
}

func runSequential(b *testing.B, e *ClientEnd) {
	args := benchArgs{Term: 3, CandidateID: 1, LastLogIndex: 100, LastLogTerm: 2}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var reply benchReply
		if !e.Call("benchServer.Vote", &args, &reply) || !reply.VoteGranted {
			b.Fatal("call failed")
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "calls/s")
	}
}

// BenchmarkCall is sequential calls on a reliable network, no observer.
func BenchmarkCall(b *testing.B) {
	rn, e := benchNet(b)
	defer rn.Cleanup()
	runSequential(b, e)
}

// BenchmarkCallObserver is BenchmarkCall with a cheap observer attached.
func BenchmarkCallObserver(b *testing.B) {
	rn, e := benchNet(b)
	defer rn.Cleanup()
	var n [8]int
	rn.SetObserver(func(ev Event) { n[ev.Kind]++ }) // calls are sequential: no race
	runSequential(b, e)
}

// BenchmarkCallParallel is calls from GOMAXPROCS goroutines at once on one end.
func BenchmarkCallParallel(b *testing.B) {
	rn, e := benchNet(b)
	defer rn.Cleanup()
	args := benchArgs{Term: 3, CandidateID: 1, LastLogIndex: 100, LastLogTerm: 2}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var reply benchReply
			if !e.Call("benchServer.Vote", &args, &reply) {
				b.Error("call failed")
				return
			}
		}
	})
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "calls/s")
	}
}

// BenchmarkGobFreshRoundTrip is, for reference, the gob work of one call done the
// course's way: a fresh encoder and a fresh decoder for the args and for the reply.
func BenchmarkGobFreshRoundTrip(b *testing.B) {
	args := benchArgs{Term: 3, CandidateID: 1, LastLogIndex: 100, LastLogTerm: 2}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ab, _ := freshEncode(reflect.ValueOf(&args))
		var a benchArgs
		_ = freshDecode(ab.Bytes(), reflect.ValueOf(&a))
		rb, _ := freshEncode(reflect.ValueOf(&benchReply{Term: a.Term, VoteGranted: true}))
		var r benchReply
		_ = freshDecode(rb.Bytes(), reflect.ValueOf(&r))
		putBuffer(ab)
		putBuffer(rb)
	}
}
