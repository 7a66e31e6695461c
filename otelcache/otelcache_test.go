package otelcache_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/testserver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/otelcache"
	"github.com/valcache/valcache/twolevel"
	"github.com/valcache/valcache/valkeystore"
)

var servers testserver.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	servers.Stop()
	os.Exit(code)
}

// telemetry is an in-memory meter and tracer provider with an observer
// reporting to them.
type telemetry struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	obs    *otelcache.Observer
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	tel := &telemetry{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tel.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tel.tp.Shutdown(context.Background())
	})
	obs, err := otelcache.New(otelcache.Config{MeterProvider: mp, TracerProvider: tel.tp})
	if err != nil {
		t.Fatal(err)
	}
	tel.obs = obs
	return tel
}

func (tel *telemetry) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

func find(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelcache.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

func attrs(ns string, kv ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append(kv, attribute.String(otelcache.AttrNamespace, ns))...)
}

// counter returns the value of the data point of metric name with exactly
// the attributes given, failing if there is none.
func counter(t *testing.T, rm metricdata.ResourceMetrics, name string, want attribute.Set) int64 {
	t.Helper()
	m, ok := find(rm, name)
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	var points []metricdata.DataPoint[int64]
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
			t.Fatalf("%s: not a cumulative monotonic sum", name)
		}
		points = d.DataPoints
	case metricdata.Gauge[int64]:
		points = d.DataPoints
	default:
		t.Fatalf("%s: data %T", name, m.Data)
	}
	for _, p := range points {
		if p.Attributes.Equals(&want) {
			return p.Value
		}
	}
	t.Fatalf("%s: no data point with %v", name, want.Encoded(attribute.DefaultEncoder()))
	return 0
}

// hasPointFor reports whether metric name has a data point for namespace ns.
func hasPointFor(rm metricdata.ResourceMetrics, name, ns string) bool {
	m, ok := find(rm, name)
	if !ok {
		return false
	}
	has := func(s attribute.Set) bool {
		v, ok := s.Value(otelcache.AttrNamespace)
		return ok && v.AsString() == ns
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if has(p.Attributes) {
				return true
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if has(p.Attributes) {
				return true
			}
		}
	}
	return false
}

// loadCount is how many loads of namespace ns with outcome the duration
// histogram holds, checking that their durations add up to something.
func loadCount(t *testing.T, rm metricdata.ResourceMetrics, ns, outcome string) uint64 {
	t.Helper()
	m, ok := find(rm, "valcache.load.duration")
	if !ok {
		t.Fatal("no metric valcache.load.duration")
	}
	if m.Unit != "s" {
		t.Fatalf("load duration unit %q", m.Unit)
	}
	want := attrs(ns, attribute.String(otelcache.AttrOutcome, outcome))
	for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		if p.Attributes.Equals(&want) {
			if p.Count > 0 && p.Sum <= 0 {
				t.Fatalf("%d loads took %v s in all", p.Count, p.Sum)
			}
			return p.Count
		}
	}
	return 0
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func newMemoryProvider(t *testing.T) *memory.Provider {
	t.Helper()
	p, err := memory.New(memory.Config{MaxEntries: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestInProcessMetricsAndSpans(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so run last
	ctx := context.Background()
	tel := newTelemetry(t)
	p := newMemoryProvider(t)
	c, err := valcache.New(p, valcache.Options[string, int]{Namespace: "ns", Observer: tel.obs})
	if err != nil {
		t.Fatal(err)
	}
	other, err := valcache.New(p, valcache.Options[string, int]{Namespace: "other", Observer: tel.obs})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	for _, cc := range []*valcache.Cache[string, int]{c, other} {
		if err := cc.Set(ctx, "a", 1); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, ok, err := c.GetIfPresent(ctx, "a"); !ok || err != nil {
			t.Fatal("miss", err)
		}
	}
	loader := func(_ context.Context, k string) (int, error) {
		if k == "bad" {
			return 0, errors.New("source down")
		}
		time.Sleep(time.Millisecond)
		return len(k), nil
	}
	if _, err := c.Get(ctx, "a", loader); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := other.GetIfPresent(ctx, "a"); !ok {
		t.Fatal("other: miss")
	}
	if n := len(tel.spans.Ended()); n != 0 {
		t.Fatalf("%d spans after in-process hits and sets, want none", n)
	}
	// Two misses with loads (one failing) and one without.
	if _, ok, _ := c.GetIfPresent(ctx, "x"); ok {
		t.Fatal("x: hit")
	}
	if _, err := c.Get(ctx, "yy", loader); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "bad", loader); err == nil {
		t.Fatal("bad: no error")
	}
	if err := c.InvalidateTags(ctx, "t1", "t2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}

	rm := tel.collect(t)
	kv := attribute.String
	checks := []struct {
		name string
		set  attribute.Set
		want int64
	}{
		{"valcache.hits", attrs("ns", kv(otelcache.AttrLevel, "store")), 3},
		{"valcache.hits", attrs("other", kv(otelcache.AttrLevel, "store")), 1},
		{"valcache.misses", attrs("ns"), 3},
		{"valcache.misses", attrs("other"), 0},
		{"valcache.loads", attrs("ns"), 2},
		{"valcache.errors", attrs("ns", kv(otelcache.AttrErrorType, "load")), 1},
		{"valcache.errors", attrs("ns", kv(otelcache.AttrErrorType, "store")), 0},
		{"valcache.errors", attrs("ns", kv(otelcache.AttrErrorType, "decode")), 0},
		{"valcache.invalidations", attrs("ns", kv(otelcache.AttrInvalidation, "tag")), 2},
		{"valcache.invalidations", attrs("ns", kv(otelcache.AttrInvalidation, "clear")), 1},
		{"valcache.stampede.waiters", attrs("ns", kv(otelcache.AttrScope, "process")), 0},
		{"valcache.stale_serves", attrs("ns", kv(otelcache.AttrStaleReason, "revalidate")), 0},
		{"valcache.refreshes", attrs("ns"), 0},
	}
	for _, ch := range checks {
		if got := counter(t, rm, ch.name, ch.set); got != ch.want {
			t.Errorf("%s %v = %d, want %d", ch.name, ch.set.Encoded(attribute.DefaultEncoder()), got, ch.want)
		}
	}
	if ok, failed := loadCount(t, rm, "ns", "ok"), loadCount(t, rm, "ns", "error"); ok != 1 || failed != 1 {
		t.Errorf("load durations: %d ok and %d failed, want 1 and 1", ok, failed)
	}
	if hasPointFor(rm, "valcache.circuit.state", "ns") {
		t.Error("a circuit state for a provider without a breaker")
	}

	spans := tel.spans.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the two loads'", len(spans))
	}
	for i, s := range spans {
		if s.Name() != "valcache.load" {
			t.Errorf("span %q, want valcache.load", s.Name())
		}
		if v, _ := spanAttr(s, otelcache.AttrNamespace); v.AsString() != "ns" {
			t.Errorf("span namespace %q", v.AsString())
		}
		if v, _ := spanAttr(s, otelcache.AttrLoadKeys); v.AsInt64() != 1 {
			t.Errorf("span keys %d", v.AsInt64())
		}
		wantStatus := []codes.Code{codes.Unset, codes.Error}[i]
		if s.Status().Code != wantStatus {
			t.Errorf("load %d: status %v, want %v", i, s.Status().Code, wantStatus)
		}
	}

	// A closed cache is no longer reported.
	_ = c.Close()
	rm = tel.collect(t)
	if hasPointFor(rm, "valcache.hits", "ns") {
		t.Error("a closed cache still reported")
	}
	if !hasPointFor(rm, "valcache.hits", "other") {
		t.Error("the other cache no longer reported")
	}
}

// breakerProvider is an in-process provider that says its circuit is open.
type breakerProvider struct{ *memory.Provider }

func (breakerProvider) CircuitState() string { return driver.CircuitOpen }

func TestCircuitStateGauge(t *testing.T) {
	tel := newTelemetry(t)
	c, err := valcache.New[string, int](breakerProvider{newMemoryProvider(t)}, valcache.Options[string, int]{Namespace: "cb", Observer: tel.obs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := counter(t, tel.collect(t), "valcache.circuit.state", attrs("cb")); got != 1 {
		t.Fatalf("circuit state %d, want 1 (open)", got)
	}
}

func newTwoLevel(t *testing.T) *twolevel.Provider {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l2, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}, TrackAllReads: true, KeyPrefix: "otel:" + t.Name() + ":"})
	if err != nil {
		t.Fatal(err)
	}
	l1, err := memory.New(memory.Config{MaxEntries: 1000})
	if err != nil {
		l2.Close()
		t.Fatal(err)
	}
	p, err := twolevel.New(l1, l2, twolevel.Config{})
	if err != nil {
		l1.Close()
		l2.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestTwoLevelMetricsAndSpans(t *testing.T) {
	ctx := context.Background()
	tel := newTelemetry(t)
	p := newTwoLevel(t)
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "tl", Observer: tel.obs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if err := c.Set(ctx, "a", "A"); err != nil {
		t.Fatal(err)
	}
	before := len(tel.spans.Ended())
	if before == 0 {
		t.Fatal("no span for a write to Valkey")
	}
	// The first read goes to Valkey and keeps a copy; the next two are
	// answered by the copy, without a call and without a span.
	for range 3 {
		if v, ok, err := c.GetIfPresent(ctx, "a"); v != "A" || !ok || err != nil {
			t.Fatalf("GetIfPresent = %q, %v, %v", v, ok, err)
		}
	}
	reads := tel.spans.Ended()[before:]
	if len(reads) != 1 || reads[0].Name() != "valcache.store.get" || reads[0].SpanKind() != trace.SpanKindClient {
		names := []string{}
		for _, s := range reads {
			names = append(names, s.Name())
		}
		t.Fatalf("spans of three reads: %q, want one valcache.store.get", names)
	}
	if s := c.Stats(); s.L1Hits != 2 || s.L2Hits != 1 || s.Hits != 3 {
		t.Fatalf("Stats %+v, want 2 L1 hits and 1 L2 hit", s)
	}

	// A miss under a request's span: the load and its calls are its children.
	rctx, root := tel.tp.Tracer("test").Start(ctx, "request")
	if v, err := c.Get(rctx, "b", func(context.Context, string) (string, error) { return "B", nil }); v != "B" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	root.End()
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range tel.spans.Ended() {
		if s.SpanContext().TraceID() == root.SpanContext().TraceID() {
			byName[s.Name()] = s
		}
	}
	for _, name := range []string{"valcache.store.get", "valcache.store.acquire_load", "valcache.load", "valcache.store.set_loaded"} {
		s, ok := byName[name]
		if !ok {
			t.Errorf("no span %s in the request's trace (have %d spans)", name, len(byName))
			continue
		}
		if s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("%s: parent %v, want the request", name, s.Parent().SpanID())
		}
		if v, _ := spanAttr(s, otelcache.AttrNamespace); v.AsString() != "tl" {
			t.Errorf("%s: namespace %q", name, v.AsString())
		}
		if s.Status().Code == codes.Error {
			t.Errorf("%s: error status %q", name, s.Status().Description)
		}
	}
	if s := byName["valcache.store.acquire_load"]; s != nil {
		if v, _ := spanAttr(s, otelcache.AttrOperation); v.AsString() != "acquire_load" {
			t.Errorf("acquire_load span operation %q", v.AsString())
		}
	}

	rm := tel.collect(t)
	kv := attribute.String
	checks := []struct {
		name string
		set  attribute.Set
		want int64
	}{
		{"valcache.hits", attrs("tl", kv(otelcache.AttrLevel, "l1")), 2},
		{"valcache.hits", attrs("tl", kv(otelcache.AttrLevel, "l2")), 1},
		{"valcache.misses", attrs("tl"), 1},
		{"valcache.loads", attrs("tl"), 1},
		{"valcache.errors", attrs("tl", kv(otelcache.AttrErrorType, "store")), 0},
		{"valcache.circuit.state", attrs("tl"), 0},
	}
	for _, ch := range checks {
		if got := counter(t, rm, ch.name, ch.set); got != ch.want {
			t.Errorf("%s %v = %d, want %d", ch.name, ch.set.Encoded(attribute.DefaultEncoder()), got, ch.want)
		}
	}
	if n := loadCount(t, rm, "tl", "ok"); n != 1 {
		t.Errorf("%d loads in the duration histogram, want 1", n)
	}
}

func TestValkeyReadsAreRemoteCalls(t *testing.T) {
	ctx := context.Background()
	tel := newTelemetry(t)
	p, err := valkeystore.New(ctx, valkeystore.Config{Addrs: []string{servers.Valkey(t).Addr()}, KeyPrefix: "otel:" + t.Name() + ":"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := valcache.New(p, valcache.Options[string, string]{Namespace: "vk", Observer: tel.obs})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "a", "A"); err != nil {
		t.Fatal(err)
	}
	before := len(tel.spans.Ended())
	for _, k := range []string{"a", "a", "x"} {
		_, _, _ = c.GetIfPresent(ctx, k)
	}
	gets := 0
	for _, s := range tel.spans.Ended()[before:] {
		if s.Name() == "valcache.store.get" {
			gets++
		}
	}
	if gets != 3 {
		t.Fatalf("%d valcache.store.get spans for three reads of Valkey, want 3", gets)
	}
	rm := tel.collect(t)
	if got := counter(t, rm, "valcache.hits", attrs("vk", attribute.String(otelcache.AttrLevel, "store"))); got != 2 {
		t.Errorf("hits %d, want 2", got)
	}
	if got := counter(t, rm, "valcache.misses", attrs("vk")); got != 1 {
		t.Errorf("misses %d, want 1", got)
	}
	if hasPointFor(rm, "valcache.circuit.state", "vk") {
		t.Error("a circuit state for a provider without a breaker")
	}
}
