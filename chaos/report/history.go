package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
	raft "github.com/miniraft/miniraft/raft/raftpb"
)

// maxPeers bounds the peers a report draws, whatever ids a broken stream names.
const maxPeers = chaos.MaxPeers

// segment is a stretch of time in which a peer kept one role, term and state.
type segment struct {
	from, to time.Duration
	state    chaos.PeerState
	role     raft.Role
	term     int
	merged   int // how many changes were merged into it (for tiny ones); 0 for a plain one
}

// markKind is a kind of mark on a peer's lane.
type markKind uint8

const (
	markElected markKind = iota
	markRestart
	markCrash
	markSnapshot
	markInstall
	markSkew
	numMarkKinds
)

var markClass = [...]string{"elected", "restart", "crash", "snap", "install", "skew"}

// mark is something that happened at one peer at one moment.
type mark struct {
	at   time.Duration
	kind markKind
	text string
}

// point is a value at a time. gap says a new line starts at it (a boot); a negative v
// ends the line at its time (a crash).
type point struct {
	at  time.Duration
	v   int
	gap bool
}

// band is a stretch of time with a description, such as a network fault in force.
type band struct {
	from, to time.Duration
	text     string
	group    int // for a peer's network strip: its group, as chaos.NetState.Groups has it
}

// peerHist is one peer's history.
type peerHist struct {
	segs    []segment
	cur     segment
	started bool
	boots   int
	marks   []mark
	nmarks  [numMarkKinds]int // marks seen by kind, drawn or not
	commits []point
	net     []band // stretches in which the peer was cut off from some others
	netCur  band
	netOpen bool
}

// setState starts a new segment at at unless nothing changed.
func (p *peerHist) set(at time.Duration, state chaos.PeerState, role raft.Role, term int) {
	if p.started && p.cur.state == state && p.cur.role == role && p.cur.term == term {
		return
	}
	if p.started {
		p.cur.to = at
		if p.cur.to > p.cur.from {
			p.segs = append(p.segs, p.cur)
		}
	}
	p.cur = segment{from: at, state: state, role: role, term: term}
	p.started = true
}

// tell adds a key event to the story, up to MaxStory of them.
func (h *history) tell(at time.Duration, text string) {
	h.nstory++
	if h.nstory <= MaxStory {
		h.story = append(h.story, mark{at: at, text: text})
	}
}

func (p *peerHist) addMark(at time.Duration, k markKind, text string) {
	p.nmarks[k]++
	if p.nmarks[k] <= MaxMarks {
		p.marks = append(p.marks, mark{at: at, kind: k, text: text})
	}
}

// proposalStatus is what became of a client proposal.
type proposalStatus uint8

const (
	propPending   proposalStatus = iota // never resolved in the run
	propCommitted                       // applied with its command
	propLost                            // its index was applied with another command
	propRefused                         // no leader took it
)

// proposal is one client proposal and its fate, as the run model settled it.
type proposal struct {
	at     time.Duration
	status proposalStatus
	done   time.Duration // when it was applied or lost
}

// clientOp is an operation of a client of the service (the kv workload).
type clientOp struct {
	call, ret time.Duration
	status    string
	peer      int
}

// history is what a report draws over time: the timelines of what the run model holds
// (each peer's role, term and state, commits, the network's cuts and settings) and of the
// events themselves (marks, faults, steps, the story, proposals and operations), recorded
// one event at a time from the event and what the model made of it (a Recorder records a
// run as it goes; a trace is recorded at once). The run's figures are the model's. Not
// safe for concurrent use.
type history struct {
	m      *model.Run // the run model, which history follows
	n      int
	lastAt time.Duration // the time of the latest event
	peers  []*peerHist

	net      chaos.NetState
	cutFault []string          // the faults that made the cuts in force, in order
	linkSet  []string          // the link-fault keys in force, in order
	linkText map[string]string // key -> text
	cuts     []band            // stretches with some link cut
	links    []band            // stretches with lossy, slow, reordering or duplicating links
	cutCur   band
	linkCur  band

	faults []mark           // every fault applied, cluster-wide (kind unused)
	steps  []mark           // every step of the scenario that ran (kind unused)
	story  []mark           // the key events, in words (kind unused)
	nstory int              // key events seen, told or not
	props  []proposal       // settled or refused, in the order they were (thinned: see thin)
	ops    []clientOp       // the kv workload's operations, in the order they ended (thinned)
	nprops [4]int           // proposals by proposalStatus, all of them (pending at finish)
	nops   [3]int           // operations answered, timed out, unfinished, all of them
	votes  map[[2]int][]int // (candidate, term) -> voters that granted
}

// MaxSamples is how many points a history keeps of each line it draws (a peer's commit
// index, the proposals' and the operations' latencies) however long the run: beyond it
// it keeps every other point, so memory stays bounded and the lines keep their shape at
// the page's resolution. The counts it prints are of every proposal and operation.
const MaxSamples = 20000

// thin drops every other element of xs that pin does not hold on to (but the newest),
// when xs has more than MaxSamples.
func thin[T any](xs []T, pin func(T) bool) []T {
	if len(xs) <= MaxSamples {
		return xs
	}
	out := xs[:0]
	odd := false
	for i, x := range xs {
		if odd && !pin(x) && i < len(xs)-1 { // the newest always stays
			odd = false
			continue
		}
		odd = !odd
		out = append(out, x)
	}
	clear(xs[len(out):])
	return out
}

// addCommit adds a point to p's commit line.
func (p *peerHist) addCommit(pt point) {
	p.commits = thin(append(p.commits, pt), func(q point) bool { return q.gap || q.v < 0 })
}

// addProp records a proposal's fate.
func (h *history) addProp(pr proposal) {
	h.nprops[pr.status]++
	h.props = thin(append(h.props, pr), func(proposal) bool { return false })
}

// newHistory returns the history of a cluster of n peers (more are added as events name
// them) before anything happened.
func newHistory(n int, m *model.Run) *history {
	h := &history{m: m, net: chaos.NewNetState(0), linkText: map[string]string{}, votes: map[[2]int][]int{}}
	h.grow(n)
	return h
}

// grow makes room for peers 0..n-1 (at most maxPeers).
func (h *history) grow(n int) {
	n = min(n, maxPeers)
	if n <= h.n {
		return
	}
	net := chaos.NewNetState(n)
	for a := range h.n {
		copy(net.Cut[a], h.net.Cut[a])
		copy(net.Links[a], h.net.Links[a])
	}
	copy(net.Groups, h.net.Groups)
	net.Global = h.net.Global
	h.net = net
	for len(h.peers) < n {
		h.peers = append(h.peers, &peerHist{})
	}
	h.n = n
}

// fold returns the run model of a trace's events and their history, finished at end.
func fold(hd chaos.TraceHeader, n int, events []chaos.Event, end time.Duration) (*model.Run, *history) {
	in := model.InfoFromHeader(hd)
	in.Peers = n
	m := model.New(in)
	h := newHistory(n, m)
	for _, e := range events {
		h.add(e, m.Apply(e))
	}
	return m, h.finish(end)
}

// finish returns a copy of h with what is still open at end (a peer's last role, the
// network's state) closed there. The copy shares nothing that h changes later, so h may
// go on folding events while the copy is drawn; it is for drawing, not for folding more.
func (h *history) finish(end time.Duration) *history {
	c := *h
	c.m, c.votes, c.linkText = nil, nil, nil
	c.cutFault, c.linkSet = nil, nil
	c.net = h.net.Clone()
	c.peers = make([]*peerHist, len(h.peers))
	for i, p := range h.peers {
		q := *p
		q.segs, q.net = slices.Clip(p.segs), slices.Clip(p.net)
		q.marks, q.commits = slices.Clip(p.marks), slices.Clip(p.commits)
		if q.started {
			q.cur.to = max(end, q.cur.from)
			q.segs = append(q.segs, q.cur)
			q.started = false // closed: finishing the copy again adds nothing
		}
		if q.netOpen {
			q.netCur.to = max(end, q.netCur.from)
			q.net = append(q.net, q.netCur)
			q.netOpen = false
		}
		c.peers[i] = &q
	}
	c.cuts, c.links = slices.Clip(h.cuts), slices.Clip(h.links)
	if c.cutCur.text != "" {
		c.cutCur.to = max(end, c.cutCur.from)
		c.cuts = append(c.cuts, c.cutCur)
	}
	if c.linkCur.text != "" {
		c.linkCur.to = max(end, c.linkCur.from)
		c.links = append(c.links, c.linkCur)
	}
	c.cutCur, c.linkCur = band{}, band{}
	c.faults, c.steps, c.story = slices.Clip(h.faults), slices.Clip(h.steps), slices.Clip(h.story)
	c.props = slices.Clone(h.props)
	if h.m != nil {
		for _, at := range h.m.InFlight() {
			c.props = append(c.props, proposal{at: at, status: propPending})
			c.nprops[propPending]++
		}
		slices.SortStableFunc(c.props, func(a, b proposal) int { return cmp.Compare(a.at, b.at) })
	}
	c.ops = slices.Clip(h.ops)
	return &c
}

func (h *history) peer(id int) *peerHist {
	if id < 0 || id >= maxPeers {
		return nil
	}
	h.grow(id + 1)
	return h.peers[id]
}

// add records e, which the model made eff of.
func (h *history) add(e chaos.Event, eff model.Effect) {
	h.lastAt = max(h.lastAt, e.At)
	for _, st := range eff.Settled {
		pr := proposal{at: st.Proposed, done: st.Done, status: propLost}
		if st.Committed {
			pr.status = propCommitted
		}
		h.addProp(pr)
	}
	switch e.Kind {
	case chaos.EventRaft:
		if e.Raft != nil {
			h.addRaft(e.At, e.Raft)
		}
	case chaos.EventFault:
		if e.Fault != nil {
			h.addFault(e.At, *e.Fault)
		}
	case chaos.EventPropose:
		if p := e.Propose; p != nil && !p.OK && p.Source == "" {
			h.addProp(proposal{at: e.At, done: e.At, status: propRefused})
		}
	case chaos.EventViolation:
		if e.Violation != nil {
			h.tell(e.At, "VIOLATION: "+e.Violation.String())
		}
	case chaos.EventClient:
		if c := e.Client; c != nil {
			switch c.Status {
			case chaos.ClientOK:
				h.nops[0]++
			case chaos.ClientTimeout:
				h.nops[1]++
			default:
				h.nops[2]++
			}
			h.ops = thin(append(h.ops, clientOp{call: c.Call, ret: c.Return, status: c.Status, peer: c.Peer}), func(clientOp) bool { return false })
		}
	case chaos.EventExpect:
		// A failed step of the timeline is told once, by the violation that follows it.
		if !e.OK && e.Line <= 0 {
			h.tell(e.At, "FAILED: "+eventText(e))
		}
	case chaos.EventNote:
		if strings.Contains(e.Text, "skipped") {
			h.tell(e.At, eventText(e))
		}
	case chaos.EventStep:
		if e.Outcome != "" {
			break
		}
		text := e.Text
		if e.Line > 0 {
			text = fmt.Sprintf("line %d: %s", e.Line, e.Text)
		}
		h.steps = append(h.steps, mark{at: e.At, text: text})
	}
}

func (h *history) addRaft(at time.Duration, r *raft.Event) {
	p := h.peer(r.Peer)
	if p == nil {
		return
	}
	switch r.Kind {
	case raft.EventBoot:
		p.boots++
		if p.boots > 1 {
			text := fmt.Sprintf("peer %d restarted from what it saved: term %d, log through index %d, snapshot through %d",
				r.Peer, r.Term, r.LastIndex, r.Index)
			p.addMark(at, markRestart, text)
			h.tell(at, text)
		}
		p.addCommit(point{at: at, v: r.Index, gap: true})
		h.follow(at, r.Peer)
		return
	case raft.EventVote:
		if r.Granted && !r.PreVote {
			k := [2]int{r.Other, r.Index}
			h.votes[k] = append(h.votes[k], r.Peer)
		}
	case raft.EventRole:
		if r.Role == raft.Leader {
			k := [2]int{r.Peer, r.Term}
			text := fmt.Sprintf("peer %d became leader of term %d", r.Peer, r.Term)
			if v := h.votes[k]; len(v) > 0 {
				text += fmt.Sprintf(" with votes from %s (and its own)", ids(slices.Sorted(slices.Values(v))))
			}
			p.addMark(at, markElected, text)
			h.tell(at, text)
		}
	case raft.EventCommit:
		p.addCommit(point{at: at, v: r.LastIndex})
	case raft.EventSnapshot:
		p.addMark(at, markSnapshot, fmt.Sprintf("peer %d snapshotted its state through index %d (term %d) and dropped that part of its log", r.Peer, r.LastIndex, r.PrevTerm))
	case raft.EventInstallSnapshot:
		p.addMark(at, markInstall, fmt.Sprintf("peer %d installed a snapshot through index %d (term %d) sent by leader %d", r.Peer, r.LastIndex, r.PrevTerm, r.Other))
	}
	h.follow(at, r.Peer)
}

// follow starts a new segment of peer id's lane if the model's state, role or term of it
// changed.
func (h *history) follow(at time.Duration, id int) {
	if id < h.m.Info().Peers {
		st, role, term := h.m.PeerState(id)
		h.peers[id].set(at, st, role, term)
	}
}

func (h *history) addFault(at time.Duration, f chaos.Fault) {
	h.faults = append(h.faults, mark{at: at, text: f.String()})
	h.tell(at, "fault: "+f.String())
	for _, id := range f.Peers {
		p := h.peer(id)
		if p == nil {
			continue
		}
		h.follow(at, id)
		switch f.Kind {
		case chaos.Crash:
			p.addCommit(point{at: at, v: -1, gap: true})
			p.addMark(at, markCrash, fmt.Sprintf("peer %d crashed (it keeps what it saved: term, vote, log, snapshot)", id))
		case chaos.Skew:
			p.addMark(at, markSkew, fmt.Sprintf("peer %d's clock now runs at %gx", id, f.Rate))
		}
	}
	if f.Kind == chaos.Skew && len(f.Peers) == 0 {
		return
	}
	if f.Validate(h.n) != nil {
		return // a fault for another cluster size: leave the network as it was
	}
	spec, _ := f.Kind.Spec()
	switch {
	case spec.Cuts:
		h.cutFault = append(h.cutFault, f.String())
	case f.Kind == chaos.Heal:
		h.cutFault = nil
	case f.Kind == chaos.Reset:
		h.cutFault, h.linkSet = nil, nil
		clear(h.linkText)
	case spec.Args == chaos.ArgsProb || spec.Args == chaos.ArgsDelay:
		key := f.Kind.String() + " " + fmt.Sprint(f.From, f.To)
		off := spec.Args == chaos.ArgsProb && f.P == 0 || spec.Args == chaos.ArgsDelay && f.Max == 0
		h.linkSet = slices.DeleteFunc(h.linkSet, func(k string) bool { return k == key })
		delete(h.linkText, key)
		if !off {
			h.linkSet = append(h.linkSet, key)
			h.linkText[key] = f.String()
		}
	default:
		return
	}
	if n := h.m.Info().Peers; n == h.n {
		h.net = h.m.Net()
	} else {
		h.net.Apply(f)
	}
	anyCut := false
	for a := range h.n {
		for b := range h.n {
			anyCut = anyCut || h.net.Cut[a][b]
		}
	}
	cutText := ""
	if anyCut {
		cutText = strings.Join(h.cutFault, "; ")
	}
	var lt []string
	for _, k := range h.linkSet {
		lt = append(lt, h.linkText[k])
	}
	switchBand(&h.cuts, &h.cutCur, at, cutText)
	switchBand(&h.links, &h.linkCur, at, strings.Join(lt, "; "))
	for id, p := range h.peers {
		text := h.reach(id)
		if p.netOpen && p.netCur.text == text && p.netCur.group == h.net.Groups[id] {
			continue
		}
		if p.netOpen {
			p.netCur.to = at
			if p.netCur.to > p.netCur.from {
				p.net = append(p.net, p.netCur)
			}
			p.netOpen = false
		}
		if text != "" {
			p.netCur = band{from: at, text: text, group: h.net.Groups[id]}
			p.netOpen = true
		}
	}
}

// switchBand closes the open band cur (if any) at at and opens one with text (if any).
func switchBand(bands *[]band, cur *band, at time.Duration, text string) {
	if cur.text == text {
		return
	}
	if cur.text != "" {
		cur.to = at
		if cur.to > cur.from {
			*bands = append(*bands, *cur)
		}
	}
	*cur = band{from: at, text: text}
}

// reach says in words which peers id cannot talk to, or "" when it reaches everyone.
func (h *history) reach(id int) string {
	var both, out, in []int
	for q := range h.n {
		if q == id {
			continue
		}
		to, from := h.net.Cut[id][q], h.net.Cut[q][id]
		switch {
		case to && from:
			both = append(both, q)
		case to:
			out = append(out, q)
		case from:
			in = append(in, q)
		}
	}
	var parts []string
	if len(both) > 0 {
		if len(both) == h.n-1 {
			parts = append(parts, fmt.Sprintf("peer %d is cut off from every other peer", id))
		} else {
			parts = append(parts, fmt.Sprintf("peer %d is cut off from %s", id, ids(both)))
		}
	}
	if len(out) > 0 {
		parts = append(parts, fmt.Sprintf("its messages to %s are lost", ids(out)))
	}
	if len(in) > 0 {
		parts = append(parts, fmt.Sprintf("messages from %s to it are lost", ids(in)))
	}
	if len(parts) == 0 {
		return ""
	}
	if len(both) == 0 {
		parts[0] = fmt.Sprintf("peer %d: %s", id, parts[0])
	}
	return strings.Join(parts, "; ")
}
