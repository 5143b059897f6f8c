package scenario

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/raft"
)

// cluster returns the statuses of n peers: leader leads at term 3 (none if raft.None),
// the others follow it, and the peers in crashed are crashed.
func cluster(n, leader int, crashed ...int) []chaos.PeerStatus {
	ps := make([]chaos.PeerStatus, n)
	for i := range ps {
		ps[i].ID = i
		ps[i].Term = 3
		ps[i].Leader = leader
		if i == leader {
			ps[i].Role = raft.Leader
		}
		if slices.Contains(crashed, i) {
			ps[i].State = chaos.Crashed
		}
	}
	return ps
}

func mustCommand(t *testing.T, line string) FaultCmd {
	t.Helper()
	c, err := ParseCommand(line)
	if err != nil {
		t.Fatalf("ParseCommand(%q): %v", line, err)
	}
	f, ok := c.(FaultCmd)
	if !ok {
		t.Fatalf("ParseCommand(%q) = %T, want FaultCmd", line, c)
	}
	return f
}

func TestResolve(t *testing.T) {
	peers := cluster(5, 2, 4)
	tests := []struct {
		line string
		want chaos.Fault
	}{
		{"crash leader", chaos.Fault{Kind: chaos.Crash, Peers: []int{2}}},
		{"crash 3,0", chaos.Fault{Kind: chaos.Crash, Peers: []int{0, 3}}},
		{"restart crashed", chaos.Fault{Kind: chaos.Restart, Peers: []int{4}}},
		{"resume all", chaos.Fault{Kind: chaos.Resume, Peers: []int{0, 1, 2, 3, 4}}},
		{"pause followers", chaos.Fault{Kind: chaos.Pause, Peers: []int{0, 1, 3, 4}}},
		{"partition leader | others", chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{2}, {0, 1, 3, 4}}}},
		{"partition 0 | 1 | others", chaos.Fault{Kind: chaos.Partition, Groups: [][]int{{0}, {1}, {2, 3, 4}}}},
		{"bridge 0,1 - leader - others", chaos.Fault{Kind: chaos.Bridge, Groups: [][]int{{0, 1}, {2}, {3, 4}}}},
		{"cut leader -> others", chaos.Fault{Kind: chaos.Cut, From: []int{2}, To: []int{0, 1, 3, 4}}},
		{"heal", chaos.Fault{Kind: chaos.Heal}},
		{"reset", chaos.Fault{Kind: chaos.Reset}},
		{"loss 10%", chaos.Fault{Kind: chaos.Loss, P: 0.1}},
		{"loss 10% leader -> followers", chaos.Fault{Kind: chaos.Loss, P: 0.1, From: []int{2}, To: []int{0, 1, 3, 4}}},
		{"delay 5ms-50ms", chaos.Fault{Kind: chaos.Delay, Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}},
		{"reorder 50% 0 -> 1", chaos.Fault{Kind: chaos.Reorder, P: 0.5, From: []int{0}, To: []int{1}}},
		{"duplicate 1%", chaos.Fault{Kind: chaos.Duplicate, P: 0.01}},
		{"skew leader 2x", chaos.Fault{Kind: chaos.Skew, Peers: []int{2}, Rate: 2}},
	}
	for _, tt := range tests {
		got, err := mustCommand(t, tt.line).Resolve(peers, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// Random selectors pick what they promise, and "others" takes the rest.
func TestResolveRandom(t *testing.T) {
	peers := cluster(5, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		f, err := mustCommand(t, "bridge minority - leader - others").Resolve(peers, rng)
		if err != nil {
			t.Fatal(err)
		}
		a, m, b := f.Groups[0], f.Groups[1], f.Groups[2]
		if len(a) != 2 || !reflect.DeepEqual(m, []int{2}) || len(b) != 2 || slices.Contains(a, 2) {
			t.Fatalf("bridge = %v", f.Groups)
		}
		if all := slices.Sorted(slices.Values(append(append(slices.Clone(a), m...), b...))); !reflect.DeepEqual(all, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("bridge groups %v do not cover the cluster", f.Groups)
		}
		f, err = mustCommand(t, "cut majority -> others").Resolve(peers, rng)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.From) != 3 || !slices.Contains(f.From, 2) || len(f.To) != 2 {
			t.Fatalf("cut = %v -> %v", f.From, f.To)
		}
		f, err = mustCommand(t, "skew follower 0.5").Resolve(peers, rng)
		if err != nil || len(f.Peers) != 1 || f.Peers[0] == 2 {
			t.Fatalf("skew follower = %v, %v", f.Peers, err)
		}
	}
	// The same seed gives the same picks; a nil rng works.
	c := mustCommand(t, "isolate random")
	f1, _ := c.Resolve(peers, rand.New(rand.NewPCG(9, 9)))
	f2, _ := c.Resolve(peers, rand.New(rand.NewPCG(9, 9)))
	if !reflect.DeepEqual(f1, f2) {
		t.Errorf("same seed, different picks: %v, %v", f1, f2)
	}
	if _, err := c.Resolve(peers, nil); err != nil {
		t.Errorf("Resolve with nil rng: %v", err)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		line    string
		peers   []chaos.PeerStatus
		want    string
		noLeadr bool
	}{
		{"crash leader", cluster(5, raft.None), `crash leader: "leader": no leader`, true},
		{"partition leader | others", cluster(3, raft.None), `partition leader | others: "leader": no leader`, true},
		{"crash 5", cluster(5, 0), `crash 5: "5": peer 5 does not exist (peers are 0..4)`, false},
		{"partition leader | majority", cluster(5, 0), `partition leader | majority: partition: peer 0 given twice`, false},
		{"loss 10% all -> others", cluster(3, 0), `loss 10% all -> others: no links: a side picks no peer`, false},
	}
	for _, tt := range tests {
		_, err := mustCommand(t, tt.line).Resolve(tt.peers, nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Resolve(%q) error = %v, want %s", tt.line, err, tt.want)
			continue
		}
		if got := errors.Is(err, chaos.ErrNoLeader); got != tt.noLeadr {
			t.Errorf("Resolve(%q): errors.Is(ErrNoLeader) = %v", tt.line, got)
		}
	}
	// A bridge whose middle is a single-peer selector always resolves to one peer; one
	// built in code with a wider middle is refused.
	c := FaultCmd{Kind: chaos.Bridge, Groups: []Sel{ids(0), role(chaos.SelAll), ids(1)}}
	if _, err := c.Resolve(cluster(3, 0), nil); err == nil || !strings.Contains(err.Error(), "middle") {
		t.Errorf("wide middle: %v", err)
	}
	// An empty group is not an error for cut and restart: it changes nothing.
	if f, err := mustCommand(t, "restart crashed").Resolve(cluster(3, 0), nil); err != nil || len(f.Peers) != 0 {
		t.Errorf("restart crashed with none crashed = %v, %v", f, err)
	}
}

// Fault.String renders a concrete fault in the language: parsing and resolving it gives
// the fault back.
func TestFaultStringParses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	peers := cluster(7, 0)
	sub := func() []int {
		return slices.Sorted(slices.Values(rng.Perm(7)[:1+rng.IntN(3)]))
	}
	for i := range 2000 {
		k := chaos.FaultKind(1 + rng.IntN(int(chaos.Reset)))
		f := chaos.Fault{Kind: k}
		switch k {
		case chaos.Crash, chaos.Restart, chaos.Pause, chaos.Resume, chaos.Isolate:
			f.Peers = sub()
		case chaos.Skew:
			f.Peers = sub()
			f.Rate = float64(1+rng.IntN(1000)) / 100
		case chaos.Partition:
			perm := rng.Perm(7)
			cut := 1 + rng.IntN(6)
			a, b := slices.Sorted(slices.Values(perm[:cut])), slices.Sorted(slices.Values(perm[cut:]))
			f.Groups = [][]int{a, b}
		case chaos.Bridge:
			perm := rng.Perm(7)
			f.Groups = [][]int{slices.Sorted(slices.Values(perm[:2])), {perm[2]}, slices.Sorted(slices.Values(perm[3:]))}
		case chaos.Cut:
			f.From, f.To = sub(), sub()
		case chaos.Loss, chaos.Reorder, chaos.Duplicate:
			f.P = float64(rng.IntN(1001)) / 1000
			if i%2 == 0 {
				f.From, f.To = sub(), sub()
			}
		case chaos.Delay:
			f.Min = time.Duration(rng.IntN(100)) * time.Millisecond
			f.Max = f.Min + time.Duration(rng.IntN(1000))*time.Microsecond
			if i%2 == 0 {
				f.From, f.To = sub(), sub()
			}
		}
		c, err := ParseCommand(f.String())
		if err != nil {
			t.Fatalf("ParseCommand(%q): %v", f.String(), err)
		}
		got, err := c.(FaultCmd).Resolve(peers, rng)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", f.String(), err)
		}
		// Fault.String prints P*100 with %g, which can be off by a rounding error
		// (0.356*100 prints as 35.599999999999994); Format prints exact percentages.
		if math.Abs(got.P-f.P) > 1e-15 {
			t.Fatalf("ParseCommand(%q).P = %v, want %v", f.String(), got.P, f.P)
		}
		got.P = f.P
		if !reflect.DeepEqual(got, f) {
			t.Fatalf("ParseCommand(%q) resolves to %+v, want %+v", f.String(), got, f)
		}
		if again, _ := ParseCommand(c.String()); !reflect.DeepEqual(stripCmd(again), stripCmd(c)) {
			t.Fatalf("ParseCommand(%q) = %v, want %v", c.String(), again, c)
		}
	}
}

func TestRaftConfig(t *testing.T) {
	def := raft.DefaultConfig(0, 5)
	tests := []struct {
		timing             string
		tick               time.Duration
		heartbeat, lo, hi  int
		prevote, checkquor bool
	}{
		{"", def.TickInterval, def.HeartbeatTicks, def.ElectionTicksMin, def.ElectionTicksMax, false, false},
		{"timing tick=20ms", 20 * time.Millisecond, def.HeartbeatTicks, def.ElectionTicksMin, def.ElectionTicksMax, false, false},
		{"timing heartbeat=50ms election=200ms-400ms", 10 * time.Millisecond, 5, 20, 40, false, false},
		{"timing tick=1ms heartbeat=20ms election=150ms", time.Millisecond, 20, 150, 150, false, false},
		{"timing election=1s-2s\nprevote on\ncheckquorum on", 10 * time.Millisecond, 10, 100, 200, true, true},
	}
	for _, tt := range tests {
		s := mustParse(t, "peers 3\n"+tt.timing)
		c := s.Header.RaftConfig()
		if c.Peers != 3 || c.TickInterval != tt.tick || c.HeartbeatTicks != tt.heartbeat || c.ElectionTicksMin != tt.lo ||
			c.ElectionTicksMax != tt.hi || c.PreVote != tt.prevote || c.CheckQuorum != tt.checkquor {
			t.Errorf("%q: RaftConfig = %+v", tt.timing, c)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%q: RaftConfig is invalid: %v", tt.timing, err)
		}
	}
}

func TestClusterConfig(t *testing.T) {
	s := mustParse(t, "peers 3")
	if c := s.ClusterConfig(99); c.Seed != 99 || c.Peers != 3 || c.Raft.Peers != 3 {
		t.Errorf("ClusterConfig without seed = %+v", c)
	}
	s = mustParse(t, "peers 3\nseed 7")
	if c := s.ClusterConfig(99); c.Seed != 7 {
		t.Errorf("ClusterConfig with seed 7 = %+v", c)
	}
	// The service snapshots as the header says: every 100 commands by default.
	for src, every := range map[string]int{"": chaos.DefaultSnapshotEvery, "snapshot every=3": 3, "snapshot off": 0} {
		svc := mustParse(t, src).ClusterConfig(1).Service(0)
		snaps := 0
		for i := 1; i <= 300; i++ {
			if svc.Apply(i, i) != nil {
				snaps++
			}
		}
		want := 0
		if every > 0 {
			want = 300 / every
		}
		if snaps != want {
			t.Errorf("%q: %d snapshots in 300 commands, want %d", src, snaps, want)
		}
	}
}

func TestBound(t *testing.T) {
	tests := []struct {
		src  string
		want time.Duration
	}{
		{"", 0},
		{"duration 30s", 30 * time.Second},
		{"crash 1", 0},
		{"sleep 2s\nsleep 3s", 5 * time.Second},
		{"at 10s crash 1", 10 * time.Second},
		{"at 10s crash 1\nat +5s heal", 15 * time.Second},
		{"wait leader within 5s\nat 2s crash 1", 5 * time.Second},
		{"at 2s wait leader within 5s\nat +1s heal\nsleep 1s", 8 * time.Second},
		{"every 1s until 100s crash random\nsleep 1s", time.Second},
		{"expect leader for 3s\nduration 2s", 3 * time.Second},
		{"duration 20s\nsleep 3s", 20 * time.Second},
	}
	for _, tt := range tests {
		// duration must come first: it is a header line.
		src := tt.src
		if i := strings.Index(src, "\nduration"); i >= 0 {
			src = src[i+1:] + "\n" + src[:i]
		}
		if got := mustParse(t, src).Bound(); got != tt.want {
			t.Errorf("Bound(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}
