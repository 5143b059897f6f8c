package labrpc

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Server is a collection of services, added to a network under a name with
// Network.AddServer. It is safe for concurrent use.
type Server struct {
	mu       sync.RWMutex
	services map[string]*Service
	count    atomic.Int64 // requests delivered to a handler, duplicates included
	// labels carries the HandlerLabel of the name the server was last added under.
	labels atomic.Pointer[context.Context]
}

// HandlerLabel is the runtime/pprof label every handler goroutine carries while it runs
// a handler: the name of the server it serves (fmt.Sprint of it), which in a Raft
// cluster is the peer's id. A stack dump (with GODEBUG=tracebacklabels=1) then says
// whose handler a goroutine runs, though the caller's goroutine started the call.
const HandlerLabel = "peer"

// labelsFor returns the context whose labels the server's handlers run with.
func (rs *Server) labelsFor() context.Context {
	if p := rs.labels.Load(); p != nil {
		return *p
	}
	return context.Background()
}

// setName makes the server's handlers carry name as their HandlerLabel.
func (rs *Server) setName(name interface{}) {
	ctx := pprof.WithLabels(context.Background(), pprof.Labels(HandlerLabel, fmt.Sprint(name)))
	rs.labels.Store(&ctx)
}

// MakeServer returns a server with no services.
func MakeServer() *Server {
	return &Server{services: make(map[string]*Service)}
}

// AddService registers svc under its name (the name of its receiver's type), replacing
// any service of the same name.
func (rs *Server) AddService(svc *Service) {
	rs.mu.Lock()
	rs.services[svc.name] = svc
	rs.mu.Unlock()
}

// GetCount returns the number of requests delivered to the server's handlers: every
// handler invocation, so a duplicated request counts twice.
func (rs *Server) GetCount() int {
	return int(rs.count.Load())
}

// resolve finds the handler of svcMeth ("Service.Method"). The error describes what the
// server offers instead.
func (rs *Server) resolve(svcMeth string) (*Service, *handler, FailReason, error) {
	dot := strings.LastIndexByte(svcMeth, '.')
	rs.mu.RLock()
	var svc *Service
	if dot >= 0 {
		svc = rs.services[svcMeth[:dot]]
	}
	if svc == nil {
		desc := rs.describeLocked()
		rs.mu.RUnlock()
		return nil, nil, FailUnknownService, fmt.Errorf("%w %q in %q (want \"Service.Method\"); the server has %s",
			ErrUnknownService, svcMeth[:max(dot, 0)], svcMeth, desc)
	}
	rs.mu.RUnlock()
	name := svcMeth[dot+1:]
	if h := svc.methods[name]; h != nil {
		return svc, h, NoFailure, nil
	}
	if why, ok := svc.ignored[name]; ok {
		return nil, nil, FailUnknownMethod, fmt.Errorf("%w %q: %s.%s is not a handler (%s); handlers of %s: %s",
			ErrUnknownMethod, svcMeth, svc.name, name, why, svc.name, svc.methodList())
	}
	return nil, nil, FailUnknownMethod, fmt.Errorf("%w %q; handlers of %s: %s",
		ErrUnknownMethod, svcMeth, svc.name, svc.methodList())
}

// describeLocked lists the services and their handlers. rs.mu must be held.
func (rs *Server) describeLocked() string {
	if len(rs.services) == 0 {
		return "no services"
	}
	names := make([]string, 0, len(rs.services))
	for n, s := range rs.services {
		names = append(names, n+" ("+s.methodList()+")")
	}
	sort.Strings(names)
	return "services " + strings.Join(names, ", ")
}

// Service is the set of handlers of one receiver, made by MakeService. It is safe for
// concurrent use (the handlers themselves run concurrently).
type Service struct {
	name    string
	rcvr    reflect.Value
	methods map[string]*handler
	ignored map[string]string // exported methods that are not handlers, and why
}

// handler is one RPC handler method: func (rcvr) M(args A, reply *R).
type handler struct {
	fn        reflect.Value // method value bound to the receiver
	argType   reflect.Type  // A
	argPtr    bool          // A is *T: decode into a new T and pass its pointer
	replyType reflect.Type  // R
}

// MakeService returns a service whose handlers are the exported methods of rcvr shaped
// M(args A, reply *R) with no results; A may be any type gob can decode into, pointer or
// not. Other methods are ignored (as in the course), but a call naming one reports why it
// is not a handler. The service's name is the name of rcvr's type, pointer removed.
func MakeService(rcvr interface{}) *Service {
	svc := &Service{
		rcvr:    reflect.ValueOf(rcvr),
		methods: make(map[string]*handler),
		ignored: make(map[string]string),
	}
	typ := reflect.TypeOf(rcvr)
	svc.name = reflect.Indirect(svc.rcvr).Type().Name()
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if !m.IsExported() {
			continue
		}
		mt := m.Type
		switch {
		case mt.NumIn() != 3:
			svc.ignored[m.Name] = fmt.Sprintf("it has %d parameter(s); a handler has two, args and a reply pointer", mt.NumIn()-1)
		case mt.In(2).Kind() != reflect.Pointer:
			svc.ignored[m.Name] = "its reply parameter is not a pointer"
		case mt.NumOut() != 0:
			svc.ignored[m.Name] = "it returns results"
		default:
			h := &handler{
				fn:        svc.rcvr.Method(i),
				argType:   mt.In(1),
				replyType: mt.In(2).Elem(),
			}
			h.argPtr = h.argType.Kind() == reflect.Pointer && h.argType.Elem().Kind() != reflect.Pointer
			svc.methods[m.Name] = h
		}
	}
	return svc
}

func (svc *Service) methodList() string {
	if len(svc.methods) == 0 {
		return "none"
	}
	names := make([]string, 0, len(svc.methods))
	for n := range svc.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// newArgs allocates a value to decode the args into; arg is what the handler receives.
func (h *handler) newArgs() (target, arg reflect.Value) {
	if h.argPtr {
		p := reflect.New(h.argType.Elem())
		return p, p
	}
	p := reflect.New(h.argType)
	return p, p.Elem()
}

// result is what a handler's goroutine sends back: the encoded reply or why not.
type result struct {
	buf *bytes.Buffer
	err error
}

// run calls the handler and, if ch is not nil, sends it the encoded reply. ch must have
// room for one value so that run never blocks after the handler returns.
func (h *handler) run(c *codec, arg reflect.Value, ch chan<- result) {
	reply := reflect.New(h.replyType)
	h.fn.Call([]reflect.Value{arg, reply})
	if ch == nil {
		return
	}
	buf, err := c.encodeValue(reply)
	ch <- result{buf, err}
}
