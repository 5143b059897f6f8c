//go:build bugs

package bugs

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
)

// Available reports whether this build can switch bugs on.
const Available = true

var active atomic.Pointer[[]string]

// init switches on the bugs EnvVar names; an unknown name stops the program with exit
// code 2.
func init() {
	v := os.Getenv(EnvVar)
	if v == "" {
		return
	}
	if err := Set(strings.Split(v, ",")...); err != nil {
		fmt.Fprintf(os.Stderr, "%s=%s: %v\n", EnvVar, v, err)
		os.Exit(2)
	}
}

// On reports whether the named bug is switched on.
func On(name string) bool {
	p := active.Load()
	return p != nil && slices.Contains(*p, name)
}

// Set switches on exactly the named bugs (none, to switch all off).
func Set(names ...string) error {
	for _, n := range names {
		if !slices.Contains(Known, n) {
			return fmt.Errorf("unknown bug %q (known: %v)", n, Known)
		}
	}
	names = slices.Clone(names)
	active.Store(&names)
	return nil
}
