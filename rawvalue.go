package valcache

import "unsafe"

// rawValue decodes data as codec.Raw does when V is []byte or string,
// without the interface call that would make a decoded value escape to the
// heap: a cache hit on raw values then allocates nothing to decode. With
// owned, the value may alias data, as with codec.OwningDecoder. ok is
// false for other types, which the raw codec reaches through reflection.
//
// It lives here, not in package codec, because only the cache's read path
// calls it: exported from codec it would be public API no codec user needs.
// Like the raw codec, an unowned []byte is a fresh copy and never nil, so
// an empty entry decodes to an empty, not a missing, value.
func rawValue[V any](data []byte, owned bool) (v V, ok bool) {
	switch p := any(&v).(type) {
	case *[]byte:
		if owned {
			*p = data
		} else {
			*p = append(make([]byte, 0, len(data)), data...)
		}
	case *string:
		if owned {
			*p = unsafe.String(unsafe.SliceData(data), len(data))
		} else {
			*p = string(data)
		}
	default:
		return v, false
	}
	return v, true
}
