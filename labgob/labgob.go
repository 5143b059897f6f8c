// Package labgob is the MIT 6.824/6.5840 course's labgob: encoding/gob with the course's
// warnings, so Raft code written for the course compiles against MiniRaft and behaves as
// it did there. Its API is the course's: Register, RegisterName, NewEncoder and NewDecoder,
// whose encoders have Encode and EncodeValue and whose decoders have Decode.
//
// gob silently skips struct fields whose names begin with a lower-case letter, so a Raft
// that persists or sends such a field loses it without an error; and gob leaves a field
// untouched when the encoded value is the zero value, so decoding into a variable that
// already holds something may leave stale data behind. labgob warns about both, with the
// course's words:
//
//	labgob error: lower-case field votedFor of State in RPC or persist/snapshot will break your Raft
//	labgob warning: Decoding into a non-default variable/field Term may not work
//
// Each type is checked once. Like the course's, the warning about non-default values is
// printed only while no other warning or error has been, since one such mistake tends to
// cause many. Warnings go to standard output, as in the course, unless SetOutput says
// otherwise; Problems counts them.
//
// Everything in this package is safe for concurrent use.
package labgob

import (
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
	"unicode"
	"unicode/utf8"
)

// maxDefaultDepth is how deep into a value the check for non-default values looks, as
// in the course: the value itself, its fields and their fields.
const maxDefaultDepth = 3

var (
	mu sync.Mutex
	// out receives the warnings.
	out io.Writer = os.Stdout
	// problems counts the warnings and errors, printed or not.
	problems int
	// checked holds the types already checked for lower-case fields.
	checked = map[reflect.Type]bool{}
)

// SetOutput sends later warnings to w (standard output by default); nil discards them.
// MiniRaft's tools set it so that warnings reach the user without breaking a screen.
func SetOutput(w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	mu.Lock()
	defer mu.Unlock()
	out = w
}

// Problems returns how many lower-case fields and decodings into non-default values
// labgob has found so far, whether or not it printed a warning for each.
func Problems() int {
	mu.Lock()
	defer mu.Unlock()
	return problems
}

// LabEncoder is a gob encoder that warns about fields gob cannot send. A LabEncoder is
// as safe for concurrent use as the gob.Encoder it wraps, which is to say that
// concurrent calls to Encode are safe.
type LabEncoder struct {
	gob *gob.Encoder
}

// NewEncoder returns an encoder that writes to w.
func NewEncoder(w io.Writer) *LabEncoder {
	return &LabEncoder{gob: gob.NewEncoder(w)}
}

// Encode checks e's type for lower-case field names and encodes e.
func (enc *LabEncoder) Encode(e interface{}) error {
	checkValue(e)
	return enc.gob.Encode(e)
}

// EncodeValue checks value's type for lower-case field names and encodes value.
func (enc *LabEncoder) EncodeValue(value reflect.Value) error {
	if value.IsValid() {
		checkType(value.Type())
	}
	return enc.gob.EncodeValue(value)
}

// LabDecoder is a gob decoder that warns about fields gob cannot fill. A LabDecoder is
// as safe for concurrent use as the gob.Decoder it wraps.
type LabDecoder struct {
	gob *gob.Decoder
}

// NewDecoder returns a decoder that reads from r.
func NewDecoder(r io.Reader) *LabDecoder {
	return &LabDecoder{gob: gob.NewDecoder(r)}
}

// Decode checks e's type for lower-case field names, warns if e already holds
// non-default values, and decodes the next value into e (a pointer).
func (dec *LabDecoder) Decode(e interface{}) error {
	checkValue(e)
	checkDefault(e)
	return dec.gob.Decode(e)
}

// Register records a type, as gob.Register does, so that values of it can travel in
// interface fields (a log entry's command, say). It checks the type's field names first.
func Register(value interface{}) {
	checkValue(value)
	gob.Register(value)
}

// RegisterName is Register with the name gob should use for the type.
func RegisterName(name string, value interface{}) {
	checkValue(value)
	gob.RegisterName(name, value)
}

func checkValue(value interface{}) {
	if value == nil {
		return
	}
	checkType(reflect.TypeOf(value))
}

// checkType warns about every lower-case field name in t and the types it contains,
// once per type.
func checkType(t reflect.Type) {
	mu.Lock()
	if checked[t] {
		mu.Unlock()
		return
	}
	checked[t] = true // before descending, so recursive types end
	mu.Unlock()

	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if r, _ := utf8.DecodeRuneInString(f.Name); !unicode.IsUpper(r) {
				warn(true, "labgob error: lower-case field %v of %v in RPC or persist/snapshot will break your Raft\n", f.Name, t.Name())
			}
			checkType(f.Type)
		}
	case reflect.Slice, reflect.Array, reflect.Pointer:
		checkType(t.Elem())
	case reflect.Map:
		checkType(t.Elem())
		checkType(t.Key())
	}
}

// checkDefault warns if value holds a non-default basic value, down to
// maxDefaultDepth, as it would if a reply struct were reused for a second RPC or
// persisted state were read into variables that are already set: gob does not
// overwrite a field with a default value, so the old value would survive.
func checkDefault(value interface{}) {
	if value == nil {
		return
	}
	checkDefault1(reflect.ValueOf(value), 1, "")
}

func checkDefault1(value reflect.Value, depth int, name string) {
	if depth > maxDefaultDepth {
		return
	}
	t := value.Type()
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			fieldName := t.Field(i).Name
			if name != "" {
				fieldName = name + "." + fieldName
			}
			checkDefault1(value.Field(i), depth+1, fieldName)
		}
	case reflect.Pointer:
		if !value.IsNil() {
			checkDefault1(value.Elem(), depth+1, name)
		}
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Uintptr, reflect.Float32, reflect.Float64, reflect.String:
		if !value.IsZero() {
			what := name
			if what == "" {
				what = t.Name()
			}
			warn(false, "labgob warning: Decoding into a non-default variable/field %v may not work\n", what)
		}
	}
}

// warn counts a problem and prints its message: always for an error (always), and for
// a warning only if nothing was counted before it.
func warn(always bool, format string, args ...interface{}) {
	mu.Lock()
	defer mu.Unlock()
	if always || problems == 0 {
		fmt.Fprintf(out, format, args...)
	}
	problems++
}
