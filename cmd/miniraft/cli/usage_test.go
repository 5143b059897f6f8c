package cli

import (
	"bytes"
	"strings"
	"testing"
)

// wantUsageError runs miniraft with args and checks that it exits with exitUsage and
// that its standard error says want.
func wantUsageError(t *testing.T, args []string, want string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := "miniraft " + strings.Join(args, " ")
	if code := run(args, &out, &errb); code != exitUsage {
		t.Errorf("%s: exit %d, want %d", cmd, code, exitUsage)
	}
	if !strings.Contains(errb.String(), want) {
		t.Errorf("%s: stderr %q, want it to say %q", cmd, errb.String(), want)
	}
}
