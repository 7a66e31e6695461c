package cachetest

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/codec"
	"github.com/valcache/valcache/driver"
)

// order is a value type no provider has been told about.
type order struct {
	ID       int64             `json:"id"`
	Customer string            `json:"customer"`
	Lines    []orderLine       `json:"lines"`
	Meta     map[string]string `json:"meta"`
	Placed   time.Time         `json:"placed"`
	Note     *string           `json:"note"`
}

// orderLine is nested in order.
type orderLine struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

func sampleOrder(id int64) order {
	note := "leave at door"
	return order{
		ID: id, Customer: "Ada", Note: &note,
		Lines:  []orderLine{{SKU: "A-1", Qty: 2, Price: 9.5}, {SKU: "B{2}:x", Qty: 1, Price: 100}},
		Meta:   map[string]string{"channel": "web"},
		Placed: time.Date(2026, 11, 1, 12, 30, 0, 0, time.UTC),
	}
}

func newCache[K comparable, V any](t *testing.T, p driver.Provider, opts valcache.Options[K, V]) *valcache.Cache[K, V] {
	t.Helper()
	if opts.Namespace == "" {
		opts.Namespace = namespace(t)
	}
	c, err := valcache.New(p, opts)
	if err != nil {
		t.Fatalf("valcache.New: %v", err)
	}
	return c
}

func wantGet[K comparable, V any](t *testing.T, c *valcache.Cache[K, V], k K, want V) {
	t.Helper()
	got, found, err := c.GetIfPresent(ctxFor(t), k)
	if err != nil || !found {
		t.Fatalf("GetIfPresent(%v): found=%v err=%v, want a hit", k, found, err)
	}
	if !sameValue(got, want) {
		t.Fatalf("GetIfPresent(%v) = %+v, want %+v", k, got, want)
	}
}

func wantNoGet[K comparable, V any](t *testing.T, c *valcache.Cache[K, V], k K) {
	t.Helper()
	got, found, err := c.GetIfPresent(ctxFor(t), k)
	if err != nil || found {
		t.Fatalf("GetIfPresent(%v) = %+v, found=%v err=%v, want a clean miss", k, got, found, err)
	}
}

var cacheCases = []testCase{
	{"StructValuesNeedNoRegistration", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, order]{})
		o := sampleOrder(7)
		if err := c.Set(ctxFor(t), "order:7", o); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "order:7", o)
	}},
	{"EveryCodecRoundTrips", func(t *testing.T, p driver.Provider, _ Harness) {
		for _, cd := range []codec.Codec{codec.JSON(), codec.Gob(), codec.Msgpack()} {
			t.Run(cd.Name(), func(t *testing.T) {
				c := newCache(t, p, valcache.Options[string, order]{Codec: cd})
				o := sampleOrder(1)
				if err := c.Set(ctxFor(t), "o", o); err != nil {
					t.Fatal(err)
				}
				wantGet(t, c, "o", o)
			})
		}
		t.Run("raw", func(t *testing.T) {
			c := newCache(t, p, valcache.Options[string, []byte]{Codec: codec.Raw()})
			if err := c.Set(ctxFor(t), "b", []byte{0, 1, 2}); err != nil {
				t.Fatal(err)
			}
			wantGet(t, c, "b", []byte{0, 1, 2})
		})
	}},
	{"StringAndBytesValues", func(t *testing.T, p driver.Provider, _ Harness) {
		s := newCache(t, p, valcache.Options[string, string]{})
		b := newCache(t, p, valcache.Options[string, []byte]{})
		if err := s.Set(ctxFor(t), "k", "héllo"); err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctxFor(t), "k", []byte("bytes")); err != nil {
			t.Fatal(err)
		}
		wantGet(t, s, "k", "héllo")
		wantGet(t, b, "k", []byte("bytes"))
	}},
	{"IntegerAndTextMarshalerKeys", func(t *testing.T, p driver.Provider, _ Harness) {
		ints := newCache(t, p, valcache.Options[int64, string]{})
		for _, k := range []int64{0, -1, 42, 1 << 62} {
			if err := ints.Set(ctxFor(t), k, fmt.Sprint(k)); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []int64{0, -1, 42, 1 << 62} {
			wantGet(t, ints, k, fmt.Sprint(k))
		}
		addrs := newCache(t, p, valcache.Options[netip.Addr, int]{})
		a := netip.MustParseAddr("::1")
		if err := addrs.Set(ctxFor(t), a, 6); err != nil {
			t.Fatal(err)
		}
		wantGet(t, addrs, a, 6)
		wantNoGet(t, addrs, netip.MustParseAddr("127.0.0.1"))
	}},
	{"CustomKeyCodec", func(t *testing.T, p driver.Provider, _ Harness) {
		type point struct{ X, Y int }
		kc := valcache.KeyCodecFuncs[point]{Encode: func(k point) (string, error) { return fmt.Sprintf("%d,%d", k.X, k.Y), nil }}
		c := newCache(t, p, valcache.Options[point, string]{KeyCodec: kc})
		if err := c.Set(ctxFor(t), point{1, 2}, "a"); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, point{1, 2}, "a")
		wantNoGet(t, c, point{2, 1})
		if _, err := valcache.New(p, valcache.Options[point, string]{}); !errors.Is(err, valcache.ErrInvalidOptions) {
			t.Fatalf("New with a struct key and no KeyCodec: got %v, want ErrInvalidOptions", err)
		}
	}},
	{"NamespacesShareOneProviderWithoutMixing", func(t *testing.T, p driver.Provider, _ Harness) {
		a := newCache(t, p, valcache.Options[string, string]{})
		b := newCache(t, p, valcache.Options[string, string]{})
		if err := a.Set(ctxFor(t), "k", "a"); err != nil {
			t.Fatal(err)
		}
		if err := b.Set(ctxFor(t), "k", "b"); err != nil {
			t.Fatal(err)
		}
		wantGet(t, a, "k", "a")
		wantGet(t, b, "k", "b")
		if err := a.Clear(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, a, "k")
		wantGet(t, b, "k", "b")
	}},
	{"DefaultTTLApplies", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{TTL: 200 * time.Millisecond})
		if err := c.Set(ctxFor(t), "k", "v"); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", "v")
		if took := untilGone(t, c, "k", time.Second); took < 100*time.Millisecond {
			t.Fatalf("an entry with the 200ms default TTL was gone after %v", took)
		}
	}},
	{"PerCallTTLOverridesDefault", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{TTL: time.Hour})
		if err := c.SetWith(ctxFor(t), "k", "v", valcache.SetOptions{TTL: 200 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		untilGone(t, c, "k", time.Second)
		if err := c.SetWith(ctxFor(t), "k", "v", valcache.SetOptions{TTL: -5 * time.Second}); !errors.Is(err, valcache.ErrInvalidTTL) {
			t.Fatalf("SetWith(TTL: -5s): got %v, want ErrInvalidTTL", err)
		}
	}},
	{"VeryLongTTLIsAccepted", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		for _, ttl := range []time.Duration{time.Duration(math.MaxInt64), 200 * 365 * 24 * time.Hour} {
			if err := c.SetWith(ctxFor(t), "k", "v", valcache.SetOptions{TTL: ttl}); err != nil {
				t.Fatalf("SetWith(TTL: %v): %v", ttl, err)
			}
			wantGet(t, c, "k", "v")
		}
		if err := c.Delete(ctxFor(t), "k"); err != nil {
			t.Fatal(err)
		}
	}},
	{"JitteredTTLNeverExceedsRequest", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[int, int]{TTL: 250 * time.Millisecond, Jitter: 0.5})
		for i := range 20 {
			if err := c.Set(ctxFor(t), i, i); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 20 {
			untilGone(t, c, i, time.Second)
		}
	}},
	{"BulkGetAndSet", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, order]{})
		in := map[string]order{}
		for i := range 300 {
			in[fmt.Sprintf("o{%d}:x", i)] = sampleOrder(int64(i))
		}
		if err := c.SetMany(ctxFor(t), in); err != nil {
			t.Fatalf("SetMany: %v", err)
		}
		keys := []string{"absent"}
		for k := range in {
			keys = append(keys, k)
		}
		got, err := c.GetManyIfPresent(ctxFor(t), keys)
		if err != nil {
			t.Fatalf("GetMany: %v", err)
		}
		if !sameValue(got, in) {
			t.Fatalf("GetMany returned %d entries, want exactly the %d written", len(got), len(in))
		}
		if err := c.DeleteMany(ctxFor(t), keys[1:11]); err != nil {
			t.Fatalf("DeleteMany: %v", err)
		}
		got, err = c.GetManyIfPresent(ctxFor(t), keys)
		if err != nil || len(got) != len(in)-10 {
			t.Fatalf("after deleting 10: GetMany has %d entries (err %v), want %d", len(got), err, len(in)-10)
		}
	}},
	{"ValueOfAnotherTypeIsAMiss", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		ints := newCache(t, p, valcache.Options[string, int]{Namespace: ns})
		orders := newCache(t, p, valcache.Options[string, order]{Namespace: ns, Logger: quietLogger()})
		if err := ints.Set(ctxFor(t), "k", 5); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, orders, "k")
		if orders.Stats().DecodeErrors != 1 {
			t.Fatalf("DecodeErrors = %d, want 1", orders.Stats().DecodeErrors)
		}
	}},
	{"UndecodableBytesAreAMiss", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, order]{Logger: quietLogger()})
		garbage := map[string][]byte{
			"empty": {}, "short": {1}, "unknown-format": {99, 0, 4, 1, 2},
			"unknown-flags": {1, 0x80, 4, 1}, "unknown-codec": {1, 0, 250, 1},
			"bad-payload": {1, 0, codec.IDMsgpack, 0xc1, 0xff, 0x00},
			"truncated":   {1, 0, codec.IDJSON, '{', '"', 'i'},
		}
		for id, b := range garbage {
			mustSet(t, p, driver.Key{Namespace: c.Namespace(), ID: id}, b, time.Minute)
		}
		for id := range garbage {
			wantNoGet(t, c, id)
		}
		if got := c.Stats().DecodeErrors; got != uint64(len(garbage)) {
			t.Fatalf("DecodeErrors = %d, want %d", got, len(garbage))
		}
		got, err := c.GetManyIfPresent(ctxFor(t), []string{"short", "bad-payload"})
		if err != nil || len(got) != 0 {
			t.Fatalf("GetMany of undecodable entries = %v, %v; want empty, nil", got, err)
		}
	}},
	{"EntriesOfAnotherCodecStayReadable", func(t *testing.T, p driver.Provider, _ Harness) {
		ns := namespace(t)
		old := newCache(t, p, valcache.Options[string, order]{Namespace: ns, Codec: codec.JSON()})
		cur := newCache(t, p, valcache.Options[string, order]{Namespace: ns, Codec: codec.Msgpack()})
		o := sampleOrder(3)
		if err := old.Set(ctxFor(t), "k", o); err != nil {
			t.Fatal(err)
		}
		wantGet(t, cur, "k", o)
	}},
	{"ClosedCacheFails", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.GetIfPresent(ctxFor(t), "k"); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("GetIfPresent after Close: %v, want ErrClosed", err)
		}
		if err := c.Set(ctxFor(t), "k", "v"); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("Set after Close: %v, want ErrClosed", err)
		}
		if err := c.Clear(ctxFor(t)); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("Clear after Close: %v, want ErrClosed", err)
		}
		if _, err := c.GetManyIfPresent(ctxFor(t), nil); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("GetMany after Close: %v, want ErrClosed", err)
		}
		if err := c.SetMany(ctxFor(t), map[string]string{"k": "v"}); !errors.Is(err, valcache.ErrClosed) {
			t.Fatalf("SetMany after Close: %v, want ErrClosed", err)
		}
		other := newCache(t, p, valcache.Options[string, string]{})
		if err := other.Set(ctxFor(t), "k", "v"); err != nil {
			t.Fatalf("closing one cache broke another on the same provider: %v", err)
		}
	}},
	{"ConcurrentReadersAndWriters", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[int, order]{})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 150 {
					k := i % 10
					if w%2 == 0 {
						if err := c.Set(ctxFor(t), k, sampleOrder(int64(k))); err != nil {
							errs <- err
							return
						}
						continue
					}
					v, found, err := c.GetIfPresent(ctxFor(t), k)
					if err != nil {
						errs <- err
						return
					}
					if found && v.ID != int64(k) {
						errs <- fmt.Errorf("key %d holds order %d", k, v.ID)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}},
}
