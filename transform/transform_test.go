package transform_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/valcache/valcache/internal/chain"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func secret(seed byte) []byte { return bytes.Repeat([]byte{seed}, transform.KeySize) }

// compressor is package zstd's step, the one that holds the reserved id
// transform.IDZstd; the tests here only chain it.
func compressor(t testing.TB, o zstd.Options) transform.Transformer {
	z, err := zstd.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	return z
}

func newAES(t testing.TB, current transform.Key, others ...transform.Key) *transform.AESGCM {
	t.Helper()
	kr, err := transform.NewKeyring(current, others...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := transform.NewAESGCM(kr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestCheckChain(t *testing.T) {
	z := compressor(t, zstd.Options{})
	a := newAES(t, transform.Key{ID: 1, Secret: secret(1)})
	if err := chain.Check([]transform.Transformer{z, a}); err != nil {
		t.Fatalf("zstd, aes-gcm: %v", err)
	}
	if err := chain.Check(nil); err != nil {
		t.Fatalf("empty chain: %v", err)
	}
	for name, steps := range map[string][]transform.Transformer{
		"nil":                                  {z, nil},
		"duplicate":                            {z, z},
		"zero id":                              {custom{id: 0}},
		"reserved id":                          {custom{id: transform.IDZstd}},
		"reserved id, decode-only":             {transform.DecodeOnly(custom{id: transform.IDAESGCM})},
		"decode-only nil":                      {transform.DecodeOnly(nil)},
		"listed twice, once for decoding only": {z, transform.DecodeOnly(z)},
		"too long":                             {custom{id: 200}, custom{id: 201}, custom{id: 202}, custom{id: 203}, custom{id: 204}, custom{id: 205}, custom{id: 206}, custom{id: 207}, custom{id: 208}},
	} {
		if err := chain.Check(steps); err == nil || !strings.HasPrefix(err.Error(), "transform: ") {
			t.Errorf("%s: Check = %v, want a transform: error", name, err)
		}
	}
	if err := chain.Check([]transform.Transformer{custom{id: transform.FirstCustomID}, z}); err != nil {
		t.Fatalf("a custom id: %v", err)
	}
}

// custom reverses its input: a transformer of the user's own.
type custom struct{ id byte }

func (c custom) ID() byte     { return c.id }
func (c custom) Name() string { return "reverse" }
func (c custom) Apply(dst, src, _ []byte) ([]byte, error) {
	for i := len(src) - 1; i >= 0; i-- {
		dst = append(dst, src[i])
	}
	return dst, nil
}
func (c custom) Revert(dst, src, aad []byte) ([]byte, error) { return c.Apply(dst, src, aad) }

// A decode-only step reverts as the step it wraps, never applies, and
// keeps the wrapped step's bound and authentication.
func TestDecodeOnly(t *testing.T) {
	z := compressor(t, zstd.Options{MinSize: 1, MaxDecodedSize: 1 << 30})
	a := newAES(t, transform.Key{ID: 1, Secret: secret(1)})
	dz, da := transform.DecodeOnly(z), transform.DecodeOnly(a)
	if err := chain.Check([]transform.Transformer{dz, da}); err != nil {
		t.Fatalf("a decode-only chain: %v", err)
	}
	if !chain.IsDecodeOnly(dz) || chain.IsDecodeOnly(z) || transform.DecodeOnly(dz) != dz {
		t.Fatal("IsDecodeOnly, or DecodeOnly of a decode-only step, is wrong")
	}
	if dz.ID() != z.ID() || dz.Name() != z.Name() {
		t.Fatalf("decode-only zstd is %d %q", dz.ID(), dz.Name())
	}
	if out, err := dz.Apply([]byte("x"), []byte("value"), nil); err == nil || string(out) != "x" || !strings.HasPrefix(err.Error(), "transform: ") {
		t.Fatalf("Apply of a decode-only step = %q, %v; want dst and a transform: error", out, err)
	}
	in := bytes.Repeat([]byte("compressible "), 100)
	packed, _ := z.Apply(nil, in, nil)
	if back, err := dz.Revert(nil, packed, nil); err != nil || !bytes.Equal(back, in) {
		t.Fatalf("Revert through the decode-only step: %v", err)
	}
	if !chain.Authenticates(da) || chain.Authenticates(dz) {
		t.Fatal("a decode-only step does not authenticate as the step it wraps")
	}
	if got := chain.MaxDecodedSize([]transform.Transformer{da, dz}); got != 1<<30 {
		t.Fatalf("MaxDecodedSize of a chain with a decode-only zstd = %d, want its bound", got)
	}
	if got := chain.MaxDecodedSize([]transform.Transformer{a}); got != transform.DefaultMaxDecodedSize {
		t.Fatalf("MaxDecodedSize without a bounded step = %d, want the default", got)
	}
}
