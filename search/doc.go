// Package search finds cached values by their content: exact tags, numeric
// ranges sorted by a field, and full-text queries ranked by BM25, over one
// namespace of a valcache.Cache.
//
// The index lives in the provider (driver.Indexer): in process for the
// memory provider, in Valkey's own sets and sorted sets for valkeystore,
// single node or cluster, with no server module. It holds only what the
// schema extracts from each value; results are read back through the cache,
// so an entry that expired, was deleted, or was invalidated by a tag or a
// Clear is never returned, even while the index still lists it. Such
// documents are removed from the index as they are found, and expired ones
// are pruned by every write and query.
//
// Only writes made through an Index (Set, SetWith, SetMany, Delete) update
// the index. A value written to the cache directly is returned only if an
// earlier indexed write still matches it, and only if it still satisfies
// the query: filters are checked again on the value read.
//
// See docs/search.md for the layout in Valkey, costs and guarantees.
package search
