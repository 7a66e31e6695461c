// Package index is the contract between package search and the stores
// that keep its indexes (memory in process, valkeystore in Valkey), with
// the BM25 scoring both sides share so that a store choosing the best
// documents and package search ranking them agree.
//
// It is a package of its own, beside search rather than in it, so that a
// provider implementing it does not depend on the valcache facade that
// package search builds on.
package index

import (
	"context"
	"time"
)

// Backend keeps a secondary index over a namespace's entries, which is what
// package search builds queries on. search.New finds a provider's Backend
// along its unwrap chain (driver.Find), so wrappers pass it through.
//
// The index holds what the search package extracted from each value (tags,
// numbers, text terms), never the values themselves: results are always
// read back through the cache, so the index may lag behind the entries (a
// write lands in two steps, the entry and then its postings) without a
// stale or expired value ever being returned.
//
// Each indexed document has an expiry, that of its entry. A provider must
// not let expired documents accumulate: it removes them as part of its
// normal traffic (writes and queries), in bounded batches, so the index
// stays about the size of the live entries.
//
// Package cachetest checks every rule stated here (its Search/ cases).
type Backend interface {
	// Index adds or replaces documents: a document's previous postings are
	// removed first, so an update never leaves the old values matching.
	// The provider may keep the maps of docs: callers must not change them
	// afterwards. A document already expired is only removed.
	Index(ctx context.Context, namespace string, docs []Doc) error

	// Unindex removes documents. A ref with a non-zero Rev removes the
	// document only while it is still at that revision, so a reader
	// dropping a document it found stale cannot remove one a writer has
	// just indexed again.
	Unindex(ctx context.Context, namespace string, refs []Ref) error

	// QueryIndex returns the documents matching q, with what ranking needs.
	// A provider whose index is split over parts of the store that fail
	// apart (the shards of a cluster) may answer from the parts that could
	// be reached, listing the others in Result.Missing, when every
	// failure says the store could not serve; it returns an error when no
	// part answered.
	QueryIndex(ctx context.Context, namespace string, q Query) (Result, error)
}

// Doc is one document: an entry's ID and the values extracted from it.
type Doc struct {
	ID string
	// Rev identifies this version of the document; random and non-zero.
	Rev uint64
	// Expiry is when the entry expires; the zero time means never.
	Expiry time.Time
	// Tags maps a field to its values (exact match).
	Tags map[string][]string
	// Numbers maps a field to its value.
	Numbers map[string]float64
	// Terms maps each text term to its frequency in the document.
	Terms map[string]int
	// Length is the number of text terms, repeats included.
	Length int
}

// Ref names one document, at one revision unless Rev is zero.
type Ref struct {
	ID  string
	Rev uint64
}

// Query selects documents: every filter must hold. With no filter and
// no terms, every document matches.
type Query struct {
	// Tags: a document matches a filter when it has any of its values.
	Tags []TagFilter
	// Ranges: a document matches when its number lies in the range.
	Ranges []RangeFilter
	// Terms, when not empty, keep only documents containing at least one of
	// them, and ask for their frequencies.
	Terms []string
	// SortBy names a numeric field to order by (ascending unless Desc);
	// documents without it come last. Empty orders by ID. Ties break by ID.
	SortBy string
	Desc   bool
	// Limit, when positive, lets the provider return only the first Limit
	// documents in the query's order: by SortBy, or, for term queries
	// without SortBy, by BM25 score (see BM25) computed with the index's
	// statistics. Total still counts every match.
	Limit int
}

// TagFilter matches documents having any of Values in Field.
type TagFilter struct {
	Field  string
	Values []string
}

// RangeFilter matches documents whose Field lies between Min and Max,
// each bound included unless its Excl flag is set. Infinite bounds are
// open ends.
type RangeFilter struct {
	Field            string
	Min, Max         float64
	MinExcl, MaxExcl bool
}

// Result is what QueryIndex found.
type Result struct {
	// Candidates are in the query's order (for term queries, any order).
	Candidates []Candidate
	// Total is how many documents matched, Limit aside. It may count
	// documents whose entries are gone but that were not yet removed.
	Total int
	// Docs and TotalLength describe the whole index of the namespace, and
	// DF (one per query term) how many documents contain each term: the
	// collection statistics of relevance ranking.
	Docs        int
	TotalLength int64
	DF          []int
	// Missing lists, in increasing order, the index shards that did not
	// answer (see Backend.QueryIndex); empty when every shard answered.
	// Their documents are absent from Candidates, and Total, Docs,
	// TotalLength and DF count only the shards that answered. MissingErr is
	// one of the errors met (it matches driver.ErrUnavailable).
	Missing    []int
	MissingErr error
}

// Candidate is one matching document.
type Candidate struct {
	ID  string
	Rev uint64
	// Sort is the value of the SortBy field, when HasSort.
	Sort    float64
	HasSort bool
	// Length and TF (one per query term) are set for term queries.
	Length int
	TF     []int
}
