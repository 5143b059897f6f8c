package model

import (
	"fmt"
	"io"
	"strings"

	"github.com/miniraft/miniraft/chaos"
)

// Plural returns n and the noun, in the plural unless n is 1: "1 peer", "3 peers".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Speedup returns how many seconds of cluster time the run made a second of real time
// while it was not paused, as "16x" or "0.5x"; "" when it does not know.
func (res *Result) Speedup() string {
	running := res.Wall - res.Paused
	if running <= 0 {
		return ""
	}
	x := res.Duration.Seconds() / running.Seconds()
	if x >= 10 {
		return fmt.Sprintf("%.0fx", x)
	}
	return fmt.Sprintf("%.2gx", x)
}

// WriteSummary writes a readable account of res: the verdict, the first failure, and
// the figures. A result rebuilt from a trace writes the same, but for the real time the
// run took, which a trace does not hold.
func (res *Result) WriteSummary(w io.Writer) {
	verdict := res.Verdict()
	wall := ""
	if res.Wall > 0 {
		wall = fmt.Sprintf(" in %.1fs", res.Wall.Seconds())
		if res.Paused > 0 {
			wall += fmt.Sprintf(" (%.1fs of it paused)", res.Paused.Seconds())
		}
		if x := res.Speedup(); x != "" {
			wall += ", " + x + " real time"
		}
	}
	fmt.Fprintf(w, "%s %s (engine %s, seed %d, %s): %.1fs of cluster time%s\n",
		verdict, res.Name, res.Engine, res.Seed, Plural(res.Peers, "peer"), res.Duration.Seconds(), wall)
	if in := res.Interrupted; in != nil && res.Failure == nil {
		fmt.Fprintf(w, "  %s: it neither passed nor failed\n", in)
	} else if in != nil {
		fmt.Fprintf(w, "  %s\n", in)
	}
	if res.Failure != nil {
		fmt.Fprintf(w, "  first failure at %.3fs: %s\n", res.Failure.At.Seconds(), res.Failure)
		for _, v := range res.Violations {
			if v.Checker != res.Failure.Checker || v.Message != res.Failure.Message {
				fmt.Fprintf(w, "  also at %.3fs: %s\n", v.At.Seconds(), v)
			}
		}
	}
	c := res.Checks
	fmt.Fprintf(w, "  elections %d, highest term %d, commit index %d, restarts %d, snapshots %d taken %d installed\n",
		c.Elections, c.MaxTerm, c.CommitIndex, c.Restarts, c.Snapshots, c.Installs)
	fmt.Fprintf(w, "  faults %d", res.Faults)
	if res.Skipped > 0 {
		fmt.Fprintf(w, " (%s skipped)", Plural(res.Skipped, "step"))
	}
	fmt.Fprintf(w, ", RPCs %d, %s\n", res.Net.RPCs, chaos.FormatBytes(res.Net.Bytes))
	wl := res.Workload
	if wl.Proposed > 0 {
		fmt.Fprintf(w, "  proposals %d: %d committed, %d lost, %d in flight", wl.Proposed, wl.Committed, wl.Lost, wl.InFlight)
		if wl.Refused > 0 {
			fmt.Fprintf(w, " (%d found no leader)", wl.Refused)
		}
		if wl.Committed > 0 {
			fmt.Fprintf(w, "; commit latency p50 %s p99 %s", chaos.FormatDuration(wl.P50), chaos.FormatDuration(wl.P99))
		}
		fmt.Fprintln(w)
	}
	if s := res.KVStats; s != nil {
		fmt.Fprintf(w, "  kv: %d operations (%d reads, %d writes) by %d clients on %d keys: %d ok, %d timed out, %d unfinished",
			s.Operations, s.Reads, s.Writes, s.Clients, s.Keys, s.OK, s.TimedOut, s.Unfinished)
		if s.OK > 0 {
			fmt.Fprintf(w, "; %.0f ops/s, latency p50 %s p99 %s", s.Throughput, chaos.FormatDuration(s.P50), chaos.FormatDuration(s.P99))
		}
		if s.LocalReads > 0 {
			fmt.Fprintf(w, "; %d reads answered locally", s.LocalReads)
		}
		fmt.Fprintln(w)
	}
	if k := res.KVCheck; k != nil {
		took := ""
		if res.KVCheckTook > 0 {
			took = " (in " + chaos.FormatDuration(res.KVCheckTook) + ")"
		}
		if k.Outcome == "not linearizable" {
			where := ""
			if k.Key != "" {
				where = ", key " + k.Key
			}
			fmt.Fprintf(w, "  linearizability: not linearizable%s (%d operations checked)%s\n", where, k.Operations, took)
		} else {
			fmt.Fprintf(w, "  linearizability: %s: %s%s\n", k.Outcome, k.Message, took)
		}
	}
	if c.LongestLeaderless > 0 {
		fmt.Fprintf(w, "  longest without a leader (majority up and connected): %s\n", chaos.FormatDuration(c.LongestLeaderless))
	}
	if len(res.Recoveries) > 0 {
		var parts []string
		for _, rc := range res.Recoveries {
			p := fmt.Sprintf("%s at %.1fs: ", rc.Fault, rc.At.Seconds())
			if rc.Leader >= 0 {
				p += "leader in " + chaos.FormatDuration(rc.Leader)
			} else {
				p += "no leader"
			}
			if rc.Commit >= 0 {
				p += ", commit in " + chaos.FormatDuration(rc.Commit)
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(w, "  recovery: %s\n", strings.Join(parts, "; "))
	}
}
