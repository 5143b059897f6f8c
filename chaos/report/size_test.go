package report

import (
	"bytes"
	"io"
	"testing"
)

// churn crashes a leader, restarts it and isolates a random peer, over and over, for
// two minutes of cluster time: a long and busy run.
const churn = `# Churn for two minutes.
peers 5
workload rate=40
duration 120s
every 3s crash leader
every 3s from 1500ms restart crashed
every 7s from 2s isolate random
every 7s from 4s heal
`

func TestLongRunStaysSmall(t *testing.T) {
	run := runScenario(t, "churn", churn, 9)
	page := render(t, run.rec.Data(run.sc, &run.res.Result, run.res.KV))
	const maxSize = 1 << 20
	if len(page) > maxSize {
		t.Errorf("the page of a two-minute churn is %d bytes, want at most %d", len(page), maxSize)
	}
	doc := parse(t, page)
	// The lanes draw at most a segment per two pixels, whatever the number of changes.
	maxSegs := 5 * (int(plotW)/2 + 1)
	segs := 0
	for _, class := range []string{"leader", "candidate", "precandidate", "down", "paused"} {
		segs += len(all(chart(doc, "timeline"), "rect", class))
	}
	if segs > maxSegs {
		t.Errorf("%d segments in the timeline, want at most %d", segs, maxSegs)
	}
	if got := len(all(byID(doc, "steps"), "tr", "")) - 1; got > MaxStepRows {
		t.Errorf("%d step rows, want at most %d", got, MaxStepRows)
	}
	t.Logf("%d events, page %d bytes, %d segments", len(run.events), len(page), segs)
}

// BenchmarkWrite writes the page of a two-minute churn, from what a Recorder kept (the
// run already folded) and from the whole trace (folded by Write).
func BenchmarkWrite(b *testing.B) {
	run := runScenario(b, "churn", churn, 9)
	whole, err := FromTrace(bytes.NewReader(run.trace))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		d    Data
	}{
		{"recorded", run.rec.Data(run.sc, &run.res.Result, run.res.KV)},
		{"trace", FromRun(run.sc, &run.res.Result, run.res.KV, whole.Events)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, bc.d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(bc.d.Events)), "events")
		})
	}
}
