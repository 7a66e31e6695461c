package search_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
	"github.com/valcache/valcache/memory"
	"github.com/valcache/valcache/search"
	"github.com/valcache/valcache/search/index"
)

type item struct {
	Kind  string `valcache:"kind,tag"`
	Price int    `valcache:"price,numeric"`
}

func newCache(t *testing.T, p driver.Provider) *valcache.Cache[string, item] {
	t.Helper()
	c, err := valcache.New(p, valcache.Options[string, item]{Namespace: "items"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newMemory(t *testing.T) *memory.Provider {
	t.Helper()
	p, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// hidden keeps only the Provider methods of a store, like a provider that
// keeps no index.
type hidden struct{ driver.Provider }

func TestNewNeedsAnIndexer(t *testing.T) {
	c := newCache(t, hidden{newMemory(t)})
	if _, err := search.New(c, search.Schema[item]{}); !errors.Is(err, search.ErrNotSupported) {
		t.Fatalf("search.New over a provider without an index: %v, want ErrNotSupported", err)
	}
}

func TestSchemaNeedsFieldsWithExtract(t *testing.T) {
	c := newCache(t, newMemory(t))
	_, err := search.New(c, search.Schema[item]{Extract: func(item) (search.Document, error) { return search.Document{}, nil }})
	if !errors.Is(err, search.ErrBadSchema) {
		t.Fatalf("Extract without Fields: %v, want ErrBadSchema", err)
	}
}

func TestExtractorSchemaAndBadDocuments(t *testing.T) {
	c := newCache(t, newMemory(t))
	x, err := search.New(c, search.Schema[item]{
		Fields: []search.Field{{Name: "kind", Kind: search.TagKind}, {Name: "price", Kind: search.NumericKind}},
		Extract: func(v item) (search.Document, error) {
			var d search.Document
			d.Tag("kind", v.Kind)
			if v.Price < 0 {
				d.Tag("price", "negative") // wrong kind on purpose
			} else {
				d.Number("price", float64(v.Price))
			}
			return d, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := x.Set(ctx, "bad", item{Kind: "a", Price: -1}); !errors.Is(err, search.ErrBadDocument) {
		t.Fatalf("Set of a value whose document does not fit: %v, want ErrBadDocument", err)
	}
	if _, ok, _ := c.GetIfPresent(ctx, "bad"); ok {
		t.Fatal("a refused value was written to the cache")
	}
	if err := x.Set(ctx, "good", item{Kind: "a", Price: 3}); err != nil {
		t.Fatal(err)
	}
	r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Range("price", 3, 3)}})
	if err != nil || len(r.Hits) != 1 || r.Hits[0].Key != "good" {
		t.Fatalf("query = %+v, %v", r, err)
	}
}

// Entries removed behind the index's back take room in the first
// candidates the index returns; the query asks again for more until its
// page is full of live entries, and removes the stale documents it met.
func TestStaleDocumentsAreSkippedAndRemoved(t *testing.T) {
	p := newMemory(t)
	c := newCache(t, p)
	x, err := search.New(c, search.Schema[item]{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := map[string]item{}
	for i := range 400 {
		all[fmt.Sprintf("k%03d", i)] = item{Kind: "a", Price: i}
	}
	if err := x.SetManyWith(ctx, all, valcache.SetOptions{TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for i := range 300 { // the cheapest 300 disappear from the cache only
		if err := c.Delete(ctx, fmt.Sprintf("k%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("kind", "a")}, SortBy: "price", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) != 10 || r.Hits[0].Key != "k300" || r.Hits[9].Key != "k309" {
		t.Fatalf("first page = %+v, want k300..k309", r.Hits)
	}
	if r.Total < 100 {
		t.Fatalf("Total %d is below the 100 live entries", r.Total)
	}
	res, err := p.QueryIndex(ctx, "items", index.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 100 {
		t.Fatalf("after the query the index holds %d documents, want the 100 live ones", res.Total)
	}
	r, err = x.Query(ctx, search.Query{Filters: []search.Filter{search.Tag("kind", "a")}})
	if err != nil || r.Total != 100 || !r.TotalExact {
		t.Fatalf("Total %d exact %v, %v; want 100 exact once the index is clean", r.Total, r.TotalExact, err)
	}
}

// refusing is a memory provider whose index refuses every update.
type refusing struct{ *memory.Provider }

var errRefused = errors.New("index refused")

func (refusing) Index(context.Context, string, []index.Doc) error { return errRefused }

func TestIndexFailuresAreReturnedByIndexWritesAndLoggedForCacheWrites(t *testing.T) {
	var logged bytes.Buffer
	c, err := valcache.New(refusing{newMemory(t)}, valcache.Options[string, item]{
		Namespace: "items",
		Logger:    slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := search.New(c, search.Schema[item]{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	if err := x.Set(ctx, "a", item{Kind: "k"}); !errors.Is(err, errRefused) {
		t.Fatalf("Index.Set over a refusing index: %v, want its error", err)
	}
	if logged.Len() != 0 {
		t.Fatalf("an error returned to the caller was logged too: %s", logged.String())
	}
	if err := c.Set(ctx, "b", item{Kind: "k"}); err != nil {
		t.Fatalf("Cache.Set over a refusing index: %v, want the write to stand", err)
	}
	if !strings.Contains(logged.String(), "index refused") {
		t.Fatalf("the failed index update of a cache write was not logged: %q", logged.String())
	}
	if got := x.Failures(); got != 2 {
		t.Fatalf("Failures() = %d, want 2", got)
	}
	if _, found, err := c.GetIfPresent(ctx, "b"); err != nil || !found {
		t.Fatalf("the cache write did not stand: %v %v", found, err)
	}
}
