package chaos

import (
	"slices"
	"time"
)

// Latencies is a histogram of durations that answers percentiles in bounded memory, as
// exactly as FormatDuration prints them: it counts durations by the value FormatDuration
// rounds them to (to the microsecond below 1ms, to 0.1ms below 1s, to 10ms below 10
// minutes, and to the second above), so Percentile printed with FormatDuration gives what
// the sorted durations would. Its size grows with the number of distinct rounded values,
// not with the number of durations: a few hundred for a typical run, at most about
// 75,000 below 10 minutes. The zero value is an empty histogram. Not safe for concurrent
// use.
type Latencies struct {
	buckets []bucket // by key, ascending
	n       int
	max     time.Duration
}

type bucket struct {
	key time.Duration
	n   int
}

// latencyKey is the value d is counted as.
func latencyKey(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return -latencyKey(-d)
	case d >= 10*time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// Add counts d.
func (l *Latencies) Add(d time.Duration) {
	k := latencyKey(d)
	i, found := slices.BinarySearchFunc(l.buckets, k, func(b bucket, k time.Duration) int {
		switch {
		case b.key < k:
			return -1
		case b.key > k:
			return 1
		}
		return 0
	})
	if found {
		l.buckets[i].n++
	} else {
		l.buckets = slices.Insert(l.buckets, i, bucket{key: k, n: 1})
	}
	if l.n == 0 || d > l.max {
		l.max = d
	}
	l.n++
}

// Len returns how many durations were added.
func (l *Latencies) Len() int { return l.n }

// Max returns the longest duration added, exactly, or 0.
func (l *Latencies) Max() time.Duration { return l.max }

// Percentile returns the p-th percentile (0 < p <= 100) as a sorted list of the
// durations would give it at index n*p/100 (the median at n/2), rounded as FormatDuration
// rounds; 0 when empty.
func (l *Latencies) Percentile(p int) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := min(l.n-1, l.n*p/100)
	if p == 50 {
		rank = l.n / 2
	}
	seen := 0
	for _, b := range l.buckets {
		seen += b.n
		if seen > rank {
			return b.key
		}
	}
	return l.buckets[len(l.buckets)-1].key
}

// Clone returns a copy of l that shares nothing with it.
func (l *Latencies) Clone() Latencies {
	return Latencies{buckets: slices.Clone(l.buckets), n: l.n, max: l.max}
}
