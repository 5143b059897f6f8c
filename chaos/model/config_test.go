package model_test

import (
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
)

// A trace's reader sees the scenario that ran: its text with the command line's
// overrides applied, as the run applied them (--kv made its workloads kv workloads).
func TestInfoFromHeaderAppliesOverrides(t *testing.T) {
	src := "peers 5\nworkload rate=10\nwait leader within 5s\nworkload rate=20\n"
	no := false
	tests := []struct {
		name           string
		ov             *chaos.Overrides
		rate, kvRate   float64
		line4, kvLine4 float64
		peers          int
	}{
		{"as written", nil, 10, 0, 20, 0, 5},
		{"--kv --peers 3", &chaos.Overrides{KV: true, Peers: 3}, 0, 10, 0, 20, 3},
		{"--prevote=false", &chaos.Overrides{PreVote: &no}, 10, 0, 20, 0, 5},
	}
	for _, tt := range tests {
		h := chaos.TraceHeader{RunConfig: chaos.RunConfig{Name: "x", Engine: "sim", Seed: 1, Peers: 5, Scenario: src, Overrides: tt.ov}}
		if tt.ov != nil && tt.ov.Peers != 0 {
			h.Peers = tt.ov.Peers
		}
		in := model.InfoFromHeader(h)
		if in.Rate != tt.rate || in.KVRate != tt.kvRate || in.Rates[4] != tt.line4 || in.KVRates[4] != tt.kvLine4 || in.Peers != tt.peers {
			t.Errorf("%s: rate %g, kv rate %g, line 4 %g/%g, %d peers; want %g, %g, %g/%g, %d",
				tt.name, in.Rate, in.KVRate, in.Rates[4], in.KVRates[4], in.Peers, tt.rate, tt.kvRate, tt.line4, tt.kvLine4, tt.peers)
		}
		if (in.Config.Overrides != nil) != (tt.ov != nil) || in.Config.Scenario != src {
			t.Errorf("%s: the configuration %+v does not carry the header's", tt.name, in.Config)
		}
		if res := model.New(in).Result(); res.Scenario != src || res.Overrides != tt.ov {
			t.Errorf("%s: the result's configuration differs from the header's", tt.name)
		}
	}
}
