package valcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/envelope"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func testSecret(seed byte) []byte { return bytes.Repeat([]byte{seed}, transform.KeySize) }

func testZstd(t testing.TB, minSize int) *zstd.Transformer {
	t.Helper()
	z, err := zstd.New(zstd.Options{MinSize: minSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	return z
}

func testAES(t testing.TB, current byte, others ...byte) *transform.AESGCM {
	t.Helper()
	a, err := transform.NewAESGCM(testKeyring(t, current, others...))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testKeyring holds key i with secret testSecret(i) for each id given.
func testKeyring(t testing.TB, current byte, others ...byte) *transform.Keyring {
	t.Helper()
	var keys []transform.Key
	for _, id := range others {
		keys = append(keys, transform.Key{ID: uint32(id), Secret: testSecret(id)})
	}
	kr, err := transform.NewKeyring(transform.Key{ID: uint32(current), Secret: testSecret(current)}, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newByteCache[V any](t testing.TB, store byteStore, chain ...transform.Transformer) *Cache[string, V] {
	t.Helper()
	c, err := New(store, Options[string, V]{Namespace: "pipe", Transformers: chain, Logger: quietLog, StaleWhileRevalidate: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type catalogItem struct {
	SKU   string
	Title string
	Price float64
	Attrs map[string]string
}

func catalog(n int) []catalogItem {
	out := make([]catalogItem, n)
	for i := range out {
		out[i] = catalogItem{SKU: fmt.Sprintf("SKU-%05d", i), Title: "Stainless steel water bottle, 750 ml", Price: float64(i%97) + 0.99,
			Attrs: map[string]string{"colour": []string{"red", "blue", "green"}[i%3], "material": "steel"}}
	}
	return out
}

// chains are the transformer chains every round trip is run through.
func chains(t *testing.T) map[string][]transform.Transformer {
	z, a := testZstd(t, 64), testAES(t, 1)
	return map[string][]transform.Transformer{
		"none": nil, "zstd": {z}, "aes-gcm": {a}, "zstd+aes-gcm": {z, a}, "aes-gcm+zstd": {a, z},
	}
}

func TestPipelineRoundTrips(t *testing.T) {
	ctx := context.Background()
	for chainName, chain := range chains(t) {
		for _, cd := range []codec.Codec{codec.JSON(), codec.Gob(), codec.Msgpack()} {
			t.Run(chainName+"/"+cd.Name(), func(t *testing.T) {
				c, err := New(byteStore{}, Options[string, []catalogItem]{Codec: cd, Transformers: chain, Logger: quietLog})
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range []int{0, 1, 200} {
					want := catalog(n)
					if err := c.SetWith(ctx, "k", want, SetOptions{TTL: time.Minute}); err != nil {
						t.Fatal(err)
					}
					got, found, err := c.GetIfPresent(ctx, "k")
					if err != nil || !found || len(got) != n || (n > 0 && got[n-1].SKU != want[n-1].SKU || n > 0 && got[n-1].Attrs["colour"] != want[n-1].Attrs["colour"]) {
						t.Fatalf("%d items: found=%v err=%v, %d items back", n, found, err, len(got))
					}
				}
				if s := c.Stats(); s.DecodeErrors != 0 {
					t.Fatalf("stats %+v", s)
				}
			})
		}
		t.Run(chainName+"/raw", func(t *testing.T) {
			store := byteStore{}
			c := newByteCache[[]byte](t, store, chain...)
			for _, n := range []int{0, 10, 100, 4 << 10, 256 << 10} {
				want := bytes.Repeat([]byte("catalog "), n/8+1)[:n]
				if err := c.Set(ctx, "k", want); err != nil {
					t.Fatal(err)
				}
				got, found, err := c.GetIfPresent(ctx, "k")
				if err != nil || !found || !bytes.Equal(got, want) {
					t.Fatalf("%d bytes: found=%v err=%v, %d bytes back", n, found, err, len(got))
				}
				stored := store[driver.Key{Namespace: "pipe", ID: "k"}]
				if len(chain) > 0 && n > 100 && bytes.Contains(stored, want[:100]) {
					t.Fatalf("%d bytes: the value is stored as it is through %s", n, chainName)
				}
			}
		})
	}
}

// TestPipelineKeepsTimesAndAbsences: times written through the pipeline
// come back (a stale value is served as stale), and cached absences too.
func TestPipelineKeepsTimesAndAbsences(t *testing.T) {
	ctx := context.Background()
	for chainName, chain := range chains(t) {
		t.Run(chainName, func(t *testing.T) {
			store := byteStore{}
			c, err := New(store, Options[string, string]{Namespace: "pipe", Transformers: chain, Logger: quietLog,
				StaleWhileRevalidate: time.Hour, NegativeTTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.SetWith(ctx, "k", strings.Repeat("v", 300), SetOptions{TTL: time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
			v, env, ok := c.decode(driver.Key{Namespace: "pipe", ID: "k"}, store[driver.Key{Namespace: "pipe", ID: "k"}], false)
			if !ok || v != strings.Repeat("v", 300) || env.Meta.FreshFor != time.Millisecond || env.Meta.Written.IsZero() {
				t.Fatalf("decoded %q, meta %+v, ok=%v", v, env.Meta, ok)
			}
			if f, err := c.lookup(ctx, time.Time{}, "k", driver.Key{Namespace: "pipe", ID: "k"}); err != nil || f.state != stale {
				t.Fatalf("an expired entry: state %v, %v; want stale", f.state, err)
			}
			_, err = c.Get(ctx, "absent", func(context.Context, string) (string, error) { return "", ErrNotFound })
			if !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			calls := 0
			_, err = c.Get(ctx, "absent", func(context.Context, string) (string, error) { calls++; return "x", nil })
			if !errors.Is(err, ErrNotFound) || calls != 0 {
				t.Fatalf("the cached absence: %v after %d loads; want ErrNotFound and none", err, calls)
			}
			if s := c.Stats(); s.DecodeErrors != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// TestPipelineBytesWithoutTransformers: a cache without transformers writes
// the envelope byte for byte as it always has, so old and new readers agree.
func TestPipelineBytesWithoutTransformers(t *testing.T) {
	c := newByteCache[string](t, byteStore{})
	dk := driver.Key{Namespace: "pipe", ID: "k"}
	st := &Stamp{tags: []string{"", "t"}, versions: []uint64{5, 0x0102030405060708}}
	m := meta{written: time.UnixMilli(1000), freshFor: 2 * time.Second}
	for name, tc := range map[string]struct {
		st   *Stamp
		m    meta
		want []byte
	}{
		"plain": {nil, meta{}, []byte("\x01\x00\x01hi")},
		"times": {nil, m, []byte("\x01\x02\x01\xe8\x07\xd0\x0fhi")},
		"stamps and times": {st, m, []byte("\x01\x03\x01\x02\x00\x00\x00\x00\x00\x00\x00\x00\x05" +
			"\x01t\x01\x02\x03\x04\x05\x06\x07\x08\xe8\x07\xd0\x0fhi")},
		"absence": {nil, meta{negative: true, written: time.UnixMilli(1000), freshFor: 2 * time.Second}, []byte("\x01\x06\x01\xe8\x07\xd0\x0f")},
	} {
		got, err := c.appendEntry(nil, dk, "hi", tc.st, tc.m)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", name, got, err, tc.want)
		}
	}
}

func TestPipelineRotation(t *testing.T) {
	ctx := context.Background()
	store := byteStore{}
	aes := testAES(t, 1)
	c := newByteCache[string](t, store, testZstd(t, 64), aes)
	if err := c.Set(ctx, "old", "written with key 1"); err != nil {
		t.Fatal(err)
	}
	// Rotate: key 2 seals, key 1 still opens.
	if err := aes.SetKeyring(testKeyring(t, 2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "new", "written with key 2"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"old": "written with key 1", "new": "written with key 2"} {
		if got, found, err := c.GetIfPresent(ctx, k); err != nil || !found || got != want {
			t.Fatalf("%s: %q found=%v err=%v", k, got, found, err)
		}
	}
	if id := sealedKeyID(t, store[driver.Key{Namespace: "pipe", ID: "new"}]); id != 2 {
		t.Fatalf("the new entry is sealed with key %d, want 2", id)
	}
	// Another process, started with key 2 alone: the old entry is a clean
	// miss, counted, and the new one reads.
	other := newByteCache[string](t, store, testZstd(t, 64), testAES(t, 2))
	if _, found, err := other.GetIfPresent(ctx, "old"); err != nil || found {
		t.Fatalf("an entry of a key the cache lacks: found=%v err=%v, want a clean miss", found, err)
	}
	if got, found, err := other.GetIfPresent(ctx, "new"); err != nil || !found || got != "written with key 2" {
		t.Fatalf("new: %q found=%v err=%v", got, found, err)
	}
	if s := other.Stats(); s.DecodeErrors != 1 || s.AuthFailures != 0 {
		t.Fatalf("stats %+v, want one decode error and no authentication failure", s)
	}
}

// sealedKeyID reads the key id of a sealed entry without transformers
// other than AES-GCM last.
func sealedKeyID(t *testing.T, b []byte) uint32 {
	t.Helper()
	env, err := envelope.Parse(b)
	if err != nil || len(env.Payload) < 4 {
		t.Fatalf("parse: %v", err)
	}
	p := env.Payload
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

func TestPipelineRefusesTampering(t *testing.T) {
	ctx := context.Background()
	store := byteStore{}
	c := newByteCache[string](t, store, testZstd(t, 64), testAES(t, 1))
	key := func(id string) driver.Key { return driver.Key{Namespace: "pipe", ID: id} }
	for _, k := range []string{"a", "b"} {
		if err := c.Set(ctx, k, strings.Repeat(k, 500)); err != nil {
			t.Fatal(err)
		}
	}
	good := bytes.Clone(store[key("a")])
	env, err := envelope.Parse(good)
	if err != nil || len(env.Transforms) != 2 {
		t.Fatalf("parse: %v, transforms %v", err, env.Transforms)
	}
	headerLen := len(env.Header)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string]struct {
		stored []byte
		auth   bool // counted as an authentication failure
	}{
		"payload bit":    {edit(func(b []byte) []byte { b[len(b)-20] ^= 1; return b }), true},
		"tag bit":        {edit(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), true},
		"fresh-for":      {edit(func(b []byte) []byte { b[headerLen-4] ^= 1; return b }), true},
		"written":        {edit(func(b []byte) []byte { b[4] ^= 1; return b }), true},
		"codec id":       {edit(func(b []byte) []byte { b[2] = codec.IDJSON; return b }), true},
		"truncated":      {good[:len(good)-1], true},
		"payload cut":    {good[:headerLen+10], false},
		"header only":    {good[:headerLen], false},
		"chain dropped":  {append(append([]byte{good[0], good[1] &^ envelope.FlagTransformed}, good[2:headerLen-3]...), good[headerLen:]...), true},
		"copied from b":  {bytes.Clone(store[key("b")]), true},
		"from other key": {edit(func(b []byte) []byte { b[headerLen+3] = 9; return b }), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := c.Stats()
			store[key("a")] = tc.stored
			if v, found, err := c.GetIfPresent(ctx, "a"); err != nil || found {
				t.Fatalf("%q found=%v err=%v, want a clean miss", v, found, err)
			}
			after := c.Stats()
			if after.DecodeErrors != before.DecodeErrors+1 {
				t.Fatalf("decode errors %d -> %d, want one more", before.DecodeErrors, after.DecodeErrors)
			}
			if tc.auth && after.AuthFailures != before.AuthFailures+1 {
				t.Fatalf("authentication failures %d -> %d, want one more", before.AuthFailures, after.AuthFailures)
			}
		})
	}
	// Swapping the values of two keys: each is refused under the other.
	a, b := bytes.Clone(good), bytes.Clone(store[key("b")])
	store[key("a")], store[key("b")] = b, a
	for _, k := range []string{"a", "b"} {
		if _, found, err := c.GetIfPresent(ctx, k); err != nil || found {
			t.Fatalf("swapped %s: found=%v err=%v", k, found, err)
		}
	}
	// The same bytes under another namespace are refused too.
	store[driver.Key{Namespace: "pipe2", ID: "a"}] = a
	c2, err := New(store, Options[string, string]{Namespace: "pipe2", Transformers: []transform.Transformer{testZstd(t, 64), testAES(t, 1)}, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := c2.GetIfPresent(ctx, "a"); err != nil || found {
		t.Fatalf("another namespace: found=%v err=%v", found, err)
	}
	// A wrong secret under the right id.
	wrong, err := transform.NewKeyring(transform.Key{ID: 1, Secret: testSecret(7)})
	if err != nil {
		t.Fatal(err)
	}
	wrongAES, _ := transform.NewAESGCM(wrong)
	c3 := newByteCache[string](t, store, testZstd(t, 64), wrongAES)
	store[key("a")] = a
	if _, found, err := c3.GetIfPresent(ctx, "a"); err != nil || found || c3.Stats().AuthFailures != 1 {
		t.Fatalf("wrong secret: found=%v err=%v stats %+v", found, err, c3.Stats())
	}
}

func TestPipelineChainChanges(t *testing.T) {
	ctx := context.Background()
	store := byteStore{}
	value := strings.Repeat("compressible ", 100)
	plain := newByteCache[string](t, store)
	packed := newByteCache[string](t, store, testZstd(t, 64))
	sealed := newByteCache[string](t, store, testZstd(t, 64), testAES(t, 1))
	writes := map[string]*Cache[string, string]{"plain": plain, "zstd": packed, "sealed": sealed}
	for k, c := range writes {
		if err := c.Set(ctx, k, value); err != nil {
			t.Fatal(err)
		}
	}
	// A cache that stopped compressing but lists zstd for decoding only.
	unpacking := newByteCache[string](t, store, transform.DecodeOnly(testZstd(t, 64)))
	// reader -> entries it must read; the others are clean misses.
	for name, tc := range map[string]struct {
		c    *Cache[string, string]
		hits []string
	}{
		"plain":     {plain, []string{"plain"}}, // zstd is not listed: a miss, not a built-in decoder
		"zstd":      {packed, []string{"plain", "zstd"}},
		"unpacking": {unpacking, []string{"plain", "zstd"}},
		"sealed":    {sealed, []string{"sealed"}}, // refuses what it did not seal
	} {
		for k := range writes {
			v, found, err := tc.c.GetIfPresent(ctx, k)
			want := slices.Contains(tc.hits, k)
			if err != nil || found != want || (found && v != value) {
				t.Errorf("reader %s, entry %s: found=%v err=%v, want found=%v", name, k, found, err, want)
			}
		}
	}
	if s := plain.Stats(); s.DecodeErrors != 2 || s.AuthFailures != 0 {
		t.Fatalf("the plain reader's stats %+v, want the zstd and sealed entries counted as undecodable", s)
	}
	if s := sealed.Stats(); s.AuthFailures != 2 || s.DecodeErrors != 2 {
		t.Fatalf("the sealing reader's stats %+v, want 2 unsealed entries refused", s)
	}
	// What the decode-only cache writes goes through no step: a cache
	// without transformers reads it.
	if err := unpacking.Set(ctx, "unpacked", value); err != nil {
		t.Fatal(err)
	}
	if env, err := envelope.Parse(store[driver.Key{Namespace: unpacking.Namespace(), ID: "unpacked"}]); err != nil || len(env.Transforms) != 0 {
		t.Fatalf("the decode-only cache wrote transforms %v (%v), want none", env.Transforms, err)
	}
	if v, found, err := plain.GetIfPresent(ctx, "unpacked"); err != nil || !found || v != value {
		t.Fatalf("plain reader of the decode-only cache's entry: %q, %v, %v", v, found, err)
	}
}

func TestPipelineOptions(t *testing.T) {
	z := testZstd(t, 0)
	for name, chain := range map[string][]transform.Transformer{
		"duplicate": {z, z},
		"nil":       {nil},
	} {
		if _, err := New(byteStore{}, Options[string, string]{Transformers: chain}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v, want ErrInvalidOptions", name, err)
		}
	}
}
