package chaos

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/miniraft/miniraft/raft/raftpb"
)

// MsgKind says what an RPC message of Raft's is. It is a plain value.
type MsgKind uint8

// The message kinds. MsgOther is a message the describer does not recognise.
const (
	MsgOther MsgKind = iota
	// MsgVote is a RequestVote; MsgPreVote one with its pre-vote flag set.
	MsgVote
	MsgPreVote
	// MsgAppend is an AppendEntries carrying entries; MsgHeartbeat one carrying none.
	MsgAppend
	MsgHeartbeat
	// MsgSnapshot is an InstallSnapshot.
	MsgSnapshot
	// The replies, named after the request they answer.
	MsgVoteReply
	MsgPreVoteReply
	MsgAppendReply
	MsgHeartbeatReply
	MsgSnapshotReply
)

var msgKindNames = [...]string{"other", "vote", "prevote", "append", "heartbeat", "snapshot",
	"vote-reply", "prevote-reply", "append-reply", "heartbeat-reply", "snapshot-reply"}

func (k MsgKind) String() string {
	if int(k) < len(msgKindNames) {
		return msgKindNames[k]
	}
	return fmt.Sprintf("MsgKind(%d)", k)
}

// Reply returns the kind of the reply to a request of kind k (MsgOther for a reply).
func (k MsgKind) Reply() MsgKind {
	if k >= MsgVote && k <= MsgSnapshot {
		return k + MsgVoteReply - MsgVote
	}
	return MsgOther
}

// IsReply reports whether k is a reply kind.
func (k MsgKind) IsReply() bool { return k >= MsgVoteReply && k < MsgKind(len(msgKindNames)) }

// MarshalText renders k by name, for traces.
func (k MsgKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (k *MsgKind) UnmarshalText(b []byte) error {
	for i, n := range msgKindNames {
		if n == string(b) {
			*k = MsgKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown message kind %q", b)
}

// Msg is what a person or a checker needs of one RPC message, a request or a reply,
// whichever Raft sent it: its kind and the fields of Raft's messages (Figure 2 and
// section 7 of the Raft paper, and the usual conflict hints of a rejected append) that
// say what it carries. Fields the message does not have are zero. It is a plain value.
type Msg struct {
	Kind MsgKind `json:"kind"`
	Term int     `json:"term"`

	// A vote request's candidate log: the index and term of its last entry.
	LastLogIndex int `json:"last_log_index,omitempty"`
	LastLogTerm  int `json:"last_log_term,omitempty"`
	// An append request: the entry it follows, how many entries it carries, and the
	// leader's commit index.
	PrevLogIndex int `json:"prev_log_index,omitempty"`
	PrevLogTerm  int `json:"prev_log_term,omitempty"`
	Entries      int `json:"entries,omitempty"`
	Commit       int `json:"commit,omitempty"`
	// A snapshot: the last index and term it includes, and its size in bytes.
	SnapshotIndex int `json:"snapshot_index,omitempty"`
	SnapshotTerm  int `json:"snapshot_term,omitempty"`
	SnapshotBytes int `json:"snapshot_bytes,omitempty"`

	// A vote reply's verdict; an append reply's, and on a rejection the follower's hint
	// (the term of its conflicting entry, the first index of that term, its log's
	// length, as the peer reports them; MiniRaft sends no length).
	Granted       bool `json:"granted,omitempty"`
	Success       bool `json:"success,omitempty"`
	ConflictTerm  int  `json:"conflict_term,omitempty"`
	ConflictIndex int  `json:"conflict_index,omitempty"`
	ConflictLen   int  `json:"conflict_len,omitempty"`
}

func (m Msg) String() string {
	s := fmt.Sprintf("%s t%d", m.Kind, m.Term)
	switch m.Kind {
	case MsgVote, MsgPreVote:
		s += fmt.Sprintf(" last %d/%d", m.LastLogIndex, m.LastLogTerm)
	case MsgAppend, MsgHeartbeat:
		s += fmt.Sprintf(" prev %d/%d", m.PrevLogIndex, m.PrevLogTerm)
		if m.Entries > 0 {
			s += fmt.Sprintf(" n %d", m.Entries)
		}
		s += fmt.Sprintf(" commit %d", m.Commit)
	case MsgSnapshot:
		s += fmt.Sprintf(" through %d/%d, %d bytes", m.SnapshotIndex, m.SnapshotTerm, m.SnapshotBytes)
	case MsgVoteReply, MsgPreVoteReply:
		if m.Granted {
			s += " granted"
		} else {
			s += " denied"
		}
	case MsgAppendReply, MsgHeartbeatReply:
		if m.Success {
			s += " ok"
		} else {
			s += fmt.Sprintf(" rejected (conflict term %d at %d", m.ConflictTerm, m.ConflictIndex)
			if m.ConflictLen != 0 {
				s += fmt.Sprintf(", length %d", m.ConflictLen)
			}
			s += ")"
		}
	}
	return s
}

// DescribeRequest describes args, the request of an RPC to method ("Raft.AppendEntries"
// and so on, as labrpc names them). MiniRaft's own types are read directly; any other
// Raft's by reflection over the field names course Rafts use (Term, CandidateId,
// LastLogIndex, LeaderId, PrevLogIndex, Entries, LeaderCommit, LastIncludedIndex, Data
// and their usual spellings), so every engine describes every Raft's messages alike.
// It returns nil for a nil args. It only reads args, and is safe for concurrent use.
func DescribeRequest(method string, args interface{}) *Msg {
	switch a := args.(type) {
	case nil:
		return nil
	case *raftpb.RequestVoteArgs:
		return voteMsg(a)
	case *raftpb.AppendEntriesArgs:
		return appendMsg(a)
	case *raftpb.InstallSnapshotArgs:
		return snapshotMsg(a)
	case raftpb.RequestVoteArgs:
		return voteMsg(&a)
	case raftpb.AppendEntriesArgs:
		return appendMsg(&a)
	case raftpb.InstallSnapshotArgs:
		return snapshotMsg(&a)
	}
	return reflectRequest(method, args)
}

// DescribeReply describes reply, the answer to args of an RPC to method (see
// DescribeRequest); its kind is the reply to the request's. It returns nil for a nil
// reply.
func DescribeReply(method string, args, reply interface{}) *Msg {
	kind := MsgOther
	if req := DescribeRequest(method, args); req != nil {
		kind = req.Kind.Reply()
	}
	switch r := reply.(type) {
	case nil:
		return nil
	case *raftpb.RequestVoteReply:
		return &Msg{Kind: kind, Term: r.Term, Granted: r.VoteGranted}
	case *raftpb.AppendEntriesReply:
		m := &Msg{Kind: kind, Term: r.Term, Success: r.Success}
		if !r.Success {
			m.ConflictTerm, m.ConflictIndex = r.ConflictTerm, r.ConflictIndex
		}
		return m
	case *raftpb.InstallSnapshotReply:
		return &Msg{Kind: kind, Term: r.Term}
	}
	return reflectReply(kind, reply)
}

func voteMsg(a *raftpb.RequestVoteArgs) *Msg {
	m := &Msg{Kind: MsgVote, Term: a.Term, LastLogIndex: a.LastLogIndex, LastLogTerm: a.LastLogTerm}
	if a.PreVote {
		m.Kind = MsgPreVote
	}
	return m
}

func appendMsg(a *raftpb.AppendEntriesArgs) *Msg {
	m := &Msg{Kind: MsgAppend, Term: a.Term, PrevLogIndex: a.PrevLogIndex, PrevLogTerm: a.PrevLogTerm,
		Entries: len(a.Entries), Commit: a.LeaderCommit}
	if m.Entries == 0 {
		m.Kind = MsgHeartbeat
	}
	return m
}

func snapshotMsg(a *raftpb.InstallSnapshotArgs) *Msg {
	return &Msg{Kind: MsgSnapshot, Term: a.Term, SnapshotIndex: a.LastIncludedIndex,
		SnapshotTerm: a.LastIncludedTerm, SnapshotBytes: len(a.Data)}
}

// ---- Other Rafts' messages, by field name --------------------------------------------------

// The fields the describer reads, each under the names course Rafts give it (compared in
// lower case, without underscores).
const (
	fTerm = iota
	fCandidate
	fPreVote
	fLastLogIndex
	fLastLogTerm
	fLeader
	fPrevLogIndex
	fPrevLogTerm
	fEntries
	fCommit
	fSnapIndex
	fSnapTerm
	fData
	fGranted
	fSuccess
	fConflictTerm
	fConflictIndex
	fConflictLen
	numFields
)

var fieldNames = [numFields][]string{
	fTerm:          {"term", "currentterm"},
	fCandidate:     {"candidateid", "candidate", "candidateidx"},
	fPreVote:       {"prevote", "isprevote"},
	fLastLogIndex:  {"lastlogindex", "lastlogidx", "lastindex"},
	fLastLogTerm:   {"lastlogterm", "lastterm"},
	fLeader:        {"leaderid", "leader"},
	fPrevLogIndex:  {"prevlogindex", "prevlogidx", "previndex"},
	fPrevLogTerm:   {"prevlogterm", "prevterm"},
	fEntries:       {"entries", "logs", "log", "entry"},
	fCommit:        {"leadercommit", "commitindex", "leadercommitindex", "commit"},
	fSnapIndex:     {"lastincludedindex", "snapshotindex", "lastincludedidx"},
	fSnapTerm:      {"lastincludedterm", "snapshotterm"},
	fData:          {"data", "snapshot", "snapshotdata"},
	fGranted:       {"votegranted", "granted"},
	fSuccess:       {"success", "ok"},
	fConflictTerm:  {"conflictterm", "xterm"},
	fConflictIndex: {"conflictindex", "xindex", "conflictfirstindex"},
	fConflictLen:   {"conflictlen", "xlen", "loglen", "loglength"},
}

// fieldSet is where a struct type keeps each field the describer reads: its index, or
// nil when it has none.
type fieldSet [numFields][]int

var fieldSets sync.Map // reflect.Type -> *fieldSet

// fieldsOf returns the fields of struct type t, finding them once per type.
func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := fieldSets.Load(t); ok {
		return fs.(*fieldSet)
	}
	var fs fieldSet
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := strings.ToLower(strings.ReplaceAll(sf.Name, "_", ""))
		for f, names := range fieldNames {
			for _, n := range names {
				if n == name && fs[f] == nil {
					fs[f] = sf.Index
				}
			}
		}
	}
	got, _ := fieldSets.LoadOrStore(t, &fs)
	return got.(*fieldSet)
}

// structOf returns the struct v holds (through pointers), if it holds one.
func structOf(v interface{}) (reflect.Value, bool) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return rv, false
		}
		rv = rv.Elem()
	}
	return rv, rv.Kind() == reflect.Struct
}

// intField returns the integer field f of sv, or 0.
func (fs *fieldSet) intField(sv reflect.Value, f int) int {
	if fs[f] == nil {
		return 0
	}
	v := sv.FieldByIndex(fs[f])
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(v.Uint())
	}
	return 0
}

// boolField returns the boolean field f of sv, or false.
func (fs *fieldSet) boolField(sv reflect.Value, f int) bool {
	if fs[f] == nil {
		return false
	}
	v := sv.FieldByIndex(fs[f])
	return v.Kind() == reflect.Bool && v.Bool()
}

// lenField returns the length of the slice, array, map or string field f of sv, or 0.
func (fs *fieldSet) lenField(sv reflect.Value, f int) int {
	if fs[f] == nil {
		return 0
	}
	switch v := sv.FieldByIndex(fs[f]); v.Kind() {
	case reflect.Slice, reflect.Array, reflect.String, reflect.Map:
		return v.Len()
	}
	return 0
}

// has reports whether the type has field f.
func (fs *fieldSet) has(f int) bool { return fs[f] != nil }

// requestKind says what a request is, by its method's name or else by its fields.
func requestKind(method string, fs *fieldSet) MsgKind {
	name := method[strings.LastIndexByte(method, '.')+1:]
	switch {
	case strings.Contains(name, "PreVote"):
		return MsgPreVote
	case strings.Contains(name, "Vote"):
		return MsgVote
	case strings.Contains(name, "Append") || strings.Contains(name, "Heartbeat"):
		return MsgAppend
	case strings.Contains(name, "Snapshot"):
		return MsgSnapshot
	case fs.has(fSnapIndex):
		return MsgSnapshot
	case fs.has(fPrevLogIndex) || fs.has(fLeader) && fs.has(fEntries):
		return MsgAppend
	case fs.has(fCandidate) || fs.has(fLastLogIndex):
		return MsgVote
	}
	return MsgOther
}

func reflectRequest(method string, args interface{}) *Msg {
	sv, ok := structOf(args)
	if !ok {
		return &Msg{Kind: requestKind(method, &fieldSet{})}
	}
	fs := fieldsOf(sv.Type())
	m := &Msg{Kind: requestKind(method, fs), Term: fs.intField(sv, fTerm)}
	switch m.Kind {
	case MsgVote, MsgPreVote:
		m.LastLogIndex, m.LastLogTerm = fs.intField(sv, fLastLogIndex), fs.intField(sv, fLastLogTerm)
		if fs.boolField(sv, fPreVote) {
			m.Kind = MsgPreVote
		}
	case MsgAppend:
		m.PrevLogIndex, m.PrevLogTerm = fs.intField(sv, fPrevLogIndex), fs.intField(sv, fPrevLogTerm)
		m.Entries, m.Commit = fs.lenField(sv, fEntries), fs.intField(sv, fCommit)
		if m.Entries == 0 {
			m.Kind = MsgHeartbeat
		}
	case MsgSnapshot:
		m.SnapshotIndex, m.SnapshotTerm = fs.intField(sv, fSnapIndex), fs.intField(sv, fSnapTerm)
		m.SnapshotBytes = fs.lenField(sv, fData)
	}
	return m
}

func reflectReply(kind MsgKind, reply interface{}) *Msg {
	m := &Msg{Kind: kind}
	sv, ok := structOf(reply)
	if !ok {
		return m
	}
	fs := fieldsOf(sv.Type())
	m.Term = fs.intField(sv, fTerm)
	if m.Kind == MsgOther {
		// A reply to a request the describer did not recognise: go by its fields.
		switch {
		case fs.has(fGranted):
			m.Kind = MsgVoteReply
		case fs.has(fSuccess):
			m.Kind = MsgAppendReply
		}
	}
	switch m.Kind {
	case MsgVoteReply, MsgPreVoteReply:
		m.Granted = fs.boolField(sv, fGranted)
	case MsgAppendReply, MsgHeartbeatReply:
		m.Success = fs.boolField(sv, fSuccess)
		if !m.Success {
			m.ConflictTerm, m.ConflictIndex = fs.intField(sv, fConflictTerm), fs.intField(sv, fConflictIndex)
			m.ConflictLen = fs.intField(sv, fConflictLen)
		}
	}
	return m
}
