package zstd_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newZstd(t testing.TB, o zstd.Options) *zstd.Transformer {
	t.Helper()
	z, err := zstd.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	return z
}

// text is compressible input of about n bytes: JSON-like lines with
// varying numbers.
func text(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, `{"sku":"SKU-%05d","price":%d.%02d,"stock":%d},`, r.IntN(100000), r.IntN(500), r.IntN(100), r.IntN(1000))
	}
	return []byte(b.String()[:n])
}

// noise is n bytes that do not compress.
func noise(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{3}).Read(b)
	return b
}

func TestZstdRoundTrip(t *testing.T) {
	z := newZstd(t, zstd.Options{})
	for _, in := range [][]byte{{}, []byte("short"), text(511), text(512), text(4 << 10), text(256 << 10), noise(4 << 10)} {
		prefix := []byte("keep")
		out, err := z.Apply(append([]byte(nil), prefix...), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out, prefix) {
			t.Fatal("Apply overwrote dst")
		}
		back, err := z.Revert([]byte("x"), out[len(prefix):], nil)
		if err != nil {
			t.Fatalf("%d bytes: %v", len(in), err)
		}
		if !bytes.Equal(back[1:], in) || back[0] != 'x' {
			t.Fatalf("%d bytes: round trip changed the value", len(in))
		}
	}
}

func TestZstdThresholdAndIncompressible(t *testing.T) {
	z := newZstd(t, zstd.Options{MinSize: 1000})
	small := text(999)
	out, _ := z.Apply(nil, small, nil)
	if out[0] != 0 || !bytes.Equal(out[1:], small) {
		t.Fatal("a value below MinSize was not stored as it is")
	}
	big := text(64 << 10)
	out, _ = z.Apply(nil, big, nil)
	if out[0] != 1 || len(out) > len(big)/2 {
		t.Fatalf("64 KiB of JSON: mode %d, %d bytes; want compressed to under half", out[0], len(out))
	}
	random := noise(64 << 10)
	out, _ = z.Apply(nil, random, nil)
	if out[0] != 0 || len(out) != len(random)+1 {
		t.Fatalf("random bytes: mode %d, %d bytes; want stored, one byte longer", out[0], len(out))
	}
}

func TestZstdRefusesBombs(t *testing.T) {
	big := newZstd(t, zstd.Options{MinSize: 1})
	bomb, _ := big.Apply(nil, make([]byte, 1<<20), nil)
	if len(bomb) > 1<<10 {
		t.Fatalf("1 MiB of zeros compressed to %d bytes", len(bomb))
	}
	small := newZstd(t, zstd.Options{MaxDecodedSize: 64 << 10})
	if _, err := small.Revert(nil, bomb, nil); !errors.Is(err, transform.ErrTooLarge) {
		t.Fatalf("1 MiB with a 64 KiB limit: %v, want ErrTooLarge", err)
	}
	// A frame that does not declare its size is bounded while decoding.
	streamed := streamedFrame(t, make([]byte, 1<<20))
	if _, err := small.Revert(nil, append([]byte{1}, streamed...), nil); !errors.Is(err, transform.ErrTooLarge) && !errors.Is(err, transform.ErrCorrupt) {
		t.Fatalf("an undeclared 1 MiB frame with a 64 KiB limit: %v, want an error", err)
	}
	if back, err := big.Revert(nil, append([]byte{1}, streamed...), nil); err != nil || len(back) != 1<<20 {
		t.Fatalf("the undeclared frame within the limit: %d bytes, %v", len(back), err)
	}
}

func TestZstdRejectsCorruptInput(t *testing.T) {
	z := newZstd(t, zstd.Options{MinSize: 1})
	good, _ := z.Apply(nil, text(8<<10), nil)
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	for name, in := range map[string][]byte{
		"empty":     {},
		"bad mode":  {7, 1, 2},
		"truncated": good[:len(good)/2],
		"flipped":   flipped,
		"not zstd":  append([]byte{1}, text(100)...),
	} {
		if _, err := z.Revert(nil, in, nil); !errors.Is(err, transform.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func TestZstdOptions(t *testing.T) {
	for _, o := range []zstd.Options{{MinSize: -1}, {Level: 23}, {Level: -1}, {MaxDecodedSize: -1}} {
		if _, err := zstd.New(o); !errors.Is(err, transform.ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", o, err)
		}
	}
	for _, level := range []int{1, 3, 7, 19} {
		z := newZstd(t, zstd.Options{Level: level, MinSize: 1})
		in := text(16 << 10)
		out, _ := z.Apply(nil, in, nil)
		if back, err := z.Revert(nil, out, nil); err != nil || !bytes.Equal(back, in) {
			t.Fatalf("level %d: %v", level, err)
		}
	}
}

// Several frames decode to their concatenation and skippable frames to
// nothing, as the format has them, as long as the headers show the whole
// fits in the bound (a frame that declares no size counts for the most its
// blocks can produce); otherwise they are refused before anything is
// decoded.
func TestZstdReadsConcatenatedAndSkippableFrames(t *testing.T) {
	z := newZstd(t, zstd.Options{MinSize: 1, MaxDecodedSize: 512 << 10})
	one, two := text(100<<10), text(50<<10)
	a, _ := z.Apply(nil, one, nil)
	b, _ := z.Apply(nil, two, nil)
	var streamed bytes.Buffer
	w, err := kzstd.NewWriter(&streamed, kzstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(two)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	skip := []byte{0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'p', 'a', 'd'}
	in := append(append(append(append([]byte(nil), a...), skip...), b[1:]...), streamed.Bytes()...)
	back, err := z.Revert(nil, in, nil)
	if want := append(append(append([]byte(nil), one...), two...), two...); err != nil || !bytes.Equal(back, want) {
		t.Fatalf("three frames and a skippable one: %d bytes, %v; want %d bytes", len(back), err, len(want))
	}
	c, _ := z.Apply(nil, text(450<<10), nil)
	if _, err := z.Revert(nil, append(append([]byte(nil), a...), c[1:]...), nil); !errors.Is(err, transform.ErrTooLarge) {
		t.Fatalf("frames declaring 550 KiB in all with a 512 KiB limit: %v, want ErrTooLarge", err)
	}
	flushed := streamedFrame(t, text(256<<10)) // 64 blocks, each of which could hold 128 KiB
	if _, err := z.Revert(nil, append([]byte{1}, flushed...), nil); !errors.Is(err, transform.ErrTooLarge) {
		t.Fatalf("a frame of undeclared size whose blocks may hold 8 MiB, with a 512 KiB limit: %v, want ErrTooLarge", err)
	}
}

// streamedFrame compresses in as a stream, whose frame does not declare the
// decoded size up front.
func streamedFrame(t *testing.T, in []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := kzstd.NewWriter(&buf, kzstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(in); i += 4096 {
		if _, err := w.Write(in[i:min(i+4096, len(in))]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var h kzstd.Header
	if err := h.Decode(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if h.HasFCS {
		t.Fatal("the streamed frame declares its size; the case needs one that does not")
	}
	return buf.Bytes()
}

// FuzzZstdRevert: any input reverts to a bounded value or an error, never a
// panic, and whatever Apply produced reverts to its input.
func FuzzZstdRevert(f *testing.F) {
	z := newZstd(f, zstd.Options{MinSize: 1, MaxDecodedSize: 1 << 20})
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
