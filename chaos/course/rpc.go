package course

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Kind is what an RPC is, as far as its method name and fields tell.
type Kind uint8

// The kinds of RPC.
const (
	// KindOther is an RPC of a method this package does not recognise.
	KindOther Kind = iota
	KindRequestVote
	KindPreVote
	KindAppendEntries
	KindInstallSnapshot
)

var kindNames = [...]string{"Other", "RequestVote", "PreVote", "AppendEntries", "InstallSnapshot"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Int is a number read from an RPC, if the RPC has the field.
type Int struct {
	V  int
	OK bool
}

// Bool is a flag read from an RPC, if the RPC has the field.
type Bool struct {
	V  bool
	OK bool
}

// RPC is what can be read of the args or the reply of a Raft RPC without knowing its
// types: the fields found by their usual names (case and underscores do not matter, and
// common alternatives are accepted: CandidateID or Candidate for CandidateId,
// ConflictTerm for XTerm, Logs for Entries...). Fields an RPC does not have are left
// !OK. Entries and Data hold lengths: the number of entries, the bytes of the snapshot.
type RPC struct {
	// Method is the labrpc method, e.g. "Raft.AppendEntries".
	Method string
	// Kind is read from the method's name (and a PreVote field that is true).
	Kind Kind
	// Reply is whether this describes a reply rather than args.
	Reply bool
	// Type is the Go type of the value, e.g. "*raft.AppendEntriesArgs".
	Type string

	Term Int

	// RequestVote.
	CandidateID, LastLogIndex, LastLogTerm Int
	PreVote                                Bool

	// AppendEntries and InstallSnapshot.
	LeaderID, PrevLogIndex, PrevLogTerm, Entries, LeaderCommit Int
	LastIncludedIndex, LastIncludedTerm, Data                  Int

	// Replies.
	VoteGranted, Success Bool
	XTerm, XIndex, XLen  Int
}

// Describe reads v, the args (reply false) or reply (reply true) of a call of method,
// by field names. v may be a struct, a pointer to one, or anything else (then only
// Method, Kind, Reply and Type are set). It is safe for concurrent use, and cheap after
// the first call for each type.
func Describe(method string, v interface{}, reply bool) RPC {
	r := RPC{Method: method, Kind: kindOfMethod(method), Reply: reply}
	if v == nil {
		return r
	}
	val := reflect.ValueOf(v)
	r.Type = val.Type().String()
	for val.Kind() == reflect.Pointer {
		if val.IsNil() {
			return r
		}
		val = val.Elem()
	}
	if val.Kind() != reflect.Struct {
		return r
	}
	for _, f := range planFor(val.Type()) {
		fv := val.FieldByIndex(f.index)
		switch f.read {
		case readInt:
			*f.intOf(&r) = Int{V: int(fv.Int()), OK: true}
		case readUint:
			*f.intOf(&r) = Int{V: int(fv.Uint()), OK: true}
		case readLen:
			*f.intOf(&r) = Int{V: fv.Len(), OK: true}
		case readBool:
			*f.boolOf(&r) = Bool{V: fv.Bool(), OK: true}
		}
	}
	if r.Kind == KindRequestVote && r.PreVote.V {
		r.Kind = KindPreVote
	}
	return r
}

// kindOfMethod reads the kind from a method name such as "Raft.RequestVote".
func kindOfMethod(method string) Kind {
	m := strings.ToLower(method[strings.LastIndexByte(method, '.')+1:])
	switch {
	case strings.Contains(m, "prevote"):
		return KindPreVote
	case strings.Contains(m, "vote"):
		return KindRequestVote
	case strings.Contains(m, "append"), strings.Contains(m, "heartbeat"):
		return KindAppendEntries
	case strings.Contains(m, "snapshot"):
		return KindInstallSnapshot
	}
	return KindOther
}

// A fieldPlan says where one recognised field of a type is and how to read it.
type fieldPlan struct {
	index  []int
	read   readKind
	intOf  func(*RPC) *Int
	boolOf func(*RPC) *Bool
}

type readKind uint8

const (
	readInt readKind = iota
	readUint
	readLen
	readBool
)

// The recognised fields, by normalised name (lower case, no underscores).
var (
	intFields = map[string]func(*RPC) *Int{
		"term": func(r *RPC) *Int { return &r.Term }, "currentterm": func(r *RPC) *Int { return &r.Term },

		"candidateid": func(r *RPC) *Int { return &r.CandidateID }, "candidate": func(r *RPC) *Int { return &r.CandidateID },
		"lastlogindex": func(r *RPC) *Int { return &r.LastLogIndex }, "lastindex": func(r *RPC) *Int { return &r.LastLogIndex },
		"lastlogterm": func(r *RPC) *Int { return &r.LastLogTerm }, "lastterm": func(r *RPC) *Int { return &r.LastLogTerm },

		"leaderid": func(r *RPC) *Int { return &r.LeaderID }, "leader": func(r *RPC) *Int { return &r.LeaderID },
		"prevlogindex": func(r *RPC) *Int { return &r.PrevLogIndex }, "previndex": func(r *RPC) *Int { return &r.PrevLogIndex },
		"prevlogterm": func(r *RPC) *Int { return &r.PrevLogTerm }, "prevterm": func(r *RPC) *Int { return &r.PrevLogTerm },
		"leadercommit": func(r *RPC) *Int { return &r.LeaderCommit }, "commitindex": func(r *RPC) *Int { return &r.LeaderCommit },
		"lastincludedindex": func(r *RPC) *Int { return &r.LastIncludedIndex }, "snapshotindex": func(r *RPC) *Int { return &r.LastIncludedIndex },
		"lastincludedterm": func(r *RPC) *Int { return &r.LastIncludedTerm }, "snapshotterm": func(r *RPC) *Int { return &r.LastIncludedTerm },

		"xterm": func(r *RPC) *Int { return &r.XTerm }, "conflictterm": func(r *RPC) *Int { return &r.XTerm },
		"xindex": func(r *RPC) *Int { return &r.XIndex }, "conflictindex": func(r *RPC) *Int { return &r.XIndex },
		"xlen": func(r *RPC) *Int { return &r.XLen }, "loglen": func(r *RPC) *Int { return &r.XLen },
	}
	lenFields = map[string]func(*RPC) *Int{
		"entries": func(r *RPC) *Int { return &r.Entries }, "logentries": func(r *RPC) *Int { return &r.Entries },
		"logs": func(r *RPC) *Int { return &r.Entries }, "log": func(r *RPC) *Int { return &r.Entries },
		"data": func(r *RPC) *Int { return &r.Data }, "snapshot": func(r *RPC) *Int { return &r.Data },
	}
	boolFields = map[string]func(*RPC) *Bool{
		"prevote":     func(r *RPC) *Bool { return &r.PreVote },
		"votegranted": func(r *RPC) *Bool { return &r.VoteGranted }, "granted": func(r *RPC) *Bool { return &r.VoteGranted },
		"success": func(r *RPC) *Bool { return &r.Success },
	}
)

var plans sync.Map // reflect.Type -> []fieldPlan

// planFor returns the recognised fields of struct type t, computed once per type. Only
// exported fields count: those are the ones labrpc carries.
func planFor(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var plan []fieldPlan
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(f.Name, "_", ""))
		k := f.Type.Kind()
		switch {
		case intFields[name] != nil && k >= reflect.Int && k <= reflect.Int64:
			plan = append(plan, fieldPlan{index: f.Index, read: readInt, intOf: intFields[name]})
		case intFields[name] != nil && k >= reflect.Uint && k <= reflect.Uint64:
			plan = append(plan, fieldPlan{index: f.Index, read: readUint, intOf: intFields[name]})
		case lenFields[name] != nil && (k == reflect.Slice || k == reflect.Array || k == reflect.String):
			plan = append(plan, fieldPlan{index: f.Index, read: readLen, intOf: lenFields[name]})
		case boolFields[name] != nil && k == reflect.Bool:
			plan = append(plan, fieldPlan{index: f.Index, read: readBool, boolOf: boolFields[name]})
		}
	}
	p, _ := plans.LoadOrStore(t, plan)
	return p.([]fieldPlan)
}

// String describes the RPC on one line, in the manner of raft.Message's String:
// "AppendEntries{term 3 leader 1 prev 5/2 n 3 commit 4}", "RequestVote reply{term 3
// granted}". Fields the RPC lacks are left out; an RPC with none of the usual fields
// shows its method and type: "Raft.Ping(*raft.PingArgs)".
func (r RPC) String() string {
	var parts []string
	add := func(format string, args ...interface{}) { parts = append(parts, fmt.Sprintf(format, args...)) }
	pair := func(label string, a, b Int) {
		switch {
		case a.OK && b.OK:
			add("%s %d/%d", label, a.V, b.V)
		case a.OK:
			add("%s %d", label, a.V)
		}
	}
	one := func(label string, a Int) {
		if a.OK {
			add("%s %d", label, a.V)
		}
	}
	one("term", r.Term)
	if r.Reply {
		if r.VoteGranted.OK {
			add("%s", map[bool]string{true: "granted", false: "refused"}[r.VoteGranted.V])
		}
		if r.Success.OK {
			add("%s", map[bool]string{true: "success", false: "failure"}[r.Success.V])
		}
		one("xterm", r.XTerm)
		one("xindex", r.XIndex)
		one("xlen", r.XLen)
	} else {
		one("candidate", r.CandidateID)
		pair("last", r.LastLogIndex, r.LastLogTerm)
		one("leader", r.LeaderID)
		pair("prev", r.PrevLogIndex, r.PrevLogTerm)
		one("n", r.Entries)
		one("commit", r.LeaderCommit)
		pair("at", r.LastIncludedIndex, r.LastIncludedTerm)
		if r.Data.OK {
			add("%d bytes", r.Data.V)
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s(%s)", r.Method, r.Type)
	}
	name := r.Kind.String()
	if r.Kind == KindOther {
		name = r.Method
	}
	if r.Reply {
		name += " reply"
	}
	return name + "{" + strings.Join(parts, " ") + "}"
}
