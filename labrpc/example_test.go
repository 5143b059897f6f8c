package labrpc_test

import (
	"errors"
	"fmt"

	"github.com/miniraft/miniraft/labrpc"
)

type KV struct{ data map[string]string }

type GetArgs struct{ Key string }

type GetReply struct{ Value string }

func (kv *KV) Get(args *GetArgs, reply *GetReply) { reply.Value = kv.data[args.Key] }

// A server, an end connected to it, a call; then a one-way cut on the link from the
// end's owner to the server.
func Example() {
	net := labrpc.MakeNetworkSeed(1)
	defer net.Cleanup()

	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(&KV{data: map[string]string{"x": "1"}}))
	net.AddServer("kv", srv)

	end := net.MakeEnd("client-0->kv")
	net.Connect("client-0->kv", "kv")
	net.Enable("client-0->kv", true)
	net.SetEndOwner("client-0->kv", "client-0")

	var reply GetReply
	ok := end.Call("KV.Get", &GetArgs{Key: "x"}, &reply)
	fmt.Println(ok, reply.Value)

	if err := net.SetLinkFaults("client-0", "kv", labrpc.Faults{Cut: true}); err != nil {
		panic(err)
	}
	err := end.CallErr("KV.Get", &GetArgs{Key: "x"}, &reply)
	fmt.Println(errors.Is(err, labrpc.ErrCut), net.GetCount("kv"))

	err = end.CallErr("KV.Put", &GetArgs{Key: "x"}, &reply)
	fmt.Println(errors.Is(err, labrpc.ErrUnknownMethod))
	// Output:
	// true 1
	// true 1
	// true
}
