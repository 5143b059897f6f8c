//go:build !unix

package foreign

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// Exec runs the binary bin with argv (argv[0] included) and env as a child process with
// this process's standard streams, passes interrupts on to it, waits for it, and
// returns its exit code; the caller exits with it. Where the system can replace a
// process (Unix), Exec does that instead.
func Exec(bin string, argv, env []string) (int, error) {
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		return exitUsage, fmt.Errorf("running %s: %w", bin, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sig:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return exitUsage, fmt.Errorf("running %s: %w", bin, err)
	}
	return 0, nil
}
