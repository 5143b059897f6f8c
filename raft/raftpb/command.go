package raftpb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// Commands in JSON (traces). A command is an interface{}, and plain JSON would bring an
// int back as a float64 and a []byte as a string, so a command is written as
//
//	an int                a JSON number without fraction or exponent: 42
//	a string, a bool, nil  as JSON writes them: "x", true, null
//	anything else         {"type": T, "value": V}: T is its Go type as %T prints it
//	                      ("int64", "[]uint8", "kv.Op"), V its JSON
//
// and read back as the type it was: exactly for the forms above and, in the last one,
// the other built-in numbers and []byte; a type this program does not know comes back as
// a ForeignCommand, which compares equal (==) to another when both were equal values of
// the same type. So commands compare alike before and after a trace.

// ForeignCommand is a command read back from JSON whose Go type the reader does not know:
// its type's name and its JSON. It is a comparable plain value.
type ForeignCommand struct {
	Type string
	JSON string
}

func (c ForeignCommand) String() string { return c.JSON }

// MarshalCommand returns the JSON form of command c (see above).
func MarshalCommand(c interface{}) ([]byte, error) {
	switch v := c.(type) {
	case nil, int, string, bool:
		return json.Marshal(v)
	case ForeignCommand:
		return json.Marshal(struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		}{v.Type, json.RawMessage(v.JSON)})
	}
	value, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("command of type %T: %w", c, err)
	}
	return json.Marshal(struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}{fmt.Sprintf("%T", c), value})
}

// builtin are the types UnmarshalCommand restores from the {"type", "value"} form.
var builtin = map[string]reflect.Type{}

func init() {
	for _, v := range []interface{}{int8(0), int16(0), int32(0), int64(0), uint(0), uint8(0), uint16(0),
		uint32(0), uint64(0), uintptr(0), float32(0), float64(0), []byte(nil)} {
		builtin[fmt.Sprintf("%T", v)] = reflect.TypeOf(v)
	}
}

// UnmarshalCommand reads a command written by MarshalCommand. It also reads what plain
// JSON holds (a number with a fraction as a float64, an object as a map), so that older
// traces, which wrote commands as plain JSON, read as well as they can.
func UnmarshalCommand(b []byte) (interface{}, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	switch b[0] {
	case '{':
		var w struct {
			Type  *string         `json:"type"`
			Value json.RawMessage `json:"value"`
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b, &keys); err != nil {
			return nil, fmt.Errorf("command: %w", err)
		}
		if len(keys) == 2 && keys["type"] != nil && keys["value"] != nil {
			if err := json.Unmarshal(b, &w); err == nil && w.Type != nil {
				if t, ok := builtin[*w.Type]; ok {
					p := reflect.New(t)
					if err := json.Unmarshal(w.Value, p.Interface()); err != nil {
						return nil, fmt.Errorf("command of type %s: %w", *w.Type, err)
					}
					return p.Elem().Interface(), nil
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, w.Value); err != nil {
					return nil, fmt.Errorf("command of type %s: %w", *w.Type, err)
				}
				return ForeignCommand{Type: *w.Type, JSON: compact.String()}, nil
			}
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if i, err := strconv.ParseInt(string(b), 10, 0); err == nil {
			return int(i), nil
		}
	}
	var v interface{}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("command: %w", err)
	}
	return v, nil
}

// entryJSON is an Entry's JSON form.
type entryJSON struct {
	Term    int             `json:"term"`
	Command json.RawMessage `json:"command,omitempty"`
}

// MarshalJSON writes e with its command in the form MarshalCommand gives.
func (e Entry) MarshalJSON() ([]byte, error) {
	j := entryJSON{Term: e.Term}
	if e.Command != nil {
		c, err := MarshalCommand(e.Command)
		if err != nil {
			return nil, err
		}
		j.Command = c
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var j entryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	e.Term, e.Command = j.Term, nil
	if len(j.Command) > 0 {
		c, err := UnmarshalCommand(j.Command)
		if err != nil {
			return err
		}
		e.Command = c
	}
	return nil
}
