package cachetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustSet(t *testing.T, p driver.Provider, k driver.Key, v []byte, ttl time.Duration) {
	t.Helper()
	if err := p.Set(ctxFor(t), k, v, ttl); err != nil {
		t.Fatalf("Set(%+v): %v", k, err)
	}
}

func wantValue(t *testing.T, p driver.Provider, k driver.Key, want []byte) {
	t.Helper()
	got, found, err := p.Get(ctxFor(t), k)
	if err != nil {
		t.Fatalf("Get(%+v): %v", k, err)
	}
	if !found {
		t.Fatalf("Get(%+v): miss, want %q", k, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%+v) = %q, want %q", k, got, want)
	}
}

func wantMiss(t *testing.T, p driver.Provider, k driver.Key) {
	t.Helper()
	got, found, err := p.Get(ctxFor(t), k)
	if err != nil {
		t.Fatalf("Get(%+v): %v", k, err)
	}
	if found {
		t.Fatalf("Get(%+v) = %q, want a miss", k, got)
	}
}

// untilMiss polls k until it misses and returns how long that took, failing
// the test if it is still present after limit.
func untilMiss(t *testing.T, p driver.Provider, k driver.Key, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, found, err := p.Get(ctxFor(t), k)
		if err != nil {
			t.Fatalf("Get(%+v): %v", k, err)
		}
		if !found {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("Get(%+v): still present %v after its write", k, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// untilGone polls a cache (not the provider's bytes, which an in-process
// provider does not use for typed entries) until key misses, and returns
// how long that took; it fails the test if key is still served after limit.
func untilGone[K comparable, V any](t *testing.T, c *valcache.Cache[K, V], key K, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, found, err := c.GetIfPresent(ctxFor(t), key)
		if err != nil {
			t.Fatalf("GetIfPresent(%v): %v", key, err)
		}
		if !found {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("GetIfPresent(%v): still served %v after its write", key, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fetchValue is Fetch's value alone, for cases that check only the value.
func fetchValue[K comparable, V any](t *testing.T, c *valcache.Cache[K, V], k K, load valcache.Loader[K, V], o valcache.LoadOptions) (V, error) {
	t.Helper()
	r, err := c.Fetch(ctxFor(t), k, load, o)
	return r.Value, err
}
