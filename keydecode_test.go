package valcache

import (
	"errors"
	"math"
	"net/netip"
	"testing"
)

func roundTrip[K comparable](t *testing.T, k K) {
	t.Helper()
	s := encodeWith(t, k)
	got, err := newKeyDecoder[K](nil)(s)
	if err != nil || got != k {
		t.Errorf("decode(%q) = %v, %v; want %v", s, got, err, k)
	}
}

func TestNativeKeyDecodingReversesEncoding(t *testing.T) {
	roundTrip(t, "plain")
	roundTrip(t, slug("named"))
	roundTrip(t, -42)
	roundTrip(t, int8(-128))
	roundTrip(t, userID(7))
	roundTrip(t, uint64(math.MaxUint64))
	roundTrip(t, netip.MustParseAddr("10.0.0.1"))
}

func TestKeyDecodingRefusesBadInput(t *testing.T) {
	if _, err := newKeyDecoder[int8](nil)("300"); err == nil {
		t.Error("decoding 300 as int8 succeeded")
	}
	type point struct{ X, Y int }
	if _, err := newKeyDecoder[point](nil)("1,2"); !errors.Is(err, ErrNotSupported) {
		t.Errorf("decoding a struct key without a codec: %v, want ErrNotSupported", err)
	}
}
