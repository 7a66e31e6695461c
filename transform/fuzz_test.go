package transform_test

import (
	"testing"

	"github.com/valcache/valcache/transform"
)

// FuzzAESGCMRevert: any input other than what Apply produced for the same
// aad fails to open, without a panic.
func FuzzAESGCMRevert(f *testing.F) {
	a := newAES(f, transform.Key{ID: 1, Secret: secret(1)}, transform.Key{ID: 2, Secret: secret(2)})
	aad := []byte("aad")
	for _, in := range [][]byte{{}, []byte("v"), noise(300)} {
		out, _ := a.Apply(nil, in, aad)
		f.Add(out, aad)
	}
	f.Add([]byte{0, 0, 0, 1}, []byte{})
	f.Fuzz(func(t *testing.T, in, aad []byte) {
		// Only the seeds open (the fuzzer cannot forge a tag); whatever
		// opens must stop opening when any byte of it, or its aad, changes.
		if out, err := a.Revert(nil, in, aad); err == nil {
			if len(out) != len(in)-transform.GCMOverhead {
				t.Fatalf("%d bytes opened to %d", len(in), len(out))
			}
			for i := range in {
				forged := append([]byte(nil), in...)
				forged[i] ^= 0x80
				if _, err := a.Revert(nil, forged, aad); err == nil {
					t.Fatalf("flipping byte %d still opens", i)
				}
			}
			if _, err := a.Revert(nil, in, append(aad, 0)); err == nil {
				t.Fatal("a longer aad still opens")
			}
		}
		sealed, _ := a.Apply(nil, in, aad)
		if back, err := a.Revert(nil, sealed, aad); err != nil || string(back) != string(in) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
