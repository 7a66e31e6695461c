package codec

import (
	"reflect"
	"unsafe"
)

// OwningDecoder is implemented by codecs that can decode without copying
// when the caller gives the input up. The cache uses it for bytes that a
// provider has just returned and nobody else holds: a raw []byte or string
// value is then the received buffer itself, saving a copy of every hit.
//
// Fallback: Decode, which copies.
type OwningDecoder interface {
	// DecodeOwned is Decode for input the caller relinquishes: the result
	// may alias data, so the caller must never read or write data again.
	DecodeOwned(data []byte, v any) error
}

var _ OwningDecoder = rawCodec{}

// DecodeOwned implements OwningDecoder: the value is data itself.
func (c rawCodec) DecodeOwned(data []byte, v any) error {
	switch p := v.(type) {
	case *[]byte:
		if p != nil {
			*p = data
			return nil
		}
	case *string:
		if p != nil {
			*p = unsafe.String(unsafe.SliceData(data), len(data))
			return nil
		}
	}
	if checkTarget("raw", v) != nil {
		return c.Decode(data, v)
	}
	e := reflect.ValueOf(v).Elem()
	if e.Kind() == reflect.Slice && e.Type().Elem().Kind() == reflect.Uint8 {
		e.SetBytes(data)
		return nil
	}
	return c.Decode(data, v)
}
