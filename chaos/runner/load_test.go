package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.chaos")
	if err := os.WriteFile(good, []byte("# Mine.\npeers 3\nseed 4\nwait leader within 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.chaos")
	if err := os.WriteFile(bad, []byte("peers 3\ncrsh leader\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg, wantName, wantErr string
	}{
		{arg: "leader-crash", wantName: "leader-crash"},
		{arg: good, wantName: "mine"},
		{arg: bad, wantErr: "bad.chaos:2:1: unknown command \"crsh\""},
		{arg: "leader-crsh", wantErr: `(did you mean "leader-crash"?)`},
		{arg: filepath.Join(dir, "missing.chaos"), wantErr: "no such file"},
	} {
		sc, err := Load(tc.arg)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Load(%q) error = %v, want one containing %q", tc.arg, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("Load(%q): %v", tc.arg, err)
		case tc.wantErr == "" && sc.Name != tc.wantName:
			t.Errorf("Load(%q).Name = %q, want %q", tc.arg, sc.Name, tc.wantName)
		}
	}
	sc, err := Load(good)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), sc, Options{})
	if err != nil || !res.Pass || res.Seed != 4 || res.Engine != "sim" {
		t.Errorf("Run(mine) = %+v, %v; want a pass on sim with the scenario's seed 4", res, err)
	}
}
