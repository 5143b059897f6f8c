package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/scenario"
)

// --prevote and --checkquorum replace the scenario's options, and the summary says so:
// disruptive-rejoin passes with its PreVote and fails without it.
func TestRunRaftOverrides(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want []string
		not  string
	}{
		{
			args: []string{"disruptive-rejoin"},
			code: exitPass,
			not:  "overridden",
		},
		{
			args: []string{"--prevote=false", "disruptive-rejoin"},
			code: exitFail,
			want: []string{"expect leader for 3s: failed", "overridden on the command line: prevote off (the scenario has on)"},
		},
		{
			args: []string{"--prevote=false", "--checkquorum=false", "partition-ring"},
			code: exitFail,
			want: []string{"expect elections <= +0 for 3s: failed", "prevote off (the scenario has on), checkquorum off (the scenario has on)"},
		},
		{
			args: []string{"--checkquorum", "leader-isolation"},
			code: exitFail, // the isolated leader steps down: no longer two leaders
			want: []string{"expect leaders == 2: failed", "checkquorum on (the scenario has off)"},
		},
		{
			args: []string{"--kv", "leader-crash"},
			code: exitPass,
			want: []string{"kv: ", "linearizability: linearizable", "overridden on the command line: kv (its workload made a kv workload)"},
		},
		{
			args: []string{"--kv", "kv-stale-read"},
			code: exitPass,
			want: []string{"kv (the scenario has no basic workload to change)"},
		},
		{
			args: []string{"--prevote", "leader-crash"},
			code: exitPass,
			want: []string{"PASS leader-crash", "prevote on (the scenario has off)"},
		},
	}
	for _, tt := range tests {
		args := append([]string{"run", "--seed", "1"}, tt.args...)
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		cmd := "miniraft " + strings.Join(args, " ")
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", cmd, code, tt.code, out.String(), errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: the output lacks %q:\n%s", cmd, w, out.String())
			}
		}
		if tt.not != "" && strings.Contains(out.String(), tt.not) {
			t.Errorf("%s: the output says %q:\n%s", cmd, tt.not, out.String())
		}
	}
}

// The flags record only what they change (a command that runs the scenario again needs
// no flag that repeats it), and the summary's note names every flag given.
func TestOverridesOfAJob(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		o        overrides
		src      string
		want     chaos.Overrides
		wantNote string
	}{
		{overrides{}, "prevote on", chaos.Overrides{}, ""},
		{overrides{prevote: false, prevoteSet: true}, "prevote on", chaos.Overrides{PreVote: &no}, "prevote off (the scenario has on)"},
		{overrides{checkQuorum: true, checkQuorumSet: true}, "", chaos.Overrides{CheckQuorum: &yes}, "checkquorum on (the scenario has off)"},
		{overrides{prevote: true, prevoteSet: true, checkQuorum: true, checkQuorumSet: true}, "prevote on\ncheckquorum on", chaos.Overrides{},
			"prevote on (the scenario has on), checkquorum on (the scenario has on)"},
		{overrides{peers: 3, peersSet: true}, "", chaos.Overrides{Peers: 3}, "peers 3 (the scenario has 5)"},
		{overrides{peers: 5, peersSet: true}, "", chaos.Overrides{}, "peers 5 (the scenario has 5)"},
		{overrides{kv: true}, "workload rate=5\nwait leader within 1s\nworkload rate=9", chaos.Overrides{KV: true}, "kv (its 2 workload lines made kv workloads)"},
		{overrides{kv: true}, "", chaos.Overrides{}, "kv (the scenario has no basic workload to change)"},
	}
	for _, tt := range tests {
		sc, err := scenario.Parse("t.chaos", []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		j, err := tt.o.job("t.chaos", sc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(j.ov, tt.want) || j.note != tt.wantNote {
			t.Errorf("%+v on %q: got %+v, note %q; want %+v, %q", tt.o, tt.src, j.ov, j.note, tt.want, tt.wantNote)
		}
	}
}
