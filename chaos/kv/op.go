// Package kv is a key-value service on MiniRaft, the client workload that drives it, and
// a linearizability checker for what its clients saw.
//
// The service is a Store per peer life (a chaos.Service): Get, Put and Append on string
// keys, applied in log order, with exactly-once writes (each client numbers its requests,
// and a table of the last request seen from each client, kept in snapshots, turns
// retries into no-ops). A Store asks Raft to compact its log once the peer's persisted
// Raft state passes a size (see chaos.StateSizer), so long runs stay bounded.
//
// The Workload runs clerks as the MIT 6.5840 kvraft clerks do: each has one request
// outstanding, sends it to the server it last found leading, and moves on to the next
// server when that one refuses (it is not the leader) or does not answer in time.
// Everything happens in cluster time, driven by the caller's goroutine calling Step, so
// the same code runs deterministically on the sim engine and in real time on the live
// one. Every operation is recorded with its invocation and response times: the history.
//
// Check decides whether a history is linearizable with porcupine (a KV model
// partitioned by key), within a time budget; when it is not, porcupine's own HTML
// visualization shows why.
package kv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OpKind is the kind of a client operation.
type OpKind uint8

// The operation kinds.
const (
	Get OpKind = iota + 1
	Put
	Append
)

var opNames = [...]string{"", "get", "put", "append"}

func (k OpKind) String() string {
	if k >= Get && k <= Append {
		return opNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// MarshalText renders k by name, for JSON.
func (k OpKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *OpKind) UnmarshalText(b []byte) error {
	for i := Get; i <= Append; i++ {
		if opNames[i] == string(b) {
			*k = i
			return nil
		}
	}
	return fmt.Errorf("unknown kv operation %q", b)
}

// Op is a client request as it travels through the Raft log. Client and Seq identify it:
// a client numbers its requests 1, 2, 3..., and retries a request with the same number.
// It is a plain value.
type Op struct {
	Kind   OpKind
	Key    string
	Value  string // the argument of Put and Append
	Client int
	Seq    int
}

// cmdPrefix starts every command the Store understands.
const cmdPrefix = "kv "

// ErrBadOp is wrapped by the errors of Op.Command.
var ErrBadOp = errors.New("bad kv operation")

// Command encodes o as a log command: a string, which Raft persists and sends cheaply and
// which reads well in traces, "kv put 3.17 k1 VALUE" (kind, client.seq, key, and for
// writes the value, which is the rest of the string). A key must be non-empty and free
// of spaces.
func (o Op) Command() (string, error) {
	if o.Kind < Get || o.Kind > Append {
		return "", fmt.Errorf("%w: kind %d", ErrBadOp, o.Kind)
	}
	if o.Key == "" || strings.ContainsAny(o.Key, " \t\n") {
		return "", fmt.Errorf("%w: key %q must be non-empty and without spaces", ErrBadOp, o.Key)
	}
	if o.Client < 0 || o.Seq < 1 {
		return "", fmt.Errorf("%w: client %d seq %d (want client >= 0, seq >= 1)", ErrBadOp, o.Client, o.Seq)
	}
	b := make([]byte, 0, 24+len(o.Key)+len(o.Value))
	b = append(b, cmdPrefix...)
	b = append(b, o.Kind.String()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(o.Client), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(o.Seq), 10)
	b = append(b, ' ')
	b = append(b, o.Key...)
	if o.Kind != Get {
		b = append(b, ' ')
		b = append(b, o.Value...)
	}
	return string(b), nil
}

// ParseCommand decodes a command made by Op.Command. It reports false for anything else,
// such as another workload's commands, which the Store applies as no-ops.
func ParseCommand(cmd interface{}) (Op, bool) {
	s, ok := cmd.(string)
	if !ok {
		return Op{}, false
	}
	rest, ok := strings.CutPrefix(s, cmdPrefix)
	if !ok {
		return Op{}, false
	}
	kind, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return Op{}, false
	}
	var o Op
	switch kind {
	case "get":
		o.Kind = Get
	case "put":
		o.Kind = Put
	case "append":
		o.Kind = Append
	default:
		return Op{}, false
	}
	id, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return Op{}, false
	}
	client, seq, ok := strings.Cut(id, ".")
	if !ok {
		return Op{}, false
	}
	c, err1 := strconv.Atoi(client)
	q, err2 := strconv.Atoi(seq)
	if err1 != nil || err2 != nil || c < 0 || q < 1 {
		return Op{}, false
	}
	o.Client, o.Seq = c, q
	if o.Kind == Get {
		o.Key = rest
	} else if o.Key, o.Value, ok = strings.Cut(rest, " "); !ok {
		return Op{}, false
	}
	if o.Key == "" || strings.ContainsAny(o.Key, " \t\n") {
		return Op{}, false
	}
	return o, true
}

func (o Op) String() string {
	switch o.Kind {
	case Get:
		return fmt.Sprintf("get(%s) [%d.%d]", o.Key, o.Client, o.Seq)
	case Put, Append:
		return fmt.Sprintf("%s(%s, %q) [%d.%d]", o.Kind, o.Key, o.Value, o.Client, o.Seq)
	}
	return fmt.Sprintf("%v(%s) [%d.%d]", o.Kind, o.Key, o.Client, o.Seq)
}
