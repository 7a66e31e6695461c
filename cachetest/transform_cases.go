package cachetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/transform"
	"github.com/valcache/valcache/transform/zstd"
)

func transformZstd(t *testing.T) *zstd.Transformer {
	t.Helper()
	z, err := zstd.New(zstd.Options{MinSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = z.Close() })
	return z
}

// transformKey is key id's test secret: id repeated.
func transformKey(id uint32) transform.Key {
	return transform.Key{ID: id, Secret: bytes.Repeat([]byte{byte(id)}, transform.KeySize)}
}

func transformAES(t *testing.T, current uint32, others ...uint32) *transform.AESGCM {
	t.Helper()
	var keys []transform.Key
	for _, id := range others {
		keys = append(keys, transformKey(id))
	}
	kr, err := transform.NewKeyring(transformKey(current), keys...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := transform.NewAESGCM(kr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// keepsValues reports whether p keeps Go values, on which valcache.New
// refuses transformers.
func keepsValues(p driver.Provider) bool {
	_, ok := p.(driver.ValueStore)
	return ok
}

// transformRuleCases hold on every provider: transformers are applied or
// refused, never ignored.
var transformRuleCases = []testCase{
	{"AppliedOrRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		opts := valcache.Options[string, string]{Namespace: namespace(t), Transformers: []transform.Transformer{transformAES(t, 1)}}
		c, err := valcache.New(p, opts)
		if keepsValues(p) {
			// No step would run on typed values: a value meant to be
			// sealed would sit in the clear.
			if !errors.Is(err, valcache.ErrTransformersNeedBytes) || !errors.Is(err, valcache.ErrInvalidOptions) || c != nil {
				t.Fatalf("New with transformers on a provider that keeps Go values: cache %v, error %v; want no cache and ErrTransformersNeedBytes", c != nil, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("New with transformers on a provider that stores bytes: %v", err)
		}
		t.Cleanup(func() { _ = c.Close() })
		secret := "a value that reaches the store sealed"
		if err := c.Set(ctxFor(t), "k", secret); err != nil {
			t.Fatal(err)
		}
		stored, found, err := p.Get(ctxFor(t), driver.Key{Namespace: opts.Namespace, ID: "k"})
		if err != nil || !found || bytes.Contains(stored, []byte(secret)) {
			t.Fatalf("stored bytes found=%v err=%v, hold the plaintext: %v; want them sealed", found, err, bytes.Contains(stored, []byte(secret)))
		}
		wantGet(t, c, "k", secret)
	}},
}

// transformCases run with compression and encryption configured, on
// providers that store bytes.
var transformCases = []testCase{
	{"EveryCodecThroughEveryChain", func(t *testing.T, p driver.Provider, _ Harness) {
		z, a := transformZstd(t), transformAES(t, 1)
		for name, chain := range map[string][]transform.Transformer{"zstd": {z}, "aes-gcm": {a}, "zstd+aes-gcm": {z, a}} {
			for _, cd := range []codec.Codec{codec.JSON(), codec.Gob(), codec.Msgpack()} {
				c := newCache(t, p, valcache.Options[string, order]{Codec: cd, Transformers: chain})
				o := sampleOrder(9)
				o.Meta["notes"] = strings.Repeat("fragile; ", 40)
				if err := c.Set(ctxFor(t), "o", o); err != nil {
					t.Fatalf("%s/%s: %v", name, cd.Name(), err)
				}
				wantGet(t, c, "o", o)
			}
			raw := newCache(t, p, valcache.Options[string, []byte]{Transformers: chain})
			for _, n := range []int{0, 1, 100, 4 << 10, 256 << 10} {
				v := bytes.Repeat([]byte("ab"), n/2+1)[:n]
				if err := raw.Set(ctxFor(t), "raw", v); err != nil {
					t.Fatalf("%s/raw %d bytes: %v", name, n, err)
				}
				wantGet(t, raw, "raw", v)
			}
		}
	}},
	{"TTLsSurviveTheChain", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{Transformers: []transform.Transformer{transformZstd(t), transformAES(t, 1)}})
		v := strings.Repeat("short-lived ", 20)
		if err := c.SetWith(ctxFor(t), "k", v, valcache.SetOptions{TTL: 300 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", v)
		untilGone(t, c, "k", 5*time.Second)
	}},
	{"RotationReadsOldEntries", func(t *testing.T, p driver.Provider, _ Harness) {
		a := transformAES(t, 1)
		c := newCache(t, p, valcache.Options[string, string]{Transformers: []transform.Transformer{a}})
		if err := c.Set(ctxFor(t), "old", "sealed with 1"); err != nil {
			t.Fatal(err)
		}
		kr, err := transform.NewKeyring(transformKey(2), transformKey(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetKeyring(kr); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctxFor(t), "new", "sealed with 2"); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "old", "sealed with 1")
		wantGet(t, c, "new", "sealed with 2")
		// A cache holding key 2 alone reads the new entry, and the old one
		// is a clean miss wherever the provider keeps no in-process copies.
		// (Caches of one process share two-level copies, which were opened
		// when they were written or read.)
		only2 := newCache(t, p, valcache.Options[string, string]{Namespace: c.Namespace(), Transformers: []transform.Transformer{transformAES(t, 2)}})
		wantGet(t, only2, "new", "sealed with 2")
		if _, copies := p.(driver.NearCache); !copies {
			wantNoGet(t, only2, "old")
			if s := only2.Stats(); s.DecodeErrors != 1 {
				t.Fatalf("stats %+v, want the old entry counted", s)
			}
		}
	}},
	{"AlteredSealedBytesAreMisses", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{Transformers: []transform.Transformer{transformZstd(t), transformAES(t, 1)}})
		ns := c.Namespace()
		for _, k := range []string{"a", "b"} {
			if err := c.SetWith(ctxFor(t), k, strings.Repeat(k, 200), valcache.SetOptions{TTL: time.Minute}); err != nil {
				t.Fatal(err)
			}
		}
		get := func(k string) []byte {
			b, found, err := p.Get(ctxFor(t), driver.Key{Namespace: ns, ID: k})
			if err != nil || !found {
				t.Fatalf("Get(%s): found=%v err=%v", k, found, err)
			}
			return b
		}
		a, b := get("a"), get("b")
		flipped := bytes.Clone(a)
		flipped[len(flipped)/2] ^= 1
		for name, stored := range map[string][]byte{"flipped": flipped, "truncated": a[:len(a)-3], "b's bytes": b} {
			mustSet(t, p, driver.Key{Namespace: ns, ID: "a"}, stored, time.Minute)
			before := c.Stats()
			wantNoGet(t, c, "a")
			if after := c.Stats(); after.DecodeErrors != before.DecodeErrors+1 || after.AuthFailures != before.AuthFailures+1 {
				t.Fatalf("%s: stats %+v -> %+v, want one more decode and authentication failure", name, before, after)
			}
		}
	}},
}

// transformTagCases need a provider that keeps versions and stores bytes.
var transformTagCases = []testCase{
	{"TagsSurviveTheChain", func(t *testing.T, p driver.Provider, _ Harness) {
		if keepsValues(p) {
			t.Skip("the provider keeps Go values; valcache.New refuses transformers (Transform/AppliedOrRefused)")
		}
		c := newCache(t, p, valcache.Options[string, string]{Transformers: []transform.Transformer{transformZstd(t), transformAES(t, 1)}})
		ctx := ctxFor(t)
		v := strings.Repeat("tagged ", 30)
		for k, tags := range map[string][]string{"red": {"red"}, "blue": {"blue"}} {
			if err := c.SetWith(ctx, k, v, valcache.SetOptions{Tags: tags, TTL: time.Minute}); err != nil {
				t.Fatal(err)
			}
		}
		wantGet(t, c, "red", v)
		if err := c.InvalidateTags(ctx, "red"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "red")
		wantGet(t, c, "blue", v)
		// A compute keeps the entry's tags through the chain.
		if _, _, err := c.Compute(ctx, "blue", func(old string, found bool) (string, valcache.ComputeOp, error) {
			if !found {
				return "", valcache.ComputeDelete, errors.New("blue is gone")
			}
			return old + "!", valcache.ComputeSet, nil
		}, valcache.ComputeOptions{}); err != nil {
			if errors.Is(err, valcache.ErrNotSupported) {
				return
			}
			t.Fatal(err)
		}
		wantGet(t, c, "blue", v+"!")
		if err := c.InvalidateTags(ctx, "blue"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "blue")
	}},
}
