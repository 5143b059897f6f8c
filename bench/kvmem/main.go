// Command kvmem runs a key-value service (chaos/kv's Store) over three raft.Raft peers on
// a reliable labrpc network, without snapshots, for a number of operations, and reports
// the process's peak resident memory against the live heap at the end: what a service
// over MiniRaft costs in memory beyond what it must keep (the whole log, three times).
//
//	go run ./kvmem -ops 100000
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miniraft/miniraft/chaos/kv"
	"github.com/miniraft/miniraft/labrpc"
	"github.com/miniraft/miniraft/raft"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kvmem:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kvmem", flag.ContinueOnError)
	ops := fs.Int("ops", 100_000, "operations to complete")
	clients := fs.Int("clients", 16, "clerks proposing at once")
	keys := fs.Int("keys", 100, "distinct keys")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ops < 1 || *clients < 1 || *keys < 1 {
		return errors.New("-ops, -clients and -keys must be at least 1")
	}
	c, err := startService(3)
	if err != nil {
		return err
	}
	start := time.Now()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *clients)
	for cl := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(cl), 7))
			for seq := 1; done.Add(1) <= int64(*ops); seq++ {
				op := kv.Op{Client: cl, Seq: seq, Key: "k" + strconv.Itoa(r.IntN(*keys))}
				switch p := r.IntN(4); {
				case p < 2:
					op.Kind, op.Value = kv.Put, fmt.Sprintf("v%08d", r.IntN(1e8))
				case p < 3:
					op.Kind, op.Value = kv.Append, fmt.Sprintf("a%03d", r.IntN(1000))
				default:
					op.Kind = kv.Get
				}
				if err := c.do(op); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	// The live heap at the end, with the cluster still up: the three logs, the stores.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	peak, err := peakRSS()
	if err != nil {
		return err
	}
	st := c.rafts[0].Status()
	fmt.Fprintf(out, "kv over 3 raft.Raft peers on labrpc, no snapshots: %d operations by %d clerks in %v (%.0f ops/s); log length %d\n",
		*ops, *clients, elapsed.Round(time.Millisecond), float64(*ops)/elapsed.Seconds(), st.LastIndex)
	fmt.Fprintf(out, "live heap at the end %.1f MiB, peak RSS %.1f MiB: %.2fx (goal: under 2x)\n",
		float64(ms.HeapAlloc)/(1<<20), float64(peak)/(1<<20), float64(peak)/float64(ms.HeapAlloc))
	c.stop()
	return nil
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("peak RSS: %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("peak RSS: no VmHWM in /proc/self/status")
}

// service is three peers, each a raft.Raft with a kv.Store applying what it commits.
type service struct {
	net    *labrpc.Network
	rafts  []*raft.Raft
	stores []*kv.Store
	done   chan struct{}
	wg     sync.WaitGroup
	leader atomic.Int64
}

func startService(n int) (*service, error) {
	c := &service{net: labrpc.MakeNetwork(), done: make(chan struct{})}
	for i := range n {
		ends := make([]*labrpc.ClientEnd, n)
		for j := range n {
			name := fmt.Sprintf("%d-%d", i, j)
			ends[j] = c.net.MakeEnd(name)
			c.net.Connect(name, j)
			c.net.Enable(name, true)
		}
		ch := make(chan raft.ApplyMsg)
		rf := raft.Make(ends, i, raft.MakePersister(), ch)
		st := kv.NewStore(0) // no snapshots
		c.rafts = append(c.rafts, rf)
		c.stores = append(c.stores, st)
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(rf))
		c.net.AddServer(i, srv)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				select {
				case <-c.done:
					return
				case m := <-ch:
					if m.CommandValid {
						st.Apply(m.CommandIndex, m.Command)
					}
				}
			}
		}()
	}
	return c, nil
}

// do runs op until a leader has applied it.
func (c *service) do(op kv.Op) error {
	cmd, err := op.Command()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		i := int(c.leader.Load())
		idx, _, ok := c.rafts[i].Start(cmd)
		if !ok {
			c.leader.Store(int64((i + 1) % len(c.rafts)))
			time.Sleep(time.Millisecond) // no leader here: try the next peer
			continue
		}
		ch := make(chan kv.Reply, 1)
		r, now := c.stores[i].Await(idx, op.Client, op.Seq, func(r kv.Reply) { ch <- r })
		if !now {
			select {
			case r = <-ch:
			case <-time.After(5 * time.Second):
				c.stores[i].Cancel(idx, op.Client, op.Seq)
				continue
			}
		}
		if r.OK {
			return nil
		}
	}
	return fmt.Errorf("%v not applied within 30s", op)
}

func (c *service) stop() {
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
