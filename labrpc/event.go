package labrpc

import (
	"errors"
	"fmt"
	"time"
)

// EventKind says what happened to a message. See Event. It is a plain value, safe for
// concurrent use.
type EventKind uint8

// The kinds of events. For one call the observer sees, in this order: at most one
// EventSent; then at most one EventDelivered, followed by an EventDuplicated if the request
// was duplicated; then, if a message was lost, one EventDropped, or, if the reply was
// duplicated, an EventDuplicated with Reply set; and always exactly one terminal event,
// EventReplied or EventFailed. Calls rejected before entering the network (after Cleanup,
// a bad reply pointer, args gob cannot encode) have only EventFailed. So over any period:
// Replied + Failed = calls made; Sent = the increase of GetTotalCount; Delivered +
// Duplicated (of requests) = the increase of the servers' GetCount; each Dropped is
// followed by a Failed of the same call.
const (
	// EventSent: the request entered the network. Bytes is the size of the args.
	EventSent EventKind = iota + 1
	// EventDelivered: the request was handed to the server's handler. Bytes is the size
	// of the args.
	EventDelivered
	// EventDuplicated: a duplicate of the request was handed to the handler (a second
	// delivery). Bytes is the size of the args. With Reply set, the reply arrived twice
	// and the copy was dropped (Bytes is its size); it comes just before EventReplied.
	EventDuplicated
	// EventDropped: a message was lost; Reply says whether it was the reply (else the
	// request) and Reason why (FailDropped for random loss, FailCut for a cut link).
	// Bytes is the size of the lost message. An EventFailed of the call follows.
	EventDropped
	// EventReplied: the reply was returned to the caller and Call returned true. Bytes is
	// the size of the reply.
	EventReplied
	// EventFailed: Call returned false. Reason and Err say why.
	EventFailed
)

var kindNames = [...]string{"?", "sent", "delivered", "duplicated", "dropped", "replied", "failed"}

// String returns the kind's name in lower case, e.g. "delivered".
func (k EventKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// FailReason says why a call failed or a message was dropped. It is a plain value, safe
// for concurrent use.
type FailReason uint8

// The reasons a call fails. Each has a sentinel error (FailReason.Err) to match with
// errors.Is against the errors of CallErr and Event.Err.
const (
	// NoFailure is the reason of events that are not failures.
	NoFailure FailReason = iota
	// FailDisabled: the end was disabled when the call was made, or became disabled
	// while the call was pending.
	FailDisabled
	// FailNoServer: the end is not connected, or no server has the name it is
	// connected to.
	FailNoServer
	// FailCut: the link carrying the request or the reply is cut.
	FailCut
	// FailDropped: the request or the reply was lost (Reliable(false) or Faults.Loss).
	FailDropped
	// FailServerDeleted: the server was deleted or replaced (DeleteServer, AddServer)
	// while the call was pending; its reply, if any, is never returned.
	FailServerDeleted
	// FailCleanup: the network was cleaned up before or during the call.
	FailCleanup
	// FailUnknownService: no service of that name is registered on the server.
	FailUnknownService
	// FailUnknownMethod: the service has no handler of that name.
	FailUnknownMethod
	// FailBadArgs: gob cannot encode the args, or cannot decode them into the
	// handler's argument type.
	FailBadArgs
	// FailBadReply: the reply is not a non-nil pointer, or gob cannot encode the
	// handler's reply or decode it into the caller's reply.
	FailBadReply
)

// Sentinel errors, one per FailReason. Errors returned by CallErr and carried by
// Event.Err wrap exactly one of them.
var (
	ErrDisabled       = errors.New("client end is disabled")
	ErrNoServer       = errors.New("no server at the end's connection")
	ErrCut            = errors.New("link is cut")
	ErrDropped        = errors.New("message dropped")
	ErrServerDeleted  = errors.New("server deleted or replaced during the call")
	ErrCleanup        = errors.New("network cleaned up")
	ErrUnknownService = errors.New("unknown service")
	ErrUnknownMethod  = errors.New("unknown method")
	ErrBadArgs        = errors.New("bad args")
	ErrBadReply       = errors.New("bad reply")
)

var reasonInfo = [...]struct {
	name string
	err  error
}{
	{"none", nil},
	{"disabled", ErrDisabled},
	{"no server", ErrNoServer},
	{"cut", ErrCut},
	{"dropped", ErrDropped},
	{"server deleted", ErrServerDeleted},
	{"cleanup", ErrCleanup},
	{"unknown service", ErrUnknownService},
	{"unknown method", ErrUnknownMethod},
	{"bad args", ErrBadArgs},
	{"bad reply", ErrBadReply},
}

// String returns the reason in lower case, e.g. "server deleted".
func (r FailReason) String() string {
	if int(r) < len(reasonInfo) {
		return reasonInfo[r].name
	}
	return fmt.Sprintf("FailReason(%d)", uint8(r))
}

// Err returns the reason's sentinel error, or nil for NoFailure.
func (r FailReason) Err() error {
	if int(r) < len(reasonInfo) {
		return reasonInfo[r].err
	}
	return nil
}

// Event is one thing that happened to a message of a call. Events are plain values: the
// observer may keep them and hand them to other goroutines.
type Event struct {
	Kind EventKind
	// CallID identifies the call within its network; all events of one call share it.
	CallID uint64
	// From is the name of the server owning the calling end (SetEndOwner), or nil.
	From interface{}
	// To is the name of the server the end was connected to when the call was made,
	// or nil.
	To interface{}
	// End is the name of the calling end.
	End interface{}
	// Method is the "Service.Method" the call names.
	Method string
	// Bytes is the gob size of the message the event is about (see EventKind).
	Bytes int
	// Latency is the time from the start of the call to the event. It is zero for the
	// events of a call that started before an observer was attached.
	Latency time.Duration
	// Time is when the event happened.
	Time time.Time
	// Reply is true for an EventDropped about the reply, false for one about the request.
	Reply bool
	// Reason is why the call failed (EventFailed) or the message was lost
	// (EventDropped); NoFailure otherwise.
	Reason FailReason
	// Err is set on EventFailed: Reason's sentinel error, wrapped with a description
	// for the API misuse reasons (unknown service or method, bad args or reply).
	Err error
	// Args is the args the caller passed to Call, on every event of the call, and
	// ReplyValue, on EventReplied, the reply Call decoded into. Both are the caller's own
	// values, not copies, valid while the observer runs (the caller is still in Call): an
	// observer may read them then, to describe the message, but must not change or keep
	// them.
	Args       interface{}
	ReplyValue interface{}
}

// String formats the event on one line, for logs.
func (e Event) String() string {
	s := fmt.Sprintf("call %d %s %s end=%v from=%v to=%v bytes=%d latency=%v",
		e.CallID, e.Kind, e.Method, e.End, e.From, e.To, e.Bytes, e.Latency)
	if e.Kind == EventDropped {
		if e.Reply {
			s += " reply"
		} else {
			s += " request"
		}
	}
	if e.Reason != NoFailure {
		s += " reason=" + e.Reason.String()
	}
	if e.Err != nil && e.Kind == EventFailed {
		s += " err=" + e.Err.Error()
	}
	return s
}

// SetObserver makes fn see every event of every later message; nil removes the observer.
// fn is called synchronously from the goroutine of the call concerned, never with a lock
// of the network held, possibly from many goroutines at once: it must be safe for
// concurrent use, cheap, and must never block (a blocked observer blocks that call, and
// with it the caller's RPC). It may call the network's methods.
func (rn *Network) SetObserver(fn func(Event)) {
	if fn == nil {
		rn.obs.Store(nil)
		return
	}
	rn.obs.Store(&fn)
}
