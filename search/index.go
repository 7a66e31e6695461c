package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/internal/facade"
	"github.com/valcache/valcache/search/index"
)

// Index searches one cache's values. It is safe for concurrent use.
//
// From New to Close, the index follows every write the cache makes in this
// process: Set, SetMany, Delete, values stored by loaders and refreshes,
// computes. The Index's own write methods are the cache's, with the
// index's errors returned rather than logged.
type Index[K comparable, V any] struct {
	cache    *valcache.Cache[K, V]
	view     facade.View // the cache's provider, key strings and logger
	idx      index.Backend
	fields   fieldSet
	extract  func(V) (Document, error)
	timeout  time.Duration
	detach   func()
	closed   atomic.Bool
	failures atomic.Uint64
}

// New returns the index of c's namespace described by schema, and attaches
// it to c (see Index). Every Index over one namespace, in any process, must
// use the same schema, and one Index per cache is enough: each attached
// Index indexes every write again. The provider must have an
// index.Backend, itself or along its unwrap chain (driver.Find); New
// returns ErrNotSupported otherwise.
func New[K comparable, V any](c *valcache.Cache[K, V], schema Schema[V]) (*Index[K, V], error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil cache", ErrBadSchema)
	}
	view, ok := facade.Of(c)
	if !ok {
		return nil, fmt.Errorf("%w: search: the cache offers no view of its provider", ErrNotSupported)
	}
	idx, ok := driver.Find[index.Backend](view.Provider())
	if !ok {
		return nil, fmt.Errorf("%w: search: provider %T keeps no index", ErrNotSupported, view.Provider())
	}
	fields, extract := schema.Fields, schema.Extract
	if (fields == nil) != (extract == nil) {
		return nil, fmt.Errorf("%w: give Fields and Extract together, or neither (struct tags)", ErrBadSchema)
	}
	if extract == nil {
		var err error
		if fields, extract, err = fromStructTags[V](); err != nil {
			return nil, err
		}
	}
	fs, err := newFieldSet(fields)
	if err != nil {
		return nil, err
	}
	if schema.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout %v", ErrBadSchema, schema.Timeout)
	}
	timeout := schema.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	x := &Index[K, V]{cache: c, view: view, idx: idx, fields: fs, extract: extract, timeout: timeout}
	x.detach = c.OnWrite(follower[K, V]{x})
	return x, nil
}

// Close detaches the index from its cache: later writes, through the cache
// or not, are no longer indexed, and the Index's write methods return
// valcache.ErrClosed. Queries still work, on what the index holds. Close
// leaves the cache and the index's contents alone; it may be called more
// than once.
func (x *Index[K, V]) Close() error {
	if !x.closed.Swap(true) {
		x.detach()
	}
	return nil
}

// Cache returns the cache the index reads values from.
func (x *Index[K, V]) Cache() *valcache.Cache[K, V] { return x.cache }

// Failures counts the index updates that failed, for writes made through
// the Index (which returned the error) or through the cache (which logged
// it to the cache's Logger): an entry not indexed is missed by queries
// until it is written again.
func (x *Index[K, V]) Failures() uint64 { return x.failures.Load() }

var errIndexClosed = fmt.Errorf("%w: search: index closed", valcache.ErrClosed)

// Set stores value under key with the cache's default TTL, and indexes it.
func (x *Index[K, V]) Set(ctx context.Context, key K, value V) error {
	return x.SetWith(ctx, key, value, valcache.SetOptions{})
}

// SetWith stores value like Cache.SetWith, which indexes it, and returns
// the index's error as well. Unlike a write through the cache, a value
// whose document does not fit the schema is refused before anything is
// written. The entry is written first: a query made after SetWith returns
// finds the new value, and one made in between finds the old one or
// nothing.
func (x *Index[K, V]) SetWith(ctx context.Context, key K, value V, o valcache.SetOptions) error {
	if x.closed.Load() {
		return errIndexClosed
	}
	if err := x.fits(value); err != nil {
		return err
	}
	ctx, r := withReport(ctx)
	if err := x.cache.SetWith(ctx, key, value, o); err != nil {
		return err
	}
	if err := r.get(); err != nil {
		return fmt.Errorf("search: the entry was written but not indexed: %w", err)
	}
	return nil
}

// SetMany stores and indexes many values with the cache's default TTL, as
// SetManyWith does.
func (x *Index[K, V]) SetMany(ctx context.Context, values map[K]V) error {
	return x.SetManyWith(ctx, values, valcache.SetOptions{})
}

// SetManyWith stores and indexes many values with one set of options, like
// Cache.SetManyWith. Nothing is written if a value does not fit the schema.
func (x *Index[K, V]) SetManyWith(ctx context.Context, values map[K]V, o valcache.SetOptions) error {
	if x.closed.Load() {
		return errIndexClosed
	}
	for k, v := range values {
		if err := x.fits(v); err != nil {
			id, _ := x.view.KeyID(k)
			return fmt.Errorf("key %q: %w", id, err)
		}
	}
	ctx, r := withReport(ctx)
	err := x.cache.SetManyWith(ctx, values, o)
	var failed *valcache.KeyedBatchError[K]
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if ierr := r.get(); ierr != nil {
		return errors.Join(err, fmt.Errorf("search: entries were written but not indexed: %w", ierr))
	}
	return err
}

// Delete removes key's entry, like Cache.Delete, and its document.
func (x *Index[K, V]) Delete(ctx context.Context, key K) error {
	if x.closed.Load() {
		return errIndexClosed
	}
	ctx, r := withReport(ctx)
	if err := x.cache.Delete(ctx, key); err != nil {
		return err
	}
	return r.get()
}

// fits extracts and checks value's document.
func (x *Index[K, V]) fits(value V) error {
	d, err := x.extract(value)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	return x.fields.check(d)
}

// document builds the document of an entry stored for ttl (the store's
// lifetime, see valcache.StoredEntry), expiring with it, never before.
func (x *Index[K, V]) document(id string, value V, ttl time.Duration) (index.Doc, error) {
	d, err := x.extract(value)
	if err != nil {
		return index.Doc{}, fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	if err := x.fields.check(d); err != nil {
		return index.Doc{}, err
	}
	doc := toIndexDoc(d)
	doc.ID = id
	doc.Rev = rand.Uint64() | 1
	if ttl > 0 {
		doc.Expiry = time.Now().Add(ttl)
	} else if ttl != driver.NoExpiry {
		return index.Doc{}, fmt.Errorf("%w: entry TTL %v", valcache.ErrInvalidTTL, ttl)
	}
	return doc, nil
}

// toIndexDoc turns a document into postings: tag values deduplicated, text
// split into terms and counted.
func toIndexDoc(d Document) index.Doc {
	doc := index.Doc{Numbers: d.nums}
	if len(d.tags) > 0 {
		doc.Tags = make(map[string][]string, len(d.tags))
		for f, vs := range d.tags {
			doc.Tags[f] = dedupe(vs)
		}
	}
	var terms []string
	for _, texts := range d.text {
		for _, s := range texts {
			terms = tokenize(s, terms)
		}
	}
	if len(terms) > 0 {
		doc.Terms = make(map[string]int, len(terms))
		for _, t := range terms {
			doc.Terms[t]++
		}
		doc.Length = len(terms)
	}
	return doc
}
