package valcache

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
)

// zstdSkippable is a zstd skippable frame of n zero bytes: decoders pass
// over it, so it pads a layer up to just under the decode bound.
func zstdSkippable(n int) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184D2A50)
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	return append(b, make([]byte, n)...)
}

// An entry whose transformer list names zstd MaxChain times, each layer
// padded with a skippable frame, is a few KiB stored but decompresses
// MaxChain layers; with pads just under DefaultMaxDecodedSize that is
// MaxChain times the per-entry bound (smaller pads here keep the test
// light). A repeated id is a corrupt
// envelope: a miss and a decode error, nothing decompressed.
func TestRepeatedTransformerIdsAreACorruptEntry(t *testing.T) {
	enc, err := kzstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	x, err := codec.Msgpack().Append(nil, "bomb")
	if err != nil {
		t.Fatal(err)
	}
	const layers = transform.MaxChain
	for k := 1; k <= layers; k++ {
		next := enc.EncodeAll(x, []byte{1}) // mode byte: compressed
		if k < layers {
			next = append(next, zstdSkippable(256<<10)...)
		}
		x = next
	}
	ids := make([]byte, layers)
	for i := range ids {
		ids[i] = transform.IDZstd
	}
	bomb := append(appendHeader(nil, codec.IDMsgpack, nil, meta{}, ids), x...)

	// A short list naming zstd twice over a payload compressed twice, which
	// reverting would read back as a value.
	twice, err := codec.Msgpack().Append(nil, "twice")
	if err != nil {
		t.Fatal(err)
	}
	twice = enc.EncodeAll(append([]byte{1}, enc.EncodeAll(twice, []byte{1})...), []byte{1})
	double := append(appendHeader(nil, codec.IDMsgpack, nil, meta{}, []byte{transform.IDZstd, transform.IDZstd}), twice...)

	for name, entry := range map[string][]byte{"bomb": bomb, "twice": double} {
		t.Run(name, func(t *testing.T) {
			if _, err := envelope.Parse(entry); !errors.Is(err, envelope.ErrCorrupt) {
				t.Fatalf("envelope.Parse: %v, want envelope.ErrCorrupt", err)
			}
			for _, chain := range [][]transform.Transformer{nil, {testZstd(t, 0)}} {
				c := newByteCache[string](t, byteStore{driver.Key{Namespace: "pipe", ID: "k"}: entry}, chain...)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				v, found, err := c.GetIfPresent(context.Background(), "k")
				runtime.ReadMemStats(&after)
				t.Logf("%d stored bytes, chain of %d: allocated %d KiB (logged, not asserted)", len(entry), len(chain), (after.TotalAlloc-before.TotalAlloc)>>10)
				if err != nil || found {
					t.Fatalf("GetIfPresent = %q %v %v, want a miss", v, found, err)
				}
				if s := c.Stats(); s.DecodeErrors != 1 {
					t.Fatalf("DecodeErrors = %d, want 1", s.DecodeErrors)
				}
			}
		})
	}
}

// generator is a custom step whose Revert expands, like a decompressor
// with no bound of its own: src is a uvarint n, and the output is the
// msgpack string of n bytes 'x'. It only reverts.
type generator struct{}

func (generator) ID() byte     { return transform.FirstCustomID + 7 }
func (generator) Name() string { return "generator" }
func (generator) Apply(dst, _, _ []byte) ([]byte, error) {
	return dst, errors.New("generator: only reverts")
}
func (generator) Revert(dst, src, _ []byte) ([]byte, error) {
	n, w := binary.Uvarint(src)
	if w <= 0 || n > 1<<30 {
		return dst, transform.ErrCorrupt
	}
	return codec.Msgpack().Append(dst, strings.Repeat("x", int(n)))
}

// The decoded-size bound applies to the chain as a whole: a step reverted
// after zstd (here a custom one) may not produce more than it either.
func TestDecodedSizeBoundCoversTheWholeChain(t *testing.T) {
	z, err := zstd.New(zstd.Options{MaxDecodedSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	chain := []transform.Transformer{generator{}, z} // reverted: zstd, then generator
	entry := func(n uint64) []byte {
		inner, err := z.Apply(nil, binary.AppendUvarint(nil, n), nil)
		if err != nil {
			t.Fatal(err)
		}
		return append(appendHeader(nil, codec.IDMsgpack, nil, meta{}, []byte{generator{}.ID(), transform.IDZstd}), inner...)
	}
	store := byteStore{
		driver.Key{Namespace: "pipe", ID: "small"}: entry(1000),
		driver.Key{Namespace: "pipe", ID: "large"}: entry(1 << 20),
	}
	c := newByteCache[string](t, store, chain...)
	if v, found, err := c.GetIfPresent(context.Background(), "small"); err != nil || !found || len(v) != 1000 {
		t.Fatalf("small: %d bytes %v %v, want 1000 bytes found", len(v), found, err)
	}
	if v, found, err := c.GetIfPresent(context.Background(), "large"); err != nil || found {
		t.Fatalf("large: %d bytes %v %v, want a miss: 1 MiB out of a chain bounded at 64 KiB", len(v), found, err)
	}
	if s := c.Stats(); s.DecodeErrors != 1 {
		t.Fatalf("DecodeErrors = %d, want 1", s.DecodeErrors)
	}
}

// Steps that do not expand are not refused by the bound, whatever the
// stored size: a value above MaxDecodedSize that zstd stored as it was
// still reads through decryption.
func TestDecodedSizeBoundSparesStepsThatDoNotExpand(t *testing.T) {
	z, err := zstd.New(zstd.Options{MaxDecodedSize: 4 << 10, MinSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	store := byteStore{}
	c := newByteCache[string](t, store, z, testAES(t, 1))
	big := strings.Repeat("v", 16<<10)
	if err := c.Set(context.Background(), "k", big); err != nil {
		t.Fatal(err)
	}
	if v, found, err := c.GetIfPresent(context.Background(), "k"); err != nil || !found || v != big {
		t.Fatalf("%d bytes %v %v, want the 16 KiB value", len(v), found, err)
	}
}
