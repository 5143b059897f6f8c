package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// tricky are seed inputs for FuzzParse: odd layouts, edge values and near misses.
var tricky = []string{
	"",
	"\n\n\n",
	"#",
	"# only\n#\n",
	"\xff\xfe",
	"peers 15\ncrash 14",
	"peers 1\nbridge 0 - 0 - 0",
	"seed -9223372036854775808",
	"seed 9223372036854775808",
	"seed --5",
	"timing tick=1ms heartbeat=1ms election=2ms",
	"timing election=1ms-24h tick=1ms",
	"timing tick=1s heartbeat=24h election=24h",
	"workload rate=100000\nworkload off",
	"workload rate=0.0000000001",
	"workload rate=.5",
	"workload kv clients=5 keys=3 rate=100 reads=50% timeout=0",
	"liveness leader=1ns commit=24h",
	"duration 24h",
	"duration 24h0m0.000000001s",
	"at +0s heal\nat 0s heal\nat +24h heal",
	"every 1ms from 24h until 24h crash 1",
	"every 1ms times 1000000 propose 1000000",
	"loss 100%\nloss 0.0000000000000000000000000000001\nduplicate 99.99999999999999%",
	"delay 0-24h 0,1,2,3,4 -> 0,1,2,3,4",
	"delay 1.5µs-2us",
	"cut 0->0\ncut all -> all",
	"partition 0|1|2|3|4",
	"partition leader | follower | others | others",
	"bridge 0,1-2-3,4",
	"skew 0,1,2 0.01x\nskew all 100",
	"wait commit +1000000000 within 24h",
	"expect term >= 1000000000",
	"expect leader is 0,1,2,3,4",
	"expect commits ==== 1",
	"expect term > > 1",
	"crash ,",
	"crash 0,,1",
	"crash -> 1",
	"| | |",
	"- - -",
	"->->->",
	"at at at",
	"every every",
	"wait wait within within",
	"crash\tleader\r\n\tcrash\vleader\f",
	"crash leader # comment with -> | , #",
	"on leader crash leader\nat 1s on vote 0 times 1000000 tear 0",
	"on persist 0,1 delay 0-24h replies 0 -> 1\non boot once restart crashed",
	"every 1s on leader crash leader",
	"on on on",
	"on vote vote crash 0",
	"loss 10% replies replies",
	"delay 1ms- replies",
	strings.Repeat("crash 1\n", 50),
	strings.Repeat("x", 5000),
	"peers 3\n" + strings.Repeat("crsh 9\n", 20),
}

// FuzzParse checks that no input panics or hangs the parser, that whatever parses
// passes Validate and round-trips through Format, and that errors are well formed. Its
// seed corpus (the library and the tricky lines) runs in every go test.
func FuzzParse(f *testing.F) {
	for _, src := range libraryFiles(f) {
		f.Add(string(src))
	}
	f.Add(tour)
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("fuzz.chaos", []byte(src))
		if err != nil {
			checkErrors(t, err)
		} else {
			if err := s.Validate(); err != nil {
				t.Fatalf("a parsed scenario fails Validate: %v\nsource:\n%s", err, src)
			}
			checkRoundTrip(t, s)
			_ = s.Bound()
		}
		for line := range strings.SplitSeq(src, "\n") {
			if c := Complete(line, 5); c.Start < 0 || c.Start > len(line) || line[c.Start:] != c.Prefix {
				t.Fatalf("Complete(%q) = %+v: the prefix is not the end of the line", line, c)
			}
			c, err := ParseCommand(line)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Pos.Col < 1 || e.Pos.Line != 0 {
					t.Fatalf("ParseCommand(%q): bad error %#v", line, err)
				}
				continue
			}
			if err := ValidateCommand(c, MaxPeers); err != nil {
				t.Fatalf("ParseCommand(%q) fails ValidateCommand: %v", line, err)
			}
			back, err := ParseCommand(c.String())
			if err != nil || !reflect.DeepEqual(stripCmd(back), stripCmd(c)) {
				t.Fatalf("ParseCommand(%q) = %#v, %v; want %#v", c.String(), back, err, c)
			}
		}
	})
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	var l ErrorList
	if !errors.As(err, &l) || len(l) == 0 || len(l) > maxErrors+1 {
		t.Fatalf("Parse error %T with %d entries: %v", err, len(l), err)
	}
	for i, e := range l {
		if e.Pos.File != "fuzz.chaos" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
			t.Fatalf("malformed error %#v", e)
		}
		if i > 0 && e.Pos.Line < l[i-1].Pos.Line {
			t.Fatalf("errors out of order: %v", err)
		}
	}
}
