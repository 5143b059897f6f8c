package labrpc

import (
	"bytes"
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
	if b == nil || b.Cap() > 64<<10 {
		return
	}
	bufPool.Put(b)
}

// encode gob-encodes v with a fresh encoder into a pooled buffer.
func encode(v interface{}) (*bytes.Buffer, error) {
	if v == nil {
		return nil, errors.New("gob cannot encode a nil value")
	}
	return encodeValue(reflect.ValueOf(v))
}

// encodeValue gob-encodes v with a fresh encoder into a pooled buffer. gob panics on some
// values (a nil pointer at the top level); that is returned as an error.
func encodeValue(v reflect.Value) (b *bytes.Buffer, err error) {
	b = getBuffer()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
		if err != nil {
			putBuffer(b)
			b = nil
		}
	}()
	err = gob.NewEncoder(b).EncodeValue(v)
	return b, err
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

// codec holds a network's warmed decoders. It is safe for concurrent use.
type codec struct {
	mu    sync.RWMutex
	pools map[string]*decoderPool
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
