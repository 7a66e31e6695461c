package twolevel

import (
	"context"

	"github.com/valcache/valcache/driver"
)

// Search indexes are L2's: they describe entries shared by the fleet, and
// results are read back through the cache, which serves L1 copies where
// they are current.

var _ driver.Indexer = (*Provider)(nil)

// Index implements driver.Indexer.
func (p *Provider) Index(ctx context.Context, ns string, docs []driver.IndexDoc) error {
	return p.callAll(ctx, false, func() error { return p.l2.Index(ctx, ns, docs) })
}

// Unindex implements driver.Indexer.
func (p *Provider) Unindex(ctx context.Context, ns string, refs []driver.IndexRef) error {
	return p.callAll(ctx, false, func() error { return p.l2.Unindex(ctx, ns, refs) })
}

// QueryIndex implements driver.Indexer.
func (p *Provider) QueryIndex(ctx context.Context, ns string, q driver.IndexQuery) (res driver.IndexResult, err error) {
	err = p.callAll(ctx, false, func() (err error) {
		res, err = p.l2.QueryIndex(ctx, ns, q)
		return err
	})
	return res, err
}
