package driver

import (
	"context"
	"math"
	"time"
)

// Indexer keeps a secondary index over a namespace's entries, which is what
// package search builds queries on. The index holds what the search package
// extracted from each value (tags, numbers, text terms), never the values
// themselves: results are always read back through the cache, so the index
// may lag behind the entries (a write lands in two steps, the entry and then
// its postings) without a stale or expired value ever being returned.
//
// Each indexed document has an expiry, that of its entry. A provider must
// not let expired documents accumulate: it removes them as part of its
// normal traffic (writes and queries), in bounded batches, so the index
// stays about the size of the live entries.
//
// Fallback: none; package search reports ErrNotSupported.
type Indexer interface {
	// Index adds or replaces documents: a document's previous postings are
	// removed first, so an update never leaves the old values matching.
	// The provider may keep the maps of docs: callers must not change them
	// afterwards. A document already expired is only removed.
	Index(ctx context.Context, namespace string, docs []IndexDoc) error

	// Unindex removes documents. A ref with a non-zero Rev removes the
	// document only while it is still at that revision, so a reader
	// dropping a document it found stale cannot remove one a writer has
	// just indexed again.
	Unindex(ctx context.Context, namespace string, refs []IndexRef) error

	// QueryIndex returns the documents matching q, with what ranking needs.
	// A provider whose index is split over parts of the store that fail
	// apart (the shards of a cluster) may answer from the parts that could
	// be reached, listing the others in IndexResult.Missing, when every
	// failure says the store could not serve; it returns an error when no
	// part answered.
	QueryIndex(ctx context.Context, namespace string, q IndexQuery) (IndexResult, error)
}

// IndexDoc is one document: an entry's ID and the values extracted from it.
type IndexDoc struct {
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

// IndexRef names one document, at one revision unless Rev is zero.
type IndexRef struct {
	ID  string
	Rev uint64
}

// IndexQuery selects documents: every filter must hold. With no filter and
// no terms, every document matches.
type IndexQuery struct {
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

// BM25 parameters shared by every provider and package search, so that a
// provider choosing the best documents and the caller ranking them agree.
const (
	BM25K1 = 1.2
	BM25B  = 0.75
)

// BM25IDF is the inverse document frequency of a term found in df of docs
// documents.
func BM25IDF(df, docs int) float64 {
	n := float64(max(docs, 1))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// BM25AvgLength is the average document length, never below 1.
func BM25AvgLength(totalLength int64, docs int) float64 {
	return max(float64(totalLength)/float64(max(docs, 1)), 1)
}

// BM25 scores a document of length with term frequencies tf, given each
// term's idf and the average length.
func BM25(tf []int, length int, idf []float64, avgLength float64) float64 {
	norm := BM25K1 * (1 - BM25B + BM25B*float64(length)/avgLength)
	score := 0.0
	for i, n := range tf {
		if i < len(idf) && n > 0 {
			f := float64(n)
			score += idf[i] * f * (BM25K1 + 1) / (f + norm)
		}
	}
	return score
}

// IndexResult is what QueryIndex found.
type IndexResult struct {
	// Candidates are in the query's order (for term queries, any order).
	Candidates []IndexCandidate
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
	// answer (see Indexer.QueryIndex); empty when every shard answered.
	// Their documents are absent from Candidates, and Total, Docs,
	// TotalLength and DF count only the shards that answered. MissingErr is
	// one of the errors met (it matches ErrUnavailable).
	Missing    []int
	MissingErr error
}

// IndexCandidate is one matching document.
type IndexCandidate struct {
	ID  string
	Rev uint64
	// Sort is the value of the SortBy field, when HasSort.
	Sort    float64
	HasSort bool
	// Length and TF (one per query term) are set for term queries.
	Length int
	TF     []int
}
