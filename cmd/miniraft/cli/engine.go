package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/miniraft/miniraft/chaos/course"
	"github.com/miniraft/miniraft/chaos/vtime"
)

// engineFlags are --engine and --raft, which run, tui and fuzz share: which engine runs
// the peers, and whose Raft they are.
type engineFlags struct {
	engine string
	raft   string // --raft DIR
	fs     *pflag.FlagSet
}

func (f *engineFlags) add(fs *pflag.FlagSet, what string) {
	f.fs = fs
	fs.StringVar(&f.engine, "engine", "sim", what)
	fs.StringVar(&f.raft, "raft", "", "run your own Raft: the course-style package raft in this directory (raft.go and friends, unchanged), built into miniraft on the fly and run on the live engine")
}

// words returns the flags that choose engine (as resolve returned it) on a command
// line that runs a scenario again: --raft DIR, else --engine NAME.
func (f *engineFlags) words(engine string) []string {
	if f.raft != "" {
		return []string{"--raft", shellWord(f.raft)}
	}
	return []string{"--engine", engine}
}

// resolve checks the flags and returns the engine and the Raft to run (nil: MiniRaft's).
// A foreign Raft reaches this point only inside a binary built around it (foreign.Handoff
// builds one and runs it in this process's place), which carries it (course.ForDir).
func (f *engineFlags) resolve() (engine string, impl *course.Impl, err error) {
	if f.engine != "sim" && f.engine != "live" {
		return "", nil, fmt.Errorf("--engine %q: want sim or live", f.engine)
	}
	if f.raft == "" {
		return f.engine, nil, nil
	}
	if f.fs.Changed("engine") && f.engine != "live" {
		return "", nil, fmt.Errorf("--raft runs your Raft with its goroutines on the live engine; the sim engine runs only MiniRaft's own raft.Node: drop --engine %s", f.engine)
	}
	impl = course.ForDir(f.raft)
	if impl == nil {
		return "", nil, fmt.Errorf("--raft %s: this miniraft does not carry that Raft (miniraft builds one that does when it is run as miniraft --raft DIR)", f.raft)
	}
	return "live", impl, nil
}

// refuseSettings refuses the flags that set what only MiniRaft's Raft takes, with a
// foreign Raft.
func refuseSettings(impl *course.Impl, o *overrides) error {
	if impl == nil {
		return nil
	}
	if o.prevoteSet || o.checkQuorumSet {
		return fmt.Errorf("--prevote and --checkquorum set MiniRaft's Raft; %s runs with its own settings", impl.Name)
	}
	return nil
}

// liveWatchdog starts a watchdog for a live run in real time: a call into a peer that
// does not return within its bound ends the run with a deadlock violation and the stacks
// of the Raft's code. The function it returns stops it.
func liveWatchdog(impl *course.Impl) (*vtime.Watchdog, func()) {
	ps := []string{vtime.RaftPackage}
	if impl != nil && impl.Package != "" {
		ps = append(ps, impl.Package+".")
	}
	wd := vtime.New(vtime.Options{Packages: ps})
	stop := wd.Pulse()
	return wd, func() {
		stop()
		wd.Close()
	}
}
