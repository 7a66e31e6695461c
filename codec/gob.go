package codec

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
)

type gobCodec struct{}

// Gob returns the encoding/gob codec. Every payload is a complete,
// self-describing gob stream (type definitions followed by one value), so
// entries decode independently of each other and of the process that wrote
// them. That makes gob payloads larger and slower than msgpack; Gob is for
// types that rely on GobEncoder or on gob's handling of interface values.
// Interface values need their concrete types registered with gob.Register,
// as usual.
func Gob() Codec { return gobCodec{} }

func (gobCodec) ID() byte     { return IDGob }
func (gobCodec) Name() string { return "gob" }

func (gobCodec) Append(dst []byte, v any) (out []byte, err error) {
	out = dst
	defer recoverPanic("gob", "encode", &err)
	// gob panics on nil pointers; report them like other bad values.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return dst, encodeError("gob", errors.New("cannot encode nil pointer of type "+rv.Type().String()))
	}
	// A gob Encoder sends each type definition once per stream, so it cannot
	// be shared between payloads that must each stand alone; a new one per
	// value is the price of self-describing entries.
	w := &appendWriter{b: dst}
	if err := gob.NewEncoder(w).Encode(v); err != nil {
		return dst, encodeError("gob", err)
	}
	return w.b, nil
}

func (gobCodec) Decode(data []byte, v any) (err error) {
	if err := checkTarget("gob", v); err != nil {
		return err
	}
	defer recoverPanic("gob", "decode", &err)
	// encoding/gob is documented as not hardened against adversarial input;
	// scanGob closes the gaps that let a short payload exhaust memory.
	stream, err := scanGob(data)
	if err != nil {
		return decodeError("gob", err)
	}
	// gob copies each message out of the reader, so data is not retained.
	if err := gob.NewDecoder(bytes.NewReader(stream)).Decode(v); err != nil {
		return decodeError("gob", err)
	}
	return nil
}
