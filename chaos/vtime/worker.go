package vtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// EnvWorker is the environment variable that makes a process started by a Worker serve
// jobs (see Serve) instead of doing what it normally does.
const EnvWorker = "MINIRAFT_VTIME_WORKER"

// workerTest names the one test a worker process runs.
const workerTest = "VtimeWorker"

// ExitVerdict is the exit code of a worker that ended a job with a watchdog's verdict.
const ExitVerdict = 3

// DefaultHardTimeout bounds, in real time, a job whose worker neither replies nor
// reaches a verdict.
const DefaultHardTimeout = time.Minute

// Handler runs one job inside a synctest bubble, in a worker process: everything it
// starts runs in virtual time. ctx is the bubble's (done when the job's test ends); wd
// is the job's watchdog, already pulsing in the bubble, for the handler to Watch its
// calls into peers. It returns the job's result, or an error that the Worker's caller
// gets as Reply.Err. It must stop every goroutine it started before it returns.
type Handler func(ctx context.Context, wd *Watchdog, req []byte) ([]byte, error)

// request and reply are the protocol between a Worker and its process: JSON values, one
// after another, requests on the process's stdin and replies on its file descriptor 3
// (its stdout and stderr are the testing package's and the runtime's).
type request struct {
	ID      uint64 `json:"id"`
	Payload []byte `json:"payload"`
	// RealTime runs the job in real time rather than in a bubble.
	RealTime bool `json:"real_time,omitempty"`
}

type reply struct {
	ID      uint64        `json:"id"`
	Payload []byte        `json:"payload,omitempty"`
	Err     string        `json:"err,omitempty"`
	Verdict *Verdict      `json:"verdict,omitempty"`
	Wall    time.Duration `json:"wall"`
	Virtual time.Duration `json:"virtual"`
	// Done is the second message of a job that answered: its goroutines have all ended,
	// or (Leaked) some did not once it had answered.
	Done   bool     `json:"done,omitempty"`
	Leaked *Verdict `json:"leaked,omitempty"`
}

// IsWorker reports whether this process was started by a Worker.
func IsWorker() bool { return os.Getenv(EnvWorker) == "1" }

// Serve makes a process started by a Worker serve its jobs with h, each in a synctest
// bubble of its own under a watchdog configured by opts, and then exit; in any other
// process it returns at once. Call it first thing in main (or TestMain), so that the
// program can be its own worker:
//
//	func main() {
//		vtime.Serve(runCluster, vtime.Options{})
//		... the program as usual ...
//	}
//
// synctest.Test needs a *testing.T, which only the testing package makes: Serve gets one
// by running testing.Main with a single test, which reads jobs from stdin until it
// closes. A job whose watchdog reaches a verdict ends the process (exit code
// ExitVerdict) after replying, since the goroutines that hang can never be ended; a
// panic in a job ends it as any panic does. The Worker starts a fresh process for the
// next job.
func Serve(h Handler, opts Options) {
	if !IsWorker() {
		return
	}
	replies := os.NewFile(3, "vtime-replies")
	if replies == nil {
		fmt.Fprintln(os.Stderr, "vtime: worker started without its reply pipe (file descriptor 3)")
		os.Exit(2)
	}
	os.Args = os.Args[:1] // the testing flags take their defaults
	testing.Main(func(string, string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: workerTest, F: func(t *testing.T) { serve(t, h, opts, os.Stdin, replies) }}},
		nil, nil)
}

// serve answers the jobs read from in, one at a time, until in ends.
func serve(t *testing.T, h Handler, opts Options, in io.Reader, out io.Writer) {
	dec := json.NewDecoder(in)
	var mu sync.Mutex // serialises replies: a verdict may come from any goroutine
	enc := json.NewEncoder(out)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("vtime worker: reading a job: %v", err)
			}
			return
		}
		wall := time.Now()
		o := opts
		returned := make(chan struct{}) // closed from the bubble when h has returned and answered
		ended := make(chan struct{})    // closed when the bubble has ended
		o.OnVerdict = func(v Verdict) {
			mu.Lock() // held until the end: nothing else may reply now
			r := reply{ID: req.ID, Verdict: &v, Wall: time.Since(wall)}
			select {
			case <-returned:
				// The job answered; what is left of it is stuck: a leak, not its verdict.
				r = reply{ID: req.ID, Done: true, Leaked: &v}
			default:
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintf(os.Stderr, "vtime worker: sending a verdict: %v\n", err)
			}
			os.Exit(ExitVerdict)
		}
		wd := New(o)
		job := func(t *testing.T) {
			stop := wd.Pulse()
			start := time.Now()
			out, err := h(t.Context(), wd, req.Payload)
			rep := reply{ID: req.ID, Payload: out, Virtual: time.Since(start)}
			stop()
			if err != nil {
				rep.Err = err.Error()
			}
			// Answer now, before the bubble ends: goroutines the job leaves behind (a Raft
			// whose goroutines do not all end when it is killed) may keep it from ending,
			// and should not cost the answer.
			rep.Wall = time.Since(wall)
			mu.Lock()
			err = enc.Encode(rep)
			mu.Unlock()
			if err != nil {
				fmt.Fprintf(os.Stderr, "vtime worker: replying: %v\n", err)
				os.Exit(2)
			}
			close(returned)
		}
		if req.RealTime {
			// No bubble: the job's goroutines are the process's, and a run's leftovers
			// are the next job's company (a verdict ends the process, as in a bubble).
			job(t)
		} else {
			go watchEnd(wd, returned, ended, o.withDefaults().Stall)
			synctest.Test(t, job)
		}
		close(ended)
		wd.Close()
		mu.Lock()
		err := enc.Encode(reply{ID: req.ID, Done: true})
		mu.Unlock()
		if err != nil {
			t.Errorf("vtime worker: replying: %v", err)
			return
		}
	}
}

// watchEnd turns goroutines a handler left running into a verdict (of a leak, since the
// job has answered): once the handler has returned, the bubble must end within stall of
// real time.
func watchEnd(wd *Watchdog, returned, ended <-chan struct{}, stall time.Duration) {
	select {
	case <-returned:
	case <-ended: // the handler panicked, or the job ended otherwise
		return
	}
	t := time.NewTimer(stall)
	defer t.Stop()
	select {
	case <-ended:
	case <-t.C:
		wd.fireStall(Verdict{Peer: -1, Stalled: true,
			Message: fmt.Sprintf("the run's goroutines did not end within %v of real time after it returned", stall)}, 0)
	}
}

// WorkerOptions configure a Worker. Zero fields take the defaults.
type WorkerOptions struct {
	// Path is the program to start (default: this program, os.Executable). It must call
	// Serve first thing.
	Path string
	// Env is added to the process's environment.
	Env []string
	// HardTimeout bounds a job in real time (default DefaultHardTimeout): past it the
	// process is sent SIGQUIT, which makes the runtime print every goroutine's stack and
	// exit, and the job's Reply carries a verdict made from that dump.
	HardTimeout time.Duration
	// Packages are the prefixes of the functions whose goroutines a verdict made from a
	// crash dump shows (default RaftPackage).
	Packages []string
	// RealTime runs the jobs in real time, not in synctest bubbles: for code a bubble
	// cannot run (real I/O, say), at the speed of real time. Jobs are still isolated from
	// the caller: a panic or a verdict ends only the worker process.
	RealTime bool
}

// Worker runs jobs in a worker process (see Serve), one at a time, restarting the
// process when a job ended it. It is not safe for concurrent use: give each goroutine
// that runs jobs a Worker of its own.
type Worker struct {
	opts WorkerOptions
	next uint64
	proc *process // nil until the first job, and after a job that ended the process
}

// process is one worker process.
type process struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan reply    // closed when the reply pipe ends
	exited  chan struct{} // closed when the process has ended
	output  *tail         // its stdout and stderr
}

// NewWorker returns a worker; its process starts with the first job.
func NewWorker(opts WorkerOptions) *Worker {
	if opts.HardTimeout <= 0 {
		opts.HardTimeout = DefaultHardTimeout
	}
	if len(opts.Packages) == 0 {
		opts.Packages = []string{RaftPackage}
	}
	return &Worker{opts: opts}
}

// Reply is the outcome of a job.
type Reply struct {
	// Payload and Err are what the handler returned.
	Payload []byte
	Err     string
	// Verdict is set when the job hung: the watchdog's verdict, or one made from the
	// dump of a process that synctest found deadlocked, that left goroutines behind, or
	// that passed the hard timeout.
	Verdict *Verdict
	// Panic is set when the job panicked: the runtime's panic message. Stacks are then the
	// dump's goroutines, the panicking one first.
	Panic  string
	Stacks []Goroutine
	// Exit is the process's exit code when the job ended it, else 0; Output is then the
	// end of what it printed.
	Exit   int
	Output string
	// Wall is the job's real time; Virtual is the cluster time the handler took (zero
	// when it did not return).
	Wall, Virtual time.Duration
	// Leaked is set when the job answered but left goroutines behind that never end (in
	// a bubble: synctest's "blocked goroutines remain", or goroutines still running
	// Stall after the answer); its Stacks are theirs. The process then ended.
	Leaked *Verdict
}

// Do runs one job: payload goes to the handler in a bubble of the worker process. The
// error is for a job that could not be run (the process would not start, ctx ended);
// what happened to a job that ran is in the Reply.
func (w *Worker) Do(ctx context.Context, payload []byte) (*Reply, error) {
	if w.proc == nil {
		p, err := w.start()
		if err != nil {
			return nil, err
		}
		w.proc = p
	}
	p := w.proc
	w.next++
	start := time.Now()
	if err := json.NewEncoder(p.stdin).Encode(request{ID: w.next, Payload: payload, RealTime: w.opts.RealTime}); err != nil {
		// The process is gone: what it printed says why.
		return w.ended(p, start, nil), nil
	}
	hard := time.NewTimer(w.opts.HardTimeout)
	defer hard.Stop()
	select {
	case rep, ok := <-p.replies:
		if !ok {
			return w.ended(p, start, nil), nil
		}
		r := &Reply{Payload: rep.Payload, Err: rep.Err, Verdict: rep.Verdict, Wall: rep.Wall, Virtual: rep.Virtual}
		if rep.Verdict != nil {
			w.reap(p, 5*time.Second)
			r.Exit, r.Output = p.cmd.ProcessState.ExitCode(), p.output.String()
			w.proc = nil
			return r, nil
		}
		w.awaitDone(p, r, hard.C)
		return r, nil
	case <-hard.C:
		p.cmd.Process.Signal(syscall.SIGQUIT)
		w.reap(p, 5*time.Second)
		msg := fmt.Sprintf("the job did not end within %v of real time; the worker was sent SIGQUIT", w.opts.HardTimeout)
		return w.ended(p, start, &msg), nil
	case <-ctx.Done():
		w.reap(p, 0)
		w.proc = nil
		return nil, ctx.Err()
	}
}

// awaitDone waits for the end of a job that answered r: its goroutines all end, or the
// process says (or shows, by ending) that some never will, which r.Leaked then says.
func (w *Worker) awaitDone(p *process, r *Reply, hard <-chan time.Time) {
	select {
	case d, ok := <-p.replies:
		if ok && d.Done && d.Leaked == nil {
			return
		}
		w.reap(p, 5*time.Second)
		w.proc = nil
		if ok && d.Leaked != nil {
			r.Leaked = d.Leaked
			return
		}
		out := p.output.String()
		var own []Goroutine
		for _, g := range ParseStacks([]byte(out)) {
			if g.Runs(w.opts.Packages...) {
				own = append(own, g)
			}
		}
		msg := panicMessage(out)
		if msg == "" {
			msg = fmt.Sprintf("the worker ended (exit code %d) after the job answered", p.cmd.ProcessState.ExitCode())
		}
		r.Leaked = &Verdict{Peer: -1, Message: msg, Stacks: own}
	case <-hard:
		p.cmd.Process.Signal(syscall.SIGQUIT)
		w.reap(p, 5*time.Second)
		w.proc = nil
		r.Leaked = &Verdict{Peer: -1, Stalled: true, Message: fmt.Sprintf("the job answered, but its goroutines did not end within %v of real time", w.opts.HardTimeout)}
	}
}

// ended describes a job that ended its process. hung, when set, says how it hung.
func (w *Worker) ended(p *process, start time.Time, hung *string) *Reply {
	w.reap(p, 5*time.Second)
	w.proc = nil
	out := p.output.String()
	r := &Reply{Exit: p.cmd.ProcessState.ExitCode(), Output: out, Wall: time.Since(start)}
	stacks := ParseStacks([]byte(out))
	var own []Goroutine
	for _, g := range stacks {
		if g.Runs(w.opts.Packages...) {
			own = append(own, g)
		}
	}
	switch {
	case hung != nil:
		r.Verdict = &Verdict{Peer: -1, Stalled: true, Message: *hung, Stacks: own}
	case strings.Contains(out, "panic: deadlock: "):
		// synctest's own finding: every goroutine of the bubble durably blocked with no
		// timer to wait for, or goroutines left blocked when the run returned.
		msg := panicMessage(out)
		r.Verdict = &Verdict{Peer: -1, Message: "synctest: " + strings.TrimPrefix(msg, "panic: "), Stacks: own}
	case strings.Contains(out, "panic: ") || strings.Contains(out, "fatal error: "):
		r.Panic, r.Stacks = panicMessage(out), stacks
	}
	return r
}

// panicMessage returns the runtime's panic or fatal error message in out: from its
// first line to the first blank line.
func panicMessage(out string) string {
	i := strings.Index(out, "panic: ")
	if j := strings.Index(out, "fatal error: "); i < 0 || j >= 0 && j < i {
		i = j
	}
	if i < 0 {
		return ""
	}
	msg, _, _ := strings.Cut(out[i:], "\n\n")
	return strings.TrimSpace(msg)
}

// start starts a worker process.
func (w *Worker) start() (*process, error) {
	path := w.opts.Path
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("vtime: finding this program to start a worker: %w", err)
		}
		path = exe
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("vtime: starting a worker: %w", err)
	}
	cmd := exec.Command(path)
	godebug := "tracebacklabels=1"
	if cur := os.Getenv("GODEBUG"); cur != "" {
		godebug = cur + "," + godebug
	}
	cmd.Env = append(append(os.Environ(), EnvWorker+"=1", "GOTRACEBACK=all", "GODEBUG="+godebug), w.opts.Env...)
	cmd.ExtraFiles = []*os.File{wr}
	p := &process{cmd: cmd, replies: make(chan reply), exited: make(chan struct{}), output: newTail(1 << 20)}
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		rd.Close()
		wr.Close()
		return nil, fmt.Errorf("vtime: starting a worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		rd.Close()
		wr.Close()
		return nil, fmt.Errorf("vtime: starting worker %s: %w", path, err)
	}
	wr.Close() // the process has its copy
	go func() {
		defer rd.Close()
		defer close(p.replies)
		dec := json.NewDecoder(rd)
		for {
			var r reply
			if err := dec.Decode(&r); err != nil {
				return
			}
			p.replies <- r
		}
	}()
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// reap waits up to grace for p to end, then kills it, and waits until it has ended and
// its reply pipe is drained.
func (w *Worker) reap(p *process, grace time.Duration) {
	p.stdin.Close()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.cmd.Process.Kill()
		<-p.exited
	}
	for range p.replies {
	}
}

// Close ends the worker's process, if it runs, and waits for it.
func (w *Worker) Close() error {
	if w.proc == nil {
		return nil
	}
	w.reap(w.proc, 5*time.Second)
	err := w.proc.cmd.ProcessState.ExitCode()
	w.proc = nil
	if err != 0 {
		return fmt.Errorf("vtime: worker exited with code %d", err)
	}
	return nil
}

// tail keeps the last bytes written to it. It is safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
