package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/search/index"
)

// follower is the valcache.WriteHook through which an Index follows every
// write of its cache, whoever makes it: the cache's own methods, loaders,
// refreshes, computes, or the Index's write methods, which are the cache's
// with errors returned.
type follower[K comparable, V any] struct{ x *Index[K, V] }

// Stored indexes written entries. A value whose document does not fit the
// schema is unindexed instead, so that its older document cannot stand for
// it: the entry is written, but no query finds it.
func (f follower[K, V]) Stored(ctx context.Context, es []valcache.StoredEntry[V]) {
	x := f.x
	docs := make([]index.Doc, 0, len(es))
	var unfit []index.Ref
	var errs []error
	for _, e := range es {
		doc, err := x.document(e.ID, e.Value, e.TTL)
		if err != nil {
			unfit = append(unfit, index.Ref{ID: e.ID})
			errs = append(errs, fmt.Errorf("key %q: %w", e.ID, err))
			continue
		}
		docs = append(docs, doc)
	}
	ns := x.cache.Namespace()
	if len(docs) > 0 {
		if err := x.idx.Index(ctx, ns, docs); err != nil {
			errs = append(errs, err)
		}
	}
	if len(unfit) > 0 {
		if err := x.idx.Unindex(ctx, ns, unfit); err != nil {
			errs = append(errs, err)
		}
	}
	x.report(ctx, errors.Join(errs...), len(es))
}

// Deleted removes the documents of deleted entries, at any revision.
func (f follower[K, V]) Deleted(ctx context.Context, ids []string) {
	x := f.x
	refs := make([]index.Ref, len(ids))
	for i, id := range ids {
		refs[i] = index.Ref{ID: id}
	}
	x.report(ctx, x.idx.Unindex(ctx, x.cache.Namespace(), refs), len(ids))
}

// reportKey marks the context of a write made by an Index's own methods,
// which return the index's error rather than log it.
type reportKey struct{}

// indexReport collects the index's errors for one Index write.
type indexReport struct {
	mu  sync.Mutex
	err error
}

func (r *indexReport) get() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func withReport(ctx context.Context) (context.Context, *indexReport) {
	r := &indexReport{}
	return context.WithValue(ctx, reportKey{}, r), r
}

// report hands err to the Index write that caused it, or, for a write made
// through the cache, counts and logs it: the write stands, and queries read
// values back, so the index lagging costs findability, never a wrong hit.
func (x *Index[K, V]) report(ctx context.Context, err error, n int) {
	if err == nil {
		return
	}
	x.failures.Add(1)
	if r, ok := ctx.Value(reportKey{}).(*indexReport); ok {
		r.mu.Lock()
		r.err = errors.Join(r.err, err)
		r.mu.Unlock()
		return
	}
	x.view.Logger().Warn("search: a cache write was not indexed; queries may miss it until it is written again",
		slog.String("namespace", x.cache.Namespace()), slog.Int("entries", n), slog.Any("error", err))
}
