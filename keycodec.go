package valcache

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"
)

// KeyCodec turns keys into the strings providers store them under, and back.
// Strings and integers (and types defined on them) need none; other key types
// use their encoding.TextMarshaler implementation, or a KeyCodec given in
// Options.
//
// Encoding must be injective (two different keys never give one string) and
// stable across processes and releases, since other processes and later
// deployments read the same entries.
type KeyCodec[K comparable] interface {
	// EncodeKey returns the string key is stored under.
	EncodeKey(key K) (string, error)
	// DecodeKey reverses EncodeKey, for callers that list keys (Purge,
	// write hooks).
	DecodeKey(s string) (K, error)
}

// KeyCodecFuncs adapts two functions to KeyCodec.
type KeyCodecFuncs[K comparable] struct {
	Encode func(K) (string, error)
	Decode func(string) (K, error)
}

func (f KeyCodecFuncs[K]) EncodeKey(k K) (string, error) { return f.Encode(k) }

func (f KeyCodecFuncs[K]) DecodeKey(s string) (K, error) {
	if f.Decode == nil {
		var zero K
		return zero, fmt.Errorf("valcache: key codec has no decoder")
	}
	return f.Decode(s)
}

// keyEncoder is chosen once, in New, so the hot path makes no type decision.
type keyEncoder[K comparable] func(K) (string, error)

func newKeyEncoder[K comparable](custom KeyCodec[K]) (keyEncoder[K], error) {
	if custom != nil {
		return custom.EncodeKey, nil
	}
	t := reflect.TypeFor[K]()
	// The unsafe conversions below reinterpret K as its underlying kind, which
	// the kind check guarantees has the same memory layout; they let string
	// keys reach the provider with no copy and no allocation.
	switch t.Kind() {
	case reflect.String:
		return func(k K) (string, error) { return *(*string)(unsafe.Pointer(&k)), nil }, nil
	case reflect.Int:
		return signedKey[K, int], nil
	case reflect.Int8:
		return signedKey[K, int8], nil
	case reflect.Int16:
		return signedKey[K, int16], nil
	case reflect.Int32:
		return signedKey[K, int32], nil
	case reflect.Int64:
		return signedKey[K, int64], nil
	case reflect.Uint:
		return unsignedKey[K, uint], nil
	case reflect.Uint8:
		return unsignedKey[K, uint8], nil
	case reflect.Uint16:
		return unsignedKey[K, uint16], nil
	case reflect.Uint32:
		return unsignedKey[K, uint32], nil
	case reflect.Uint64:
		return unsignedKey[K, uint64], nil
	}
	if t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
		return func(k K) (string, error) {
			b, err := any(k).(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return "", fmt.Errorf("valcache: encode key: %w", err)
			}
			return string(b), nil
		}, nil
	}
	return nil, fmt.Errorf("%w: key type %v needs a KeyCodec (only strings, integers and encoding.TextMarshaler are encoded natively)", ErrInvalidOptions, t)
}

func signedKey[K comparable, T int | int8 | int16 | int32 | int64](k K) (string, error) {
	return strconv.FormatInt(int64(*(*T)(unsafe.Pointer(&k))), 10), nil
}

func unsignedKey[K comparable, T uint | uint8 | uint16 | uint32 | uint64](k K) (string, error) {
	return strconv.FormatUint(uint64(*(*T)(unsafe.Pointer(&k))), 10), nil
}
