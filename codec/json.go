package codec

import (
	"encoding/json"
	"sync"
)

type jsonCodec struct{}

// JSON returns the encoding/json codec. It is the most interoperable choice:
// entries stay readable by tools and services in other languages.
func JSON() Codec { return jsonCodec{} }

func (jsonCodec) ID() byte     { return IDJSON }
func (jsonCodec) Name() string { return "json" }

// jsonEncoder pairs a json.Encoder with the writer it is bound to, so a
// pooled encoder can emit straight into each caller's dst instead of
// json.Marshal allocating a fresh result that would then be copied.
type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := new(jsonEncoder)
	e.enc = json.NewEncoder(&e.w)
	// The payload is never embedded in HTML, and escaping <, > and & only
	// makes it longer and slower to produce.
	e.enc.SetEscapeHTML(false)
	return e
}}

func (jsonCodec) Append(dst []byte, v any) (out []byte, err error) {
	out = dst
	defer recoverPanic("json", "encode", &err)
	e := jsonEncoders.Get().(*jsonEncoder)
	e.w.b = dst
	err = e.enc.Encode(v)
	b := e.w.b
	e.w.b = nil
	jsonEncoders.Put(e)
	if err != nil {
		return dst, encodeError("json", err)
	}
	// Encoder terminates every value with a newline that is not part of it.
	return b[:len(b)-1], nil
}

func (jsonCodec) Decode(data []byte, v any) (err error) {
	if err := checkTarget("json", v); err != nil {
		return err
	}
	defer recoverPanic("json", "decode", &err)
	// encoding/json validates the whole input before building anything,
	// limits nesting depth, and copies everything it keeps (RawMessage
	// included), so it needs no extra guard.
	if err := json.Unmarshal(data, v); err != nil {
		return decodeError("json", err)
	}
	return nil
}
