package labrpc

import (
	"math/rand/v2"
	"sync"
	"time"
)

// source is the network's only source of randomness: a PCG generator behind a mutex. It is
// safe for concurrent use.
type source struct {
	mu   sync.Mutex
	r    *rand.Rand
	seed int64
}

func (g *source) reseed(seed int64) {
	g.mu.Lock()
	g.seed = seed
	g.r = rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	g.mu.Unlock()
}

func (g *source) getSeed() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seed
}

// intn returns a uniform int in [0, n).
func (g *source) intn(n int) int {
	g.mu.Lock()
	v := g.r.IntN(n)
	g.mu.Unlock()
	return v
}

// float returns a uniform float64 in [0, 1).
func (g *source) float() float64 {
	g.mu.Lock()
	v := g.r.Float64()
	g.mu.Unlock()
	return v
}

// between returns a uniform duration in [lo, hi].
func (g *source) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	g.mu.Lock()
	v := g.r.Int64N(int64(hi-lo) + 1)
	g.mu.Unlock()
	return lo + time.Duration(v)
}

// longReorderDelay is the course's extra delay of a reordered reply:
// 200 + rand.Intn(1+rand.Intn(2000)) milliseconds.
func (g *source) longReorderDelay() time.Duration {
	g.mu.Lock()
	ms := 200 + g.r.IntN(1+g.r.IntN(2000))
	g.mu.Unlock()
	return time.Duration(ms) * time.Millisecond
}
