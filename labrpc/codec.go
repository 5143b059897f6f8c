package labrpc

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"
)

// The codec turns args and replies into gob messages and back, exactly as the course's
// labrpc does: every message is written by a fresh gob.Encoder, so it carries its own type
// definitions and its size is what a fresh encoder produces.
//
// Decoding with a fresh gob.Decoder costs about 9 µs even for a tiny struct, because the
// decoder compiles its engines anew each time; two of those per call would blow the
// per-call budget on their own. So decoding reuses warmed decoders: a message is the
// sequence of type-definition messages (negative type ids) followed by one value message,
// and two messages whose type-definition bytes are identical leave a decoder in identical
// type state. A decoder that has consumed a given type-definition sequence is kept in a
// pool keyed by those exact bytes, and later messages with the same key are decoded by
// feeding it only their value message. Any error on that path (for instance a nested
// interface value whose inline type definitions the warmed decoder has already seen)
// discards the warmed decoder and decodes the whole message with a fresh decoder, whose
// result and error are then the answer; a key that needed this fallback is marked so the
// warmed path is not tried for it again.

// maxDecoderKeys bounds the number of distinct type-definition sequences a network keeps
// warmed decoders for; messages with further keys are decoded with fresh decoders.
const maxDecoderKeys = 1024

var bufPool = sync.Pool{New: func() interface{} { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b == nil || b.Cap() > 4<<20 {
		return
	}
	bufPool.Put(b)
}

// encode gob-encodes v into a pooled buffer: the bytes a fresh encoder writes (see
// codec.encodeValue).
func (c *codec) encode(v interface{}) (*bytes.Buffer, error) {
	if v == nil {
		return nil, errors.New("gob cannot encode a nil value")
	}
	return c.encodeValue(reflect.ValueOf(v))
}

// freshEncode gob-encodes v with a fresh encoder into a pooled buffer. gob panics on some
// values (a nil pointer at the top level); that is returned as an error.
func freshEncode(v reflect.Value) (b *bytes.Buffer, err error) {
	b = getBuffer()
	if err = encodeWith(gob.NewEncoder(b), v); err != nil {
		putBuffer(b)
		b = nil
	}
	return b, err
}

// encodeWith encodes v with enc, returning a panic of gob as an error.
func encodeWith(enc *gob.Encoder, v reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return enc.EncodeValue(v)
}

// decodeInto decodes one message from d into target, returning a panic of gob as an
// error.
func decodeInto(d *gob.Decoder, target reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return d.DecodeValue(target)
}

// msgReader is an io.Reader over a byte slice that can be re-aimed at another slice. It
// implements io.ByteReader so gob.NewDecoder does not wrap it in a bufio.Reader (which
// would read ahead and keep bytes across messages).
type msgReader struct {
	b   []byte
	off int
}

func (r *msgReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

func (r *msgReader) ReadByte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

type warmDecoder struct {
	r   msgReader
	dec *gob.Decoder
}

type decoderPool struct {
	mu   sync.Mutex
	free []*warmDecoder
	bad  atomic.Bool // the warmed path failed where a fresh decoder succeeded
}

func (p *decoderPool) get() *warmDecoder {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	d := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	return d
}

func (p *decoderPool) put(d *warmDecoder) {
	d.r.b, d.r.off = nil, 0
	p.mu.Lock()
	p.free = append(p.free, d)
	p.mu.Unlock()
}

// codec holds a network's warmed decoders and encoders. It is safe for concurrent use.
type codec struct {
	mu    sync.RWMutex
	pools map[string]*decoderPool

	encs sync.Map // reflect.Type -> *encoderPool
}

func (c *codec) pool(key []byte) *decoderPool {
	c.mu.RLock()
	p := c.pools[string(key)]
	c.mu.RUnlock()
	if p != nil {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p = c.pools[string(key)]; p != nil {
		return p
	}
	if len(c.pools) >= maxDecoderKeys {
		return nil
	}
	if c.pools == nil {
		c.pools = make(map[string]*decoderPool)
	}
	p = new(decoderPool)
	c.pools[string(key)] = p
	return p
}

// decode decodes the single gob message data (as produced by encode) into target, which
// must be a non-nil pointer. The result is what a fresh gob.Decoder would give.
func (c *codec) decode(data []byte, target reflect.Value) error {
	split, ok := typeDefsLen(data)
	if !ok {
		return freshDecode(data, target)
	}
	p := c.pool(data[:split])
	if p == nil || p.bad.Load() {
		return freshDecode(data, target)
	}
	d := p.get()
	if d == nil {
		// A new decoder sees the whole message, exactly like a fresh one, and is kept
		// warmed for this key if that worked.
		d = &warmDecoder{}
		d.r.b = data
		d.dec = gob.NewDecoder(&d.r)
		if err := decodeInto(d.dec, target); err != nil {
			return err
		}
		p.put(d)
		return nil
	}
	d.r.b, d.r.off = data[split:], 0
	if err := decodeInto(d.dec, target); err == nil {
		p.put(d)
		return nil
	}
	// Drop d: its state is unknown after an error.
	if err := freshDecode(data, target); err != nil {
		return err
	}
	p.bad.Store(true)
	return nil
}

func freshDecode(data []byte, target reflect.Value) error {
	return decodeInto(gob.NewDecoder(&msgReader{b: data}), target)
}

// typeDefsLen returns the length of the leading type-definition messages of a gob stream:
// the offset of the first message whose type id is not negative. ok is false if the framing
// cannot be parsed or there is no value message.
func typeDefsLen(data []byte) (n int, ok bool) {
	off := 0
	for off < len(data) {
		size, w, ok := gobUint(data[off:])
		if !ok || size == 0 || uint64(len(data)-off-w) < size {
			return 0, false
		}
		body := data[off+w:]
		u, _, ok := gobUint(body)
		if !ok {
			return 0, false
		}
		if u&1 == 0 { // non-negative type id: a value message
			return off, true
		}
		off += w + int(size)
	}
	return 0, false
}

// gobUint decodes gob's unsigned integer encoding: a value below 128 is one byte;
// otherwise a byte holding the negated byte count, then the bytes big-endian.
func gobUint(b []byte) (v uint64, width int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	c := b[0]
	if c <= 0x7f {
		return uint64(c), 1, true
	}
	n := -int(int8(c))
	if n > 8 || len(b) < 1+n {
		return 0, 0, false
	}
	for i := 1; i <= n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, 1 + n, true
}

// Encoding reuses warmed encoders too. A fresh encoder writes the type definitions of the
// value's type and then the value message; an encoder that has already written a value of
// that type writes only the value message, byte for byte what the fresh one writes after
// its definitions, with one exception: an interface value whose concrete type needs a
// definition of its own (a struct, a map, most slices) carries that definition inline the
// first time an encoder meets the type, so a warmed encoder would leave it out. So a value
// is encoded by a warmed encoder, after the definitions a fresh encoder wrote for its
// type, only when every interface value in it holds a basic type (a boolean, a number, a
// string or a []byte, which gob never defines); anything else is encoded fresh. The
// encoders are warmed on such values only.

// warmEncoder is a gob.Encoder that has written one value of its pool's type, and the
// writer it writes through, re-aimed at each message's buffer.
type warmEncoder struct {
	w   bufWriter
	enc *gob.Encoder
}

type bufWriter struct{ b *bytes.Buffer }

func (w *bufWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

// encoderPool holds the warmed encoders of one type.
type encoderPool struct {
	plan   encodePlan
	mu     sync.Mutex
	prefix []byte // the type definitions a fresh encoder writes first; set with the first encoder
	free   []*warmEncoder
}

// encodeValue gob-encodes v into a pooled buffer, giving the bytes (and the error) a
// fresh encoder gives.
func (c *codec) encodeValue(v reflect.Value) (*bytes.Buffer, error) {
	p := c.encoderPool(v.Type())
	if p.plan == planFresh || (p.plan == planCheck && !basicInterfaces(v, 0)) {
		return freshEncode(v)
	}
	p.mu.Lock()
	prefix := p.prefix
	var w *warmEncoder
	if n := len(p.free); n > 0 {
		w = p.free[n-1]
		p.free = p.free[:n-1]
	}
	p.mu.Unlock()
	if w == nil {
		// Warm a new encoder on this message, written as a fresh encoder writes it.
		b := getBuffer()
		w = &warmEncoder{w: bufWriter{b}}
		w.enc = gob.NewEncoder(&w.w)
		if err := encodeWith(w.enc, v); err != nil {
			putBuffer(b)
			return nil, err
		}
		split, ok := typeDefsLen(b.Bytes())
		p.mu.Lock()
		if !ok || (p.prefix != nil && !bytes.Equal(p.prefix, b.Bytes()[:split])) {
			p.plan = planFresh // framing we do not understand: never warm this type
		} else {
			if p.prefix == nil {
				p.prefix = bytes.Clone(b.Bytes()[:split])
			}
			w.w.b = nil
			p.free = append(p.free, w)
		}
		p.mu.Unlock()
		return b, nil
	}
	b := getBuffer()
	b.Write(prefix)
	w.w.b = b
	err := encodeWith(w.enc, v)
	w.w.b = nil
	if err != nil {
		// The encoder's state is unknown after an error: drop it, and let a fresh
		// encoder give the answer.
		putBuffer(b)
		return freshEncode(v)
	}
	p.mu.Lock()
	p.free = append(p.free, w)
	p.mu.Unlock()
	return b, nil
}

func (c *codec) encoderPool(t reflect.Type) *encoderPool {
	if p, ok := c.encs.Load(t); ok {
		return p.(*encoderPool)
	}
	p, _ := c.encs.LoadOrStore(t, &encoderPool{plan: planFor(t)})
	return p.(*encoderPool)
}

// encodePlan says how values of a type may be encoded.
type encodePlan uint8

const (
	planWarm  encodePlan = iota // no interface anywhere in the type: always warm
	planCheck                   // interfaces: warm if basicInterfaces holds for the value
	planFresh                   // never warm
)

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshalType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshals reports whether gob encodes t through one of its marshalling methods.
func marshals(t reflect.Type) bool {
	for _, m := range []reflect.Type{gobEncoderType, binaryMarshalType, textMarshalType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// planFor returns the plan for values of type t.
func planFor(t reflect.Type) encodePlan {
	if typeHasInterface(t) {
		return planCheck
	}
	return planWarm
}

var interfaceTypes sync.Map // reflect.Type -> bool, for typeHasInterface

// typeHasInterface is hasInterface, remembered per type.
func typeHasInterface(t reflect.Type) bool {
	if v, ok := interfaceTypes.Load(t); ok {
		return v.(bool)
	}
	has := hasInterface(t, map[reflect.Type]bool{})
	interfaceTypes.Store(t, has)
	return has
}

// hasInterface reports whether a value of type t can hold an interface value that gob
// encodes (a marshalling type is encoded by its method, whatever it holds).
func hasInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	if marshals(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasInterface(t.Elem(), seen)
	case reflect.Map:
		return hasInterface(t.Key(), seen) || hasInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && hasInterface(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// predeclared are the types without methods that commands most often have.
var predeclared = [...]reflect.Type{
	reflect.TypeFor[int](), reflect.TypeFor[string](), reflect.TypeFor[[]byte](),
	reflect.TypeFor[bool](), reflect.TypeFor[int64](), reflect.TypeFor[uint64](),
	reflect.TypeFor[float64](), reflect.TypeFor[int32](), reflect.TypeFor[uint32](),
}

var basicTypes sync.Map // reflect.Type -> bool, for basicType

// basicType reports whether gob writes no type definition for a value of type t held in
// an interface.
func basicType(t reflect.Type) bool {
	for _, p := range predeclared {
		if t == p {
			return true
		}
	}
	if v, ok := basicTypes.Load(t); ok {
		return v.(bool)
	}
	b := isBasicType(t)
	basicTypes.Store(t, b)
	return b
}

func isBasicType(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if marshals(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// maxWalkDepth bounds basicInterfaces' recursion; deeper values are encoded fresh.
const maxWalkDepth = 32

// basicInterfaces reports whether every interface value in v holds a basic type.
func basicInterfaces(v reflect.Value, depth int) bool {
	if depth > maxWalkDepth {
		return false
	}
	switch v.Kind() {
	case reflect.Interface:
		return v.IsNil() || basicType(v.Elem().Type())
	case reflect.Pointer:
		return v.IsNil() || !typeHasInterface(v.Type()) || basicInterfaces(v.Elem(), depth+1)
	case reflect.Struct:
		t := v.Type()
		if !typeHasInterface(t) {
			return true
		}
		for i := range v.NumField() {
			if t.Field(i).IsExported() && !basicInterfaces(v.Field(i), depth+1) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if !typeHasInterface(v.Type().Elem()) {
			return true
		}
		for i := range v.Len() {
			if !basicInterfaces(v.Index(i), depth+1) {
				return false
			}
		}
	case reflect.Map:
		if !typeHasInterface(v.Type()) {
			return true
		}
		it := v.MapRange()
		for it.Next() {
			if !basicInterfaces(it.Key(), depth+1) || !basicInterfaces(it.Value(), depth+1) {
				return false
			}
		}
	}
	return true
}
