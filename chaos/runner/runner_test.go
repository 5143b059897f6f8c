package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/miniraft/miniraft/chaos/scenario"
	"github.com/miniraft/miniraft/scripts"
)

func TestLibrarySim(t *testing.T) {
	for _, name := range scripts.Names() {
		t.Run(name, func(t *testing.T) {
			src, err := scripts.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scenario.Parse(name+".chaos", src)
			if err != nil {
				t.Fatal(err)
			}
			r, err := New(sc, Options{Engine: "sim", Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			res.WriteSummary(&b)
			t.Log(b.String())
			if !res.Pass {
				t.Errorf("%s failed: %v", name, res.Failure)
			}
		})
	}
}

func TestLibraryLiveQuick(t *testing.T) {
	for _, name := range []string{"leader-crash", "flaky-network", "snapshot-catchup"} {
		t.Run(name, func(t *testing.T) {
			src, _ := scripts.Read(name)
			sc, err := scenario.Parse(name+".chaos", src)
			if err != nil {
				t.Fatal(err)
			}
			r, err := New(sc, Options{Engine: "live", Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			res.WriteSummary(&b)
			t.Log(b.String())
			if !res.Pass {
				t.Errorf("%s failed: %v", name, res.Failure)
			}
		})
	}
}
