package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// Index searches one cache's values. It is safe for concurrent use.
type Index[K comparable, V any] struct {
	cache   *valcache.Cache[K, V]
	idx     driver.Indexer
	fields  fieldSet
	extract func(V) (Document, error)
	timeout time.Duration
}

// New returns the index of c's namespace described by schema. Every Index
// over one namespace, in any process, must use the same schema. The
// provider must implement driver.Indexer; New returns ErrNotSupported
// otherwise.
func New[K comparable, V any](c *valcache.Cache[K, V], schema Schema[V]) (*Index[K, V], error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil cache", ErrBadSchema)
	}
	idx, ok := c.Provider().(driver.Indexer)
	if !ok {
		return nil, fmt.Errorf("%w: search: provider %T keeps no index", ErrNotSupported, c.Provider())
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
	return &Index[K, V]{cache: c, idx: idx, fields: fs, extract: extract, timeout: timeout}, nil
}

// Cache returns the cache the index reads values from.
func (x *Index[K, V]) Cache() *valcache.Cache[K, V] { return x.cache }

// Set stores value under key with the cache's default TTL, and indexes it.
func (x *Index[K, V]) Set(ctx context.Context, key K, value V) error {
	return x.SetWith(ctx, key, value, valcache.SetOptions{})
}

// SetWithTTL stores value under key for ttl, and indexes it.
func (x *Index[K, V]) SetWithTTL(ctx context.Context, key K, value V, ttl time.Duration) error {
	return x.SetWith(ctx, key, value, valcache.SetOptions{TTL: ttl})
}

// SetWith stores value like Cache.SetWith, then indexes it. A value whose
// document does not fit the schema is refused before anything is written.
// The entry is written first: a query made after SetWith returns finds the
// new value, and one made in between finds the old one or nothing.
func (x *Index[K, V]) SetWith(ctx context.Context, key K, value V, o valcache.SetOptions) error {
	id, err := x.cache.KeyID(key)
	if err != nil {
		return err
	}
	doc, err := x.document(id, value, o.TTL)
	if err != nil {
		return err
	}
	if err := x.cache.SetWith(ctx, key, value, o); err != nil {
		return err
	}
	if err := x.idx.Index(ctx, x.cache.Namespace(), []driver.IndexDoc{doc}); err != nil {
		return fmt.Errorf("search: the entry was written but not indexed: %w", err)
	}
	return nil
}

// SetMany stores and indexes many values with one set of options.
func (x *Index[K, V]) SetMany(ctx context.Context, values map[K]V, o valcache.SetOptions) error {
	docs := make([]driver.IndexDoc, 0, len(values))
	keys := make([]K, 0, len(values))
	for k, v := range values {
		id, err := x.cache.KeyID(k)
		if err != nil {
			return err
		}
		doc, err := x.document(id, v, o.TTL)
		if err != nil {
			return fmt.Errorf("key %q: %w", id, err)
		}
		docs = append(docs, doc)
		keys = append(keys, k)
	}
	err := x.cache.SetManyWith(ctx, values, o)
	var failed *valcache.KeyedBatchError[K]
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if failed != nil {
		kept := docs[:0]
		for i, d := range docs {
			if _, bad := failed.Failed[keys[i]]; !bad {
				kept = append(kept, d)
			}
		}
		docs = kept
	}
	if ierr := x.idx.Index(ctx, x.cache.Namespace(), docs); ierr != nil {
		return errors.Join(err, fmt.Errorf("search: entries were written but not indexed: %w", ierr))
	}
	return err
}

// Delete removes key's entry and its document.
func (x *Index[K, V]) Delete(ctx context.Context, key K) error {
	id, err := x.cache.KeyID(key)
	if err != nil {
		return err
	}
	if err := x.cache.Delete(ctx, key); err != nil {
		return err
	}
	return x.idx.Unindex(ctx, x.cache.Namespace(), []driver.IndexRef{{ID: id}})
}

// document extracts and checks value's document, expiring when an entry
// written with ttl would. Jitter only shortens an entry's life, so the
// document never expires before its entry.
func (x *Index[K, V]) document(id string, value V, ttl time.Duration) (driver.IndexDoc, error) {
	d, err := x.extract(value)
	if err != nil {
		return driver.IndexDoc{}, fmt.Errorf("%w: %w", ErrBadDocument, err)
	}
	if err := x.fields.check(d); err != nil {
		return driver.IndexDoc{}, err
	}
	doc := toIndexDoc(d)
	doc.ID = id
	doc.Rev = rand.Uint64() | 1
	if ttl == 0 {
		ttl = x.cache.DefaultTTL()
	}
	if ttl > 0 {
		doc.Expiry = time.Now().Add(ttl)
	} else if ttl != driver.NoExpiry {
		return driver.IndexDoc{}, valcache.ErrInvalidTTL
	}
	return doc, nil
}

// toIndexDoc turns a document into postings: tag values deduplicated, text
// split into terms and counted.
func toIndexDoc(d Document) driver.IndexDoc {
	doc := driver.IndexDoc{Numbers: d.nums}
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
