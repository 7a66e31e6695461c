package bench

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/otelcache"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

// observers are the three ways a cache can be observed: not at all, by
// otelcache on providers that record nothing (the OpenTelemetry globals
// before an SDK is installed), and by otelcache on SDK providers that
// record everything (a manual metric reader, every span sampled).
func observers(b *testing.B) map[string]valcache.Observer {
	noop, err := otelcache.New(otelcache.Config{})
	if err != nil {
		b.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	sdk, err := otelcache.New(otelcache.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		b.Fatal(err)
	}
	return map[string]valcache.Observer{"off": nil, "otel-noop": noop, "otel-sdk": sdk}
}

// BenchmarkObservedInProcessHit is the in-process hit (GetIfPresent over
// memory) with each observer.
func BenchmarkObservedInProcessHit(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("user:")
	p, err := memory.New(memory.Config{MaxEntries: 4 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	impls := map[string]func(int){}
	for name, obs := range observers(b) {
		c, err := valcache.New(p, valcache.Options[string, user]{Namespace: "obs-" + name, Observer: obs})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		for i, k := range keys {
			if err := c.Set(ctx, k, sampleUser(i)); err != nil {
				b.Fatal(err)
			}
		}
		impls[name] = func(i int) {
			if _, ok, err := c.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}
	}
	sideBySide(b, impls)
}

// BenchmarkObservedL1Hit is the two-level provider's in-process hit with
// each observer, over one Valkey provider.
func BenchmarkObservedL1Hit(b *testing.B) {
	ctx := context.Background()
	keys := benchKeys("user:")
	l2, err := valkeystore.New(b.Context(), valkeystore.Config{Addrs: []string{servers.Valkey(b).Addr()}, TrackAllReads: true, KeyPrefix: "obs:"})
	if err != nil {
		b.Fatal(err)
	}
	l1, err := memory.New(memory.Config{MaxEntries: 4 * keyCount})
	if err != nil {
		b.Fatal(err)
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	impls := map[string]func(int){}
	var caches []*valcache.Cache[string, user]
	for name, obs := range observers(b) {
		c, err := valcache.New(p, valcache.Options[string, user]{Namespace: "obs-" + name, Observer: obs})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		caches = append(caches, c)
		for i, k := range keys {
			if err := c.Set(ctx, k, sampleUser(i)); err != nil {
				b.Fatal(err)
			}
			if _, ok, err := c.GetIfPresent(ctx, k); !ok || err != nil { // keeps the copy
				b.Fatal("warm-up miss", err)
			}
		}
		impls[name] = func(i int) {
			if _, ok, err := c.GetIfPresent(ctx, keys[i%keyCount]); !ok || err != nil {
				b.Fatal("miss", err)
			}
		}
	}
	sideBySide(b, impls)
	for _, c := range caches {
		if s := c.Stats(); s.L2Hits != keyCount { // the warm-up reads only
			b.Fatalf("%s: %d reads went to Valkey, want %d: not an L1 hit benchmark", c.Namespace(), s.L2Hits, keyCount)
		}
	}
}
