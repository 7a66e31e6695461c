package valcache

import (
	"context"
	"errors"
	"time"

	"github.com/valcache/valcache/driver"
)

// Observer connects caches to a metrics and tracing system (package
// otelcache is one) without this package depending on any.
//
// Counts are not pushed through it: every cache keeps them anyway, in
// atomics, for Stats, so an observer reads CacheInfo.Stats when it is
// collected. A hit therefore costs the same with an observer as without.
// What Stats cannot carry goes through the CacheObserver: the duration of
// each load, and the start and end of loads and of the calls to a remote
// store that Op names, so that they can be traced. An in-process hit never
// reaches it.
type Observer interface {
	// Observe is called once by New for each cache. A nil result observes
	// nothing of that cache. If the result implements interface{ Close() },
	// the cache's Close calls it.
	Observe(info CacheInfo) CacheObserver
}

// CacheInfo describes a cache to an Observer.
type CacheInfo struct {
	// Namespace is the cache's namespace.
	Namespace string
	// Provider is the cache's provider, for optional capabilities an
	// observer reports on (such as driver.CircuitReporter).
	Provider driver.Provider
	// Stats returns the cache's counters; it is safe for concurrent use.
	Stats func() Stats
}

// CacheObserver is told of one cache's loads and remote calls. Its methods
// run on the caller's goroutine and must be safe for concurrent use.
type CacheObserver interface {
	// LoadStart is called before a loader runs; the context it returns is
	// the one the loader and LoadDone get, so a span started here is the
	// loader's parent.
	LoadStart(ctx context.Context, l Load) context.Context
	// LoadDone is called when the loader returned, with how long it ran
	// and its error (ErrNotFound when the source has no such key).
	LoadDone(ctx context.Context, l Load, took time.Duration, err error)

	// CallStart is called before each call to a remote store of a kind that
	// Op names (never for a provider that keeps values in process); op
	// names it. Not every call is reported: see Op for those that are not.
	CallStart(ctx context.Context, op Op) context.Context
	// CallDone is called when the call returned, with its error.
	CallDone(ctx context.Context, op Op, err error)
}

// Load describes a loader run to a CacheObserver.
type Load struct {
	// Keys is how many keys the loader was given: 1 for Loader, the
	// batch's size for BulkLoader.
	Keys int
	// Refresh marks a background reload of an entry still being served
	// (Options.RefreshAfter or StaleWhileRevalidate).
	Refresh bool
}

// Op names a call to a remote store for a CacheObserver.
//
// Only the calls named below are reported. A cache makes others that no
// CacheObserver sees: the reads and compare-and-swaps of Compute (and of
// Expire and the other computes), Purge's scans and deletes, the election
// of a background refresh's loader (driver.RefreshLocker), the release of a
// load lease, and the reads and conditional deletes a load makes to check
// that no writer came first.
type Op string

// The calls to a remote store that a CacheObserver is told of.
const (
	OpGet         Op = "get"          // read one entry (with its versions)
	OpGetMany     Op = "get_many"     // read many entries
	OpSet         Op = "set"          // write one entry
	OpSetMany     Op = "set_many"     // write many entries
	OpSetLoaded   Op = "set_loaded"   // write a loaded value
	OpDelete      Op = "delete"       // remove one entry
	OpDeleteMany  Op = "delete_many"  // remove many entries
	OpClear       Op = "clear"        // clear the namespace
	OpInvalidate  Op = "invalidate"   // bump tag versions
	OpStamp       Op = "stamp"        // read (and create) tag versions
	OpAcquireLoad Op = "acquire_load" // ask to be the fleet's loader of a key
	OpWaitLoad    Op = "wait_load"    // wait for another process's load
)

// The hooks below keep the observer's cost on the paths that call it to a
// nil check when there is none.

// loadStart tells the observer a loader starts, and returns the context
// the loader runs with and the start time.
func (c *Cache[K, V]) loadStart(ctx context.Context, l Load) (context.Context, time.Time) {
	c.stats.loads.Add(1)
	if c.obs == nil {
		return ctx, time.Time{}
	}
	return c.obs.LoadStart(ctx, l), time.Now()
}

// loadDone counts a loader's failure and tells the observer it returned.
func (c *Cache[K, V]) loadDone(ctx context.Context, l Load, start time.Time, err error) {
	if err != nil && !errors.Is(err, ErrNotFound) {
		c.stats.loadErrors.Add(1)
	}
	if c.obs != nil {
		c.obs.LoadDone(ctx, l, time.Since(start), err)
	}
}

// callStart tells the observer a remote call starts.
func (c *Cache[K, V]) callStart(ctx context.Context, op Op) context.Context {
	if c.obs == nil || c.values != nil {
		return ctx
	}
	return c.obs.CallStart(ctx, op)
}

// callDone counts a failed call to the store and tells the observer the
// call returned. A caller that gave up is not the store's failure. A step
// of a cache call that carries its call (withCall) is counted only if it
// is the call's first failure: a cache call counts one store error however
// many of its steps fail.
func (c *Cache[K, V]) callDone(ctx context.Context, op Op, err error) {
	if storeFailure(err) {
		if cl := callOf(ctx); cl == nil || cl.failed(err) {
			c.stats.storeErrors.Add(1)
		}
	}
	if c.obs == nil || c.values != nil {
		return
	}
	c.obs.CallDone(ctx, op, err)
}

// storeFailure reports whether err, returned by a call to the store, says
// the store failed, rather than that the caller gave up, the cache was
// closed, or another process's load failed.
func storeFailure(err error) bool {
	return err != nil && failedStore(err)
}

// failedStore is storeFailure for an error; apart, so that a call that
// succeeded costs no allocation for errors.As's target. A deadline error is
// the store's only when it is marked unavailable (the provider's own
// timeout, or the end of the call's budget); otherwise it is the caller's.
func failedStore(err error) bool {
	var lf *driver.LoadFailedError
	switch {
	case errors.Is(err, ErrClosed), errors.As(err, &lf):
		return false
	case errors.Is(err, ErrUnavailable):
		return true
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}
