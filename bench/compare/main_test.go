package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestInts(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"1,64", []int{1, 64}, false},
		{" 16 , 1024", []int{16, 1024}, false},
		{"0", nil, true},
		{"1,x", nil, true},
		{"", nil, true},
	} {
		got, err := ints(tc.in)
		if (err != nil) != tc.wantErr || len(got) != len(tc.want) {
			t.Errorf("ints(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ints(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	rs := []result{
		{commits: 10, p50: 3 * time.Millisecond, p99: 9 * time.Millisecond},
		{commits: 30, p50: 1 * time.Millisecond, p99: 7 * time.Millisecond},
		{commits: 20, p50: 2 * time.Millisecond, p99: 8 * time.Millisecond},
	}
	if got, want := median(rs), (result{commits: 20, p50: 2 * time.Millisecond, p99: 8 * time.Millisecond}); got != want {
		t.Errorf("median = %+v, want %+v", got, want)
	}
	if got := median(rs[:2]); got.commits != 20 || got.p50 != 2*time.Millisecond {
		t.Errorf("median of two = %+v, want the means of the middle pair", got)
	}
}

// One short run of each kind prints both, the medians and the ratios.
func TestRunPrintsBothAndTheRatio(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two real clusters")
	}
	var out bytes.Buffer
	if err := run([]string{"-runs", "1", "-time", "200ms", "-warmup", "50ms", "-proposers", "2", "-payloads", "16"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"run 1  miniraft ", "run 1  hashicorp ", "medians of 1 runs", "InmemTransport"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run([]string{"-proposers", "0"}, &out); err == nil {
		t.Error("-proposers 0 was accepted")
	}
}
