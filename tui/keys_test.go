package tui

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/raft"
)

func TestKeyTableDispatch(t *testing.T) {
	seen := map[key]string{}
	for i, b := range bindings {
		if b.label == "" || b.help == "" || b.group == "" || b.do == nil || len(b.keys) == 0 {
			t.Errorf("binding %d (%q) is incomplete", i, b.label)
		}
		for _, k := range b.keys {
			if other, ok := seen[k]; ok {
				t.Errorf("key %v is bound twice: %q and %q", k, other, b.label)
			}
			seen[k] = b.label
			got := lookupKey(tcell.NewEventKey(k.Key, k.Rune, tcell.ModNone))
			if got == nil || got.label != b.label {
				t.Errorf("key %v dispatches to %v, want %q", k, got, b.label)
			}
		}
	}
	if lookupKey(tcell.NewEventKey(tcell.KeyRune, 'Z', tcell.ModNone)) != nil {
		t.Error("an unbound key found a binding")
	}
}

func TestHelpListsEveryBinding(t *testing.T) {
	var cmds [][2]string
	for _, c := range scenario.Commands() {
		cmds = append(cmds, [2]string{c.Usage, c.Summary})
	}
	keys, more := helpLines(Caps{Commands: true, Speed: true}, cmds, 120)
	var text []string
	for _, l := range append(keys, more...) {
		text = append(text, l.String())
	}
	for _, b := range bindings {
		found := false
		for _, l := range text {
			if strings.Contains(l, b.label) && strings.Contains(l, b.help) {
				found = true
			}
		}
		if !found {
			t.Errorf("help lacks the binding %q (%s)", b.label, b.help)
		}
	}
	for _, c := range scenario.Commands() {
		if !strings.Contains(strings.Join(text, "\n"), c.Usage) {
			t.Errorf("help lacks the command %q", c.Usage)
		}
	}
	// Without commands (a replay), the keys that need them say so.
	keys, _ = helpLines(Caps{}, nil, 120)
	all := ""
	for _, l := range keys {
		all += l.String() + "\n"
	}
	if !strings.Contains(all, "crash it (it keeps what it persisted) (not available here)") {
		t.Errorf("help without commands does not mark crash unavailable:\n%s", all)
	}
}

func TestKeyCommands(t *testing.T) {
	up := func(rate float64, st chaos.PeerState) chaos.PeerStatus {
		return chaos.PeerStatus{State: st, ClockRate: rate}
	}
	peers := []chaos.PeerStatus{up(1, chaos.Up), up(2, chaos.Up), up(0.5, chaos.Paused)}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"pause a running peer", pauseCmd(peers, 0), "pause 0"},
		{"resume a paused peer", pauseCmd(peers, 2), "resume 2"},
		{"partition of 5", partitionCmd(3, 5), "partition 3,4 | others"},
		{"partition wraps", partitionCmd(4, 5), "partition 4,0 | others"},
		{"partition of 7", partitionCmd(1, 7), "partition 1,2,3 | others"},
		{"partition of 3", partitionCmd(2, 3), "partition 2 | others"},
		{"partition of 2", partitionCmd(1, 2), "partition 1 | others"},
		{"skew from 1x", skewCmd(peers, 0), "skew 0 2x"},
		{"skew from 2x", skewCmd(peers, 1), "skew 1 0.5x"},
		{"skew from 0.5x", skewCmd(peers, 2), "skew 2 1x"},
		{"loss from none", lossCmd(0), "loss 10%"},
		{"loss from 10%", lossCmd(0.1), "loss 30%"},
		{"loss from 30%", lossCmd(0.3), "loss 0%"},
		{"delay from none", delayCmd(chaos.LinkFaults{}), "delay 20ms-50ms"},
		{"delay from 50ms", delayCmd(chaos.LinkFaults{DelayMin: 20e6, DelayMax: 50e6}), "delay 100ms-300ms"},
		{"delay from 300ms", delayCmd(chaos.LinkFaults{DelayMin: 100e6, DelayMax: 300e6}), "delay 0ms"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
		c, err := scenario.ParseCommand(tt.got)
		if err == nil {
			err = scenario.ValidateCommand(c, 5)
		}
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", tt.name, tt.got, err)
		}
	}
}

func TestKeyCommandsApply(t *testing.T) {
	// What the loss and delay keys send does what the next press expects.
	n := chaos.NewNetState(3)
	for _, want := range []float64{0.1, 0.3, 0} {
		c, err := scenario.ParseCommand(lossCmd(n.Global.Loss))
		if err != nil {
			t.Fatal(err)
		}
		f, err := c.(scenario.FaultCmd).Resolve(make([]chaos.PeerStatus, 3), nil)
		if err != nil {
			t.Fatal(err)
		}
		n.Apply(f)
		if n.Global.Loss != want {
			t.Errorf("after %q the loss is %g, want %g", lossCmd(n.Global.Loss), n.Global.Loss, want)
		}
	}
}

func TestSpeeds(t *testing.T) {
	tests := []struct {
		cur, faster, slower float64
	}{
		{1, 2, 0.5},
		{0.125, 0.25, 0.125},
		{16, 32, 8},
		{64, 128, 32},
		{1024, 1024, 512},
		{3, 4, 2},
		{0, 0, 1024},
	}
	for _, tt := range tests {
		if got := fasterSpeed(tt.cur); got != tt.faster {
			t.Errorf("fasterSpeed(%g) = %g, want %g", tt.cur, got, tt.faster)
		}
		if got := slowerSpeed(tt.cur); got != tt.slower {
			t.Errorf("slowerSpeed(%g) = %g, want %g", tt.cur, got, tt.slower)
		}
	}
}

func TestRoleNames(t *testing.T) {
	tests := []struct {
		p      chaos.PeerStatus
		name   string
		abbrev string
	}{
		{chaos.PeerStatus{Status: raft.Status{Role: raft.Leader}}, "leader", "lead"},
		{chaos.PeerStatus{Status: raft.Status{Role: raft.PreCandidate}}, "pre-cand", "pre"},
		{chaos.PeerStatus{Status: raft.Status{Role: raft.Leader}, State: chaos.Crashed}, "-", "down"},
		{chaos.PeerStatus{Status: raft.Status{Role: raft.Follower}, State: chaos.Paused}, "follower", "paus"},
	}
	for _, tt := range tests {
		if got := roleName(tt.p); got != tt.name {
			t.Errorf("roleName(%v) = %q, want %q", tt.p.Role, got, tt.name)
		}
		if got := roleAbbrev(tt.p); got != tt.abbrev {
			t.Errorf("roleAbbrev(%v) = %q, want %q", tt.p.Role, got, tt.abbrev)
		}
	}
}

// The help says how to read terms above 9 and how to select peers from 10.
func TestHelpExplains(t *testing.T) {
	keys, more := helpLines(Caps{Commands: true}, nil, 120)
	var all []string
	for _, l := range append(keys, more...) {
		all = append(all, l.String())
	}
	text := strings.Join(strings.Fields(strings.Join(all, " ")), " ")
	for _, want := range []string{"a-z for terms 10-35", "names the terms above 9 in view", "1 then 2 selects 12", "Tab completes", "search the events"} {
		if !strings.Contains(text, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
