package tui

import (
	"fmt"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/miniraft/miniraft/chaos"
	runmodel "github.com/miniraft/miniraft/chaos/model"
)

// The kv clients' view wants clientsRows rows (a title, three lines of figures and the
// last operations), and makes do with clientsMinRows.
const (
	clientsRows    = 8
	clientsMinRows = 4
)

// renderClients renders what a kv workload's clients are doing, in w x h cells: the
// answers per second now and the rate asked, the operations pending and for how long,
// how they ended, the latencies, the linearizability check once it has run, and the last
// operations that ended, newest first.
func renderClients(run runmodel.State, w, h int) []line {
	c := run.Clients
	if c == nil || h <= 0 {
		return nil
	}
	var title line
	title.add(" KV clients", stTitle)
	if s := run.KV; s != nil {
		title.add(fmt.Sprintf("  %d clients, %d keys", s.Clients, s.Keys), stTitleDim)
	}
	title.pad(w, stTitle)
	out := []line{title}

	var l line
	l.add(fmt.Sprintf(" %.0f ops/s", c.Answering), stBold)
	if c.Rate > 0 {
		l.add(fmt.Sprintf(" (asked %g)", c.Rate), stDim)
	} else {
		l.add(" (workload off)", stDim)
	}
	pend := stDefault
	if c.Pending > 0 && run.Now-c.Oldest > time.Second {
		pend = stWarn // someone has waited a while: no leader, or a slow one
	}
	l.add(fmt.Sprintf("  %d pending", c.Pending), pend)
	if c.Pending > 0 {
		l.add(" since "+chaos.FormatDuration(max(0, run.Now-c.Oldest)), pend)
	}
	out = append(out, l)

	if s := run.KV; s != nil {
		var l line
		l.add(fmt.Sprintf(" %d ok", s.OK), stOK)
		if s.TimedOut > 0 {
			l.add(fmt.Sprintf(" %d timed out", s.TimedOut), stWarn)
		}
		if s.OK > 0 {
			l.add(fmt.Sprintf("  p50 %s p99 %s", chaos.FormatDuration(s.P50), chaos.FormatDuration(s.P99)), stDefault)
		}
		if s.Retries > 0 {
			l.add(fmt.Sprintf("  %d retries", s.Retries), stDim)
		}
		out = append(out, l)
	}

	out = append(out, checkLine(run, c))
	for i := len(c.Recent) - 1; i >= 0 && len(out) < h; i-- {
		out = append(out, opLine(c.Recent[i]))
	}
	for i := range out {
		if out[i].width() > w {
			out[i] = line{{fit(out[i].String(), w), out[i][0].style}}
		}
	}
	return out[:min(len(out), h)]
}

// checkLine says what the linearizability check found, or when it will run.
func checkLine(run runmodel.State, c *runmodel.KVClients) line {
	var l line
	k := c.Check
	switch {
	case k == nil && run.Failure != nil && run.Failure.Checker == "linearizability":
		l.add(" ✗ not linearizable", stBad)
	case k == nil:
		l.add(" linearizability: checked when the timeline is over", stDim)
	case k.Outcome == "linearizable":
		l.add(fmt.Sprintf(" ✓ linearizable: %d operations to %s", k.Operations, seconds(c.CheckAt)), stOK)
	case k.Outcome == "not linearizable":
		what := " ✗ not linearizable"
		if k.Key != "" {
			what += ": key " + k.Key
		}
		l.add(what, stBad)
	default:
		l.add(" ? linearizability unknown: "+k.Message, stWarn)
	}
	return l
}

// opLine renders an operation that ended: who, what, the answer, from which peer, in how
// long.
func opLine(o chaos.ClientOp) line {
	var l line
	l.add(fmt.Sprintf(" c%d %s %s", o.Client, o.Op, o.Key), stDefault)
	var st tcell.Style
	switch o.Status {
	case chaos.ClientOK:
		st = stOK
		if o.Op == "get" {
			l.add(fmt.Sprintf(" → %q", o.Output), stDefault)
		} else {
			l.add(fmt.Sprintf(" %q ok", o.Input), stDefault)
		}
		if o.Peer >= 0 {
			l.add(fmt.Sprintf(" from %d", o.Peer), stDim)
		}
	case chaos.ClientTimeout:
		st = stWarn
		l.add(" timed out", st)
	default:
		st = stDim
		l.add(" "+o.Status, st)
	}
	l.add(" in "+chaos.FormatDuration(o.Return-o.Call), stDim)
	return l
}
