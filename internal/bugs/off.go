//go:build !bugs

package bugs

import "errors"

var errNotBuilt = errors.New("this binary has no deliberate bugs: build it with -tags bugs")

// Available reports whether this build can switch bugs on.
const Available = false

// On reports whether the named bug is switched on: never, in this build.
func On(name string) bool { return false }

// Set switches on the named bugs; in this build it fails unless names is empty.
func Set(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	return errNotBuilt
}
