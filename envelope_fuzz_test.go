package valcache

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/transform"
)

// byteStore is the smallest byte provider, so the fuzzer reaches the
// facade's decode path without a server.
type byteStore map[driver.Key][]byte

func (s byteStore) Get(_ context.Context, k driver.Key) ([]byte, bool, error) {
	b, ok := s[k]
	return b, ok, nil
}
func (s byteStore) Set(_ context.Context, k driver.Key, v []byte, _ time.Duration) error {
	s[k] = append([]byte(nil), v...)
	return nil
}
func (s byteStore) Delete(_ context.Context, k driver.Key) error { delete(s, k); return nil }
func (s byteStore) Clear(context.Context, string) error          { return nil }
func (s byteStore) Close() error                                 { return nil }

type fuzzValue struct {
	A int
	B string
	C []float64
	D map[string]*fuzzValue
	E time.Time
}

// FuzzDecodeEntry feeds arbitrary stored bytes to a cache: whatever they
// are, a read is a hit or a clean miss, never a panic or an error.
func FuzzDecodeEntry(f *testing.F) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, cd := range []codec.Codec{codec.JSON(), codec.Gob(), codec.Msgpack()} {
		b, err := appendEnvelope(nil, cd, fuzzValue{A: 1, B: "x", C: []float64{1.5}, D: map[string]*fuzzValue{"k": {A: 2}}}, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	st := &Stamp{tags: []string{"", "t"}, versions: []uint64{1, 2}}
	withTimes, err := appendEnvelopeMeta(nil, codec.Msgpack(), fuzzValue{A: 3}, st, meta{written: time.UnixMilli(1_700_000_000_000), freshFor: time.Minute})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withTimes)
	absence, err := appendEnvelopeMeta(nil, codec.Msgpack(), nil, st, meta{negative: true, written: time.UnixMilli(1), freshFor: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(absence)
	f.Add([]byte{envelope.V1, 0, codec.IDRaw})
	f.Add([]byte{})
	f.Add([]byte{envelope.V1, 0xff, 0})
	f.Fuzz(func(t *testing.T, stored []byte) {
		store := byteStore{}
		c, err := New(store, Options[string, fuzzValue]{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		store[driver.Key{Namespace: c.Namespace(), ID: "k"}] = stored
		v, found, err := c.GetIfPresent(context.Background(), "k")
		if err != nil {
			t.Fatalf("a stored value produced an error, want a hit or a miss: %v", err)
		}
		if !found {
			return
		}
		// What decodes must also survive a write and read back equal.
		if err := c.Set(context.Background(), "k2", v); err != nil {
			t.Fatalf("a decoded value could not be written back: %v", err)
		}
		if _, found, err := c.GetIfPresent(context.Background(), "k2"); err != nil || !found {
			t.Fatalf("a decoded value did not read back: found=%v err=%v", found, err)
		}
	})
}

// FuzzDecodeTransformed feeds arbitrary stored bytes to caches with
// transformer chains: one that seals (so only sealed entries may read) and
// one that only compresses. A read is a hit or a clean miss, never a panic
// or an error, and the sealing cache serves nothing the fuzzer forged.
func FuzzDecodeTransformed(f *testing.F) {
	z := testZstd(f, 16)
	aes := testAES(f, 1)
	sealing := []transform.Transformer{z, aes}
	dk := driver.Key{Namespace: "pipe", ID: "k"}
	for _, chain := range [][]transform.Transformer{{z}, sealing, {aes, z}} {
		c := newByteCache[fuzzValue](f, byteStore{}, chain...)
		for _, m := range []meta{{}, {written: time.UnixMilli(1_700_000_000_000), freshFor: time.Minute}, {negative: true, written: time.UnixMilli(1), freshFor: time.Second}} {
			b, err := c.appendEntry(nil, dk, fuzzValue{A: 1, B: strings.Repeat("x", 40), C: []float64{1.5}}, nil, m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte{envelope.V1, envelope.FlagTransformed, codec.IDMsgpack, 1, 1, 1})
	f.Add([]byte{envelope.V1, envelope.FlagTransformed, codec.IDMsgpack, 2, 2, 1, 0})
	f.Fuzz(func(t *testing.T, stored []byte) {
		for _, chain := range [][]transform.Transformer{{z}, sealing} {
			store := byteStore{dk: stored}
			c := newByteCache[fuzzValue](t, store, chain...)
			_, found, err := c.GetIfPresent(context.Background(), "k")
			if err != nil {
				t.Fatalf("a stored value produced an error, want a hit or a miss: %v", err)
			}
			if found && len(chain) == 2 {
				// Only what this cache sealed opens; the fuzzer's mutations
				// of a seed cannot, but the seeds themselves can.
				env, perr := envelope.Parse(stored)
				if perr != nil || !bytes.Contains(env.Transforms, []byte{transform.IDAESGCM}) {
					t.Fatalf("the sealing cache served an entry it did not seal: %v", perr)
				}
			}
		}
	})
}
