// Package otelcache reports valcache caches to OpenTelemetry: their counters
// as metrics, and their loads and calls to a remote store as spans, each
// with the cache's namespace as the attribute valcache.namespace.
//
//	obs, err := otelcache.New(otelcache.Config{}) // the global providers
//	users, err := valcache.New(p, valcache.Options[int, User]{Namespace: "users", Observer: obs})
//
// Counters are observable instruments read from Cache.Stats when the
// meter provider collects, so a hit costs the same with this package as
// without it. See docs/observability.md for every name, unit and
// attribute.
package otelcache

import (
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/valcache/valcache/otelcache"

// Attribute keys.
const (
	AttrNamespace    = "valcache.namespace"     // the cache's namespace, on every metric and span
	AttrLevel        = "valcache.level"         // where a hit was answered: store, l1 or l2
	AttrOutcome      = "valcache.load.outcome"  // ok, not_found or error
	AttrLoadKeys     = "valcache.load.keys"     // keys given to the loader (spans)
	AttrLoadRefresh  = "valcache.load.refresh"  // a background reload (spans)
	AttrOperation    = "valcache.operation"     // a remote call's valcache.Op (spans)
	AttrScope        = "valcache.wait.scope"    // process or fleet
	AttrStaleReason  = "valcache.stale.reason"  // revalidate or error
	AttrInvalidation = "valcache.invalidation"  // tag or clear
	AttrErrorType    = "valcache.error.type"    // load, store or decode
	AttrCircuit      = "valcache.circuit.state" // closed, open or half-open (on the gauge)
)

// Config says where to report. The zero value reports to the global
// providers (otel.GetMeterProvider, otel.GetTracerProvider), which do
// nothing until an SDK is installed.
type Config struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Observer is a valcache.Observer. One serves any number of caches; give
// it to each in valcache.Options.Observer.
type Observer struct {
	meter  metric.Meter
	tracer trace.Tracer
	inst   instruments
}

// instruments are created once per Observer and shared by its caches.
type instruments struct {
	hits, misses, loads, waiters, stale, refreshes, invalidations, errors metric.Int64ObservableCounter
	circuit                                                               metric.Int64ObservableGauge
	loadDuration                                                          metric.Float64Histogram
}

// New creates the instruments on cfg's meter provider.
func New(cfg Config) (*Observer, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &Observer{meter: mp.Meter(ScopeName), tracer: tp.Tracer(ScopeName)}
	m := o.meter
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	o.inst.hits = counter("valcache.hits", "{hit}", "Reads answered from the cache without a loader.")
	o.inst.misses = counter("valcache.misses", "{miss}", "Reads the cache could not answer.")
	o.inst.loads = counter("valcache.loads", "{load}", "Loader runs, refreshes included.")
	o.inst.waiters = counter("valcache.stampede.waiters", "{waiter}", "Reads that waited for a load another caller or process ran.")
	o.inst.stale = counter("valcache.stale_serves", "{serve}", "Values served past their TTL.")
	o.inst.refreshes = counter("valcache.refreshes", "{refresh}", "Background reloads started.")
	o.inst.invalidations = counter("valcache.invalidations", "{invalidation}", "Tags invalidated and namespaces cleared.")
	o.inst.errors = counter("valcache.errors", "{error}", "Failed loads, failed calls to the store, and unreadable entries.")
	var err error
	o.inst.circuit, err = m.Int64ObservableGauge("valcache.circuit.state", metric.WithUnit("1"),
		metric.WithDescription("Circuit breaker in front of the shared store: 0 closed, 1 open, 2 half-open."))
	errs = append(errs, err)
	o.inst.loadDuration, err = m.Float64Histogram("valcache.load.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a loader ran."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}
