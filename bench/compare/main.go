// Command compare runs MiniRaft (raft.Raft over labrpc) and hashicorp/raft v1.7.2 (over its
// InmemTransport) side by side in one process, with the same cluster size, proposer
// counts and payloads, and prints commits per second and commit latency for both and
// their ratio.
//
// Each measurement starts a fresh cluster of each kind, waits for a leader, lets the
// proposers run for a moment to warm up, and then counts for -time: every proposer
// proposes a command of -payload bytes through the leader and waits until the leader has
// applied it, then proposes the next. The two kinds alternate (which goes first switches
// each run) so that the machine's noise falls on both alike; the summary gives medians.
//
// The transports differ: labrpc gob-encodes every request and reply (a copy each way, as
// a real network would need), while hashicorp's InmemTransport hands the same Go values to
// the other peer without serialising them. The comparison is therefore tilted towards
// hashicorp; MiniRaft's goal is to match it anyway.
//
//	go run ./compare -runs 5 -time 3s -proposers 1,64 -payloads 16,1024
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"

	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

// cluster is a running cluster of one kind. propose blocks until the command is applied
// at the leader (or fails); stop ends everything the cluster started.
type cluster interface {
	propose(cmd []byte) error
	stop()
}

type kind struct {
	name  string
	start func(peers int) (cluster, error)
}

var kinds = []kind{
	{"miniraft", startMini},
	{"hashicorp", startHashicorp},
}

// result is one measurement.
type result struct {
	commits  float64 // per second
	p50, p99 time.Duration
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	runs := fs.Int("runs", 5, "measurements of each kind per case")
	dur := fs.Duration("time", 3*time.Second, "how long each measurement counts commits")
	warm := fs.Duration("warmup", 500*time.Millisecond, "how long proposers run before counting starts")
	peers := fs.Int("peers", 3, "cluster size")
	proposersFlag := fs.String("proposers", "1,64", "comma-separated proposer counts")
	payloadsFlag := fs.String("payloads", "16,1024", "comma-separated command sizes in bytes")
	only := fs.String("only", "", "run only this kind (miniraft or hashicorp), for profiling")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	mutexprofile := fs.String("mutexprofile", "", "write mutex and blocking profiles to this file name + .mutex and .block")
	memprofile := fs.String("memprofile", "", "write an allocation profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *only != "" {
		i := slices.IndexFunc(kinds, func(k kind) bool { return k.name == *only })
		if i < 0 {
			return fmt.Errorf("-only %q: want miniraft or hashicorp", *only)
		}
		kinds = kinds[i : i+1]
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *mutexprofile != "" {
		runtime.SetMutexProfileFraction(5)
		runtime.SetBlockProfileRate(10000)
		defer func() {
			for _, name := range []string{"mutex", "block"} {
				if f, err := os.Create(*mutexprofile + "." + name); err == nil {
					_ = pprof.Lookup(name).WriteTo(f, 0)
					f.Close()
				}
			}
		}()
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			if f, err := os.Create(*memprofile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	proposers, err := ints(*proposersFlag)
	if err != nil {
		return fmt.Errorf("-proposers: %w", err)
	}
	payloads, err := ints(*payloadsFlag)
	if err != nil {
		return fmt.Errorf("-payloads: %w", err)
	}
	if *runs < 1 || *peers < 1 || *dur <= 0 {
		return errors.New("-runs and -peers must be at least 1 and -time positive")
	}

	fmt.Fprintf(out, "MiniRaft raft.Raft over labrpc vs hashicorp/raft v1.7.2 over InmemTransport: %d peers, one process,\n", *peers)
	fmt.Fprintf(out, "%d alternating runs of %v each (after %v of warm-up); a commit is a command applied at the leader.\n", *runs, *dur, *warm)
	fmt.Fprintln(out, "labrpc gob-encodes every request and reply; InmemTransport passes Go values without serialising,")
	fmt.Fprintln(out, "so each MiniRaft message pays an encode and a decode each way that hashicorp's does not.")
	fmt.Fprintln(out)

	type row struct {
		proposers, payload int
		res                map[string][]result
	}
	var rows []row
	for _, p := range proposers {
		for _, size := range payloads {
			r := row{proposers: p, payload: size, res: map[string][]result{}}
			for i := range *runs {
				for j := range kinds {
					k := (i + j) % len(kinds) // alternate which kind goes first
					res, err := measure(kinds[k], *peers, p, size, *warm, *dur)
					if err != nil {
						return fmt.Errorf("%s, %d proposers, %d B: %w", kinds[k].name, p, size, err)
					}
					r.res[kinds[k].name] = append(r.res[kinds[k].name], res)
					fmt.Fprintf(out, "run %d  %-9s proposers=%-3d payload=%-5d %9.0f commits/s  p50 %8v  p99 %8v\n",
						i+1, kinds[k].name, p, size, res.commits, res.p50.Round(time.Microsecond), res.p99.Round(time.Microsecond))
				}
			}
			rows = append(rows, r)
		}
	}

	fmt.Fprintln(out)
	if len(kinds) < 2 {
		return nil
	}
	fmt.Fprintf(out, "medians of %d runs         %-31s %-31s ratio (miniraft/hashicorp)\n", *runs, "miniraft", "hashicorp")
	fmt.Fprintf(out, "%-9s %-7s %10s %9s %9s  %10s %9s %9s  %9s %7s\n", "proposers", "payload", "commits/s", "p50", "p99", "commits/s", "p50", "p99", "commits/s", "p50")
	for _, r := range rows {
		m, h := median(r.res["miniraft"]), median(r.res["hashicorp"])
		fmt.Fprintf(out, "%-9d %-7d %10.0f %9v %9v  %10.0f %9v %9v  %8.2fx %6.2fx\n",
			r.proposers, r.payload,
			m.commits, m.p50.Round(time.Microsecond), m.p99.Round(time.Microsecond),
			h.commits, h.p50.Round(time.Microsecond), h.p99.Round(time.Microsecond),
			m.commits/h.commits, float64(m.p50)/float64(h.p50))
	}
	fmt.Fprintln(out, "commits/s ratio above 1: MiniRaft commits more; p50 ratio below 1: MiniRaft's median latency is lower.")
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// median returns the median of each figure separately.
func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return result{
		commits: pick(func(r result) float64 { return r.commits }),
		p50:     time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:     time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
	}
}

// measure starts a cluster of kind k, runs proposers for warm+dur, and counts what
// completed during dur.
func measure(k kind, peers, proposers, payload int, warm, dur time.Duration) (result, error) {
	c, err := k.start(peers)
	if err != nil {
		return result{}, err
	}
	defer c.stop()
	var (
		counting atomic.Bool
		stopping atomic.Bool
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	lats := make([][]time.Duration, proposers)
	for p := range proposers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := make([]byte, payload)
			for n := 0; !stopping.Load(); n++ {
				cmd[0], cmd[1] = byte(p), byte(n) // distinct commands, same size
				t0 := time.Now()
				if err := c.propose(cmd); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				if counting.Load() {
					lats[p] = append(lats[p], time.Since(t0))
				}
			}
		}()
	}
	time.Sleep(warm)
	counting.Store(true)
	start := time.Now()
	time.Sleep(dur)
	counting.Store(false)
	elapsed := time.Since(start)
	stopping.Store(true)
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return result{}, errors.New("nothing committed")
	}
	slices.Sort(all)
	return result{
		commits: float64(len(all)) / elapsed.Seconds(),
		p50:     all[len(all)/2],
		p99:     all[len(all)*99/100],
	}, nil
}

// ---- MiniRaft -------------------------------------------------------------------------

// miniCluster is raft.Raft peers on a reliable labrpc network, each with a service that
// records what it applies.
type miniCluster struct {
	net      *labrpc.Network
	rafts    []*raft.Raft
	services []*miniService
	done     chan struct{}
	wg       sync.WaitGroup
	leader   atomic.Int64
}

// miniService is one peer's service: it records the last index applied and wakes the
// proposers waiting for an index. Each peer has its own, as separate servers would.
type miniService struct {
	mu      sync.Mutex
	applied int
	waiters map[int][]chan struct{} // index -> proposers waiting for it
}

func startMini(n int) (cluster, error) {
	c := &miniCluster{net: labrpc.MakeNetwork(), done: make(chan struct{})}
	for i := range n {
		ends := make([]*labrpc.ClientEnd, n)
		for j := range n {
			name := fmt.Sprintf("%d-%d", i, j)
			ends[j] = c.net.MakeEnd(name)
			c.net.Connect(name, j)
			c.net.Enable(name, true)
		}
		ch := make(chan raft.ApplyMsg)
		rf, err := raft.MakeWithConfig(ends, i, raft.MakePersister(), ch, raft.Config{})
		if err != nil {
			c.stop()
			return nil, err
		}
		svc := &miniService{waiters: map[int][]chan struct{}{}}
		c.rafts = append(c.rafts, rf)
		c.services = append(c.services, svc)
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(rf))
		c.net.AddServer(i, srv)
		c.wg.Add(1)
		go c.apply(svc, ch)
	}
	if _, err := c.findLeader(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// findLeader waits up to 10s for a peer that believes it leads.
func (c *miniCluster) findLeader() (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, rf := range c.rafts {
			if _, isLeader := rf.GetState(); isLeader {
				c.leader.Store(int64(i))
				return i, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, errors.New("miniraft: no leader within 10s")
		}
		time.Sleep(10 * time.Millisecond) // leader changes only: rare
	}
}

func (c *miniCluster) apply(svc *miniService, ch chan raft.ApplyMsg) {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case m := <-ch:
			if !m.CommandValid {
				continue
			}
			svc.mu.Lock()
			svc.applied = m.CommandIndex
			for _, w := range svc.waiters[m.CommandIndex] {
				close(w)
			}
			delete(svc.waiters, m.CommandIndex)
			svc.mu.Unlock()
		}
	}
}

// propose proposes cmd to the leader and waits until that peer applies its index.
func (c *miniCluster) propose(cmd []byte) error {
	// Start keeps the command in the log as it is: give it a copy the proposer will not
	// reuse, as for hashicorp below.
	cmd = slices.Clone(cmd)
	for {
		leader := int(c.leader.Load())
		idx, term, ok := c.rafts[leader].Start(cmd)
		if !ok {
			if _, err := c.findLeader(); err != nil {
				return err
			}
			continue
		}
		svc := c.services[leader]
		w := make(chan struct{})
		svc.mu.Lock()
		if svc.applied >= idx {
			svc.mu.Unlock()
			return nil
		}
		svc.waiters[idx] = append(svc.waiters[idx], w)
		svc.mu.Unlock()
		if c.await(w, leader, term) {
			return nil
		}
		// Leadership changed: the command may never be committed (a new leader
		// appends nothing of its own), so propose it again, as hashicorp's Apply
		// fails with ErrLeadershipLost and its caller retries.
		if _, err := c.findLeader(); err != nil {
			return err
		}
	}
}

// await waits for w, and reports false if meanwhile the peer stopped leading in term.
func (c *miniCluster) await(w chan struct{}, peer, term int) bool {
	check := time.NewTicker(500 * time.Millisecond)
	defer check.Stop()
	for {
		select {
		case <-w:
			return true
		case <-check.C:
			if t, isLeader := c.rafts[peer].GetState(); t != term || !isLeader {
				return false
			}
		}
	}
}

func (c *miniCluster) stop() {
	for _, rf := range c.rafts {
		rf.Kill()
	}
	close(c.done)
	c.net.Cleanup()
	for _, rf := range c.rafts {
		rf.Wait()
	}
	c.wg.Wait()
}

// ---- hashicorp/raft -----------------------------------------------------------------

// hcCluster is hashicorp/raft peers with in-memory log, stable and snapshot stores,
// connected by InmemTransport.
type hcCluster struct {
	rafts  []*hraft.Raft
	trans  []*hraft.InmemTransport
	leader atomic.Pointer[hraft.Raft]
}

// hcFSM is a service that only counts what it applies.
type hcFSM struct{ applied atomic.Uint64 }

func (f *hcFSM) Apply(*hraft.Log) interface{} { f.applied.Add(1); return nil }
func (f *hcFSM) Snapshot() (hraft.FSMSnapshot, error) {
	return hcSnapshot{}, nil
}
func (f *hcFSM) Restore(r io.ReadCloser) error { return r.Close() }

type hcSnapshot struct{}

func (hcSnapshot) Persist(sink hraft.SnapshotSink) error { return sink.Close() }
func (hcSnapshot) Release()                              {}

func startHashicorp(n int) (cluster, error) {
	c := &hcCluster{}
	var servers []hraft.Server
	addrs := make([]hraft.ServerAddress, n)
	for i := range n {
		addr, t := hraft.NewInmemTransport("")
		addrs[i] = addr
		c.trans = append(c.trans, t)
		servers = append(servers, hraft.Server{ID: hraft.ServerID(strconv.Itoa(i)), Address: addr})
	}
	for i, t := range c.trans {
		for j := range c.trans {
			if i != j {
				t.Connect(addrs[j], c.trans[j])
			}
		}
	}
	for i := range n {
		conf := hraft.DefaultConfig()
		conf.LocalID = servers[i].ID
		conf.Logger = hclog.NewNullLogger()
		logs, stable, snaps := hraft.NewInmemStore(), hraft.NewInmemStore(), hraft.NewInmemSnapshotStore()
		if err := hraft.BootstrapCluster(conf, logs, stable, snaps, c.trans[i], hraft.Configuration{Servers: servers}); err != nil {
			c.stop()
			return nil, err
		}
		r, err := hraft.NewRaft(conf, &hcFSM{}, logs, stable, snaps, c.trans[i])
		if err != nil {
			c.stop()
			return nil, err
		}
		c.rafts = append(c.rafts, r)
	}
	if err := c.findLeader(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *hcCluster) propose(cmd []byte) error {
	// Apply keeps the slice in the log it hands the followers, as the value itself:
	// give it a copy the proposer will not reuse.
	cmd = slices.Clone(cmd)
	for {
		err := c.leader.Load().Apply(cmd, 10*time.Second).Error()
		if !errors.Is(err, hraft.ErrNotLeader) && !errors.Is(err, hraft.ErrLeadershipLost) {
			return err
		}
		if err := c.findLeader(); err != nil {
			return err
		}
	}
}

// findLeader waits up to 10s for a peer that believes it leads.
func (c *hcCluster) findLeader() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, r := range c.rafts {
			if r.State() == hraft.Leader {
				c.leader.Store(r)
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("hashicorp: no leader within 10s")
		}
		time.Sleep(10 * time.Millisecond) // leader changes only: rare
	}
}

func (c *hcCluster) stop() {
	for _, r := range c.rafts {
		_ = r.Shutdown().Error()
	}
	for _, t := range c.trans {
		_ = t.Close()
	}
}
