package model_test

import (
	"strings"
	"testing"
	"time"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/chaos/model"
)

// The summary's first line says how fast the cluster ran while it ran: a pause is said,
// and left out of the rate, and a run slower than real time is not rounded up to 1x.
func TestSummarySpeed(t *testing.T) {
	tests := []struct {
		wall, paused time.Duration
		want         string
	}{
		{51600 * time.Millisecond, 0, "28.2s of cluster time in 51.6s, 0.55x real time\n"},
		{51600 * time.Millisecond, 23400 * time.Millisecond, "28.2s of cluster time in 51.6s (23.4s of it paused), 1x real time\n"},
		{700 * time.Millisecond, 0, "28.2s of cluster time in 0.7s, 40x real time\n"},
		{20 * time.Second, 20 * time.Second, "28.2s of cluster time in 20.0s (20.0s of it paused)\n"},
		{0, 0, "28.2s of cluster time\n"},
	}
	for _, tt := range tests {
		res := &model.Result{RunConfig: chaos.RunConfig{Name: "x", Engine: "sim", Seed: 1, Peers: 3}, Pass: true,
			Duration: 28200 * time.Millisecond, Wall: tt.wall, Paused: tt.paused}
		var b strings.Builder
		res.WriteSummary(&b)
		first, _, _ := strings.Cut(b.String(), "\n")
		if got, want := first+"\n", "PASS x (engine sim, seed 1, 3 peers): "+tt.want; got != want {
			t.Errorf("wall %v, paused %v:\ngot  %q\nwant %q", tt.wall, tt.paused, got, want)
		}
	}
}
