package labrpc

import (
	"bytes"
	"encoding/gob"
	"math/rand/v2"
	"reflect"
	"testing"
)

type cmdPut struct {
	Key, Value string
}

type cmdWrap struct {
	Inner interface{} // an interface inside a value carried by an interface
}

type logEntry struct {
	Term    int
	Command interface{}
}

type appendArgs struct {
	Term    int
	Entries []logEntry
	Meta    map[string]*cmdPut
	Ptr     *int
}

func init() {
	gob.Register(cmdPut{})
	gob.Register(cmdWrap{})
}

func freshBytes(t *testing.T, v interface{}) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The warmed decoders give exactly what a fresh decoder gives, for every kind of value,
// however the messages are interleaved; messages whose nested type definitions defeat a
// warmed decoder fall back to a fresh one.
func TestCodecMatchesFreshDecoder(t *testing.T) {
	seven := 7
	values := []interface{}{
		5, "hello", true, 3.5, []byte{1, 2, 3},
		JunkArgs{X: 9}, &JunkArgs{X: 10}, JunkArgs{},
		appendArgs{Term: 1},
		appendArgs{Term: 2, Entries: []logEntry{{1, 100}, {1, "x"}, {2, cmdPut{"k", "v"}}}, Ptr: &seven},
		appendArgs{Term: 3, Entries: []logEntry{{3, cmdPut{"a", "b"}}}, Meta: map[string]*cmdPut{"m": {"c", "d"}}},
		appendArgs{Term: 4, Entries: []logEntry{{4, cmdWrap{Inner: cmdPut{"n", "e"}}}, {4, cmdWrap{Inner: 5}}}},
		appendArgs{Term: 5, Entries: []logEntry{{5, cmdWrap{Inner: cmdPut{"n", "e"}}}}},
		map[string]int{"a": 1, "b": 2},
	}
	var c codec
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		v := values[r.IntN(len(values))]
		data := freshBytes(t, v)
		typ := reflect.TypeOf(v)
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		want := reflect.New(typ)
		if err := gob.NewDecoder(bytes.NewReader(data)).DecodeValue(want); err != nil {
			t.Fatal(err)
		}
		got := reflect.New(typ)
		if err := c.decode(data, got); err != nil {
			t.Fatalf("round %d, %T: %v", round, v, err)
		}
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			t.Fatalf("round %d: got %#v, want %#v", round, got.Elem().Interface(), want.Elem().Interface())
		}
	}
	bad := 0
	for _, p := range c.pools {
		if p.bad.Load() {
			bad++
		}
	}
	t.Logf("%d decoder keys, %d needing fresh decoders", len(c.pools), bad)
	// Errors are a fresh decoder's errors.
	data := freshBytes(t, JunkArgs{X: 1})
	var s string
	if err := c.decode(data, reflect.ValueOf(&s)); err == nil {
		t.Fatal("decoding a struct into a string worked")
	}
}

// Garbage never panics.
func TestCodecGarbage(t *testing.T) {
	var c codec
	r := rand.New(rand.NewPCG(3, 4))
	good := freshBytes(t, appendArgs{Term: 2, Entries: []logEntry{{1, 100}}})
	for i := 0; i < 2000; i++ {
		b := append([]byte(nil), good...)
		switch i % 3 {
		case 0:
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		case 1:
			b = b[:r.IntN(len(b))]
		default:
			b = make([]byte, r.IntN(40))
			for j := range b {
				b[j] = byte(r.IntN(256))
			}
		}
		var v appendArgs
		_ = c.decode(b, reflect.ValueOf(&v)) // must not panic
	}
	if _, _, ok := gobUint([]byte{0xF7}); ok {
		t.Fatal("gobUint accepted a 9-byte length")
	}
	if v, w, ok := gobUint([]byte{0xFE, 0x01, 0x00}); !ok || v != 256 || w != 3 {
		t.Fatalf("gobUint(FE 01 00) = %d, %d, %v", v, w, ok)
	}
}

type marshalInt int

func (m marshalInt) MarshalBinary() ([]byte, error) { return []byte{byte(m)}, nil }
func (m *marshalInt) UnmarshalBinary(b []byte) error {
	*m = marshalInt(b[0])
	return nil
}

type namedBytes []byte

func init() {
	gob.Register(marshalInt(0))
	gob.Register(namedBytes(nil))
}

// The warmed encoders write exactly what a fresh encoder writes, byte for byte, for every
// kind of value and however the values are interleaved, so sizes and copies stay the
// course's.
func TestCodecMatchesFreshEncoder(t *testing.T) {
	seven := 7
	values := []interface{}{
		5, "hello", true, 3.5, []byte{1, 2, 3}, namedBytes{4},
		JunkArgs{X: 9}, &JunkArgs{X: 10}, JunkArgs{},
		&benchArgs{Term: 1}, benchReply{Term: 2, VoteGranted: true},
		appendArgs{Term: 1},
		appendArgs{Term: 2, Entries: []logEntry{{1, 100}, {1, "x"}, {1, []byte("b")}, {1, nil}}, Ptr: &seven},
		appendArgs{Term: 2, Entries: []logEntry{{2, cmdPut{"k", "v"}}, {2, 5}}},
		appendArgs{Term: 3, Entries: []logEntry{{3, 7}}, Meta: map[string]*cmdPut{"m": {"c", "d"}}},
		appendArgs{Term: 4, Entries: []logEntry{{4, cmdWrap{Inner: cmdPut{"n", "e"}}}, {4, cmdWrap{Inner: 5}}}},
		appendArgs{Term: 5, Entries: []logEntry{{5, marshalInt(3)}}},
		appendArgs{Term: 6, Entries: []logEntry{{6, &seven}, {6, namedBytes("nb")}}},
		map[string]int{"a": 1, "b": 2},
		map[string]interface{}{"a": 1, "b": cmdPut{"x", "y"}},
		[]interface{}{1, "two", 3.0},
	}
	var c codec
	r := rand.New(rand.NewPCG(5, 6))
	for round := 0; round < 400; round++ {
		v := values[r.IntN(len(values))]
		want := freshBytes(t, v)
		got, err := c.encode(v)
		if err != nil {
			t.Fatalf("round %d, %T: %v", round, v, err)
		}
		// gob writes a map's elements in Go's random map order, so two fresh encoders
		// disagree on maps of two or more elements: those are compared by size only.
		same := bytes.Equal(got.Bytes(), want)
		if hasMap(v) {
			same = got.Len() == len(want)
		}
		if !same {
			t.Fatalf("round %d, %#v:\n got %x\nwant %x", round, v, got.Bytes(), want)
		}
		putBuffer(got)
	}
	// Errors are a fresh encoder's errors.
	for _, v := range []interface{}{appendArgs{Entries: []logEntry{{1, make(chan int)}}}, (*JunkArgs)(nil)} {
		if _, err := c.encode(v); err == nil {
			t.Errorf("encoding %#v worked", v)
		}
	}
	if _, err := c.encode(appendArgs{Term: 1, Entries: []logEntry{{1, 2}}}); err != nil {
		t.Errorf("after an error, a good value fails: %v", err)
	}
}

func hasMap(v interface{}) bool {
	switch v := v.(type) {
	case map[string]int, map[string]interface{}:
		return true
	case appendArgs:
		return len(v.Meta) > 1
	}
	return false
}
