package cachetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valcache/valcache"
	"github.com/valcache/valcache/driver"
)

// The rules below are what a cache keeps of a caller's values and how a
// bulk write fails: the same on every provider, so that code moved from
// memory to Valkey behaves the same.

// basket is a value type that clones itself: a cache must not share it
// with the provider, in either direction.
type basket struct {
	Items []string `json:"items"`
}

func (b basket) Clone() basket { return basket{Items: slices.Clone(b.Items)} }

// hookLog records what a cache's write hook learns of.
type hookLog[V any] struct {
	mu      sync.Mutex
	stored  []string
	deleted []string
}

func (h *hookLog[V]) Stored(_ context.Context, es []valcache.StoredEntry[V]) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range es {
		h.stored = append(h.stored, e.ID)
	}
}

func (h *hookLog[V]) Deleted(_ context.Context, ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deleted = append(h.deleted, ids...)
}

func (h *hookLog[V]) storedIDs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.stored)
	slices.Sort(out)
	return out
}

// refusingCodec refuses keys that start with "bad".
var refusingCodec = valcache.KeyCodecFuncs[string]{
	Encode: func(k string) (string, error) {
		if strings.HasPrefix(k, "bad") {
			return "", fmt.Errorf("cachetest: key %q refused", k)
		}
		return k, nil
	},
	Decode: func(s string) (string, error) { return s, nil },
}

var ruleCases = []testCase{
	{"SetCopiesByteValues", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, []byte]{})
		buf := []byte("original")
		if err := c.Set(ctxFor(t), "k", buf); err != nil {
			t.Fatal(err)
		}
		many := map[string][]byte{"m": []byte("original")}
		if err := c.SetMany(ctxFor(t), many); err != nil {
			t.Fatal(err)
		}
		copy(buf, "CHANGED!")
		copy(many["m"], "CHANGED!")
		wantGet(t, c, "k", []byte("original"))
		wantGet(t, c, "m", []byte("original"))
	}},
	{"SetCopiesNamedByteSlices", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, json.RawMessage]{})
		buf := json.RawMessage(`"original"`)
		if err := c.Set(ctxFor(t), "k", buf); err != nil {
			t.Fatal(err)
		}
		copy(buf, `"CHANGED!"`)
		got, _, err := c.GetIfPresent(ctxFor(t), "k")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != `"original"` {
			t.Fatalf("after the caller reused its buffer the cache returns %s, want \"original\"", got)
		}
		copy(got, `"CHANGED!"`)
		wantGet(t, c, "k", json.RawMessage(`"original"`))
	}},
	{"ReturnedBytesAreTheCallers", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, []byte]{})
		if err := c.Set(ctxFor(t), "k", []byte("original")); err != nil {
			t.Fatal(err)
		}
		got, _, err := c.GetIfPresent(ctxFor(t), "k")
		if err != nil {
			t.Fatal(err)
		}
		copy(got, "CHANGED!")
		viaGet, err := c.Get(ctxFor(t), "k", func(context.Context, string) ([]byte, error) { return nil, errors.New("cachetest: no load expected") })
		if err != nil {
			t.Fatal(err)
		}
		copy(viaGet, "CHANGED!")
		many, err := c.GetManyIfPresent(ctxFor(t), []string{"k"})
		if err != nil {
			t.Fatal(err)
		}
		copy(many["k"], "CHANGED!")
		wantGet(t, c, "k", []byte("original"))
	}},
	{"CloneableValuesAreNotShared", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, basket]{})
		b := basket{Items: []string{"apple", "pear"}}
		if err := c.Set(ctxFor(t), "k", b); err != nil {
			t.Fatal(err)
		}
		b.Items[0] = "CHANGED"
		got, _, err := c.GetIfPresent(ctxFor(t), "k")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != 2 || got.Items[0] != "apple" {
			t.Fatalf("after the writer changed its value: %v, want what was set", got.Items)
		}
		got.Items[1] = "CHANGED"
		wantGet(t, c, "k", basket{Items: []string{"apple", "pear"}})
	}},
	{"SetManyWithARefusedKeyWritesNothing", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{KeyCodec: refusingCodec})
		hook := &hookLog[string]{}
		defer c.OnWrite(hook)()
		good := []string{"a", "b", "c", "d", "e"}
		// Map order differs from run to run: a write loop that encodes as
		// it goes would leave a different part of the batch each time.
		for run := range 5 {
			values := map[string]string{"bad-key": "x"}
			for _, k := range good {
				values[k] = fmt.Sprint(run)
			}
			err := c.SetMany(ctxFor(t), values)
			var kb *valcache.KeyedBatchError[string]
			if !errors.As(err, &kb) {
				t.Fatalf("SetMany with a refused key: %v, want a *KeyedBatchError", err)
			}
			if len(kb.Failed) != len(values) || kb.Failed["bad-key"] == nil {
				t.Fatalf("SetMany with a refused key named %d of %d keys failed (%v); nothing was written, so every key failed", len(kb.Failed), len(values), err)
			}
			if got, err := c.GetManyIfPresent(ctxFor(t), good); err != nil || len(got) != 0 {
				t.Fatalf("run %d: after a refused batch %d entries are stored (%v), want none", run, len(got), err)
			}
			if ids := hook.storedIDs(); len(ids) != 0 {
				t.Fatalf("run %d: the write hook heard of %v, want nothing: nothing was written", run, ids)
			}
		}
	}},
	{"SetManyHooksHearExactlyWhatWasWritten", func(t *testing.T, p driver.Provider, h Harness) {
		if h.MaxValueBytes <= 0 {
			t.Skip("the provider has no value limit to fail one entry of a batch with")
		}
		c := newCache(t, p, valcache.Options[string, []byte]{})
		hook := &hookLog[[]byte]{}
		defer c.OnWrite(hook)()
		values := map[string][]byte{"big": make([]byte, h.MaxValueBytes+1)}
		var want []string
		for i := range 5 {
			k := fmt.Sprintf("ok%d", i)
			values[k] = []byte(k)
			want = append(want, k)
		}
		err := c.SetMany(ctxFor(t), values)
		if _, typed := p.(driver.ValueStore); typed && err == nil {
			// A provider keeping Go values has no byte limit for typed
			// entries: the whole batch was written, and heard of.
			want = append(want, "big")
			slices.Sort(want)
			if ids := hook.storedIDs(); !slices.Equal(ids, want) {
				t.Fatalf("the write hook heard of %v, want exactly the entries written %v", ids, want)
			}
			return
		}
		var kb *valcache.KeyedBatchError[string]
		if !errors.As(err, &kb) || len(kb.Failed) != 1 || kb.Failed["big"] == nil {
			t.Fatalf("SetMany with one value too large: %v, want a *KeyedBatchError naming it alone", err)
		}
		if !errors.Is(err, valcache.ErrValueTooLarge) {
			t.Fatalf("SetMany with one value too large: %v, want ErrValueTooLarge within", err)
		}
		if ids := hook.storedIDs(); !slices.Equal(ids, want) {
			t.Fatalf("the write hook heard of %v, want exactly the entries written %v", ids, want)
		}
		got, err := c.GetManyIfPresent(ctxFor(t), append(want, "big"))
		if err != nil || len(got) != len(want) {
			t.Fatalf("after a partial batch: %d stored (%v), want the %d written", len(got), err, len(want))
		}
	}},
	{"BatchErrorNamesTheSmallestFailedKey", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{KeyCodec: refusingCodec})
		values := map[string]string{}
		for i := range 9 {
			values[fmt.Sprintf("bad-%d", 9-i)] = "x"
			values[fmt.Sprintf("k%d", i)] = "x"
		}
		var first string
		for run := range 10 {
			err := c.SetMany(ctxFor(t), values)
			if err == nil {
				t.Fatal("SetMany with refused keys succeeded")
			}
			if !strings.Contains(err.Error(), "bad-1:") {
				t.Fatalf("run %d: %q does not name the smallest failed key, bad-1", run, err)
			}
			if run == 0 {
				first = err.Error()
			} else if err.Error() != first {
				t.Fatalf("the same failure reads differently: %q, then %q", first, err)
			}
		}
	}},
}

// ttlRuleCases need a provider that can compare and swap: computes and
// Expire.
var ttlRuleCases = []testCase{
	{"ZeroTTLMeansTheCacheDefault", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{TTL: 300 * time.Millisecond})
		ctx := ctxFor(t)
		inc := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
		if err := c.SetWith(ctx, "k", 1, valcache.SetOptions{TTL: valcache.NoExpiry}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Compute(ctx, "k", inc, valcache.ComputeOptions{}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", 2)
		untilGone(t, c, "k", 3*time.Second) // the cache's 300ms, not the entry's none
		if err := c.SetWith(ctx, "e", 1, valcache.SetOptions{TTL: valcache.NoExpiry}); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Expire(ctx, "e", 0); err != nil || !ok {
			t.Fatalf("Expire(0) = %v, %v", ok, err)
		}
		untilGone(t, c, "e", 3*time.Second)
	}},
	{"KeepTTLKeepsTheEntrysExpiry", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, int]{})
		ctx := ctxFor(t)
		if err := c.SetWith(ctx, "k", 1, valcache.SetOptions{TTL: 300 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		inc := func(old int, _ bool) (int, valcache.ComputeOp, error) { return old + 1, valcache.ComputeSet, nil }
		if _, _, err := c.Compute(ctx, "k", inc, valcache.ComputeOptions{TTL: valcache.KeepTTL}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", 2)
		// The cache's default is an hour: gone within the bound means the
		// 300ms life was kept.
		untilGone(t, c, "k", 20*time.Second)
		// A new entry gets the cache's default.
		if _, _, err := c.Compute(ctx, "k", inc, valcache.ComputeOptions{TTL: valcache.KeepTTL}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		wantGet(t, c, "k", 1)
	}},
	{"ExpireGivesANewTTLAndKeepsTheValue", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{TTL: time.Second}); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Expire(ctx, "k", time.Hour); err != nil || !ok {
			t.Fatalf("Expire(1h) of a present entry = %v, %v", ok, err)
		}
		time.Sleep(1200 * time.Millisecond)
		wantGet(t, c, "k", "v")
		if ok, err := c.Expire(ctx, "k", valcache.NoExpiry); err != nil || !ok {
			t.Fatalf("Expire(NoExpiry) = %v, %v", ok, err)
		}
		wantGet(t, c, "k", "v")
		if ok, err := c.Expire(ctx, "k", 200*time.Millisecond); err != nil || !ok {
			t.Fatalf("Expire(200ms) = %v, %v", ok, err)
		}
		untilGone(t, c, "k", 20*time.Second)
		if ok, err := c.Expire(ctx, "k", time.Hour); err != nil || ok {
			t.Fatalf("Expire of an absent key = %v, %v, want false", ok, err)
		}
		wantNoGet(t, c, "k")
		if _, err := c.Expire(ctx, "k", valcache.KeepTTL); !errors.Is(err, valcache.ErrInvalidTTL) {
			t.Fatalf("Expire(KeepTTL): %v, want ErrInvalidTTL", err)
		}
	}},
}

// ttlRuleTagCases need versions too.
var ttlRuleTagCases = []testCase{
	{"ExpireKeepsTheEntrysTags", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		if err := c.SetWith(ctx, "k", "v", valcache.SetOptions{Tags: []string{"t"}}); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Expire(ctx, "k", valcache.NoExpiry); err != nil || !ok {
			t.Fatalf("Expire = %v, %v", ok, err)
		}
		wantGet(t, c, "k", "v")
		if err := c.InvalidateTags(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
	}},
}

// loadRuleCases are the loader's control of its entry (valcache.Loading).
var loadRuleCases = []testCase{
	{"NilLoaderIsErrNilLoader", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		if _, err := c.Get(ctxFor(t), "k", nil); !errors.Is(err, valcache.ErrNilLoader) {
			t.Fatalf("Get with a nil loader: %v, want ErrNilLoader", err)
		}
		if _, err := c.Fetch(ctxFor(t), "k", nil, valcache.LoadOptions{}); !errors.Is(err, valcache.ErrNilLoader) {
			t.Fatalf("Fetch with a nil loader: %v, want ErrNilLoader", err)
		}
		if _, err := c.GetMany(ctxFor(t), []string{"k"}, nil, valcache.LoadOptions{}); !errors.Is(err, valcache.ErrNilLoader) {
			t.Fatalf("GetMany with a nil loader: %v, want ErrNilLoader", err)
		}
	}},
	{"InvalidLoadTTLIsRefused", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		loads := 0
		plain := func(context.Context, string) (string, error) { loads++; return "v", nil }
		if _, err := c.Fetch(ctx, "k", plain, valcache.LoadOptions{TTL: valcache.KeepTTL}); !errors.Is(err, valcache.ErrInvalidTTL) {
			t.Fatalf("Fetch with LoadOptions.TTL KeepTTL: %v, want ErrInvalidTTL", err)
		}
		bulk := func(context.Context, []string) (map[string]string, error) { loads++; return nil, nil }
		if _, err := c.GetMany(ctx, []string{"k"}, bulk, valcache.LoadOptions{TTL: -time.Second}); !errors.Is(err, valcache.ErrInvalidTTL) {
			t.Fatalf("GetMany with a negative LoadOptions.TTL: %v, want ErrInvalidTTL", err)
		}
		if loads != 0 {
			t.Fatalf("%d loads ran for calls refused up front", loads)
		}
		chooser := func(ctx context.Context, k string) (string, error) {
			valcache.Loading(ctx).SetTTL(-time.Minute)
			return "v", nil
		}
		if _, err := c.Get(ctx, "k", chooser); !errors.Is(err, valcache.ErrInvalidTTL) {
			t.Fatalf("a loader's SetTTL(-1m): %v, want ErrInvalidTTL", err)
		}
		wantNoGet(t, c, "k")
	}},
	{"LoaderChoosesItsTTL", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{TTL: time.Hour})
		if lc := valcache.Loading(ctxFor(t)); lc != nil {
			t.Fatal("Loading outside a loader is not nil")
		}
		valcache.Loading(ctxFor(t)).SetTTL(time.Second) // nil-safe
		load := func(ctx context.Context, k string) (string, error) {
			valcache.Loading(ctx).SetTTL(200 * time.Millisecond)
			return "v-" + k, nil
		}
		if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "v-k" {
			t.Fatalf("Get = %q, %v", v, err)
		}
		wantGet(t, c, "k", "v-k")
		untilGone(t, c, "k", 20*time.Second)
		bulk := func(ctx context.Context, ks []string) (map[string]string, error) {
			valcache.Loading(ctx).SetTTL(200 * time.Millisecond)
			out := map[string]string{}
			for _, k := range ks {
				out[k] = "v-" + k
			}
			return out, nil
		}
		if got, err := c.GetMany(ctxFor(t), []string{"a", "b"}, bulk, valcache.LoadOptions{}); err != nil || len(got) != 2 {
			t.Fatalf("GetMany = %v, %v", got, err)
		}
		wantGet(t, c, "a", "v-a")
		untilGone(t, c, "a", 20*time.Second)
	}},
	{"LoaderDeclinesCaching", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		loads := 0
		load := func(ctx context.Context, k string) (string, error) {
			loads++
			valcache.Loading(ctx).NoStore()
			return "v-" + k, nil
		}
		for range 2 {
			if v, err := c.Get(ctxFor(t), "k", load); err != nil || v != "v-k" {
				t.Fatalf("Get = %q, %v, want the loaded value", v, err)
			}
			wantNoGet(t, c, "k")
		}
		if loads != 2 {
			t.Fatalf("the loader ran %d times for two Gets of a value it declined to cache", loads)
		}
		bulk := func(ctx context.Context, ks []string) (map[string]string, error) {
			valcache.Loading(ctx).NoStore()
			return map[string]string{"a": "1", "b": "2"}, nil
		}
		if got, err := c.GetMany(ctxFor(t), []string{"a", "b"}, bulk, valcache.LoadOptions{}); err != nil || len(got) != 2 {
			t.Fatalf("GetMany = %v, %v, want the loaded values", got, err)
		}
		wantNoGet(t, c, "a")
	}},
	{"ResultSaysWhoseLoaderRan", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		inLoad, release := make(chan struct{}), make(chan struct{})
		slow := func(context.Context, string) (string, error) {
			close(inLoad)
			<-release
			return "v", nil
		}
		first := make(chan valcache.Result[string], 1)
		go func() {
			r, _ := c.Fetch(ctxFor(t), "k", slow, valcache.LoadOptions{})
			first <- r
		}()
		<-inLoad
		joined := make(chan valcache.Result[string], 1)
		go func() {
			r, _ := c.Fetch(ctxFor(t), "k", func(context.Context, string) (string, error) { return "mine", nil }, valcache.LoadOptions{})
			joined <- r
		}()
		time.Sleep(100 * time.Millisecond) // the second call joins the running load
		close(release)
		if r := <-first; !r.Loaded || r.Value != "v" {
			t.Fatalf("the Fetch whose loader ran = %+v, want Loaded", r)
		}
		if r := <-joined; r.Loaded || r.Value != "v" {
			t.Fatalf("a Fetch that waited for another's load = %+v, want not Loaded", r)
		}
		r, err := c.Fetch(ctxFor(t), "k", slow, valcache.LoadOptions{})
		if err != nil || r.Loaded || r.Value != "v" {
			t.Fatalf("Fetch of a hit = %+v, %v, want not Loaded", r, err)
		}
	}},
}

// loadRuleTagCases are the loader's tags and writes that carry a stamp
// and tags together.
var loadRuleTagCases = []testCase{
	{"LoaderAddsTags", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		load := func(ctx context.Context, k string) (string, error) {
			valcache.Loading(ctx).AddTags("learned:" + k)
			return "v-" + k, nil
		}
		if _, err := c.Get(ctxFor(t), "k", load); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", "v-k")
		if err := c.InvalidateTags(ctxFor(t), "learned:k"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
		bulk := func(ctx context.Context, ks []string) (map[string]string, error) {
			valcache.Loading(ctx).AddTags("learned:bulk")
			return map[string]string{"a": "1", "b": "2"}, nil
		}
		if _, err := c.GetMany(ctxFor(t), []string{"a", "b"}, bulk, valcache.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "a", "1")
		if err := c.InvalidateTags(ctxFor(t), "learned:bulk"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "a")
		wantNoGet(t, c, "b")
	}},
	{"StampAndTagsTogether", func(t *testing.T, p driver.Provider, _ Harness) {
		c := newCache(t, p, valcache.Options[string, string]{})
		ctx := ctxFor(t)
		st, err := c.Stamp(ctx, "early")
		if err != nil {
			t.Fatal(err)
		}
		both := valcache.SetOptions{Stamp: st, Tags: []string{"late"}}
		if err := c.SetWith(ctx, "k", "v", both); err != nil {
			t.Fatal(err)
		}
		if err := c.SetManyWith(ctx, map[string]string{"m": "v"}, both); err != nil {
			t.Fatal(err)
		}
		wantGet(t, c, "k", "v")
		wantGet(t, c, "m", "v")
		if err := c.InvalidateTags(ctx, "late"); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
		wantNoGet(t, c, "m")
		// The stamp's own tags keep their stamped versions: invalidated
		// since, the write is dropped.
		if err := c.InvalidateTags(ctx, "early"); err != nil {
			t.Fatal(err)
		}
		if err := c.SetWith(ctx, "k", "v", both); err != nil {
			t.Fatal(err)
		}
		if err := c.SetManyWith(ctx, map[string]string{"m": "v"}, both); err != nil {
			t.Fatal(err)
		}
		wantNoGet(t, c, "k")
		wantNoGet(t, c, "m")
	}},
}
