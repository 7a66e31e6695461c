package valcache

import (
	"errors"
	"math"
	"net/netip"
	"testing"
)

type userID int32
type slug string

func encodeWith[K comparable](t *testing.T, k K) string {
	t.Helper()
	enc, err := newKeyEncoder[K](nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := enc(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNativeKeyEncoding(t *testing.T) {
	checks := [][2]string{
		{encodeWith(t, "plain"), "plain"},
		{encodeWith(t, slug("named")), "named"},
		{encodeWith(t, -42), "-42"},
		{encodeWith(t, int8(-128)), "-128"},
		{encodeWith(t, userID(7)), "7"},
		{encodeWith(t, uint64(math.MaxUint64)), "18446744073709551615"},
		{encodeWith(t, uint8(255)), "255"},
		{encodeWith(t, int64(math.MinInt64)), "-9223372036854775808"},
		{encodeWith(t, netip.MustParseAddr("10.0.0.1")), "10.0.0.1"},
	}
	for _, c := range checks {
		if got, want := c[0], c[1]; got != want {
			t.Errorf("encoded %q, want %q", got, want)
		}
	}
}

func TestStructKeysNeedAKeyCodec(t *testing.T) {
	type pair struct{ A, B int }
	if _, err := newKeyEncoder[pair](nil); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("struct key without codec: %v, want ErrInvalidOptions", err)
	}
	if _, err := newKeyEncoder[float64](nil); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("float key without codec: %v, want ErrInvalidOptions (floats do not encode injectively)", err)
	}
}

func TestStringKeyEncodingDoesNotAllocate(t *testing.T) {
	enc, _ := newKeyEncoder[string](nil)
	if n := testing.AllocsPerRun(100, func() { _, _ = enc("some-key") }); n != 0 {
		t.Fatalf("string key encoding allocates %v times", n)
	}
}
