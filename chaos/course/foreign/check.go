package foreign

import (
	"context"
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Before the binary is built, the user's package is type-checked (with go/packages: the
// go command compiles its dependencies, go/types checks the package itself) and its API
// is compared with what the engine needs. A package that does not compile gets the
// compiler's own messages; one that compiles but lacks something gets a list of what is
// missing, each with the signature it needs; one that has everything gets an api, from
// which the adapter is generated.

// api is what the user's package offers, as the generated adapter uses it.
type api struct {
	// name describes the interface found, for people.
	name string

	// applyMsg is the ApplyMsg type of Make's channel: in the user's package, or
	// raftapi's (the 2025 layout), or MiniRaft's raft.ApplyMsg.
	applyMsg *types.TypeName
	// fields are the fields of applyMsg that the adapter copies into a raft.ApplyMsg.
	fields []string
	// snapshots is whether applyMsg has SnapshotValid.
	snapshots bool

	// raftPersister is set when Make takes MiniRaft's raft.Persister (which the 2025
	// tester's Persister is); otherwise persister is the user's own type.
	raftPersister bool
	persister     *types.TypeName
	makePersister bool // the user's package has MakePersister() *persister
	snapshotSize  bool // the user's persister has SnapshotSize() int
}

// The MiniRaft packages whose types a user's Raft meets.
const (
	labrpcPath  = miniraftModule + "/labrpc"
	raftPath    = miniraftModule + "/raft"
	raftapiPath = miniraftModule + "/chaos/course/raftapi"
)

// loadPackage type-checks the user's package in the generated module at modDir. It
// returns the package, or a *CompileError with the compiler's messages.
func loadPackage(ctx context.Context, b *builder) (*packages.Package, *token.FileSet, error) {
	fset := token.NewFileSet()
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Context: ctx,
		Dir:     b.modDir,
		Env:     b.env,
		Fset:    fset,
		Logf:    nil,
	}
	pkgs, err := packages.Load(cfg, b.plan.pkg)
	if err != nil {
		return nil, nil, fmt.Errorf("loading %s: %w", b.plan.display, err)
	}
	if len(pkgs) != 1 {
		return nil, nil, fmt.Errorf("loading %s: got %d packages", b.plan.display, len(pkgs))
	}
	pkg := pkgs[0]
	if len(pkg.Errors) > 0 || pkg.Types == nil || pkg.IllTyped {
		// The compiler says it best, and with the positions the user knows.
		out, buildErr := b.goCmd(ctx, "build", b.plan.pkg)
		if err := offline(out); err != nil {
			return nil, nil, err
		}
		if buildErr == nil {
			var msgs []string
			for _, e := range pkg.Errors {
				msgs = append(msgs, b.mapPaths(e.Error()))
			}
			return nil, nil, &CompileError{Dir: b.plan.display, Output: strings.Join(msgs, "\n") + "\n"}
		}
		return nil, nil, &CompileError{Dir: b.plan.display, Output: b.mapPaths(out)}
	}
	return pkg, fset, nil
}

// analyze compares the user's package with what the engine needs.
func analyze(pkg *types.Package, fset *token.FileSet, b *builder) (*api, []Problem) {
	a := &api{}
	var problems []Problem
	qual := func(p *types.Package) string {
		switch {
		case p == pkg:
			return ""
		case p.Path() == raftPath:
			return "tester"
		}
		return p.Name()
	}
	where := func(pos token.Pos) string {
		if !pos.IsValid() {
			return b.plan.display
		}
		return b.mapPaths(fset.Position(pos).String())
	}
	course2025 := false
	for _, imp := range pkg.Imports() {
		if imp.Path() == b.plan.module+"/raftapi" || imp.Path() == b.plan.module+"/tester1" {
			course2025 = true
		}
	}
	wantMake := "func Make(peers []*labrpc.ClientEnd, me int, persister *Persister, applyCh chan ApplyMsg) *Raft"
	if course2025 {
		wantMake = "func Make(peers []*labrpc.ClientEnd, me int, persister *tester.Persister, applyCh chan raftapi.ApplyMsg) raftapi.Raft"
	}

	fn, ok := pkg.Scope().Lookup("Make").(*types.Func)
	if !ok {
		return nil, []Problem{{b.plan.display, "missing " + wantMake}}
	}
	sig := fn.Type().(*types.Signature)
	wrongMake := func() []Problem {
		return []Problem{{where(fn.Pos()), fmt.Sprintf("Make has the wrong type\n\thave %s\n\twant %s",
			"func"+strings.TrimPrefix(types.TypeString(sig, qual), "func"), wantMake)}}
	}
	params := sig.Params()
	if params.Len() != 4 || sig.Results().Len() != 1 || sig.Variadic() || sig.TypeParams() != nil {
		return nil, wrongMake()
	}
	if !isClientEnds(params.At(0).Type()) || !types.Identical(params.At(1).Type(), types.Typ[types.Int]) {
		return nil, wrongMake()
	}

	// The persister.
	ptr, ok := params.At(2).Type().(*types.Pointer)
	var ps *types.TypeName
	if ok {
		if named, ok := types.Unalias(ptr.Elem()).(*types.Named); ok {
			ps = named.Obj()
		}
	}
	switch {
	case ps == nil:
		return nil, wrongMake()
	case ps.Pkg() != nil && ps.Pkg().Path() == raftPath && ps.Name() == "Persister":
		a.raftPersister = true
	case ps.Pkg() == pkg:
		a.persister = ps
		problems = append(problems, checkPersister(pkg, ps, qual, where)...)
		a.makePersister = hasFunc(pkg, "MakePersister", types.NewSignatureType(nil, nil, nil, nil, tuple(types.NewPointer(ps.Type())), false))
		a.snapshotSize = hasMethod(ptr, "SnapshotSize", sigOf(nil, tuple(types.Typ[types.Int])))
	default:
		return nil, wrongMake()
	}

	// ApplyMsg.
	ch, ok := params.At(3).Type().(*types.Chan)
	if !ok || ch.Dir() == types.RecvOnly {
		return nil, wrongMake()
	}
	msg, ok := types.Unalias(ch.Elem()).(*types.Named)
	if !ok {
		return nil, wrongMake()
	}
	a.applyMsg = msg.Obj()
	more, fields, snapshots := checkApplyMsg(msg, qual, where)
	problems = append(problems, more...)
	a.fields, a.snapshots = fields, snapshots

	// The peer Make returns.
	problems = append(problems, checkPeer(sig.Results().At(0).Type(), fn, qual, where)...)

	switch {
	case b.plan.self:
		a.name = "MiniRaft's own raft package"
	case course2025:
		a.name = "the 6.5840 interface from 2025 (raftapi, tester1)"
	case hasMethod(sig.Results().At(0).Type(), "CondInstallSnapshot", condInstallSig()):
		a.name = "the 6.824 interface of 2021-2022 (CondInstallSnapshot)"
	default:
		a.name = "the 6.824/6.5840 interface of 2020-2024"
	}
	return a, problems
}

// isClientEnds reports whether t is []*labrpc.ClientEnd.
func isClientEnds(t types.Type) bool {
	s, ok := t.(*types.Slice)
	if !ok {
		return false
	}
	p, ok := s.Elem().(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Name() == "ClientEnd" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == labrpcPath
}

// method is a method the engine needs, with its signature.
type method struct {
	name string
	sig  *types.Signature
	text string // as people write it
}

func tuple(ts ...types.Type) *types.Tuple {
	vars := make([]*types.Var, len(ts))
	for i, t := range ts {
		vars[i] = types.NewParam(token.NoPos, nil, "", t)
	}
	return types.NewTuple(vars...)
}

func sigOf(params, results *types.Tuple) *types.Signature {
	return types.NewSignatureType(nil, nil, nil, params, results, false)
}

var (
	anyType   = types.NewInterfaceType(nil, nil).Complete()
	intType   = types.Typ[types.Int]
	boolType  = types.Typ[types.Bool]
	bytesType = types.NewSlice(types.Typ[types.Byte])
)

func condInstallSig() *types.Signature {
	return sigOf(tuple(intType, intType, bytesType), tuple(boolType))
}

// peerMethods are the methods of course.Peer.
func peerMethods() []method {
	return []method{
		{"Start", sigOf(tuple(anyType), tuple(intType, intType, boolType)), "Start(command interface{}) (int, int, bool)"},
		{"GetState", sigOf(nil, tuple(intType, boolType)), "GetState() (int, bool)"},
		{"Snapshot", sigOf(tuple(intType, bytesType), nil), "Snapshot(index int, snapshot []byte)"},
		{"Kill", sigOf(nil, nil), "Kill()"},
	}
}

// checkPeer checks that t, the type Make returns, has the methods of course.Peer.
func checkPeer(t types.Type, mk *types.Func, qual types.Qualifier, where func(token.Pos) string) []Problem {
	pos := mk.Pos()
	if n, ok := types.Unalias(t).(*types.Named); ok {
		pos = n.Obj().Pos()
	} else if p, ok := t.(*types.Pointer); ok {
		if n, ok := types.Unalias(p.Elem()).(*types.Named); ok {
			pos = n.Obj().Pos()
		}
	}
	return checkMethods(t, peerMethods(), pos, qual, where)
}

// checkMethods checks that t has each of ms.
func checkMethods(t types.Type, ms []method, pos token.Pos, qual types.Qualifier, where func(token.Pos) string) []Problem {
	var problems []Problem
	for _, m := range ms {
		obj, _, _ := types.LookupFieldOrMethod(t, false, nil, m.name)
		f, ok := obj.(*types.Func)
		switch {
		case obj == nil:
			problems = append(problems, Problem{where(pos), fmt.Sprintf("%s lacks method %s", types.TypeString(t, qual), m.text)})
		case !ok:
			problems = append(problems, Problem{where(obj.Pos()), fmt.Sprintf("%s.%s is a field, want method %s", types.TypeString(t, qual), m.name, m.text)})
		case !types.Identical(dropRecv(f.Type().(*types.Signature)), m.sig):
			problems = append(problems, Problem{where(f.Pos()), fmt.Sprintf("method %s has the wrong type\n\thave %s%s\n\twant %s",
				m.name, m.name, strings.TrimPrefix(types.TypeString(dropRecv(f.Type().(*types.Signature)), qual), "func"), m.text)})
		}
	}
	return problems
}

func dropRecv(s *types.Signature) *types.Signature {
	return types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic())
}

func hasMethod(t types.Type, name string, sig *types.Signature) bool {
	obj, _, _ := types.LookupFieldOrMethod(t, false, nil, name)
	f, ok := obj.(*types.Func)
	return ok && types.Identical(dropRecv(f.Type().(*types.Signature)), sig)
}

func hasFunc(pkg *types.Package, name string, sig *types.Signature) bool {
	f, ok := pkg.Scope().Lookup(name).(*types.Func)
	return ok && types.Identical(f.Type(), sig)
}

// checkPersister checks the user's own Persister type: what the course's tester uses.
func checkPersister(pkg *types.Package, ps *types.TypeName, qual types.Qualifier, where func(token.Pos) string) []Problem {
	ptr := types.NewPointer(ps.Type())
	return checkMethods(ptr, []method{
		{"ReadRaftState", sigOf(nil, tuple(bytesType)), "ReadRaftState() []byte"},
		{"ReadSnapshot", sigOf(nil, tuple(bytesType)), "ReadSnapshot() []byte"},
		{"RaftStateSize", sigOf(nil, tuple(intType)), "RaftStateSize() int"},
		{"Copy", sigOf(nil, tuple(ptr)), fmt.Sprintf("Copy() *%s", ps.Name())},
	}, ps.Pos(), qual, where)
}

// applyFields are the fields of ApplyMsg the engine reads: the first three are needed.
var applyFields = []struct {
	name     string
	typ      types.Type
	required bool
}{
	{"CommandValid", boolType, true},
	{"Command", anyType, true},
	{"CommandIndex", intType, true},
	{"SnapshotValid", boolType, false},
	{"Snapshot", bytesType, false},
	{"SnapshotTerm", intType, false},
	{"SnapshotIndex", intType, false},
	{"CommandTerm", intType, false},
}

// checkApplyMsg checks the fields of the ApplyMsg type and returns those to copy.
func checkApplyMsg(msg *types.Named, qual types.Qualifier, where func(token.Pos) string) (problems []Problem, fields []string, snapshots bool) {
	st, ok := msg.Underlying().(*types.Struct)
	if !ok {
		return []Problem{{where(msg.Obj().Pos()), fmt.Sprintf("%s is %s, want a struct with fields CommandValid bool, Command interface{}, CommandIndex int", msg.Obj().Name(), types.TypeString(msg.Underlying(), qual))}}, nil, false
	}
	have := map[string]*types.Var{}
	for i := 0; i < st.NumFields(); i++ {
		have[st.Field(i).Name()] = st.Field(i)
	}
	for _, f := range applyFields {
		v := have[f.name]
		switch {
		case v == nil && f.required:
			problems = append(problems, Problem{where(msg.Obj().Pos()), fmt.Sprintf("%s lacks field %s %s", msg.Obj().Name(), f.name, types.TypeString(f.typ, qual))})
		case v == nil:
		case !types.Identical(v.Type(), f.typ):
			problems = append(problems, Problem{where(v.Pos()), fmt.Sprintf("%s.%s has type %s, want %s", msg.Obj().Name(), f.name, types.TypeString(v.Type(), qual), types.TypeString(f.typ, qual))})
		default:
			fields = append(fields, f.name)
			snapshots = snapshots || f.name == "SnapshotValid"
		}
	}
	return problems, fields, snapshots
}

// offline returns an error that says what to do if out, the go command's output, says
// a module is missing from the module cache: the build runs offline.
func offline(out string) error {
	if !strings.Contains(out, "GOPROXY=off") {
		return nil
	}
	return fmt.Errorf("a module is missing from your module cache (go env GOMODCACHE), and --raft builds offline: "+
		"fetch MiniRaft's modules (go mod download in its checkout, or go install it again) and those your go.mod requires, then run again\n%s", strings.TrimRight(out, "\n"))
}

// CompileError is the error of a package that does not compile: the compiler's output,
// with the user's file names.
type CompileError struct {
	Dir    string
	Output string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("the Raft in %s does not compile:\n%s", e.Dir, strings.TrimRight(e.Output, "\n"))
}

// mapPaths rewrites the paths of files in the generated module, as the go command and
// go/types print them, to the user's own.
func (b *builder) mapPaths(s string) string {
	if b.plan.self {
		return s
	}
	type dirMap struct{ gen, rel, user string }
	var dirs []dirMap
	for _, c := range b.plan.copies {
		sep := string(filepath.Separator)
		dirs = append(dirs, dirMap{
			gen:  filepath.Join(b.modDir, filepath.FromSlash(c.rel)) + sep,
			rel:  filepath.FromSlash(c.rel) + sep,
			user: displayPath(c.src) + sep,
		})
	}
	// Longest first, so that a subpackage's directory wins over its parent's.
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i].rel) > len(dirs[j].rel) })
	lines := strings.SplitAfter(s, "\n")
	for i, line := range lines {
		for _, d := range dirs {
			line = strings.ReplaceAll(line, d.gen, d.user)
		}
		// The go command prints paths relative to its directory, the module's root.
		trimmed := strings.TrimLeft(line, " \t")
		indent := line[:len(line)-len(trimmed)]
		trimmed = strings.TrimPrefix(trimmed, "."+string(filepath.Separator))
		for _, d := range dirs {
			if rest, ok := strings.CutPrefix(trimmed, d.rel); ok {
				line = indent + d.user + rest
				break
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "")
}
