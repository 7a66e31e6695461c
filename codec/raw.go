package codec

import "reflect"

type rawCodec struct{}

// Raw returns the passthrough codec for values that already are bytes or
// text: []byte, string, pointers to them, and named types of those kinds
// (json.RawMessage, `type Token string`). The payload is the value itself,
// which is why Default picks Raw for such types.
func Raw() Codec { return rawCodec{} }

func (rawCodec) ID() byte     { return IDRaw }
func (rawCodec) Name() string { return "raw" }

func (rawCodec) Append(dst []byte, v any) ([]byte, error) {
	// The common types skip reflection; either way the value is appended
	// directly, without an intermediate copy.
	switch x := v.(type) {
	case []byte:
		return append(dst, x...), nil
	case string:
		return append(dst, x...), nil
	case *[]byte:
		if x != nil {
			return append(dst, *x...), nil
		}
	case *string:
		if x != nil {
			return append(dst, *x...), nil
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return dst, &typeError{codec: "raw", op: "encode", typ: rv.Type(), detail: "nil pointer"}
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return append(dst, rv.String()...), nil
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return append(dst, rv.Bytes()...), nil
		}
	}
	return dst, &typeError{codec: "raw", op: "encode", typ: reflect.TypeOf(v)}
}

func (rawCodec) Decode(data []byte, v any) error {
	switch p := v.(type) {
	case *[]byte:
		if p != nil {
			*p = clone(data)
			return nil
		}
	case *string:
		if p != nil {
			*p = string(data)
			return nil
		}
	}
	if err := checkTarget("raw", v); err != nil {
		return err
	}
	e := reflect.ValueOf(v).Elem()
	switch e.Kind() {
	case reflect.String:
		e.SetString(string(data))
		return nil
	case reflect.Slice:
		if e.Type().Elem().Kind() == reflect.Uint8 {
			e.SetBytes(clone(data))
			return nil
		}
	}
	return &typeError{codec: "raw", op: "decode", typ: reflect.TypeOf(v)}
}

// clone copies data because the caller may reuse its buffer once Decode
// returns. The result is never nil, so an empty entry decodes to an empty,
// not a missing, value.
func clone(data []byte) []byte {
	b := make([]byte, len(data))
	copy(b, data)
	return b
}
