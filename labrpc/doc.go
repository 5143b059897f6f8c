// Package labrpc is a simulated RPC network: the MIT 6.824/6.5840 course's labrpc, with
// the same API and the same semantics and timings, so course testers and the Raft code
// written for them run on it unchanged, plus the fault controls the chaos controller
// needs.
//
// # The course network
//
// A Network has client ends (MakeEnd) and servers (AddServer), both named by values of
// any comparable type (the course uses strings and ints). An end is connected to one
// server by name (Connect) and must be enabled (Enable) to carry calls. A Server holds
// Services (MakeServer, AddService); a Service is built by reflection over a receiver's
// exported methods shaped M(args A, reply *R) (MakeService). ClientEnd.Call sends args to
// "Service.Method" on the end's server and waits for the reply.
//
// Args and replies travel gob-encoded (encoding/gob), so a handler works on a copy of the
// args and the reply is decoded into the caller's value, with gob's rules: unexported
// fields are not sent, and fields that are zero in the reply leave the caller's value
// untouched. The course's timings apply: an unreliable network (Reliable(false)) delays
// each request by 0-26 ms and drops 10% of requests and 10% of replies; a call that cannot
// be delivered (disabled end, no server) returns false after 0-99 ms, or 0-6999 ms with
// LongDelays; LongReordering delays about 2/3 of replies by 200 ms to 2.2 s; a call pending
// on a server that is deleted or replaced, or on an end that is disabled, fails within
// about 100 ms, and the reply of a deleted or replaced server is never returned. The
// network never times a call out by itself. Handlers run concurrently, one goroutine per
// delivered request. GetCount, GetTotalCount and GetTotalBytes count as the course does.
//
// Where this package differs from the course's, it fails where the course would crash or
// hang: a call naming an unknown service or method, a reply that is not a pointer, or args
// or replies gob cannot handle make Call return false promptly, are logged once, and are
// described by CallErr and by the observer. A request whose end is disabled or whose
// server is deleted during its delay is not delivered (the course delivers it and then
// discards the reply). A handler may take its args by value or by pointer whatever the
// caller passes.
//
// # Fault controls
//
// SetFaults sets faults for every message and SetLinkFaults for the messages of one
// directed link between two servers: loss, a delay range, reordering, duplication of
// requests, and a one-way cut (see Faults). Since ends are named independently of servers,
// SetEndOwner tells the network which server an end belongs to; a call on an end owned by
// A to server B sends its request over the link A->B and its reply over B->A. A cut of A->B
// therefore makes A's calls to B fail without running B's handler, and makes B's calls to
// A run A's handler and then fail for lack of a reply. The global faults, the link's
// faults and Reliable(false) each apply independently: a message survives only if no
// source loses it, its delays add up, and a request is duplicated (once) if any source
// says so. ClearLinkFaults clears one link and ClearFaults all faults.
//
// Every random decision of the network comes from one seeded source (MakeNetworkSeed,
// SetSeed, Seed), so a seed reproduces the decisions for the same sequence of calls made
// one after another.
//
// SetObserver attaches a function that sees every message event exactly once (see
// EventKind); it is called synchronously and must not block. Freeze stops all delivery
// without losing anything, and Thaw releases what was held. Cleanup makes every pending
// call return false promptly and ends the network's goroutines.
//
// All the types of this package are safe for concurrent use, except Faults and Event,
// which are plain values.
package labrpc
