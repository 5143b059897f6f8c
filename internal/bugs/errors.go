package bugs

import "errors"

var errNotBuilt = errors.New("this binary has no deliberate bugs: build it with -tags bugs")
