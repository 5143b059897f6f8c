package cli

import (
	"bytes"
	"strings"
	"testing"

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

func TestRaftOverridesApply(t *testing.T) {
	tests := []struct {
		o               overrides
		pre, cq         bool // the scenario's
		wantPre, wantCQ bool
		wantNote        string
	}{
		{overrides{}, true, false, true, false, ""},
		{overrides{prevote: false, prevoteSet: true}, true, true, false, true, "prevote off (the scenario has on)"},
		{overrides{checkQuorum: true, checkQuorumSet: true}, false, false, false, true, "checkquorum on (the scenario has off)"},
		{overrides{prevote: true, prevoteSet: true, checkQuorum: true, checkQuorumSet: true}, true, true, true, true,
			"prevote on (the scenario has on), checkquorum on (the scenario has on)"},
	}
	for _, tt := range tests {
		sc := &scenario.Scenario{Header: scenario.Header{PreVote: tt.pre, CheckQuorum: tt.cq}}
		note := tt.o.apply(sc)
		if sc.Header.PreVote != tt.wantPre || sc.Header.CheckQuorum != tt.wantCQ || note != tt.wantNote {
			t.Errorf("%+v on prevote %v checkquorum %v: got prevote %v checkquorum %v note %q; want %v %v %q",
				tt.o, tt.pre, tt.cq, sc.Header.PreVote, sc.Header.CheckQuorum, note, tt.wantPre, tt.wantCQ, tt.wantNote)
		}
	}
}
