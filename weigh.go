package valcache

import (
	"math"
	"reflect"
	"unsafe"
)

// defaultWeigher weighs byte and string values by length, so that a
// weight-bounded provider bounds memory for them without configuration; other
// values weigh 1, since their size cannot be known without walking them.
func defaultWeigher[K comparable, V any]() func(K, V) uint32 {
	t := reflect.TypeFor[V]()
	switch {
	case t.Kind() == reflect.String:
		return func(_ K, v V) uint32 { return clampWeight(len(*(*string)(unsafe.Pointer(&v)))) }
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return func(_ K, v V) uint32 { return clampWeight(len(*(*[]byte)(unsafe.Pointer(&v)))) }
	}
	return func(K, V) uint32 { return 1 }
}

func clampWeight(n int) uint32 {
	switch {
	case n < 1:
		return 1
	case n > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(n)
}
