package valcache

import (
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
)

// bombLimit is the MaxDecodedSize of the tests below: small enough to keep
// them light, large enough that the decoder's own fixed buffers are a
// small part of it.
const bombLimit = 8 << 20

// zstdBombs are zstd payloads (mode byte and frames) of a few KiB that
// decode to just over bombLimit, in each shape a frame can take.
func zstdBombs(t *testing.T) map[string][]byte {
	t.Helper()
	zeros := make([]byte, bombLimit+1<<20)
	all, err := kzstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	// A streaming encoder does not know the size: its frames declare none.
	streamed := func(b []byte) []byte {
		var out sliceWriter
		w, err := kzstd.NewWriter(&out, kzstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	bombs := map[string][]byte{
		"DeclaredSize":   all.EncodeAll(zeros, []byte{1}),
		"UndeclaredSize": append([]byte{1}, streamed(zeros)...),
	}
	declared, undeclared := []byte{1}, []byte{1}
	for off := 0; off < len(zeros); off += 1 << 20 {
		declared = all.EncodeAll(zeros[off:off+1<<20], declared)
		undeclared = append(undeclared, streamed(zeros[off:off+1<<20])...)
	}
	bombs["FramesOfDeclaredSize"] = declared
	bombs["FramesOfUndeclaredSize"] = undeclared
	// Frames that declare less than they hold, so that the decoder runs
	// until it notices: declaring just under the bound, and half of it.
	bombs["DeclaredSizeThatLies"] = declareSize(t, all.EncodeAll(zeros, nil), bombLimit-1<<20)
	bombs["DeclaredHalfThatLies"] = declareSize(t, all.EncodeAll(zeros, nil), bombLimit/2)
	for name, b := range bombs {
		if len(b) > 64<<10 {
			t.Fatalf("%s: %d bytes stored, want a small bomb", name, len(b))
		}
	}
	return bombs
}

// declareSize rewrites the content size a frame declares, which must take
// four bytes both before and after, and adds the mode byte.
func declareSize(t *testing.T, frame []byte, size uint32) []byte {
	t.Helper()
	var h kzstd.Header
	if err := h.Decode(frame); err != nil || !h.HasFCS || h.FrameContentSize >= 1<<32 || size < 1<<16+256 {
		t.Fatalf("frame header %+v (%v): want a four-byte content size", h, err)
	}
	out := append([]byte{1}, frame...)
	binary.LittleEndian.PutUint32(out[1+h.HeaderSize-4:], size)
	return out
}

type sliceWriter []byte

func (w *sliceWriter) Write(b []byte) (int, error) { *w = append(*w, b...); return len(b), nil }

// TestDecompressionAllocatesAtMostTwiceTheBound reads each bomb, alone and
// sealed behind AES-GCM after compression, and measures what the read
// allocated: a refused entry may cost at most twice MaxDecodedSize,
// whatever its frames claim.
func TestDecompressionAllocatesAtMostTwiceTheBound(t *testing.T) {
	z, err := zstd.New(zstd.Options{MaxDecodedSize: bombLimit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	aes := testAES(t, 1)
	dk := driver.Key{Namespace: "pipe", ID: "k"}
	for name, payload := range zstdBombs(t) {
		for _, chain := range [][]transform.Transformer{{z}, {z, aes}} {
			sub := name
			if len(chain) > 1 {
				sub += "/Sealed"
			}
			t.Run(sub, func(t *testing.T) {
				ids := []byte{transform.IDZstd}
				if len(chain) > 1 {
					ids = append(ids, transform.IDAESGCM)
				}
				header := appendHeader(nil, codec.IDMsgpack, nil, meta{}, ids)
				stored := payload
				if len(chain) > 1 {
					if stored, err = aes.Apply(nil, payload, appendAAD(nil, dk, header)); err != nil {
						t.Fatal(err)
					}
				}
				c := newByteCache[string](t, byteStore{dk: append(header, stored...)}, chain...)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				v, found, err := c.GetIfPresent(context.Background(), "k")
				runtime.ReadMemStats(&after)
				if err != nil || found {
					t.Fatalf("GetIfPresent = %d bytes %v %v, want a miss", len(v), found, err)
				}
				if s := c.Stats(); s.DecodeErrors != 1 {
					t.Fatalf("DecodeErrors = %d, want 1", s.DecodeErrors)
				}
				got := after.TotalAlloc - before.TotalAlloc
				t.Logf("%d stored bytes: the read allocated %d KiB", len(stored), got>>10)
				if got > 2*bombLimit {
					t.Fatalf("a read of %d stored bytes allocated %d KiB, over twice MaxDecodedSize (%d KiB)", len(stored), got>>10, 2*bombLimit>>10)
				}
			})
		}
	}
}
