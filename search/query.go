package search

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/valcache/valcache/search/index"
)

// Limits of a page.
const (
	// DefaultLimit is the page size of a query that sets none.
	DefaultLimit = 10
	// MaxLimit is the largest page.
	MaxLimit = 1000
	// MaxWindow bounds Offset+Limit: deep pages cost the reading of every
	// result before them.
	MaxWindow = 10_000
)

// Query selects values: every filter must hold.
type Query struct {
	Filters []Filter
	// SortBy names a numeric field to order by, ascending unless Desc.
	// Values lacking the field come last. Empty orders a Query by key and a
	// Search by relevance.
	SortBy string
	Desc   bool
	// Offset skips results; Limit caps them (zero means DefaultLimit).
	Offset, Limit int
}

// Filter is one condition of a query. Build it with Tag, Range, Above,
// Below or ParseRange.
type Filter struct {
	field   string
	isRange bool
	values  []string
	r       index.RangeFilter
	err     error
}

// Tag matches values whose tag field has any of values.
func Tag(field string, values ...string) Filter {
	return Filter{field: field, values: values}
}

// Range matches values whose numeric field lies in [min, max]. Infinite
// bounds leave that end open.
func Range(field string, min, max float64) Filter {
	return Filter{field: field, isRange: true, r: index.RangeFilter{Field: field, Min: min, Max: max}}
}

// Above matches values whose numeric field is greater than v.
func Above(field string, v float64) Filter {
	return Filter{field: field, isRange: true, r: index.RangeFilter{Field: field, Min: v, Max: math.Inf(1), MinExcl: true}}
}

// Below matches values whose numeric field is less than v.
func Below(field string, v float64) Filter {
	return Filter{field: field, isRange: true, r: index.RangeFilter{Field: field, Min: math.Inf(-1), Max: v, MaxExcl: true}}
}

// ParseRange reads a range written as in mathematics, "[10,20)", "(0,+inf]"
// or "[-inf,5]": a square bracket includes its bound, a parenthesis
// excludes it. A malformed range is an error wrapping ErrBadRange, and so
// is the Filter, which then fails any query it is used in.
func ParseRange(field, expr string) (Filter, error) {
	f, err := parseRange(field, expr)
	if err != nil {
		return Filter{field: field, isRange: true, err: err}, err
	}
	return f, nil
}

func parseRange(field, expr string) (Filter, error) {
	s := strings.TrimSpace(expr)
	if len(s) < 2 {
		return Filter{}, fmt.Errorf("%w: %q: want [min,max] with ( or ) for excluded bounds", ErrBadRange, expr)
	}
	open, closing := s[0], s[len(s)-1]
	if (open != '[' && open != '(') || (closing != ']' && closing != ')') {
		return Filter{}, fmt.Errorf("%w: %q: must start with [ or ( and end with ] or )", ErrBadRange, expr)
	}
	lo, hi, ok := strings.Cut(s[1:len(s)-1], ",")
	if !ok || strings.Contains(hi, ",") {
		return Filter{}, fmt.Errorf("%w: %q: want two bounds separated by one comma", ErrBadRange, expr)
	}
	min, err := parseBound(lo)
	if err != nil {
		return Filter{}, fmt.Errorf("%w: %q: lower bound: %v", ErrBadRange, expr, err)
	}
	max, err := parseBound(hi)
	if err != nil {
		return Filter{}, fmt.Errorf("%w: %q: upper bound: %v", ErrBadRange, expr, err)
	}
	f := Range(field, min, max)
	f.r.MinExcl, f.r.MaxExcl = open == '(', closing == ')'
	return f, nil
}

func parseBound(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "-inf":
		return math.Inf(-1), nil
	case "inf", "+inf":
		return math.Inf(1), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// plan is a checked query, ready for the provider and for checking values
// read back.
type plan struct {
	iq            index.Query
	offset, limit int
	terms         []string // distinct, in query order
}

// compile checks q against the schema and translates it.
func compile(fs fieldSet, q Query, text *string) (plan, error) {
	p := plan{offset: q.Offset, limit: q.Limit}
	if p.limit == 0 {
		p.limit = DefaultLimit
	}
	switch {
	case p.offset < 0:
		return p, fmt.Errorf("%w: negative offset %d", ErrBadQuery, q.Offset)
	case p.limit < 0 || p.limit > MaxLimit:
		return p, fmt.Errorf("%w: limit %d: must be in [0, %d]", ErrBadQuery, q.Limit, MaxLimit)
	case p.offset+p.limit > MaxWindow:
		return p, fmt.Errorf("%w: offset+limit %d exceeds %d", ErrBadQuery, p.offset+p.limit, MaxWindow)
	}
	for _, f := range q.Filters {
		if f.err != nil {
			return p, f.err
		}
		kind, ok := fs[f.field]
		if !ok {
			return p, fmt.Errorf("%w: %q", ErrUnknownField, f.field)
		}
		if f.isRange {
			if kind != NumericKind {
				return p, fmt.Errorf("%w: range on %v field %q", ErrWrongType, kind, f.field)
			}
			r := f.r
			if math.IsNaN(r.Min) || math.IsNaN(r.Max) || r.Min > r.Max || (r.Min == r.Max && (r.MinExcl || r.MaxExcl)) {
				return p, fmt.Errorf("%w: field %q: range %s is empty or not a range", ErrBadRange, f.field, rangeString(r))
			}
			p.iq.Ranges = append(p.iq.Ranges, r)
			continue
		}
		if kind != TagKind {
			return p, fmt.Errorf("%w: tag filter on %v field %q", ErrWrongType, kind, f.field)
		}
		if len(f.values) == 0 {
			return p, fmt.Errorf("%w: tag filter on %q has no value", ErrBadQuery, f.field)
		}
		p.iq.Tags = append(p.iq.Tags, index.TagFilter{Field: f.field, Values: dedupe(f.values)})
	}
	if q.SortBy != "" {
		kind, ok := fs[q.SortBy]
		if !ok {
			return p, fmt.Errorf("%w: sort by %q", ErrUnknownField, q.SortBy)
		}
		if kind != NumericKind {
			return p, fmt.Errorf("%w: sort by %v field %q: only numeric fields sort", ErrWrongType, kind, q.SortBy)
		}
		p.iq.SortBy, p.iq.Desc = q.SortBy, q.Desc
	}
	if text != nil {
		p.terms = dedupe(tokenize(*text, nil))
		if len(p.terms) == 0 {
			return p, fmt.Errorf("%w: full-text query %q has no word", ErrBadQuery, *text)
		}
		p.iq.Terms = p.terms
	}
	return p, nil
}

func rangeString(r index.RangeFilter) string {
	open, closing := "[", "]"
	if r.MinExcl {
		open = "("
	}
	if r.MaxExcl {
		closing = ")"
	}
	return open + strconv.FormatFloat(r.Min, 'g', -1, 64) + "," + strconv.FormatFloat(r.Max, 'g', -1, 64) + closing
}

func dedupe(vs []string) []string {
	seen := make(map[string]struct{}, len(vs))
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if _, dup := seen[v]; !dup {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	return out
}

// matches reports whether an indexed document satisfies the plan's filters
// and, for a search, contains one of its terms. It is how values read back
// are checked, so that a posting left over from an older value never
// produces a wrong result.
func (p *plan) matches(d *index.Doc) bool {
	for _, tf := range p.iq.Tags {
		if !anyIn(tf.Values, d.Tags[tf.Field]) {
			return false
		}
	}
	for _, r := range p.iq.Ranges {
		v, ok := d.Numbers[r.Field]
		if !ok || !inRange(r, v) {
			return false
		}
	}
	if len(p.terms) > 0 {
		for _, t := range p.terms {
			if d.Terms[t] > 0 {
				return true
			}
		}
		return false
	}
	return true
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// inRange is the one definition of range membership; providers follow it.
func inRange(r index.RangeFilter, v float64) bool {
	if v < r.Min || (r.MinExcl && v == r.Min) {
		return false
	}
	return !(v > r.Max || (r.MaxExcl && v == r.Max))
}
