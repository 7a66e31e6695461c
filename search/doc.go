// Package search finds cached values by their content: exact tags, numeric
// ranges sorted by a field, and full-text queries ranked by BM25, over one
// namespace of a valcache.Cache.
//
// The index lives in the provider (index.Backend): in process for the
// memory provider, in Valkey's own sets and sorted sets for valkeystore,
// single node or cluster, with no server module. It holds only what the
// schema extracts from each value; results are read back through the cache,
// so an entry that expired, was deleted, or was invalidated by a tag or a
// Clear is never returned, even while the index still lists it. Such
// documents are removed from the index as they are found, and expired ones
// are pruned by every write and query.
//
// New attaches the Index to its cache (valcache.Cache.OnWrite), so that
// every write the cache makes in this process updates the index: Set,
// SetMany, Delete, DeleteMany, values stored by loaders, bulk loads and
// refreshes, cached absences, computes, Purge. The Index's own write
// methods are the cache's, with the index's errors returned; for a write
// made through the cache they are logged and counted (Index.Failures),
// and the write stands. Close detaches the Index.
//
// See docs/search.md for the layout in Valkey, costs and guarantees.
package search
