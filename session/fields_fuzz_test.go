package session

import (
	"bytes"
	"testing"
)

// FuzzDecodeFields feeds arbitrary bytes to the fallback's decoder: it must
// refuse or decode, never panic, and what it decodes must encode back to
// an equivalent entry.
func FuzzDecodeFields(f *testing.F) {
	f.Add(encodeFields(map[string][]byte{"!c": []byte("1700000000000"), "=k": {0, 1}}))
	f.Add(encodeFields(map[string][]byte{}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{2, 1, 'a', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := decodeFields(b)
		if !ok {
			return
		}
		again, ok := decodeFields(encodeFields(m))
		if !ok || len(again) != len(m) {
			t.Fatalf("decoded %q, re-encoded and decoded %q", m, again)
		}
		for k, v := range m {
			if !bytes.Equal(again[k], v) {
				t.Fatalf("field %q: %q became %q", k, v, again[k])
			}
		}
	})
}
