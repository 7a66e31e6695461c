package memory

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/valcache/valcache/search/index"
)

var _ index.Backend = (*Provider)(nil)

// pruneBudget bounds how many expired documents one index call removes, so
// that a call never stalls on a backlog; each call removes its share.
const pruneBudget = 256

// indexTable holds the search indexes of every namespace. One lock guards
// them all: index calls are rarer than reads of entries, and a query must
// see one namespace's structures in a single state.
type indexTable struct {
	mu     sync.Mutex
	spaces map[string]*nsIndex
}

// nsIndex is one namespace's index: the documents, and inverted maps from
// tag values and terms to documents. Numbers are kept in the documents and
// ordered per field, for ranges sorted by their own field; other ranges
// are checked on each candidate.
type nsIndex struct {
	docs     map[string]*indexedDoc
	tags     map[string]map[string]map[string]struct{} // field, value -> ids
	postings map[string]map[string]int                 // term -> id -> frequency
	nums     map[string]*numList                       // field -> documents by value
	totalLen int64
	expiries expiryHeap
}

type indexedDoc struct {
	index.Doc
	heapAt int // position in expiries; -1 for a document that never expires
}

func (p *Provider) nsIndex(ns string, create bool) *nsIndex {
	t := &p.index
	if t.spaces == nil {
		if !create {
			return nil
		}
		t.spaces = map[string]*nsIndex{}
	}
	x := t.spaces[ns]
	if x == nil && create {
		x = &nsIndex{docs: map[string]*indexedDoc{}, tags: map[string]map[string]map[string]struct{}{}, postings: map[string]map[string]int{}, nums: map[string]*numList{}}
		t.spaces[ns] = x
	}
	return x
}

// Index implements index.Backend.
func (p *Provider) Index(ctx context.Context, ns string, docs []index.Doc) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	now := time.Now()
	p.index.mu.Lock()
	defer p.index.mu.Unlock()
	x := p.nsIndex(ns, true)
	for _, d := range docs {
		x.remove(d.ID, 0)
		if d.Expiry.IsZero() || d.Expiry.After(now) {
			x.add(d)
		}
	}
	x.prune(now)
	return nil
}

// Unindex implements index.Backend.
func (p *Provider) Unindex(ctx context.Context, ns string, refs []index.Ref) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	p.index.mu.Lock()
	defer p.index.mu.Unlock()
	x := p.nsIndex(ns, false)
	if x == nil {
		return nil
	}
	for _, r := range refs {
		x.remove(r.ID, r.Rev)
	}
	x.prune(time.Now())
	return nil
}

// QueryIndex implements index.Backend.
func (p *Provider) QueryIndex(ctx context.Context, ns string, q index.Query) (index.Result, error) {
	if err := p.check(ctx); err != nil {
		return index.Result{}, err
	}
	now := time.Now()
	p.index.mu.Lock()
	defer p.index.mu.Unlock()
	x := p.nsIndex(ns, false)
	if x == nil {
		return index.Result{DF: make([]int, len(q.Terms))}, nil
	}
	x.prune(now)
	res := index.Result{Docs: len(x.docs), TotalLength: x.totalLen, DF: make([]int, len(q.Terms))}
	for i, t := range q.Terms {
		res.DF[i] = len(x.postings[t])
	}
	if q.Limit > 0 && len(q.Terms) == 0 && len(q.Tags) == 0 && len(q.Ranges) == 1 && q.Ranges[0].Field == q.SortBy {
		res.Candidates, res.Total = x.ordered(q, now)
		return res, nil
	}
	// With a Limit, only the first Limit candidates in order are kept, in a
	// heap, so a broad query allocates and sorts no more than it returns.
	top := q.Limit > 0 && len(q.Terms) == 0
	h := &candidateHeap{desc: q.Desc}
	for id, d := range x.source(q) {
		if d == nil || (!d.Expiry.IsZero() && !d.Expiry.After(now)) || !docMatches(&d.Doc, q) {
			continue
		}
		res.Total++
		c := index.Candidate{ID: id, Rev: d.Rev}
		if q.SortBy != "" {
			c.Sort, c.HasSort = d.Numbers[q.SortBy]
		}
		if top {
			if len(h.c) < q.Limit {
				heap.Push(h, c)
			} else if candidateOrder(c, h.c[0], q.Desc) < 0 {
				h.c[0] = c
				heap.Fix(h, 0)
			}
			continue
		}
		if len(q.Terms) > 0 {
			c.Length = d.Length
			c.TF = make([]int, len(q.Terms))
			for i, t := range q.Terms {
				c.TF[i] = d.Terms[t]
			}
		}
		res.Candidates = append(res.Candidates, c)
	}
	if top {
		res.Candidates = h.c
		slices.SortFunc(res.Candidates, func(a, b index.Candidate) int { return candidateOrder(a, b, q.Desc) })
	}
	return res, nil
}

// ordered answers a query sorted by the field of its only filter, a range,
// from that field's list: the matches are walked in order to count them,
// and only the first Limit (and any tied with the last) are kept.
func (x *nsIndex) ordered(q index.Query, now time.Time) ([]index.Candidate, int) {
	r := q.Ranges[0]
	l := x.nums[r.Field]
	if l == nil {
		return nil, 0
	}
	var got []index.Candidate
	total := 0
	keep := func(n *numNode) {
		if !n.doc.Expiry.IsZero() && !n.doc.Expiry.After(now) {
			return
		}
		total++
		if len(got) < q.Limit || n.v == got[len(got)-1].Sort {
			got = append(got, index.Candidate{ID: n.doc.ID, Rev: n.doc.Rev, Sort: n.v, HasSort: true})
		}
	}
	if q.Desc {
		for n := l.last(r.Max, r.MaxExcl); n != nil && (n.v > r.Min || (!r.MinExcl && n.v == r.Min)); n = n.prev {
			keep(n)
		}
	} else {
		for n := l.first(r.Min, r.MinExcl); n != nil && (n.v < r.Max || (!r.MaxExcl && n.v == r.Max)); n = n.next[0] {
			keep(n)
		}
	}
	slices.SortFunc(got, func(a, b index.Candidate) int { return candidateOrder(a, b, q.Desc) })
	if len(got) > q.Limit {
		got = slices.Clip(got[:q.Limit])
	}
	return got, total
}

// candidateOrder is the order of a query's results: by the sort field, then
// by ID.
func candidateOrder(a, b index.Candidate, desc bool) int {
	if c := sortOrder(a, b, desc); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// candidateHeap keeps the first candidates seen so far with the last of
// them on top, to be replaced by a better one.
type candidateHeap struct {
	c    []index.Candidate
	desc bool
}

func (h *candidateHeap) Len() int           { return len(h.c) }
func (h *candidateHeap) Less(i, j int) bool { return candidateOrder(h.c[i], h.c[j], h.desc) > 0 }
func (h *candidateHeap) Swap(i, j int)      { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *candidateHeap) Push(v any)         { h.c = append(h.c, v.(index.Candidate)) }
func (h *candidateHeap) Pop() any {
	v := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return v
}

// source returns the smallest set of ids that holds every match: the
// documents of the narrowest tag filter or of the terms, or all of them.
func (x *nsIndex) source(q index.Query) func(yield func(string, *indexedDoc) bool) {
	best, bestSize := -1, len(x.docs)
	for i, f := range q.Tags {
		n := 0
		for _, v := range f.Values {
			n += len(x.tags[f.Field][v])
		}
		if n < bestSize {
			best, bestSize = i, n
		}
	}
	termSize := 0
	for _, t := range q.Terms {
		termSize += len(x.postings[t])
	}
	return func(yield func(string, *indexedDoc) bool) {
		seen := map[string]struct{}{}
		once := func(id string) bool {
			if _, dup := seen[id]; dup {
				return true
			}
			seen[id] = struct{}{}
			return yield(id, x.docs[id])
		}
		switch {
		case len(q.Terms) > 0 && termSize <= bestSize:
			for _, t := range q.Terms {
				for id := range x.postings[t] {
					if !once(id) {
						return
					}
				}
			}
		case best >= 0:
			f := q.Tags[best]
			for _, v := range f.Values {
				for id := range x.tags[f.Field][v] {
					if !once(id) {
						return
					}
				}
			}
		default:
			for id, d := range x.docs {
				if !yield(id, d) {
					return
				}
			}
		}
	}
}

func docMatches(d *index.Doc, q index.Query) bool {
	for _, f := range q.Tags {
		if !slices.ContainsFunc(f.Values, func(v string) bool { return slices.Contains(d.Tags[f.Field], v) }) {
			return false
		}
	}
	for _, r := range q.Ranges {
		v, ok := d.Numbers[r.Field]
		if !ok || v < r.Min || (r.MinExcl && v == r.Min) || v > r.Max || (r.MaxExcl && v == r.Max) {
			return false
		}
	}
	if len(q.Terms) > 0 {
		return slices.ContainsFunc(q.Terms, func(t string) bool { return d.Terms[t] > 0 })
	}
	return true
}

func sortOrder(a, b index.Candidate, desc bool) int {
	switch {
	case a.HasSort != b.HasSort:
		if a.HasSort {
			return -1
		}
		return 1
	case !a.HasSort:
		return 0
	case desc:
		return cmp.Compare(b.Sort, a.Sort)
	}
	return cmp.Compare(a.Sort, b.Sort)
}

func (x *nsIndex) add(d index.Doc) {
	doc := &indexedDoc{Doc: d, heapAt: -1}
	x.docs[d.ID] = doc
	for f, vs := range d.Tags {
		byValue := x.tags[f]
		if byValue == nil {
			byValue = map[string]map[string]struct{}{}
			x.tags[f] = byValue
		}
		for _, v := range vs {
			ids := byValue[v]
			if ids == nil {
				ids = map[string]struct{}{}
				byValue[v] = ids
			}
			ids[d.ID] = struct{}{}
		}
	}
	for t, n := range d.Terms {
		ids := x.postings[t]
		if ids == nil {
			ids = map[string]int{}
			x.postings[t] = ids
		}
		ids[d.ID] = n
	}
	for f, v := range d.Numbers {
		l := x.nums[f]
		if l == nil {
			l = &numList{}
			x.nums[f] = l
		}
		l.insert(v, doc)
	}
	x.totalLen += int64(d.Length)
	if !d.Expiry.IsZero() {
		heap.Push(&x.expiries, doc)
	}
}

// remove drops id's document, if it is at rev (any revision for rev 0),
// with all its postings; maps left empty are dropped too, so the index
// shrinks with the documents.
func (x *nsIndex) remove(id string, rev uint64) {
	d := x.docs[id]
	if d == nil || (rev != 0 && d.Rev != rev) {
		return
	}
	delete(x.docs, id)
	for f, vs := range d.Tags {
		for _, v := range vs {
			ids := x.tags[f][v]
			delete(ids, id)
			if len(ids) == 0 {
				delete(x.tags[f], v)
			}
		}
		if len(x.tags[f]) == 0 {
			delete(x.tags, f)
		}
	}
	for t := range d.Terms {
		ids := x.postings[t]
		delete(ids, id)
		if len(ids) == 0 {
			delete(x.postings, t)
		}
	}
	for f, v := range d.Numbers {
		if l := x.nums[f]; l != nil {
			l.remove(v, id)
			if l.empty() {
				delete(x.nums, f)
			}
		}
	}
	x.totalLen -= int64(d.Length)
	if d.heapAt >= 0 {
		heap.Remove(&x.expiries, d.heapAt)
	}
}

// prune removes up to pruneBudget expired documents.
func (x *nsIndex) prune(now time.Time) {
	for range pruneBudget {
		if len(x.expiries) == 0 || x.expiries[0].Expiry.After(now) {
			return
		}
		x.remove(x.expiries[0].ID, 0)
	}
}

// expiryHeap orders documents by expiry, earliest first.
type expiryHeap []*indexedDoc

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].Expiry.Before(h[j].Expiry) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapAt, h[j].heapAt = i, j
}
func (h *expiryHeap) Push(v any) {
	d := v.(*indexedDoc)
	d.heapAt = len(*h)
	*h = append(*h, d)
}
func (h *expiryHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	d.heapAt = -1
	*h = old[:len(old)-1]
	return d
}
