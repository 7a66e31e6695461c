package transform_test

import (
	"testing"

	"github.com/valcache/valcache/transform"
)

// FuzzZstdRevert: any input reverts to a bounded value or an error, never a
// panic, and whatever Apply produced reverts to its input.
func FuzzZstdRevert(f *testing.F) {
	z := newZstd(f, transform.ZstdOptions{MinSize: 1, MaxDecodedSize: 1 << 20})
	for _, in := range [][]byte{{}, []byte("abc"), text(2000), noise(100)} {
		out, _ := z.Apply(nil, in, nil)
		f.Add(out)
	}
	f.Add([]byte{1, 0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := z.Revert(nil, in, nil)
		if err != nil && len(out) != 0 {
			t.Fatalf("error %v with %d bytes of output", err, len(out))
		}
		if len(out) > 1<<20 {
			t.Fatalf("%d bytes decoded past the 1 MiB limit", len(out))
		}
		sealed, err := z.Apply(nil, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := z.Revert(nil, sealed, nil)
		if err != nil || string(back) != string(in) {
			t.Fatalf("round trip of %d bytes: %v", len(in), err)
		}
	})
}

// FuzzAESGCMRevert: any input other than what Apply produced for the same
// aad fails to open, without a panic.
func FuzzAESGCMRevert(f *testing.F) {
	a := newAES(f, transform.Key{ID: 1, Secret: secret(1)}, transform.Key{ID: 2, Secret: secret(2)})
	aad := []byte("aad")
	for _, in := range [][]byte{{}, []byte("v"), text(300)} {
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
