package driver

import "context"

// Scanner lists the entries of a namespace a page at a time, for work that
// must visit entries without blocking the store (purging stale entries).
//
// Fallback: none; Cache.Purge reports ErrNotSupported.
type Scanner interface {
	// ScanNamespace returns about count keys of namespace, starting at cursor
	// ("" to begin), and the cursor to continue from ("" when done). Keys
	// written or removed during a scan may or may not be listed; no key
	// present throughout is skipped, though one may be listed twice.
	ScanNamespace(ctx context.Context, namespace, cursor string, count int) (keys []Key, next string, err error)
}
