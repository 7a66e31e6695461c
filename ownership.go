package valcache

import (
	"reflect"
	"unsafe"
)

// cloneable is a value type that copies itself (see Cache.Set).
type cloneable[V any] interface {
	Clone() V
}

// cloner returns how a value is copied on its way into or out of a
// provider that keeps Go values: a byte slice (of any named type, such as
// json.RawMessage) is copied, a value with a Clone() V method clones itself,
// and other values (nil) are shared. Providers that store bytes copy every
// value by encoding it, and need none of this.
func cloner[V any]() func(V) V {
	var zero V
	if t := reflect.TypeFor[V](); t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return func(v V) V {
			b := *(*[]byte)(unsafe.Pointer(&v))
			if b == nil {
				return v
			}
			b = append(make([]byte, 0, len(b)), b...)
			return *(*V)(unsafe.Pointer(&b))
		}
	}
	if _, ok := any(zero).(cloneable[V]); ok {
		return func(v V) V { return any(v).(cloneable[V]).Clone() }
	}
	return nil
}

// own is v as the cache hands it to, or takes it from, a provider that
// keeps Go values: a copy where the value type can be copied.
func (c *Cache[K, V]) own(v V) V {
	if c.clone == nil {
		return v
	}
	return c.clone(v)
}
