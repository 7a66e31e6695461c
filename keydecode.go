package valcache

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"unsafe"
)

// keyDecoder reverses keyEncoder. It is needed only by features that list
// keys from the store (search results), so a key type that cannot be decoded
// is reported when one is decoded, not at New.
type keyDecoder[K comparable] func(string) (K, error)

func newKeyDecoder[K comparable](custom KeyCodec[K]) keyDecoder[K] {
	if custom != nil {
		return custom.DecodeKey
	}
	t := reflect.TypeFor[K]()
	switch t.Kind() {
	case reflect.String:
		return func(s string) (K, error) {
			var k K
			*(*string)(unsafe.Pointer(&k)) = s
			return k, nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(s string) (K, error) {
			var k K
			n, err := strconv.ParseInt(s, 10, t.Bits())
			if err != nil {
				return k, fmt.Errorf("valcache: decode key %q: %w", s, err)
			}
			reflect.ValueOf(&k).Elem().SetInt(n)
			return k, nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(s string) (K, error) {
			var k K
			n, err := strconv.ParseUint(s, 10, t.Bits())
			if err != nil {
				return k, fmt.Errorf("valcache: decode key %q: %w", s, err)
			}
			reflect.ValueOf(&k).Elem().SetUint(n)
			return k, nil
		}
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return func(s string) (K, error) {
			var k K
			if err := any(&k).(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				return k, fmt.Errorf("valcache: decode key %q: %w", s, err)
			}
			return k, nil
		}
	}
	return func(string) (K, error) {
		var k K
		return k, fmt.Errorf("%w: key type %v cannot be decoded: give a KeyCodec with DecodeKey, or implement encoding.TextUnmarshaler", ErrNotSupported, t)
	}
}
