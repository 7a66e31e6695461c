package codec

import (
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

type msgpackCodec struct{}

// Msgpack returns the github.com/vmihailenco/msgpack/v5 codec, the default
// for values that are not bytes or text: compact, fast, and able to encode any
// Go type without registration.
//
// Struct fields are named by their `msgpack` tag and, failing that, by their
// `json` tag, so types written for JSON need no extra tags. time.Time values
// keep their instant but come back in the local time zone (the zero time in
// UTC), because the msgpack timestamp format carries no zone.
func Msgpack() Codec { return msgpackCodec{} }

func (msgpackCodec) ID() byte     { return IDMsgpack }
func (msgpackCodec) Name() string { return "msgpack" }

// structTag is the fallback tag that lets msgpack reuse JSON field names.
const structTag = "json"

// maxPooledInput caps the size of payloads whose decoder goes back to the
// pool: the decoder keeps a scratch buffer as large as the longest string it
// decoded, and a pool full of those would pin memory after one big read.
const maxPooledInput = 64 << 10

// msgpackEncoder binds a library encoder to a writer that appends into the
// caller's dst, so encoding costs no intermediate buffer or copy.
type msgpackEncoder struct {
	w   appendWriter
	enc *msgpack.Encoder
}

var msgpackEncoders = sync.Pool{New: func() any {
	e := new(msgpackEncoder)
	e.enc = msgpack.NewEncoder(&e.w)
	e.enc.SetCustomStructTag(structTag)
	return e
}}

// msgpackDecoder keeps a library decoder (which is costly to set up) with the
// guard it reads through and the scratch space for the scan.
type msgpackDecoder struct {
	src guardReader
	dec *msgpack.Decoder
}

var msgpackDecoders = sync.Pool{New: func() any {
	d := new(msgpackDecoder)
	// The library's Unmarshal enables UsePreallocateValues, which starts a
	// goroutine per decoded type that allocates forever; a fresh decoder
	// leaves it off.
	d.dec = msgpack.NewDecoder(nil)
	d.dec.SetCustomStructTag(structTag)
	return d
}}

func (msgpackCodec) Append(dst []byte, v any) (out []byte, err error) {
	out = dst
	defer recoverPanic("msgpack", "encode", &err)
	e := msgpackEncoders.Get().(*msgpackEncoder)
	e.w.b = dst
	// ResetWriter also clears the interned-string dictionary, so each
	// payload stands alone and the pool does not pin the previous value's
	// strings.
	e.enc.ResetWriter(&e.w)
	err = e.enc.Encode(v)
	b := e.w.b
	e.w.b = nil
	e.enc.ResetWriter(&e.w)
	msgpackEncoders.Put(e)
	if err != nil {
		return dst, encodeError("msgpack", err)
	}
	return b, nil
}

func (msgpackCodec) Decode(data []byte, v any) (err error) {
	if err := checkTarget("msgpack", v); err != nil {
		return err
	}
	defer recoverPanic("msgpack", "decode", &err)
	d := msgpackDecoders.Get().(*msgpackDecoder)
	d.src.exts, err = scanMsgpack(data, d.src.exts[:0])
	if err != nil {
		d.src.exts = d.src.exts[:0]
		msgpackDecoders.Put(d)
		return decodeError("msgpack", err)
	}
	d.src.reset(data)
	d.dec.ResetReader(&d.src)
	err = d.dec.Decode(v)
	if err == nil {
		err = d.src.err
	}
	// Drop every reference to data before the decoder can be reused.
	d.dec.ResetReader(nil)
	d.src.reset(nil)
	d.src.exts = d.src.exts[:0]
	if err != nil {
		// A failed decode can leave library state behind (DecodeRaw keeps
		// recording every byte read after an error), so the decoder is
		// dropped rather than pooled.
		return decodeError("msgpack", err)
	}
	if len(data) <= maxPooledInput {
		msgpackDecoders.Put(d)
	}
	return nil
}
