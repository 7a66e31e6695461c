package httpcache

import (
	"context"
	"testing"

	"github.com/valcache/valcache/otelcache"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestStatsAndOpenTelemetry checks the counters of Stats and that the
// cache's observer reports the two caches beneath to OpenTelemetry: stored
// responses' hits, and origin requests as loads, with a span each.
func TestStatsAndOpenTelemetry(t *testing.T) {
	forEachProvider(t, func(t *testing.T, k providerKind) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		spans := tracetest.NewSpanRecorder()
		tp := trace.NewTracerProvider(trace.WithSpanProcessor(spans))
		t.Cleanup(func() {
			_ = mp.Shutdown(context.Background())
			_ = tp.Shutdown(context.Background())
		})
		obs, err := otelcache.New(otelcache.Config{MeterProvider: mp, TracerProvider: tp})
		if err != nil {
			t.Fatal(err)
		}
		o := newOrigin(t, newClock(), fixed(200, "x", "Cache-Control", "max-age=60"))
		ns := uniqueNamespace(t)
		f := newFront(t, k.open(t), o, Config{Namespace: ns, Observer: obs})
		f.fetch("/o")
		f.fetch("/o")
		f.fetch("/o")
		f.do("POST", "/o")
		st := f.cache.Stats()
		if st.Requests != 4 || st.Hits != 2 || st.Misses != 1 || st.Stored != 1 || st.OriginRequests != 2 || st.Invalidations != 1 {
			t.Fatalf("Stats: %+v", st)
		}
		if st.Flights.Loads != 1 || st.Responses.Hits < 2 {
			t.Fatalf("the caches beneath: responses %+v, flights %+v", st.Responses, st.Flights)
		}
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if s, ok := m.Data.(metricdata.Sum[int64]); ok {
					for _, p := range s.DataPoints {
						if v, ok := p.Attributes.Value(otelcache.AttrNamespace); ok && p.Value > 0 {
							seen[m.Name+" "+v.AsString()] = true
						}
					}
				}
			}
		}
		for _, want := range []string{"valcache.hits " + ns, "valcache.loads " + ns + ":flight"} {
			if !seen[want] {
				t.Fatalf("no %s in the metrics; have %v", want, seen)
			}
		}
		if len(spans.Ended()) == 0 {
			t.Fatal("no span for the origin request")
		}
	})
}
