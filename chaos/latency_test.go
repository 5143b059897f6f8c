package chaos

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Percentiles of the histogram print as those of the sorted durations do, whatever the
// scale of the durations; and its size grows with the distinct printed values, not
// with the number of durations.
func TestLatenciesPrintExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, scale := range []time.Duration{time.Microsecond, 300 * time.Microsecond, 20 * time.Millisecond, 900 * time.Millisecond, 40 * time.Second} {
		var l Latencies
		var all []time.Duration
		for i := range 20000 {
			d := time.Duration(rng.ExpFloat64() * float64(scale))
			l.Add(d)
			all = append(all, d)
			if i%997 == 0 || i == 19999 {
				sorted := slices.Sorted(slices.Values(all))
				n := len(sorted)
				for _, tc := range []struct {
					p    int
					want time.Duration
				}{{50, sorted[n/2]}, {99, sorted[min(n-1, n*99/100)]}} {
					if got := l.Percentile(tc.p); FormatDuration(got) != FormatDuration(tc.want) {
						t.Fatalf("scale %v, %d durations: p%d prints %s, want %s", scale, n, tc.p, FormatDuration(got), FormatDuration(tc.want))
					}
				}
				if l.Max() != sorted[n-1] || l.Len() != n {
					t.Fatalf("max %v of %d, want %v of %d", l.Max(), l.Len(), sorted[n-1], n)
				}
			}
		}
		if len(l.buckets) > 12000 {
			t.Errorf("scale %v: %d buckets for 20000 durations", scale, len(l.buckets))
		}
	}
	var empty Latencies
	if empty.Percentile(50) != 0 || empty.Max() != 0 {
		t.Error("an empty histogram has percentiles")
	}
}

// BenchmarkLatencies measures adding a duration and asking for a percentile (a UI asks
// ten times a second).
func BenchmarkLatencies(b *testing.B) {
	var l Latencies
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		l.Add(time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond)))
	}
	b.ReportMetric(float64(len(l.buckets)), "buckets")
}
