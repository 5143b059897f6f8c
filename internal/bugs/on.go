//go:build bugs

package bugs

import (
	"fmt"
	"slices"
	"sync/atomic"
)

// Available reports whether this build can switch bugs on.
const Available = true

var active atomic.Pointer[[]string]

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
