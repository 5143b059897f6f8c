package kv

import (
	"errors"
	"testing"
)

func TestCommandRoundTrip(t *testing.T) {
	for _, op := range []Op{
		{Kind: Get, Key: "k0", Client: 0, Seq: 1},
		{Kind: Put, Key: "k1", Value: "3.17;", Client: 3, Seq: 17},
		{Kind: Append, Key: "a/b", Value: "with spaces and\nnewlines", Client: 999, Seq: 123456},
		{Kind: Put, Key: "k", Value: "", Client: 1, Seq: 2},
	} {
		cmd, err := op.Command()
		if err != nil {
			t.Fatalf("%v.Command(): %v", op, err)
		}
		got, ok := ParseCommand(cmd)
		if !ok || got != op {
			t.Errorf("ParseCommand(%q) = %v, %v; want %v, true", cmd, got, ok, op)
		}
	}
}

func TestCommandText(t *testing.T) {
	cmd, err := Op{Kind: Put, Key: "k1", Value: "3.17;", Client: 3, Seq: 17}.Command()
	if want := "kv put 3.17 k1 3.17;"; err != nil || cmd != want {
		t.Errorf("Command() = %q, %v; want %q", cmd, err, want)
	}
}

func TestCommandRefusesBadOps(t *testing.T) {
	for _, op := range []Op{
		{Kind: 0, Key: "k", Seq: 1},
		{Kind: 9, Key: "k", Seq: 1},
		{Kind: Get, Key: "", Seq: 1},
		{Kind: Get, Key: "two words", Seq: 1},
		{Kind: Get, Key: "k", Seq: 0},
		{Kind: Get, Key: "k", Client: -1, Seq: 1},
	} {
		if cmd, err := op.Command(); !errors.Is(err, ErrBadOp) {
			t.Errorf("%+v.Command() = %q, %v; want an ErrBadOp", op, cmd, err)
		}
	}
}

func TestParseCommandIgnoresOthers(t *testing.T) {
	for _, cmd := range []interface{}{
		nil, 7, "", "kv", "kv ", "kv get", "kv get 1.2", "kv get 1.2 ", "kv put 1.2 k", "kv del 1.2 k",
		"kv get x.2 k", "kv get 1.x k", "kv get 1 k", "kv get -1.2 k", "kv get 1.0 k", "kv get 1.2 two words",
		"xv get 1.2 k", []byte("kv get 1.2 k"),
	} {
		if op, ok := ParseCommand(cmd); ok {
			t.Errorf("ParseCommand(%#v) = %v, true; want false", cmd, op)
		}
	}
}

func TestOpKindText(t *testing.T) {
	for k := Get; k <= Append; k++ {
		b, _ := k.MarshalText()
		var got OpKind
		if err := got.UnmarshalText(b); err != nil || got != k {
			t.Errorf("round trip of %v: got %v, %v", k, got, err)
		}
	}
	var k OpKind
	if err := k.UnmarshalText([]byte("delete")); err == nil {
		t.Error(`UnmarshalText("delete") succeeded`)
	}
}
