package scenario

import "testing"

func TestAsKV(t *testing.T) {
	tests := []struct {
		name, src, want string
		n               int
	}{
		{
			name: "header and steps",
			src:  "workload rate=10\ncrash leader\nworkload rate=50\nworkload off\n",
			want: "peers 5\nworkload kv rate=10\n\ncrash leader\nworkload kv rate=50\nworkload off\n",
			n:    2,
		},
		{
			name: "every step",
			src:  "every 1s times 3 workload rate=5\nsleep 4s\n",
			want: "peers 5\n\nevery 1s times 3 workload kv rate=5\nsleep 4s\n",
			n:    1,
		},
		{
			name: "kv already",
			src:  "workload kv clients=2 rate=10\nsleep 1s\n",
			want: "peers 5\nworkload kv clients=2 rate=10\n\nsleep 1s\n",
			n:    0,
		},
		{
			name: "no workload",
			src:  "crash 0\n",
			want: "peers 5\n\ncrash 0\n",
			n:    0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.src)
			if n := s.AsKV(); n != tt.n {
				t.Errorf("AsKV changed %d workloads, want %d", n, tt.n)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Validate after AsKV: %v", err)
			}
			if got := Format(s); got != tt.want {
				t.Errorf("after AsKV:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
