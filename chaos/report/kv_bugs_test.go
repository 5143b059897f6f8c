//go:build bugs

package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos"
	"github.com/miniraft/miniraft/internal/bugs"
)

// TestBugStaleReadReportPointsAtTheIsolatedLeader is the "done when": with the
// stale-read bug, the report of kv-stale-read fails on linearizability, marks the
// isolated leader that answered from its own state, shows the stale answer in the
// message diagram, and embeds porcupine's visualization.
func TestBugStaleReadReportPointsAtTheIsolatedLeader(t *testing.T) {
	if err := bugs.Set(bugs.StaleRead); err != nil {
		t.Fatal(err)
	}
	defer bugs.Set()
	run := runScenario(t, "kv-stale-read", "", 1)
	if run.res.Pass || run.res.Failure.Checker != "linearizability" {
		t.Fatalf("kv-stale-read with the stale-read bug: failure %v, want a linearizability violation", run.res.Failure)
	}
	isolated := -1
	for _, e := range run.events {
		if e.Kind == chaos.EventFault && e.Fault.Kind == chaos.Isolate {
			isolated = e.Fault.Peers[0]
		}
	}
	if len(run.res.Failure.Peers) != 1 || run.res.Failure.Peers[0] != isolated {
		t.Fatalf("the violation names peers %v, want the isolated leader %d", run.res.Failure.Peers, isolated)
	}
	doc := parse(t, render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV)))
	mustContain(t, "the header", text(byID(doc, "top")), "FAIL", "linearizability", "not linearizable")
	var marked []string
	for _, l := range all(chart(doc, "timeline"), "text", "lane") {
		if hasClass(l, "involved") {
			marked = append(marked, text(l))
		}
	}
	if want := fmt.Sprintf("peer %d ◀", isolated); strings.Join(marked, ", ") != want {
		t.Errorf("lanes marked: %q, want %q", marked, want)
	}
	// The diagram (around the stale read) shows the isolated peer answering a client.
	var answers int
	for _, l := range all(chart(doc, "messages"), "text", "l-client") {
		if strings.HasPrefix(text(l), "answered") {
			answers++
		}
	}
	if answers == 0 {
		t.Error("the message diagram shows no answer to a client")
	}
	kv := byID(doc, "kv")
	if kv == nil {
		t.Fatal("no kv section")
	}
	mustContain(t, "the kv section", text(kv), "not linearizable", "no order can include")
	// The check of the history ran at the end of the run; the violation is dated at the
	// stale read, and the event it gives is the last of the table of the events before
	// it, not the end's.
	rows := all(byID(doc, "violation"), "tr", "")
	if len(rows) < 2 {
		t.Fatal("no events before the violation")
	}
	last := strings.Fields(text(rows[len(rows)-1]))
	at := fmt.Sprintf("%.3f s", run.res.Failure.At.Seconds())
	want := fmt.Sprintf("%s (event #%s); found at", at, last[2])
	if last[0]+" "+last[1] != fmt.Sprintf("%.4f s", run.res.Failure.At.Seconds()) {
		t.Errorf("the table of the events before the violation ends at %s %s, not at the violation's %s", last[0], last[1], at)
	}
	mustContain(t, "the header", text(byID(doc, "top")), want)
	if len(all(kv, "iframe", "")) != 1 {
		t.Error("porcupine's visualization is not embedded")
	}
}
