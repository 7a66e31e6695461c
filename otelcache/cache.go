package otelcache

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// cacheObserver reports one cache. Every attribute set is built once here,
// so that neither a collection nor a load builds one.
type cacheObserver struct {
	o     *Observer
	info  valcache.CacheInfo
	ns    attribute.KeyValue
	reg   metric.Registration
	near  bool                   // a two-level provider: hits by level l1 and l2
	circ  driver.CircuitReporter // nil without a breaker
	attrs observedAttrs
	// loadDone's histogram options by outcome.
	loadOK, loadNotFound, loadFailed []metric.RecordOption
	callOpts                         map[valcache.Op][]trace.SpanStartOption
	callNames                        map[valcache.Op]string
}

type observedAttrs struct {
	ns, store, l1, l2, process, fleet, revalidate, onError, tag, clear, load, storeErr, decode metric.ObserveOption
}

// Observe implements valcache.Observer: it registers the cache's counters
// with the meter until the cache is closed.
func (o *Observer) Observe(info valcache.CacheInfo) valcache.CacheObserver {
	c := &cacheObserver{o: o, info: info, ns: attribute.String(AttrNamespace, info.Namespace)}
	_, c.near = info.Provider.(driver.NearCache)
	c.circ, _ = info.Provider.(driver.CircuitReporter)
	with := func(k, v string) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(c.ns, attribute.String(k, v)))
	}
	c.attrs = observedAttrs{
		ns:    metric.WithAttributeSet(attribute.NewSet(c.ns)),
		store: with(AttrLevel, "store"), l1: with(AttrLevel, "l1"), l2: with(AttrLevel, "l2"),
		process: with(AttrScope, "process"), fleet: with(AttrScope, "fleet"),
		revalidate: with(AttrStaleReason, "revalidate"), onError: with(AttrStaleReason, "error"),
		tag: with(AttrInvalidation, "tag"), clear: with(AttrInvalidation, "clear"),
		load: with(AttrErrorType, "load"), storeErr: with(AttrErrorType, "store"), decode: with(AttrErrorType, "decode"),
	}
	outcome := func(v string) []metric.RecordOption {
		return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(c.ns, attribute.String(AttrOutcome, v)))}
	}
	c.loadOK, c.loadNotFound, c.loadFailed = outcome("ok"), outcome("not_found"), outcome("error")
	c.callOpts, c.callNames = map[valcache.Op][]trace.SpanStartOption{}, map[valcache.Op]string{}
	for _, op := range []valcache.Op{valcache.OpGet, valcache.OpGetMany, valcache.OpSet, valcache.OpSetMany, valcache.OpSetLoaded,
		valcache.OpDelete, valcache.OpDeleteMany, valcache.OpClear, valcache.OpInvalidate, valcache.OpStamp,
		valcache.OpAcquireLoad, valcache.OpWaitLoad} {
		c.callNames[op] = "valcache.store." + string(op)
		c.callOpts[op] = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(c.ns, attribute.String(AttrOperation, string(op)))}
	}
	in := &o.inst
	observables := []metric.Observable{in.hits, in.misses, in.loads, in.waiters, in.stale, in.refreshes, in.invalidations, in.errors}
	if c.circ != nil {
		observables = append(observables, in.circuit)
	}
	reg, err := o.meter.RegisterCallback(c.collect, observables...)
	if err != nil {
		otel.Handle(err) // the cache works unobserved rather than not at all
	} else {
		c.reg = reg
	}
	return c
}

// collect reports the cache's counters.
func (c *cacheObserver) collect(_ context.Context, ob metric.Observer) error {
	s := c.info.Stats()
	in, a := &c.o.inst, &c.attrs
	n := func(v uint64) int64 { return int64(min(v, 1<<63-1)) }
	if c.near {
		ob.ObserveInt64(in.hits, n(s.L1Hits), a.l1)
		ob.ObserveInt64(in.hits, n(s.L2Hits), a.l2)
	} else {
		ob.ObserveInt64(in.hits, n(s.Hits), a.store)
	}
	ob.ObserveInt64(in.misses, n(s.Misses), a.ns)
	ob.ObserveInt64(in.loads, n(s.Loads), a.ns)
	ob.ObserveInt64(in.waiters, n(s.Waiters), a.process)
	ob.ObserveInt64(in.waiters, n(s.FleetWaits), a.fleet)
	ob.ObserveInt64(in.stale, n(s.StaleServes-s.StaleIfError), a.revalidate)
	ob.ObserveInt64(in.stale, n(s.StaleIfError), a.onError)
	ob.ObserveInt64(in.refreshes, n(s.Refreshes), a.ns)
	ob.ObserveInt64(in.invalidations, n(s.InvalidatedTags), a.tag)
	ob.ObserveInt64(in.invalidations, n(s.Clears), a.clear)
	ob.ObserveInt64(in.errors, n(s.LoadErrors), a.load)
	ob.ObserveInt64(in.errors, n(s.StoreErrors), a.storeErr)
	ob.ObserveInt64(in.errors, n(s.DecodeErrors), a.decode)
	if c.circ != nil {
		ob.ObserveInt64(in.circuit, circuitValue(c.circ.CircuitState()), a.ns)
	}
	return nil
}

// circuitValue is the gauge's number for a breaker state.
func circuitValue(state string) int64 {
	switch state {
	case driver.CircuitOpen:
		return 1
	case driver.CircuitHalfOpen:
		return 2
	}
	return 0
}

// Close stops reporting the cache's counters; the cache calls it from its
// own Close.
func (c *cacheObserver) Close() {
	if c.reg != nil {
		if err := c.reg.Unregister(); err != nil {
			otel.Handle(err)
		}
	}
}

// LoadStart starts the span valcache.load, the loader's parent.
func (c *cacheObserver) LoadStart(ctx context.Context, l valcache.Load) context.Context {
	ctx, _ = c.o.tracer.Start(ctx, "valcache.load", trace.WithAttributes(c.ns,
		attribute.Int(AttrLoadKeys, l.Keys), attribute.Bool(AttrLoadRefresh, l.Refresh)))
	return ctx
}

// LoadDone records the load's duration and ends its span. A key the
// source does not have is an outcome, not an error.
func (c *cacheObserver) LoadDone(ctx context.Context, l valcache.Load, took time.Duration, err error) {
	span := trace.SpanFromContext(ctx)
	opts := c.loadOK
	switch {
	case errors.Is(err, valcache.ErrNotFound):
		opts = c.loadNotFound
		span.SetAttributes(attribute.String(AttrOutcome, "not_found"))
	case err != nil:
		opts = c.loadFailed
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	c.o.inst.loadDuration.Record(ctx, took.Seconds(), opts...)
	span.End()
}

// CallStart starts the span valcache.store.<op>.
func (c *cacheObserver) CallStart(ctx context.Context, op valcache.Op) context.Context {
	name, ok := c.callNames[op]
	opts := c.callOpts[op]
	if !ok { // an operation added to valcache since this was built
		name = "valcache.store." + string(op)
		opts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(c.ns, attribute.String(AttrOperation, string(op)))}
	}
	ctx, _ = c.o.tracer.Start(ctx, name, opts...)
	return ctx
}

// CallDone ends the call's span.
func (c *cacheObserver) CallDone(ctx context.Context, _ valcache.Op, err error) {
	span := trace.SpanFromContext(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
