package cli

import (
	"os"
	"testing"

	"github.com/miniraft/miniraft/chaos/fuzz"
)

// TestMain lets this test binary be the worker process of the live runs its tests make
// (miniraft runs live scenarios and fuzz campaigns in workers: this program again).
func TestMain(m *testing.M) {
	fuzz.Serve()
	os.Exit(m.Run())
}
