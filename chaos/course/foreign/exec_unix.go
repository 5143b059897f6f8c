//go:build unix

package foreign

import (
	"fmt"
	"syscall"
)

// Exec runs the binary bin with argv (argv[0] included) and env in place of this
// process, which it replaces: on success it does not return, and the binary's exit
// code is the process's. It returns only the error of a binary that cannot be run.
func Exec(bin string, argv, env []string) (int, error) {
	err := syscall.Exec(bin, argv, env)
	return exitUsage, fmt.Errorf("running %s: %w", bin, err)
}
