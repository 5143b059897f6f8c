package foreign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/miniraft/miniraft/chaos/course"
)

// EnvRaft is set, in the environment of a binary Handoff runs, to the absolute directory
// whose Raft the binary carries. A binary that finds it set and does not carry that Raft
// stops with an error rather than build and run yet another binary.
const EnvRaft = "MINIRAFT_RAFT"

// exitUsage is the exit code of bad usage or bad input, as in the command line.
const exitUsage = 2

// RaftFlag returns the value of the --raft flag in miniraft's arguments (without the
// program name), as pflag would read it: "--raft DIR" or "--raft=DIR", before any "--".
func RaftFlag(args []string) (dir string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", false
		case a == "--raft" && i+1 < len(args):
			return args[i+1], true
		case strings.HasPrefix(a, "--raft="):
			return strings.TrimPrefix(a, "--raft="), true
		}
	}
	return "", false
}

// Handoff is how the command line runs a user's Raft. Given miniraft's arguments
// (without the program name): if they name --raft DIR and this binary does not carry
// the Raft in DIR (course.ForDir), it builds the binary that does (Build, with progress
// on stderr) and runs it in this process's place with the same arguments (Exec), with
// EnvRaft set. It returns handled false when there is nothing to hand off, and
// otherwise the exit code to exit with: 2 when the Raft cannot be built (the compiler's
// messages or the list of what is missing are on stderr), or, where processes cannot be
// replaced, the exit code of the binary it ran.
func Handoff(ctx context.Context, args []string, stderr io.Writer) (code int, handled bool) {
	dir, ok := RaftFlag(args)
	if !ok || course.ForDir(dir) != nil {
		return 0, false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "miniraft: --raft %s: %v\n", dir, err)
		return exitUsage, true
	}
	if carried := os.Getenv(EnvRaft); carried != "" {
		fmt.Fprintf(stderr, "miniraft: this binary was built for the Raft in %s, not %s (%s is set: it was started by miniraft --raft)\n", carried, abs, EnvRaft)
		return exitUsage, true
	}
	res, err := Build(ctx, Options{Dir: dir, Log: stderr})
	if err != nil {
		var pe *ProblemsError
		var ce *CompileError
		switch {
		case errors.As(err, &pe), errors.As(err, &ce):
			fmt.Fprintln(stderr, err)
		default:
			fmt.Fprintf(stderr, "miniraft: --raft %s: %v\n", dir, err)
		}
		return exitUsage, true
	}
	env := append(os.Environ(), EnvRaft+"="+abs)
	code, err = Exec(res.Binary, append([]string{"miniraft"}, args...), env)
	if err != nil {
		fmt.Fprintf(stderr, "miniraft: %v\n", err)
	}
	return code, true
}
