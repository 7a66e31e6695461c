package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/search/index"
)

// exactBelow is the candidate count under which every candidate is read back,
// which makes Total exact; above it Total is the index's count, an upper
// bound until stale documents are pruned.
const exactBelow = 256

// Hit is one result.
type Hit[K comparable, V any] struct {
	Key   K
	Value V
	// Score is the BM25 relevance of a Search hit; zero for Query.
	Score float64
}

// Result is one page of results.
type Result[K comparable, V any] struct {
	Hits []Hit[K, V]
	// Total is how many values match. It is exact when TotalExact is set,
	// which is always the case when fewer than 256 documents matched in
	// the index or every match was read back; otherwise it is an upper
	// bound that may count entries that expired or were invalidated and are
	// not yet pruned from the index.
	Total      int
	TotalExact bool

	// MissingShards lists, in increasing order, the index shards (0 to 15 on
	// Valkey) that did not answer, such as those on a cluster node that is
	// down: their matches are absent from Hits and from Total. Unread are
	// the keys of matches whose values could not be read back, their node
	// not answering: they are absent from Hits and counted in Total. Either
	// makes the result partial (Partial), and Total not exact; the hits
	// there are still current and still match. PartialErr is one of the
	// errors met (it matches valcache.ErrUnavailable). A query fails only
	// when no index shard answers, or on an error that is not an outage.
	MissingShards []int
	Unread        []K
	PartialErr    error
}

// Partial reports whether part of the store did not answer, so that more
// values may match than the result shows.
func (r Result[K, V]) Partial() bool { return len(r.MissingShards) > 0 || len(r.Unread) > 0 }

// partial gathers what a query could not reach, over its calls.
type partial[K comparable] struct {
	shards map[int]bool
	unread []K
	err    error
}

func (m *partial[K]) addShards(res index.Result) {
	for _, s := range res.Missing {
		if m.shards == nil {
			m.shards = map[int]bool{}
		}
		m.shards[s] = true
		m.err = res.MissingErr
	}
}

// Query returns the values matching q's filters, in q's order.
func (x *Index[K, V]) Query(ctx context.Context, q Query) (Result[K, V], error) {
	p, err := compile(x.fields, q, nil)
	if err != nil {
		return Result[K, V]{}, err
	}
	return x.run(ctx, &p)
}

// Search returns the values matching q's filters that contain at least one
// word of text, the most relevant first (BM25 over every text field), or
// in q's order when it sets SortBy.
func (x *Index[K, V]) Search(ctx context.Context, text string, q Query) (Result[K, V], error) {
	p, err := compile(x.fields, q, &text)
	if err != nil {
		return Result[K, V]{}, err
	}
	return x.run(ctx, &p)
}

// scored is a candidate in result order.
type scored struct {
	c     index.Candidate
	score float64
}

// checked is a candidate whose value was read back and still matches.
type checked[K comparable, V any] struct {
	hit     Hit[K, V]
	sort    float64
	hasSort bool
	id      string
}

func (x *Index[K, V]) run(ctx context.Context, p *plan) (Result[K, V], error) {
	ctx, cancel := context.WithTimeout(ctx, x.timeout)
	defer cancel()
	window := p.offset + p.limit
	ns := x.cache.Namespace()
	var lost partial[K]
	query := func() (index.Result, error) {
		res, err := x.idx.QueryIndex(ctx, ns, p.iq)
		if err == nil {
			lost.addShards(res)
		}
		return res, err
	}
	p.iq.Limit = window
	res, err := query()
	if err != nil {
		return Result[K, V]{}, err
	}
	// A small match set is read back whole, which makes Total exact.
	if p.iq.Limit > 0 && len(res.Candidates) < res.Total && res.Total < exactBelow {
		p.iq.Limit = 0
		if res, err = query(); err != nil {
			return Result[K, V]{}, err
		}
	}
	for {
		order := x.rank(p, res)
		all := len(order) >= res.Total
		need := window
		if all && res.Total < exactBelow {
			need = len(order)
		}
		lost.unread = lost.unread[:0]
		got, done, err := x.verify(ctx, p, order, need, &lost)
		if err != nil {
			return Result[K, V]{}, err
		}
		if len(got) >= window || all {
			exact := all && done == len(order) && lost.shards == nil && len(lost.unread) == 0
			r := x.page(p, got, res.Total-(done-len(got)-len(lost.unread)), exact)
			fill(&lost, &r)
			return r, nil
		}
		// Stale documents took room in the page: ask for more.
		p.iq.Limit = max(4*p.iq.Limit, window)
		if p.iq.Limit >= res.Total {
			p.iq.Limit = 0
		}
		if res, err = query(); err != nil {
			return Result[K, V]{}, err
		}
	}
}

// fill records in r what the query could not reach.
func fill[K comparable, V any](m *partial[K], r *Result[K, V]) {
	if m.shards == nil && len(m.unread) == 0 {
		return
	}
	for s := range m.shards {
		r.MissingShards = append(r.MissingShards, s)
	}
	slices.Sort(r.MissingShards)
	if len(m.unread) > 0 {
		r.Unread = slices.Clone(m.unread)
	}
	r.PartialErr = m.err
}

// rank orders candidates: by the sort field, or by BM25 score for a search,
// ties by ID; the provider's order is not relied on.
func (x *Index[K, V]) rank(p *plan, res index.Result) []scored {
	out := make([]scored, len(res.Candidates))
	var idf []float64
	var avgdl float64
	if len(p.terms) > 0 {
		idf = make([]float64, len(p.terms))
		for i := range p.terms {
			df := 0
			if i < len(res.DF) {
				df = res.DF[i]
			}
			idf[i] = index.BM25IDF(df, res.Docs)
		}
		avgdl = index.BM25AvgLength(res.TotalLength, res.Docs)
	}
	for i, c := range res.Candidates {
		out[i] = scored{c: c}
		if idf != nil {
			out[i].score = index.BM25(c.TF, c.Length, idf, avgdl)
		}
	}
	slices.SortFunc(out, func(a, b scored) int {
		if p.iq.SortBy == "" && len(p.terms) > 0 {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
		} else if c := compareSort(a.c.Sort, a.c.HasSort, b.c.Sort, b.c.HasSort, p.iq.Desc); c != 0 {
			return c
		}
		return cmp.Compare(a.c.ID, b.c.ID)
	})
	return out
}

// compareSort orders by a numeric field, documents lacking it last.
func compareSort(a float64, hasA bool, b float64, hasB bool, desc bool) int {
	switch {
	case hasA != hasB:
		if hasA {
			return -1
		}
		return 1
	case !hasA:
		return 0
	case desc:
		return cmp.Compare(b, a)
	}
	return cmp.Compare(a, b)
}

// verify reads candidates back through the cache, in order, until need of
// them are confirmed or the list ends; it returns the confirmed ones and how
// many candidates it looked at. Candidates whose entries are gone are
// removed from the index (at their revision only). Candidates whose values
// could not be read because the store did not answer for them are neither:
// they are added to lost's unread keys.
func (x *Index[K, V]) verify(ctx context.Context, p *plan, order []scored, need int, lost *partial[K]) ([]checked[K, V], int, error) {
	var got []checked[K, V]
	done := 0
	for done < len(order) && len(got) < need {
		n := min(len(order)-done, max(2*(need-len(got)), 16))
		batch := order[done : done+n]
		keys := make([]K, 0, n)
		ids := make([]int, 0, n)
		var gone []index.Ref
		for i, s := range batch {
			parsed, err := x.view.ParseKeyID(s.c.ID)
			if err != nil {
				return nil, 0, err
			}
			k, ok := parsed.(K)
			if !ok {
				return nil, 0, fmt.Errorf("search: key id %q parsed as %T", s.c.ID, parsed)
			}
			keys = append(keys, k)
			ids = append(ids, i)
		}
		values, err := x.cache.GetManyIfPresent(ctx, keys)
		unread, err := unreadKeys[K](err)
		if err != nil {
			return nil, 0, err
		}
		for j, k := range keys {
			s := batch[ids[j]]
			v, ok := values[k]
			if e, failed := unread[k]; failed {
				lost.unread = append(lost.unread, k)
				lost.err = e
				continue
			}
			if !ok {
				gone = append(gone, index.Ref{ID: s.c.ID, Rev: s.c.Rev})
				continue
			}
			d, err := x.extract(v)
			if err != nil {
				continue
			}
			doc := toIndexDoc(d)
			if !p.matches(&doc) {
				continue // a newer value whose postings are not yet updated
			}
			c := checked[K, V]{hit: Hit[K, V]{Key: k, Value: v, Score: s.score}, id: s.c.ID}
			if p.iq.SortBy != "" {
				c.sort, c.hasSort = doc.Numbers[p.iq.SortBy]
			}
			got = append(got, c)
		}
		done += n
		if len(gone) > 0 {
			// Best effort: a failure leaves them for the next query or expiry.
			_ = x.idx.Unindex(ctx, x.cache.Namespace(), gone)
		}
	}
	return got, done, nil
}

// page cuts the requested page from the confirmed results. Values read back
// may sort differently from their postings (a write in flight), so the
// confirmed results are ordered again by their own values.
func (x *Index[K, V]) page(p *plan, got []checked[K, V], total int, exact bool) Result[K, V] {
	if p.iq.SortBy != "" {
		slices.SortStableFunc(got, func(a, b checked[K, V]) int {
			if c := compareSort(a.sort, a.hasSort, b.sort, b.hasSort, p.iq.Desc); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
	}
	r := Result[K, V]{Total: max(total, len(got)), TotalExact: exact}
	if exact {
		r.Total = len(got)
	}
	for i := p.offset; i < len(got) && i < p.offset+p.limit; i++ {
		r.Hits = append(r.Hits, got[i].hit)
	}
	return r
}

// unreadKeys returns the keys of a GetManyIfPresent's partial failure when each
// says the store could not serve, and any other error as it is.
func unreadKeys[K comparable](err error) (map[K]error, error) {
	var be *valcache.KeyedBatchError[K]
	if err == nil || !errors.As(err, &be) {
		return nil, err
	}
	for _, e := range be.Failed {
		if !errors.Is(e, valcache.ErrUnavailable) {
			return nil, err
		}
	}
	return be.Failed, nil
}
