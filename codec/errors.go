package codec

import (
	"errors"
	"fmt"
	"reflect"
)

// ErrUnsupportedType is matched (with errors.Is) by errors about a value or
// decode target that a codec cannot handle at all, as opposed to data that
// failed to encode or decode. It lets callers tell a programming mistake from
// a corrupt entry.
var ErrUnsupportedType = errors.New("codec: unsupported type")

// typeError names the offending type while keeping the
// "codec: <name>: <op>:" prefix every other error in the package carries.
type typeError struct {
	codec  string
	op     string // "encode" or "decode"
	typ    reflect.Type
	detail string
}

func (e *typeError) Error() string {
	name := "<nil>"
	if e.typ != nil {
		name = e.typ.String()
	}
	msg := "codec: " + e.codec + ": " + e.op + ": unsupported type " + name
	if e.detail != "" {
		msg += " (" + e.detail + ")"
	}
	return msg
}

func (e *typeError) Unwrap() error { return ErrUnsupportedType }

func encodeError(codec string, err error) error {
	return fmt.Errorf("codec: %s: encode: %w", codec, err)
}

func decodeError(codec string, err error) error {
	return fmt.Errorf("codec: %s: decode: %w", codec, err)
}

// checkTarget rejects decode targets that cannot receive a value. The
// libraries behind the codecs disagree on what they do with such targets
// (gob silently discards the value when given nil), so the check is done
// once, here, for all of them.
func checkTarget(codec string, v any) error {
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() != reflect.Pointer:
		return &typeError{codec: codec, op: "decode", typ: reflect.TypeOf(v), detail: "target must be a non-nil pointer"}
	case rv.IsNil():
		return &typeError{codec: codec, op: "decode", typ: rv.Type(), detail: "target is a nil pointer"}
	}
	return nil
}

// recoverPanic is deferred by every Append and Decode as the last line of
// defence: third-party decoders and user Marshal/Unmarshal methods can panic
// on inputs nobody anticipated, and a cache read must fail, not crash the
// process.
func recoverPanic(codec, op string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("codec: %s: %s: panic: %v", codec, op, r)
	}
}
