package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/miniraft/miniraft/chaos"
)

// fmtSec renders a point in cluster time, to the millisecond: "3.214 s".
func fmtSec(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// fmtSecFine renders a point in cluster time to a tenth of a millisecond, for messages.
func fmtSecFine(d time.Duration) string { return fmt.Sprintf("%.4f s", d.Seconds()) }

// fmtDur renders a duration rounded for reading: "1.9ms", "403.7ms", "2.35s".
func fmtDur(d time.Duration) string { return chaos.FormatDuration(d) }

// fmtBytes renders a byte count.
func fmtBytes(b int64) string { return chaos.FormatBytes(b) }

// ids renders peer ids as "0, 1 and 3".
func ids(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(p)
	}
	return andList(s)
}

// andList joins words as "a, b and c".
func andList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// plural returns "1 peer" or "3 peers".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// num renders a coordinate with one decimal, without a trailing ".0".
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}

// niceStep returns a step of the form 1, 2 or 5 times a power of ten such that span
// divided by it gives about n ticks.
func niceStep(span float64, n int) float64 {
	if !(span > 0) || n < 1 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// fmtTick renders an axis value in seconds given the step between ticks.
func fmtTick(v, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return strconv.FormatFloat(v, 'f', dec, 64) + "s"
}

// pathBuilder accumulates SVG path data.
type pathBuilder struct{ b strings.Builder }

func (p *pathBuilder) move(x, y float64) { fmt.Fprintf(&p.b, "M%s %s", num(x), num(y)) }
func (p *pathBuilder) line(x, y float64) { fmt.Fprintf(&p.b, "L%s %s", num(x), num(y)) }
func (p *pathBuilder) String() string    { return p.b.String() }
