package valcache

import (
	"fmt"
	"log/slog"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/flight"
	"github.com/valcache/valcache/internal/warnlimit"
)

// Cache is a typed view of one namespace of a provider. It is safe for
// concurrent use. Many caches may share one provider; closing a cache does
// not close its provider, which belongs to whoever created it.
type Cache[K comparable, V any] struct {
	ns       string
	provider driver.Provider
	// Optional capabilities, found once in New; nil when the provider lacks them.
	values   driver.ValueStore
	near     driver.NearCache // a two-level provider's in-process copies
	batchGet driver.BatchGetter
	batchSet driver.BatchSetter
	batchDel driver.BatchDeleter
	// versioner enables tags and O(1) Clear; cells, when the provider keeps
	// them, make checking a stamp on a hit a few atomic loads.
	locker    driver.LoadLocker // one loader per key across processes, if the provider can
	versioner driver.Versioner
	cells     driver.VersionCells
	// groups, when the provider keeps a copy of each version per group of
	// entries, says which; followed answers the versions of an entry just
	// read without a call, when the provider follows them in process.
	groups   driver.VersionGroups
	followed driver.FollowedVersions
	nsKeys   [][]driver.VersionKey // per group, the namespace's own version key, ready to pass
	nsStamp  nsStamp

	key    keyEncoder[K]
	keyDec keyDecoder[K]
	// stringKeys marks K of kind string, whose keys are used as they are
	// without a call through key; it is the common case on the hot path.
	stringKeys bool
	codec      codec.Codec
	pipe       *pipeline // never nil: it also reads entries transformed elsewhere
	ttl        ttlPolicy
	weigh      func(K, V) uint32
	clone      func(V) V // nil: values are shared with a provider that keeps Go values
	log        *slog.Logger
	storeWarns warnlimit.Limit               // spaces warnings about store failures
	obs        CacheObserver                 // nil unless Options.Observer observes this cache
	hooks      atomic.Pointer[[]*hookReg[V]] // nil until OnWrite attaches one
	closed     atomic.Bool
	stats      counters
	bufs       bufferPool
	// flights runs one load per key at a time; loadTimeout bounds each.
	flights *flight.Group[K, V]
	// refreshes run background reloads apart from flights, so that a caller
	// who needs a value never joins a refresh that may decide to do nothing.
	refreshes   *flight.Group[K, V]
	loadTimeout time.Duration
	// computeTimeout bounds a compute's retries after lost races when its
	// context has no deadline; maxComputeRetries, when positive, also bounds
	// their number.
	computeTimeout time.Duration
	// budgets bound each call's time on the store (driver.Budgeter); zero
	// when the provider has none.
	budgets           budgets
	maxComputeRetries int
	// Reading past an entry's TTL; see Options.
	negativeTTL, swr, sie time.Duration
	refreshAfter          float64
}

// entry is what a ValueStore holds for a cache: the typed value as it is, so a
// hit needs no decoding. Metadata that bytes carry in the envelope go here.
//
// The small fields come first so that a hit's checks read the same cache
// line as the entry's header, whatever the size of V.
type entry[V any] struct {
	stamp *Stamp // nil when the provider keeps no versions
	meta  *meta  // nil unless the cache keeps times or caches absence
	value V
}

// newEntry builds an entry, keeping metadata only when there is some.
func newEntry[V any](v V, st *Stamp, m meta) *entry[V] {
	e := &entry[V]{value: v, stamp: st}
	if m != (meta{}) {
		e.meta = &m
	}
	return e
}

// metaOf is an entry's metadata, zero when it keeps none.
func (e *entry[V]) metaOf() meta {
	if e.meta == nil {
		return meta{}
	}
	return *e.meta
}

// New returns a cache over provider configured by opts.
func New[K comparable, V any](provider driver.Provider, opts Options[K, V]) (*Cache[K, V], error) {
	if provider == nil {
		return nil, ErrNilProvider
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	key, err := newKeyEncoder(opts.KeyCodec)
	if err != nil {
		return nil, err
	}
	pipe, err := newPipeline(opts.Transformers, nil)
	if err != nil {
		return nil, err
	}
	if _, values := provider.(driver.ValueStore); values && len(opts.Transformers) > 0 {
		return nil, fmt.Errorf("%w: %T keeps Go values", ErrTransformersNeedBytes, provider)
	}
	c := &Cache[K, V]{
		ns:        opts.Namespace,
		provider:  provider,
		key:       key,
		keyDec:    newKeyDecoder(opts.KeyCodec),
		codec:     opts.Codec,
		pipe:      pipe,
		ttl:       ttlPolicy{def: opts.TTL, jitter: opts.Jitter},
		weigh:     opts.Weigher,
		log:       opts.Logger,
		clone:     cloner[V](),
		flights:   flight.New[K, V](),
		refreshes: flight.New[K, V](),
	}
	c.loadTimeout = opts.LoadTimeout
	if c.loadTimeout == 0 {
		c.loadTimeout = DefaultLoadTimeout
	}
	c.negativeTTL, c.swr, c.sie, c.refreshAfter = opts.NegativeTTL, opts.StaleWhileRevalidate, opts.StaleIfError, opts.RefreshAfter
	c.maxComputeRetries = opts.MaxComputeRetries
	c.computeTimeout = DefaultComputeTimeout
	c.stringKeys = opts.KeyCodec == nil && reflect.TypeFor[K]().Kind() == reflect.String
	if c.ns == "" {
		c.ns = DefaultNamespace
	}
	if c.codec == nil {
		c.codec = codec.Default[V]()
	}
	if c.ttl.def == 0 {
		c.ttl.def = DefaultTTL
		if d, ok := provider.(driver.DefaultTTLer); ok {
			if ttl := d.DefaultTTL(); driver.ValidTTL(ttl) {
				c.ttl.def = ttl
			} else if ttl != 0 {
				return nil, fmt.Errorf("%w: provider default TTL %v", ErrInvalidOptions, ttl)
			}
		}
	}
	if c.weigh == nil {
		c.weigh = defaultWeigher[K, V]()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.values, _ = provider.(driver.ValueStore)
	if c.values == nil {
		c.near, _ = provider.(driver.NearCache)
	}
	c.batchGet, _ = provider.(driver.BatchGetter)
	c.batchSet, _ = provider.(driver.BatchSetter)
	c.batchDel, _ = provider.(driver.BatchDeleter)
	c.versioner, _ = provider.(driver.Versioner)
	c.locker, _ = provider.(driver.LoadLocker)
	c.cells, _ = provider.(driver.VersionCells)
	c.groups, _ = provider.(driver.VersionGroups)
	c.followed, _ = provider.(driver.FollowedVersions)
	if b, ok := provider.(driver.Budgeter); ok {
		c.budgets = b.Budgets()
		if c.budgets.Single < 0 || c.budgets.Bulk < 0 || c.budgets.Flush < 0 {
			return nil, fmt.Errorf("%w: the provider reports negative budgets %+v", ErrInvalidOptions, c.budgets)
		}
		if c.budgets.Single > 0 {
			c.computeTimeout = c.budgets.Single
		}
	}
	groups := 1
	if c.groups != nil {
		if groups = c.groups.VersionGroups(); groups < 1 {
			return nil, fmt.Errorf("%w: the provider reports %d version groups", ErrInvalidOptions, groups)
		}
	}
	c.nsKeys = make([][]driver.VersionKey, groups)
	for g := range c.nsKeys {
		c.nsKeys[g] = []driver.VersionKey{{Namespace: c.ns, Tag: namespaceTag, Group: g}}
	}
	c.nsStamp.current = make([]atomic.Pointer[rememberedStamp], groups)
	c.pipe.bufs = &c.bufs
	if opts.Observer != nil {
		c.obs = opts.Observer.Observe(CacheInfo{Namespace: c.ns, Provider: provider, Stats: c.Stats})
	}
	return c, nil
}

// Namespace returns the namespace this cache reads and writes.
func (c *Cache[K, V]) Namespace() string { return c.ns }

// Close makes further calls on this cache fail with ErrClosed, cancels the
// loads it is running and waits for them. It leaves the provider and the
// stored entries alone.
func (c *Cache[K, V]) Close() error {
	first := !c.closed.Swap(true)
	c.flights.Close()
	c.refreshes.Close()
	if cl, ok := c.obs.(interface{ Close() }); ok && first {
		cl.Close() // after the loads, which may still report to it
	}
	return nil
}

func (c *Cache[K, V]) driverKey(k K) (driver.Key, error) {
	if c.closed.Load() {
		return driver.Key{}, ErrClosed
	}
	if c.stringKeys {
		return driver.Key{Namespace: c.ns, ID: *(*string)(unsafe.Pointer(&k))}, nil
	}
	id, err := c.key(k)
	if err != nil {
		return driver.Key{}, err
	}
	return driver.Key{Namespace: c.ns, ID: id}, nil
}
